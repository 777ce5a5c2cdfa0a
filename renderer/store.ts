// The web UI's state and its link to the gateway. The gateway is the source of truth: the store
// mirrors `status` (pushed as `health` events) and the pending pairing requests (re-read on every
// `pairing` event). Actions go to the gateway; their effect shows up when it pushes the change.
import { createStore } from 'zustand/vanilla';
import { ControlClientError, createControlClient, type ControlClient } from '../contract/control-client';
import type { GatewayStatus, PairingRequest } from '../contract/gateway-api';

export type ConnectionState = 'no-token' | 'connecting' | 'connected' | 'unauthorized' | 'disconnected';

export interface Notice {
  kind: 'ok' | 'error';
  text: string;
}

export interface UiState {
  connection: ConnectionState;
  /** Why the connection failed or dropped, and what to do. */
  problem: { message: string; fix?: string } | null;
  /** Epoch ms of the next reconnect attempt while disconnected. */
  retryAt: number | null;
  status: GatewayStatus | null;
  requests: PairingRequest[];
  /** Pairing codes with an approve/deny in flight. */
  busy: Record<string, 'approve' | 'deny'>;
  notice: Notice | null;
}

export interface GatewayLink {
  store: ReturnType<typeof createUiStore>;
  start(): void;
  /** Replaces the token (e.g. pasted by the user) and reconnects. */
  setToken(token: string): void;
  approve(code: string): Promise<void>;
  deny(code: string): Promise<void>;
  stop(): void;
}

export interface GatewayLinkOptions {
  url: string;
  token: string | null;
  WebSocket: new (url: string) => WebSocket;
  onToken(token: string | null): void;
  /** Reconnect delays, doubling up to the max (ms). */
  retryMinMs?: number;
  retryMaxMs?: number;
}

export function createUiStore() {
  return createStore<UiState>(() => ({
    connection: 'connecting',
    problem: null,
    retryAt: null,
    status: null,
    requests: [],
    busy: {},
    notice: null,
  }));
}

export function createGatewayLink(options: GatewayLinkOptions): GatewayLink {
  const store = createUiStore();
  const retryMinMs = options.retryMinMs ?? 1_000;
  const retryMaxMs = options.retryMaxMs ?? 15_000;
  let token = options.token;
  let client: ControlClient | null = null;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let retryDelay = retryMinMs;
  let stopped = false;

  function connect(): void {
    clearTimeout(retryTimer);
    client?.close();
    client = null;
    if (!token) {
      store.setState({ connection: 'no-token', problem: null, retryAt: null });
      return;
    }
    store.setState({ connection: 'connecting', retryAt: null });
    const current = createControlClient({ url: options.url, token, WebSocket: options.WebSocket, clientName: 'web-ui' });
    client = current;

    current.on('health', (status) => store.setState({ status }));
    current.on('pairing', (event) => {
      if (event.kind !== 'requested') {
        // Drop the row at once; the list read below confirms it.
        store.setState((s) => ({ requests: s.requests.filter((r) => r.code !== event.code && r.id !== event.senderId) }));
      }
      void refreshRequests(current);
    });
    current.onClose(() => {
      if (client !== current || stopped) return;
      const state = store.getState().connection;
      if (state === 'unauthorized') return;
      scheduleReconnect();
    });

    current.ready.then(
      (hello) => {
        if (client !== current) return;
        retryDelay = retryMinMs;
        store.setState({ connection: 'connected', problem: null, status: hello.status });
        void refreshRequests(current);
      },
      (error: unknown) => {
        if (client !== current) return;
        const problem = describe(error);
        if (error instanceof ControlClientError && error.code === 'unauthorized') {
          token = null;
          options.onToken(null);
          store.setState({ connection: 'unauthorized', problem, retryAt: null });
          return;
        }
        store.setState({ problem });
      },
    );
  }

  function scheduleReconnect(): void {
    const delay = retryDelay;
    retryDelay = Math.min(retryMaxMs, retryDelay * 2);
    store.setState((s) => ({
      connection: 'disconnected',
      retryAt: Date.now() + delay,
      problem: s.problem ?? { message: 'Lost the connection to the gateway.' },
    }));
    retryTimer = setTimeout(connect, delay);
  }

  async function refreshRequests(current: ControlClient): Promise<void> {
    try {
      const { requests } = await current.request('pairing.list', {});
      if (client === current) store.setState({ requests });
    } catch {
      // Disconnected meanwhile: the reconnect reads the list again.
    }
  }

  async function decide(kind: 'approve' | 'deny', code: string): Promise<void> {
    const current = client;
    if (!current) return;
    const request = store.getState().requests.find((r) => r.code === code);
    const who = request?.id ?? code;
    store.setState((s) => ({ busy: { ...s.busy, [code]: kind }, notice: null }));
    try {
      if (kind === 'approve') await current.request('pairing.approve', { code });
      else await current.request('pairing.deny', { code });
      store.setState({ notice: { kind: 'ok', text: kind === 'approve' ? `Approved ${who}. They can chat with the assistant now.` : `Denied the request from ${who}.` } });
    } catch (error) {
      const { message, fix } = describe(error);
      store.setState({ notice: { kind: 'error', text: fix ? `${message} ${fix}` : message } });
    } finally {
      store.setState((s) => {
        const busy = { ...s.busy };
        delete busy[code];
        return { busy };
      });
    }
  }

  return {
    store,
    start: connect,
    setToken(newToken) {
      token = newToken.trim() || null;
      options.onToken(token);
      retryDelay = retryMinMs;
      store.setState({ problem: null });
      connect();
    },
    approve: (code) => decide('approve', code),
    deny: (code) => decide('deny', code),
    stop() {
      stopped = true;
      clearTimeout(retryTimer);
      client?.close();
    },
  };
}

function describe(error: unknown): { message: string; fix?: string } {
  if (error instanceof ControlClientError) return error.fix ? { message: error.message, fix: error.fix } : { message: error.message };
  return { message: error instanceof Error ? error.message : String(error) };
}
