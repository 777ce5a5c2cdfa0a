import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/imsg-fixtures';
import { writeFileAtomic, writeFileAtomicSync } from './atomic-file';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function dir(): string {
  const path = tempDir('atomic-file-');
  cleanups.push(() => rmSync(path, { recursive: true, force: true }));
  return path;
}

describe.each([
  ['writeFileAtomic', (path: string, data: string, options?: Parameters<typeof writeFileAtomicSync>[2]) => writeFileAtomic(path, data, options)],
  ['writeFileAtomicSync', async (path: string, data: string, options?: Parameters<typeof writeFileAtomicSync>[2]) => writeFileAtomicSync(path, data, options)],
])('%s', (_name, write) => {
  it('creates missing folders (0700) and the file with the exact mode, whatever the umask', async () => {
    const target = join(dir(), 'nested', 'state.json');
    const umask = process.umask(0o077);
    try {
      await write(target, '{"a":1}\n', { mode: 0o640, durable: false });
    } finally {
      process.umask(umask);
    }
    expect(readFileSync(target, 'utf8')).toBe('{"a":1}\n');
    expect(statSync(target).mode & 0o777).toBe(0o640);
    expect(statSync(join(target, '..')).mode & 0o777).toBe(0o700);
  });

  it('replaces the whole file and leaves no temporary file behind', async () => {
    const root = dir();
    const target = join(root, 'state.json');
    writeFileSync(target, 'old content that is longer than the new one');
    await write(target, 'new', {});
    expect(readFileSync(target, 'utf8')).toBe('new');
    expect(readdirSync(root)).toEqual(['state.json']);
  });

  it('on failure keeps the old file untouched and removes its temporary file', async () => {
    const root = dir();
    const target = join(root, 'state.json');
    writeFileSync(target, 'precious');
    // The rename cannot replace a directory: the write fails after the temp file exists.
    const blocked = join(root, 'blocked');
    mkdirSync(blocked);
    await expect(write(blocked, 'data')).rejects.toThrow(/EISDIR|EEXIST|ENOTEMPTY|illegal operation|is a directory/i);
    expect(readFileSync(target, 'utf8')).toBe('precious');
    expect(readdirSync(root).sort()).toEqual(['blocked', 'state.json']);
  });
});
