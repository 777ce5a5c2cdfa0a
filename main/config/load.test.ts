import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfigText } from './load';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'clawdbot-load-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function loadError(path: string): Promise<ConfigError> {
  const error = await loadConfig({ path }).catch((e: unknown) => e);
  if (!(error instanceof ConfigError)) throw new Error(`expected a ConfigError, got ${String(error)}`);
  return error;
}

describe('loadConfig', () => {
  it('a missing file is not an error: defaults, exists=false', async () => {
    const path = join(dir, 'nope', 'clawdbot.json');
    const loaded = await loadConfig({ path });
    expect(loaded).toMatchObject({ path, exists: false, warnings: [] });
    expect(loaded.config.gateway).toEqual({ port: 18789, bind: 'loopback' });
  });

  it('finds the file through CLAWDBOT_STATE_DIR and CLAWDBOT_CONFIG_PATH', async () => {
    await writeFile(join(dir, 'clawdbot.json'), '{ gateway: { port: 1111 } }', { mode: 0o600 });
    await writeFile(join(dir, 'other.json5'), '{ gateway: { port: 2222 } }', { mode: 0o600 });
    const viaStateDir = await loadConfig({ env: { HOME: '/nonexistent', CLAWDBOT_STATE_DIR: dir } });
    expect(viaStateDir).toMatchObject({ path: join(dir, 'clawdbot.json'), exists: true });
    expect(viaStateDir.config.gateway.port).toBe(1111);
    const viaConfigPath = await loadConfig({ env: { HOME: '/nonexistent', CLAWDBOT_STATE_DIR: dir, CLAWDBOT_CONFIG_PATH: join(dir, 'other.json5') } });
    expect(viaConfigPath.config.gateway.port).toBe(2222);
  });

  it('reads JSON5: comments, unquoted keys, single quotes, trailing commas', async () => {
    const path = join(dir, 'clawdbot.json');
    await writeFile(
      path,
      `// my config
{
  channels: {
    imessage: {
      cliPath: '/opt/homebrew/bin/imsg', // brew
      allowFrom: ['+15555550123',],
    },
  },
}
`,
      { mode: 0o600 },
    );
    const { config, warnings } = await loadConfig({ path });
    expect(config.channels?.imessage).toEqual({ cliPath: '/opt/homebrew/bin/imsg', allowFrom: ['+15555550123'] });
    expect(warnings).toEqual([]);
  });

  it('an empty file is an empty config', async () => {
    const path = join(dir, 'clawdbot.json');
    await writeFile(path, '  \n', { mode: 0o600 });
    expect((await loadConfig({ path })).config.session.dmScope).toBe('per-channel-peer');
  });

  it('a syntax error is reported with file:line:column and the offending line', async () => {
    const path = join(dir, 'clawdbot.json');
    await writeFile(path, '{\n  gateway: {\n    port: 18789\n    bind: "lan",\n  },\n}\n', { mode: 0o600 });
    const error = await loadError(path);
    expect(error).toMatchObject({ kind: 'parse', file: path, line: 4, column: 5 });
    expect(error.message).toBe(
      [
        `Cannot parse ${path}:4:5: invalid character 'b'`,
        '    4 |     bind: "lan",',
        '      |     ^',
        'Fix: Correct the JSON5 syntax at line 4, column 5 (often a missing comma, an unclosed brace, bracket or quote).',
      ].join('\n'),
    );
    expect(error.issues[0]).toMatchObject({ path: '', message: "invalid character 'b' at line 4, column 5" });
  });

  it('an unexpected end of file points at the end', () => {
    try {
      parseConfigText('{\n  a: 1,\n', 'x.json');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message.split('\n')[0]).toBe('Cannot parse x.json:3:1: invalid end of input');
    }
  });

  it('validation errors name the file', async () => {
    const path = join(dir, 'clawdbot.json');
    await writeFile(path, '{ channels: { imessage: { dmPolicy: "opne" } } }', { mode: 0o600 });
    const error = await loadError(path);
    expect(error.kind).toBe('invalid');
    expect(error.message.split('\n')[0]).toBe(`Invalid config at ${path} (1 problem):`);
    expect(error.issues[0]!.path).toBe('channels.imessage.dmPolicy');
  });

  it('warns when other users can read the file', async () => {
    const path = join(dir, 'clawdbot.json');
    await writeFile(path, '{}', { mode: 0o644 });
    const { warnings } = await loadConfig({ path });
    expect(warnings).toEqual([`${path} is readable by other users (mode 644); it may hold tokens and API keys. Run: chmod 600 "${path}"`]);
  });

  it('a directory where the file should be is an io error with a fix', async () => {
    const path = join(dir, 'clawdbot.json');
    await mkdir(path);
    const error = await loadError(path);
    expect(error.kind).toBe('io');
    expect(error.message).toContain('is a directory');
  });
});
