// Config edits must never lose what the person wrote, and the config reader must not be stalled or
// crashed by what it is pointed at (issues 13.7, 13.9, 14.7): a symlinked file stays a symlink, a
// hand-written JSON5 file keeps every version that had comments, undoing a bad edit clears the
// gateway's configError, deep patches, huge files and FIFOs get clear errors, and unknown keys are
// refused by `config set`. Real CLI and gateway processes.
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CONTROL_PROTOCOL_VERSION } from '../../contract/constants';
import { readToken } from '../../main/gateway/auth';
import { runCli, startGatewayProcess, waitFor, workspace, type Workspace } from '../gateway/harness';

let ws: Workspace;
beforeEach(() => {
  ws = workspace();
});
afterEach(() => ws.cleanup());

describe('config set keeps what the person wrote', () => {
  it('writes through a symlinked clawdbot.json: the link stays, its target changes', async () => {
    const real = join(ws.dir, 'dotfiles', 'clawdbot.json');
    mkdirSync(join(ws.dir, 'dotfiles'), { recursive: true });
    writeFileSync(real, readFileSync(ws.configPath, 'utf8'), { mode: 0o600 });
    rmSync(ws.configPath);
    symlinkSync(real, ws.configPath);

    const result = await runCli(['config', 'set', 'channels.imessage.textChunkLimit', '3000'], ws.env);
    expect(result.code).toBe(0);
    expect(lstatSync(ws.configPath).isSymbolicLink()).toBe(true);
    expect(readlinkSync(ws.configPath)).toBe(real);
    expect(JSON.parse(readFileSync(real, 'utf8')).channels.imessage.textChunkLimit).toBe(3000);
  });

  it('a hand-written JSON5 file: every version with comments survives two rewrites', async () => {
    writeFileSync(ws.configPath, `// first version\n{ channels: { imessage: { cliPath: "imsg", dmPolicy: 'pairing' } } }\n`, { mode: 0o600 });
    expect((await runCli(['config', 'set', 'channels.imessage.textChunkLimit', '3000'], ws.env)).code).toBe(0);
    // The person edits the rewritten file by hand, with a comment of their own.
    const rewritten = readFileSync(ws.configPath, 'utf8');
    writeFileSync(ws.configPath, `// second version, by hand\n${rewritten.replace('3000', '2500')}`, { mode: 0o600 });
    const second = await runCli(['config', 'set', 'channels.imessage.historyLimit', '20'], ws.env);
    expect(second.code).toBe(0);
    const kept = readdirSync(ws.stateDir)
      .filter((name) => name.startsWith('clawdbot.json.bak'))
      .map((name) => readFileSync(join(ws.stateDir, name), 'utf8'));
    expect(kept.some((text) => text.includes('// first version'))).toBe(true);
    expect(kept.some((text) => text.includes('// second version, by hand'))).toBe(true);
    expect(JSON.parse(JSON.stringify((await import('json5')).default.parse(readFileSync(ws.configPath, 'utf8'))))).toMatchObject({
      channels: { imessage: { textChunkLimit: 2500, historyLimit: 20 } },
    });
  });
});

describe('config set refuses unknown keys', () => {
  it('a typo is exit 2 with the did-you-mean and writes nothing; --force writes it; validate does not say OK while it warns', async () => {
    const before = readFileSync(ws.configPath, 'utf8');
    const typo = await runCli(['config', 'set', 'channels.imesage.dmPolicy', 'open'], ws.env);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('channels.imesage: unknown key');
    expect(typo.stderr).toContain('Did you mean "channels.imessage"?');
    expect(typo.stderr).toContain('--force');
    expect(readFileSync(ws.configPath, 'utf8')).toBe(before);

    const deeper = await runCli(['config', 'set', 'channels.imessage.dmPolicyy', 'open'], ws.env);
    expect(deeper.code).toBe(2);
    expect(deeper.stderr).toContain('Did you mean "channels.imessage.dmPolicy"?');

    const forced = await runCli(['config', 'set', 'channels.imesage.dmPolicy', 'open', '--force'], ws.env);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('Warning: channels.imesage');

    const validate = await runCli(['config', 'validate'], ws.env);
    expect(validate.stdout).not.toContain('Config OK');
    expect(validate.stdout).toContain('1 warning');
    expect(validate.stdout).toContain('channels.imesage');
  });
});

describe('what the config reader is pointed at', () => {
  it('a 10 MB config is refused at once with the limit, not parsed', async () => {
    const big = `{ channels: { imessage: { cliPath: "imsg" } }, agents: { list: [${'{ id: "x" },'.repeat(900_000)}] } }\n`;
    writeFileSync(ws.configPath, big, { mode: 0o600 });
    const result = await runCli(['config', 'validate'], ws.env);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/is 10\.\d MB; a config file may be at most 256 KB/);
  });

  it('a FIFO as the config path is refused, not waited on', async () => {
    rmSync(ws.configPath);
    execFileSync('mkfifo', [ws.configPath]);
    const result = await runCli(['config', 'validate'], ws.env, 10_000);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('is not a regular file (a FIFO)');
  });
});

describe('the running gateway and config errors', () => {
  it('restoring the previous good file after a bad edit clears configError', async () => {
    const gateway = await startGatewayProcess(ws);
    try {
      const client = await gateway.client();
      const good = readFileSync(ws.configPath, 'utf8');
      writeFileSync(ws.configPath, '{ channels: { imessage: { dmPolicy: "opn" } } }\n', { mode: 0o600 });
      await waitFor('configError after the bad edit', async () => (await client.request('status', {})).configError !== null);
      writeFileSync(ws.configPath, good, { mode: 0o600 });
      await waitFor('configError cleared after the undo', async () => (await client.request('status', {})).configError === null);
    } finally {
      await gateway.stop();
    }
  });

  it('a 40,000-deep config.patch is refused with a clear error and changes nothing', async () => {
    const gateway = await startGatewayProcess(ws);
    try {
      const client = await gateway.client();
      const before = readFileSync(ws.configPath, 'utf8');
      // Written as text: JSON.stringify itself would run out of stack on such an object.
      const depth = 40_000;
      const patch = `{"channels":{"imessage":{"extra":${'{"a":'.repeat(depth)}{}${'}'.repeat(depth)}}}}`;
      const answer = await rawRequest(gateway.instance.url, (await readToken(ws.stateDir))!, `{"type":"req","id":"deep","method":"config.patch","params":{"patch":${patch}}}`);
      expect(answer).toMatchObject({ type: 'res', id: 'deep', ok: false, error: { code: 'bad_request' } });
      expect(answer.error.message).toMatch(/nested more than 32 levels deep/);
      expect(answer.error.message).not.toMatch(/call stack/);
      expect(readFileSync(ws.configPath, 'utf8')).toBe(before);
      expect((await client.request('status', {})).configError).toBeNull();
    } finally {
      await gateway.stop();
    }
  });

  it('a FIFO swapped in for the config is reported, and the reload is not stalled', async () => {
    const gateway = await startGatewayProcess(ws);
    try {
      const client = await gateway.client();
      rmSync(ws.configPath);
      execFileSync('mkfifo', [ws.configPath]);
      await waitFor('the FIFO reported as configError', async () => (await client.request('status', {})).configError?.includes('not a regular file') ?? false);
      // Still reloading: a good file again clears it.
      rmSync(ws.configPath);
      ws.writeConfig();
      await waitFor('configError cleared', async () => (await client.request('status', {})).configError === null);
    } finally {
      await gateway.stop();
    }
  });
});

/** Connects with the token, sends one raw request frame and resolves with its response. */
function rawRequest(url: string, token: string, frame: string): Promise<{ type: string; id: string; ok: boolean; error: { code: string; message: string } }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`);
    socket.on('error', reject);
    socket.on('open', () => {
      socket.send(JSON.stringify({ type: 'req', id: 'hello', method: 'connect', params: { token, client: { name: 'test' }, protocol: CONTROL_PROTOCOL_VERSION } }));
    });
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { type: string; id: string; ok: boolean; error: { code: string; message: string } };
      if (message.type !== 'res') return;
      if (message.id === 'hello') socket.send(frame);
      else {
        socket.close();
        resolve(message);
      }
    });
  });
}
