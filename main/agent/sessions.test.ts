import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../util/logger';
import {
  createSessionStore,
  resolveHistoryLimit,
  sessionKeyFor,
  transcriptFileName,
  trimToUserTurns,
  type TranscriptTurn,
} from './sessions';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'agent-sessions-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const turn = (role: 'user' | 'assistant', text: string): TranscriptTurn => ({ role, text, ts: '2026-01-17T00:00:00.000Z' });

describe('session keys', () => {
  it('gives every DM sender their own session by default', () => {
    expect(sessionKeyFor('main', { kind: 'dm', peer: '+15550001111' })).toBe('agent:main:imessage:dm:+15550001111');
    expect(sessionKeyFor('main', { kind: 'dm', peer: 'Bob@Example.com' })).toBe('agent:main:imessage:dm:bob@example.com');
  });

  it('supports the upstream scopes', () => {
    const peer = { kind: 'dm' as const, peer: '+15550001111', accountId: 'work' };
    expect(sessionKeyFor('main', peer, 'main')).toBe('agent:main:main');
    expect(sessionKeyFor('main', peer, 'per-peer')).toBe('agent:main:dm:+15550001111');
    expect(sessionKeyFor('main', peer, 'per-account-channel-peer')).toBe('agent:main:imessage:work:dm:+15550001111');
  });

  it('keys groups by chat_id regardless of scope', () => {
    expect(sessionKeyFor('main', { kind: 'group', chatId: 42 }, 'main')).toBe('agent:main:imessage:group:42');
  });

  it('maps keys to distinct, safe file names', () => {
    expect(transcriptFileName('agent:main:imessage:dm:+15550001111')).toBe('agent_main_imessage_dm_+15550001111.jsonl');
    const a = transcriptFileName('agent:main:a:b');
    const b = transcriptFileName('agent:main:a_b');
    expect(a).not.toBe(b);
    const nasty = transcriptFileName('agent:main:imessage:dm:../../etc/passwd');
    expect(nasty).not.toContain('/');
    expect(transcriptFileName(`agent:main:${'x'.repeat(400)}`).length).toBeLessThan(200);
  });
});

describe('history limits', () => {
  const source = { historyLimit: 50, dmHistoryLimit: 10, dms: { '+15550001111': { historyLimit: 3 }, 'Bob@Example.com': { historyLimit: 4 } } };

  it('uses dms[handle], then dmHistoryLimit, for per-sender DM sessions', () => {
    expect(resolveHistoryLimit(source, { kind: 'dm', peer: '+15550001111' })).toBe(3);
    expect(resolveHistoryLimit(source, { kind: 'dm', peer: 'bob@example.com' })).toBe(4);
    expect(resolveHistoryLimit(source, { kind: 'dm', peer: '+15559999999' })).toBe(10);
  });

  it('does not apply DM limits to the shared main session', () => {
    expect(resolveHistoryLimit(source, { kind: 'dm', peer: '+15550001111' }, 'main')).toBeUndefined();
  });

  it('uses historyLimit for groups, and 0 means no limit', () => {
    expect(resolveHistoryLimit(source, { kind: 'group', chatId: 1 })).toBe(50);
    expect(resolveHistoryLimit({ historyLimit: 0 }, { kind: 'group', chatId: 1 })).toBeUndefined();
    expect(resolveHistoryLimit({}, { kind: 'dm', peer: 'x' })).toBeUndefined();
  });

  it('trims to the last N user turns', () => {
    const turns = [turn('user', 'u1'), turn('assistant', 'a1'), turn('user', 'u2'), turn('assistant', 'a2'), turn('user', 'u3'), turn('assistant', 'a3')];
    expect(trimToUserTurns(turns, 2).map((t) => t.text)).toEqual(['u2', 'a2', 'u3', 'a3']);
    expect(trimToUserTurns(turns, 10)).toHaveLength(6);
    expect(trimToUserTurns(turns, undefined)).toHaveLength(6);
  });
});

describe('session store', () => {
  it('appends JSON lines with mode 0600 and reloads them in a new store', async () => {
    const store = createSessionStore({ dir: join(dir, 'sessions'), logger: silentLogger });
    const key = 'agent:main:imessage:dm:+15550001111';
    expect(await store.history(key)).toEqual([]);
    void store.append(key, [turn('user', 'hi'), turn('assistant', 'hello')]);
    // Visible at once, before the write finished.
    expect((await store.history(key)).map((t) => t.text)).toEqual(['hi', 'hello']);
    await store.append(key, [turn('user', 'again'), turn('assistant', 'yes')]);

    const path = store.transcriptPath(key);
    const lines = (await fs.readFile(path, 'utf8')).trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l).text)).toEqual(['hi', 'hello', 'again', 'yes']);
    expect((await fs.stat(path)).mode & 0o777).toBe(0o600);
    expect((await fs.stat(join(dir, 'sessions'))).mode & 0o777).toBe(0o700);

    const reopened = createSessionStore({ dir: join(dir, 'sessions'), logger: silentLogger });
    expect((await reopened.history(key)).map((t) => t.text)).toEqual(['hi', 'hello', 'again', 'yes']);
  });

  it('keeps appends of one session in call order', async () => {
    const store = createSessionStore({ dir, logger: silentLogger });
    const writes = Array.from({ length: 50 }, (_, i) => store.append('k', [turn('user', `m${i}`)]));
    await Promise.all(writes);
    const lines = (await fs.readFile(store.transcriptPath('k'), 'utf8')).trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l).text)).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`));
  });

  it('reads only the tail of a long transcript, up to maxCachedTurns', async () => {
    const path = join(dir, transcriptFileName('k'));
    const filler = 'x'.repeat(1000);
    // ~300 KB: several 64 KB chunks, so the backwards reader must stitch lines across chunks.
    const lines = Array.from({ length: 300 }, (_, i) => JSON.stringify(turn(i % 2 ? 'assistant' : 'user', `t${i} ${filler} é`)));
    await fs.writeFile(path, `${lines.join('\n')}\n`);
    const store = createSessionStore({ dir, logger: silentLogger, maxCachedTurns: 120 });
    const history = await store.history('k');
    expect(history).toHaveLength(120);
    expect(history[0]!.text.startsWith('t180 ')).toBe(true);
    expect(history[119]!.text.startsWith('t299 ')).toBe(true);
    expect(history.every((t) => t.text.endsWith(' é'))).toBe(true);
  });

  it('skips unreadable lines and starts a new line after a torn last write', async () => {
    const path = join(dir, transcriptFileName('k'));
    await fs.writeFile(path, `${JSON.stringify(turn('user', 'ok'))}\nnot json\n{"role":"user","text":"cut`);
    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (msg: string) => warnings.push(msg) };
    const store = createSessionStore({ dir, logger });
    expect((await store.history('k')).map((t) => t.text)).toEqual(['ok']);
    expect(warnings).toEqual(['skipped unreadable transcript lines']);
    await store.append('k', [turn('assistant', 'after')]);
    const reopened = createSessionStore({ dir, logger: silentLogger });
    expect((await reopened.history('k')).map((t) => t.text)).toEqual(['ok', 'after']);
  });

  it('bounds the in-memory turns and sessions', async () => {
    const store = createSessionStore({ dir, logger: silentLogger, maxCachedTurns: 10, maxCachedSessions: 2 });
    for (let i = 0; i < 35; i++) void store.append('a', [turn('user', `m${i}`)]);
    const history = await store.history('a');
    expect(history.map((t) => t.text)).toEqual(Array.from({ length: 10 }, (_, i) => `m${25 + i}`));
    await store.flush();
    await store.append('b', [turn('user', 'b')]);
    await store.append('c', [turn('user', 'c')]);
    // 'a' was evicted and is re-read from the file: still the same last 10 turns.
    expect((await store.history('a')).map((t) => t.text)).toEqual(history.map((t) => t.text));
  });
});
