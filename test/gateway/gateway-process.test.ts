// `clawdbot gateway` as a foreground process: start-up lines, JSON logs, graceful SIGTERM (no imsg
// child left behind), `gateway restart` through the control API, port and config problems.
import { execFile, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cliPath, isAlive, repoRoot, runCli, startGatewayProcess, waitFor, workspace, type GatewayProcess, type Workspace } from './harness';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function ws(options?: Parameters<typeof workspace>[0]): Workspace {
  const w = workspace(options);
  cleanups.push(() => w.cleanup());
  return w;
}

async function gateway(w: Workspace, args: string[] = [], options: Parameters<typeof startGatewayProcess>[2] = {}): Promise<GatewayProcess> {
  const g = await startGatewayProcess(w, args, options);
  cleanups.push(() => g.stop());
  return g;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('clawdbot gateway --demo', () => {
  it('runs a simulated account in ~/.clawdbot/demo; the banner\'s inject command makes a pairing request the CLI lists', async () => {
    const w = ws();
    // A home of its own: the demo lives in ~/.clawdbot/demo, found by the CLI without any variable.
    const env: NodeJS.ProcessEnv = { ...w.env, HOME: join(w.dir, 'home') };
    delete env.CLAWDBOT_STATE_DIR;
    const child = spawn(process.execPath, [cliPath, 'gateway', '--demo', '--port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    cleanups.push(async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    });
    await waitFor('the demo banner', () => stderr.includes('Press Ctrl-C to stop.'), 20_000);
    expect(stderr).toContain('DEMO MODE: a simulated Messages account (imsg simulator); no real iMessages are read or sent.');
    expect(stderr).toContain('Account:  iMessage default (simulated): listening');
    const stateDir = /State dir: (\S+) \(kept between runs/.exec(stderr)![1]!;
    expect(stateDir).toBe(join(w.dir, 'home', '.clawdbot', 'demo'));
    const inject = /Receive a message as someone else.*\n {4}(.+)\n/.exec(stderr)![1]!;

    const injected = await new Promise<string>((resolve, reject) =>
      execFile('/bin/sh', ['-c', inject], (error, stdout) => (error ? reject(error) : resolve(stdout))),
    );
    expect(JSON.parse(injected)).toMatchObject({ rowid: expect.any(Number) });
    const cliEnv = env;
    const listed = await waitFor('the request in `pairing list`', async () => {
      const result = await runCli(['pairing', 'list', 'imessage'], cliEnv);
      return result.stdout.startsWith('Pairing requests (1)') ? result.stdout : undefined;
    });
    expect(listed).toContain('+15555550123');
    const status = await runCli(['channels', 'status'], cliEnv);
    expect(status.stdout).toContain(`Demo mode: simulated Messages account (state dir ${stateDir}).`);
    expect(status.stdout).toContain('- iMessage default (Simulated Mac, simulated): enabled, configured, rpc listening');

    expect(status.stderr).toContain(`Using the demo gateway (simulated Messages) at http://127.0.0.1:`);

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    // The demo's state stays for the next run.
    expect(existsSync(join(stateDir, 'gateway.token'))).toBe(true);
    expect(existsSync(join(stateDir, 'gateway.json'))).toBe(false);
  });
});

describe('clawdbot gateway', () => {
  it('logs the listening lines, and SIGTERM stops it gracefully with no imsg child left', async () => {
    const w = ws();
    const g = await gateway(w);
    const text = await waitFor('the account listening line', () => (g.stderr().includes('rpc listening') ? g.stderr() : undefined));
    expect(text).toMatch(/info {2}\[imessage:default\] iMessage default: enabled, configured, rpc listening/);
    expect(text).toContain(`Clawdbot gateway 0.1.0 listening on ${g.instance.url} (pid ${g.child.pid})`);
    // The banner: a one-time sign-in link to the web UI (or how to build it; sign-in.test.ts).
    await waitFor('the banner', () => g.stderr().includes('Press Ctrl-C to stop.'));
    const built = existsSync(join(repoRoot, 'out', 'renderer', 'index.html'));
    expect(g.stderr()).toMatch(new RegExp(`Web UI: {3}${built ? `${g.instance.url.replace(/[.]/g, '\\.')}/#signin=[A-Za-z0-9_-]{43}` : 'not built yet'}`));

    const client = await g.client();
    const imsgPid = (await client.request('status', {})).accounts[0]!.pid!;
    expect(isAlive(imsgPid)).toBe(true);
    const shutdown = new Promise((resolve) => client.on('shutdown', resolve));

    const exit = await g.stop('SIGTERM');
    expect(exit).toEqual({ code: 0, signal: null });
    expect(await shutdown).toEqual({ reason: 'gateway stopping (SIGTERM)' });
    expect(isAlive(imsgPid)).toBe(false);
    expect(existsSync(join(w.stateDir, 'gateway.json'))).toBe(false);
    expect(g.stderr()).toContain('gateway stopping (SIGTERM)');
  });

  it('--json logs JSON lines on stdout', async () => {
    const w = ws();
    const g = await gateway(w, ['--json']);
    await waitFor('a listening record', () => g.stdout().includes('rpc listening'));
    const records = g
      .stdout()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { level: string; scope: string; msg: string });
    expect(records).toContainEqual(expect.objectContaining({ level: 'info', scope: 'imessage:default', msg: 'iMessage default: enabled, configured, rpc listening' }));
    expect(records.every((record) => typeof record.msg === 'string' && typeof record.scope === 'string')).toBe(true);
    // No human banner in JSON mode.
    expect(g.stderr()).not.toContain('Press Ctrl-C');
  });

  it('`gateway restart` restarts it through the API (new imsg process); without a gateway it says so', async () => {
    const w = ws();
    const none = await runCli(['gateway', 'restart'], w.env);
    expect(none.stderr).toContain(`Error: No gateway is running (state dir ${w.stateDir}); nothing to restart.`);
    expect(none.stderr).toContain('Fix: Start it with `clawdbot gateway`');
    expect(none.code).toBe(1);

    const g = await gateway(w);
    const client = await g.client();
    const before = (await client.request('status', {})).accounts[0]!.pid!;
    const shutdown = new Promise((resolve) => client.on('shutdown', resolve));
    const result = await runCli(['gateway', 'restart'], w.env);
    expect(result.stdout).toBe(`Gateway restarted: ${g.instance.url} (pid ${g.child.pid}).\n`);
    expect(result.code).toBe(0);
    expect(await shutdown).toEqual({ reason: 'gateway restarting', restartExpectedMs: 1500 });

    const status = await runCli(['channels', 'status', '--json'], w.env);
    const account = JSON.parse(status.stdout).status.accounts[0];
    expect(account.state).toBe('listening');
    expect(account.pid).not.toBe(before);
    expect(isAlive(before)).toBe(false);
  });

  it('a restart with a broken config is refused and the gateway keeps running', async () => {
    const w = ws();
    const g = await gateway(w);
    writeFileSync(w.configPath, '{ channels: { imessage: { dmPolicy: "nobody" } } }');
    const result = await runCli(['gateway', 'restart'], w.env);
    expect(result.stderr).toContain('Error: Not restarting: Invalid config');
    expect(result.stderr).toContain('channels.imessage.dmPolicy = "nobody"');
    expect(result.code).toBe(1);
    // The watcher saw the broken file too: the gateway says so and keeps the last good config.
    const status = await waitFor('the config error in the status', async () => {
      const result = await runCli(['channels', 'status'], w.env);
      return result.stdout.includes('Config error (the last good config is still in use)') ? result : undefined;
    });
    expect(status.stdout).toContain('rpc listening');
    expect(g.child.exitCode).toBeNull();
  });

  it('port precedence: --port over CLAWDBOT_GATEWAY_PORT over gateway.port', async () => {
    const [envPort, configPort] = [await freePort(), await freePort()];
    const w = ws({ extra: { gateway: { port: configPort } } });
    const fromConfig = await gateway(w, [], { anyPort: false });
    expect(fromConfig.instance.port).toBe(configPort);
    await fromConfig.stop();

    const env = { ...w.env, CLAWDBOT_GATEWAY_PORT: String(envPort) };
    const fromEnv = await gateway(w, [], { anyPort: false, env });
    expect(fromEnv.instance.port).toBe(envPort);
    await fromEnv.stop();

    const fromFlag = await gateway(w, [], { env });
    expect([envPort, configPort]).not.toContain(fromFlag.instance.port);
  });

  it('a port held by another program or another gateway is named clearly (exit 1)', async () => {
    // Reads what it is sent and never answers (so the gateway's /health probe gets nothing).
    const blocker: Server = createServer((socket) => socket.on('error', () => {}).resume());
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => blocker.close(resolve)));
    const port = (blocker.address() as { port: number }).port;
    const w = ws();
    const taken = await runCli(['gateway', '--port', String(port)], w.env);
    expect(taken.stderr).toContain(`Error: Port ${port} is in use by another program; choose --port <other> (or stop that program).`);
    expect(taken.code).toBe(1);

    const first = await gateway(ws());
    const second = await runCli(['gateway', '--port', String(first.instance.port)], w.env);
    expect(second.stderr).toContain(`Error: Another Clawdbot gateway is already running on 127.0.0.1:${first.instance.port} (pid ${first.child.pid}).`);
    expect(second.code).toBe(1);
    // Nothing of the failed gateway is left: no instance file, no imsg started for good.
    expect(existsSync(join(w.stateDir, 'gateway.json'))).toBe(false);
  });

  it('a second gateway on the same state dir is refused', async () => {
    const w = ws();
    const first = await gateway(w);
    const second = await runCli(['gateway', '--port', '0'], w.env);
    expect(second.stderr).toContain(`Error: Another Clawdbot gateway (pid ${first.child.pid}) is already running with the state dir ${w.stateDir}`);
    expect(second.code).toBe(1);
  });

  it('an invalid config stops the start with every problem listed (exit 2)', async () => {
    const w = ws({ imessage: { dmPolicy: 'opn' } });
    const result = await runCli(['gateway', '--port', '0'], w.env);
    expect(result.stderr).toContain('Error: The gateway did not start: the config is not valid.');
    expect(result.stderr).toContain('- channels.imessage.dmPolicy = "opn": must be one of');
    expect(result.stderr).toContain('Fix: Did you mean "open"?');
    expect(result.code).toBe(2);
    expect(existsSync(join(w.stateDir, 'gateway.json'))).toBe(false);
  });
});
