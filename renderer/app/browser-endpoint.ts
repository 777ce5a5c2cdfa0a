// Where the window finds the gateway and its token in a browser (the app asks the bridge).
//
// The token arrives once in the URL fragment (`http://127.0.0.1:18789/#token=…`: fragments are
// never sent to servers or put in Referer headers), is moved to sessionStorage (this tab only,
// gone when it closes) and removed from the address bar, so it does not end up in bookmarks,
// screenshots or the history.
import { CONTROL_WS_PATH, DEFAULT_GATEWAY_PORT } from '../../contract/constants';

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
