// Where the window finds the gateway and its token in a browser (the app asks the bridge).
//
// The token arrives once in the URL fragment (`#token=…`), or is fetched once for a one-time sign-in
// link's code (`http://127.0.0.1:18789/#signin=…`, what the gateway prints: the token itself is
// printed nowhere). Fragments are never sent to servers or put in Referer headers. The token is
// kept in sessionStorage (this tab only, gone when it closes) and both are removed from the address
// bar, so they do not end up in bookmarks, screenshots or the history.
import { CONTROL_WS_PATH, DEFAULT_GATEWAY_PORT, SIGN_IN_FRAGMENT, SIGN_IN_PATH } from '../../contract/constants';
import type { ControlError, SignInHint, SignInResponse } from '../../contract/gateway-api';

const TOKEN_KEY = 'clawdbot.gatewayToken';

export function takeToken(location: Location, history: History, storage: Storage): string | null {
  const params = new URLSearchParams(location.hash.slice(1));
  const fromHash = params.get('token');
  if (fromHash) {
    storage.setItem(TOKEN_KEY, fromHash);
    params.delete('token');
    const rest = params.toString();
    history.replaceState(history.state, '', `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`);
    return fromHash;
  }
  return storage.getItem(TOKEN_KEY);
}

/** The code of a one-time sign-in link (`#signin=…`), removed from the address bar; null without one. */
export function takeSignInCode(location: Location, history: History): string | null {
  const params = new URLSearchParams(location.hash.slice(1));
  const code = params.get(SIGN_IN_FRAGMENT);
  if (!code) return null;
  params.delete(SIGN_IN_FRAGMENT);
  const rest = params.toString();
  history.replaceState(history.state, '', `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`);
  return code;
}

/** Exchanges a sign-in link's code for the token (once); otherwise says why not. */
export async function redeemSignInCode(code: string, fetchFn: typeof fetch = fetch): Promise<{ token: string } | { problem: string }> {
  try {
    const response = await fetchFn(SIGN_IN_PATH, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code }) });
    const body = (await response.json()) as Partial<SignInResponse> & { error?: ControlError };
    if (response.ok && typeof body.token === 'string') return { token: body.token };
    return { problem: body.error?.message ?? `The gateway refused the sign-in link (HTTP ${response.status}).` };
  } catch {
    return { problem: 'The gateway could not be asked about the sign-in link.' };
  }
}

/** Where the gateway's token is, in the gateway's words (null when it cannot be asked, e.g. in the app). */
export async function fetchTokenAt(fetchFn: typeof fetch = fetch): Promise<string | null> {
  try {
    const response = await fetchFn(SIGN_IN_PATH);
    const body = (await response.json()) as Partial<SignInHint>;
    return response.ok && typeof body.tokenAt === 'string' ? body.tokenAt : null;
  } catch {
    return null;
  }
}

export function saveToken(storage: Storage, token: string): void {
  storage.setItem(TOKEN_KEY, token);
}

export function forgetToken(storage: Storage): void {
  storage.removeItem(TOKEN_KEY);
}

/**
 * The control WebSocket: the page's own host when the gateway serves it; otherwise (the app
 * loading the files from disk) 127.0.0.1 and the `port` fragment parameter or the default port.
 */
export function gatewaySocketUrl(location: Location): string {
  if (location.protocol === 'http:' || location.protocol === 'https:') {
    return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${CONTROL_WS_PATH}`;
  }
  const port = Number(new URLSearchParams(location.hash.slice(1)).get('port')) || DEFAULT_GATEWAY_PORT;
  return `ws://127.0.0.1:${port}${CONTROL_WS_PATH}`;
}

/** In the app the bridge gives the token: one left in the window's address (older mains) is dropped unread. */
export function dropTokenFromAddress(location: Location, history: History): void {
  const params = new URLSearchParams(location.hash.slice(1));
  if (!params.has('token')) return;
  params.delete('token');
  const rest = params.toString();
  history.replaceState(history.state, '', `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`);
}
