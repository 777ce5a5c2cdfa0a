// When the gateway cannot start because its port is taken: who holds it? Another Clawdbot gateway
// answers `GET /health` with its service id; if one of our tokens opens its full status, the app
// can use that gateway instead of its own. Otherwise (a locked Clawdbot gateway, or some other
// program) the app offers a free port. It never stops or kills whatever holds the port.
import { request } from 'node:http';
import { createServer } from 'node:net';
import { GATEWAY_SERVICE_ID } from '../../contract/constants';
import type { HealthResponse } from '../../contract/gateway-api';
import { parseConfigText, readConfigText } from '../config/load';
import type { Env } from '../config/paths';
import { readToken, TOKEN_ENV_VAR } from '../gateway/auth';
import type { PortConflict } from './app-state';

export type HealthAnswer =
  | { kind: 'nothing' }
  | { kind: 'not-clawdbot' }
  /** `authorized`: the token was accepted (the full status came back). */
  | { kind: 'clawdbot'; pid: number; authorized: boolean };

/** A start error that means "the port is taken" (the gateway's PortInUseError, or a raw EADDRINUSE). */
export function takenPort(error: unknown): number | undefined {
  const { code, port } = (error ?? {}) as { code?: unknown; port?: unknown };
  return code === 'EADDRINUSE' && typeof port === 'number' ? port : undefined;
}

export interface DiagnoseDeps {
  probe(port: number, token?: string): Promise<HealthAnswer>;
  /** Tokens the person's own gateways use (config, environment, token file). */
  tokens(): Promise<string[]>;
  freePort(after: number): Promise<number | null>;
}

export async function diagnosePortConflict(port: number, deps: DiagnoseDeps): Promise<PortConflict> {
  const freePort = await deps.freePort(port);
  const anonymous = await deps.probe(port);
  if (anonymous.kind !== 'clawdbot') return { kind: 'other-program', port, freePort };
  for (const token of await deps.tokens()) {
    const answer = await deps.probe(port, token);
    if (answer.kind === 'clawdbot' && answer.authorized) return { kind: 'clawdbot', port, pid: answer.pid, usable: true, freePort };
  }
  return { kind: 'clawdbot', port, pid: anonymous.pid, usable: false, freePort };
}

/** The tokens a gateway of this state dir would use, most specific first (as the CLI finds them). */
export async function tokenCandidates(env: Env, stateDir: string, configPath: string): Promise<string[]> {
  const found: (string | undefined)[] = [];
  try {
    const text = await readConfigText(configPath);
    const raw = text === undefined ? undefined : (parseConfigText(text, configPath) as { gateway?: { auth?: { token?: unknown } } } | null);
    const token = raw?.gateway?.auth?.token;
    found.push(typeof token === 'string' ? token.trim() : undefined);
  } catch {
    // An unreadable config has no token for us.
  }
  found.push(env[TOKEN_ENV_VAR]?.trim());
  found.push(await readToken(stateDir).catch(() => undefined));
  return [...new Set(found.filter((t): t is string => Boolean(t)))];
}

/** `GET http://127.0.0.1:<port>/health`, with the token when given. */
export function probeHealth(port: number, token?: string, timeoutMs = 1500): Promise<HealthAnswer> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (token) headers.Authorization = `Bearer ${token}`;
    const req = request({ host: '127.0.0.1', port, path: '/health', timeout: timeoutMs, agent: false, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
        if (body.length > 256 * 1024) req.destroy();
      });
      res.on('end', () => {
        // The gateway answers a wrong token with 401 (and no service id in the body).
        if (token && res.statusCode === 401) return resolve({ kind: 'clawdbot', pid: 0, authorized: false });
        try {
          const parsed = JSON.parse(body) as Partial<HealthResponse>;
          if (parsed.service !== GATEWAY_SERVICE_ID || typeof parsed.pid !== 'number') return resolve({ kind: 'not-clawdbot' });
          resolve({ kind: 'clawdbot', pid: parsed.pid, authorized: Boolean(token) && res.statusCode === 200 && parsed.status !== undefined });
        } catch {
          resolve({ kind: 'not-clawdbot' });
        }
      });
    });
    req.on('timeout', () => req.destroy());
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED' ? { kind: 'nothing' } : { kind: 'not-clawdbot' }));
    req.end();
  });
}

/** The first port after `after` (up to 20 tries) that 127.0.0.1 can listen on now. */
export async function findFreePort(after: number, tries = 20): Promise<number | null> {
  for (let port = after + 1; port <= Math.min(65535, after + tries); port++) {
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  return null;
}
