// Binding the control server's port, and saying why it could not be bound in words a person can act
// on: another Clawdbot gateway holds it (found by asking its /health), another program holds it,
// the port needs privileges, or the address is not on this machine.
import { request as httpRequest, type Server } from 'node:http';
import { GATEWAY_SERVICE_ID } from '../../contract/constants';
import type { HealthResponse } from '../../contract/gateway-api';
import { hostPort, reachableHost } from './addresses';

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

/** Listens exclusively on host:port. */
export function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** The error of a failed listen() in words a person can act on (PortInUseError when the port is taken). */
export async function explainListenError(error: unknown, host: string, port: number): Promise<Error> {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') {
    const probeHost = reachableHost(host);
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

/** What answered a /health request on a port. */
export type HealthAnswer =
  | { kind: 'gateway'; health: HealthResponse }
  /** Something answered, but not as a Clawdbot gateway. */
  | { kind: 'other' }
  /** Nothing listens there. */
  | { kind: 'refused' }
  /** No answer in time, or the connection was cut before one came. */
  | { kind: 'no-answer' };

/** Asks whatever holds the port whether it is a Clawdbot gateway (unauthenticated /health). */
export async function probeGateway(host: string, port: number, timeoutMs = 1_000): Promise<HealthResponse | undefined> {
  const answer = await askHealth(host, port, timeoutMs);
  return answer.kind === 'gateway' ? answer.health : undefined;
}

/** GET /health on host:port, and what came of it. */
export function askHealth(host: string, port: number, timeoutMs = 1_000): Promise<HealthAnswer> {
  return new Promise((resolve) => {
    // Whatever the outcome, the probe's socket is closed: the other program may never close it.
    const finish = (value: HealthAnswer) => {
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
          if (body.length > 64 * 1024) finish({ kind: 'other' });
        });
        res.on('end', () => {
          try {
            const parsed = JSON.parse(body) as Partial<HealthResponse>;
            const isGateway = res.statusCode === 200 && parsed.service === GATEWAY_SERVICE_ID && typeof parsed.pid === 'number';
            finish(isGateway ? { kind: 'gateway', health: parsed as HealthResponse } : { kind: 'other' });
          } catch {
            finish({ kind: 'other' });
          }
        });
        res.on('error', () => finish({ kind: 'no-answer' }));
      },
    );
    req.on('timeout', () => finish({ kind: 'no-answer' }));
    req.on('error', (error: NodeJS.ErrnoException) => finish(error.code === 'ECONNREFUSED' ? { kind: 'refused' } : { kind: 'no-answer' }));
    req.end();
  });
}
