// The control server's WebSocket side: which upgrades become sessions, the open sessions, the
// heartbeat that drops dead ones, events broadcast to the authenticated ones, and closing them all.
//
// An upgrade must pass the RequestGuard (Host, Origin), ask for CONTROL_WS_PATH and arrive while the
// server is not shutting down; each refusal is a plain HTTP answer that says why. Then:
//   - a client that offers the right token in its subprotocols (control-subprotocol.ts) is admitted
//     as signed in, while fewer than `maxConnections` are; strangers cannot take its place;
//   - any other client waits to sign in (`connect`) in a room of its own: at most
//     `maxPendingPerAddress` from one remote address (past that, the oldest of that address is
//     closed with 1008: admission.ts) and `maxConnections` in all (past that, 503), each for at
//     most `handshakeTimeoutMs`.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { CONTROL_WS_PATH, MAX_FRAME_BYTES } from '../../contract/constants';
import { CONTROL_SUBPROTOCOL, tokenFromSubprotocols } from '../../contract/control-subprotocol';
import type { ControlEvent, ControlEvents, EventFrame } from '../../contract/control-api';
import { Admission } from './admission';
import { tokensEqual } from './auth';
import { ControlSession, type SessionContext } from './control-session';
import type { RequestGuard } from './request-guard';

export interface ControlSocketStats {
  connections: number;
  authenticated: number;
}

export class ControlSockets {
  private readonly sessions = new Set<ControlSession>();
  /** Sessions that have not signed in yet, by remote address. */
  private readonly waiting: Admission<ControlSession>;
  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_FRAME_BYTES,
    perMessageDeflate: false,
    clientTracking: false,
    // Select our protocol when offered; never the token (that would echo it).
    handleProtocols: (offered) => (offered.has(CONTROL_SUBPROTOCOL) ? CONTROL_SUBPROTOCOL : false),
  });
  private readonly heartbeatTimer: NodeJS.Timeout;
  private eventSeq = 0;
  private shutdownSent = false;
  private closing = false;

  constructor(
    private readonly ctx: SessionContext,
    private readonly guard: RequestGuard,
  ) {
    this.heartbeatTimer = setInterval(() => {
      for (const session of this.sessions) session.heartbeat();
    }, ctx.limits.heartbeatIntervalMs);
    this.heartbeatTimer.unref();
    this.waiting = new Admission<ControlSession>({ perAddress: ctx.limits.maxPendingPerAddress, total: Number.POSITIVE_INFINITY }, (session) => {
      ctx.warn('pending-quota', 'closed the oldest unauthenticated control connection of an address (too many waiting)', { max: ctx.limits.maxPendingPerAddress });
      session.closeUnauthenticated('too many unauthenticated connections');
    });
  }

  /** The HTTP server's `upgrade` listener. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => {});
    const rejected = this.guard.check(req);
    if (rejected) return rejectUpgrade(socket, rejected.status, rejected.message);
    const path = (req.url ?? '').split(/[?#]/, 1)[0];
    if (path !== CONTROL_WS_PATH) return rejectUpgrade(socket, 404, `No WebSocket endpoint at ${path}; use ${CONTROL_WS_PATH}.`);
    if (this.closing) return rejectUpgrade(socket, 503, 'The gateway is shutting down.');
    const { maxConnections } = this.ctx.limits;
    const offeredToken = tokenFromSubprotocols((req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim()));
    const signedIn = offeredToken !== undefined && tokensEqual(offeredToken, this.ctx.token);
    const signedInCount = this.sessions.size - this.waiting.size;
    if (signedIn ? signedInCount >= maxConnections : this.waiting.size >= maxConnections) {
      this.ctx.warn('connections', 'refused a control connection: too many open', { max: maxConnections, signedIn });
      return rejectUpgrade(socket, 503, `Too many control connections (at most ${maxConnections})${signedIn ? '' : ' waiting to sign in'}. Close some clients and retry.`);
    }
    const address = req.socket.remoteAddress ?? 'unknown';
    this.wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      const session = new ControlSession(ws, this.ctx, {
        onSignedIn: (s) => this.waiting.remove(s),
        onClosed: (s) => {
          this.sessions.delete(s);
          this.waiting.remove(s);
        },
      });
      this.sessions.add(session);
      if (!signedIn) this.waiting.admit(address, session);
    });
  }

  /** Sends an event to every authenticated session, numbered in order. */
  broadcast<E extends ControlEvent>(event: E, payload: ControlEvents[E]): void {
    if (event === 'shutdown') this.shutdownSent = true;
    this.eventSeq += 1;
    const frame: EventFrame<E> = { type: 'event', event, payload, seq: this.eventSeq };
    const text = JSON.stringify(frame);
    for (const session of this.sessions) {
      if (session.ready) session.send(text);
    }
  }

  stats(): ControlSocketStats {
    return { connections: this.sessions.size, authenticated: [...this.sessions].filter((session) => session.ready).length };
  }

  /** Stops the heartbeat (also when the server never started listening). */
  stopHeartbeat(): void {
    clearInterval(this.heartbeatTimer);
  }

  /** Refuses new upgrades, sends `shutdown` (unless the services already did), closes every session with 1001. */
  async closeAll(shutdown: ControlEvents['shutdown']): Promise<void> {
    this.closing = true;
    if (!this.shutdownSent) this.broadcast('shutdown', shutdown);
    this.stopHeartbeat();
    await Promise.all([...this.sessions].map((session) => session.closeForShutdown(shutdown.reason)));
  }
}

function rejectUpgrade(socket: Duplex, status: number, message: string): void {
  const body = `${message}\n`;
  const reason = { 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 421: 'Misdirected Request', 503: 'Service Unavailable' }[status] ?? 'Error';
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
