// A stand-in for the window's gateway link (renderer/gateway/link.ts), for the screens' component
// tests: requests are answered by the handlers a test gives (with the same result types as the
// control API), anything else fails the way a gateway without the method does (`unavailable`),
// and events are pushed by the test. The real link is tested against a real control server
// (renderer/store/create.test.ts) and the screens against the real gateway in the browser tests.
import { BRIDGE_INVOKE_CHANNELS, type ClawdbotBridge } from '../../contract/bridge';
import type { ControlEvent, ControlEvents, ControlParams, ControlResult, ServiceMethod } from '../../contract/control-api';
import { ControlClientError } from '../../contract/control-client';
import { Emitter } from '../../contract/emitter';
import type { AccountHealth, GatewayStatus } from '../../contract/gateway-api';
import type { FieldIssue } from '../../contract/setup';
import type { GatewayLink, Hello, LinkState } from '../../renderer/gateway/link';

export type FakeHandlers = { [M in ServiceMethod]?: (params: ControlParams<M>) => ControlResult<M> | Promise<ControlResult<M>> };

export interface FakeLink extends GatewayLink {
  /** Every request, in order. */
  readonly calls: { method: ServiceMethod; params: unknown }[];
  callsOf<M extends ServiceMethod>(method: M): ControlParams<M>[];
  /** Authenticates with this status (the store then reads everything). */
  connect(status: GatewayStatus): void;
  emit<E extends ControlEvent>(event: E, payload: ControlEvents[E]): void;
  /** Replaces or adds handlers. */
  handle(handlers: FakeHandlers): void;
}

/** The error the gateway answers a refused write with, `issues` included (as the control client will carry them). */
export function refusal(message: string, issues: FieldIssue[] = [], fix?: string): ControlClientError {
  return Object.assign(new ControlClientError('bad_request', message, fix), { issues });
}

export function unavailable(method: string): ControlClientError {
  return new ControlClientError('unavailable', `${method} is not available in this gateway version`);
}

export function createFakeLink(initial: FakeHandlers = {}): FakeLink {
  const handlers: FakeHandlers = {
    'pairing.list': () => ({ requests: [] }),
    'allowlist.list': () => ({ approved: [], configured: [] }),
    'accessLog.tail': () => ({ entries: [] }),
    'config.get': () => ({ path: '/Users/me/.clawdbot/clawdbot.json', config: { gateway: { port: 18789, bind: 'loopback' }, session: { dmScope: 'per-channel-peer' } }, error: null }),
    ...initial,
  };
  const events = new Emitter<ControlEvents>();
  const lifecycle = new Emitter<{ state: LinkState; connected: Hello }>();
  const calls: { method: ServiceMethod; params: unknown }[] = [];
  let state: LinkState = { connection: 'connecting', problem: null, retryAt: null };

  return {
    calls,
    callsOf<M extends ServiceMethod>(method: M) {
      return calls.filter((call) => call.method === method).map((call) => call.params as ControlParams<M>);
    },
    get state() {
      return state;
    },
    start() {},
    stop() {},
    setToken() {},
    setEndpoint(endpoint) {
      // As the real link: no gateway to talk to, or (a test then calls connect()) connecting.
      state = { connection: endpoint ? 'connecting' : 'no-gateway', problem: null, retryAt: null };
      lifecycle.emit('state', state);
    },
    async request<M extends ServiceMethod>(method: M, params: ControlParams<M>): Promise<ControlResult<M>> {
      calls.push({ method, params });
      const handler = handlers[method] as ((p: ControlParams<M>) => ControlResult<M> | Promise<ControlResult<M>>) | undefined;
      if (!handler) throw unavailable(method);
      return handler(params);
    },
    on(event, listener) {
      return events.on(event, listener);
    },
    onState(listener) {
      return lifecycle.on('state', listener);
    },
    onConnected(listener) {
      return lifecycle.on('connected', listener);
    },
    connect(status) {
      state = { connection: 'connected', problem: null, retryAt: null };
      lifecycle.emit('connected', { protocol: 1, server: { version: status.version, pid: status.pid }, status });
      lifecycle.emit('state', state);
    },
    emit(event, payload) {
      events.emit(event, payload);
    },
    handle(more) {
      Object.assign(handlers, more);
    },
  };
}

export function fakeAccount(accountId: string, patch: Partial<AccountHealth> = {}): AccountHealth {
  return {
    accountId,
    enabled: true,
    configured: true,
    simulated: false,
    state: 'listening',
    since: new Date().toISOString(),
    pid: 4242,
    restarts: 0,
    retryAt: null,
    lastError: null,
    lastInboundAt: null,
    lastOutboundAt: null,
    lastProbe: null,
    imsgVersion: '0.9.0',
    cliPath: 'imsg',
    dbPath: null,
    remoteHost: null,
    lastRowid: null,
    warnings: [],
    ...patch,
  };
}

export function fakeStatus(patch: Partial<GatewayStatus> = {}): GatewayStatus {
  return {
    now: new Date().toISOString(),
    version: '0.1.0',
    pid: 1234,
    startedAt: new Date().toISOString(),
    demo: false,
    bind: '127.0.0.1',
    port: 18789,
    configPath: '/Users/me/.clawdbot/clawdbot.json',
    stateDir: '/Users/me/.clawdbot',
    configError: null,
    model: 'anthropic/claude-sonnet-4-5',
    modelError: null,
    accounts: [fakeAccount('default', { name: 'Personal' })],
    pendingPairing: 0,
    maxPendingPairing: 3,
    ...patch,
  };
}

/** A bridge as the preload exposes it, answering from `answers`; every call is recorded. */
export function createFakeBridge(answers: Partial<{ [K in keyof ClawdbotBridge]: unknown }> = {}): ClawdbotBridge & {
  calls: { name: string; request: unknown }[];
  push(event: string, payload: unknown): void;
} {
  const calls: { name: string; request: unknown }[] = [];
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const defaults: Record<string, unknown> = {
    'gateway.connection': null,
    'gateway.phase': { kind: 'running', mode: 'hosted', port: 18789 },
    'loginItem.get': false,
    'onboarding.get': { step: null, completedAt: null },
    'permissions.check': { permissions: [], restartSuggested: false, checkedAt: new Date().toISOString() },
    // As from a checkout (`npm start`): the simulated account can be switched on.
    'gateway.simulated': { available: true, active: false },
    'gateway.useSimulated': { ok: true },
  };
  const call = (name: string) => async (request?: unknown) => {
    calls.push({ name, request });
    if (name === 'onboarding.set' || name === 'loginItem.set') return request;
    const answer = (answers as Record<string, unknown>)[name] ?? defaults[name];
    return typeof answer === 'function' ? (answer as (r: unknown) => unknown)(request) : answer;
  };
  const bridge = Object.fromEntries(BRIDGE_INVOKE_CHANNELS.map((name) => [name, call(name)])) as unknown as ClawdbotBridge;
  return Object.assign(bridge, {
    calls,
    on(event: string, listener: (payload: unknown) => void) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener);
      return () => void set.delete(listener);
    },
    push(event: string, payload: unknown) {
      for (const listener of listeners.get(event) ?? []) listener(payload);
    },
  }) as ClawdbotBridge & { calls: { name: string; request: unknown }[]; push(event: string, payload: unknown): void };
}
