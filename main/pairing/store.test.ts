import { cpuMs } from '../../test/support/cpu-time';
import { promises as fs, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PairingEvent } from '../../contract/gateway-api';
import { isValidPairingCode } from './codes';
import { PairingStore, PairingStoreError, type PairingStoreOptions } from './store';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-01-28T10:00:00.000Z');

let stateDir: string;
let clock: number;
let events: PairingEvent[];

function makeStore(options: Partial<PairingStoreOptions> = {}): PairingStore {
  const store = new PairingStore({ stateDir, now: () => clock, ...options });
  store.on('pairing', (event) => events.push(event));
  return store;
}

const credentials = () => join(stateDir, 'credentials');
const pairingFile = () => join(credentials(), 'imessage-pairing.json');
const allowFile = () => join(credentials(), 'imessage-allowFrom.json');
const readJson = async (path: string) => JSON.parse(await fs.readFile(path, 'utf8')) as Record<string, unknown>;

beforeEach(async () => {
  stateDir = await fs.mkdtemp(join(tmpdir(), 'pairing-store-'));
  clock = T0;
  events = [];
});

afterEach(async () => {
  await fs.rm(stateDir, { recursive: true, force: true });
});

describe('upsertRequest', () => {
  it('creates a request with a valid code and writes the spec file format with owner-only modes', async () => {
    const store = makeStore();
    const result = await store.upsertRequest('+1 (555) 000-1111', { sender: '+15550001111', chatId: '7' });
    expect(result.created).toBe(true);
    expect(result.capped).toBe(false);
    const request = result.request!;
    expect(request.id).toBe('+15550001111');
    expect(isValidPairingCode(request.code)).toBe(true);
    expect(request).toMatchObject({
      createdAt: '2026-01-28T10:00:00.000Z',
      lastSeenAt: '2026-01-28T10:00:00.000Z',
      expiresAt: '2026-01-28T11:00:00.000Z',
      meta: { sender: '+15550001111', chatId: '7' },
    });

    const text = await fs.readFile(pairingFile(), 'utf8');
    expect(text.endsWith('}\n')).toBe(true);
    expect(text).toContain('\n  "version": 1,');
    expect(JSON.parse(text)).toEqual({
      version: 1,
      requests: [
        { id: '+15550001111', code: request.code, createdAt: '2026-01-28T10:00:00.000Z', lastSeenAt: '2026-01-28T10:00:00.000Z', meta: { sender: '+15550001111', chatId: '7' } },
      ],
    });
    expect(statSync(pairingFile()).mode & 0o777).toBe(0o600);
    expect(statSync(credentials()).mode & 0o777).toBe(0o700);
    expect(events).toEqual([{ kind: 'requested', channel: 'imessage', senderId: '+15550001111', code: request.code, at: '2026-01-28T10:00:00.000Z' }]);
  });

  it('tightens an existing credentials directory to 0700', async () => {
    await fs.mkdir(credentials(), { mode: 0o755 });
    await fs.chmod(credentials(), 0o755);
    await makeStore().upsertRequest('+15550001111');
    expect(statSync(credentials()).mode & 0o777).toBe(0o700);
  });

  it('reuses the pending code and reports created=false; refreshes lastSeenAt at most once a minute', async () => {
    const store = makeStore();
    const first = await store.upsertRequest('+15550001111');
    const before = await fs.readFile(pairingFile(), 'utf8');

    clock += 30_000;
    const second = await store.upsertRequest('+15550001111');
    expect(second).toMatchObject({ created: false, capped: false, request: { code: first.request!.code, lastSeenAt: '2026-01-28T10:00:00.000Z' } });
    expect(await fs.readFile(pairingFile(), 'utf8')).toBe(before); // no write within the minute

    clock += 60_000;
    const third = await store.upsertRequest('+15550001111', { chatId: '9' });
    expect(third).toMatchObject({ created: false, request: { code: first.request!.code, lastSeenAt: '2026-01-28T10:01:30.000Z', meta: { chatId: '9' } } });
    const onDisk = (await readJson(pairingFile())).requests as { lastSeenAt: string; createdAt: string }[];
    expect(onDisk[0]).toMatchObject({ lastSeenAt: '2026-01-28T10:01:30.000Z', createdAt: '2026-01-28T10:00:00.000Z' });
    expect(events.map((e) => e.kind)).toEqual(['requested']);
  });

  it('caps pending requests at 3: a 4th unknown sender gets nothing and nothing is stored', async () => {
    const store = makeStore();
    for (const sender of ['+15550000001', '+15550000002', '+15550000003']) expect((await store.upsertRequest(sender)).created).toBe(true);
    const capped = await store.upsertRequest('+15550000004');
    expect(capped).toEqual({ created: false, capped: true, request: null, pending: 3 });
    expect(((await readJson(pairingFile())).requests as unknown[]).length).toBe(3);
    // A pending sender still gets created=false (not capped).
    expect(await store.upsertRequest('+15550000001')).toMatchObject({ created: false, capped: false });
    // Once a slot frees, the 4th sender gets a request.
    await store.deny((await store.list())[0]!.code);
    expect((await store.upsertRequest('+15550000004')).created).toBe(true);
  });

  it('expires requests after the TTL: list prunes them, emits "expired", and a new message gets a new code', async () => {
    const store = makeStore();
    const first = await store.upsertRequest('+15550001111');
    clock += HOUR - 1;
    expect(await store.list()).toHaveLength(1);
    clock += 1;
    expect(await store.list()).toEqual([]);
    expect(events.map((e) => e.kind)).toEqual(['requested', 'expired']);
    expect((await readJson(pairingFile())).requests).toEqual([]);

    const again = await store.upsertRequest('+15550001111');
    expect(again.created).toBe(true);
    expect(again.request!.createdAt).toBe(new Date(T0 + HOUR).toISOString());
    expect(await store.approve(first.request!.code)).toBeNull();
  });

  it('expired requests do not count towards the cap', async () => {
    const store = makeStore();
    for (const sender of ['+15550000001', '+15550000002', '+15550000003']) await store.upsertRequest(sender);
    clock += HOUR;
    expect((await store.upsertRequest('+15550000004')).created).toBe(true);
    expect((await store.list()).map((r) => r.id)).toEqual(['+15550000004']);
  });

  it('regenerates when a generated code collides', async () => {
    const codes = ['AAAAAAAA', 'AAAAAAAA', 'BBBBBBBB'];
    const store = makeStore({ generateCode: () => codes.shift()! });
    expect((await store.upsertRequest('+15550000001')).request!.code).toBe('AAAAAAAA');
    expect((await store.upsertRequest('+15550000002')).request!.code).toBe('BBBBBBBB');
  });

  it('rejects an empty or wildcard sender id', async () => {
    const store = makeStore();
    await expect(store.upsertRequest('  ')).rejects.toMatchObject({ code: 'invalid-sender' });
    await expect(store.upsertRequest('*')).rejects.toBeInstanceOf(PairingStoreError);
  });

  it('treats an unparseable createdAt as expired and keeps the most recently active when over the cap', async () => {
    await fs.mkdir(credentials(), { recursive: true });
    const req = (id: string, code: string, createdAt: string, lastSeenAt: string) => ({ id, code, createdAt, lastSeenAt });
    await fs.writeFile(
      pairingFile(),
      JSON.stringify({
        version: 1,
        requests: [
          req('+1', 'AAAAAAAA', 'not a date', '2026-01-28T10:00:00.000Z'),
          req('+2', 'BBBBBBBB', '2026-01-28T09:30:00.000Z', '2026-01-28T09:31:00.000Z'),
          req('+3', 'CCCCCCCC', '2026-01-28T09:30:00.000Z', '2026-01-28T09:59:00.000Z'),
          req('+4', 'DDDDDDDD', '2026-01-28T09:30:00.000Z', '2026-01-28T09:58:00.000Z'),
          req('+5', 'EEEEEEEE', '2026-01-28T09:30:00.000Z', '2026-01-28T09:57:00.000Z'),
        ],
      }),
    );
    const store = makeStore();
    expect((await store.list()).map((r) => r.id).sort()).toEqual(['+3', '+4', '+5']);
    expect(events.filter((e) => e.kind === 'expired').map((e) => e.senderId).sort()).toEqual(['+1', '+2']);
  });
});

describe('approve / deny / revoke', () => {
  it('approves case-insensitively: the sender moves to the allow store', async () => {
    const store = makeStore();
    const { request } = await store.upsertRequest('+15550001111', { sender: '+15550001111', chatId: '7' });
    const approved = await store.approve(`  ${request!.code.toLowerCase()} `);
    expect(approved).toMatchObject({ id: '+15550001111', code: request!.code });
    expect(await readJson(allowFile())).toEqual({ version: 1, allowFrom: ['+15550001111'] });
    expect(statSync(allowFile()).mode & 0o777).toBe(0o600);
    expect(await store.list()).toEqual([]);
    expect(await store.readAllowFrom()).toEqual(['+15550001111']);
    expect(store.allowFromSnapshot()).toEqual(['+15550001111']);
    expect(events.map((e) => [e.kind, e.senderId, e.code])).toEqual([
      ['requested', '+15550001111', request!.code],
      ['approved', '+15550001111', request!.code],
    ]);
    // The code is used up.
    expect(await store.approve(request!.code)).toBeNull();
  });

  it('returns null for unknown or empty codes and changes nothing', async () => {
    const store = makeStore();
    await store.upsertRequest('+15550001111');
    expect(await store.approve('ZZZZZZZZ')).toBeNull();
    expect(await store.approve('   ')).toBeNull();
    expect(await store.list()).toHaveLength(1);
    expect(await store.readAllowFrom()).toEqual([]);
  });

  it('does not duplicate a sender already in the allow store', async () => {
    const store = makeStore();
    await store.approve((await store.upsertRequest('+15550001111')).request!.code);
    clock += HOUR;
    await store.approve((await store.upsertRequest('+15550001111')).request!.code);
    expect(await store.readAllowFrom()).toEqual(['+15550001111']);
  });

  it('deny removes the request without approving; the sender may ask again', async () => {
    const store = makeStore();
    const first = await store.upsertRequest('a@example.com');
    const denied = await store.deny(first.request!.code.toLowerCase());
    expect(denied).toMatchObject({ id: 'a@example.com' });
    expect(await store.list()).toEqual([]);
    expect(await store.readAllowFrom()).toEqual([]);
    expect(await store.deny(first.request!.code)).toBeNull();
    const again = await store.upsertRequest('A@Example.com');
    expect(again.created).toBe(true);
    expect(events.map((e) => e.kind)).toEqual(['requested', 'denied', 'requested']);
  });

  it('revoke removes an approved sender (matching by normalized handle)', async () => {
    const store = makeStore();
    await store.approve((await store.upsertRequest('+15550001111')).request!.code);
    await store.approve((await store.upsertRequest('+15550002222')).request!.code);
    expect(await store.revoke('imessage:+1 (555) 000-1111')).toBe(true);
    expect(await store.readAllowFrom()).toEqual(['+15550002222']);
    expect(store.allowFromSnapshot()).toEqual(['+15550002222']);
    expect(await store.revoke('+15550001111')).toBe(false);
    expect(events.filter((e) => e.kind === 'revoked')).toEqual([{ kind: 'revoked', channel: 'imessage', senderId: '+15550001111', at: expect.any(String) }]);
  });
});

describe('where a request came from, and what became of its code', () => {
  it('keeps the account and chat of the first message; a repeat from another account does not move it', async () => {
    const store = makeStore({ lastSeenRefreshMs: 0 });
    const first = await store.upsertRequest('+15550001111', { sender: '+15550001111', accountId: 'main', chatId: '7' });
    expect(first.request).toMatchObject({ accountId: 'main', chatId: 7, meta: { sender: '+15550001111', accountId: 'main', chatId: '7' } });
    clock += 1000;
    const again = await store.upsertRequest('+15550001111', { sender: '+15550001111', accountId: 'bot', chatId: '99' });
    expect(again.request).toMatchObject({ accountId: 'main', chatId: 7 });
    expect((await store.list())[0]).toMatchObject({ accountId: 'main', chatId: 7 });
  });

  it('remembers approved and denied codes for the TTL, so a second approval can say so', async () => {
    const store = makeStore();
    const a = (await store.upsertRequest('+15550001111')).request!;
    const b = (await store.upsertRequest('+15550002222')).request!;
    await store.approve(a.code);
    await store.deny(b.code);
    clock += 10 * 60_000;
    expect(await store.approve(a.code)).toBeNull();
    expect(await store.resolution(a.code.toLowerCase())).toEqual({ request: expect.objectContaining({ id: '+15550001111', code: a.code }), outcome: 'approved', resolvedAt: new Date(T0).toISOString() });
    expect(await store.resolution(b.code)).toMatchObject({ outcome: 'denied', request: { id: '+15550002222' } });
    expect(await store.resolution('ZZZZ2345')).toBeUndefined();
    clock += HOUR;
    expect(await store.resolution(a.code)).toBeUndefined();
  });

  it('denyAll drops every pending request with a "denied" event each and frees the slots', async () => {
    const store = makeStore();
    for (const id of ['+15550000001', '+15550000002', '+15550000003']) await store.upsertRequest(id);
    expect((await store.upsertRequest('+15550000004')).capped).toBe(true);
    events = [];
    const denied = await store.denyAll();
    expect(denied.map((request) => request.id)).toEqual(['+15550000001', '+15550000002', '+15550000003']);
    expect(events.map((event) => [event.kind, event.senderId])).toEqual(denied.map((request) => ['denied', request.id]));
    expect(await store.list()).toEqual([]);
    expect(await store.readAllowFrom()).toEqual([]);
    expect((await store.upsertRequest('+15550000004')).created).toBe(true);
    expect(await store.denyAll()).toHaveLength(1);
    expect(await store.denyAll()).toEqual([]);
  });

  it('a createdAt in the future beyond a few minutes counts as expired (it would hold a slot forever)', async () => {
    const store = makeStore();
    await fs.mkdir(credentials(), { recursive: true });
    const at = (ms: number) => new Date(ms).toISOString();
    const requests = [
      { id: '+15550000001', code: 'AAAA2345', createdAt: at(T0 + 365 * 24 * HOUR), lastSeenAt: at(T0) },
      { id: '+15550000002', code: 'BBBB2345', createdAt: at(T0 + 60_000), lastSeenAt: at(T0) }, // a clock a minute apart
    ];
    await fs.writeFile(pairingFile(), JSON.stringify({ version: 1, requests }));
    expect((await store.list()).map((request) => request.id)).toEqual(['+15550000002']);
    expect(events).toEqual([expect.objectContaining({ kind: 'expired', senderId: '+15550000001' })]);
  });
});

describe('allow store reads', () => {
  it('allowFromSnapshot returns the same array while the file is unchanged and sees other writers at once', async () => {
    const store = makeStore();
    const empty = store.allowFromSnapshot();
    expect(empty).toEqual([]);
    expect(store.allowFromSnapshot()).toBe(empty);

    // Another process (another store instance on the same dir) approves someone.
    const other = new PairingStore({ stateDir, now: () => clock });
    await other.approve((await other.upsertRequest('+15550001111')).request!.code);

    const first = store.allowFromSnapshot();
    expect(first).toEqual(['+15550001111']);
    expect(Object.isFrozen(first)).toBe(true);
    expect(store.allowFromSnapshot()).toBe(first);
  });

  it('never returns "*" from the store, and drops blanks and duplicates', async () => {
    await fs.mkdir(credentials(), { recursive: true });
    await fs.writeFile(allowFile(), JSON.stringify({ version: 1, allowFrom: ['*', ' +15550001111 ', '', '+15550001111', 15550002222] }));
    const store = makeStore();
    expect(store.allowFromSnapshot()).toEqual(['+15550001111', '15550002222']);
    expect(await store.readAllowFrom()).toEqual(['+15550001111', '15550002222']);
  });

  it('is cheap per message: a stat, no read, when unchanged', async () => {
    const store = makeStore();
    await store.approve((await store.upsertRequest('+15550001111')).request!.code);
    store.allowFromSnapshot();
    // CPU time, not wall time: a descheduled test worker on a busy machine says nothing about the code.
    const { ms } = cpuMs(() => {
      for (let i = 0; i < 5000; i += 1) store.allowFromSnapshot();
    });
    expect(ms / 5000).toBeLessThan(0.5); // ms per call (a stat is a few µs)
  });
});

describe('corrupt and foreign files', () => {
  it('a corrupt pairing file is preserved aside and reported, never silently reset', async () => {
    await fs.mkdir(credentials(), { recursive: true });
    await fs.writeFile(pairingFile(), '{"version":1,"requests":[{"id":');
    const store = makeStore();

    const error = await store.upsertRequest('+15550001111').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PairingStoreError);
    const storeError = error as PairingStoreError;
    expect(storeError.code).toBe('corrupt');
    expect(storeError.path).toBe(pairingFile());
    expect(storeError.message).toMatch(/is not valid JSON/);
    expect(storeError.message).toContain(storeError.preservedAt!);
    expect(await fs.readFile(storeError.preservedAt!, 'utf8')).toBe('{"version":1,"requests":[{"id":');
    await expect(fs.stat(pairingFile())).rejects.toMatchObject({ code: 'ENOENT' });

    // After reporting, the store works again with a fresh file.
    expect((await store.upsertRequest('+15550001111')).created).toBe(true);
  });

  it('a structurally wrong file is corrupt too (names the bad field)', async () => {
    await fs.mkdir(credentials(), { recursive: true });
    await fs.writeFile(pairingFile(), JSON.stringify({ version: 1, requests: [{ id: '+1', code: 5 }] }));
    await expect(makeStore().list()).rejects.toMatchObject({ code: 'corrupt', message: expect.stringMatching(/requests\.0\.code/) });
  });

  it('a corrupt allow store: approve fails and keeps the request; the snapshot keeps the last good list', async () => {
    const store = makeStore();
    await store.approve((await store.upsertRequest('+15550001111')).request!.code);
    expect(store.allowFromSnapshot()).toEqual(['+15550001111']);

    await fs.writeFile(allowFile(), 'garbage');
    expect(store.allowFromSnapshot()).toEqual(['+15550001111']);
    expect(store.allowFromError).toMatchObject({ code: 'corrupt' });
    await expect(store.readAllowFrom()).rejects.toMatchObject({ code: 'corrupt' });

    const { request } = await store.upsertRequest('+15550002222');
    const error = (await store.approve(request!.code).catch((e: unknown) => e)) as PairingStoreError;
    expect(error.code).toBe('corrupt');
    expect(await fs.readFile(error.preservedAt!, 'utf8')).toBe('garbage');
    expect((await store.list()).map((r) => r.id)).toEqual(['+15550002222']); // still pending
    expect(events.filter((e) => e.kind === 'approved')).toHaveLength(1);

    // Approving again now works (fresh allow store; the old one is kept aside for the user).
    expect(await store.approve(request!.code)).toMatchObject({ id: '+15550002222' });
    expect(store.allowFromSnapshot()).toEqual(['+15550002222']);
    expect(store.allowFromError).toBeNull();
  });

  it('a file from a newer version is reported and left untouched', async () => {
    await fs.mkdir(credentials(), { recursive: true });
    const content = JSON.stringify({ version: 2, requests: [], extra: true });
    await fs.writeFile(pairingFile(), content);
    await expect(makeStore().upsertRequest('+15550001111')).rejects.toMatchObject({ code: 'unsupported-version' });
    expect(await fs.readFile(pairingFile(), 'utf8')).toBe(content);
  });

  it('an empty file counts as no data', async () => {
    await fs.mkdir(credentials(), { recursive: true });
    await fs.writeFile(pairingFile(), '');
    await fs.writeFile(allowFile(), '\n');
    const store = makeStore();
    expect(await store.list()).toEqual([]);
    expect(store.allowFromSnapshot()).toEqual([]);
  });
});

describe('locking', () => {
  it('serializes concurrent in-process changes without losing any', async () => {
    const store = makeStore({ maxPending: 100 });
    const senders = Array.from({ length: 25 }, (_, i) => `+1555000${String(i).padStart(4, '0')}`);
    const results = await Promise.all(senders.map((sender) => store.upsertRequest(sender)));
    expect(results.every((r) => r.created)).toBe(true);
    expect(new Set(results.map((r) => r.request!.code)).size).toBe(25);
    const approvals = await Promise.all(results.slice(0, 10).map((r) => store.approve(r.request!.code)));
    expect(approvals.every((a) => a !== null)).toBe(true);
    expect((await store.readAllowFrom()).sort()).toEqual(senders.slice(0, 10).sort());
    expect((await store.list()).map((r) => r.id).sort()).toEqual(senders.slice(10).sort());
    const leftovers = (await fs.readdir(credentials())).filter((name) => name.endsWith('.tmp') || name.endsWith('.lock'));
    expect(leftovers).toEqual([]);
  });

  it('reports a lock held by someone else with a typed, actionable error', async () => {
    await fs.mkdir(join(credentials(), 'imessage-pairing.json.lock'), { recursive: true });
    const store = makeStore({ lock: { retries: 2, minRetryDelayMs: 5, maxRetryDelayMs: 10 } });
    const error = (await store.upsertRequest('+15550001111').catch((e: unknown) => e)) as PairingStoreError;
    expect(error).toBeInstanceOf(PairingStoreError);
    expect(error.code).toBe('locked');
    expect(error.message).toMatch(/imessage-pairing\.json\.lock.*if none is running, delete/);
  });

  it('takes over a stale lock left by a crashed process', async () => {
    const lockDir = join(credentials(), 'imessage-pairing.json.lock');
    await fs.mkdir(lockDir, { recursive: true });
    const old = new Date(Date.now() - 60_000);
    await fs.utimes(lockDir, old, old);
    const store = makeStore({ lock: { retries: 2, minRetryDelayMs: 5, maxRetryDelayMs: 10 } });
    expect((await store.upsertRequest('+15550001111')).created).toBe(true);
  });
});
