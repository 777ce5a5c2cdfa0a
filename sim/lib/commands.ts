// The one-shot CLI commands of the real imsg: chats, history, watch, send, status (spec §4).
// Output and errors go to stdout; errors exit 1.
import { parseIsoTimestamp } from './apple-time';
import { CliError, parseDuration, parseOptions } from './cli-options';
import { openFailureText, openStore } from './open-db';
import { LineWriter } from './output';
import type { MessagePayload } from './payloads';
import { cliSendError, performSend, SendError } from './send';
import type { SimSettings } from './settings';
import { SimDb } from './sim-db';
import type { MessageStore } from './store';
import { DbChangeNotifier, WatchSubscription } from './watcher';

export interface CommandContext {
  settings: SimSettings;
  dbPath: string;
  home: string;
  out: LineWriter;
}

function storeOrFail(ctx: CommandContext): MessageStore {
  const opened = openStore(ctx.dbPath, ctx.home, ctx.settings);
  if (!opened.ok) throw new CliError(openFailureText(ctx.dbPath, opened.underlying, ctx.settings));
  return opened.store;
}

function isoOption(value: string | undefined, readable: boolean): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseIsoTimestamp(value);
  if (ms === null) throw new CliError(readable ? `Invalid ISO8601 date: ${value}` : `invalidISODate(${JSON.stringify(value)})`);
  return ms;
}

/** CLI limits go to SQL unchanged: 0 prints nothing, negative means no limit. */
function cliLimit(value: number | undefined, fallback: number): number | null {
  const limit = value ?? fallback;
  return limit < 0 ? null : limit;
}

function textLine(message: MessagePayload, withAttachmentLines: boolean): string[] {
  const lines = [`${message.created_at} [${message.is_from_me ? 'sent' : 'recv'}] ${message.sender}: ${message.text}`];
  if (withAttachmentLines) {
    for (const a of message.attachments) {
      lines.push(`  attachment: name=${a.transfer_name} mime=${a.mime_type} missing=${a.missing} path=${a.original_path}`);
    }
  } else if (message.attachments.length > 0) {
    lines.push(`  (${message.attachments.length} attachment${message.attachments.length === 1 ? '' : 's'})`);
  }
  return lines;
}

export async function chatsCommand(args: string[], ctx: CommandContext): Promise<number> {
  const options = parseOptions(args, { limit: 'value' });
  const limit = cliLimit(options.int('limit'), 20);
  const store = storeOrFail(ctx);
  try {
    for (const { chat, lastMessageAt } of store.listChats(limit)) {
      if (!options.has('json')) {
        await ctx.out.line(`[${chat.id}] ${chat.name} (${chat.identifier}) last=${lastMessageAt}`);
        continue;
      }
      const json: Record<string, unknown> = { id: chat.id, name: chat.name, identifier: chat.identifier, service: chat.service, last_message_at: lastMessageAt };
      if (ctx.settings.profile.richCliJson) {
        if (chat.guid) json.guid = chat.guid;
        if (chat.name) json.display_name = chat.name;
        json.is_group = store.isGroup(chat.identifier, chat.guid);
        json.participants = store.participants(chat.id);
        if (chat.accountId) json.account_id = chat.accountId;
        if (chat.accountLogin) json.account_login = chat.accountLogin;
        if (chat.lastAddressedHandle) json.last_addressed_handle = chat.lastAddressedHandle;
      }
      await ctx.out.json(json);
    }
  } finally {
    store.close();
  }
  return 0;
}

export async function historyCommand(args: string[], ctx: CommandContext): Promise<number> {
  const options = parseOptions(args, {
    'chat-id': 'value', limit: 'value', attachments: 'flag', 'convert-attachments': 'flag', participants: 'list', start: 'value', end: 'value',
  });
  const chatId = options.int('chat-id');
  if (chatId === undefined) throw new CliError('Missing required option: --chat-id');
  const limit = cliLimit(options.int('limit'), 50);
  const readable = ctx.settings.profile.readableCliErrors;
  const startMs = isoOption(options.string('start'), readable);
  const endMs = isoOption(options.string('end'), readable);
  const store = storeOrFail(ctx);
  try {
    const messages = store.history({ chatId, limit, participants: options.list('participants'), startMs, endMs, attachments: true, reactions: true });
    for (const message of messages) {
      if (options.has('json')) await ctx.out.json(message);
      else for (const line of textLine(message, options.has('attachments'))) await ctx.out.line(line);
    }
  } finally {
    store.close();
  }
  return 0;
}

/** Streams new messages until killed (same engine as RPC watch; CLI default debounce 250 ms). */
export async function watchCommand(args: string[], ctx: CommandContext): Promise<number> {
  const options = parseOptions(args, {
    'chat-id': 'value', 'since-rowid': 'value', debounce: 'value', attachments: 'flag', 'convert-attachments': 'flag',
    reactions: 'flag', participants: 'list', start: 'value', end: 'value', 'bb-events': 'flag',
  });
  const { profile } = ctx.settings;
  const debounceRaw = options.string('debounce');
  const debounceMs = debounceRaw !== undefined ? parseDuration(debounceRaw, 'debounce') : ctx.settings.debounceMs ?? 250;
  const startMs = isoOption(options.string('start'), profile.readableCliErrors);
  const endMs = isoOption(options.string('end'), profile.readableCliErrors);
  const store = storeOrFail(ctx);
  const includeReactions = profile.threadAndReactionEvents && options.has('reactions');
  return new Promise<number>((resolve) => {
    const subscription = new WatchSubscription(1, store, new DbChangeNotifier(ctx.dbPath), {
      chatId: options.int('chat-id'),
      sinceRowid: options.int('since-rowid'),
      participants: options.list('participants'),
      startMs,
      endMs,
      attachments: true,
      includeReactions,
      reactions: true,
      debounceMs,
      fsEvents: ctx.settings.fsEvents,
      pollMs: profile.debounceAndFallbackPoll ? ctx.settings.pollMs : null,
    }, {
      message: (message) => {
        if (options.has('json')) void ctx.out.json(message);
        else for (const line of textLine(message, options.has('attachments'))) void ctx.out.line(line);
      },
      error: (text) => {
        void ctx.out.line(text).then(() => resolve(1));
      },
    });
    subscription.start(false);
  });
}

export async function sendCommand(args: string[], ctx: CommandContext): Promise<number> {
  const options = parseOptions(args, {
    to: 'value', 'chat-id': 'value', 'chat-identifier': 'value', 'chat-guid': 'value', text: 'value', file: 'value',
    service: 'value', region: 'value', transport: 'value',
  });
  const chatId = options.int('chat-id');
  const { profile } = ctx.settings;
  // The real CLI opens chat.db first from 0.6.0 on (before, only for --chat-id); the simulator
  // always needs it, because its stand-in Messages.app writes the sent row there.
  const opened = openStore(ctx.dbPath, ctx.home, ctx.settings);
  if (!opened.ok) throw new CliError(openFailureText(ctx.dbPath, opened.underlying, ctx.settings));
  let messages: SimDb | null = null;
  try {
    await performSend({
      to: options.string('to'),
      chatId,
      chatIdentifier: options.string('chat-identifier'),
      chatGuid: options.string('chat-guid'),
      text: options.string('text'),
      file: options.string('file'),
      service: options.string('service'),
      region: options.string('region'),
    }, {
      store: opened.store,
      settings: { ...ctx.settings, fromMeDelayMs: 0 },
      verify: false,
      messages: () => (messages ??= SimDb.open(ctx.dbPath, { home: ctx.home })),
    });
  } catch (error) {
    if (error instanceof SendError) throw new CliError(cliSendError(error.failure, profile.readableCliErrors));
    throw error;
  } finally {
    (messages as SimDb | null)?.close();
    opened.store.close();
  }
  await (options.has('json') ? ctx.out.json({ status: 'sent' }) : ctx.out.line('sent'));
  return 0;
}

/** `imsg status` (0.6.0+): what works on this machine. On Linux: reading yes, bridge features no. */
export async function statusCommand(args: string[], ctx: CommandContext): Promise<number> {
  const options = parseOptions(args, {});
  const { profile } = ctx.settings;
  const opened = openStore(ctx.dbPath, ctx.home, ctx.settings);
  if (opened.ok) opened.store.close();
  const message = opened.ok ? 'Basic features available; advanced features need macOS with SIP disabled.' : openFailureText(ctx.dbPath, opened.underlying, ctx.settings);
  const status: Record<string, unknown> = {
    basic_features: opened.ok, advanced_features: false, typing_indicators: false, read_receipts: false, sip: 'unknown', message,
  };
  if (profile.bridgeMethods.has('typing')) {
    status.v2_ready = false;
    status.selectors = {};
    status.rpc_methods = ['chats.list', 'messages.history', 'watch.subscribe', 'watch.unsubscribe', 'send', ...profile.bridgeMethods];
  }
  if (profile.replyContext) status.version = profile.version;
  if (options.has('json')) await ctx.out.json(status);
  else await ctx.out.line(`basic features: ${opened.ok ? 'available' : 'unavailable'}\nadvanced features: unavailable\n${message}`);
  return 0;
}
