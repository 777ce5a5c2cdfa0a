import { describe, expect, it } from 'vitest';
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
