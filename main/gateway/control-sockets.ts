// The control server's WebSocket side: which upgrades become sessions, the open sessions, the
// heartbeat that drops dead ones, events broadcast to the authenticated ones, and closing them all.
//
// An upgrade must pass the RequestGuard (Host, Origin), ask for CONTROL_WS_PATH, arrive while the
// server is not shutting down, and find a free slot (`maxConnections`, counting sessions that have
// not authenticated yet); each refusal is a plain HTTP answer that says why.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { CONTROL_WS_PATH, MAX_FRAME_BYTES } from '../../contract/constants';
import type { ControlEvent, ControlEvents, EventFrame } from '../../contract/control-api';
import { ControlSession, type SessionContext } from './control-session';
import type { RequestGuard } from './request-guard';

export interface ControlSocketStats {
  connections: number;
  authenticated: number;
}

export class ControlSockets {
  private readonly sessions = new Set<ControlSession>();
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false, clientTracking: false });
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
    if (this.sessions.size >= maxConnections) {
      this.ctx.warn('connections', 'refused a control connection: too many open', { max: maxConnections });
      return rejectUpgrade(socket, 503, `Too many control connections (at most ${maxConnections}). Close some clients and retry.`);
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.sessions.add(new ControlSession(ws, this.ctx, (session) => this.sessions.delete(session)));
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
