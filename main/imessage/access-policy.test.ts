import { describe, expect, it } from 'vitest';
import { cpuMs } from '../../test/support/cpu-time';
import type { DmPolicy, GroupPolicy, GroupSettings } from '../config/types';
import { compileAccessPolicy, decideAccess, isGroupMessage, resolveGroupSettings, type AccessMessage, type AccessPolicyConfig } from './access-policy';

const LISTED = '+15550001111'; // in allowFrom
const GROUP_LISTED = '+15550002222'; // in groupAllowFrom
const PAIRED = '+15550003333'; // approved through pairing (allow store)
const UNKNOWN = '+15550009999';
const APPROVED = Object.freeze([PAIRED]);

function config(overrides: Partial<AccessPolicyConfig> = {}): AccessPolicyConfig {
  return { dmPolicy: 'pairing', allowFrom: [LISTED], groupPolicy: 'allowlist', groupAllowFrom: [GROUP_LISTED], groups: {}, ...overrides };
}

const dm = (sender: string, extra: Partial<AccessMessage> = {}): AccessMessage => ({ sender, chatId: 5, isGroup: false, ...extra });
const group = (sender: string, chatId = 42, extra: Partial<AccessMessage> = {}): AccessMessage => ({ sender, chatId, isGroup: true, ...extra });

describe('decideAccess — DM table (spec §2.3 step 4)', () => {
  type Row = [DmPolicy, string, readonly string[], string, string];
  // dmPolicy, sender, allowFrom, expected decision, expected reason
  const rows: Row[] = [
    ['pairing', LISTED, [LISTED], 'accepted', 'allowFrom'],
    ['pairing', PAIRED, [LISTED], 'accepted', 'paired'],
    ['pairing', UNKNOWN, [LISTED], 'pairing', 'not in allowFrom'],
    ['pairing', UNKNOWN, [], 'pairing', 'not in allowFrom'],
    ['pairing', UNKNOWN, ['*'], 'accepted', 'allowFrom=*'],
    ['allowlist', LISTED, [LISTED], 'accepted', 'allowFrom'],
    ['allowlist', PAIRED, [LISTED], 'accepted', 'paired'],
    ['allowlist', UNKNOWN, [LISTED], 'rejected', 'dmPolicy=allowlist'],
    ['allowlist', UNKNOWN, [], 'rejected', 'dmPolicy=allowlist'],
    ['allowlist', UNKNOWN, ['*'], 'accepted', 'allowFrom=*'],
    ['open', UNKNOWN, ['*'], 'accepted', 'dmPolicy=open'],
    ['open', LISTED, ['*'], 'accepted', 'dmPolicy=open'],
    ['disabled', LISTED, [LISTED], 'rejected', 'dmPolicy=disabled'],
    ['disabled', PAIRED, [LISTED], 'rejected', 'dmPolicy=disabled'],
    ['disabled', UNKNOWN, ['*'], 'rejected', 'dmPolicy=disabled'],
  ];
  it.each(rows)('dmPolicy=%s sender=%s allowFrom=%j → %s (%s)', (dmPolicy, sender, allowFrom, decision, reason) => {
    const result = decideAccess({ policy: config({ dmPolicy, allowFrom: [...allowFrom] }), message: dm(sender), approved: APPROVED });
    expect(result).toMatchObject({ decision, reason, isGroup: false, senderId: sender });
    expect(result.commandAuthorized).toBe(decision === 'accepted');
  });

  it('matches allowFrom after normalization (formatted phone, email case, service prefix)', () => {
    const policy = config({ dmPolicy: 'allowlist', allowFrom: ['+1 (555) 000-1111', 'Me@Example.com'] });
    expect(decideAccess({ policy, message: dm('imessage:+15550001111') }).decision).toBe('accepted');
    expect(decideAccess({ policy, message: dm('me@example.COM') }).decision).toBe('accepted');
  });

  it('never accepts "*" from the allow store', () => {
    const result = decideAccess({ policy: config({ allowFrom: [] }), message: dm(UNKNOWN), approved: ['*', 'imessage:*'] });
    expect(result.decision).toBe('pairing');
  });

  it('upstream: defaults to dmPolicy=pairing behavior when allowFrom is empty', () => {
    const policy = { allowFrom: [], groups: {} } as unknown as AccessPolicyConfig;
    expect(decideAccess({ policy, message: dm('+15550001111') })).toMatchObject({ decision: 'pairing', senderId: '+15550001111' });
  });

  it('allowFrom chat_id entries admit a DM thread by chat id', () => {
    const result = decideAccess({ policy: config({ dmPolicy: 'allowlist', allowFrom: ['chat_id:5'] }), message: dm(UNKNOWN) });
    expect(result.decision).toBe('accepted');
  });
});

describe('decideAccess — group table (spec §2.3 step 3)', () => {
  type Row = [GroupPolicy, string, Partial<AccessPolicyConfig>, string, string];
  // groupPolicy, sender, config overrides, expected decision, expected reason
  const rows: Row[] = [
    // groupAllowFrom set
    ['allowlist', GROUP_LISTED, {}, 'accepted', 'groupAllowFrom'],
    ['allowlist', LISTED, {}, 'rejected', 'not in groupAllowFrom'], // groupAllowFrom set: no fallback
    ['allowlist', PAIRED, {}, 'accepted', 'paired'], // DM-approved senders count in groups too
    ['allowlist', UNKNOWN, {}, 'rejected', 'not in groupAllowFrom'],
    ['allowlist', UNKNOWN, { groupAllowFrom: ['*'] }, 'accepted', 'groupAllowFrom'],
    ['allowlist', UNKNOWN, { groupAllowFrom: ['chat_id:42'] }, 'accepted', 'groupAllowFrom'],
    // groupAllowFrom unset: falls back to allowFrom
    ['allowlist', LISTED, { groupAllowFrom: undefined }, 'accepted', 'groupAllowFrom'],
    ['allowlist', UNKNOWN, { groupAllowFrom: undefined }, 'rejected', 'not in groupAllowFrom'],
    ['allowlist', UNKNOWN, { groupAllowFrom: undefined, allowFrom: [] }, 'rejected', 'not in groupAllowFrom'], // store non-empty
    ['open', UNKNOWN, {}, 'accepted', 'groupPolicy=open'],
    ['open', GROUP_LISTED, {}, 'accepted', 'groupPolicy=open'],
    ['open', UNKNOWN, { dmPolicy: 'disabled' }, 'accepted', 'groupPolicy=open'], // DM policy not consulted
    ['disabled', GROUP_LISTED, {}, 'rejected', 'groupPolicy=disabled'],
    ['disabled', PAIRED, {}, 'rejected', 'groupPolicy=disabled'],
    ['disabled', UNKNOWN, { groupAllowFrom: ['*'] }, 'rejected', 'groupPolicy=disabled'],
    // chat allowlist (groups non-empty)
    ['open', UNKNOWN, { groups: { '7': {} } }, 'rejected', 'chat not in groups'],
    ['open', UNKNOWN, { groups: { '42': {} } }, 'accepted', 'groupPolicy=open'],
    ['open', UNKNOWN, { groups: { '*': {} } }, 'accepted', 'groupPolicy=open'],
    ['allowlist', GROUP_LISTED, { groups: { '7': {} } }, 'rejected', 'chat not in groups'],
    ['allowlist', UNKNOWN, { groups: { '7': {} } }, 'rejected', 'not in groupAllowFrom'], // sender check comes first
    ['allowlist', GROUP_LISTED, { groups: { '42': { requireMention: false } } }, 'accepted', 'groupAllowFrom'],
  ];
  it.each(rows)('groupPolicy=%s sender=%s %j → %s (%s)', (groupPolicy, sender, overrides, decision, reason) => {
    const result = decideAccess({ policy: config({ groupPolicy, ...overrides }), message: group(sender), approved: APPROVED });
    expect(result).toMatchObject({ decision, reason, isGroup: true });
  });

  it('allowlist with no groupAllowFrom, no allowFrom and no approved senders blocks everyone', () => {
    const result = decideAccess({ policy: config({ allowFrom: [], groupAllowFrom: undefined }), message: group(UNKNOWN), approved: [] });
    expect(result).toMatchObject({ decision: 'rejected', reason: 'groupPolicy=allowlist, no groupAllowFrom' });
  });

  it('upstream: honors group allowlist when groupPolicy is allowlist', () => {
    const policy = config({ groupPolicy: 'allowlist', groupAllowFrom: ['+15550002222'] });
    expect(decideAccess({ policy, message: group('+15550002222') }).decision).toBe('accepted');
    expect(decideAccess({ policy, message: group('+15550003333') }).decision).toBe('rejected');
  });

  it('upstream: blocks group messages when groupPolicy is disabled', () => {
    expect(decideAccess({ policy: config({ groupPolicy: 'disabled' }), message: group(LISTED) }).decision).toBe('rejected');
  });

  it('upstream: blocks group messages when imessage.groups is set without a wildcard', () => {
    const policy = config({ groupPolicy: 'open', groups: { '1': { requireMention: false } } });
    expect(decideAccess({ policy, message: group(UNKNOWN, 99) })).toMatchObject({ decision: 'rejected', reason: 'chat not in groups' });
  });

  it('upstream: treats configured chat_id as a group even when is_group is false', () => {
    const policy = config({ groupPolicy: 'open', groups: { '2': { requireMention: false } } });
    const result = decideAccess({ policy, message: { sender: UNKNOWN, chatId: 2, isGroup: false } });
    expect(result).toMatchObject({ decision: 'accepted', isGroup: true });
  });
});

describe('decideAccess — per-group allowFrom (tutorial: groups.<chat_id>.allowFrom)', () => {
  const groups: Record<string, GroupSettings> = {
    '42': { requireMention: false, allowFrom: ['+15550004444', 'Friend@Example.com'] },
    '43': { allowFrom: [] },
    '*': { requireMention: true },
  };

  it.each([
    ['allowlist', '+15550004444', 42, 'accepted', 'group allowFrom'],
    ['allowlist', 'friend@example.com', 42, 'accepted', 'group allowFrom'],
    ['allowlist', GROUP_LISTED, 42, 'rejected', 'not in group allowFrom'], // replaces groupAllowFrom here
    ['allowlist', PAIRED, 42, 'rejected', 'not in group allowFrom'], // and DM-paired senders
    ['open', UNKNOWN, 42, 'rejected', 'not in group allowFrom'], // applies under open too
    ['open', '+15550004444', 42, 'accepted', 'group allowFrom'],
    ['disabled', '+15550004444', 42, 'rejected', 'groupPolicy=disabled'],
    ['allowlist', '+15550004444', 43, 'rejected', 'group allowFrom is empty'],
    ['allowlist', GROUP_LISTED, 44, 'accepted', 'groupAllowFrom'], // via "*" (no allowFrom there)
    ['allowlist', '+15550004444', 44, 'rejected', 'not in groupAllowFrom'],
  ] as [GroupPolicy, string, number, string, string][])('groupPolicy=%s sender=%s chat=%i → %s (%s)', (groupPolicy, sender, chatId, decision, reason) => {
    const result = decideAccess({ policy: config({ groupPolicy, groups }), message: group(sender, chatId), approved: APPROVED });
    expect(result).toMatchObject({ decision, reason });
  });

  it('groups["*"].allowFrom applies to chats without their own entry', () => {
    const policy = config({ groupPolicy: 'open', groups: { '*': { allowFrom: ['+15550004444'] } } });
    expect(decideAccess({ policy, message: group('+15550004444', 77) }).decision).toBe('accepted');
    expect(decideAccess({ policy, message: group(UNKNOWN, 77) })).toMatchObject({ decision: 'rejected', reason: 'not in group allowFrom' });
  });
});

describe('decideAccess — drops and group detection', () => {
  it.each([
    [{ sender: '', chatId: 1 }, 'empty sender'],
    [{ sender: '   ', chatId: 1 }, 'empty sender'],
    [{ sender: LISTED, chatId: 1, isFromMe: true }, 'from me'],
    [{ sender: LISTED, chatId: null, isGroup: true }, 'group without chat_id'],
  ] as [AccessMessage, string][])('%j → dropped (%s)', (message, reason) => {
    expect(decideAccess({ policy: config({ dmPolicy: 'open', allowFrom: ['*'], groupPolicy: 'open' }), message })).toMatchObject({
      decision: 'dropped',
      reason,
    });
  });

  it('detects groups by is_group, by ";+;" in the guid, or by an explicit groups key (not "*")', () => {
    const groups = { '2': {}, '*': {} };
    expect(isGroupMessage({ sender: 'x', isGroup: true }, {})).toBe(true);
    expect(isGroupMessage({ sender: 'x', chatGuid: 'iMessage;+;chat123' }, {})).toBe(true);
    expect(isGroupMessage({ sender: 'x', chatGuid: 'iMessage;-;+15550001111' }, {})).toBe(false);
    expect(isGroupMessage({ sender: 'x', chatId: 2 }, groups)).toBe(true);
    expect(isGroupMessage({ sender: 'x', chatId: 3 }, groups)).toBe(false);
    expect(isGroupMessage({ sender: 'x', chatId: 3 }, {})).toBe(false);
  });

  it('resolveGroupSettings prefers the chat entry over "*"', () => {
    const groups = { '2': { requireMention: false }, '*': { requireMention: true } };
    expect(resolveGroupSettings(groups, 2)).toEqual({ key: '2', settings: { requireMention: false } });
    expect(resolveGroupSettings(groups, 3)).toEqual({ key: '*', settings: { requireMention: true } });
    expect(resolveGroupSettings({}, 3)).toBeUndefined();
  });
});

describe('decideAccess — command authorization in groups', () => {
  it('is true for senders in allowFrom, groupAllowFrom or the allow store, false otherwise', () => {
    const policy = config({ groupPolicy: 'open' });
    for (const sender of [LISTED, GROUP_LISTED, PAIRED]) {
      expect(decideAccess({ policy, message: group(sender), approved: APPROVED }).commandAuthorized).toBe(true);
    }
    const stranger = decideAccess({ policy, message: group(UNKNOWN), approved: APPROVED });
    expect(stranger).toMatchObject({ decision: 'accepted', commandAuthorized: false });
  });
});

describe('decideAccess — performance', () => {
  it('compiles each config and approved list once (large lists stay cheap per message)', () => {
    const allowFrom = Array.from({ length: 5000 }, (_, i) => `+1555${String(i).padStart(7, '0')}`);
    const approved = Object.freeze(Array.from({ length: 2000 }, (_, i) => `user${i}@example.com`));
    const policy = config({ dmPolicy: 'allowlist', allowFrom });
    const messages = [dm(allowFrom[4999] as string), dm('user1999@example.com'), dm(UNKNOWN), group(GROUP_LISTED)];
    const { ms } = cpuMs(() => {
      for (let i = 0; i < 50_000; i += 1) decideAccess({ policy, message: messages[i % messages.length] as AccessMessage, approved });
    });
    const perCallMs = ms / 50_000;
    // Recompiling 7000 entries per call would cost milliseconds; a compiled check is ~1 µs.
    expect(perCallMs).toBeLessThan(0.05);
    expect(decideAccess({ policy, message: dm('user1999@example.com'), approved }).reason).toBe('paired');
  });

  it('accepts a precompiled policy', () => {
    const compiled = compileAccessPolicy(config());
    expect(decideAccess({ policy: compiled, message: dm(LISTED) }).decision).toBe('accepted');
  });
});
