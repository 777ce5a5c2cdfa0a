import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { forgetToken, gatewaySocketUrl, saveToken, takeToken } from './connection';
import { createGatewayLink } from './store';
import './styles.css';

const link = createGatewayLink({
  url: gatewaySocketUrl(window.location),
  token: takeToken(window.location, window.history, window.sessionStorage),
  WebSocket: window.WebSocket,
  onToken: (token) => (token ? saveToken(window.sessionStorage, token) : forgetToken(window.sessionStorage)),
});
link.start();

createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <App link={link} />
  </StrictMode>,
);
