// `clawdbot config get|set|unset|validate`, `clawdbot doctor`, and the program's own --help /
// --version / exit codes: a user must be able to find and fix a broken setup from the CLI.
import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, startGatewayProcess, workspace, type Workspace } from '../gateway/harness';

let ws: Workspace;
beforeEach(() => {
  ws = workspace();
});
afterEach(() => ws.cleanup());

describe('config', () => {
  it('validate on a broken file lists each key path, value and fix (exit 1)', async () => {
    writeFileSync(ws.configPath, '{ channels: { imessage: { dmPolicy: "opn", cliPath: "imsg" } }, gateway: { port: "abc" } }\n', { mode: 0o600 });
    const result = await runCli(['config', 'validate'], ws.env);
    expect(result.stdout).toBe(
      [
        `Invalid config at ${ws.configPath} (2 problems):`,
        '- gateway.port = "abc": must be a number, not text',
        '  Fix: Set gateway.port to a number, e.g. 18789.',
        '- channels.imessage.dmPolicy = "opn": must be one of "pairing", "allowlist", "open" or "disabled"',
        '  Fix: Did you mean "open"? Set channels.imessage.dmPolicy to "open".',
        '',
      ].join('\n'),
    );
    expect(result.code).toBe(1);

    const json = JSON.parse((await runCli(['config', 'validate', '--json'], ws.env)).stdout);
    expect(json).toMatchObject({ path: ws.configPath, valid: false, kind: 'invalid' });
    expect(json.issues).toContainEqual({ path: 'channels.imessage.dmPolicy', value: 'opn', message: expect.any(String), fix: 'Did you mean "open"? Set channels.imessage.dmPolicy to "open".' });
  });

  it('validate on a JSON5 syntax error points at the line', async () => {
    writeFileSync(ws.configPath, '{\n  channels: {\n    imessage: { cliPath: "imsg" \n  }\n', { mode: 0o600 });
    const result = await runCli(['config', 'validate'], ws.env);
    expect(result.stdout).toMatch(new RegExp(`^Cannot parse ${ws.configPath.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+`));
    expect(result.stdout).toContain('Fix: Correct the JSON5 syntax');
    expect(result.code).toBe(1);
  });

  it('validate on a good file and on no file is exit 0', async () => {
    expect(await runCli(['config', 'validate'], ws.env)).toMatchObject({ code: 0, stdout: `Config OK: ${ws.configPath}\n` });
    const empty = workspace();
    try {
      const env = { ...empty.env, CLAWDBOT_CONFIG_PATH: `${empty.dir}/none.json` };
      expect(await runCli(['config', 'validate'], env)).toMatchObject({ code: 0, stdout: `No config file at ${empty.dir}/none.json; the defaults apply.\n` });
    } finally {
      empty.cleanup();
    }
  });

  it('set / get / unset round trip; an invalid value is refused (exit 2) and the file is untouched', async () => {
    const set = await runCli(['config', 'set', 'channels.imessage.allowFrom', '["+15550001111"]'], ws.env);
    expect(set.stdout).toBe(`Set channels.imessage.allowFrom = ["+15550001111"] in ${ws.configPath}.\n`);
    expect(set.code).toBe(0);
    expect(await runCli(['config', 'get', 'channels.imessage.allowFrom', '--json'], ws.env)).toMatchObject({ code: 0 });
    const got = await runCli(['config', 'get', 'channels.imessage.allowFrom'], ws.env);
    expect(JSON.parse(got.stdout)).toEqual(['+15550001111']);

    const before = readFileSync(ws.configPath, 'utf8');
    const bad = await runCli(['config', 'set', 'channels.imessage.dmPolicy', 'everyone'], ws.env);
    expect(bad.stderr).toContain('- channels.imessage.dmPolicy = "everyone": must be one of');
    expect(bad.code).toBe(2);
    expect(readFileSync(ws.configPath, 'utf8')).toBe(before);

    expect((await runCli(['config', 'unset', 'channels.imessage.allowFrom'], ws.env)).code).toBe(0);
    const missing = await runCli(['config', 'get', 'channels.imessage.allowFrom'], ws.env);
    expect(missing.stderr).toBe(`channels.imessage.allowFrom is not set in ${ws.configPath} (its default applies).\n`);
    expect(missing.code).toBe(1);
  });
});

describe('doctor', () => {
  it('a missing imsg: ✗ with the brew fix, exit 1', async () => {
    ws.writeConfig({ channels: { imessage: { cliPath: '/nonexistent/bin/imsg' } } });
    const result = await runCli(['doctor'], ws.env);
    expect(result.stdout).toContain(`✓ Config: ${ws.configPath} is valid`);
    expect(result.stdout).toContain('– Gateway: not running');
    expect(result.stdout).toContain('✗ iMessage default probe: imsg not found (/nonexistent/bin/imsg)');
    expect(result.stdout).toContain('    ✗ binary: imsg not found (/nonexistent/bin/imsg)');
    expect(result.stdout).toContain('      Fix: Install imsg with `brew install steipete/tap/imsg`');
    expect(result.stdout).toContain('– Model: none configured');
    expect(result.stdout).toMatch(/\d+ problems? found; the fixes are listed above\.\n$/);
    expect(result.code).toBe(1);
  });

  it('a working setup with a running gateway: every check passes (exit 0); a loose token file is caught', async () => {
    const gateway = await startGatewayProcess(ws);
    try {
      const result = await runCli(['doctor'], ws.env);
      expect(result.stdout).toContain(`✓ Gateway: running at ${gateway.instance.url} (pid ${gateway.instance.pid}, version 0.1.0); the token is accepted`);
      expect(result.stdout).toContain('✓ iMessage default: rpc listening; probe passed (imsg 0.9.0)');
      expect(result.stdout).toContain(`✓ Token file: ${ws.stateDir}/gateway.token (mode 600)`);
      expect(result.stdout).toContain('No problems found.');
      expect(result.code).toBe(0);

      const { chmodSync } = await import('node:fs');
      chmodSync(`${ws.stateDir}/gateway.token`, 0o644);
      const loose = await runCli(['doctor', '--json'], ws.env);
      const json = JSON.parse(loose.stdout);
      expect(json.ok).toBe(false);
      expect(json.checks).toContainEqual(expect.objectContaining({ id: 'token-file', verdict: 'fail', fix: `chmod 600 "${ws.stateDir}/gateway.token"` }));
      expect(loose.code).toBe(1);
    } finally {
      await gateway.stop();
    }
  });

  it('an invalid config is reported and the accounts are not probed', async () => {
    writeFileSync(ws.configPath, '{ channels: { imessage: { groupPolicy: "everyone" } } }', { mode: 0o600 });
    const result = await runCli(['doctor'], ws.env);
    expect(result.stdout).toContain(`✗ Config: ${ws.configPath} has 1 problem(s)`);
    expect(result.stdout).toContain('    - channels.imessage.groupPolicy = "everyone"');
    expect(result.stdout).toContain('– iMessage accounts: not checked (the config must be fixed first)');
    expect(result.code).toBe(1);
  });
});

describe('the program', () => {
  it('--version, --help, unknown commands', async () => {
    expect(await runCli(['--version'], ws.env)).toMatchObject({ code: 0, stdout: '0.1.0\n' });
    const help = await runCli(['--help'], ws.env);
    expect(help.code).toBe(0);
    for (const command of ['gateway', 'channels', 'pairing', 'message', 'config', 'doctor']) expect(help.stdout).toContain(command);
    const unknown = await runCli(['frobnicate'], ws.env);
    expect(unknown.stderr).toContain("error: unknown command 'frobnicate'");
    expect(unknown.code).toBe(2);
    const badPort = await runCli(['gateway', '--port', 'abc'], ws.env);
    expect(badPort.stderr).toContain('Error: --port abc: not a port number');
    expect(badPort.code).toBe(2);
  });
});
