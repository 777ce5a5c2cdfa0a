import { existsSync, mkdirSync, rmSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/imsg-fixtures';
import { FileLockError, lockPathFor, withFileLock } from './file-lock';

let root: string;
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('withFileLock', () => {
  it('holds <file>.lock while the work runs and removes it afterwards', async () => {
    root = tempDir('file-lock-');
    const file = join(root, 'store.json');
    const seen = await withFileLock(file, async () => existsSync(lockPathFor(file)));
    expect(seen).toBe(true);
    expect(existsSync(lockPathFor(file))).toBe(false);
  });

  it('waits while another process holds the lock, then runs', async () => {
    root = tempDir('file-lock-');
    const file = join(root, 'store.json');
    mkdirSync(lockPathFor(file)); // another holder, fresh
    const startedAt = Date.now();
    setTimeout(() => rmSync(lockPathFor(file), { recursive: true }), 150);
    const ranAt = await withFileLock(file, async () => Date.now(), { minRetryDelayMs: 5, maxRetryDelayMs: 20 });
    expect(ranAt - startedAt).toBeGreaterThanOrEqual(140);
    expect(existsSync(lockPathFor(file))).toBe(false);
  });

  it('gives up with a clear error naming the lock when it stays held', async () => {
    root = tempDir('file-lock-');
    const file = join(root, 'store.json');
    mkdirSync(lockPathFor(file));
    const failure = withFileLock(file, async () => 'ran', { retries: 3, minRetryDelayMs: 5, maxRetryDelayMs: 10 });
    await expect(failure).rejects.toBeInstanceOf(FileLockError);
    await expect(failure).rejects.toThrow(`if none is running, delete ${lockPathFor(file)}`);
  });

  it('takes over a lock abandoned by a crashed holder (older than staleMs) at once', async () => {
    root = tempDir('file-lock-');
    const file = join(root, 'store.json');
    mkdirSync(lockPathFor(file));
    const old = new Date(Date.now() - 60_000);
    utimesSync(lockPathFor(file), old, old);
    await expect(withFileLock(file, async () => 'ran', { staleMs: 5000, retries: 0 })).resolves.toBe('ran');
  });

  it('runs callers of one process one at a time, in order', async () => {
    root = tempDir('file-lock-');
    const file = join(root, 'store.json');
    const events: string[] = [];
    await Promise.all(
      [1, 2, 3].map((n) =>
        withFileLock(file, async () => {
          events.push(`start ${n}`);
          await new Promise((resolve) => setTimeout(resolve, 10));
          events.push(`end ${n}`);
        }),
      ),
    );
    expect(events).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
  });
});
