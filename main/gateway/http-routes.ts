// The control server's plain HTTP side:
//
//   GET /health   liveness JSON for anyone on this machine (`{ok, service, version, pid}`); with
//                 `Authorization: Bearer <token>` also the full GatewayStatus; a wrong token → 401.
//   GET /ws       only as a WebSocket upgrade (control-sockets.ts); a plain GET gets 426.
//   GET /*        the web UI (renderer build, http-static.ts). Static assets carry no data, so they
//                 are served without the token; everything with data goes over the authenticated
//                 WebSocket.
//
// Every request first passes the RequestGuard (Host and Origin checks).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CONTROL_WS_PATH, GATEWAY_SERVICE_ID } from '../../contract/constants';
import type { HealthResponse } from '../../contract/gateway-api';
import type { Logger } from '../util/logger';
import { tokensEqual, WRONG_TOKEN_ERROR } from './auth';
import { SECURITY_HEADERS, serveStatic } from './http-static';
import type { RequestGuard } from './request-guard';
import type { GatewayServices } from './services';
import type { ThrottledWarn } from './throttled-warn';

export interface HttpRoutesOptions {
  guard: RequestGuard;
  token: string;
  version: string;
  /** Only `status` is used, for the authenticated /health. */
  services: Pick<GatewayServices, 'status'>;
  /** The renderer build; null/undefined serves no UI. */
  staticDir: string | null | undefined;
  logger: Logger;
  warn: ThrottledWarn;
}

/** The request listener of the control server's HTTP server. */
export function createHttpHandler(options: HttpRoutesOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { guard, token, version, services, staticDir, logger, warn } = options;
  const pid = process.pid;

  async function health(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const liveness: HealthResponse = { ok: true, service: GATEWAY_SERVICE_ID, version, pid };
    const authorization = req.headers.authorization;
    if (authorization === undefined) return sendJson(res, 200, liveness);
    const presented = /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
    if (!tokensEqual(presented, token)) {
      warn('http-token', 'rejected /health with a wrong gateway token');
      return sendJson(res, 401, { ok: false, error: WRONG_TOKEN_ERROR }, { 'WWW-Authenticate': 'Bearer realm="clawdbot-gateway"' });
    }
    const full: HealthResponse = { ...liveness, status: await services.status({}) };
    sendJson(res, 200, full);
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rejected = guard.check(req);
    if (rejected) return sendText(res, rejected.status, rejected.message);
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'Method not allowed.', { Allow: 'GET, HEAD' });
    const rawUrl = req.url ?? '/';
    if (!rawUrl.startsWith('/')) return sendText(res, 400, 'Bad request path.');
    const path = rawUrl.split(/[?#]/, 1)[0] ?? '/';

    if (path === '/health') return health(req, res);
    if (path === CONTROL_WS_PATH) return sendText(res, 426, 'This endpoint speaks WebSocket only.', { Upgrade: 'websocket' });
    if (!staticDir) return sendText(res, 404, 'Not found.');

    const result = await serveStatic(req, res, staticDir, path);
    if (result === 'served') return;
    if (result === 'bad-request') return sendText(res, 400, 'Bad request path.');
    if (result === 'no-ui') return sendText(res, 503, `The web UI is not built (no ${staticDir}). Run \`npm run build\` and reload.`);
    sendText(res, 404, 'Not found.');
  }

  return (req, res) => {
    route(req, res).catch((error: unknown) => {
      logger.error('control HTTP request failed', { path: req.url, error: error instanceof Error ? error.message : String(error) });
      if (!res.headersSent) sendText(res, 500, 'Internal error; see the gateway log.');
      else res.destroy();
    });
  };
}

function sendText(res: ServerResponse, status: number, message: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...extra });
  res.end(`${message}\n`);
}

function sendJson(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...extra });
  res.end(JSON.stringify(body));
}
