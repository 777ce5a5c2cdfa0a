// Renders the whole window (renderer/app/App.tsx) over a fake gateway link, for the screens'
// component tests (Vitest with happy-dom): the real store, the real screens, the gateway's
// answers from the test.
import { act, render, type RenderResult } from '@testing-library/react';
import type { ClawdbotBridge } from '../../contract/bridge';
import type { GatewayStatus } from '../../contract/gateway-api';
import { App } from '../../renderer/app/App';
import { AppProvider } from '../../renderer/app/context';
import { createAppStore, type AppStore } from '../../renderer/store/create';
import type { Route } from '../../renderer/store/navigation-slice';
import { createFakeLink, fakeStatus, type FakeHandlers, type FakeLink } from './fake-link';

export interface RenderedApp extends RenderResult {
  link: FakeLink;
  store: AppStore;
  /** Lets pending promises (gateway answers) settle and React render what they changed. */
  settle(): Promise<void>;
}

export async function renderApp(options: { handlers?: FakeHandlers; status?: GatewayStatus; route?: Route; bridge?: ClawdbotBridge; connect?: boolean } = {}): Promise<RenderedApp> {
  const link = createFakeLink(options.handlers);
  const memory = new Map<string, string>();
  const storage = { getItem: (key: string) => memory.get(key) ?? null, setItem: (key: string, value: string) => void memory.set(key, value), removeItem: (key: string) => void memory.delete(key) };
  const app = createAppStore({ link, bridge: options.bridge ?? null, storage });
  if (options.route) app.store.getState().navigate(options.route.screen, options.route.step);
  const view = render(
    <AppProvider value={{ store: app.store, link }}>
      <App />
    </AppProvider>,
  );
  const settle = async () => {
    await act(async () => {
      for (let i = 0; i < 5; i++) await Promise.resolve();
      await new Promise((resolve) => setTimeout(resolve, 0));
    });
  };
  await act(async () => {
    await app.start();
  });
  if (options.connect !== false) {
    act(() => link.connect(options.status ?? fakeStatus()));
    await settle();
  }
  return { ...view, link, store: app.store, settle };
}
