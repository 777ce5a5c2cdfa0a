// Shared pieces of the end-to-end fault tests: a real gateway process (`clawdbot gateway`, spawned
// by test/gateway/harness.ts) over the imsg simulator, answered by the instant fake model server,
// plus the bookkeeping that proves "every message answered exactly once".
import Database from 'better-sqlite3';
import type { AccountHealth, HealthResponse } from '../../contract/gateway-api';
import { readToken } from '../../main/gateway/auth';
import type { ControlClient } from '../../contract/control-client';
import type { InjectOptions, SentRow } from '../../sim/lib';
import { startFakeModelServer, type FakeModelServer } from '../support/fake-model-server';
import { sleep, startGatewayProcess, workspace, type GatewayProcess, type Workspace } from '../gateway/harness';

export { sleep };

/** The config keys that make the fake server the agent's model (OpenAI wire format). */
export function modelConfig(model: FakeModelServer): Record<string, unknown> {
  return {
    agents: { defaults: { model: 'fake/instant' } },
    models: { providers: { fake: { baseUrl: `${model.url}/v1`, api: 'openai-completions', apiKey: 'test-key', models: [{ id: 'instant' }] } } },
  };
}

export interface RigWorkspace extends Workspace {
  /** Outgoing rows above `sinceRowid` (a cheap count query, for polling during bursts). */
  countSent(sinceRowid: number): number;
}

export interface Rig {
  ws: RigWorkspace;
  model: FakeModelServer;
  gateway: GatewayProcess;
  client: ControlClient;
  /** The account's health as the gateway reports it now. */
  account(): Promise<AccountHealth>;
  /** Polls the gateway's health until `predicate` holds. */
  waitForAccount(what: string, predicate: (health: AccountHealth) => boolean, timeoutMs?: number): Promise<AccountHealth>;
  /** Starts another gateway process on the same state dir (after the previous one died). */
  restartGateway(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A workspace whose account answers everyone (dmPolicy open, allowFrom ["*"]) with the instant
 * model, and a running gateway process, listening.
 */
export async function startRig(options: { imessage?: Record<string, unknown>; env?: Record<string, string> } = {}): Promise<Rig> {
  const model = await startFakeModelServer({ record: false, apiKey: 'test-key' });
  const base = workspace({ imessage: { dmPolicy: 'open', allowFrom: ['*'], ...options.imessage }, extra: modelConfig(model), ...(options.env ? { env: options.env } : {}) });
  const reader = new Database(base.dbPath, { readonly: true, fileMustExist: true });
  const countQuery = reader.prepare('SELECT count(*) AS n FROM message WHERE is_from_me = 1 AND ROWID > ?');
  const removeWorkspace = base.cleanup;
  const ws: RigWorkspace = Object.assign(base, {
    countSent: (sinceRowid: number) => (countQuery.get(sinceRowid) as { n: number }).n,
    cleanup: () => {
      reader.close();
      removeWorkspace();
    },
  });
  // Rows before the gateway ever ran are not answered: start with one so the resume point is real.
  ws.sim.inject({ from: '+15555559999', text: 'before the gateway' });
  let gateway = await startGatewayProcess(ws);
  let cachedToken: string | undefined;
  const token = async () => (cachedToken ??= (await readToken(ws.stateDir))!);
  let client = await gateway.client();

  const rig: Rig = {
    ws,
    model,
    get gateway() {
      return gateway;
    },
    get client() {
      return client;
    },
    async account() {
      // The HTTP health endpoint: not subject to the WebSocket's per-connection request budget,
      // so it can be polled tightly while measuring recovery times.
      const response = await fetch(`${gateway.instance.url}/health`, { headers: { Authorization: `Bearer ${await token()}` } });
      const body = (await response.json()) as HealthResponse;
      if (!response.ok || !body.status) throw new Error(`GET /health: ${response.status} ${JSON.stringify(body)}`);
      return body.status.accounts[0]!;
    },
    async waitForAccount(what, predicate, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      let last: AccountHealth | undefined;
      for (;;) {
        last = await rig.account();
        if (predicate(last)) return last;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last health: ${JSON.stringify(last)}\n${gateway.stderr().slice(-3000)}`);
        await sleep(20);
      }
    },
    async restartGateway() {
      client.close();
      gateway = await startGatewayProcess(ws);
      client = await gateway.client();
    },
    async close() {
      client.close();
      await gateway.stop('SIGTERM').catch(() => undefined);
      await model.close();
      ws.cleanup();
    },
  } as Rig;
  await rig.waitForAccount('the account to listen', (h) => h.state === 'listening');
  return rig;
}

/** `count` DMs from `senders` senders, round-robin, each text carrying a unique marker `#<n>#`. */
export function burst(count: number, senders: number, prefix = '+1555300'): InjectOptions[] {
  return Array.from({ length: count }, (_, n) => ({ from: `${prefix}${String(n % senders).padStart(4, '0')}`, text: `burst #${n}#` }));
}

/** The markers the replies carry (the fake model echoes the user text inside its envelope). */
export function markersOf(rows: readonly SentRow[]): number[] {
  return rows.map((row) => Number(/#(\d+)#/.exec(row.text)?.[1] ?? NaN));
}

/** Exactly-once check: which markers 0..count-1 were never answered, which more than once. */
export function answerAccounting(rows: readonly SentRow[], count: number): { missing: number[]; doubled: number[]; stray: number } {
  const seen = new Map<number, number>();
  let stray = 0;
  for (const marker of markersOf(rows)) {
    if (!Number.isInteger(marker) || marker < 0 || marker >= count) stray += 1;
    else seen.set(marker, (seen.get(marker) ?? 0) + 1);
  }
  const missing: number[] = [];
  const doubled: number[] = [];
  for (let n = 0; n < count; n++) {
    const times = seen.get(n) ?? 0;
    if (times === 0) missing.push(n);
    if (times > 1) doubled.push(n);
  }
  return { missing, doubled, stray };
}
