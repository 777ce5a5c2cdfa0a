// The channel's control surface: several accounts, health, hot reload, probe, restart, send, stop.
import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SimDb } from '../../sim/lib';
import type { AccountHealth } from '../../contract/gateway-api';
import { createAgent } from '../../main/agent/agent';
import { validateConfig } from '../../main/config/validate';
import { ImessageChannel } from '../../main/imessage/channel';
import { PairingStore } from '../../main/pairing/store';
import { FAST_TIMINGS, ME, sleep, startHarness, type Harness } from './harness';

let current: Harness | undefined;
const extraDbs: SimDb[] = [];
afterEach(async () => {
  await current?.close();
  current = undefined;
  for (const db of extraDbs.splice(0)) db.close();
});

const OPEN = { dmPolicy: 'open', allowFrom: ['*'] };
const ALICE = '+15555550123';

function secondDb(h: Harness, name: string): { path: string; sim: SimDb } {
  const path = join(h.dir, name, 'chat.db');
  const sim = SimDb.create(path, { me: ME });
  extraDbs.push(sim);
  return { path, sim };
}

const byId = (accounts: AccountHealth[]) => Object.fromEntries(accounts.map((a) => [a.accountId, a]));

describe('accounts and hot reload', () => {
  it('runs each enabled account on its own imsg; a disabled one is listed as stopped; applyConfig restarts only what changed', async () => {
    const h = (current = await startHarness());
    const work = secondDb(h, 'work');
    const accounts = (over: Record<string, unknown> = {}) => ({
      accounts: {
        personal: { name: 'Personal', dbPath: h.dbPath, ...OPEN },
        work: { dbPath: work.path, ...OPEN },
        old: { enabled: false },
        ...over,
      },
    });
    const channel = new ImessageChannel({ ...channelOptions(h), config: h.makeConfig(accounts()) });
    try {
      await channel.start();
      let health = byId(channel.health());
      expect(Object.keys(health)).toEqual(['old', 'personal', 'work']);
      expect(health.personal).toMatchObject({ name: 'Personal', enabled: true, configured: true, state: 'listening', simulated: false, dbPath: h.dbPath, remoteHost: null, restarts: 0 });
      expect(health.work).toMatchObject({ state: 'listening', dbPath: work.path });
      expect(health.old).toMatchObject({ enabled: false, configured: true, state: 'stopped', pid: null, lastError: { message: 'disabled', fatal: false } });
      expect(health.old!.lastError!.fix).toMatch(/channels\.imessage\.accounts\.old\.enabled/);
      expect(health.personal!.pid).not.toBe(health.work!.pid);
      const lines = h.hub.tail(400).map((r) => r.msg);
      for (const line of ['iMessage personal: enabled, configured, rpc listening', 'iMessage work: enabled, configured, rpc listening', 'iMessage old: disabled, configured, stopped']) {
        expect(lines.filter((l) => l === line)).toHaveLength(1);
      }

      // Each account answers in its own Messages database.
      work.sim.inject({ from: ALICE, text: 'to work' });
      await h.waitFor('reply in the work db', () => work.sim.sent().length === 1);
      expect(work.sim.sent()[0]!.text).toMatch(/to work$/);
      expect(h.sent()).toEqual([]);

      const pids = { personal: health.personal!.pid, work: health.work!.pid };
      // Policy only: applied in place.
      expect(await channel.applyConfig(h.makeConfig(accounts({ personal: { name: 'Personal', dbPath: h.dbPath, dmPolicy: 'allowlist', allowFrom: [ALICE] } })))).toEqual({
        restarted: [],
        added: [],
        removed: [],
      });
      health = byId(channel.health());
      expect([health.personal!.pid, health.work!.pid]).toEqual([pids.personal, pids.work]);
      h.inject({ from: '+15550009999', text: 'not on the new allowlist' });
      await h.waitFor('rejection under the new policy', () => channel.accessLog.tail().some((e) => e.reason === 'dmPolicy=allowlist'));

      // Transport change on one account, one removed, one added.
      const extra = secondDb(h, 'extra');
      const result = await channel.applyConfig(
        h.makeConfig({
          accounts: {
            personal: { name: 'Personal', dbPath: h.dbPath, dmPolicy: 'allowlist', allowFrom: [ALICE] },
            work: { dbPath: work.path, includeAttachments: true, ...OPEN },
            extra: { dbPath: extra.path, ...OPEN },
          },
        }),
      );
      expect(result).toEqual({ restarted: ['work'], added: ['extra'], removed: ['old'] });
      health = byId(channel.health());
      expect(Object.keys(health)).toEqual(['extra', 'personal', 'work']);
      expect(health.personal!.pid).toBe(pids.personal);
      expect(health.work).toMatchObject({ state: 'listening', restarts: 0 });
      expect(health.work!.pid).not.toBe(pids.work);
      expect(health.extra).toMatchObject({ state: 'listening' });

      // The restarted account resumes from its cursor: nothing answered twice, new rows answered.
      work.sim.inject({ from: ALICE, text: 'after the restart' });
      await h.waitFor('second work reply', () => work.sim.sent().length === 2);
      await sleep(200);
      expect(work.sim.sent().map((r) => r.text.replace(/^.*\] /, ''))).toEqual(['to work', 'after the restart']);
    } finally {
      await channel.stop();
    }
    expect(channel.health()).toEqual([]);
  });

  it('no channels.imessage section: the default account is listed as not configured and nothing runs', async () => {
    const h = (current = await startHarness());
    const config = validateConfig({}).config;
    const channel = new ImessageChannel({ ...channelOptions(h), config });
    await channel.start();
    expect(channel.health()).toEqual([
      expect.objectContaining({ accountId: 'default', enabled: true, configured: false, state: 'stopped', pid: null, lastError: expect.objectContaining({ message: 'not configured' }), warnings: [] }),
    ]);
    await expect(channel.send({ target: ALICE, text: 'x' })).rejects.toMatchObject({ code: 'unavailable', message: 'iMessage account default is not configured' });
    await expect(channel.restart('default')).rejects.toMatchObject({ code: 'unavailable' });
    await channel.stop();
  });
});

describe('control surface', () => {
  it('send(): through the live imsg, chunked; errors are typed (not_found, bad_request)', async () => {
    // dmPolicy disabled: the inbound message only creates the chat; no pairing reply races the sends.
    const h = (current = await startHarness({ imessage: { textChunkLimit: 20, dmPolicy: 'disabled' } }));
    await h.channel.start();
    const { chatId } = h.inject({ from: ALICE, text: 'so a chat exists' });
    const result = await h.channel.send({ target: `chat_id:${chatId}`, text: 'hello from the control API, in chunks' });
    expect(result).toMatchObject({ accountId: 'default', chunks: 3 });
    expect(result.messageIds).toHaveLength(3);
    expect(h.sent().map((r) => [r.chat_id, r.text])).toEqual([
      [chatId, 'hello from the'],
      [chatId, 'control API, in'],
      [chatId, 'chunks'],
    ]);
    const direct = await h.channel.send({ target: 'imessage:+15555550199', text: 'new person', accountId: 'default' });
    expect(direct.chunks).toBe(1);
    expect(h.sent().at(-1)).toMatchObject({ to: '+15555550199', text: 'new person', service: 'iMessage' });
    expect(h.channel.health()[0]!.lastOutboundAt).not.toBeNull();

    await expect(h.channel.send({ target: 'chat_id:abc', text: 'x' })).rejects.toMatchObject({ code: 'bad_request', message: 'Invalid chat_id: abc' });
    await expect(h.channel.send({ target: ALICE })).rejects.toMatchObject({ code: 'bad_request', message: 'iMessage send requires text or media' });
    await expect(h.channel.send({ target: ALICE, text: 'x', accountId: 'nope' })).rejects.toMatchObject({ code: 'not_found', message: 'No iMessage account "nope" (accounts: default)' });
  });

  it('send(): goes through the account\'s sender, so a send cut off by an imsg restart is resumed, every chunk once', async () => {
    // imsg answers the start-up requests (probe, resume point, subscribe) and the first chunk,
    // then stalls: the second chunk's send times out, imsg is restarted, the send goes on.
    const marker = join(tmpdir(), `send-stall-once-${process.pid}-${Date.now()}`);
    const h = (current = await startHarness({
      imessage: { textChunkLimit: 20, dmPolicy: 'disabled' },
      env: { IMSG_SIM_STALL_AFTER: '5', IMSG_SIM_ONCE: marker },
      channel: { timings: { ...FAST_TIMINGS, sendTimeoutMs: 500 } },
    }));
    try {
      await h.channel.start();
      const { chatId } = h.inject({ from: ALICE, text: 'so a chat exists' });
      const pid = h.channel.health()[0]!.pid;
      const result = await h.channel.send({ target: `chat_id:${chatId}`, text: 'hello from the control API, in chunks' });
      expect(existsSync(marker)).toBe(true); // the stall really happened
      expect(h.channel.health()[0]).toMatchObject({ state: 'listening', restarts: 1 });
      expect(h.channel.health()[0]!.pid).not.toBe(pid);
      expect(result).toMatchObject({ accountId: 'default', chunks: 3 });
      expect(h.sent().map((r) => r.text)).toEqual(['hello from the', 'control API, in', 'chunks']);
    } finally {
      rmSync(marker, { force: true });
    }
  });

  it('probe() and restart(): a fresh process, health pushed on the way', async () => {
    const h = (current = await startHarness({ imessage: OPEN }));
    await h.channel.start();
    const states: string[] = [];
    const off = h.channel.onHealth((accounts) => {
      if (states.at(-1) !== accounts[0]!.state) states.push(accounts[0]!.state);
    });
    const [probe] = await h.channel.probe();
    expect(probe).toMatchObject({ accountId: 'default', probe: { ok: true, fatal: false, imsgVersion: '0.9.0' } });
    expect(probe!.probe.checks.map((c) => c.id)).toEqual(['binary', 'rpc-support', 'database', 'rpc-answers']);
    expect(h.channel.health()[0]!.lastProbe).toEqual(probe!.probe);
    await expect(h.channel.probe('nope')).rejects.toMatchObject({ code: 'not_found' });

    const pid = h.channel.health()[0]!.pid;
    expect(await h.channel.restart()).toEqual(['default']);
    expect(h.channel.health()[0]).toMatchObject({ state: 'listening', restarts: 0 });
    expect(h.channel.health()[0]!.pid).not.toBe(pid);
    // The probe's own push (state unchanged) is coalesced and may be folded into the restart's
    // first push; every state change of the restart goes out, in order.
    expect(states.slice(states.indexOf('stopped'))).toEqual(['stopped', 'probing', 'starting', 'listening']);
    expect(states.slice(0, states.indexOf('stopped')).every((state) => state === 'listening')).toBe(true);
    off();
    h.inject({ from: ALICE, text: 'after restart' });
    await h.waitFor('reply after restart', () => h.sent().length === 1);
  });

  it('a fatal account (imsg missing) does not hold up start(); restart() re-runs the checks', async () => {
    const h = (current = await startHarness({ imessage: { cliPath: '/nonexistent/imsg' } }));
    const started = Date.now();
    await h.channel.start();
    expect(Date.now() - started).toBeLessThan(3000);
    const [health] = h.channel.health();
    expect(health).toMatchObject({ state: 'failed-fatal', lastError: { fatal: true, message: 'imsg not found (/nonexistent/imsg)' } });
    expect(health!.lastError!.fix).toMatch(/brew install/);
    await expect(h.channel.send({ target: ALICE, text: 'x' })).rejects.toMatchObject({ code: 'unavailable', message: expect.stringMatching(/not connected \(state: failed-fatal\): imsg not found/) });
    expect(await h.channel.restart('default')).toEqual(['default']);
    expect(h.channel.health()[0]).toMatchObject({ state: 'failed-fatal' });
    expect(h.hub.tail(400).filter((r) => /failed: imsg not found/.test(r.msg))).toHaveLength(2);
  });

  it('stop() lets a reply in progress finish and flushes the resume point', async () => {
    const h = (current = await startHarness({ imessage: OPEN, model: { models: ['claude-test'], behavior: { delayMs: 400, text: 'slow but sure' } } }));
    await h.channel.start();
    const { rowid } = h.inject({ from: ALICE, text: 'quick question' });
    await h.waitFor('model called', () => h.model.requests.length === 1);
    await h.channel.stop();
    expect(h.sent().map((r) => r.text)).toEqual(['slow but sure']);
    expect(h.channel.accessLog.tail().at(-1)).toMatchObject({ messageId: rowid, reason: 'replied' });
    // A new channel on the same state resumes after that row: nothing is answered twice.
    const again = new ImessageChannel({ ...channelOptions(h), config: h.config });
    try {
      await again.start();
      expect(again.health()[0]!.lastRowid).toBeGreaterThanOrEqual(rowid);
      h.inject({ from: ALICE, text: 'second question' });
      await h.waitFor('second reply', () => h.sent().length === 2);
      await sleep(200);
      expect(h.model.requests).toHaveLength(2);
    } finally {
      await again.stop();
    }
  });
});

/** Options for a second channel over the harness's pieces (same state dir, model, pairing store). */
function channelOptions(h: Harness) {
  const env = { ...process.env, IMSG_SIM_DEBOUNCE_MS: '0', IMSG_SIM_POLL_MS: '50', IMSG_SIM_HOME: h.dir, ANTHROPIC_API_KEY: 'test-key' };
  const agent = createAgent({ config: h.config, env, stateDir: h.stateDir, logger: h.hub.logger('agent2') });
  return {
    stateDir: h.stateDir,
    logger: h.hub.logger('imessage'),
    pairing: new PairingStore({ stateDir: h.stateDir }),
    agent,
    env,
    timings: { backoff: { initialMs: 50, maxMs: 400, factor: 2, jitter: 0 }, stopGraceMs: 200, healthThrottleMs: 20 },
  };
}
