// The gateway's control API: one port, HTTP and WebSocket.
//
//   GET /health   liveness JSON for anyone on this machine (`{ok, service, version, pid}`); with
//                 `Authorization: Bearer <token>` also the full GatewayStatus; a wrong token → 401.
//   GET /ws       WebSocket upgrade: the control protocol (contract/gateway-api.ts frames).
//   GET /*        the web UI (renderer build). Static assets carry no data, so they are served
//                 without the token; everything with data goes over the authenticated WebSocket.
//
// Security model (the threats are other users' and web pages' access to a loopback port):
//   - binds 127.0.0.1 by default; a token is always required, and any bind needs one;
//   - the Host header must name this server (`127.0.0.1:<port>`, `localhost:<port>`, `[::1]:<port>`
//     or the bind host): blocks DNS rebinding, where evil.example resolves to 127.0.0.1;
//   - an Origin header, when present, must be the gateway's own origin or an allowed one (the
//     app's): blocks cross-site WebSocket hijacking from any page the user visits. Non-browser
//     clients (the CLI) send no Origin and authenticate with the token like everyone else;
//   - the first WebSocket frame must be `connect` with the token (compared in constant time) within
//     `handshakeTimeoutMs`, else the socket is closed with 1008; events go to authenticated
//     sockets only;
//   - frames are at most MAX_FRAME_BYTES (bigger → close 1009); requests are rate-limited per
//     connection, concurrent connections are capped, and slow readers are dropped.
//
// Pairing codes: 8 characters from a 32-symbol alphabet, 32^8 ≈ 1.1e12 codes, at most 3 pending,
// each valid 1 hour. Approval happens only here (the local owner's CLI/UI, with the token), and
// `pairing.approve`/`pairing.deny` attempts are limited to 10 per minute per connection and 10 per
// minute across all connections. A token holder guessing blindly would need ~1e10 hours for a 1%
// chance; the limit exists so a leaked-but-misused token cannot brute-force codes quickly either.
import { request as httpRequest, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import {
  CONTROL_PROTOCOL_VERSION,
  CONTROL_WS_PATH,
  DEFAULT_GATEWAY_PORT,
  GATEWAY_SERVICE_ID,
  MAX_FRAME_BYTES,
  type ControlError,
  type ControlEvent,
  type ControlEvents,
  type ControlResult,
  type HealthResponse,
  type ResponseFrame,
} from '../../contract/gateway-api';
import { silentLogger, type Logger } from '../util/logger';
import { MIN_TOKEN_LENGTH, tokensEqual } from './auth';
import { connectParamsSchema, describeIssues, PARAM_SCHEMAS, requestFrameSchema } from './control-schemas';
import { SECURITY_HEADERS, serveStatic } from './http-static';
import { createTokenBucket, takeFromAll, type TokenBucket } from './rate-limit';
import { CONTROL_EVENTS, type GatewayServices, type ServiceMethod } from './services';
import { ActionableError } from '../util/actionable-error';

export interface ControlServerLimits {
  /** Open WebSocket connections (authenticated or not); more are refused with HTTP 503. */
  maxConnections: number;
  /** Time a new socket has to send a valid `connect`. */
  handshakeTimeoutMs: number;
  /** Ping interval; a socket that did not answer the previous ping is dropped. */
  heartbeatIntervalMs: number;
  /** Per-connection request bucket: burst size and the time it takes to refill. */
  requestBurst: number;
  requestWindowMs: number;
  /** `pairing.approve` + `pairing.deny` attempts per window, per connection and globally. */
  pairingAttempts: number;
  pairingWindowMs: number;
  /** Requests of one connection being answered at the same time. */
  maxInFlight: number;
  /** Unsent bytes queued for one socket before it is considered stuck and dropped. */
  maxBufferedBytes: number;
}

export const DEFAULT_LIMITS: ControlServerLimits = {
  maxConnections: 64,
  handshakeTimeoutMs: 5_000,
  heartbeatIntervalMs: 30_000,
  requestBurst: 60,
  requestWindowMs: 10_000,
  pairingAttempts: 10,
  pairingWindowMs: 60_000,
  maxInFlight: 32,
  maxBufferedBytes: 4 * 1024 * 1024,
};

export interface ControlServerOptions {
  /** Bind address (default 127.0.0.1). A non-loopback address is allowed only with a token. */
  host?: string;
  /** Default 18789; 0 picks a free port (tests). */
  port?: number;
  token: string;
  services: GatewayServices;
  /** Gateway version, reported by /health and `connect`. */
  version: string;
  logger?: Logger;
  /** The renderer build (out/renderer); null/undefined serves no UI. */
  staticDir?: string | null;
  /** Extra exact Origins allowed besides the gateway's own, e.g. the app's `app://clawdbot`. */
  allowedOrigins?: readonly string[];
  limits?: Partial<ControlServerLimits>;
  /** Clock for rate limits (tests). */
  now?: () => number;
}

export interface ControlServerStats {
  connections: number;
  authenticated: number;
}

export interface ControlServer {
  host: string;
  port: number;
  /** Base URL, e.g. http://127.0.0.1:18789 (the web UI; add `#token=…` to open it signed in). */
  url: string;
  /** WebSocket URL, e.g. ws://127.0.0.1:18789/ws. */
  wsUrl: string;
  stats(): ControlServerStats;
  /**
   * Sends a `shutdown` event (unless the services already sent one), closes every socket with
   * 1001 and stops listening. Idempotent.
   */
  close(shutdown?: ControlEvents['shutdown']): Promise<void>;
}

/** The port is taken. `holder` says whether by another Clawdbot gateway (then `pid` is known). */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  readonly code = 'EADDRINUSE';
  constructor(
    message: string,
    readonly host: string,
    readonly port: number,
    readonly holder: 'clawdbot' | 'other',
    readonly pid?: number,
  ) {
    super(message);
  }
}

type ConnectionState = 'handshake' | 'authenticating' | 'ready';

interface Connection {
  ws: WebSocket;
  state: ConnectionState;
  clientName?: string;
  alive: boolean;
  inFlight: number;
  requests: TokenBucket;
  pairingAttempts: TokenBucket;
  handshakeTimer: NodeJS.Timeout | undefined;
}

const PAIRING_ATTEMPT_METHODS: ReadonlySet<string> = new Set(['pairing.approve', 'pairing.deny']);

export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/** `host:port` with IPv6 addresses in brackets, as in URLs and Host headers. */
export function hostPort(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

export async function startControlServer(options: ControlServerOptions): Promise<ControlServer> {
  const host = options.host ?? '127.0.0.1';
  const requestedPort = options.port ?? DEFAULT_GATEWAY_PORT;
  const limits: ControlServerLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const logger = options.logger ?? silentLogger;
  const { services, token, version } = options;
  const now = options.now ?? Date.now;

  if (typeof token !== 'string' || token.length < MIN_TOKEN_LENGTH) {
    throw new Error(
      isLoopbackHost(host)
        ? `The control API needs a gateway token (at least ${MIN_TOKEN_LENGTH} characters); none was given.`
        : `Refusing to bind the control API to ${host} (not loopback) without a gateway token. Set gateway.auth.token or CLAWDBOT_GATEWAY_TOKEN, or bind to 127.0.0.1.`,
    );
  }

  const connections = new Set<Connection>();
  const globalPairingAttempts = createTokenBucket({ capacity: limits.pairingAttempts, windowMs: limits.pairingWindowMs, now });
  let eventSeq = 0;
  let shutdownSent = false;
  let closing: Promise<void> | undefined;
  const pid = process.pid;

  // Filled in once listening (the port may be 0 until then).
  let allowedHosts = new Set<string>();
  let allowedOrigins = new Set<string>();

  const warnThrottled = createThrottledWarn(logger, 10_000, now);

  // ---- HTTP ---------------------------------------------------------------------------------

  function checkHostAndOrigin(req: IncomingMessage): { status: number; message: string } | null {
    const hostHeader = (req.headers.host ?? '').toLowerCase();
    if (!allowedHosts.has(hostHeader)) {
      warnThrottled('host', 'rejected a request with an unexpected Host header (possible DNS rebinding)', { host: hostHeader });
      return { status: 421, message: `Unexpected Host header "${hostHeader}": the Clawdbot gateway only answers requests addressed to ${[...allowedHosts].join(', ')}.` };
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins.has(normalizeOrigin(origin))) {
      warnThrottled('origin', 'rejected a request from a foreign Origin', { origin });
      return { status: 403, message: `Origin ${origin} is not allowed to use the Clawdbot gateway.` };
    }
    return null;
  }

  function sendText(res: ServerResponse, status: number, message: string, extra: Record<string, string> = {}): void {
    res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...extra });
    res.end(`${message}\n`);
  }

  function sendJson(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
    res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...extra });
    res.end(JSON.stringify(body));
  }

  async function handleHealth(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const liveness: HealthResponse = { ok: true, service: GATEWAY_SERVICE_ID, version, pid };
    const authorization = req.headers.authorization;
    if (authorization === undefined) return sendJson(res, 200, liveness);
    const presented = /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
    if (!tokensEqual(presented, token)) {
      warnThrottled('http-token', 'rejected /health with a wrong gateway token');
      const error: ControlError = {
        code: 'unauthorized',
        message: 'Wrong gateway token.',
        fix: 'Use the token from gateway.auth.token, CLAWDBOT_GATEWAY_TOKEN or the gateway.token file in the state dir.',
      };
      return sendJson(res, 401, { ok: false, error }, { 'WWW-Authenticate': 'Bearer realm="clawdbot-gateway"' });
    }
    const full: HealthResponse = { ...liveness, status: await services.status({}) };
    sendJson(res, 200, full);
  }

  async function handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rejected = checkHostAndOrigin(req);
    if (rejected) return sendText(res, rejected.status, rejected.message);
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'Method not allowed.', { Allow: 'GET, HEAD' });
    const rawUrl = req.url ?? '/';
    if (!rawUrl.startsWith('/')) return sendText(res, 400, 'Bad request path.');
    const path = rawUrl.split(/[?#]/, 1)[0] ?? '/';

    if (path === '/health') return handleHealth(req, res);
    if (path === CONTROL_WS_PATH) return sendText(res, 426, 'This endpoint speaks WebSocket only.', { Upgrade: 'websocket' });
    if (!options.staticDir) return sendText(res, 404, 'Not found.');

    const result = await serveStatic(req, res, options.staticDir, path);
    if (result === 'served') return;
    if (result === 'bad-request') return sendText(res, 400, 'Bad request path.');
    if (result === 'no-ui') return sendText(res, 503, `The web UI is not built (no ${options.staticDir}). Run \`npm run build\` and reload.`);
    sendText(res, 404, 'Not found.');
  }

  const server: Server = createServer((req, res) => {
    handleHttp(req, res).catch((error: unknown) => {
      logger.error('control HTTP request failed', { path: req.url, error: errorMessage(error) });
      if (!res.headersSent) sendText(res, 500, 'Internal error; see the gateway log.');
      else res.destroy();
    });
  });
  // Bounds for slow or idle HTTP clients (WebSockets are not affected once upgraded).
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.maxHeadersCount = 64;
  server.maxConnections = limits.maxConnections * 4;

  // ---- WebSocket ----------------------------------------------------------------------------

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false, clientTracking: false });

  function rejectUpgrade(socket: Duplex, status: number, message: string): void {
    const body = `${message}\n`;
    const reason = { 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 421: 'Misdirected Request', 503: 'Service Unavailable' }[status] ?? 'Error';
    socket.once('finish', () => socket.destroy());
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
    const rejected = checkHostAndOrigin(req);
    if (rejected) return rejectUpgrade(socket, rejected.status, rejected.message);
    const path = (req.url ?? '').split(/[?#]/, 1)[0];
    if (path !== CONTROL_WS_PATH) return rejectUpgrade(socket, 404, `No WebSocket endpoint at ${path}; use ${CONTROL_WS_PATH}.`);
    if (closing) return rejectUpgrade(socket, 503, 'The gateway is shutting down.');
    if (connections.size >= limits.maxConnections) {
      warnThrottled('connections', 'refused a control connection: too many open', { max: limits.maxConnections });
      return rejectUpgrade(socket, 503, `Too many control connections (at most ${limits.maxConnections}). Close some clients and retry.`);
    }
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws));
  });

  function onConnection(ws: WebSocket): void {
    const conn: Connection = {
      ws,
      state: 'handshake',
      alive: true,
      inFlight: 0,
      requests: createTokenBucket({ capacity: limits.requestBurst, windowMs: limits.requestWindowMs, now }),
      pairingAttempts: createTokenBucket({ capacity: limits.pairingAttempts, windowMs: limits.pairingWindowMs, now }),
      handshakeTimer: setTimeout(() => ws.close(1008, 'connect timeout'), limits.handshakeTimeoutMs),
    };
    connections.add(conn);
    ws.on('pong', () => {
      conn.alive = true;
    });
    ws.on('message', (data, isBinary) => onFrame(conn, data, isBinary));
    ws.on('error', (error) => logger.debug('control socket error', { error: error.message }));
    ws.on('close', (code) => {
      clearTimeout(conn.handshakeTimer);
      connections.delete(conn);
      if (conn.state === 'ready') logger.debug('control client disconnected', { client: conn.clientName, code });
    });
  }

  function sendFrame(conn: Connection, text: string): void {
    const { ws } = conn;
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > limits.maxBufferedBytes) {
      warnThrottled('slow-client', 'dropped a control client that stopped reading', { client: conn.clientName });
      ws.terminate();
      return;
    }
    ws.send(text);
  }

  function respond(conn: Connection, id: string, outcome: { result: unknown } | { error: ControlError }): void {
    const frame: ResponseFrame = 'error' in outcome ? { type: 'res', id, ok: false, error: outcome.error } : { type: 'res', id, ok: true, result: outcome.result };
    sendFrame(conn, JSON.stringify(frame));
  }

  function refuse(conn: Connection, id: string, error: ControlError, closeReason: string): void {
    respond(conn, id, { error });
    conn.ws.close(1008, closeReason);
  }

  function onFrame(conn: Connection, data: RawData, isBinary: boolean): void {
    if (isBinary) {
      conn.ws.close(1003, 'binary frames are not supported');
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(rawText(data));
    } catch {
      parsed = undefined;
    }
    const frame = requestFrameSchema.safeParse(parsed);
    if (!frame.success) {
      const id = typeof (parsed as { id?: unknown } | undefined)?.id === 'string' ? String((parsed as { id: string }).id).slice(0, 128) : '';
      const error: ControlError = { code: 'bad_request', message: 'Malformed frame: expected {"type":"req","id":"…","method":"…","params":{…}} as JSON text.' };
      if (conn.state === 'ready') respond(conn, id, { error });
      else refuse(conn, id, error, 'expected connect');
      return;
    }
    const { id, method, params } = frame.data;
    if (conn.state === 'handshake') {
      if (method !== 'connect') {
        refuse(conn, id, { code: 'unauthorized', message: 'The first request must be `connect` with the gateway token.' }, 'expected connect');
        return;
      }
      void handleConnect(conn, id, params);
      return;
    }
    if (conn.state === 'authenticating') {
      respond(conn, id, { error: { code: 'bad_request', message: 'Wait for the connect response before sending requests.' } });
      return;
    }
    if (method === 'connect') {
      respond(conn, id, { error: { code: 'bad_request', message: 'Already connected.' } });
      return;
    }
    void dispatch(conn, id, method, params);
  }

  async function handleConnect(conn: Connection, id: string, rawParams: unknown): Promise<void> {
    const parsed = connectParamsSchema.safeParse(rawParams ?? {});
    if (!parsed.success) {
      refuse(conn, id, { code: 'bad_request', message: `Invalid connect request: ${describeIssues(parsed.error)}.` }, 'bad connect');
      return;
    }
    const params = parsed.data;
    if (params.protocol !== CONTROL_PROTOCOL_VERSION) {
      refuse(
        conn,
        id,
        {
          code: 'bad_request',
          message: `Protocol mismatch: the client speaks control protocol ${params.protocol}, this gateway (${version}) speaks ${CONTROL_PROTOCOL_VERSION}.`,
          fix: 'Use the CLI and app of the same Clawdbot version as the gateway.',
        },
        'protocol mismatch',
      );
      return;
    }
    if (!tokensEqual(params.token, token)) {
      warnThrottled('ws-token', 'rejected a control connection with a wrong gateway token', { client: params.client.name });
      refuse(
        conn,
        id,
        {
          code: 'unauthorized',
          message: 'Wrong gateway token.',
          fix: 'Use the token from gateway.auth.token, CLAWDBOT_GATEWAY_TOKEN or the gateway.token file in the state dir.',
        },
        'unauthorized',
      );
      return;
    }
    clearTimeout(conn.handshakeTimer);
    conn.state = 'authenticating';
    conn.clientName = params.client.name;
    try {
      const status = await services.status({});
      const result: ControlResult<'connect'> = { protocol: CONTROL_PROTOCOL_VERSION, server: { version, pid }, status };
      respond(conn, id, { result });
      conn.state = 'ready';
      logger.debug('control client connected', { client: conn.clientName });
    } catch (error) {
      respond(conn, id, { error: toControlError(error, 'connect') });
      conn.ws.close(1011, 'status unavailable');
    }
  }

  async function dispatch(conn: Connection, id: string, method: string, rawParams: unknown): Promise<void> {
    if (!Object.hasOwn(PARAM_SCHEMAS, method)) {
      respond(conn, id, {
        error: { code: 'bad_request', message: `Unknown method "${method}".`, fix: 'Use the CLI and app of the same Clawdbot version as the gateway.' },
      });
      return;
    }
    const serviceMethod = method as ServiceMethod;
    const isPairingAttempt = PAIRING_ATTEMPT_METHODS.has(method);
    const allowed = takeFromAll(isPairingAttempt ? [conn.requests, conn.pairingAttempts, globalPairingAttempts] : [conn.requests]);
    if (!allowed.ok) {
      const seconds = Math.ceil(allowed.retryAfterMs / 1000);
      const message = isPairingAttempt
        ? `Too many pairing approve/deny attempts (at most ${limits.pairingAttempts} per ${Math.round(limits.pairingWindowMs / 1000)} s). Try again in ${seconds} s.`
        : `Too many requests on this connection. Try again in ${seconds} s.`;
      if (isPairingAttempt) warnThrottled('pairing-rate', 'pairing approve/deny attempts rate-limited', { client: conn.clientName });
      respond(conn, id, { error: { code: 'rate_limited', message, retryAfterMs: allowed.retryAfterMs } });
      return;
    }
    if (conn.inFlight >= limits.maxInFlight) {
      respond(conn, id, { error: { code: 'rate_limited', message: `Too many requests in progress on this connection (at most ${limits.maxInFlight}).`, retryAfterMs: 100 } });
      return;
    }
    const parsed = PARAM_SCHEMAS[serviceMethod].safeParse(rawParams ?? {});
    if (!parsed.success) {
      respond(conn, id, { error: { code: 'bad_request', message: `Invalid ${method} request: ${describeIssues(parsed.error)}.` } });
      return;
    }
    conn.inFlight += 1;
    try {
      // The table above pairs each method with its own params type; TypeScript cannot follow
      // that correlation through an index, hence the cast.
      const handler = services[serviceMethod] as (params: unknown) => Promise<unknown>;
      const result = await handler.call(services, parsed.data);
      respond(conn, id, { result });
    } catch (error) {
      respond(conn, id, { error: toControlError(error, method) });
    } finally {
      conn.inFlight -= 1;
    }
  }

  function toControlError(error: unknown, method: string): ControlError {
    if (error instanceof ActionableError) {
      const mapped: ControlError = { code: error.code, message: error.message };
      if (error.fix) mapped.fix = error.fix;
      return mapped;
    }
    logger.error('control method failed', { method, error: errorMessage(error) });
    return { code: 'internal', message: `${method} failed: ${errorMessage(error)}`, fix: 'See the gateway log for details.' };
  }

  function broadcast<E extends ControlEvent>(event: E, payload: ControlEvents[E]): void {
    if (event === 'shutdown') shutdownSent = true;
    eventSeq += 1;
    const text = JSON.stringify({ type: 'event', event, payload, seq: eventSeq });
    for (const conn of connections) {
      if (conn.state === 'ready') sendFrame(conn, text);
    }
  }

  const unsubscribers = CONTROL_EVENTS.map((event) =>
    services.on(event, (payload: ControlEvents[typeof event]) => broadcast(event, payload)),
  );

  const heartbeat = setInterval(() => {
    for (const conn of connections) {
      if (!conn.alive) {
        logger.debug('dropping a control client that stopped answering pings', { client: conn.clientName });
        conn.ws.terminate();
        continue;
      }
      conn.alive = false;
      conn.ws.ping();
    }
  }, limits.heartbeatIntervalMs);
  heartbeat.unref();

  // ---- Listen -------------------------------------------------------------------------------

  try {
    await listen(server, host, requestedPort);
  } catch (error) {
    clearInterval(heartbeat);
    for (const unsubscribe of unsubscribers) unsubscribe();
    throw await explainListenError(error, host, requestedPort);
  }
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : requestedPort;

  allowedHosts = new Set(['127.0.0.1', 'localhost', '[::1]', host.toLowerCase()].map((h) => hostPort(h, port).toLowerCase()));
  const ownOrigins = ['127.0.0.1', 'localhost', '[::1]', host.toLowerCase()].map((h) => `http://${hostPort(h, port)}`);
  allowedOrigins = new Set([...ownOrigins, ...(options.allowedOrigins ?? [])].map(normalizeOrigin));

  const displayHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const url = `http://${hostPort(displayHost, port)}`;
  logger.info('control API listening', { url, ui: options.staticDir ? `${url}/` : null });

  return {
    host,
    port,
    url,
    wsUrl: `ws://${hostPort(displayHost, port)}${CONTROL_WS_PATH}`,
    stats: () => ({ connections: connections.size, authenticated: [...connections].filter((c) => c.state === 'ready').length }),
    close(shutdown = { reason: 'gateway stopping' }) {
      closing ??= (async () => {
        if (!shutdownSent) broadcast('shutdown', shutdown);
        for (const unsubscribe of unsubscribers) unsubscribe();
        clearInterval(heartbeat);
        const closed = [...connections].map(
          (conn) =>
            new Promise<void>((resolve) => {
              conn.ws.once('close', () => resolve());
              conn.ws.close(1001, shutdown.reason.slice(0, 100));
              // A peer that does not complete the closing handshake is cut off.
              setTimeout(() => conn.ws.terminate(), 1_000).unref();
            }),
        );
        await Promise.all(closed);
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      })();
      return closing;
    },
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

async function explainListenError(error: unknown, host: string, port: number): Promise<Error> {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') {
    const probeHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
    const other = await probeGateway(probeHost, port);
    const where = hostPort(probeHost, port);
    if (other) {
      return new PortInUseError(
        `Another Clawdbot gateway is already running on ${where} (pid ${other.pid}). Use \`clawdbot channels status\` to attach to it, or start this one with --port <other>.`,
        host,
        port,
        'clawdbot',
        other.pid,
      );
    }
    return new PortInUseError(`Port ${port} is in use by another program; choose --port <other> (or stop that program).`, host, port, 'other');
  }
  if (code === 'EACCES') return new Error(`Not allowed to listen on ${hostPort(host, port)}; choose a port above 1024 with --port.`);
  if (code === 'EADDRNOTAVAIL') return new Error(`Cannot bind the control API to ${host}: no such address on this machine. Use 127.0.0.1.`);
  return error instanceof Error ? error : new Error(String(error));
}

/** Asks whatever holds the port whether it is a Clawdbot gateway (unauthenticated /health). */
export function probeGateway(host: string, port: number, timeoutMs = 1_000): Promise<HealthResponse | undefined> {
  return new Promise((resolve) => {
    // Whatever the outcome, the probe's socket is closed: the other program may never close it.
    const finish = (value: HealthResponse | undefined) => {
      resolve(value);
      req.destroy();
    };
    const req = httpRequest(
      { host, port, path: '/health', method: 'GET', timeout: timeoutMs, agent: false, headers: { Host: hostPort(host, port), Accept: 'application/json' } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
          if (body.length > 64 * 1024) finish(undefined);
        });
        res.on('end', () => {
          try {
            const parsed = JSON.parse(body) as Partial<HealthResponse>;
            const isGateway = res.statusCode === 200 && parsed.service === GATEWAY_SERVICE_ID && typeof parsed.pid === 'number';
            finish(isGateway ? (parsed as HealthResponse) : undefined);
          } catch {
            finish(undefined);
          }
        });
        res.on('error', () => finish(undefined));
      },
    );
    req.on('timeout', () => finish(undefined));
    req.on('error', () => finish(undefined));
    req.end();
  });
}

/** Origins compare case-insensitively and without trailing slashes (`file://` → `file:`). */
function normalizeOrigin(origin: string): string {
  return origin.trim().toLowerCase().replace(/\/+$/, '');
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Security warnings can be triggered by anyone on the machine; logging each one would let them
 * flood the log ring. One line per kind per interval, with the number suppressed meanwhile.
 */
function createThrottledWarn(logger: Logger, intervalMs: number, now: () => number) {
  const last = new Map<string, { at: number; suppressed: number }>();
  return (kind: string, msg: string, data: Record<string, unknown> = {}): void => {
    const entry = last.get(kind);
    const t = now();
    if (entry && t - entry.at < intervalMs) {
      entry.suppressed += 1;
      return;
    }
    logger.warn(msg, entry && entry.suppressed > 0 ? { ...data, suppressedSinceLast: entry.suppressed } : data);
    last.set(kind, { at: t, suppressed: 0 });
  };
}
