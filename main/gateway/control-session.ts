// One control WebSocket, from upgrade to close: the handshake, the token, and every request after
// it (validated against contract/control-api.ts, rate-limited, answered by the services).
//
//   handshake ──connect + right token──► authenticating ──status read──► ready
//
//   - the first frame must be `connect` with the token (compared in constant time) and the same
//     protocol version, within `handshakeTimeoutMs`; anything else is answered with the reason and
//     the socket is closed with 1008. Events go to ready sessions only (control-sockets.ts);
//   - requests are rate-limited per connection (a token bucket), failed `pairing.approve`/`pairing.deny`
//     attempts (guesses) also per connection and across all connections, and at most `maxInFlight` are
//     answered at once; params are validated before anything reaches a service;
//   - a session whose socket stops reading (unsent bytes over `maxBufferedBytes`) is dropped.
import type { RawData, WebSocket } from 'ws';
import type { z } from 'zod';
import { CONTROL_PROTOCOL_VERSION } from '../../contract/constants';
import { CONTROL_METHODS, isServiceMethod, requestFrameSchema, type ControlResult, type ResponseFrame } from '../../contract/control-api';
import type { ControlError } from '../../contract/gateway-api';
import { ActionableError } from '../util/actionable-error';
import type { Logger } from '../util/logger';
import { tokensEqual, WRONG_TOKEN_ERROR } from './auth';
import type { ControlServerLimits } from './control-server';
import { createTokenBucket, takeFromAll, type TokenBucket } from './rate-limit';
import type { GatewayServices } from './services';
import type { ThrottledWarn } from './throttled-warn';

/** What every session of one server shares. */
export interface SessionContext {
  token: string;
  version: string;
  services: GatewayServices;
  limits: ControlServerLimits;
  logger: Logger;
  warn: ThrottledWarn;
  now: () => number;
  /** Failed `pairing.approve` + `pairing.deny` attempts (guesses) across all connections. */
  globalPairingAttempts: TokenBucket;
}

type SessionState = 'handshake' | 'authenticating' | 'ready';

/** How a session tells its owner (control-sockets.ts) about itself. */
export interface SessionHooks {
  /** `connect` presented the right token. */
  onSignedIn(session: ControlSession): void;
  onClosed(session: ControlSession): void;
}

const PAIRING_ATTEMPT_METHODS: ReadonlySet<string> = new Set(['pairing.approve', 'pairing.deny']);

export class ControlSession {
  private state: SessionState = 'handshake';
  /** The name the client gave in `connect` (shown in the log). */
  clientName: string | undefined;
  /** Cleared by each heartbeat ping, set again by the pong. */
  private alive = true;
  private inFlight = 0;
  private readonly requests: TokenBucket;
  private readonly pairingAttempts: TokenBucket;
  private readonly handshakeTimer: NodeJS.Timeout;

  constructor(
    readonly ws: WebSocket,
    private readonly ctx: SessionContext,
    private readonly hooks: SessionHooks,
  ) {
    const { limits, now } = ctx;
    this.requests = createTokenBucket({ capacity: limits.requestBurst, windowMs: limits.requestWindowMs, now });
    this.pairingAttempts = createTokenBucket({ capacity: limits.pairingAttempts, windowMs: limits.pairingWindowMs, now });
    this.handshakeTimer = setTimeout(() => ws.close(1008, 'connect timeout'), limits.handshakeTimeoutMs);
    ws.on('pong', () => {
      this.alive = true;
    });
    ws.on('message', (data, isBinary) => this.onFrame(data, isBinary));
    ws.on('error', (error) => ctx.logger.debug('control socket error', { error: error.message }));
    ws.on('close', (code) => {
      clearTimeout(this.handshakeTimer);
      hooks.onClosed(this);
      if (this.state === 'ready') ctx.logger.debug('control client disconnected', { client: this.clientName, code });
    });
  }

  /** Authenticated: receives events. */
  get ready(): boolean {
    return this.state === 'ready';
  }

  /** One heartbeat: a socket that did not answer the previous ping is dropped, the others pinged. */
  heartbeat(): void {
    if (!this.alive) {
      this.ctx.logger.debug('dropping a control client that stopped answering pings', { client: this.clientName });
      this.ws.terminate();
      return;
    }
    this.alive = false;
    this.ws.ping();
  }

  /** Sends a frame, unless the socket is closed; drops a client that stopped reading. */
  send(text: string): void {
    const { ws } = this;
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > this.ctx.limits.maxBufferedBytes) {
      this.ctx.warn('slow-client', 'dropped a control client that stopped reading', { client: this.clientName });
      ws.terminate();
      return;
    }
    ws.send(text);
  }

  /** Closes a session that has not signed in with 1008 and `reason` (cut off after 1 s without a close reply). */
  closeUnauthenticated(reason: string): void {
    this.ws.close(1008, reason);
    setTimeout(() => this.ws.terminate(), 1_000).unref();
  }

  /** Closes with 1001 and `reason`; a peer that does not complete the closing handshake is cut off after 1 s. */
  closeForShutdown(reason: string): Promise<void> {
    return new Promise<void>((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close(1001, reason.slice(0, 100));
      setTimeout(() => this.ws.terminate(), 1_000).unref();
    });
  }

  private respond(id: string, outcome: { result: unknown } | { error: ControlError }): void {
    const frame: ResponseFrame = 'error' in outcome ? { type: 'res', id, ok: false, error: outcome.error } : { type: 'res', id, ok: true, result: outcome.result };
    this.send(JSON.stringify(frame));
  }

  private refuse(id: string, error: ControlError, closeReason: string): void {
    this.respond(id, { error });
    this.ws.close(1008, closeReason);
  }

  private onFrame(data: RawData, isBinary: boolean): void {
    if (isBinary) {
      this.ws.close(1003, 'binary frames are not supported');
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
      if (this.state === 'ready') this.respond(id, { error });
      else this.refuse(id, error, 'expected connect');
      return;
    }
    const { id, method, params } = frame.data;
    if (this.state === 'handshake') {
      if (method !== 'connect') {
        this.refuse(id, { code: 'unauthorized', message: 'The first request must be `connect` with the gateway token.' }, 'expected connect');
        return;
      }
      void this.handleConnect(id, params);
      return;
    }
    if (this.state === 'authenticating') {
      this.respond(id, { error: { code: 'bad_request', message: 'Wait for the connect response before sending requests.' } });
      return;
    }
    if (method === 'connect') {
      this.respond(id, { error: { code: 'bad_request', message: 'Already connected.' } });
      return;
    }
    void this.dispatch(id, method, params);
  }

  private async handleConnect(id: string, rawParams: unknown): Promise<void> {
    const { ctx } = this;
    const parsed = CONTROL_METHODS.connect.params.safeParse(rawParams ?? {});
    if (!parsed.success) {
      this.refuse(id, { code: 'bad_request', message: `Invalid connect request: ${describeIssues(parsed.error)}.` }, 'bad connect');
      return;
    }
    const params = parsed.data;
    if (params.protocol !== CONTROL_PROTOCOL_VERSION) {
      this.refuse(
        id,
        {
          code: 'bad_request',
          message: `Protocol mismatch: the client speaks control protocol ${params.protocol}, this gateway (${ctx.version}) speaks ${CONTROL_PROTOCOL_VERSION}.`,
          fix: 'Use the CLI and app of the same Clawdbot version as the gateway.',
        },
        'protocol mismatch',
      );
      return;
    }
    if (!tokensEqual(params.token, ctx.token)) {
      ctx.warn('ws-token', 'rejected a control connection with a wrong gateway token', { client: params.client.name });
      this.refuse(id, { ...WRONG_TOKEN_ERROR }, 'unauthorized');
      return;
    }
    clearTimeout(this.handshakeTimer);
    this.state = 'authenticating';
    this.clientName = params.client.name;
    this.hooks.onSignedIn(this);
    try {
      const status = await ctx.services.status({});
      const result: ControlResult<'connect'> = { protocol: CONTROL_PROTOCOL_VERSION, server: { version: ctx.version, pid: process.pid }, status };
      this.respond(id, { result });
      this.state = 'ready';
      ctx.logger.debug('control client connected', { client: this.clientName });
    } catch (error) {
      this.respond(id, { error: this.toControlError(error, 'connect') });
      this.ws.close(1011, 'status unavailable');
    }
  }

  private async dispatch(id: string, method: string, rawParams: unknown): Promise<void> {
    const { ctx } = this;
    const { limits } = ctx;
    if (!isServiceMethod(method)) {
      this.respond(id, {
        error: { code: 'bad_request', message: `Unknown method "${method}".`, fix: 'Use the CLI and app of the same Clawdbot version as the gateway.' },
      });
      return;
    }
    const isPairingAttempt = PAIRING_ATTEMPT_METHODS.has(method);
    const guessBuckets = [this.pairingAttempts, ctx.globalPairingAttempts];
    const allowed = takeFromAll(isPairingAttempt ? [this.requests, ...guessBuckets] : [this.requests]);
    if (!allowed.ok) {
      const seconds = Math.ceil(allowed.retryAfterMs / 1000);
      const message = isPairingAttempt
        ? `Too many pairing approve/deny attempts (at most ${limits.pairingAttempts} per ${Math.round(limits.pairingWindowMs / 1000)} s). Try again in ${seconds} s.`
        : `Too many requests on this connection. Try again in ${seconds} s.`;
      if (isPairingAttempt) ctx.warn('pairing-rate', 'pairing approve/deny attempts rate-limited', { client: this.clientName });
      this.respond(id, { error: { code: 'rate_limited', message, retryAfterMs: allowed.retryAfterMs } });
      return;
    }
    if (this.inFlight >= limits.maxInFlight) {
      this.respond(id, { error: { code: 'rate_limited', message: `Too many requests in progress on this connection (at most ${limits.maxInFlight}).`, retryAfterMs: 100 } });
      return;
    }
    // The table pairs each method with its own schema and handler; TypeScript cannot follow that
    // correlation through a union-typed key, hence the widening to unknown params.
    const schema: z.ZodType = CONTROL_METHODS[method].params;
    const parsed = schema.safeParse(rawParams ?? {});
    if (!parsed.success) {
      // Each problem also by field (`account.ssh.target`), so a form can show it next to the input.
      const issues = parsed.error.issues.slice(0, 20).map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
      this.respond(id, { error: { code: 'bad_request', message: `Invalid ${method} request: ${describeIssues(parsed.error)}.`, issues } });
      return;
    }
    this.inFlight += 1;
    try {
      const handler = ctx.services[method] as (params: unknown) => Promise<unknown>;
      const result = await handler.call(ctx.services, parsed.data);
      // Only failed guesses count against the pairing limit: an approval or denial of a real
      // pending code gives its attempt back, so the owner working through requests is never refused.
      if (isPairingAttempt) for (const bucket of guessBuckets) bucket.giveBack();
      this.respond(id, { result });
    } catch (error) {
      this.respond(id, { error: this.toControlError(error, method) });
    } finally {
      this.inFlight -= 1;
    }
  }

  private toControlError(error: unknown, method: string): ControlError {
    if (error instanceof ActionableError) {
      const mapped: ControlError = { code: error.code, message: error.message };
      if (error.fix) mapped.fix = error.fix;
      if (error.issues && error.issues.length > 0) mapped.issues = error.issues;
      return mapped;
    }
    this.ctx.logger.error('control method failed', { method, error: errorMessage(error) });
    return { code: 'internal', message: `${method} failed: ${errorMessage(error)}`, fix: 'See the gateway log for details.' };
  }
}

/** `params.code: a pairing code is …; params.notify: expected boolean` */
export function describeIssues(error: z.ZodError, prefix = 'params'): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => {
      const path = [prefix, ...issue.path.map(String)].join('.');
      return `${path}: ${issue.message}`;
    })
    .join('; ');
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
