// `imsg sim init|inject|sent`: the simulator's driver, for tests and demos. Output is JSON lines
// on stdout; errors go to stderr (exit 1), since stdout is meant for machines here.
import { CliError, parseOptions } from './cli-options';
import type { LineWriter } from './output';
import { REACTION_KINDS, type ReactionKind } from './reactions';
import { SimDb, type InjectOptions, type Service } from './sim-db';
import { SIM_INJECT_HELP } from './texts';

export interface SimCommandContext {
  dbPath: string;
  home: string;
  out: LineWriter;
}

const SIM_HELP = `imsg sim
Simulator driver (Linux stand-in for Messages.app; not part of the real imsg)

Usage:
  imsg sim init [--db <path>] [--me <handle> | --signed-out]
  imsg sim inject [--db <path>] --from <handle> --text <text> [options]   (see: imsg sim inject --help)
  imsg sim sent [--db <path>] [--since-rowid <n>] [--json | --text]
`;

export async function simCommand(args: string[], ctx: SimCommandContext): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    await ctx.out.line(SIM_HELP.trimEnd());
    return 0;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    await ctx.out.line((sub === 'inject' ? SIM_INJECT_HELP : SIM_HELP).trimEnd());
    return 0;
  }
  switch (sub) {
    case 'init': return init(rest, ctx);
    case 'inject': return inject(rest, ctx);
    case 'sent': return sent(rest, ctx);
    default: throw new CliError(`Unknown subcommand '${sub}' for command 'imsg sim' (use init, inject or sent)`);
  }
}

async function init(args: string[], ctx: SimCommandContext): Promise<number> {
  const options = parseOptions(args, { me: 'value', 'signed-out': 'flag' });
  const db = SimDb.create(ctx.dbPath, { me: options.string('me'), signedOut: options.has('signed-out'), home: ctx.home });
  try {
    await ctx.out.line(JSON.stringify({ db: ctx.dbPath, home: db.home, me: db.signedIn ? db.me : null, ...(db.signedIn ? {} : { signed_in: false }), max_rowid: db.maxRowid() }));
  } finally {
    db.close();
  }
  return 0;
}

function serviceOption(raw: string | undefined): Service | undefined {
  if (raw === undefined) return undefined;
  const lower = raw.toLowerCase();
  if (lower === 'imessage') return 'iMessage';
  if (lower === 'sms') return 'SMS';
  throw new CliError(`Invalid value for option: --service (use imessage or sms, got ${JSON.stringify(raw)})`);
}

/** Builds the InjectOptions of one row from the command line. */
export function injectOptionsFromArgs(args: string[]): { options: InjectOptions; count: number } {
  const o = parseOptions(args, {
    from: 'value', text: 'value', service: 'value', group: 'value', 'group-guid': 'value', name: 'value', participants: 'list',
    tahoe: 'flag', 'chat-id': 'value', attachment: 'list', 'missing-attachment': 'list', 'attributed-only': 'flag', 'reply-to': 'value',
    tapback: 'value', target: 'value', emoji: 'value', remove: 'flag', 'from-me': 'flag', unjoined: 'flag', date: 'value', count: 'value',
    guid: 'value', 'balloon-bundle-id': 'value',
  });
  const count = o.int('count') ?? 1;
  if (count < 1) throw new CliError('Invalid value for option: --count (must be at least 1)');
  const groupId = o.int('group');
  const options: InjectOptions = {
    from: o.string('from'),
    text: o.string('text'),
    service: serviceOption(o.string('service')),
    chatId: o.int('chat-id'),
    attributedOnly: o.has('attributed-only'),
    replyTo: o.string('reply-to'),
    fromMe: o.has('from-me'),
    unjoined: o.has('unjoined'),
    date: o.string('date'),
    guid: o.string('guid'),
    balloonBundleId: o.string('balloon-bundle-id'),
  };
  if (groupId !== undefined || o.has('group-guid')) {
    options.group = {
      id: groupId, guid: o.string('group-guid'), name: o.string('name'), participants: o.list('participants'),
      style: o.has('tahoe') ? 'tahoe' : 'legacy',
    };
  }
  const attachments = [
    ...o.all('attachment').map((path) => ({ path })),
    ...o.all('missing-attachment').map((name) => ({ name, missing: true })),
  ];
  if (attachments.length > 0) options.attachments = attachments;
  const tapback = o.string('tapback');
  if (tapback !== undefined) {
    if (!(REACTION_KINDS as readonly string[]).includes(tapback)) {
      throw new CliError(`Invalid value for option: --tapback (use one of ${REACTION_KINDS.join(', ')})`);
    }
    options.tapback = { kind: tapback as ReactionKind, target: o.required('target'), remove: o.has('remove'), emoji: o.string('emoji') };
  }
  if (options.from === undefined && !options.fromMe && options.chatId === undefined) throw new CliError('Missing required option: --from');
  return { options, count };
}

async function inject(args: string[], ctx: SimCommandContext): Promise<number> {
  const { options, count } = injectOptionsFromArgs(args);
  const list = count === 1 ? [options] : Array.from({ length: count }, (_, i) => ({
    ...options,
    text: options.text === undefined ? undefined : `${options.text} #${i + 1}`,
    guid: undefined,
  }));
  const db = SimDb.open(ctx.dbPath, { home: ctx.home });
  try {
    const results = db.injectMany(list);
    // One write for the whole batch: thousands of lines go out without thousands of awaits.
    await ctx.out.line(results.map((r) => JSON.stringify({ rowid: r.rowid, guid: r.guid, chat_id: r.chatId })).join('\n'));
  } finally {
    db.close();
  }
  return 0;
}

async function sent(args: string[], ctx: SimCommandContext): Promise<number> {
  // JSON lines by default (`--json` is accepted for symmetry); `--text` for people.
  const options = parseOptions(args, { 'since-rowid': 'value', text: 'flag' });
  const db = SimDb.open(ctx.dbPath, { home: ctx.home });
  try {
    for (const row of db.sent({ sinceRowid: options.int('since-rowid') })) {
      if (!options.has('text')) await ctx.out.line(JSON.stringify(row));
      else {
        const extra = row.attachments.length > 0 ? ` (+${row.attachments.length} attachment${row.attachments.length === 1 ? '' : 's'})` : '';
        await ctx.out.line(`[${row.rowid}] ${row.created_at} -> ${row.to ?? row.chat_identifier} (chat ${row.chat_id}): ${row.text}${extra}`);
      }
    }
  } finally {
    db.close();
  }
  return 0;
}
