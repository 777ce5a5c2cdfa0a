// The window's link to the gateway (gateway/link.ts) and the store that mirrors it (store/create.ts)
// against a real control server on 127.0.0.1 (the stand-in services of e2e/support, with the real
// pairing store), over the `ws` package's WebSocket: connecting, reconnecting after the gateway
// restarts, a wrong or missing token, and events that change what the screens show. The screens
// themselves are covered by the component tests (*.test.tsx) and the browser tests.
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import type { AccessLogEntry } from '../../contract/gateway-api';
import { startKit, type Kit } from '../../e2e/support/control-kit';
import { createGatewayLink, type GatewayLinkOptions } from '../gateway/link';
import { createAppStore, type AppStore } from './create';
import type { AppState } from './types';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function kit(): Promise<Kit> {
  const k = await startKit();
  cleanups.push(() => k.close());
  return k;
}

/** A started store over a link (a browser's: no bridge); `tokens` records what it asks the page to remember (null: forget). */
function link(k: Kit, options: Partial<GatewayLinkOptions> & { token?: string | null } = {}): { link: AppStore; tokens: (string | null)[] } {
  const tokens: (string | null)[] = [];
  const { token = k.token, ...rest } = options;
  const created = createGatewayLink({
    endpoint: { wsUrl: k.server.wsUrl, token },
    WebSocket,
    clientName: 'web-ui',
    onToken: (t) => tokens.push(t),
    retryMinMs: 20,
    retryMaxMs: 200,
    ...rest,
  });
  const app = createAppStore({ link: created, bridge: null, storage: null });
  cleanups.push(() => app.dispose());
  void app.start();
  return { link: app.store, tokens };
}

/** Resolves with the first state (the current one included) that satisfies `predicate`. */
function stateWhere(store: AppStore, what: string, predicate: (state: AppState) => boolean): Promise<AppState> {
  const link = { store };
  return new Promise((resolve, reject) => {
    const check = (state: AppState) => {
      if (!predicate(state)) return false;
      clearTimeout(timer);
      unsubscribe();
      resolve(state);
      return true;
    };
    // A failure bound with a readable message, not a wait: the state normally arrives in milliseconds.
    const timer = setTimeout(() => {
      unsubscribe();
      const { connection, problem, retryAt, status, requests, accessLog } = link.store.getState();
      reject(new Error(`the store never reached "${what}"; last state: ${JSON.stringify({ connection, problem, retryAt, status, requests, accessLog })}`));
    }, 10_000);
    const unsubscribe = link.store.subscribe((state) => void check(state));
    check(link.store.getState());
  });
}

function accessEntry(sender: string): AccessLogEntry {
  return { ts: new Date().toISOString(), accountId: 'default', chatId: 7, isGroup: false, sender, messageId: 1, decision: 'pairing', reason: 'dmPolicy=pairing' };
}

describe('the gateway link and the store (gateway/link.ts, store/create.ts)', () => {
  it('connects with the token and shows the status, the pending requests and the access log', async () => {
    const k = await kit();
    const { request } = await k.services.pairingStore.upsertRequest('+15550001111');
    k.services.logAccess(accessEntry('+15550001111'));
    const { link: l } = link(k);
    expect(l.getState().connection).toBe('connecting');

    const connected = await stateWhere(l, 'connected', (s) => s.connection === 'connected');
    expect(connected.problem).toBeNull();
    expect(connected.status?.accounts.map((a) => a.accountId)).toEqual(['default']);
    // Read once connected: the requests and the access log that were there before.
    const loaded = await stateWhere(l, 'requests and access log read', (s) => s.requests.length === 1 && s.accessLog.length === 1);
    expect(loaded.requests[0]).toMatchObject({ id: '+15550001111', code: request!.code });
    expect(loaded.accessLog[0]).toMatchObject({ sender: '+15550001111', decision: 'pairing' });
    expect(k.server.stats()).toEqual({ connections: 1, authenticated: 1 });
  });

  it('follows the gateway’s events: health, pairing requests coming and going, access log lines', async () => {
    const k = await kit();
    const { link: l } = link(k);
    await stateWhere(l, 'connected', (s) => s.connection === 'connected');

    await k.services.updateAccount('default', { state: 'backing-off', lastError: { message: 'imsg exited', fatal: false, at: new Date().toISOString() } });
    const health = await stateWhere(l, 'the account backing off', (s) => s.status?.accounts[0]?.state === 'backing-off');
    expect(health.status?.accounts[0]?.lastError?.message).toBe('imsg exited');

    const { request } = await k.services.pairingStore.upsertRequest('+15550002222');
    await stateWhere(l, 'the new request listed', (s) => s.requests.some((r) => r.code === request!.code));

    await l.getState().approve(request!.code);
    const approved = await stateWhere(l, 'the approved request gone', (s) => s.requests.length === 0);
    expect(approved.notice).toEqual({ kind: 'ok', text: 'Approved +15550002222. They can chat with the assistant now.' });
    expect(await k.services.pairingStore.readAllowFrom()).toEqual(['+15550002222']);

    k.services.logAccess(accessEntry('+15550003333'));
    await stateWhere(l, 'the access log line', (s) => s.accessLog.at(-1)?.sender === '+15550003333');
  });

  it('reconnects after the gateway restarts, and reads everything again', async () => {
    const k = await kit();
    const { link: l } = link(k);
    await stateWhere(l, 'connected', (s) => s.connection === 'connected');

    let whileDown: AppState | undefined;
    await k.restart(async () => {
      whileDown = await stateWhere(l, 'disconnected', (s) => s.connection === 'disconnected');
    });
    expect(whileDown!.retryAt).toEqual(expect.any(Number));
    expect(whileDown!.problem).toEqual({ message: 'Lost the connection to the gateway.' });
    // The last known status stays on screen (shown as stale) while disconnected.
    expect(whileDown!.status?.accounts).toHaveLength(1);

    // Back: connected to the new server, problem cleared, and the state read again.
    await k.services.pairingStore.upsertRequest('+15550004444');
    const back = await stateWhere(l, 'connected again', (s) => s.connection === 'connected');
    expect(back.problem).toBeNull();
    expect(back.retryAt).toBeNull();
    await stateWhere(l, 'the request made while down', (s) => s.requests.some((r) => r.id === '+15550004444'));
    await expect.poll(() => k.server.stats()).toEqual({ connections: 1, authenticated: 1 });

    // Events of the new server reach the store.
    await k.services.updateAccount('default', { state: 'failed-fatal' });
    await stateWhere(l, 'an event after the restart', (s) => s.status?.accounts[0]?.state === 'failed-fatal');
  });

  it('a wrong token: says so, forgets it, does not retry; the right one then connects', async () => {
    const k = await kit();
    const { link: l, tokens } = link(k, { token: 'not-the-gateway-token-0123456789' });
    const states: string[] = [l.getState().connection];
    l.subscribe((s) => {
      if (s.connection !== states.at(-1)) states.push(s.connection);
    });

    const refused = await stateWhere(l, 'unauthorized', (s) => s.connection === 'unauthorized');
    expect(refused.problem).toEqual({ message: 'Wrong gateway token.', fix: expect.stringContaining('gateway.token') });
    expect(refused.retryAt).toBeNull();
    expect(tokens).toEqual([null]);
    // The gateway closed the refused socket; the link did not start over with the same token.
    await expect.poll(() => k.server.stats().connections).toBe(0);
    expect(states).toEqual(['connecting', 'unauthorized']);

    l.getState().setToken(`  ${k.token}  `);
    expect(tokens).toEqual([null, k.token]);
    const connected = await stateWhere(l, 'connected', (s) => s.connection === 'connected');
    expect(connected.problem).toBeNull();
    expect(k.server.stats()).toEqual({ connections: 1, authenticated: 1 });
  });

  it('without a token: asks for one and opens no connection; a pasted token connects', async () => {
    const k = await kit();
    const { link: l, tokens } = link(k, { token: null });
    expect(l.getState()).toMatchObject({ connection: 'no-token', problem: null, retryAt: null });
    expect(k.server.stats().connections).toBe(0);

    l.getState().setToken('   ');
    expect(l.getState().connection).toBe('no-token');
    expect(tokens).toEqual([null]);

    l.getState().setToken(k.token);
    await stateWhere(l, 'connected', (s) => s.connection === 'connected');
    expect(tokens).toEqual([null, k.token]);
  });
});
