import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import JSON5 from 'json5';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from './errors';
import { loadConfig } from './load';
import { applyMergePatch, getConfigValue, parseCliValue, patchConfigFile, setConfigValue, unsetConfigValue } from './write';

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'clawdbot-write-'));
  file = join(dir, 'state', 'clawdbot.json');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const mode = async (path: string) => (await stat(path)).mode & 0o777;

async function rejection(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ConfigError)) throw new Error(`expected a ConfigError, got ${String(error)}`);
  return error;
}

const COMMENTED = `// Clawdbot config — hand-written
{
    // the gateway
    "gateway": {
        "port": 18789, // default port
    },
    /* iMessage */
    "channels": {
        "imessage": {
            "cliPath": "/opt/homebrew/bin/imsg", // brew
            "allowFrom": ["+15555550123"],
        },
    },
}
`;

describe('patchConfigFile', () => {
  it('creates a new file as JSON: folder 0700, file 0600, no temp files left', async () => {
    const result = await patchConfigFile(file, { channels: { imessage: { enabled: true } } });
    expect(result.format).toBe('new');
    expect(await mode(join(dir, 'state'))).toBe(0o700);
    expect(await mode(file)).toBe(0o600);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ channels: { imessage: { enabled: true } } });
    expect(await readdir(join(dir, 'state'))).toEqual(['clawdbot.json']);
    expect(result.config.channels?.imessage?.enabled).toBe(true);
  });

  it('edits a commented JSONC file in place: comments and layout survive', async () => {
    await patchConfigFile(file, {}); // creates the folder
    await writeFile(file, COMMENTED, { mode: 0o644 });

    const result = await patchConfigFile(file, {
      gateway: { port: 19000 },
      channels: { imessage: { dmPolicy: 'allowlist', allowFrom: null } },
    });
    expect(result.format).toBe('jsonc');
    const text = await readFile(file, 'utf8');
    for (const comment of ['// Clawdbot config — hand-written', '// the gateway', '// default port', '/* iMessage */', '// brew']) {
      expect(text).toContain(comment);
    }
    expect(text).toContain('"port": 19000, // default port');
    expect(text).toContain('            "dmPolicy": "allowlist"'); // the file's 4-space indentation
    expect(JSON5.parse(text)).toEqual({
      gateway: { port: 19000 },
      channels: { imessage: { cliPath: '/opt/homebrew/bin/imsg', dmPolicy: 'allowlist' } },
    });
    expect(await mode(file)).toBe(0o600);
    expect(await readdir(join(dir, 'state'))).toEqual(['clawdbot.json']);
  });

  it('deleting a key removes its lines only (the comments around it stay), and no comma is left trailing', async () => {
    await patchConfigFile(file, {});
    await writeFile(
      file,
      ['{', '  "gateway": {', '    "port": 18789, // keep me', '    "bind": "lan" // goes with bind', '  },', '  // iMessage', '  "channels": {}', '}', ''].join('\n'),
      { mode: 0o600 },
    );
    await patchConfigFile(file, { gateway: { bind: null }, channels: null });
    expect(await readFile(file, 'utf8')).toBe(['{', '  "gateway": {', '    "port": 18789 // keep me', '  }', '  // iMessage', '}', ''].join('\n'));
  });

  it('rewrites a JSON5 file that JSONC cannot read, keeps unknown keys, and backs up the original once', async () => {
    await patchConfigFile(file, {});
    const original = `{
  // unquoted keys and single quotes: JSON5 only
  channels: { imessage: { cliPath: 'imsg', capabilities: ['x'] }, telegram: { botToken: 'x' } },
  plugins: { enabled: true },
}
`;
    await writeFile(file, original, { mode: 0o600 });
    const first = await patchConfigFile(file, { gateway: { port: 18800 } });
    expect(first.format).toBe('json5');
    expect(first.backupPath).toBe(`${file}.bak`);
    expect(await readFile(`${file}.bak`, 'utf8')).toBe(original);
    expect(await mode(`${file}.bak`)).toBe(0o600);
    // someFutureKey is an error for validation... so it must not be in here; use only ignorable keys.
    expect(JSON5.parse(await readFile(file, 'utf8'))).toEqual({
      channels: { imessage: { cliPath: 'imsg', capabilities: ['x'] }, telegram: { botToken: 'x' } },
      plugins: { enabled: true },
      gateway: { port: 18800 },
    });
  });

  it('never drops keys it does not know (ignored original keys survive a rewrite)', async () => {
    await patchConfigFile(file, {});
    const original = "{ channels: { telegram: { botToken: 'x' } }, plugins: { enabled: true }, cron: { jobs: [1, 2] } }\n";
    await writeFile(file, original, { mode: 0o600 });
    const first = await patchConfigFile(file, { gateway: { port: 18800 } });
    expect(first.warnings.length).toBe(3);
    expect(JSON5.parse(await readFile(file, 'utf8'))).toEqual({
      channels: { telegram: { botToken: 'x' } },
      plugins: { enabled: true },
      cron: { jobs: [1, 2] },
      gateway: { port: 18800 },
    });
    expect(await readFile(`${file}.bak`, 'utf8')).toBe(original);

    // Our own rewrite is not hand-written: the next change does not replace the backup.
    const second = await patchConfigFile(file, { gateway: { port: 18801 } });
    expect(second.format).toBe('json5');
    expect(second.backupPath).toBeUndefined();
    expect(await readFile(`${file}.bak`, 'utf8')).toBe(original);
  });

  it('an invalid result throws ConfigError and leaves the file byte-identical', async () => {
    await patchConfigFile(file, {});
    await writeFile(file, COMMENTED, { mode: 0o600 });
    const before = await readFile(file);
    const error = await rejection(patchConfigFile(file, { channels: { imessage: { dmPolicy: 'open' } } }));
    expect(error.issues[0]).toMatchObject({ path: 'channels.imessage.dmPolicy', value: 'open' });
    expect(error.message).toContain(`Invalid config at ${file}`);
    expect(await readFile(file)).toEqual(before);
    expect(await readdir(join(dir, 'state'))).toEqual(['clawdbot.json']);
  });

  it('refuses to touch a file that does not parse', async () => {
    await patchConfigFile(file, {});
    await writeFile(file, '{ gateway: { port: 1 ', { mode: 0o600 });
    const error = await rejection(patchConfigFile(file, { gateway: { port: 2 } }));
    expect(error.kind).toBe('parse');
    expect(await readFile(file, 'utf8')).toBe('{ gateway: { port: 1 ');
  });

  it('an unchanged result does not rewrite the file', async () => {
    await patchConfigFile(file, { gateway: { port: 18800 } });
    const before = (await stat(file)).mtimeMs;
    await new Promise((r) => setTimeout(r, 20));
    const result = await patchConfigFile(file, { gateway: { port: 18800 }, channels: null });
    expect(result.format).toBe('unchanged');
    expect((await stat(file)).mtimeMs).toBe(before);
  });

  it('concurrent patches from two writers both land (read-modify-write is locked)', async () => {
    await patchConfigFile(file, {});
    await Promise.all([
      patchConfigFile(file, { gateway: { port: 18800 } }),
      patchConfigFile(file, { channels: { imessage: { enabled: false } } }),
      patchConfigFile(file, { session: { dmScope: 'main' } }),
    ]);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({
      gateway: { port: 18800 },
      channels: { imessage: { enabled: false } },
      session: { dmScope: 'main' },
    });
  });

  it('rejects a patch that is not an object, and prototype keys', async () => {
    await expect(patchConfigFile(file, [] as unknown as Record<string, unknown>)).rejects.toThrow(/must be an object/);
    await expect(patchConfigFile(file, JSON.parse('{"__proto__": {"x": 1}}') as Record<string, unknown>)).rejects.toThrow(/cannot be used as a config key/);
  });
});

describe('config get / set / unset', () => {
  it('set parses JSON5 values and creates missing parents', async () => {
    await setConfigValue(file, 'channels.imessage.allowFrom', '["+15555550123", \'me@icloud.com\']');
    await setConfigValue(file, 'channels.imessage.includeAttachments', 'true');
    await setConfigValue(file, 'channels.imessage.mediaMaxMb', '8');
    await setConfigValue(file, 'channels.imessage.dbPath', '~/Library/Messages/chat.db');
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({
      channels: {
        imessage: { allowFrom: ['+15555550123', 'me@icloud.com'], includeAttachments: true, mediaMaxMb: 8, dbPath: '~/Library/Messages/chat.db' },
      },
    });
  });

  it('keeps the text when the parsed value is rejected but the text is fine (a numeric token)', async () => {
    const result = await setConfigValue(file, 'gateway.auth.token', '12345');
    expect(result.value).toBe('12345');
    expect(await getConfigValue(file, 'gateway.auth.token')).toBe('12345');
  });

  it('set with an invalid value throws and writes nothing', async () => {
    await setConfigValue(file, 'gateway.port', '18800');
    const before = await readFile(file);
    const error = await rejection(setConfigValue(file, 'channels.imessage.dmPolicy', 'opne'));
    expect(error.issues[0]!.fix).toContain('Did you mean "open"?');
    expect(await readFile(file)).toEqual(before);
  });

  it('quoted keys address handles with dots, [n] addresses list elements', async () => {
    await setConfigValue(file, 'channels.imessage.dms["me@icloud.com"].historyLimit', '5');
    await setConfigValue(file, 'agents.list', '[{ id: "main" }]');
    await setConfigValue(file, 'agents.list[0].identity.name', 'Clawd');
    expect(await getConfigValue(file, 'channels.imessage.dms["me@icloud.com"]')).toEqual({ historyLimit: 5 });
    expect(await getConfigValue(file, 'agents.list[0]')).toEqual({ id: 'main', identity: { name: 'Clawd' } });
    await expect(setConfigValue(file, 'agents.list[3].id', 'x')).rejects.toThrow(/past the end of the list/);
    await expect(setConfigValue(file, 'agents.list[0].id.x', '1')).rejects.toThrow(/agents\.list\[0\]\.id = "main": is a string, so it cannot hold "x"/);
  });

  it('null or unset deletes the key; get of a missing key or file is undefined', async () => {
    expect(await getConfigValue(file, 'gateway.port')).toBeUndefined();
    await setConfigValue(file, 'gateway.port', '18800');
    await setConfigValue(file, 'gateway.bind', 'lan');
    await setConfigValue(file, 'gateway.port', 'null');
    expect(await getConfigValue(file, 'gateway')).toEqual({ bind: 'lan' });
    await unsetConfigValue(file, 'gateway.bind');
    expect(await getConfigValue(file, 'gateway')).toEqual({});
    expect((await loadConfig({ path: file })).config.gateway).toEqual({ port: 18789, bind: 'loopback' });
  });

  it('set keeps comments of a JSONC file', async () => {
    await patchConfigFile(file, {});
    await writeFile(file, COMMENTED, { mode: 0o600 });
    await setConfigValue(file, 'channels.imessage.accounts.work.cliPath', '~/bin/imsg-work');
    const text = await readFile(file, 'utf8');
    expect(text).toContain('// brew');
    expect(JSON5.parse(text).channels.imessage.accounts).toEqual({ work: { cliPath: '~/bin/imsg-work' } });
  });

  it('a malformed key path is a ConfigError', async () => {
    await expect(setConfigValue(file, 'a..b', '1')).rejects.toBeInstanceOf(ConfigError);
  });
});

describe('parseCliValue / applyMergePatch', () => {
  it('parses JSON5 when it can, else returns the text', () => {
    expect(parseCliValue('true')).toBe(true);
    expect(parseCliValue('16')).toBe(16);
    expect(parseCliValue("{ a: 'b' }")).toEqual({ a: 'b' });
    expect(parseCliValue('imsg')).toBe('imsg');
    expect(parseCliValue('/opt/homebrew/bin/imsg')).toBe('/opt/homebrew/bin/imsg');
  });

  it('merges objects, replaces lists, deletes on null, and does not modify its inputs', () => {
    const target = { a: { b: 1, c: [1, 2] }, d: 1 };
    const patch = { a: { c: [3], e: { f: null, g: 1 } }, d: null };
    expect(applyMergePatch(target, patch)).toEqual({ a: { b: 1, c: [3], e: { g: 1 } } });
    expect(target).toEqual({ a: { b: 1, c: [1, 2] }, d: 1 });
  });
});

describe('write failures', () => {
  it('an unwritable location is a ConfigError of kind "io" with a fix', async () => {
    await writeFile(join(dir, 'blocker'), 'a file, not a folder');
    const error = await rejection(patchConfigFile(join(dir, 'blocker', 'clawdbot.json'), { gateway: { port: 18800 } }));
    expect(error.kind).toBe('io');
    expect(error.message).toMatch(/^Cannot write .*blocker\/clawdbot\.json: .*\nFix: /);
  });
});
