// A typed client for the gateway's control WebSocket, shared by the CLI (Node, `ws` package) and
// the renderer (browser WebSocket). Pure TypeScript: the WebSocket constructor is injected, so
// this file imports neither Node nor DOM types and typechecks in both projects.
//
//   const client = createControlClient({ url, token, WebSocket, clientName: 'cli' });
//   const hello = await client.ready;                  // rejects on a wrong token / no gateway
//   const { requests } = await client.request('pairing.list', {});
//   const off = client.on('pairing', (event) => …);
//   client.close();
import { CONTROL_PROTOCOL_VERSION } from './constants';
import { controlSubprotocols } from './control-subprotocol';
// Types only: control-api.ts loads zod, which the browser bundle must not carry.
import type { ControlEvent, ControlEvents, ControlParams, ControlResult, ServiceMethod } from './control-api';
import { Emitter } from './emitter';
import type { ControlErrorCode } from './gateway-api';
import type { FieldIssue } from './setup';

/** What the client reads from socket events (message: `data`; close: `code`, `reason`). */
export interface SocketEvent {
  type: string;
  data?: unknown;
  code?: number;
  reason?: string;
}

/** The part of the WebSocket API both the browser's and the `ws` package's sockets provide. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'message' | 'close' | 'error', listener: (event: SocketEvent) => void): void;
}

/** Browser `WebSocket` and `ws` alike: `protocols` are the offered subprotocols. */
export type WebSocketConstructor = new (url: string, protocols?: string[]) => WebSocketLike;

/** Errors the client adds to the server's codes: no answer in time, or the socket went away. */
export type ControlClientErrorCode = ControlErrorCode | 'timeout' | 'disconnected';

export class ControlClientError extends Error {
  override readonly name = 'ControlClientError';
  constructor(
    readonly code: ControlClientErrorCode,
    message: string,
    readonly fix?: string,
    readonly retryAfterMs?: number,
    /** A rejected config or account write, problem by field (nothing was written). */
    readonly issues?: FieldIssue[],
  ) {
    super(message);
  }
}

export interface ControlClientOptions {
  /** ws://127.0.0.1:18789/ws */
  url: string;
  token: string;
  WebSocket: WebSocketConstructor;
  /** Shown in the gateway's log, e.g. `cli`, `web-ui`, `app`. */
  clientName: string;
  clientVersion?: string;
  /** Time for the socket to open and the gateway to accept the token (default 5 s). */
  connectTimeoutMs?: number;
  /** Default per-request timeout (default 15 s). */
  requestTimeoutMs?: number;
}

export interface CloseInfo {
  code: number;
  reason: string;
}

export interface ControlClient {
  /** Resolves with the `connect` result once authenticated; rejects with a ControlClientError. */
  readonly ready: Promise<ControlResult<'connect'>>;
  request<M extends ServiceMethod>(method: M, params: ControlParams<M>, options?: { timeoutMs?: number }): Promise<ControlResult<M>>;
  on<E extends ControlEvent>(event: E, listener: (payload: ControlEvents[E]) => void): () => void;
  /** Called once when the connection ends (also after `close()`). */
  onClose(listener: (info: CloseInfo) => void): () => void;
  readonly closed: boolean;
  close(): void;
}

interface Pending {
  resolve(result: unknown): void;
  reject(error: ControlClientError): void;
  timer: ReturnType<typeof setTimeout>;
}

const OPEN = 1;

export function createControlClient(options: ControlClientOptions): ControlClient {
  const connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
  const requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
  const pending = new Map<string, Pending>();
  // One faulty listener must not stop the others or the socket: the emitter reports nothing.
  const events = new Emitter<ControlEvents>();
  const closeEvents = new Emitter<{ close: CloseInfo }>();
  let nextId = 0;
  let closed = false;
  let closedByUs = false;
  let authenticated = false;
  let closeInfo: CloseInfo | undefined;

  let resolveReady!: (result: ControlResult<'connect'>) => void;
  let rejectReady!: (error: ControlClientError) => void;
  const ready = new Promise<ControlResult<'connect'>>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  // A caller that only uses request() still learns about the failure through it.
  ready.catch(() => {});

  let socket: WebSocketLike;
  try {
    // The token also goes into the offered subprotocols: the gateway admits a client that has it
    // before any stranger waiting to sign in (control-subprotocol.ts).
    socket = new options.WebSocket(options.url, controlSubprotocols(options.token));
  } catch (error) {
    closed = true;
    rejectReady(new ControlClientError('disconnected', `Invalid gateway URL ${options.url}: ${(error as Error).message}`));
    return buildClient();
  }

  const connectTimer = setTimeout(() => {
    fail(new ControlClientError('timeout', `The gateway at ${options.url} did not accept the connection within ${connectTimeoutMs} ms.`, 'Check that the gateway is running: `clawdbot gateway`.'));
    socket.close(1000, 'connect timeout');
  }, connectTimeoutMs);

  socket.addEventListener('open', () => {
    const id = newId();
    track(id, connectTimeoutMs, (result) => {
      authenticated = true;
      clearTimeout(connectTimer);
      resolveReady(result as ControlResult<'connect'>);
    }, (error) => {
      clearTimeout(connectTimer);
      fail(error);
    });
    sendFrame({ type: 'req', id, method: 'connect', params: { token: options.token, client: { name: options.clientName, version: options.clientVersion }, protocol: CONTROL_PROTOCOL_VERSION } });
  });

  socket.addEventListener('message', (event) => {
    if (typeof event.data !== 'string') return;
    let frame: unknown;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return;
    }
    if (!isObject(frame)) return;
    if (frame.type === 'res' && typeof frame.id === 'string') {
      const entry = pending.get(frame.id);
      if (!entry) return;
      pending.delete(frame.id);
      clearTimeout(entry.timer);
      if (frame.ok === true) entry.resolve(frame.result);
      else entry.reject(toClientError(frame.error));
    } else if (frame.type === 'event' && typeof frame.event === 'string') {
      events.emit(frame.event as ControlEvent, frame.payload as never);
    }
  });

  socket.addEventListener('close', (event) => {
    clearTimeout(connectTimer);
    const info: CloseInfo = { code: event.code ?? 1006, reason: event.reason ?? '' };
    closed = true;
    closeInfo = info;
    const error = closedByUs
      ? new ControlClientError('disconnected', 'The control client was closed.')
      : authenticated
        ? new ControlClientError('disconnected', `The gateway closed the connection (${describeClose(info)}).`, 'Reconnect; if the gateway stopped, start it again with `clawdbot gateway`.')
        : new ControlClientError(
            'disconnected',
            `Cannot connect to the gateway at ${options.url} (${describeClose(info)}).`,
            'Check that the gateway is running (`clawdbot gateway`) and that the port is right.',
          );
    fail(error);
    closeEvents.emit('close', info);
    closeEvents.clear();
  });

  // 'error' is always followed by 'close', which reports it; listening keeps `ws` from throwing.
  socket.addEventListener('error', () => {});

  function newId(): string {
    nextId += 1;
    return String(nextId);
  }

  function sendFrame(frame: unknown): void {
    socket.send(JSON.stringify(frame));
  }

  function track(id: string, timeoutMs: number, resolve: (result: unknown) => void, reject: (error: ControlClientError) => void): void {
    const timer = setTimeout(() => {
      pending.delete(id);
      reject(new ControlClientError('timeout', `The gateway did not answer within ${timeoutMs} ms.`));
    }, timeoutMs);
    pending.set(id, { resolve, reject, timer });
  }

  /** Rejects `ready` (if still open) and every pending request. */
  function fail(error: ControlClientError): void {
    if (!authenticated) rejectReady(error);
    for (const [id, entry] of pending) {
      clearTimeout(entry.timer);
      pending.delete(id);
      entry.reject(error);
    }
  }

  function buildClient(): ControlClient {
    return {
      ready,
      request<M extends ServiceMethod>(method: M, params: ControlParams<M>, requestOptions: { timeoutMs?: number } = {}) {
        const send = (): Promise<ControlResult<M>> => {
          if (closed || socket.readyState !== OPEN) {
            return Promise.reject(
              closedByUs
                ? new ControlClientError('disconnected', 'The control client was closed.')
                : new ControlClientError('disconnected', `Not connected to the gateway${closeInfo ? ` (${describeClose(closeInfo)})` : ''}.`),
            );
          }
          const id = newId();
          return new Promise<ControlResult<M>>((resolve, reject) => {
            track(id, requestOptions.timeoutMs ?? requestTimeoutMs, (result) => resolve(result as ControlResult<M>), reject);
            sendFrame({ type: 'req', id, method, params });
          });
        };
        // Once connected, send at once (no extra turn of the event loop in which close() could
        // slip in); before that, queue behind the handshake.
        return authenticated ? send() : ready.then(send);
      },
      on(event, listener) {
        return events.on(event, listener);
      },
      onClose(listener) {
        if (closeInfo) {
          listener(closeInfo);
          return () => {};
        }
        return closeEvents.on('close', listener);
      },
      get closed() {
        return closed;
      },
      close() {
        if (closed) return;
        closed = true;
        closedByUs = true;
        fail(new ControlClientError('disconnected', 'The control client was closed.'));
        socket.close(1000, 'client closing');
      },
    };
  }

  return buildClient();
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function toClientError(raw: unknown): ControlClientError {
  if (!isObject(raw) || typeof raw.code !== 'string' || typeof raw.message !== 'string') {
    return new ControlClientError('internal', 'The gateway sent a malformed error.');
  }
  return new ControlClientError(
    raw.code as ControlErrorCode,
    raw.message,
    typeof raw.fix === 'string' ? raw.fix : undefined,
    typeof raw.retryAfterMs === 'number' ? raw.retryAfterMs : undefined,
    fieldIssues(raw.issues),
  );
}

/** The `issues` of an error, keeping only well-formed entries. */
function fieldIssues(raw: unknown): FieldIssue[] | undefined {
  if (!Array.isArray(raw)) return undefined;
  const issues = raw
    .filter((entry): entry is Record<string, unknown> => isObject(entry) && typeof entry.path === 'string' && typeof entry.message === 'string')
    .map((entry) => ({ path: entry.path as string, message: entry.message as string, ...(typeof entry.fix === 'string' ? { fix: entry.fix } : {}) }));
  return issues.length > 0 ? issues : undefined;
}

function describeClose({ code, reason }: CloseInfo): string {
  const known: Record<number, string> = {
    1000: 'closed normally',
    1001: 'gateway going away',
    1006: 'no connection or connection lost',
    1008: 'policy violation',
    1009: 'message too big',
    1011: 'gateway error',
    1013: 'gateway overloaded',
  };
  const text = known[code] ?? `code ${code}`;
  return reason ? `${text}: ${reason}` : text;
}
