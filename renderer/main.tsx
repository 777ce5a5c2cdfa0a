// The window's entry: finds the gateway (the bridge in the app, the address in a browser), creates
// the link and the store, and renders the screens.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BRIDGE_GLOBAL, type ClawdbotBridge } from '../contract/bridge';
import { App } from './app/App';
import { dropTokenFromAddress, forgetToken, gatewaySocketUrl, redeemSignInCode, saveToken, takeSignInCode, takeToken } from './app/browser-endpoint';
import { AppProvider } from './app/context';
import { syncRouteWithHash } from './app/hash-route';
import { decideStartScreen } from './app/start-screen';
import { createGatewayLink } from './gateway/link';
import { createAppStore } from './store/create';
import './styles.css';

const bridge = ((window as unknown as Record<string, unknown>)[BRIDGE_GLOBAL] as ClawdbotBridge | undefined) ?? null;

function localStorageOrNull(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

async function boot(): Promise<void> {
  let signIn: { token: string } | { problem: string } | null = null;
  if (bridge) dropTokenFromAddress(window.location, window.history);
  else {
    // A one-time sign-in link (what the gateway prints) is exchanged for the token first.
    const code = takeSignInCode(window.location, window.history);
    signIn = code ? await redeemSignInCode(code) : null;
    if (signIn && 'token' in signIn) saveToken(window.sessionStorage, signIn.token);
  }

  const link = createGatewayLink({
    endpoint: bridge ? null : { wsUrl: gatewaySocketUrl(window.location), token: takeToken(window.location, window.history, window.sessionStorage) },
    WebSocket: window.WebSocket,
    clientName: bridge ? 'app' : 'web-ui',
    onToken: bridge ? undefined : (token) => (token ? saveToken(window.sessionStorage, token) : forgetToken(window.sessionStorage)),
  });

  const app = createAppStore({ link, bridge, storage: localStorageOrNull() });
  syncRouteWithHash(app.store, window.location, window.history, window);
  decideStartScreen(app.store);
  void app.start();

  createRoot(document.getElementById('root') as HTMLElement).render(
    <StrictMode>
      <AppProvider value={{ store: app.store, link }}>
        <App signInProblem={signIn && 'problem' in signIn ? signIn.problem : null} />
      </AppProvider>
    </StrictMode>,
  );
}

void boot();
