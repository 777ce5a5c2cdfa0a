// The control server's plain HTTP side:
//
//   GET /health   liveness JSON for anyone on this machine (`{ok, service, version, pid}`); with
//                 `Authorization: Bearer <token>` also the full GatewayStatus; a wrong token → 401.
//   GET /ws       only as a WebSocket upgrade (control-sockets.ts); a plain GET gets 426.
//   GET /sign-in  for the web UI before it has a token: where the token is (a path only for
//                 visitors on this machine). POST /sign-in {code}: a one-time sign-in link's code
//                 (sign-in.ts) exchanged, once, for the token.
//   GET /*        the web UI (renderer build, http-static.ts). Static assets carry no data, so they
//                 are served without the token; everything with data goes over the authenticated
//                 WebSocket. Without a build, every UI address says how to build it (never a bare
//                 "Not found.": the gateway prints this address).
//
// Every request first passes the RequestGuard (Host and Origin checks).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CONTROL_WS_PATH, GATEWAY_SERVICE_ID, SIGN_IN_PATH } from '../../contract/constants';
import type { ControlError, HealthResponse, SignInHint, SignInResponse } from '../../contract/gateway-api';
import { checkoutRoot } from '../util/checkout-root';
import { isLoopbackHost } from './addresses';
import type { Logger } from '../util/logger';
import { tokensEqual, WRONG_TOKEN_ERROR } from './auth';
import { SECURITY_HEADERS, serveStatic } from './http-static';
import type { RequestGuard } from './request-guard';
import type { GatewayServices } from './services';
import type { SignInLinks } from './sign-in';
import type { ThrottledWarn } from './throttled-warn';

export interface HttpRoutesOptions {
  guard: RequestGuard;
  token: string;
  version: string;
  /** Only `status` is used, for the authenticated /health. */
  services: Pick<GatewayServices, 'status'>;
  /** The renderer build; null/undefined serves no UI. */
  staticDir: string | null | undefined;
  signInLinks: SignInLinks;
  /** Where the token is, in words; `local`: the visitor is on this machine (paths may be shown). */
  tokenAt(local: boolean): string;
  logger: Logger;
  warn: ThrottledWarn;
}

/** Largest `POST /sign-in` body read. */
const SIGN_IN_BODY_MAX = 1024;

/** What every web UI address answers when the UI is not built. */
export function webUiNotBuiltMessage(): string {
  const root = checkoutRoot();
  return `The web UI is not built yet. Run \`npm run build\`${root ? ` in ${root}` : ' in the Clawdbot checkout'}, then reload this page.`;
}

/** The request listener of the control server's HTTP server. */
export function createHttpHandler(options: HttpRoutesOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { guard, token, version, services, staticDir, signInLinks, tokenAt, logger, warn } = options;
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

  async function signIn(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const local = isLoopbackHost(req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '');
    if (req.method !== 'POST') return sendJson(res, 200, { tokenAt: tokenAt(local) } satisfies SignInHint);
    let code: unknown;
    try {
      code = (JSON.parse(await readBody(req, SIGN_IN_BODY_MAX)) as { code?: unknown }).code;
    } catch {
      return sendJson(res, 400, { ok: false, error: { code: 'bad_request', message: 'Expected {"code":"…"} as JSON (at most 1 KB).' } }, { Connection: 'close' });
    }
    if (!signInLinks.redeem(code)) {
      warn('sign-in', 'refused a sign-in link that was used, expired or unknown');
      const error: ControlError = { code: 'unauthorized', message: 'This sign-in link was already used or has expired.', fix: `Sign in with the gateway token from ${tokenAt(local)}.` };
      return sendJson(res, 401, { ok: false, error });
    }
    sendJson(res, 200, { token } satisfies SignInResponse);
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rejected = guard.check(req);
    if (rejected) return sendText(res, rejected.status, rejected.message);
    const rawUrl = req.url ?? '/';
    const path = rawUrl.split(/[?#]/, 1)[0] ?? '/';
    if (path === SIGN_IN_PATH && (req.method === 'GET' || req.method === 'POST')) return signIn(req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'Method not allowed.', { Allow: 'GET, HEAD' });
    if (!rawUrl.startsWith('/')) return sendText(res, 400, 'Bad request path.');

    if (path === '/health') return health(req, res);
    if (path === CONTROL_WS_PATH) return sendText(res, 426, 'This endpoint speaks WebSocket only.', { Upgrade: 'websocket' });
    if (!staticDir) return sendText(res, 503, webUiNotBuiltMessage());

    const result = await serveStatic(req, res, staticDir, path);
    if (result === 'served') return;
    if (result === 'bad-request') return sendText(res, 400, 'Bad request path.');
    if (result === 'no-ui') return sendText(res, 503, webUiNotBuiltMessage());
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

/** The request body as text, refusing (rejecting) more than `max` bytes. */
function readBody(req: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        // Stop collecting; the answer closes the connection (the rest is not read).
        req.removeAllListeners('data');
        req.resume();
        reject(new Error('body too large'));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
