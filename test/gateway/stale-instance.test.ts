// After a crash, `gateway.json` can name a pid that is still alive without being a gateway: a
// zombie (the killed gateway not yet reaped by its parent) or a pid reused after a reboot. The
// gateway and the CLI decide "running" by what answers on the recorded port (/health: our service
// id and the recorded pid), not by the pid alone, and every refusal names the file.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readInstanceFile } from '../../main/gateway/instance-file';
import { cliPath, runCli, startGatewayProcess, waitFor, workspace, type Workspace } from './harness';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function ws(): Workspace {
  const w = workspace({ imessage: { enabled: false } });
  cleanups.push(() => w.cleanup());
  return w;
}

function track(child: ChildProcess): ChildProcess {
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return child;
}

/** A process state from /proc (Z = zombie). */
function procState(pid: number): string {
  return /^\d+ \(.*\) (\S)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))![1]!;
}

function recordGateway(w: Workspace, pid: number, port: number): void {
  writeFileSync(
    join(w.stateDir, 'gateway.json'),
    JSON.stringify({ pid, port, host: '127.0.0.1', url: `http://127.0.0.1:${port}`, startedAt: '2026-01-28T10:00:00.000Z', version: '0.1.0' }),
  );
}

async function listening(handler: (socket: import('node:net').Socket) => void): Promise<{ server: Server; port: number }> {
  const sockets = new Set<import('node:net').Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    handler(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise((resolve) => server.close(resolve));
  });
  return { server, port: (server.address() as { port: number }).port };
}

describe('a gateway.json left behind by a crash', () => {
  it('does not stop a new gateway while the killed one is a zombie', async () => {
    const w = ws();
    // `sh` starts the gateway in the background and becomes `sleep`, which never reaps it.
    const parent = track(spawn('/bin/sh', ['-c', `"${process.execPath}" "${cliPath}" gateway --port 0 >/dev/null 2>&1 & echo $!; exec sleep 600`], { env: w.env, stdio: ['ignore', 'pipe', 'ignore'] }));
    let out = '';
    parent.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    const pid = Number(await waitFor('the gateway pid', () => /^(\d+)\n/.exec(out)?.[1]));
    await waitFor('the gateway to listen', async () => (await readInstanceFile(w.stateDir))?.pid === pid, 20_000);
    process.kill(pid, 'SIGKILL');
    await waitFor('the gateway to be a zombie', () => procState(pid) === 'Z', 5_000);

    const next = await startGatewayProcess(w);
    cleanups.push(() => next.stop());
    expect(next.instance.pid).toBe(next.child.pid);
    expect(procState(pid)).toBe('Z'); // still a zombie: the decision did not wait for it to go
  });

  it('does not stop a new gateway when its pid now belongs to another program, or nothing answers', async () => {
    const w = ws();
    const other = track(spawn('sleep', ['600'], { stdio: 'ignore' }));
    const { port: notAGateway } = await listening((socket) => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi'));
    recordGateway(w, other.pid!, notAGateway);
    const first = await startGatewayProcess(w);
    expect(first.instance.pid).toBe(first.child.pid);
    await first.stop();

    // The CLI does not take a live pid for a gateway either.
    recordGateway(w, other.pid!, notAGateway);
    const status = await runCli(['channels', 'status'], w.env);
    expect(status.stdout).toContain('Gateway not running');
    expect(status.stderr).not.toContain('not reachable');
  });

  it('refuses to start while the recorded gateway answers, naming the file', async () => {
    const w = ws();
    const first = await startGatewayProcess(w);
    cleanups.push(() => first.stop());
    const second = await runCli(['gateway', '--port', '0'], w.env);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`Error: Another Clawdbot gateway (pid ${first.child.pid}) is already running with the state dir ${w.stateDir} at ${first.instance.url}`);
    expect(second.stderr).toContain(join(w.stateDir, 'gateway.json'));
  });

  it('refuses to start while the recorded pid holds a port that does not answer, naming the file and the fix', async () => {
    const w = ws();
    // This test process stands in for a hung gateway: alive, its port accepts and never answers.
    const { port } = await listening((socket) => socket.on('error', () => {}).resume());
    recordGateway(w, process.pid, port);
    const result = await runCli(['gateway', '--port', '0'], w.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${join(w.stateDir, 'gateway.json')} records a gateway (pid ${process.pid}) on port ${port} that does not answer`);
    expect(result.stderr).toContain(`delete ${join(w.stateDir, 'gateway.json')}`);
  });
});
