// The access decision table (spec imessage-channel.md §2.3) end to end through the simulator, for a
// representative subset (every row is unit-tested in main/imessage/access-policy.test.ts), plus
// mention gating and pending group history. One channel serves the whole file: each case applies
// its policy with applyConfig (a policy change keeps the imsg process) and uses its own senders.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessLogEntry } from '../../contract/gateway-api';
import { CURRENT_MESSAGE_HEADER, HISTORY_HEADER } from '../../main/agent/history-format';
import { NO_MENTION_PATTERNS_WARNING } from '../../main/imessage/mention';
import type { InjectOptions } from '../../sim/lib';
import { sleep, startHarness, type Harness } from './harness';

let h: Harness;
let pid: number | null;
beforeAll(async () => {
  h = await startHarness({ imessage: { dmPolicy: 'disabled', groupPolicy: 'disabled' } });
  await h.channel.start();
  pid = h.channel.health()[0]!.pid;
});
afterAll(async () => {
  // Every policy change below was applied without restarting imsg.
  expect(h.channel.health()[0]).toMatchObject({ state: 'listening', pid, restarts: 0 });
  await h.close();
});

let senderSeq = 0;
/** A fresh phone number per call, so cases never see each other's pairing or session state. */
const newSender = () => `+1555300${String(++senderSeq).padStart(4, '0')}`;

async function policy(imessage: Record<string, unknown>, extra?: Record<string, unknown>): Promise<void> {
  const result = await h.channel.applyConfig(h.makeConfig(imessage, extra));
  expect(result).toEqual({ restarted: [], added: [], removed: [] });
}

/** Injects one row and waits for its access-log entry (and its reply, when it is answered). */
async function deliver(inject: InjectOptions): Promise<{ entry: AccessLogEntry; replies: { chat_id: number; text: string }[]; chatId: number }> {
  const sentBefore = h.sent().length;
  const { rowid, chatId } = h.inject(inject);
  await h.waitFor(`access log entry for row ${rowid}`, () => h.channel.accessLog.tail(50).some((e) => e.messageId === rowid));
  const entry = h.channel.accessLog.tail(50).find((e) => e.messageId === rowid)!;
  if (entry.reason === 'replied') await h.waitFor('reply row', () => h.sent().length > sentBefore);
  else await sleep(100); // nothing may trickle out
  return { entry, replies: h.sent().slice(sentBefore), chatId };
}

// Chat ROWIDs grow from the largest one, so 1:1 chats created after a group get the ids right
// above it: groups are spaced far apart.
let groupSeq = 0;
const newGroup = (name = 'Crew') => ({ id: 100_000 + ++groupSeq * 1000, name });

describe('direct messages', () => {
  it('dmPolicy=allowlist: listed sender answered in their chat, others rejected silently', async () => {
    const listed = newSender();
    const stranger = newSender();
    await policy({ dmPolicy: 'allowlist', allowFrom: [listed] });
    const ok = await deliver({ from: listed, text: 'hi' });
    expect(ok.entry).toMatchObject({ decision: 'accepted', reason: 'replied', isGroup: false, sender: listed });
    expect(ok.replies).toEqual([expect.objectContaining({ chat_id: ok.chatId })]);
    const no = await deliver({ from: stranger, text: 'hi' });
    expect(no.entry).toMatchObject({ decision: 'rejected', reason: 'dmPolicy=allowlist', sender: stranger });
    expect(no.replies).toEqual([]);
  });

  it('allowFrom entries are normalized: "+1 (555) …" and chat_id:<n> match', async () => {
    const sender = '+15553009001';
    await policy({ dmPolicy: 'allowlist', allowFrom: ['+1 (555) 300-9001'] });
    expect((await deliver({ from: sender, text: 'formatted number' })).entry.reason).toBe('replied');
    const other = newSender();
    const first = h.inject({ from: other, text: 'learn my chat id' });
    await h.waitFor('rejection', () => h.channel.accessLog.tail(5).some((e) => e.messageId === first.rowid));
    await policy({ dmPolicy: 'allowlist', allowFrom: [`chat_id:${first.chatId}`] });
    expect((await deliver({ from: other, text: 'by chat id' })).entry.reason).toBe('replied');
  });

  it('dmPolicy=open (allowFrom "*"): anyone is answered', async () => {
    await policy({ dmPolicy: 'open', allowFrom: ['*'] });
    const result = await deliver({ from: newSender(), text: 'hello' });
    expect(result.entry).toMatchObject({ decision: 'accepted', reason: 'replied' });
    expect(result.replies).toHaveLength(1);
  });

  it('dmPolicy=disabled: nobody, not even a listed sender', async () => {
    const listed = newSender();
    await policy({ dmPolicy: 'disabled', allowFrom: [listed] });
    const result = await deliver({ from: listed, text: 'hello?' });
    expect(result.entry).toMatchObject({ decision: 'rejected', reason: 'dmPolicy=disabled' });
    expect(result.replies).toEqual([]);
  });

  it('dmPolicy=pairing: an unknown sender gets the pairing reply, never the agent', async () => {
    await policy({ dmPolicy: 'pairing' });
    const requestsBefore = h.model.requests.length;
    const result = await deliver({ from: newSender(), text: 'let me in' });
    expect(result.entry).toMatchObject({ decision: 'pairing', reason: 'pairing requested' });
    await h.waitFor('pairing reply', () => h.sent().length > 0 && h.sent().at(-1)!.text.startsWith('Clawdbot: access not configured.'));
    expect(h.model.requests.length).toBe(requestsBefore);
  });
});

describe('groups', () => {
  it('groupPolicy=allowlist with groupAllowFrom: listed member answered in the group chat, others rejected', async () => {
    const member = newSender();
    const other = newSender();
    const group = newGroup();
    await policy({ dmPolicy: 'disabled', groupPolicy: 'allowlist', groupAllowFrom: [member], groups: { '*': { requireMention: false } } });
    const ok = await deliver({ from: member, text: 'question for the bot', group });
    expect(ok.entry).toMatchObject({ decision: 'accepted', reason: 'replied', isGroup: true, chatId: group.id, chatName: 'Crew' });
    expect(ok.replies).toEqual([expect.objectContaining({ chat_id: group.id })]);
    expect(ok.replies[0]).not.toHaveProperty('to'); // a group reply, not a DM to the member
    expect(ok.replies[0]!.text).toContain(`[iMessage Crew id:${group.id} `);
    expect(ok.replies[0]!.text).toContain(`${member}: question for the bot`);
    const no = await deliver({ from: other, text: 'me too', group });
    expect(no.entry).toMatchObject({ decision: 'rejected', reason: 'not in groupAllowFrom', isGroup: true });
  });

  it('groupAllowFrom unset falls back to allowFrom; empty both → no group sender passes', async () => {
    const dmListed = newSender();
    const group = newGroup();
    await policy({ dmPolicy: 'allowlist', allowFrom: [dmListed], groupPolicy: 'allowlist', groups: { '*': { requireMention: false } } });
    expect((await deliver({ from: dmListed, text: 'fallback works', group })).entry.reason).toBe('replied');
    expect((await deliver({ from: newSender(), text: 'not me', group })).entry.reason).toBe('not in groupAllowFrom');
    await policy({ dmPolicy: 'disabled', groupPolicy: 'allowlist', groups: { '*': { requireMention: false } } });
    expect((await deliver({ from: dmListed, text: 'now nobody', group })).entry).toMatchObject({ decision: 'rejected', reason: 'groupPolicy=allowlist, no groupAllowFrom' });
  });

  it('groupPolicy=open: any member; groupPolicy=disabled: none', async () => {
    const group = newGroup();
    await policy({ groupPolicy: 'open', groups: { '*': { requireMention: false } } });
    expect((await deliver({ from: newSender(), text: 'open group', group })).entry).toMatchObject({ decision: 'accepted', reason: 'replied' });
    expect(h.channel.health()[0]!.warnings).toContain('groupPolicy="open" allows any member of any group to trigger the assistant. Set groupPolicy="allowlist" and groupAllowFrom to restrict senders.');
    await policy({ groupPolicy: 'disabled', groupAllowFrom: ['*'] });
    expect((await deliver({ from: newSender(), text: 'closed', group })).entry).toMatchObject({ decision: 'rejected', reason: 'groupPolicy=disabled' });
  });

  it('a groups map is also a chat allowlist; a per-group allowFrom replaces groupAllowFrom for that chat', async () => {
    const listedChat = newGroup('Listed');
    const otherChat = newGroup('Other');
    const alice = newSender();
    const bob = newSender();
    await policy({
      groupPolicy: 'open',
      groups: { [String(listedChat.id)]: { requireMention: false } },
    });
    expect((await deliver({ from: alice, text: 'in listed', group: listedChat })).entry.reason).toBe('replied');
    expect((await deliver({ from: alice, text: 'in other', group: otherChat })).entry).toMatchObject({ decision: 'rejected', reason: 'chat not in groups' });

    await policy({
      groupPolicy: 'allowlist',
      groupAllowFrom: [alice],
      groups: { [String(listedChat.id)]: { requireMention: false, allowFrom: [bob] } },
    });
    expect((await deliver({ from: bob, text: 'per-group list', group: listedChat })).entry).toMatchObject({ decision: 'accepted', reason: 'replied' });
    expect((await deliver({ from: alice, text: 'only groupAllowFrom', group: listedChat })).entry).toMatchObject({ decision: 'rejected', reason: 'not in group allowFrom' });
  });

  it('a chat listed in groups is treated as a group even when imsg says it is a 1:1 chat', async () => {
    const sender = newSender();
    const first = h.inject({ from: sender, text: 'which chat am I' });
    await h.waitFor('first', () => h.channel.accessLog.tail(5).some((e) => e.messageId === first.rowid));
    await policy({ dmPolicy: 'disabled', groupPolicy: 'open', groups: { [String(first.chatId)]: { requireMention: false } } });
    const result = await deliver({ from: sender, text: 'now a group' });
    expect(result.entry).toMatchObject({ isGroup: true, decision: 'accepted', reason: 'replied' });
  });
});

describe('mention gating and pending history', () => {
  it('with patterns: unmentioned messages are skipped and handed to the agent once, with the next mention', async () => {
    const group = newGroup('Family');
    const [a, b] = [newSender(), newSender()];
    await policy({ groupPolicy: 'open' }, { messages: { groupChat: { mentionPatterns: ['\\bclawd\\b'] } } });
    expect(h.channel.health()[0]!.warnings).not.toContain(NO_MENTION_PATTERNS_WARNING);
    const requestsBefore = h.model.requests.length;
    const first = await deliver({ from: a, text: 'pizza tonight?', group });
    const second = await deliver({ from: b, text: 'yes please', group });
    expect([first.entry, second.entry].map((e) => [e.decision, e.reason])).toEqual([
      ['skipped', 'no mention'],
      ['skipped', 'no mention'],
    ]);
    expect(h.model.requests.length).toBe(requestsBefore);

    const mentioned = await deliver({ from: a, text: 'Clawd, what do you think?', group });
    expect(mentioned.entry.reason).toBe('replied');
    const prompt = h.model.requests.at(-1)!.lastUserText;
    const lines = prompt.split('\n');
    expect(lines[0]).toBe(HISTORY_HEADER);
    expect(lines[1]).toMatch(new RegExp(`^\\[iMessage Family id:${group.id} .*\\] \\${a}: pizza tonight\\? \\[id:${first.entry.messageId}\\]$`));
    expect(lines[2]).toMatch(new RegExp(`\\${b}: yes please \\[id:${second.entry.messageId}\\]$`));
    expect(lines[3]).toBe('');
    expect(lines[4]).toBe(CURRENT_MESSAGE_HEADER);
    expect(lines[5]).toMatch(/Clawd, what do you think\?$/);

    // Delivered once: the next mention carries no history.
    await deliver({ from: b, text: 'clawd again', group });
    expect(h.model.requests.at(-1)!.lastUserText).not.toContain(HISTORY_HEADER);
    expect(h.model.requests.at(-1)!.lastUserText).not.toContain('pizza');
  });

  it("patterns derived from the agent's identity name; requireMention=false for a chat turns the gate off there", async () => {
    const gated = newGroup();
    const free = newGroup();
    await policy(
      { groupPolicy: 'open', groups: { '*': {}, [String(free.id)]: { requireMention: false } } },
      { agents: { defaults: { model: 'anthropic/claude-test' }, list: [{ id: 'main', identity: { name: 'Clawd Bot' } }] } },
    );
    expect((await deliver({ from: newSender(), text: 'random chatter', group: gated })).entry.reason).toBe('no mention');
    expect((await deliver({ from: newSender(), text: 'hey @clawd   bot', group: gated })).entry.reason).toBe('replied');
    expect((await deliver({ from: newSender(), text: 'random chatter', group: free })).entry.reason).toBe('replied');
  });

  it('without any pattern every group message passes, and health warns about it', async () => {
    await policy({ groupPolicy: 'open' });
    const result = await deliver({ from: newSender(), text: 'no name needed', group: newGroup() });
    expect(result.entry.reason).toBe('replied');
    expect(h.channel.health()[0]!.warnings).toContain(NO_MENTION_PATTERNS_WARNING);
  });
});
