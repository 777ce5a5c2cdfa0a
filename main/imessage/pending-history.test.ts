import { describe, expect, it } from 'vitest';
import { CURRENT_MESSAGE_HEADER, formatWithPendingHistory, HISTORY_HEADER, type PendingEntry } from '../agent/history-format';
import { PendingHistory } from './pending-history';

const entry = (n: number, extra: Partial<PendingEntry> = {}): PendingEntry => ({ sender: `+1555000${n}`, body: `msg ${n}`, messageId: n, ...extra });

describe('PendingHistory', () => {
  it('delivers entries once: take() returns them oldest first and clears the chat', () => {
    const history = new PendingHistory();
    history.append('42', entry(1));
    history.append('42', entry(2));
    history.append('7', entry(3));
    expect(history.take('42').map((e) => e.messageId)).toEqual([1, 2]);
    expect(history.take('42')).toEqual([]);
    expect(history.peek('7')).toHaveLength(1);
    expect(history.chatCount).toBe(1);
  });

  it('keeps only the last `limit` entries per chat (default 50)', () => {
    const history = new PendingHistory();
    for (let i = 1; i <= 60; i += 1) history.append('42', entry(i));
    const taken = history.take('42');
    expect(taken).toHaveLength(50);
    expect(taken[0]?.messageId).toBe(11);
    expect(taken[49]?.messageId).toBe(60);

    const small = new PendingHistory({ limit: 2 });
    for (let i = 1; i <= 5; i += 1) small.append('1', entry(i));
    expect(small.take('1').map((e) => e.messageId)).toEqual([4, 5]);
  });

  it('records nothing when limit is 0', () => {
    const history = new PendingHistory({ limit: 0 });
    history.append('42', entry(1));
    expect(history.enabled).toBe(false);
    expect(history.take('42')).toEqual([]);
    expect(history.chatCount).toBe(0);
  });

  it('bounds the number of chats, evicting the least recently appended-to', () => {
    const history = new PendingHistory({ maxChats: 3 });
    history.append('a', entry(1));
    history.append('b', entry(2));
    history.append('c', entry(3));
    history.append('a', entry(4)); // touches a: b is now the oldest
    history.append('d', entry(5));
    expect(history.chatCount).toBe(3);
    expect(history.peek('b')).toEqual([]);
    expect(history.take('a').map((e) => e.messageId)).toEqual([1, 4]);
    expect(history.peek('c')).toHaveLength(1);
    expect(history.peek('d')).toHaveLength(1);
  });

  it('stays bounded under many chats', () => {
    const history = new PendingHistory();
    for (let i = 0; i < 5000; i += 1) history.append(`chat${i}`, entry(i));
    expect(history.chatCount).toBe(1000);
    expect(history.peek('chat3999')).toEqual([]);
    expect(history.peek('chat4000')).toHaveLength(1);
  });

  it('cuts very long bodies', () => {
    const history = new PendingHistory({ maxBodyChars: 10 });
    history.append('1', { sender: 'x', body: 'a'.repeat(100) });
    expect(history.take('1')[0]?.body).toBe(`${'a'.repeat(10)}…`);
  });

  it('rejects invalid limits with a clear error', () => {
    expect(() => new PendingHistory({ limit: -1 })).toThrow(/limit must be an integer ≥ 0/);
    expect(() => new PendingHistory({ limit: 1.5 })).toThrow(RangeError);
  });

  it('clear() empties one chat or all', () => {
    const history = new PendingHistory();
    history.append('1', entry(1));
    history.append('2', entry(2));
    history.clear('1');
    expect(history.chatCount).toBe(1);
    history.clear();
    expect(history.chatCount).toBe(0);
  });
});

describe('formatWithPendingHistory', () => {
  it('returns the current message alone when history is empty', () => {
    expect(formatWithPendingHistory([], '[iMessage Test Group id:99] +1555: @clawd hi')).toBe('[iMessage Test Group id:99] +1555: @clawd hi');
  });

  it('wraps history entries with the markers and row ids, then the current message', () => {
    const text = formatWithPendingHistory([entry(1), entry(2, { messageId: undefined })], 'CURRENT');
    expect(text).toBe([HISTORY_HEADER, '+15550001: msg 1 [id:1]', '+15550002: msg 2', '', CURRENT_MESSAGE_HEADER, 'CURRENT'].join('\n'));
    expect(HISTORY_HEADER).toBe('[Chat messages since your last reply - for context]');
    expect(CURRENT_MESSAGE_HEADER).toBe('[Current message - respond to this]');
  });

  it('uses the given envelope formatter for entries', () => {
    const text = formatWithPendingHistory([entry(7)], 'NOW', (e) => `[iMessage G id:42] ${e.sender}: ${e.body}`);
    expect(text.split('\n')[1]).toBe('[iMessage G id:42] +15550007: msg 7 [id:7]');
  });
});
