// The Automation tracker over real `imsg rpc` processes (the simulator's Automation modes): what a
// send says about the permission, the pending state while the macOS prompt is up, and the answer
// remembered in the state dir across a restart.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../util/logger';
import { AutomationTracker, automationOutcome } from './automation';
import { ImsgRpcClient } from './rpc-client';
import { simBinPath, simEnv, tempDb, type TempDb } from '../../test/support/sim-session';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(env: Record<string, string> | ((dir: string) => Record<string, string>) = {}): Promise<{ fx: TempDb; client: ImsgRpcClient; stateDir: string }> {
  const fx = tempDb();
  cleanups.push(() => fx.cleanup());
  const client = new ImsgRpcClient({ cliPath: simBinPath, dbPath: fx.dbPath, env: simEnv(typeof env === 'function' ? env(fx.dir) : env) });
  cleanups.push(() => client.stop());
  await client.start();
  const stateDir = join(fx.dir, 'state');
  return { fx, client, stateDir };
}

function readIfThere(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

function changes(tracker: AutomationTracker): string[] {
  const seen: string[] = [];
  tracker.onChange((accountId) => seen.push(`${accountId}:${tracker.peek(accountId)?.state ?? 'none'}`));
  return seen;
}

describe('AutomationTracker', () => {
  it('a send that goes out: ok, remembered in the state dir; a second ok writes nothing new', async () => {
    const { client, stateDir } = await setup();
    const tracker = new AutomationTracker({ stateDir, logger: silentLogger });
    const seen = changes(tracker);
    const rpc = tracker.observe('default', client);
    await rpc.call('send', { to: '+15555550123', text: 'hi' });
    expect(await tracker.get('default')).toMatchObject({ state: 'ok', detail: 'a message went out through Messages' });
    await rpc.call('send', { to: '+15555550123', text: 'again' });
    expect(seen).toEqual(['default:ok']);
    // Reads and other methods say nothing about Automation.
    await rpc.call('chats.list', { limit: 1 });
    expect(seen).toEqual(['default:ok']);
    await expect.poll(() => (readIfThere(join(stateDir, 'imessage', 'default.automation.json')) as { state?: string } | undefined)?.state).toBe('ok');
    expect(await new AutomationTracker({ stateDir, logger: silentLogger }).get('default')).toMatchObject({ state: 'ok' });
  });

  it('-1743: denied with imsg’s words, and still denied for the next gateway (the state dir)', async () => {
    const { client, stateDir } = await setup({ IMSG_SIM_AUTOMATION: 'denied' });
    const tracker = new AutomationTracker({ stateDir, logger: silentLogger });
    await expect(tracker.observe('work', client).call('send', { to: '+15555550123', text: 'hi' })).rejects.toThrow(/-1743/);
    const record = await tracker.get('work');
    expect(record).toMatchObject({ state: 'denied' });
    expect(record!.detail).toContain('Not authorized to send Apple events to Messages. (-1743)');
    await expect.poll(async () => (await new AutomationTracker({ stateDir, logger: silentLogger }).get('work'))?.state).toBe('denied');
  });

  it('a send waiting on the prompt is pending; the click decides (OK → ok)', async () => {
    const { fx, client: waiting, stateDir } = await setup((dir) => ({ IMSG_SIM_AUTOMATION: 'pending', IMSG_SIM_AUTOMATION_ANSWER: join(dir, 'answer') }));
    const answer = join(fx.dir, 'answer');
    const tracker = new AutomationTracker({ stateDir, logger: silentLogger, pendingAfterMs: 100 });
    const seen = changes(tracker);
    const sending = tracker.observe('default', waiting).call('send', { to: '+15555550123', text: 'hi' });
    await expect.poll(() => tracker.peek('default')?.state).toBe('pending');
    expect(tracker.peek('default')!.detail).toContain('macOS is asking for permission');
    writeFileSync(answer, 'OK');
    await sending;
    expect(seen).toEqual(['default:pending', 'default:ok']);
    // pending is never written: a restarted gateway does not wait on a prompt of the last one.
    await expect.poll(() => (readIfThere(join(stateDir, 'imessage', 'default.automation.json')) as { state?: string } | undefined)?.state).toBe('ok');
  });

  it('an unanswered prompt that times out goes back to what was known; other failures change nothing', async () => {
    const { client, stateDir } = await setup({ IMSG_SIM_AUTOMATION: 'pending', IMSG_SIM_AUTOMATION_TIMEOUT_MS: '400' });
    mkdirSync(join(stateDir, 'imessage'), { recursive: true });
    writeFileSync(join(stateDir, 'imessage', 'default.automation.json'), JSON.stringify({ state: 'denied', detail: 'refused before', at: '2026-01-01T00:00:00.000Z' }));
    const tracker = new AutomationTracker({ stateDir, logger: silentLogger, pendingAfterMs: 100 });
    await tracker.get('default');
    const seen = changes(tracker);
    await expect(tracker.observe('default', client).call('send', { to: '+15555550123', text: 'hi' })).rejects.toThrow(/-1712/);
    expect(seen).toEqual(['default:pending', 'default:denied']);
    expect((await tracker.get('default'))!.detail).toBe('refused before');
    // A send refused for another reason (bad params) says nothing about Automation.
    await expect(tracker.observe('default', client).call('send', { to: '+15555550123', text: '' })).rejects.toThrow();
    expect(seen).toHaveLength(2);
  });

  it('a damaged state file only loses the remembered answer', async () => {
    const { stateDir } = await setup();
    mkdirSync(join(stateDir, 'imessage'), { recursive: true });
    writeFileSync(join(stateDir, 'imessage', 'default.automation.json'), '{ not json');
    expect(await new AutomationTracker({ stateDir, logger: silentLogger }).get('default')).toBeNull();
  });

  it('automationOutcome: ok, denied (-1743 in any wording), or nothing', () => {
    expect(automationOutcome(undefined)).toBe('ok');
    expect(automationOutcome(new Error('imsg rpc error (send): code=-32603 AppleScript failed: Not authorized to send Apple events to Messages. (-1743)'))).toBe('denied');
    expect(automationOutcome(new Error('execution error: Not authorised to send Apple events to Messages.'))).toBe('denied');
    expect(automationOutcome(new Error('AppleScript failed: Messages got an error: AppleEvent timed out. (-1712)'))).toBeNull();
  });
});
