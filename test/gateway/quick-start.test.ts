// The README's quick start, word for word, on this checkout: `npm start` (no imsg here: the demo
// gateway with a simulated Messages account) in a home of its own, then the tutorial's CLI steps
// exactly as the README writes them (`npx clawdbot …`) from a second "terminal". The CLI must find
// the gateway `npm start` runs without any environment variable. Then the demo's state survives a
// restart of `npm start`, and `npm start -- --fresh` starts it over. Read-only commands run before
// anything started create no folder.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PairingStore } from '../../main/pairing/store';
import { SimDb } from '../../sim/lib';
import { repoRoot, runCli, waitFor } from './harness';

const home = mkdtempSync(join(tmpdir(), 'clawdbot-quickstart-'));
const demoDir = join(home, '.clawdbot', 'demo');
let running: { child: ChildProcess; output: () => string; exited: Promise<number | null> } | undefined;

afterAll(async () => {
  await stopNpmStart();
  rmSync(home, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A new user's environment: their own HOME, no CLAWDBOT_* settings (the port only keeps parallel test runs apart). */
function userEnv(port: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('CLAWDBOT_') && !key.startsWith('IMSG_') && !key.startsWith('npm_')) env[key] = value;
  return { ...env, HOME: home, CLAWDBOT_GATEWAY_PORT: String(port), npm_config_update_notifier: 'false', npm_config_fund: 'false' };
}

/** The quick start's shell blocks, line by line. */
function quickStartCommands(): string[] {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const section = /## Quick start\n([\s\S]*?)\n## /.exec(readme)![1]!;
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((block) => block[1]!.trim().split('\n'));
}

/** A command typed into a terminal in the checkout. */
function shell(command: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('/bin/sh', ['-c', command], { cwd: repoRoot, env, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

async function npmStart(env: NodeJS.ProcessEnv, extra: string[] = []): Promise<string> {
  // Its own process group, so that stopping it is Ctrl-C in its terminal.
  const child = spawn('npm', ['start', ...(extra.length ? ['--', ...extra] : [])], { cwd: repoRoot, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  running = { child, output: () => output, exited };
  await waitFor('the gateway banner of `npm start`', () => output.includes('Press Ctrl-C to stop.') || child.exitCode !== null, 120_000);
  if (child.exitCode !== null) throw new Error(`npm start exited ${child.exitCode}:\n${output}`);
  return output;
}

/** Ctrl-C in its terminal; true when the gateway stopped gracefully (it removes its gateway.json). */
async function stopNpmStart(): Promise<boolean> {
  if (!running) return false;
  const { child, exited } = running;
  running = undefined;
  if (child.exitCode === null) process.kill(-child.pid!, 'SIGINT');
  await exited;
  return !existsSync(join(demoDir, 'gateway.json'));
}

function sentTexts(): string[] {
  const db = SimDb.open(join(demoDir, 'simulated-mac', 'Library', 'Messages', 'chat.db'));
  try {
    return db.sent().map((row) => row.text);
  } finally {
    db.close();
  }
}

describe('the README quick start, word for word', () => {
  it('npm start, then the tutorial\'s CLI steps as written; the demo survives a restart; --fresh starts over', async () => {
    const env = userEnv(await freePort());
    const commands = quickStartCommands();
    expect(commands[0]).toBe('npm install && npm start');
    const cli = commands.filter((line) => line.startsWith('npx clawdbot '));
    expect(cli).toEqual([
      'npx clawdbot channels status',
      'npx clawdbot pairing list imessage',
      'npx clawdbot pairing approve imessage <CODE>',
      'npx clawdbot message --to imessage:+15555550123 "Hello from Clawdbot!"',
    ]);

    // Before anything runs, reading creates nothing.
    for (const args of [['channels', 'status'], ['pairing', 'list', 'imessage'], ['config', 'get', 'channels.imessage.dmPolicy'], ['doctor']]) await runCli(args, env);
    expect(existsSync(join(home, '.clawdbot'))).toBe(false);

    const banner = await npmStart(env);
    expect(banner).toContain('DEMO MODE: a simulated Messages account');
    expect(banner).toContain(`State dir: ${demoDir}`);
    const token = readFileSync(join(demoDir, 'gateway.token'), 'utf8').trim();
    expect(banner).not.toContain(token);

    const status = await shell(cli[0]!, env);
    expect(status.stdout).toContain('- iMessage default (Simulated Mac, simulated): enabled, configured, rpc listening');
    expect(status.stderr).toContain('Using the demo gateway (simulated Messages)');
    expect(status.code).toBe(0);

    // Someone texts the assistant: the command the banner printed under "Receive a message as someone else".
    const inject = /Receive a message as someone else.*\n {4}(.+)\n/.exec(banner)![1]!;
    expect((await shell(inject, env)).code).toBe(0);
    const pairing = new PairingStore({ credentialsDir: join(demoDir, 'credentials') });
    await waitFor('the pairing request', async () => (await pairing.list()).length === 1, 15_000);

    const list = await shell(cli[1]!, env);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('+15555550123');
    const code = (await pairing.list())[0]!.code;
    expect(list.stdout).toContain(code);

    const approve = await shell(cli[2]!.replace('<CODE>', code), env);
    expect(approve.stdout).toContain('Approved imessage sender +15555550123.');
    expect(approve.code).toBe(0);

    const message = await shell(cli[3]!, env);
    expect(message.stdout).toContain('Sent via iMessage');
    expect(message.code).toBe(0);
    await waitFor('the message in the simulated Messages', () => sentTexts().includes('Hello from Clawdbot!'), 10_000);

    // Ctrl-C, and `npm start` again: the same token, the approval and the conversation are still there.
    expect(await stopNpmStart()).toBe(true);
    await npmStart(env);
    expect(readFileSync(join(demoDir, 'gateway.token'), 'utf8').trim()).toBe(token);
    expect(await pairing.readAllowFrom()).toEqual(['+15555550123']);
    expect(sentTexts()).toContain('Hello from Clawdbot!');
    expect((await shell(cli[0]!, env)).code).toBe(0);
    expect(await stopNpmStart()).toBe(true);

    // A fresh start forgets all of it.
    await npmStart(env, ['--fresh']);
    expect(readFileSync(join(demoDir, 'gateway.token'), 'utf8').trim()).not.toBe(token);
    expect(await pairing.readAllowFrom()).toEqual([]);
    expect(sentTexts()).not.toContain('Hello from Clawdbot!');
    expect(await stopNpmStart()).toBe(true);
  }, 300_000);
});
