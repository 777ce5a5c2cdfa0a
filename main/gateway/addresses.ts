// Host names as the control server uses them: which binds are loopback, how `host:port` is
// written (IPv6 in brackets), and the address clients use for a wildcard bind.

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
  return host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
}
