import { describe, expect, it } from 'vitest';
import type { PairingRequest } from '../../contract/gateway-api';
import {
  APPROVED_NOTICE,
  cliInvocationFromEnv,
  formatApproveCommand,
  formatApproved,
  formatDenied,
  formatNotifyFailed,
  formatPairingList,
  formatPairingListJson,
  formatPairingReply,
  formatRevoked,
  formatTooManyArguments,
  formatUnknownCode,
  formatUnsupportedChannel,
  formatUsage,
  pairingReplyTarget,
} from './messages';

const request = (id: string, code: string, createdAt: string, meta?: Record<string, string>): PairingRequest => ({
  id,
  code,
  createdAt,
  lastSeenAt: createdAt,
  expiresAt: new Date(Date.parse(createdAt) + 3_600_000).toISOString(),
  ...(meta ? { meta } : {}),
});

describe('formatPairingReply', () => {
  it('formats the reply with the sender id, the code and the approve command', () => {
    expect(formatPairingReply({ senderId: '+15550001111', code: 'PAIRCODE' })).toBe(
      [
        'Clawdbot: access not configured.',
        '',
        'Your iMessage sender id: +15550001111',
        '',
        'Pairing code: PAIRCODE',
        '',
        'Ask the bot owner to approve with:',
        'clawdbot pairing approve imessage PAIRCODE',
      ].join('\n'),
    );
  });

  it('inserts --profile for a non-default profile and follows the CLI name', () => {
    const text = formatPairingReply({ senderId: 'a@b.c', code: 'ABCD2345', profile: 'isolated' });
    expect(text).toContain('Your iMessage sender id: a@b.c');
    expect(text).toContain('Pairing code: ABCD2345');
    expect(text).toContain('clawdbot --profile isolated pairing approve imessage ABCD2345');
    expect(formatApproveCommand('X', { profile: 'default' })).toBe('clawdbot pairing approve imessage X');
    expect(formatApproveCommand('X', { cliName: 'cb' })).toBe('cb pairing approve imessage X');
  });

  it('reads CLI name and profile from the environment', () => {
    expect(cliInvocationFromEnv({ CLAWDBOT_CLI_NAME: 'mybot', CLAWDBOT_PROFILE: 'work' })).toEqual({ cliName: 'mybot', profile: 'work' });
    expect(cliInvocationFromEnv({})).toEqual({ cliName: undefined, profile: undefined });
  });
});

describe('pairingReplyTarget', () => {
  it('goes to the chat when its id is known, else to the raw handle', () => {
    expect(pairingReplyTarget({ chatId: 7, sender: '+15550001111' })).toBe('chat_id:7');
    expect(pairingReplyTarget({ chatId: 0, sender: '+15550001111' })).toBe('chat_id:0');
    expect(pairingReplyTarget({ chatId: null, sender: 'Me@Example.com' })).toBe('Me@Example.com');
  });
});

describe('CLI texts', () => {
  it('list: empty', () => {
    expect(formatPairingList([])).toBe('No pending imessage pairing requests.');
  });

  it('list: heading, a table sorted by request time (sender, code, account, age, time left), how to approve', () => {
    const now = Date.parse('2026-01-28T10:07:30.000Z');
    const text = formatPairingList(
      [
        request('b@example.com', 'BBBB2345', '2026-01-28T10:05:00.000Z'),
        { ...request('+15550001111', 'ABCD2345', '2026-01-28T10:00:00.000Z', { sender: '+15550001111', accountId: 'main', chatId: '7' }), accountId: 'main', chatId: 7 },
      ],
      { now },
    );
    expect(text.split('\n')).toEqual([
      'Pairing requests (2)',
      'Sender        | Code     | Account | Requested | Expires in',
      '--------------+----------+---------+-----------+-----------',
      '+15550001111  | ABCD2345 | main    | 7m ago    | 52m',
      'b@example.com | BBBB2345 | -       | 2m ago    | 57m',
      'Approve with: clawdbot pairing approve imessage <CODE>',
    ]);
  });

  it('list: escapes what a sender put in their handle, and says when every slot is taken', () => {
    const now = Date.parse('2026-01-28T10:10:00.000Z');
    const requests = [
      request('+1555\u001b[2J\u202e1', 'ABCD2345', '2026-01-28T10:00:00.000Z'),
      request('x'.repeat(200), 'BBBB2345', '2026-01-28T10:01:00.000Z'),
      request('c@example.com', 'CCCC2345', '2026-01-28T10:02:00.000Z'),
    ];
    const text = formatPairingList(requests, { now, maxPending: 3 });
    expect(text).not.toMatch(/[\u001b\u202e]/);
    expect(text).toContain('+1555\\x1b[2J\\u202e1');
    expect(text).toContain(`${'x'.repeat(63)}…`);
    expect(text.split('\n').at(-1)).toBe(
      'All 3 pairing slots are taken: new senders get no code until a request is approved, denied or expires (the first frees up in 50m). To clear them all: clawdbot pairing deny imessage --all',
    );
    expect(formatPairingList(requests.slice(0, 2), { now, maxPending: 3 })).not.toContain('slots');
  });

  it('list --json', () => {
    const requests = [request('+15550001111', 'ABCD2345', '2026-01-28T10:00:00.000Z')];
    expect(JSON.parse(formatPairingListJson(requests))).toEqual({ channel: 'imessage', requests });
  });

  it('approve, deny, revoke, errors', () => {
    expect(formatApproved({ id: '+15550001111' })).toBe('Approved imessage sender +15550001111.');
    expect(formatUnknownCode('NOPE')).toBe('No pending pairing request found for code: NOPE');
    expect(formatDenied({ id: '+15550001111', code: 'ABCD2345' })).toMatch(/^Denied imessage sender \+15550001111 \(code ABCD2345\)\./);
    expect(formatRevoked('+15550001111', true)).toMatch(/^Revoked imessage sender \+15550001111\./);
    expect(formatRevoked('+15550001111', false)).toMatch(/not in the approved senders/);
    expect(formatNotifyFailed(new Error('imsg rpc timeout (send)'))).toBe('Failed to notify requester: imsg rpc timeout (send)');
    expect(formatUnsupportedChannel('telegram')).toBe('Channel telegram does not support pairing');
    expect(APPROVED_NOTICE).toBe('✅ Clawdbot access approved. Send a message to start chatting.');
  });

  it('usage texts', () => {
    expect(formatUsage('approve')).toBe(
      'Usage: clawdbot pairing approve <channel> <code> (or: clawdbot pairing approve --channel <channel> <code>)',
    );
    expect(formatTooManyArguments('approve')).toBe(
      'Too many arguments. Use: clawdbot pairing approve <channel> <code> (or: clawdbot pairing approve --channel <channel> <code>)',
    );
    expect(formatUsage('revoke', { profile: 'p' })).toBe(
      'Usage: clawdbot --profile p pairing revoke <channel> <sender> (or: clawdbot --profile p pairing revoke --channel <channel> <sender>)',
    );
    expect(formatUsage('list')).toBe('Usage: clawdbot pairing list <channel> (or: clawdbot pairing list --channel <channel>)');
  });
});
