// Which requests the control server answers at all, before any token is looked at (HTTP and
// WebSocket upgrades alike). The threats are other users' and web pages' access to a loopback port:
//   - the Host header must name this server (`127.0.0.1:<port>`, `localhost:<port>`, `[::1]:<port>`,
//     the bind host, and when bound beyond loopback the names other machines reach it by: this
//     machine's addresses and host name): blocks DNS rebinding, where evil.example resolves to
//     127.0.0.1 (or to this machine's LAN address). The token is still required everywhere;
//   - an Origin header, when present, must be the gateway's own origin or an allowed one (the
//     app's): blocks cross-site WebSocket hijacking from any page the user visits. Non-browser
//     clients (the CLI) send no Origin and authenticate with the token like everyone else.
import type { IncomingMessage } from 'node:http';
import { exposedHosts, hostPort } from './addresses';
import type { ThrottledWarn } from './throttled-warn';

export interface Rejection {
  status: number;
  message: string;
}

export class RequestGuard {
  // Empty until the server listens (the port may be 0 until then): nothing is let through before.
  private allowedHosts = new Set<string>();
  private allowedOrigins = new Set<string>();

  constructor(private readonly warn: ThrottledWarn) {}

  /**
   * Allows the loopback names, the bind host and the names it is exposed by (exposedHosts) with
   * `:port`, and the origins they form plus `extraOrigins`.
   */
  listeningOn(host: string, port: number, extraOrigins: readonly string[]): void {
    const names = [...new Set(['127.0.0.1', 'localhost', '[::1]', host, ...exposedHosts(host)].map((name) => name.toLowerCase()))];
    this.allowedHosts = new Set(names.map((h) => hostPort(h, port).toLowerCase()));
    const ownOrigins = names.map((h) => `http://${hostPort(h, port)}`);
    this.allowedOrigins = new Set([...ownOrigins, ...extraOrigins].map(normalizeOrigin));
  }

  /** Why the request is refused (HTTP status and text), or null when it may proceed. */
  check(req: IncomingMessage): Rejection | null {
    const hostHeader = (req.headers.host ?? '').toLowerCase();
    if (!this.allowedHosts.has(hostHeader)) {
      this.warn('host', 'rejected a request with an unexpected Host header (possible DNS rebinding)', { host: hostHeader });
      return { status: 421, message: `Unexpected Host header "${hostHeader}": the Clawdbot gateway only answers requests addressed to ${[...this.allowedHosts].join(', ')}.` };
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !this.allowedOrigins.has(normalizeOrigin(origin))) {
      this.warn('origin', 'rejected a request from a foreign Origin', { origin });
      return { status: 403, message: `Origin ${origin} is not allowed to use the Clawdbot gateway.` };
    }
    return null;
  }
}

/** Origins compare case-insensitively and without trailing slashes (`file://` → `file:`). */
function normalizeOrigin(origin: string): string {
  return origin.trim().toLowerCase().replace(/\/+$/, '');
}
