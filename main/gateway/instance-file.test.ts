import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { instanceFilePath, readInstanceFile, removeInstanceFile, writeInstanceFile, type GatewayInstance } from './instance-file';

let stateDir: string;
beforeEach(async () => {
  stateDir = await fs.mkdtemp(join(tmpdir(), 'clawdbot-instance-'));
});
afterEach(async () => {
  await fs.rm(stateDir, { recursive: true, force: true });
});

const instance = (pid: number): GatewayInstance => ({
  pid,
  port: 18789,
  host: '127.0.0.1',
  url: 'http://127.0.0.1:18789',
  startedAt: '2026-01-28T10:00:00.000Z',
  version: '0.1.0',
});

/** A pid that surely belongs to no running process: one that just exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid!;
}

describe('gateway.json', () => {
  it('round-trips the running gateway, with mode 0600', async () => {
    await writeInstanceFile(stateDir, instance(process.pid));
    expect((await fs.stat(instanceFilePath(stateDir))).mode & 0o777).toBe(0o600);
    expect(await readInstanceFile(stateDir)).toEqual(instance(process.pid));
  });

  it('ignores a file left by a gateway that is gone, and garbage', async () => {
    await writeInstanceFile(stateDir, instance(deadPid()));
    expect(await readInstanceFile(stateDir)).toBeUndefined();
    await fs.writeFile(instanceFilePath(stateDir), '{"pid":');
    expect(await readInstanceFile(stateDir)).toBeUndefined();
    await fs.writeFile(instanceFilePath(stateDir), '{"pid":1}');
    expect(await readInstanceFile(stateDir)).toBeUndefined();
    await fs.rm(instanceFilePath(stateDir));
    expect(await readInstanceFile(stateDir)).toBeUndefined();
  });

  it('is removed only by the process it describes', async () => {
    await writeInstanceFile(stateDir, instance(process.pid));
    await removeInstanceFile(stateDir, process.pid + 1);
    expect(await readInstanceFile(stateDir)).toBeDefined();
    await removeInstanceFile(stateDir);
    await expect(fs.stat(instanceFilePath(stateDir))).rejects.toThrow(/ENOENT/);
    await removeInstanceFile(stateDir); // nothing there: no error
  });
});
