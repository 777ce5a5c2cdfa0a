// The gateway binds its port before it starts anything else: with the port taken, `clawdbot
// gateway` stops with the port error and no imsg was ever started (it used to start imsg and the
// control server at the same time, and only then find the port taken).
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, simBinPath, workspace, type Workspace } from './harness';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('boot order', () => {
  it('with the port taken, no imsg is started', async () => {
    const blocker: Server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => blocker.close(resolve)));
    const port = (blocker.address() as { port: number }).port;

    const w: Workspace = workspace();
    cleanups.push(() => w.cleanup());
    // An imsg that notes every start (probe or rpc) before doing its job.
    const started = join(w.dir, 'imsg-started');
    const imsg = join(w.dir, 'imsg');
    writeFileSync(imsg, `#!/bin/sh\necho "$@" >> '${started}'\nexec '${simBinPath}' "$@"\n`);
    chmodSync(imsg, 0o755);
    w.writeConfig({ channels: { imessage: { cliPath: imsg, dbPath: w.dbPath } } });

    const result = await runCli(['gateway', '--port', String(port)], w.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`Error: Port ${port} is in use by another program`);
    expect(existsSync(started) ? readFileSync(started, 'utf8') : 'never started').toBe('never started');
  });
});
