import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { forgetToken, gatewaySocketUrl, redeemSignInCode, saveToken, takeSignInCode, takeToken } from './connection';
import { createGatewayLink } from './store';
import './styles.css';

async function boot(): Promise<void> {
  // A one-time sign-in link (what the gateway prints) is exchanged for the token first.
  const code = takeSignInCode(window.location, window.history);
  const signIn = code ? await redeemSignInCode(code) : null;
  if (signIn && 'token' in signIn) saveToken(window.sessionStorage, signIn.token);

  const link = createGatewayLink({
    url: gatewaySocketUrl(window.location),
    token: takeToken(window.location, window.history, window.sessionStorage),
    WebSocket: window.WebSocket,
    onToken: (token) => (token ? saveToken(window.sessionStorage, token) : forgetToken(window.sessionStorage)),
  });
  link.start();

  createRoot(document.getElementById('root') as HTMLElement).render(
    <StrictMode>
      <App link={link} signInProblem={signIn && 'problem' in signIn ? signIn.problem : null} />
    </StrictMode>,
  );
}

void boot();
