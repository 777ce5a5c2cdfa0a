// Property-based fuzzing of the two grammars users type by hand: outbound targets
// (main/imessage/targets.ts, spec imessage-channel §4) and allowFrom entries
// (main/imessage/allow-from.ts, spec §2.2). Arbitrary text must give a result or a clear Error,
// never another exception, and the normalizers must be consistent with the matchers.
import { normalizeHandle } from '../../contract/handles';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cleanAllowList, compileAllowList, isSenderAllowed, normalizeSenderRef, parseAllowEntry, stripServicePrefix, type NormalizedSenderRef } from '../../main/imessage/allow-from';
import { formatTarget, looksLikeTargetId, normalizeTarget, parseTarget, targetSendParams, type ImessageTarget } from '../../main/imessage/targets';

const RUNS = { numRuns: 2000 };

/** Mixed case, e.g. `cHaT_Id:`. */
const randomCase = (text: string) => fc.array(fc.boolean(), { minLength: text.length, maxLength: text.length }).map((flags) => [...text].map((c, i) => (flags[i] ? c.toUpperCase() : c.toLowerCase())).join(''));
const oneOfCased = (words: readonly string[]) => fc.constantFrom(...words).chain(randomCase);

const SERVICE = ['imessage:', 'sms:', 'auto:'];
const CHAT_ID = ['chat_id:', 'chatid:', 'chat:'];
const CHAT_GUID = ['chat_guid:', 'chatguid:', 'guid:'];
const CHAT_IDENT = ['chat_identifier:', 'chatidentifier:', 'chatident:'];
const ALL_PREFIXES = [...SERVICE, ...CHAT_ID, ...CHAT_GUID, ...CHAT_IDENT, 'tel:', 'whatsapp:'];

const pad = fc.constantFrom('', ' ', '  ', '\t', ' \n');
const digits = fc.stringMatching(/^[0-9]{1,15}$/);
const phoneDigits = fc.stringMatching(/^[1-9][0-9]{6,13}$/);
/** The same phone number the way people write it: `+1 (555) 222-3333`, `555.222.3333`, … */
const formattedPhone = (d: string) =>
  fc.array(fc.constantFrom('', ' ', '-', '.', '(', ')', '/'), { minLength: d.length, maxLength: d.length }).chain((seps) =>
    fc.boolean().map((plus) => `${plus ? '+' : ''}${[...d].map((c, i) => `${seps[i]}${c}`).join('')}`),
  );
const emailArb = fc.emailAddress();
const textArb = fc.string({ unit: 'grapheme-ascii', maxLength: 30 });

/** Strings shaped like targets and allowFrom entries, plus plain noise. */
const targetLike = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.tuple(pad, fc.array(oneOfCased(ALL_PREFIXES), { maxLength: 3 }), pad, fc.oneof(textArb, digits, emailArb, phoneDigits.chain(formattedPhone), fc.constant('*'), fc.constant('')), pad).map((parts) => parts.flat().join('')),
);

const KNOWN_ERRORS = [/^iMessage target is required$/, /^(imessage|sms|auto): target is required$/, /^Invalid chat_id: /, /^chat_guid is required$/, /^chat_identifier is required$/, /^chat_id is required$/];

function tryParse(raw: string): ImessageTarget | Error {
  try {
    return parseTarget(raw);
  } catch (error) {
    return error as Error;
  }
}

describe('parseTarget / normalizeTarget (fuzz)', () => {
  it('returns a target or throws a plain Error with one of the documented messages', () => {
    fc.assert(
      fc.property(targetLike, (raw) => {
        const result = tryParse(raw);
        if (result instanceof Error) {
          expect(result.constructor).toBe(Error);
          expect(KNOWN_ERRORS.some((re) => re.test(result.message))).toBe(true);
          return;
        }
        const params = targetSendParams(result);
        const entries = Object.entries(params) as [string, string | number][];
        expect(entries).toHaveLength(1);
        const value = entries[0]![1];
        if (typeof value === 'number') expect(Number.isSafeInteger(value) && value > 0).toBe(true);
        else expect(value.trim()).not.toBe('');
      }),
      RUNS,
    );
  });

  it('ignores surrounding whitespace and the case of every prefix', () => {
    const prefix = fc.tuple(fc.constantFrom(...SERVICE, ''), fc.constantFrom(...CHAT_ID, ...CHAT_GUID, ...CHAT_IDENT, '')).map(([a, b]) => `${a}${b}`);
    fc.assert(
      fc.property(prefix.chain((p) => fc.tuple(fc.constant(p), randomCase(p))), fc.oneof(digits, textArb), pad, pad, ([plain, cased], rest, before, after) => {
        expect(tryParse(`${before}${cased}${rest}${after}`)).toEqual(tryParse(`${plain}${rest}`));
      }),
      RUNS,
    );
  });

  it('accepts chat_id exactly for positive whole numbers', () => {
    fc.assert(
      fc.property(oneOfCased(CHAT_ID), fc.oneof(digits, textArb, fc.integer().map(String), fc.double().map(String)), (prefix, value) => {
        const result = tryParse(`${prefix}${value}`);
        const trimmed = value.trim();
        const valid = /^\d+$/.test(trimmed) && Number.isSafeInteger(Number(trimmed)) && Number(trimmed) > 0;
        if (valid) expect(result).toEqual({ kind: 'chat_id', chatId: Number(trimmed) });
        else expect(result).toBeInstanceOf(Error);
      }),
      RUNS,
    );
  });

  it('drops a service prefix on chat targets and keeps it on handles', () => {
    fc.assert(
      fc.property(oneOfCased(SERVICE), fc.oneof(phoneDigits, emailArb), fc.integer({ min: 1, max: 1e9 }), (service, handle, chatId) => {
        expect(parseTarget(`${service}chat_id:${chatId}`)).toEqual({ kind: 'chat_id', chatId });
        expect(parseTarget(`${service}${handle}`)).toEqual({ kind: 'handle', to: handle, service: service.slice(0, -1).toLowerCase() });
      }),
      RUNS,
    );
  });

  /** normalizeTarget(raw), or undefined when raw is not a valid target. */
  const normalized = (raw: string): string | undefined => {
    try {
      return normalizeTarget(raw);
    } catch {
      return undefined;
    }
  };
  it('normalizeTarget is idempotent and never yields an empty target', () => {
    fc.assert(
      fc.property(targetLike, (raw) => {
        const once = normalized(raw);
        if (once === undefined) return; // invalid input: covered above
        expect(once.trim()).not.toBe('');
        expect(normalizeTarget(once)).toBe(once);
      }),
      RUNS,
    );
  });

  // Found by the property above (fixed in targets.ts): normalizeHandle strips `tel:`, `whatsapp:`
  // and repeated service prefixes, so the canonical text of such a handle used to name a CHAT
  // (`tel:chat:5` → `chat:5` → chat_id 5) or be empty (`tel:` → ``).
  it('keeps tel:/whatsapp:/doubly prefixed handles as the same handles', () => {
    for (const raw of ['tel:chat:5', 'whatsapp:chatidentifier:a@a.aa', 'sms:auto:chat:5', 'tel:', 'imessage:imessage:']) {
      const once = normalized(raw);
      expect(once, raw).toBeDefined();
      expect(once!.trim()).not.toBe('');
      expect(parseTarget(once!).kind).toBe('handle');
      expect(normalizeTarget(once!)).toBe(once);
    }
  });

  it('formatTarget → parseTarget round-trips chat targets', () => {
    const chatTarget: fc.Arbitrary<ImessageTarget> = fc.oneof(
      fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }).map((chatId) => ({ kind: 'chat_id' as const, chatId })),
      textArb.filter((t) => t.trim() === t && t !== '').map((chatGuid) => ({ kind: 'chat_guid' as const, chatGuid })),
      textArb.filter((t) => t.trim() === t && t !== '').map((chatIdentifier) => ({ kind: 'chat_identifier' as const, chatIdentifier })),
    );
    fc.assert(
      fc.property(chatTarget, (target) => {
        expect(parseTarget(formatTarget(target))).toEqual(target);
      }),
      RUNS,
    );
  });

  it('looksLikeTargetId never throws and is true for anything with a prefix, @ or 3+ digits', () => {
    fc.assert(
      fc.property(targetLike, (raw) => {
        const verdict = looksLikeTargetId(raw);
        expect(typeof verdict).toBe('boolean');
        const value = raw.trim().toLowerCase();
        if ([...SERVICE, ...CHAT_ID, ...CHAT_GUID, ...CHAT_IDENT].some((p) => value.startsWith(p)) || value.includes('@')) expect(verdict).toBe(true);
      }),
      RUNS,
    );
  });
});

describe('normalizeHandle (fuzz)', () => {
  it('is idempotent and never throws', () => {
    fc.assert(
      fc.property(targetLike, (raw) => {
        const once = normalizeHandle(raw);
        expect(normalizeHandle(once)).toBe(once);
      }),
      RUNS,
    );
  });

  it('maps every way of writing a phone number to + and its digits', () => {
    fc.assert(
      fc.property(phoneDigits.chain((d) => fc.tuple(fc.constant(d), formattedPhone(d), fc.array(oneOfCased([...SERVICE, 'tel:']), { maxLength: 2 }), pad)), ([d, written, prefixes, space]) => {
        expect(normalizeHandle(`${space}${prefixes.join('')}${written}${space}`)).toBe(`+${d}`);
      }),
      RUNS,
    );
  });

  it('ignores the case of emails and any service prefix', () => {
    fc.assert(
      fc.property(emailArb, fc.boolean(), oneOfCased(SERVICE), (email, upper, prefix) => {
        const shown = upper ? email.toUpperCase() : email;
        expect(normalizeHandle(`${prefix}${shown}`)).toBe(email.toLowerCase());
      }),
      RUNS,
    );
  });
});

// ------------------------------------------------------------------------------------------------
// allowFrom
// ------------------------------------------------------------------------------------------------

/** Entries as they appear in configs and the allow store: handles, chats, `*`, junk, numbers. */
const allowEntry: fc.Arbitrary<string | number> = fc.oneof(
  targetLike,
  phoneDigits.chain(formattedPhone),
  emailArb,
  fc.integer({ min: 1, max: 500 }).map((id) => `chat_id:${id}`),
  fc.constantFrom('*', 'imessage:*', ' ', '', 'chat_id:', 'chat_id:abc', 'guid:', 'chatident:  '),
  fc.integer(),
);

/** A message's sender and chat, as imsg reports them. */
const senderRef = fc.record({
  sender: fc.oneof(phoneDigits.map((d) => `+${d}`), emailArb, phoneDigits.chain(formattedPhone), textArb),
  chatId: fc.option(fc.integer({ min: 1, max: 500 }), { nil: null }),
  chatGuid: fc.option(fc.oneof(textArb, fc.constant('iMessage;+;chat1')), { nil: null }),
  chatIdentifier: fc.option(textArb, { nil: null }),
});
/** Senders never carry a chat prefix (imsg reports a phone or an email). */
const plainSender = senderRef.filter((ref) => parseAllowEntry(ref.sender)?.kind === 'handle');

describe('allowFrom (fuzz)', () => {
  it('compiles any list without throwing; cleaned entries are trimmed, non-empty and unique', () => {
    fc.assert(
      fc.property(fc.array(allowEntry, { maxLength: 20 }), fc.boolean(), (entries, ignoreWildcard) => {
        const matcher = compileAllowList(entries, { ignoreWildcard });
        expect(matcher.entries).toEqual(cleanAllowList(entries));
        for (const entry of matcher.entries) expect(entry).toBe(entry.trim());
        expect(new Set(matcher.entries).size).toBe(matcher.entries.length);
        if (ignoreWildcard) expect(matcher.wildcard).toBe(false);
        for (const bad of matcher.invalid) expect(bad.problem).not.toBe('');
      }),
      RUNS,
    );
  });

  it('matching ignores order and duplicates, and a larger list never matches less', () => {
    fc.assert(
      fc.property(fc.array(allowEntry, { maxLength: 12 }), fc.array(allowEntry, { maxLength: 6 }), senderRef, (entries, extra, ref) => {
        const normalized = normalizeSenderRef(ref);
        const base = compileAllowList(entries).matches(normalized);
        expect(compileAllowList([...entries].reverse().concat(entries)).matches(normalized)).toBe(base);
        if (base) expect(compileAllowList([...entries, ...extra]).matches(normalized)).toBe(true);
        expect(isSenderAllowed(entries, ref)).toBe(base);
      }),
      RUNS,
    );
  });

  it('an empty list, or one of only invalid entries, matches nobody; "*" matches everybody unless ignored', () => {
    const invalidOnly = fc.array(fc.constantFrom('chat_id:abc', 'guid:', 'chatident: ', 'imessage:', 'sms: ', ' ', ''), { maxLength: 5 });
    fc.assert(
      fc.property(invalidOnly, senderRef, (entries, ref) => {
        const normalized = normalizeSenderRef(ref);
        const matcher = compileAllowList(entries);
        expect(matcher.isEmpty).toBe(true);
        expect(matcher.matches(normalized)).toBe(false);
        expect(compileAllowList([...entries, '*']).matches(normalized)).toBe(true);
        expect(compileAllowList([...entries, '*', 'auto:*'], { ignoreWildcard: true }).matches(normalized)).toBe(false);
      }),
      RUNS,
    );
  });

  it('a service prefix on an entry changes nothing', () => {
    fc.assert(
      fc.property(fc.array(allowEntry, { maxLength: 8 }), fc.array(oneOfCased(SERVICE), { minLength: 1, maxLength: 3 }), senderRef, (entries, prefixes, ref) => {
        const prefixed = entries.map((entry) => `${prefixes.join('')}${String(entry).trim()}`);
        const normalized = normalizeSenderRef(ref);
        // Blank entries stay blank-ish ("imessage:" alone is an invalid entry): both match nothing.
        expect(compileAllowList(prefixed).matches(normalized)).toBe(compileAllowList(entries).matches(normalized));
      }),
      RUNS,
    );
  });

  it('the sender itself, written any way, is allowed; a different phone number is not', () => {
    fc.assert(
      fc.property(plainSender, fc.array(oneOfCased(SERVICE), { maxLength: 2 }), (ref, prefixes) => {
        const normalized = normalizeSenderRef(ref);
        expect(compileAllowList([`${prefixes.join('')}${ref.sender}`]).matches(normalized)).toBe(true);
        expect(compileAllowList([normalized.handle]).matches(normalized)).toBe(true);
      }),
      RUNS,
    );
    fc.assert(
      fc.property(phoneDigits, phoneDigits, (a, b) => {
        fc.pre(a !== b);
        const ref: NormalizedSenderRef = { handle: normalizeHandle(`+${a}`), chatId: null };
        expect(compileAllowList([`+${b}`, `(${b.slice(0, 3)}) ${b.slice(3)}`]).matches(ref)).toBe(false);
      }),
      RUNS,
    );
  });

  it('chat entries match exactly their chat, never a sender handle', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }), senderRef, (chatId, ref) => {
        const normalized = normalizeSenderRef(ref);
        const matcher = compileAllowList([`chat_id:${chatId}`]);
        expect(matcher.matches(normalized)).toBe(ref.chatId === chatId);
        expect(matcher.matches({ handle: `chat_id:${chatId}`, chatId: null })).toBe(false);
      }),
      RUNS,
    );
  });

  it('stripServicePrefix removes every leading service prefix and nothing else', () => {
    fc.assert(
      fc.property(fc.array(oneOfCased(SERVICE), { maxLength: 4 }), pad, textArb, (prefixes, space, rest) => {
        fc.pre(!/^\s*(imessage|sms|auto):/i.test(rest));
        expect(stripServicePrefix(`${space}${prefixes.join(space)}${rest}`)).toBe(rest.trim());
      }),
      RUNS,
    );
  });
});
