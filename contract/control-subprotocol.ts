// The WebSocket subprotocols of the control API. A client offers two: CONTROL_SUBPROTOCOL (which the
// gateway selects) and its token as `clawdbot-token.<base64url>`. The token lets the gateway admit
// the connection at the upgrade, past the small room kept for connections that have not signed in
// yet, so strangers holding unauthenticated connections open can never keep the owner out. It is
// the same secret the `connect` frame carries on the same socket; the gateway never echoes it (it
// selects CONTROL_SUBPROTOCOL). `connect` stays the handshake: clients that offer no token (or a
// wrong one) sign in there as before, within the short handshake deadline.
//
// Browser and Node alike: btoa/atob only (tokens are printable ASCII; others are not offered).

export const CONTROL_SUBPROTOCOL = 'clawdbot-control';
const TOKEN_PREFIX = 'clawdbot-token.';

/** The subprotocols a client offers for `token` (without the token if it cannot be carried). */
export function controlSubprotocols(token: string): string[] {
  if (!/^[\x21-\x7e]+$/.test(token)) return [CONTROL_SUBPROTOCOL];
  const encoded = btoa(token).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  return [CONTROL_SUBPROTOCOL, `${TOKEN_PREFIX}${encoded}`];
}

/** The token a client offered in its `Sec-WebSocket-Protocol` list, if any. */
export function tokenFromSubprotocols(offered: Iterable<string>): string | undefined {
  for (const protocol of offered) {
    if (!protocol.startsWith(TOKEN_PREFIX)) continue;
    const encoded = protocol.slice(TOKEN_PREFIX.length).replace(/-/g, '+').replace(/_/g, '/');
    try {
      return atob(encoded);
    } catch {
      return undefined;
    }
  }
  return undefined;
}
