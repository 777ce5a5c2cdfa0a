import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogHub } from '../util/logger';
import { loadOrCreateToken, readToken, tokenFilePath, tokensEqual } from './auth';

let base: string;
let stateDir: string;
beforeEach(async () => {
  base = await fs.mkdtemp(join(tmpdir(), 'clawdbot-auth-'));
  stateDir = join(base, 'state');
});
afterEach(async () => {
  await fs.rm(base, { recursive: true, force: true });
});

const mode = async (path: string) => (await fs.stat(path)).mode & 0o777;

describe('loadOrCreateToken', () => {
  it('generates a token file on first start (0600 in a 0700 dir) and reuses it afterwards', async () => {
    const first = await loadOrCreateToken(stateDir);
    expect(first.source).toBe('generated');
    expect(first.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(first.path).toBe(tokenFilePath(stateDir));
    expect(await mode(tokenFilePath(stateDir))).toBe(0o600);
    expect(await mode(stateDir)).toBe(0o700);
    expect(await fs.readFile(tokenFilePath(stateDir), 'utf8')).toBe(`${first.token}\n`);
    // No temp files left behind.
    expect(await fs.readdir(stateDir)).toEqual(['gateway.token']);

    const second = await loadOrCreateToken(stateDir);
    expect(second).toEqual({ token: first.token, source: 'file', path: first.path });
    expect(await readToken(stateDir)).toBe(first.token);
  });

  it('prefers the config token, then the env token, over the file', async () => {
    const file = await loadOrCreateToken(stateDir);
    const env = 'env-token-0123456789abcdef';
    const config = 'config-token-0123456789abcdef';
    expect(await loadOrCreateToken(stateDir, config, env)).toEqual({ token: config, source: 'config' });
    expect(await loadOrCreateToken(stateDir, undefined, env)).toEqual({ token: env, source: 'env' });
    expect(await loadOrCreateToken(stateDir, '  ', ` ${env} `)).toEqual({ token: env, source: 'env' });
    expect((await loadOrCreateToken(stateDir, null, '')).token).toBe(file.token);
  });

  it('refuses a weak configured token with a fix', async () => {
    await expect(loadOrCreateToken(stateDir, 'hunter2')).rejects.toThrow(/gateway\.auth\.token in the config file is unusable: it is shorter than 16 characters/);
    await expect(loadOrCreateToken(stateDir, undefined, 'has spaces in the middle')).rejects.toThrow(/CLAWDBOT_GATEWAY_TOKEN environment variable is unusable: it contains spaces/);
  });

  it('refuses tokens without randomness, accepts random ones of every common shape', async () => {
    for (const weak of ['A'.repeat(43), 'ab'.repeat(20), '0123'.repeat(4)]) {
      await expect(loadOrCreateToken(stateDir, undefined, weak), weak).rejects.toThrow(/unusable: it has almost no randomness/);
    }
    for (const good of ['Zx81mQ2pLk5vN0tR', '7d3f0c1e9a8b4c2d5e6f7a8b9c0d1e2f', 'c0a8e3d2-5b1f-4e6a-9c7d-2f8e1b3a4c5d', 'env-token-0123456789abcdef']) {
      expect((await loadOrCreateToken(stateDir, undefined, good)).token).toBe(good);
    }
  });

  it('moves an unusable token file aside and writes a new one', async () => {
    await fs.mkdir(stateDir, { recursive: true });
    await fs.writeFile(tokenFilePath(stateDir), 'short\n', { mode: 0o600 });
    const hub = createLogHub();
    const result = await loadOrCreateToken(stateDir, undefined, undefined, hub.logger('gateway'));
    expect(result.source).toBe('generated');
    const files = await fs.readdir(stateDir);
    const aside = files.find((f) => f.startsWith('gateway.token.corrupt-'));
    expect(aside).toBeDefined();
    expect(await fs.readFile(join(stateDir, aside!), 'utf8')).toBe('short\n');
    expect(hub.tail().map((r) => r.msg)).toContain('the gateway token file was unusable; moved it aside and generating a new one');
  });

  it('tightens a token file that other users can read', async () => {
    await fs.mkdir(stateDir, { recursive: true });
    await fs.writeFile(tokenFilePath(stateDir), 'a-hand-written-token-123456\n');
    await fs.chmod(tokenFilePath(stateDir), 0o644);
    expect((await loadOrCreateToken(stateDir)).token).toBe('a-hand-written-token-123456');
    expect(await mode(tokenFilePath(stateDir))).toBe(0o600);
  });

  it('agrees on one token when several starts race', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateToken(stateDir)));
    const tokens = new Set(results.map((r) => r.token));
    expect(tokens.size).toBe(1);
    expect(results.filter((r) => r.source === 'generated')).toHaveLength(1);
    expect(await readToken(stateDir)).toBe([...tokens][0]);
  });
});

describe('readToken', () => {
  it('returns undefined before the gateway ever started, and explains a bad file', async () => {
    expect(await readToken(stateDir)).toBeUndefined();
    await fs.mkdir(stateDir, { recursive: true });
    await fs.writeFile(tokenFilePath(stateDir), '\n');
    await expect(readToken(stateDir)).rejects.toThrow(/is unusable .*Restart the gateway to regenerate it/);
  });
});

describe('tokensEqual', () => {
  it('compares exactly, including length, and rejects non-strings', () => {
    const token = 'abcdefghijklmnop-qrstuvwxyz';
    expect(tokensEqual(token, token)).toBe(true);
    expect(tokensEqual(`${token}x`, token)).toBe(false);
    expect(tokensEqual(token.slice(0, -1), token)).toBe(false);
    expect(tokensEqual('', token)).toBe(false);
    expect(tokensEqual(undefined, token)).toBe(false);
    expect(tokensEqual(42, token)).toBe(false);
  });
});
