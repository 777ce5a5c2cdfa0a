// Host names as the control server uses them: which binds are loopback, how `host:port` is
// written (IPv6 in brackets), the address clients use for a wildcard bind, and the names other
// machines reach a non-loopback bind by.
import { hostname, networkInterfaces } from 'node:os';

export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/** `host:port` with IPv6 addresses in brackets, as in URLs and Host headers. */
export function hostPort(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The address a client on this machine uses to reach a server bound to `host` (a wildcard bind → 127.0.0.1). */
export function reachableHost(host: string): string {
  return isWildcardHost(host) ? '127.0.0.1' : host;
}

export function isWildcardHost(host: string): boolean {
  return host === '0.0.0.0' || host === '::';
}

/**
 * The names other machines can reach a server bound to `host` by: for a wildcard bind, this
 * machine's non-loopback addresses (IPv4 for 0.0.0.0, both families for ::) and its host name
 * (plain and `.local`, as Bonjour announces it); for one address, that address; for loopback, none.
 * Read when the server starts listening (an address that appears later needs a restart).
 */
export function exposedHosts(host: string): string[] {
  if (isLoopbackHost(host)) return [];
  if (!isWildcardHost(host)) return [host];
  const addresses = Object.values(networkInterfaces())
    .flat()
    .filter((info) => info !== undefined && !info.internal && (host === '::' || info.family === 'IPv4'))
    .map((info) => info!.address);
  const name = hostname().toLowerCase();
  const names = name && name !== 'localhost' ? [name, name.endsWith('.local') ? name : `${name}.local`] : [];
  return [...new Set([...addresses, ...names])];
}
