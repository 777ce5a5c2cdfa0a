// `imsg rpc`: JSON-RPC 2.0 over stdin/stdout, one JSON object per line (spec §1, §2). Requests are
// handled one at a time in arrival order (a slow `send` holds up the rest); watch notifications
// are written whenever their subscription produces them. The fault switches (stall, crash, …) hook
// in here.
import { createInterface } from 'node:readline';
import { parseIsoTimestamp } from './apple-time';
import { crashNow, OnceMarker } from './faults';
import { openFailureText, openStore } from './open-db';
import { LineWriter } from './output';
import { paramBool, paramInt, paramString, paramStringArray, type Params } from './params';
import { performSend, rpcSendError, SendError } from './send';
import type { SimSettings } from './settings';
import { SimDb } from './sim-db';
import { describeSqliteError } from './sqlite';
import type { MessageStore } from './store';
import { BRIDGE_UNAVAILABLE, PARSE_ERROR_DATA } from './texts';
import { DbChangeNotifier, WatchSubscription } from './watcher';

export class RpcError extends Error {
  constructor(readonly code: number, readonly rpcMessage: string, readonly data: string) {
    super(data);
  }
}

const invalidParams = (data: string) => new RpcError(-32602, 'Invalid params', data);
const internalError = (data: string) => new RpcError(-32603, 'Internal error', data);

/** Any failure inside a handler as the JSON-RPC error imsg would send (SQLite errors become -32603). */
function toRpcError(error: unknown): RpcError {
  if (error instanceof RpcError) return error;
  if (error instanceof SendError) {
    const { code, data } = rpcSendError(error.failure);
    return code === -32602 ? invalidParams(data) : internalError(data);
  }
  return internalError(describeSqliteError(error));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `start`/`end` params: absent → undefined; invalid → -32603 (yes, not -32602: spec §1.7). */
function isoParam(params: Params, key: string): number | undefined {
  const value = paramString(params, key);
  if (value === undefined || value === '') return undefined;
  const ms = parseIsoTimestamp(value);
  if (ms === null) throw internalError(`Invalid ISO8601 date: ${value}`);
  return ms;
}

export interface RpcServerOptions {
  dbPath: string;
  home: string;
  settings: SimSettings;
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
}

/** Runs the server until stdin ends; resolves with the exit code (0, or 1 after a startup failure). */
export async function runRpcServer(options: RpcServerOptions): Promise<number> {
  const { settings, dbPath } = options;
  const writer = new LineWriter(options.output ?? process.stdout, settings.garbage);
  const opened = openStore(dbPath, options.home, settings);
  let startupError: string | null = null;
  if (!opened.ok) {
    const text = openFailureText(dbPath, opened.underlying, settings);
    if (settings.profile.startupFailure !== 'server') {
      // 0.3.0–0.8.1: plain text on stdout, exit 1 at once, stdin never read.
      await writer.line(text);
      return 1;
    }
    startupError = text;
  }
  const server = new RpcServer(options, writer, opened.ok ? opened.store : null, startupError);
  return server.run(options.input ?? process.stdin);
}

class RpcServer {
  private readonly queue: string[] = [];
  private busy = false;
  private inputEnded = false;
  private answered = 0;
  private stallSpent = false;
  private notificationsSent = 0;
  private nextSubscriptionId = 1;
  private readonly subscriptions = new Map<number, WatchSubscription>();
  private readonly once: OnceMarker;
  private readonly notifier: DbChangeNotifier;
  private messagesDb: SimDb | null = null;
  private finish: (code: number) => void = () => {};

  constructor(
    private readonly options: RpcServerOptions,
    private readonly writer: LineWriter,
    private readonly store: MessageStore | null,
    /** Set in 0.8.2+ startup-error mode: every request is answered -32603 with this text. */
    private readonly startupError: string | null,
  ) {
    this.once = new OnceMarker(options.settings.onceMarker);
    this.notifier = new DbChangeNotifier(options.dbPath);
  }

  run(input: NodeJS.ReadableStream): Promise<number> {
    const { settings } = this.options;
    if (settings.crashOnSignal) {
      process.on(settings.crashOnSignal, () => {
        if (!this.once.armed()) return;
        this.once.fire(`crash on ${settings.crashOnSignal}`);
        crashNow();
      });
    }
    this.writer.startupNoise();
    const lines = createInterface({ input, crlfDelay: Infinity });
    lines.on('line', (line) => {
      this.queue.push(line);
      void this.pump();
    });
    lines.on('close', () => {
      this.inputEnded = true;
      void this.pump();
    });
    return new Promise((resolve) => {
      this.finish = resolve;
    });
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    while (this.queue.length > 0) {
      await this.maybeStall();
      await this.handleLine(this.queue.shift() as string);
      // Let watch polls run between requests, as imsg's subscription tasks run beside its request loop.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.busy = false;
    if (this.inputEnded) await this.shutdown();
  }

  /** IMSG_SIM_STALL_AFTER: after N responses, stop answering (keep reading) for IMSG_SIM_STALL_MS or forever. */
  private async maybeStall(): Promise<void> {
    const { stallAfter, stallMs } = this.options.settings;
    if (stallAfter === null || this.stallSpent || this.answered < stallAfter || !this.once.armed()) return;
    this.stallSpent = true;
    this.once.fire('stall');
    await new Promise<void>((resolve) => {
      if (stallMs !== null) setTimeout(resolve, stallMs);
    });
  }

  private async shutdown(): Promise<void> {
    for (const subscription of this.subscriptions.values()) subscription.stop();
    this.subscriptions.clear();
    this.notifier.close();
    this.messagesDb?.close();
    this.store?.close();
    await this.writer.flush();
    this.finish(this.startupError === null ? 0 : 1);
  }

  private respond(id: unknown, result: unknown): Promise<void> {
    this.answered++;
    return this.writer.json({ jsonrpc: '2.0', id, result });
  }

  private respondError(id: unknown, error: RpcError): Promise<void> {
    this.answered++;
    return this.writer.json({ jsonrpc: '2.0', id, error: { code: error.code, message: error.rpcMessage, data: error.data } });
  }

  private async handleLine(raw: string): Promise<void> {
    const line = raw.trim();
    if (line === '') return;
    let request: unknown;
    try {
      request = JSON.parse(line);
    } catch {
      return this.respondError(null, new RpcError(-32700, 'Parse error', PARSE_ERROR_DATA));
    }
    if (!isObject(request)) return this.respondError(null, new RpcError(-32600, 'Invalid Request', 'request must be an object'));
    const hasId = Object.prototype.hasOwnProperty.call(request, 'id');
    const id = hasId ? request.id : null;
    if (typeof request.jsonrpc === 'string' && request.jsonrpc !== '2.0') {
      return this.respondError(id, new RpcError(-32600, 'Invalid Request', 'jsonrpc must be 2.0'));
    }
    const method = request.method;
    if (typeof method !== 'string' || method === '') {
      return this.respondError(id, new RpcError(-32600, 'Invalid Request', 'method is required'));
    }
    const params: Params = isObject(request.params) ? request.params : {};
    try {
      if (this.startupError !== null || !this.store) throw internalError(this.startupError ?? 'database not open');
      const result = await this.dispatch(method, params, this.store);
      // A notification (no `id` key) that succeeds gets no output; errors are always reported.
      if (hasId) await this.respond(id, result);
    } catch (error) {
      await this.respondError(id, toRpcError(error));
    }
  }

  private async dispatch(method: string, params: Params, store: MessageStore): Promise<unknown> {
    switch (method) {
      case 'chats.list': return this.chatsList(params, store);
      case 'messages.history': return this.history(params, store);
      case 'watch.subscribe': return this.subscribe(params, store);
      case 'watch.unsubscribe': return this.unsubscribe(params);
      case 'send': return this.send(params, store);
      default:
        if (this.options.settings.profile.bridgeMethods.has(method)) throw internalError(BRIDGE_UNAVAILABLE);
        throw new RpcError(-32601, 'Method not found', method);
    }
  }

  private chatsList(params: Params, store: MessageStore): unknown {
    const limit = Math.max(1, paramInt(params, 'limit') ?? 20);
    return { chats: store.listChats(limit).map(({ chat, lastMessageAt }) => store.rpcChat(chat, lastMessageAt)) };
  }

  private history(params: Params, store: MessageStore): unknown {
    const chatId = paramInt(params, 'chat_id');
    if (chatId === undefined) throw invalidParams('chat_id is required');
    const attachments = paramBool(params, 'attachments') ?? false;
    return {
      messages: store.history({
        chatId,
        limit: Math.max(1, paramInt(params, 'limit') ?? 50),
        participants: paramStringArray(params, 'participants'),
        startMs: isoParam(params, 'start'),
        endMs: isoParam(params, 'end'),
        attachments,
        reactions: this.options.settings.profile.reactionsDecoupled || attachments,
      }),
    };
  }

  private subscribe(params: Params, store: MessageStore): unknown {
    const { profile, debounceMs: defaultDebounce, pollMs, notifyBeforeResponse } = this.options.settings;
    let debounceMs = defaultDebounce ?? (profile.debounceAndFallbackPoll ? 500 : 250);
    if (profile.debounceAndFallbackPoll) {
      const key = 'debounce_ms' in params ? 'debounce_ms' : 'debounceMs' in params ? 'debounceMs' : null;
      if (key !== null) {
        const value = paramInt(params, key);
        if (value === undefined || value < 0) throw invalidParams('debounce_ms must be a non-negative integer');
        debounceMs = value;
      }
    }
    const attachments = paramBool(params, 'attachments') ?? false;
    const includeReactions = profile.threadAndReactionEvents && (paramBool(params, 'include_reactions') ?? false);
    const startMs = isoParam(params, 'start');
    const endMs = isoParam(params, 'end');
    const id = this.nextSubscriptionId++;
    const subscription = new WatchSubscription(id, store, this.notifier, {
      chatId: paramInt(params, 'chat_id'),
      sinceRowid: paramInt(params, 'since_rowid'),
      participants: paramStringArray(params, 'participants'),
      startMs,
      endMs,
      attachments,
      includeReactions,
      reactions: profile.reactionsDecoupled ? includeReactions : attachments,
      debounceMs,
      fsEvents: this.options.settings.fsEvents,
      pollMs: profile.debounceAndFallbackPoll ? pollMs : null,
    }, {
      message: (message) => this.notify({ jsonrpc: '2.0', method: 'message', params: { subscription: id, message } }),
      error: (text) => void this.writer.json({ jsonrpc: '2.0', method: 'error', params: { subscription: id, error: { message: text } } }),
    });
    this.subscriptions.set(id, subscription);
    subscription.start(notifyBeforeResponse);
    return { subscription: id };
  }

  /** Writes a `message` notification; IMSG_SIM_CRASH_AFTER kills the process right after the Nth. */
  private notify(notification: unknown): void {
    const { crashAfter } = this.options.settings;
    const crashDue = crashAfter !== null && this.once.armed();
    if (crashDue && crashAfter === 0) {
      this.once.fire('crash after 0 notifications');
      crashNow();
    }
    const written = this.writer.json(notification);
    this.notificationsSent++;
    if (crashDue && this.notificationsSent >= crashAfter) {
      this.once.fire(`crash after ${crashAfter} notifications`);
      this.writer.freeze();
      void written.then(() => crashNow());
    }
  }

  private unsubscribe(params: Params): unknown {
    const id = paramInt(params, 'subscription');
    if (id === undefined) throw invalidParams('subscription is required');
    this.subscriptions.get(id)?.stop();
    this.subscriptions.delete(id);
    return { ok: true };
  }

  private async send(params: Params, store: MessageStore): Promise<unknown> {
    const { settings } = this.options;
    const outcome = await performSend({
      to: paramString(params, 'to'),
      chatId: paramInt(params, 'chat_id'),
      chatIdentifier: paramString(params, 'chat_identifier'),
      chatGuid: paramString(params, 'chat_guid'),
      text: paramString(params, 'text'),
      file: paramString(params, 'file'),
      service: paramString(params, 'service'),
      region: paramString(params, 'region'),
      transport: paramString(params, 'transport'),
    }, {
      store,
      settings,
      verify: settings.profile.sendVerification,
      messages: () => (this.messagesDb ??= SimDb.open(this.options.dbPath, { home: this.options.home })),
    });
    const result: Record<string, unknown> = { ok: true };
    if (settings.profile.sendTransport) result.transport = 'applescript';
    if (outcome.rowid !== undefined) result.id = outcome.rowid;
    if (outcome.guid) result.guid = outcome.guid;
    return result;
  }
}
