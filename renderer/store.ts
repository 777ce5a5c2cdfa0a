// The web UI's state and its link to the gateway. The gateway is the source of truth: the store
// mirrors `status` (pushed as `health` events) and the pending pairing requests (re-read on every
// `pairing` event). Actions go to the gateway; their effect shows up when it pushes the change.
import { createStore } from 'zustand/vanilla';
import { ControlClientError, createControlClient, type ControlClient, type WebSocketConstructor } from '../contract/control-client';
import type { AccessLogEntry, DemoInjectParams, DemoSentMessage, GatewayStatus, PairingRequest } from '../contract/gateway-api';

/** Access log lines shown (newest kept). */
export const ACCESS_LOG_SHOWN = 20;
/** Sent messages shown in the demo panel. */
export const DEMO_SENT_SHOWN = 20;
/** Bursts of events (health, access log) cause one `demo.sent` read after this delay. */
const DEMO_REFRESH_COALESCE_MS = 150;

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
  /** The latest access log lines, oldest first (ACCESS_LOG_SHOWN at most). */
  accessLog: AccessLogEntry[];
  /** Demo mode: what the gateway sent on the simulated Mac, oldest first. */
  demoSent: DemoSentMessage[];
  /** Demo mode: a "Receive message" in flight, and the outcome of the last one. */
  demoBusy: boolean;
  demoNotice: Notice | null;
}

export interface GatewayLink {
  store: ReturnType<typeof createUiStore>;
  start(): void;
  /** Replaces the token (e.g. pasted by the user) and reconnects. */
  setToken(token: string): void;
  approve(code: string): Promise<void>;
  deny(code: string): Promise<void>;
  /** Demo mode: a message "arrives" on the simulated Mac. Resolves true when it was written. */
  receiveDemoMessage(params: DemoInjectParams): Promise<boolean>;
  /** Demo mode: re-reads what the gateway sent (bursts of calls are coalesced). */
  refreshDemoSent(): void;
  stop(): void;
}

export interface GatewayLinkOptions {
  url: string;
  token: string | null;
  /** The browser's WebSocket in the page; the `ws` package's in the unit tests (Node). */
  WebSocket: WebSocketConstructor;
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
    accessLog: [],
    demoSent: [],
    demoBusy: false,
    demoNotice: null,
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
  let demoRefreshTimer: ReturnType<typeof setTimeout> | undefined;

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

    current.on('health', (status) => {
      store.setState({ status });
      // A reply going out changes the account's lastOutboundAt: there may be a new sent message.
      if (status.demo) refreshDemoSent();
    });
    current.on('accessLog', (entry) => {
      store.setState((s) => ({ accessLog: [...s.accessLog, entry].slice(-ACCESS_LOG_SHOWN) }));
      if (store.getState().status?.demo) refreshDemoSent();
    });
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
        void refreshAccessLog(current);
        if (hello.status.demo) refreshDemoSent();
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

  async function refreshAccessLog(current: ControlClient): Promise<void> {
    try {
      const { entries } = await current.request('accessLog.tail', { limit: ACCESS_LOG_SHOWN });
      if (client === current) store.setState({ accessLog: entries });
    } catch {
      // Disconnected meanwhile: the reconnect reads it again.
    }
  }

  function refreshDemoSent(): void {
    if (demoRefreshTimer !== undefined) return;
    demoRefreshTimer = setTimeout(() => {
      demoRefreshTimer = undefined;
      const current = client;
      if (!current || store.getState().connection !== 'connected') return;
      current.request('demo.sent', { limit: DEMO_SENT_SHOWN }).then(
        ({ messages }) => {
          if (client === current) store.setState({ demoSent: messages });
        },
        () => {
          // Disconnected, or not a demo gateway after all: the list stays as it was.
        },
      );
    }, DEMO_REFRESH_COALESCE_MS);
  }

  async function receiveDemoMessage(params: DemoInjectParams): Promise<boolean> {
    const current = client;
    if (!current) {
      store.setState({ demoNotice: { kind: 'error', text: 'Not connected to the gateway.' } });
      return false;
    }
    store.setState({ demoBusy: true, demoNotice: null });
    try {
      const { rowid } = await current.request('demo.inject', params);
      const where = params.group ? ` in group chat ${params.group.id}` : '';
      store.setState({ demoNotice: { kind: 'ok', text: `Received from ${params.from}${where} (row ${rowid} of the simulated chat.db). The access log below shows what the gateway did with it.` } });
      refreshDemoSent();
      return true;
    } catch (error) {
      const { message, fix } = describe(error);
      store.setState({ demoNotice: { kind: 'error', text: fix ? `${message} ${fix}` : message } });
      return false;
    } finally {
      store.setState({ demoBusy: false });
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
    receiveDemoMessage,
    refreshDemoSent,
    stop() {
      stopped = true;
      clearTimeout(retryTimer);
      clearTimeout(demoRefreshTimer);
      client?.close();
    },
  };
}

function describe(error: unknown): { message: string; fix?: string } {
  if (error instanceof ControlClientError) return error.fix ? { message: error.message, fix: error.fix } : { message: error.message };
  return { message: error instanceof Error ? error.message : String(error) };
}
