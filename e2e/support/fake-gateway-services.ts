// A stand-in for the gateway composition, for the control server's and client's own unit tests
// (control-kit.ts), which need to drive health, sends and failures precisely. Pairing is REAL
// (main/pairing PairingStore over a temp state dir, so approvals write the real files and emit the
// real events); channel health, the access log, sends and config are kept in memory.
//
// The browser tests do NOT use it: they run against the real gateway (e2e/support/test-gateway.ts).
import type { ClawdbotConfig } from '../../contract/config';
import type { ControlEvent, ControlEvents, SendMessageParams } from '../../contract/control-api';
import { Emitter } from '../../contract/emitter';
import type { AccessLogEntry, AccountHealth, GatewayStatus, ProbeResult } from '../../contract/gateway-api';
import { type GatewayServices } from '../../main/gateway/services';
import { ActionableError } from '../../main/util/actionable-error';
import { PairingStore } from '../../main/pairing/store';
import type { LogHub } from '../../main/util/logger';
import { fakeAccount } from './fake-link';

export interface FakeServicesOptions {
  stateDir: string;
  version?: string;
  demo?: boolean;
  accounts?: AccountHealth[];
  logHub?: LogHub;
  /** Filled in by the caller once the server listens (status shows them). */
  bind?: string;
  port?: number;
}

export interface FakeGatewayServices extends GatewayServices {
  readonly pairingStore: PairingStore;
  /** Every call the server made, in order (params as validated by the server). */
  readonly calls: { method: string; params: unknown }[];
  readonly sent: SendMessageParams[];
  readonly config: ClawdbotConfig;
  /** Changes an account and pushes a `health` event, as the channel manager would. */
  updateAccount(accountId: string, patch: Partial<AccountHealth>): Promise<void>;
  /** Adds an access log line and pushes it. */
  logAccess(entry: AccessLogEntry): void;
  emit<E extends ControlEvent>(event: E, payload: ControlEvents[E]): void;
  setListening(bind: string, port: number): void;
  dispose(): void;
}

export function createFakeGatewayServices(options: FakeServicesOptions): FakeGatewayServices {
  const version = options.version ?? '0.1.0';
  const startedAt = new Date().toISOString();
  const accounts = new Map<string, AccountHealth>((options.accounts ?? [fakeAccount('default')]).map((a) => [a.accountId, a]));
  const pairingStore = new PairingStore({ stateDir: options.stateDir });
  const events = new Emitter<ControlEvents>();
  const calls: { method: string; params: unknown }[] = [];
  const sent: SendMessageParams[] = [];
  const accessLog: AccessLogEntry[] = [];
  const config: ClawdbotConfig = {
    gateway: { port: 18789, bind: 'loopback', mode: 'local' },
    session: { dmScope: 'per-channel-peer' },
    channels: { imessage: { dmPolicy: 'pairing' } },
  };
  let bind = options.bind ?? '127.0.0.1';
  let port = options.port ?? 0;

  function emit<E extends ControlEvent>(event: E, payload: ControlEvents[E]): void {
    events.emit(event, payload);
  }

  async function status(): Promise<GatewayStatus> {
    return {
      now: new Date().toISOString(),
      version,
      pid: process.pid,
      startedAt,
      demo: options.demo ?? false,
      bind,
      port,
      configPath: `${options.stateDir}/clawdbot.json`,
      stateDir: options.stateDir,
      configError: null,
      model: null,
      modelError: null,
      accounts: [...accounts.values()],
      pendingPairing: (await pairingStore.list()).length,
      maxPendingPairing: pairingStore.maxPending,
    };
  }

  async function pushHealth(): Promise<void> {
    emit('health', await status());
  }

  const onPairing = (event: ControlEvents['pairing']) => {
    emit('pairing', event);
    void pushHealth();
  };
  pairingStore.on('pairing', onPairing);

  function record(method: string, params: unknown): void {
    calls.push({ method, params });
  }

  function account(accountId: string | undefined): AccountHealth[] {
    if (accountId === undefined) return [...accounts.values()];
    const found = accounts.get(accountId);
    if (!found) throw new ActionableError('not_found', `No iMessage account "${accountId}".`, `Known accounts: ${[...accounts.keys()].join(', ')}.`);
    return [found];
  }

  const unavailable = (method: string) => async (params: unknown): Promise<never> => {
    record(method, params);
    throw new ActionableError('unavailable', `${method} is not available in this fake`);
  };

  const services: FakeGatewayServices = {
    pairingStore,
    calls,
    sent,
    config,
    'setup.get': unavailable('setup.get'),
    'setup.check': unavailable('setup.check'),
    'setup.testSend': unavailable('setup.testSend'),
    'setup.testModel': unavailable('setup.testModel'),
    'setup.sshWrapper': unavailable('setup.sshWrapper'),
    'setup.testSsh': unavailable('setup.testSsh'),
    'setup.openSettings': unavailable('setup.openSettings'),
    'accounts.add': unavailable('accounts.add'),
    'accounts.update': unavailable('accounts.update'),
    'accounts.remove': unavailable('accounts.remove'),
    async status(params) {
      record('status', params);
      return status();
    },
    async 'channels.probe'(params) {
      record('channels.probe', params);
      return {
        accounts: account(params.accountId).map((a) => {
          const probe: ProbeResult = { ok: true, fatal: false, checks: [], durationMs: 1, at: new Date().toISOString(), imsgVersion: a.imsgVersion ?? undefined };
          return { accountId: a.accountId, probe };
        }),
      };
    },
    async 'channels.restart'(params) {
      record('channels.restart', params);
      const restarted = account(params.accountId).map((a) => a.accountId);
      return { restarted };
    },
    async 'pairing.list'(params) {
      record('pairing.list', params);
      return { requests: await pairingStore.list() };
    },
    async 'pairing.approve'(params) {
      record('pairing.approve', params);
      const approved = await pairingStore.approve(params.code);
      if (!approved) throw new ActionableError('not_found', `No pending pairing request found for code: ${params.code}`, 'List pending requests with `clawdbot pairing list imessage`.');
      return { approved, notified: false };
    },
    async 'pairing.deny'(params) {
      record('pairing.deny', params);
      const denied = await pairingStore.deny(params.code);
      if (!denied) throw new ActionableError('not_found', `No pending pairing request found for code: ${params.code}`);
      return { denied };
    },
    async 'pairing.denyAll'(params) {
      record('pairing.denyAll', params);
      return { denied: await pairingStore.denyAll() };
    },
    async 'pairing.revoke'(params) {
      record('pairing.revoke', params);
      return { revoked: await pairingStore.revoke(params.sender) };
    },
    async 'allowlist.list'(params) {
      record('allowlist.list', params);
      return { approved: (await pairingStore.readAllowFrom()).map((id) => ({ id })), configured: [] };
    },
    async 'accessLog.tail'(params) {
      record('accessLog.tail', params);
      return { entries: accessLog.slice(-(params.limit ?? 100)) };
    },
    async 'message.send'(params) {
      record('message.send', params);
      sent.push(params);
      return { accountId: params.accountId ?? 'default', chunks: 1, messageIds: [String(sent.length)], sentVia: 'iMessage' };
    },
    async 'config.get'(params) {
      record('config.get', params);
      return { path: `${options.stateDir}/clawdbot.json`, config: structuredClone(config), error: null };
    },
    async 'config.patch'(params) {
      record('config.patch', params);
      Object.assign(config, params.patch);
      return { path: `${options.stateDir}/clawdbot.json`, config: structuredClone(config) };
    },
    async 'logs.tail'(params) {
      record('logs.tail', params);
      return { records: options.logHub?.tail(params.limit) ?? [] };
    },
    async 'gateway.restart'(params) {
      record('gateway.restart', params);
      return { restarting: true };
    },
    // Demo methods: recorded only (the real ones are tested against the real gateway).
    async 'demo.inject'(params) {
      record('demo.inject', params);
      if (!options.demo) throw new ActionableError('unavailable', 'demo.inject is only available in demo mode');
      return { rowid: calls.filter((call) => call.method === 'demo.inject').length };
    },
    async 'demo.sent'(params) {
      record('demo.sent', params);
      if (!options.demo) throw new ActionableError('unavailable', 'demo.sent is only available in demo mode');
      return { messages: [] };
    },
    on(event, listener) {
      return events.on(event, listener);
    },
    async updateAccount(accountId, patch) {
      const current = accounts.get(accountId) ?? fakeAccount(accountId);
      accounts.set(accountId, { ...current, ...patch });
      await pushHealth();
    },
    logAccess(entry) {
      accessLog.push(entry);
      emit('accessLog', entry);
    },
    emit,
    setListening(newBind, newPort) {
      bind = newBind;
      port = newPort;
    },
    dispose() {
      pairingStore.off('pairing', onPairing);
      events.clear();
    },
  };
  return services;
}
