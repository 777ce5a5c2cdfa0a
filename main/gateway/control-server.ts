// The gateway's control API: one port, HTTP and WebSocket, put together from named parts:
//
//   request-guard.ts    Host and Origin checks every request passes first (DNS rebinding, cross-site)
//   http-routes.ts      GET /health, the 426 for a plain GET /ws, the web UI files
//   control-sockets.ts  WebSocket upgrades, the open sessions, heartbeat, event broadcast
//   control-session.ts  one WebSocket: handshake and token, request validation, rate limits, dispatch
//   listen.ts           binding the port, and why it could not be bound
//
// Security model (the threats are other users' and web pages' access to a loopback port):
//   - binds 127.0.0.1 by default; a token is always required, and any bind needs one;
//   - the Host header must name this server (bound beyond loopback: also this machine's addresses
//     and host name, as LAN clients write it) and an Origin header, when present, must be the
//     gateway's own or an allowed one (request-guard.ts);
//   - the first WebSocket frame must be `connect` with the token (compared in constant time) within
//     `handshakeTimeoutMs`, else the socket is closed with 1008; events go to authenticated
//     sockets only;
//   - frames are at most MAX_FRAME_BYTES (bigger → close 1009); requests are rate-limited per
//     connection, concurrent connections are capped, and slow readers are dropped;
//   - nobody without the token can keep the owner out (admission.ts): a client that offers the
//     token when it upgrades is admitted past everyone waiting to sign in; those wait in a small
//     room per remote address (the oldest gives way) for at most `handshakeTimeoutMs`; and HTTP
//     connections without a request in progress (slowloris) get a bounded room where the oldest
//     give way to newcomers, instead of a cap that refuses everyone once full.
//
// Pairing codes: 8 characters from a 32-symbol alphabet, 32^8 ≈ 1.1e12 codes, at most 3 pending,
// each valid 1 hour. Approval happens only here (the local owner's CLI/UI, with the token), and
// failed `pairing.approve`/`pairing.deny` attempts (guesses: unknown or expired codes) are limited
// to 10 per minute per connection and 10 per minute across all connections; approving or denying a
// real pending code gives its attempt back. A token holder guessing blindly would need ~1e10 hours for a 1%
// chance; the limit exists so a leaked-but-misused token cannot brute-force codes quickly either.
import { createServer } from 'node:http';
import { CONTROL_WS_PATH, DEFAULT_GATEWAY_PORT, SIGN_IN_FRAGMENT } from '../../contract/constants';
import { CONTROL_EVENTS, type ControlEvents } from '../../contract/control-api';
import { admitHttpConnections } from './admission';
import { silentLogger, type Logger } from '../util/logger';
import { exposedHosts, hostPort, isLoopbackHost, reachableHost } from './addresses';
import { MIN_TOKEN_LENGTH } from './auth';
import { ControlSockets, type ControlSocketStats } from './control-sockets';
import { createHttpHandler } from './http-routes';
import { explainListenError, listen } from './listen';
import { createTokenBucket } from './rate-limit';
import { RequestGuard } from './request-guard';
import { SignInLinks } from './sign-in';
import type { GatewayServices } from './services';
import { createThrottledWarn } from './throttled-warn';

export interface ControlServerLimits {
  /**
   * Signed-in WebSocket connections, and, separately, connections waiting to sign in; more of
   * either are refused with HTTP 503 (the ones waiting never take a signed-in client's place).
   */
  maxConnections: number;
  /** Connections waiting to sign in from one remote address; past it, its oldest is closed (1008). */
  maxPendingPerAddress: number;
  /** Time a new socket has to send a valid `connect`. */
  handshakeTimeoutMs: number;
  /**
   * TCP connections without a complete HTTP request yet (slowloris), per remote address and in
   * all; past either, the oldest such connection is closed (admission.ts).
   */
  maxUnansweredPerAddress: number;
  maxUnanswered: number;
  /** Time a connection has to send a complete HTTP request head. */
  headersTimeoutMs: number;
  /** Ping interval; a socket that did not answer the previous ping is dropped. */
  heartbeatIntervalMs: number;
  /** Per-connection request bucket: burst size and the time it takes to refill. */
  requestBurst: number;
  requestWindowMs: number;
  /** Failed `pairing.approve` + `pairing.deny` attempts (guesses) per window, per connection and globally. */
  pairingAttempts: number;
  pairingWindowMs: number;
  /** Requests of one connection being answered at the same time. */
  maxInFlight: number;
  /** Unsent bytes queued for one socket before it is considered stuck and dropped. */
  maxBufferedBytes: number;
}

export const DEFAULT_LIMITS: ControlServerLimits = {
  maxConnections: 64,
  maxPendingPerAddress: 8,
  handshakeTimeoutMs: 3_000,
  maxUnansweredPerAddress: 32,
  maxUnanswered: 256,
  headersTimeoutMs: 5_000,
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
  /** Where the token is, in words, for the web UI's sign-in page (`local`: the visitor is on this machine). */
  tokenAt?: (local: boolean) => string;
  limits?: Partial<ControlServerLimits>;
  /** Clock for rate limits (tests). */
  now?: () => number;
}

export type ControlServerStats = ControlSocketStats;

export interface ControlServer {
  host: string;
  port: number;
  /** Base URL, e.g. http://127.0.0.1:18789 (the web UI; signInUrl() opens it signed in). */
  url: string;
  /** WebSocket URL, e.g. ws://127.0.0.1:18789/ws. */
  wsUrl: string;
  /** A new one-time sign-in link for the web UI: `<url>/#signin=<code>` (sign-in.ts). */
  signInUrl(): string;
  stats(): ControlServerStats;
  /**
   * Sends a `shutdown` event (unless the services already sent one), closes every socket with
   * 1001 and stops listening. Idempotent.
   */
  close(shutdown?: ControlEvents['shutdown']): Promise<void>;
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

  const warn = createThrottledWarn(logger, 10_000, now);
  const guard = new RequestGuard(warn);
  const signInLinks = new SignInLinks(now);

  // Bounds for slow or idle HTTP clients (WebSockets are not affected once upgraded): a request head
  // must arrive within headersTimeoutMs (checked every second), and connections without a request
  // in progress get a bounded room where the oldest give way to newcomers (admission.ts).
  const server = createServer(
    { headersTimeout: limits.headersTimeoutMs, requestTimeout: 30_000, connectionsCheckingInterval: 1_000 },
    createHttpHandler({ guard, token, version, services, staticDir: options.staticDir, signInLinks, tokenAt: options.tokenAt ?? (() => 'the gateway.token file in the gateway\'s state dir'), logger, warn }),
  );
  server.maxHeadersCount = 64;
  admitHttpConnections(server, { perAddress: limits.maxUnansweredPerAddress, total: limits.maxUnanswered }, (address) =>
    warn('slow-http', 'closed the oldest idle or unfinished HTTP connection (too many open)', { address }),
  );

  const globalPairingAttempts = createTokenBucket({ capacity: limits.pairingAttempts, windowMs: limits.pairingWindowMs, now });
  const sockets = new ControlSockets({ token, version, services, limits, logger, warn, now, globalPairingAttempts }, guard);
  server.on('upgrade', (req, socket, head) => sockets.handleUpgrade(req, socket, head));

  const unsubscribers = CONTROL_EVENTS.map((event) => services.on(event, (payload) => sockets.broadcast(event, payload)));

  try {
    await listen(server, host, requestedPort);
  } catch (error) {
    sockets.stopHeartbeat();
    for (const unsubscribe of unsubscribers) unsubscribe();
    throw await explainListenError(error, host, requestedPort);
  }
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : requestedPort;
  guard.listeningOn(host, port, options.allowedOrigins ?? []);

  const url = `http://${hostPort(reachableHost(host), port)}`;
  logger.info('control API listening', { url, ui: options.staticDir ? `${url}/` : null });
  const exposed = exposedHosts(host);
  if (exposed.length > 0) logger.warn('the control API is reachable from other machines (the token is required)', { at: exposed.map((h) => `http://${hostPort(h, port)}`) });

  let closing: Promise<void> | undefined;
  return {
    host,
    port,
    url,
    wsUrl: `ws://${hostPort(reachableHost(host), port)}${CONTROL_WS_PATH}`,
    signInUrl: () => `${url}/#${SIGN_IN_FRAGMENT}=${signInLinks.mint()}`,
    stats: () => sockets.stats(),
    close(shutdown = { reason: 'gateway stopping' }) {
      closing ??= (async () => {
        for (const unsubscribe of unsubscribers) unsubscribe();
        await sockets.closeAll(shutdown);
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      })();
      return closing;
    },
  };
}
