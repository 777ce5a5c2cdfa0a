// `clawdbot channels add imessage` and `channels remove imessage` as people run them: with flags on
// a fresh state dir (then the gateway starts the account: rpc listening), through a running gateway
// (its hot reload starts it), interactively on a pseudo-terminal (util-linux `script` gives the
// CLI a real tty), and with bad input (exit 2, nothing written). `channels status --probe` and
// `doctor` show the same checks.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayStatus } from '../../contract/gateway-api';
import { cliPath, collect, runCli, simBinPath, startGatewayProcess, waitFor, workspace, type Workspace } from '../gateway/harness';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function ws(options?: Parameters<typeof workspace>[0]): Workspace {
  const w = workspace(options);
  cleanups.push(() => w.cleanup());
  // People have talked to this Mac before (an empty chat.db reads as "not signed in").
  w.sim.inject({ from: '+15555550123', text: 'an earlier conversation' });
  return w;
}

/** A fresh state dir: no config file at all. */
function fresh(w: Workspace): void {
  rmSync(w.stateDir, { recursive: true, force: true });
}

const flagsFor = (w: Workspace) => ['--cli-path', simBinPath, '--db-path', w.dbPath];

describe('channels add imessage with flags', () => {
  it('on a fresh state dir: writes the account, shows each check, the next steps; the gateway then listens', async () => {
    const w = ws();
    fresh(w);
    const result = await runCli(['channels', 'add', 'imessage', ...flagsFor(w), '--allow-from', '+15555550123, me@example.com', '--yes'], w.env);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain(`Added iMessage account default in ${w.configPath}.`);
    expect(result.stdout).toContain(`✓ imsg: imsg 0.9.0 at ${simBinPath}, with rpc support`);
    expect(result.stdout).toContain('✓ Messages: chat.db is there and imsg lists chats');
    expect(result.stdout).toContain('✓ Full Disk Access: Clawdbot and imsg both read chat.db');
    expect(result.stdout).toContain('– Automation: not known yet: macOS asks the first time Clawdbot sends a message');
    expect(result.stdout).toContain('Next steps:\n  Start the gateway, which starts this account: `clawdbot gateway` (or open the Clawdbot app).');
    expect(result.code).toBe(0);
    expect(JSON.parse(readFileSync(w.configPath, 'utf8'))).toEqual({ channels: { imessage: { cliPath: simBinPath, dbPath: w.dbPath, allowFrom: ['+15555550123', 'me@example.com'] } } });

    const gateway = await startGatewayProcess(w);
    cleanups.push(() => gateway.stop());
    const client = await gateway.client();
    const health = collect(client, 'health');
    const listening = (status: GatewayStatus) => status.accounts.some((a) => a.accountId === 'default' && a.state === 'listening');
    if (!listening(await client.request('status', {}))) await waitFor('rpc listening', () => health.some(listening), 15_000);
    const status = await runCli(['channels', 'status'], w.env);
    expect(status.stdout).toContain('- iMessage default: enabled, configured, rpc listening');
  });

  it('through a running gateway: added there, started by its hot reload; removed again', async () => {
    const w = ws();
    const gateway = await startGatewayProcess(w);
    cleanups.push(() => gateway.stop());
    const added = await runCli(['channels', 'add', 'imessage', '--account', 'work', '--name', 'Work Mac', ...flagsFor(w), '--dm-policy', 'open', '--json'], w.env, 60_000);
    const json = JSON.parse(added.stdout);
    expect(json).toMatchObject({ accountId: 'work', action: 'added', configPath: w.configPath, gatewayRunning: true, ok: true });
    expect(json.setup.checks.map((c: { id: string; state: string }) => [c.id, c.state])).toEqual([
      ['imsg', 'ok'],
      ['messages', 'ok'],
      ['full-disk-access', 'ok'],
      ['automation', 'unknown'],
      ['ssh', 'not-applicable'],
    ]);
    expect((await runCli(['channels', 'status'], w.env)).stdout).toContain('- iMessage work (Work Mac): enabled, configured, rpc listening');
    expect(JSON.parse(readFileSync(w.configPath, 'utf8')).channels.imessage.accounts.work).toMatchObject({ dmPolicy: 'open', allowFrom: ['*'] });

    // The same account again updates it.
    const again = await runCli(['channels', 'add', 'imessage', '--account', 'work', '--name', 'Office', '--yes', '--json'], w.env, 60_000);
    expect(JSON.parse(again.stdout)).toMatchObject({ action: 'updated' });

    const refused = await runCli(['channels', 'remove', 'imessage', '--account', 'work'], w.env);
    expect(refused).toMatchObject({ code: 2, stderr: expect.stringContaining('Add --yes to remove it without asking.') });
    const removed = await runCli(['channels', 'remove', 'imessage', '--account', 'work', '--yes'], w.env);
    expect(removed).toMatchObject({ code: 0, stdout: `Removed iMessage account work from ${w.configPath}. The gateway stopped it.\n` });
    expect((await runCli(['channels', 'status'], w.env)).stdout).not.toContain('iMessage work');
    expect(await runCli(['channels', 'remove', 'imessage', '--account', 'work', '--yes'], w.env)).toMatchObject({ code: 2, stderr: expect.stringContaining('No iMessage account "work"') });
  });

  it('bad input: exit 2 with what and how, nothing written', async () => {
    const w = ws();
    fresh(w);
    const folder = join(w.dir, 'folder');
    mkdirSync(folder);
    const cases: [string[], string][] = [
      [['--allow-from', '+15555550123,a;b'], '"a;b" is neither a phone number'],
      [['--allow-from', '$(touch /tmp/x)@example.com'], 'is neither a phone number'],
      [['--allow-from', '`id`'], 'is neither a phone number'],
      [['--allow-from', 'me @example.com'], 'is neither a phone number'],
      [['--dm-policy', 'opn'], 'use one of pairing, allowlist, open, disabled'],
      [['--account', 'Work Mac'], 'use "work-mac"'],
      [['--ssh', 'bot@mac;id'], 'an SSH target is user@host'],
      [['--ssh', 'bot@mac', '--cli-path', simBinPath], 'Give either --ssh or --cli-path'],
      [['--cli-path', folder], 'is a folder, not the imsg program'],
      [['--cli-path', simBinPath, '--db-path', `${w.dbPath}\nx`], 'contains a line break'],
      [['--cli-path', 'imsg; rm -rf ~'], 'contains the shell character ";"'],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(['channels', 'add', 'imessage', ...args, '--yes'], w.env);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toContain(message);
    }
    expect(existsSync(w.configPath)).toBe(false);
    expect((await runCli(['channels', 'add', 'telegram', '--yes'], w.env)).stderr).toContain('Clawdbot for Mac has one channel, imessage');
  });
});

describe('the same checks elsewhere', () => {
  it('channels status --probe and doctor list the setup checks (without and with a gateway)', async () => {
    const w = ws();
    const direct = await runCli(['channels', 'status', '--probe'], w.env);
    expect(direct.stdout).toContain('    Setup:\n      ✓ imsg: imsg 0.9.0');
    expect(direct.stdout).toContain('      ✓ Full Disk Access: Clawdbot and imsg both read chat.db');
    const doctor = await runCli(['doctor'], w.env);
    expect(doctor.stdout).toContain('– iMessage default setup: automation: not known yet');
    expect(doctor.stdout).toContain('    ✓ Messages: chat.db is there and imsg lists chats');

    const gateway = await startGatewayProcess(w);
    cleanups.push(() => gateway.stop());
    const live = await runCli(['channels', 'status', '--probe'], w.env);
    expect(live.stdout).toContain('- iMessage default: enabled, configured, rpc listening, works');
    expect(live.stdout).toContain('    ✓ database: imsg opened');
    expect(live.stdout).toContain('      – Automation: not known yet');
    expect(live.stdout).toContain('✗ Model: no model configured');
    expect(live.code).toBe(0);
    const json = JSON.parse((await runCli(['channels', 'status', '--probe', '--json'], w.env)).stdout);
    expect(json.setup.accounts[0]).toMatchObject({ accountId: 'default', location: 'this-mac' });
  });
});

// ---------------------------------------------------------------------------------------------
// Interactive, on a pseudo-terminal
// ---------------------------------------------------------------------------------------------

/** Strips colours and cursor movement, so the text of the prompts can be matched. */
const plain = (text: string) => text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\x1b[()][A-Z0-9]/g, '');

interface PtySession {
  /** Waits until the plain output (from position `from`) contains `text`; returns the position just after it. */
  waitFor(text: string, from?: number, timeoutMs?: number): Promise<number>;
  type(keys: string): void;
  exited: Promise<number | null>;
  output(): string;
}

function onPty(args: string[], env: NodeJS.ProcessEnv): PtySession {
  // `script` runs the command on a new pseudo-terminal; our stdin pipe is its keyboard.
  // A pty made from a pipe has no size (0 columns: every character would wrap): give it one.
  const command = `stty cols 120 rows 40; exec ${[process.execPath, cliPath, ...args].map((word) => `'${word.replace(/'/g, `'\\''`)}'`).join(' ')}`;
  const child = spawn('script', ['-qfec', command, '/dev/null'], { env: { ...env, TERM: 'xterm', SHELL: '/bin/sh' }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  const waiters: (() => void)[] = [];
  const onData = (chunk: Buffer) => {
    out += chunk.toString('utf8');
    for (const wake of waiters.splice(0)) wake();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  cleanups.push(() => child.kill('SIGKILL'));
  return {
    async waitFor(text, from = 0, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        // Positions are in the plain text: two prompts may arrive in one chunk, so the next wait
        // starts right after this match, not at the end of everything received so far.
        const index = plain(out).indexOf(text, from);
        if (index >= 0) return index + text.length;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${JSON.stringify(text)}; output:\n${plain(out)}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, deadline - Date.now());
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
    type(keys) {
      child.stdin.write(keys);
    },
    exited,
    output: () => plain(out),
  };
}

describe.skipIf(!existsSync('/usr/bin/script'))('channels add imessage on a terminal', () => {
  it('asks, checks every answer, writes the account, shows the checks; the gateway then listens', async () => {
    const w = ws();
    fresh(w);
    // imsg "installed" on PATH, and this user's Messages at the default place (~/Library/Messages).
    const bin = join(w.dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'imsg'), `#!/bin/sh\nexec '${simBinPath}' "$@"\n`, { mode: 0o755 });
    const env = { ...w.env, PATH: `${bin}:${process.env.PATH}`, HOME: join(w.dir, 'mac') };
    const pty = onPty(['channels', 'add', 'imessage'], env);
    let at = await pty.waitFor('Account id');
    pty.type('\r');
    at = await pty.waitFor('Where does imsg run?', at);
    pty.type('\r'); // On this Mac
    at = await pty.waitFor(`imsg found at ${join(bin, 'imsg')}`, at);
    at = await pty.waitFor('Who may talk to the assistant', at);
    pty.type('\r'); // pairing
    at = await pty.waitFor('Allowed senders', at);
    pty.type('not a handle;\r');
    at = await pty.waitFor('is neither a phone number', at);
    pty.type('\x15'); // Ctrl-U: clear the line
    pty.type('+15555550123\r');
    at = await pty.waitFor('Group chats', at);
    pty.type('\r');
    await pty.waitFor('Next steps', at, 30_000);
    expect(await pty.exited).toBe(0);
    const output = pty.output();
    expect(output).toContain(`Added iMessage account default in ${w.configPath}`);
    expect(output).toContain('✓ imsg: imsg 0.9.0');
    expect(output).toContain('✓ Full Disk Access: Clawdbot and imsg both read chat.db');
    expect(JSON.parse(readFileSync(w.configPath, 'utf8'))).toEqual({
      channels: { imessage: { cliPath: join(bin, 'imsg'), dmPolicy: 'pairing', allowFrom: ['+15555550123'], groupPolicy: 'allowlist' } },
    });

    const gateway = await startGatewayProcess(w, [], { env });
    cleanups.push(() => gateway.stop());
    const client = await gateway.client();
    const health = collect(client, 'health');
    const listening = (status: GatewayStatus) => status.accounts.some((a) => a.state === 'listening');
    if (!listening(await client.request('status', {}))) await waitFor('rpc listening', () => health.some(listening), 15_000);
  });

  it('Ctrl-C at a question writes nothing', async () => {
    const w = ws();
    fresh(w);
    const pty = onPty(['channels', 'add', 'imessage'], w.env);
    await pty.waitFor('Account id');
    pty.type('\x03');
    expect(await pty.exited).toBe(2);
    expect(pty.output()).toContain('Nothing was written.');
    expect(existsSync(w.configPath)).toBe(false);
  });
});
