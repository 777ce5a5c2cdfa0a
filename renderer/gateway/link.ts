// The window's link to the gateway's control API: one control client at a time, replaced on every
// reconnect, behind one stable object. Screens never see a client: they call `request()` and
// listen with `on()`, and both keep working across gateway restarts (listeners are re-attached to
// each new client). Where the gateway is comes from outside (`setEndpoint`): the URL fragment in a
// browser, the preload bridge in the app.
//
// Connection states:
//   no-token      a browser without a token (asks for one; no socket is opened)
//   no-gateway    the app's gateway is not running (paused, starting, failed: the bridge says why)
//   connecting    a socket is opening / the token is being checked
//   connected     authenticated; `hello` has the status
//   unauthorized  the gateway refused the token (forgotten; no retry until a new one is given)
//   disconnected  the connection dropped or could not be made; retried with a doubling delay
import { ControlClientError, createControlClient, type ControlClient, type WebSocketConstructor } from '../../contract/control-client';
import type { ControlEvent, ControlEvents, ControlParams, ControlResult, ServiceMethod } from '../../contract/control-api';
import { Emitter } from '../../contract/emitter';
import { describeError, type Problem } from './errors';

export type ConnectionState = 'no-token' | 'no-gateway' | 'connecting' | 'connected' | 'unauthorized' | 'disconnected';

export interface LinkState {
  connection: ConnectionState;
  /** Why the connection failed or dropped, and what to do. */
  problem: Problem | null;
  /** Epoch ms of the next reconnect attempt while disconnected. */
  retryAt: number | null;
}

export type Hello = ControlResult<'connect'>;

export interface Endpoint {
  /** ws://127.0.0.1:18789/ws */
  wsUrl: string;
  token: string | null;
}

interface LinkEvents {
  state: LinkState;
  /** Authenticated (again): the status at that moment. */
  connected: Hello;
}

/** What the store and the screens use; the tests give them a fake with the same shape. */
export interface GatewayLink {
  readonly state: LinkState;
  start(): void;
  stop(): void;
  /** A token typed by the person (browser): replaces the current one and reconnects. */
  setToken(token: string): void;
  /** The gateway moved or stopped (app): null while it is not running. */
  setEndpoint(endpoint: Endpoint | null): void;
  request<M extends ServiceMethod>(method: M, params: ControlParams<M>, options?: { timeoutMs?: number }): Promise<ControlResult<M>>;
  /** A gateway event, from whichever connection is current. */
  on<E extends ControlEvent>(event: E, listener: (payload: ControlEvents[E]) => void): () => void;
  onState(listener: (state: LinkState) => void): () => void;
  onConnected(listener: (hello: Hello) => void): () => void;
}

export interface GatewayLinkOptions {
  endpoint: Endpoint | null;
  /** The browser's WebSocket in the page; the `ws` package's in the Node tests. */
  WebSocket: WebSocketConstructor;
  /** `web-ui` in a browser, `app` in the window. */
  clientName: string;
  /** The token to remember (a browser keeps it for the tab), or null to forget it. */
  onToken?(token: string | null): void;
  /** Reconnect delays, doubling up to the max (ms). */
  retryMinMs?: number;
  retryMaxMs?: number;
}

const LOST: Problem = { message: 'Lost the connection to the gateway.' };

export function createGatewayLink(options: GatewayLinkOptions): GatewayLink {
  const retryMinMs = options.retryMinMs ?? 1_000;
  const retryMaxMs = options.retryMaxMs ?? 15_000;
  const gatewayEvents = new Emitter<ControlEvents>();
  const lifecycle = new Emitter<LinkEvents>();
  let endpoint = options.endpoint;
  let client: ControlClient | null = null;
  let detach: (() => void)[] = [];
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let retryDelay = retryMinMs;
  let stopped = false;
  let state: LinkState = { connection: 'connecting', problem: null, retryAt: null };

  function setState(patch: Partial<LinkState>): void {
    state = { ...state, ...patch };
    lifecycle.emit('state', state);
  }

  function dropClient(): void {
    for (const off of detach) off();
    detach = [];
    client?.close();
    client = null;
  }

  function connect(): void {
    clearTimeout(retryTimer);
    dropClient();
    if (stopped) return;
    if (!endpoint) {
      setState({ connection: 'no-gateway', retryAt: null });
      return;
    }
    const token = endpoint.token;
    if (!token) {
      setState({ connection: 'no-token', problem: null, retryAt: null });
      return;
    }
    setState({ connection: 'connecting', retryAt: null });
    const current = createControlClient({ url: endpoint.wsUrl, token, WebSocket: options.WebSocket, clientName: options.clientName });
    client = current;
    // Forward every gateway event of this client (and only while it is the current one).
    for (const event of FORWARDED_EVENTS) {
      detach.push(current.on(event, (payload) => gatewayEvents.emit(event, payload as never)));
    }
    current.onClose(() => {
      if (client !== current || stopped || state.connection === 'unauthorized') return;
      scheduleReconnect();
    });
    current.ready.then(
      (hello) => {
        if (client !== current) return;
        retryDelay = retryMinMs;
        // Requests work from here on; listeners hear of the status before the state says
        // "connected", so nothing ever sees connected without a status.
        state = { connection: 'connected', problem: null, retryAt: null };
        lifecycle.emit('connected', hello);
        lifecycle.emit('state', state);
      },
      (error: unknown) => {
        if (client !== current) return;
        const problem = describeError(error);
        if (error instanceof ControlClientError && error.code === 'unauthorized') {
          if (endpoint) endpoint = { ...endpoint, token: null };
          options.onToken?.(null);
          setState({ connection: 'unauthorized', problem, retryAt: null });
          return;
        }
        setState({ problem });
      },
    );
  }

  function scheduleReconnect(): void {
    const delay = retryDelay;
    retryDelay = Math.min(retryMaxMs, retryDelay * 2);
    setState({ connection: 'disconnected', retryAt: Date.now() + delay, problem: state.problem ?? LOST });
    retryTimer = setTimeout(connect, delay);
  }

  return {
    get state() {
      return state;
    },
    start() {
      stopped = false;
      connect();
    },
    stop() {
      stopped = true;
      clearTimeout(retryTimer);
      dropClient();
    },
    setToken(token) {
      const trimmed = token.trim() || null;
      endpoint = endpoint ? { ...endpoint, token: trimmed } : null;
      options.onToken?.(trimmed);
      retryDelay = retryMinMs;
      setState({ problem: null });
      connect();
    },
    setEndpoint(next) {
      const same = next && endpoint && next.wsUrl === endpoint.wsUrl && next.token === endpoint.token;
      endpoint = next;
      if (same && (state.connection === 'connected' || state.connection === 'connecting')) return;
      retryDelay = retryMinMs;
      setState({ problem: null });
      connect();
    },
    request(method, params, requestOptions) {
      const current = client;
      if (!current || state.connection !== 'connected') {
        return Promise.reject(new ControlClientError('disconnected', 'Not connected to the gateway.', 'Wait for the connection to come back, then try again.'));
      }
      return current.request(method, params, requestOptions);
    },
    on(event, listener) {
      return gatewayEvents.on(event, listener);
    },
    onState(listener) {
      return lifecycle.on('state', listener);
    },
    onConnected(listener) {
      return lifecycle.on('connected', listener);
    },
  };
}

/** Every event the gateway pushes (a record, so a new event is a compile error here until listed). */
const EVENT_NAMES: Record<ControlEvent, true> = { health: true, pairing: true, accessLog: true, log: true, setup: true, shutdown: true };
const FORWARDED_EVENTS = Object.keys(EVENT_NAMES) as ControlEvent[];
