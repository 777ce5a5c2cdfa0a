import { appendFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AccessLogEntry } from '../../contract/gateway-api';
import { AccessLog } from './access-log';

function entry(messageId: number, overrides: Partial<AccessLogEntry> = {}): AccessLogEntry {
  return {
    ts: new Date(1_700_000_000_000 + messageId).toISOString(),
    accountId: 'default',
    chatId: 7,
    isGroup: false,
    sender: '+15550001111',
    messageId,
    decision: 'accepted',
    reason: 'replied',
    ...overrides,
  };
}

describe('AccessLog', () => {
  it('returns entries oldest first and limits the tail', () => {
    const log = new AccessLog({ capacity: 10 });
    for (let i = 1; i <= 4; i++) log.record(entry(i));
    expect(log.size).toBe(4);
    expect(log.tail().map((e) => e.messageId)).toEqual([1, 2, 3, 4]);
    expect(log.tail(2).map((e) => e.messageId)).toEqual([3, 4]);
    expect(log.tail(0)).toEqual([]);
    expect(log.tail(-5)).toEqual([]);
    expect(log.tail(100).map((e) => e.messageId)).toEqual([1, 2, 3, 4]);
  });

  it('keeps only the newest `capacity` entries across many wrap-arounds', () => {
    const log = new AccessLog({ capacity: 3 });
    for (let i = 1; i <= 11; i++) log.record(entry(i));
    expect(log.size).toBe(3);
    expect(log.tail().map((e) => e.messageId)).toEqual([9, 10, 11]);
    expect(log.tail(2).map((e) => e.messageId)).toEqual([10, 11]);
  });

  it('notifies listeners synchronously; a throwing listener does not affect others; unsubscribe works', () => {
    const log = new AccessLog();
    const seen: number[] = [];
    log.on(() => {
      throw new Error('broken socket');
    });
    const off = log.on((e) => seen.push(e.messageId ?? -1));
    log.record(entry(1, { decision: 'rejected', reason: 'dmPolicy=allowlist' }));
    expect(seen).toEqual([1]);
    off();
    log.record(entry(2));
    expect(seen).toEqual([1]);
    expect(log.tail().map((e) => e.reason)).toEqual(['dmPolicy=allowlist', 'replied']);
  });

  it('clear() empties it; a bad capacity is refused', () => {
    const log = new AccessLog({ capacity: 2 });
    log.record(entry(1));
    log.clear();
    expect(log.tail()).toEqual([]);
    log.record(entry(2));
    expect(log.tail().map((e) => e.messageId)).toEqual([2]);
    expect(() => new AccessLog({ capacity: 0 })).toThrow(/capacity must be a positive integer/);
  });
});

describe('AccessLog on disk', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'access-log-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a new log restores what an earlier one recorded, in front of its own entries, without events', async () => {
    const file = join(dir, 'imessage', 'access-log.jsonl');
    const first = new AccessLog({ file });
    for (let i = 1; i <= 3; i++) first.record(entry(i));
    await first.flush();
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const second = new AccessLog({ file, capacity: 10 });
    const seen: number[] = [];
    second.on((e) => seen.push(e.messageId!));
    second.record(entry(4)); // recorded before the restore finished
    await second.restore();
    expect(second.tail().map((e) => e.messageId)).toEqual([1, 2, 3, 4]);
    expect(seen).toEqual([4]);
  });

  it('stays bounded: rotates past maxFileBytes, keeps one older generation, restores the newest entries', async () => {
    const file = join(dir, 'access-log.jsonl');
    const log = new AccessLog({ file, maxFileBytes: 4096, capacity: 50 });
    for (let i = 1; i <= 500; i++) {
      log.record(entry(i));
      if (i % 10 === 0) await log.flush();
    }
    await log.flush();
    expect(statSync(file).size).toBeLessThanOrEqual(4096);
    expect(statSync(`${file}.1`).size).toBeLessThanOrEqual(4096);
    // Two generations of 4 KB hold a few dozen entries: the newest ones come back, in order.
    const restored = new AccessLog({ file, capacity: 20 });
    await restored.restore();
    expect(restored.tail().map((e) => e.messageId)).toEqual(Array.from({ length: 20 }, (_, i) => 481 + i));
  });

  it('skips lines that are not entries (a line cut off by a crash, garbage)', async () => {
    const file = join(dir, 'access-log.jsonl');
    appendFileSync(file, `${JSON.stringify(entry(1))}\nnot json\n{"ts":1}\n${JSON.stringify(entry(2)).slice(0, 20)}`);
    const log = new AccessLog({ file });
    await log.restore();
    expect(log.tail().map((e) => e.messageId)).toEqual([1]);
  });

  it('a file that cannot be written is reported once; the log goes on in memory', async () => {
    const errors: Error[] = [];
    const log = new AccessLog({ file: join(dir, 'missing-parent-is-a-file', 'x.jsonl'), onFileError: (error) => errors.push(error) });
    appendFileSync(join(dir, 'missing-parent-is-a-file'), 'a file where the folder should be');
    log.record(entry(1));
    await log.flush();
    log.record(entry(2));
    await log.flush();
    expect(errors).toHaveLength(1);
    expect(log.tail().map((e) => e.messageId)).toEqual([1, 2]);
  });
});
