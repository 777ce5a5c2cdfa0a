// File-level faults on the gateway's state: a full disk and a read-only state folder, for every
// writer of user data (PairingStore, the config writer, the cursor store, writeFileAtomic).
// Each must fail with an error that names the file and the fix, leave the previous file intact,
// leave no temp or lock files behind, and work again (losing nothing) once the fault is gone.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../main/config/load';
import { setConfigValue } from '../../main/config/write';
import { CursorStore } from '../../main/imessage/cursor-store';
import { PairingStore, PairingStoreError } from '../../main/pairing/store';
import { writeFileAtomic } from '../../main/util/atomic-file';
import { createLogHub } from '../../main/util/logger';
import { canFillDisk, canMakeReadOnly, FaultyVolume, partialFiles } from './fs-faults';

const volumes: FaultyVolume[] = [];
afterEach(() => {
  for (const volume of volumes.splice(0)) volume.dispose();
});

function volume(): FaultyVolume {
  const created = FaultyVolume.create();
  volumes.push(created);
  return created;
}

const read = (path: string) => readFileSync(path, 'utf8');

/** A state folder with one pending request, one approved sender, a config file and a cursor. */
async function populate(dir: string) {
  const store = new PairingStore({ stateDir: dir });
  await store.upsertRequest('+15550001111');
  const approved = await store.upsertRequest('+15550002222');
  await store.approve(approved.request!.code);
  const configPath = join(dir, 'clawdbot.json');
  await setConfigValue(configPath, 'channels.imessage.dmPolicy', 'pairing');
  const hub = createLogHub({ level: 'debug' });
  const cursor = await CursorStore.open({ stateDir: dir, accountId: 'default', logger: hub.logger('cursor') });
  for (const rowid of [10, 11, 12]) {
    cursor.markStarted(rowid);
    cursor.markDone(rowid);
  }
  await cursor.flush();
  const snapshot = () => ({
    pairing: read(store.pairingPath),
    allowFrom: read(store.allowFromPath),
    config: read(configPath),
    cursor: read(cursor.cursorPath),
  });
  return { store, configPath, cursor, hub, snapshot, before: snapshot() };
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the operation to fail');
}

describe.skipIf(!canFillDisk())('disk full (tmpfs filled up)', () => {
  it('PairingStore: new request and approval fail clearly, files intact, no leftovers; retried after freeing space, nothing lost', async () => {
    const v = volume();
    const { store, before, snapshot, cursor } = await populate(v.dir);
    await cursor.close();
    v.fill();

    const upsert = await rejection(store.upsertRequest('+15550003333'));
    expect(upsert).toBeInstanceOf(PairingStoreError);
    expect(upsert).toMatchObject({ code: 'io', path: store.pairingPath });
    expect(upsert.message).toContain(store.pairingPath);
    expect(upsert.message).toMatch(/ENOSPC.*Free some disk space/);

    const [pending] = await store.list();
    const approve = await rejection(store.approve(pending!.code));
    expect(approve).toMatchObject({ code: 'io' });
    expect(approve.message).toMatch(/Free some disk space/);

    expect(snapshot()).toEqual(before);
    expect(partialFiles(v.list())).toEqual([]);
    // The approval is still pending, so it can simply be repeated.
    expect((await store.list()).map((r) => r.id)).toEqual(['+15550001111']);
    expect(store.allowFromSnapshot()).toEqual(['+15550002222']);

    v.free();
    expect(await store.approve(pending!.code)).toMatchObject({ id: '+15550001111' });
    expect(await store.readAllowFrom()).toEqual(['+15550002222', '+15550001111']);
    expect((await store.upsertRequest('+15550003333')).created).toBe(true);
    expect(statSync(store.allowFromPath).mode & 0o777).toBe(0o600);
  });

  it('config write: a ConfigError (kind io) with the fix; the file stays byte-identical', async () => {
    const v = volume();
    const { configPath, before, cursor } = await populate(v.dir);
    await cursor.close();
    v.fill();
    const error = await rejection(setConfigValue(configPath, 'channels.imessage.textChunkLimit', '2000'));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ kind: 'io', file: configPath });
    expect(error.message).toMatch(/^Cannot write .*clawdbot\.json: ENOSPC/);
    expect(error.message).toContain('Fix: Free some disk space and try again.');
    expect(read(configPath)).toBe(before.config);
    expect(partialFiles(v.list())).toEqual([]);
    v.free();
    await setConfigValue(configPath, 'channels.imessage.textChunkLimit', '2000');
    expect((await loadConfig({ path: configPath })).config.channels?.imessage?.textChunkLimit).toBe(2000);
  });

  it('cursor store: logs the failure, keeps the last cursor file and the journal, and catches up once space is back', async () => {
    const v = volume();
    const { cursor, hub, before } = await populate(v.dir);
    v.fill();
    for (const rowid of [13, 14, 15]) {
      cursor.markStarted(rowid);
      cursor.markDone(rowid);
    }
    await cursor.flush();
    const errors = hub.tail(50).filter((r) => r.level === 'error').map((r) => `${r.msg} ${JSON.stringify(r.data)}`);
    expect(errors.some((e) => e.startsWith('cursor: could not write the cursor file') && e.includes('ENOSPC'))).toBe(true);
    expect(read(cursor.cursorPath)).toBe(before.cursor);
    expect(partialFiles(v.list())).toEqual([]);
    // In memory nothing is lost: the next successful compaction writes everything.
    expect(cursor.watermark).toBe(15);
    v.free();
    await cursor.close();
    expect(JSON.parse(read(cursor.cursorPath))).toMatchObject({ watermark: 15 });
    const reopened = await CursorStore.open({ stateDir: v.dir, accountId: 'default' });
    expect(reopened.watermark).toBe(15);
    await reopened.close();
  });

  it('writeFileAtomic: rejects with ENOSPC, removes its temp file, leaves the target as it was', async () => {
    const v = volume();
    const target = join(v.dir, 'state.json');
    await writeFileAtomic(target, '{"old":true}\n');
    v.fill();
    const error = await rejection(writeFileAtomic(target, JSON.stringify({ big: 'x'.repeat(200_000) })));
    expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
    expect(read(target)).toBe('{"old":true}\n');
    expect(partialFiles(v.list())).toEqual([]);
  });
});

describe.skipIf(!canMakeReadOnly())('read-only state folder', () => {
  it('PairingStore: every change fails clearly; reads keep working; files untouched', async () => {
    const v = volume();
    const { store, before, snapshot, cursor } = await populate(v.dir);
    await cursor.close();
    v.readOnly();

    const [pending] = await store.list();
    const started = Date.now();
    const attempts = [() => store.upsertRequest('+15550003333'), () => store.approve(pending!.code), () => store.deny(pending!.code), () => store.revoke('+15550002222')];
    for (const attempt of attempts) {
      const error = await rejection(attempt());
      expect(error).toBeInstanceOf(PairingStoreError);
      expect(error).toMatchObject({ code: 'io' });
      expect(error.message).toMatch(/^Cannot write .*credentials\/imessage-(pairing|allowFrom)\.json: (EROFS|EACCES)/);
      expect(error.message).toMatch(/read-only volume|writable by your user/);
    }
    // Failing fast matters: the gateway's pipeline waits on these for an unknown sender.
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await store.readAllowFrom()).toEqual(['+15550002222']);
    expect(store.allowFromSnapshot()).toEqual(['+15550002222']);
    expect(snapshot()).toEqual(before);
    v.writable();
    expect(partialFiles(v.list())).toEqual([]);
    expect(await store.approve(pending!.code)).toMatchObject({ id: '+15550001111' });
  });

  it('config: loading works, writing gives a write error (not "another process is changing it")', async () => {
    const v = volume();
    const { configPath, before, cursor } = await populate(v.dir);
    await cursor.close();
    v.readOnly();
    expect((await loadConfig({ path: configPath })).config.channels?.imessage?.dmPolicy).toBe('pairing');
    const started = Date.now();
    const error = await rejection(setConfigValue(configPath, 'channels.imessage.dmPolicy', 'allowlist'));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(error).toMatchObject({ kind: 'io', file: configPath });
    expect(error.message).not.toMatch(/another process/);
    expect(error.message).toMatch(/Fix: .*(read-only volume|writable by your user)/);
    expect(read(configPath)).toBe(before.config);
    v.writable();
    expect(partialFiles(v.list())).toEqual([]);
  });

  it('cursor store: opening on a read-only folder fails with the file named; the cursor file is untouched', async () => {
    const v = volume();
    const { cursor, before } = await populate(v.dir);
    await cursor.close();
    v.readOnly();
    const error = await rejection(CursorStore.open({ stateDir: v.dir, accountId: 'default' }));
    expect((error as NodeJS.ErrnoException).code).toMatch(/^(EROFS|EACCES)$/);
    expect(error.message).toContain(join('imessage', 'default.cursor'));
    expect(read(cursor.cursorPath)).toBe(before.cursor);
  });
});
