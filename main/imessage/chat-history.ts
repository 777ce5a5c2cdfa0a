// Every "what is already in the chat?" read of the channel, in one place (imsg's `chats.list` and
// `messages.history`, spec imsg-protocol.md §2.1–2.2):
//
//   - newestRowid(): the newest row in chat.db, read once per account for the first resume point
//     (supervisor.ts).
//   - findOutgoingRow(): one of our own rows in a chat, dated at or after a given time, that passes
//     a test. Used by the sender (sender.ts) to tell whether a reply interrupted by a crash is in
//     the chat, and whether the chunk in flight when imsg died went out.
//
// findOutgoingRow() is exact whatever the backlog: it reads every row of the chat from `since` on,
// page by page, instead of a fixed number of recent rows (with more than that many messages in the
// chat since the reply, a fixed window misses the reply and the message is answered twice).
// imsg has no "since rowid" for history, but it has `start` (inclusive) and `end` (exclusive)
// times and answers newest first, so the pages walk backwards in time:
//
//   page 1: [since, now)            newest `limit` rows
//   page 2: [since, oldest + 1 ms)  the next older rows (the oldest millisecond of the previous
//                                    page is read again, so rows sharing it are not skipped; rows
//                                    already seen are recognised by their rowid)
//   …until a page has fewer rows than asked for: everything since `since` has been seen.
//
// A page that brings nothing new (more rows in one millisecond than the limit) doubles the limit.
// imsg before 0.4.1 applied `limit` before the time filters, so `end` cannot page there; on those
// versions the limit is doubled instead (the newest `limit` rows, then twice as many, …), which is
// also exact, only with larger answers.
import type { ImsgMessage } from '../../contract/imsg';
import type { ImsgRpc } from './types';

/** How many chats, and messages per chat, newestRowid() looks at. */
const NEWEST_CHATS = 3;
const NEWEST_MESSAGES_PER_CHAT = 5;

/** Rows asked for per `messages.history` page. */
export const HISTORY_PAGE_SIZE = 100;

/**
 * The newest row in chat.db. imsg has no "max rowid" call; the newest messages of the most recently
 * active chats are the newest rows (a few of each, since history is ordered by date and rowids by
 * arrival). Tapback rows are not listed, but watch does not emit them either. Throws when imsg
 * cannot tell.
 */
export async function newestRowid(rpc: ImsgRpc): Promise<number> {
  const { chats } = await rpc.call('chats.list', { limit: NEWEST_CHATS });
  let newest = 0;
  for (const chat of chats) {
    const { messages } = await rpc.call('messages.history', { chat_id: chat.id, limit: NEWEST_MESSAGES_PER_CHAT });
    for (const message of messages) if (message.id > newest) newest = message.id;
  }
  return newest;
}

export interface OutgoingRowQuery {
  chatId: number;
  /** Unix ms: only rows dated at or after this are read (none: the whole chat). */
  since?: number;
  /** The test our row must pass (it is already known to be from us). */
  matches(row: ImsgMessage): boolean;
}

export interface HistoryOptions {
  /** imsg ≥ 0.4.1 applies `limit` after `start`/`end` (the default); false pages by growing the limit. */
  filtersBeforeLimit?: boolean;
  pageSize?: number;
}

/** Our own row (`is_from_me`) in the chat, dated at or after `since`, passing `matches`; undefined if there is none. */
export async function findOutgoingRow(rpc: ImsgRpc, query: OutgoingRowQuery, options: HistoryOptions = {}): Promise<ImsgMessage | undefined> {
  const pageByTime = options.filtersBeforeLimit ?? true;
  const start = query.since !== undefined && Number.isFinite(query.since) ? new Date(query.since).toISOString() : undefined;
  const seen = new Set<number>();
  let limit = options.pageSize ?? HISTORY_PAGE_SIZE;
  let end: string | undefined;
  for (;;) {
    const page = await rpc.call('messages.history', { chat_id: query.chatId, limit, ...(start ? { start } : {}), ...(end ? { end } : {}) });
    let fresh = 0;
    for (const row of page.messages) {
      if (seen.has(row.id)) continue;
      seen.add(row.id);
      fresh += 1;
      if (row.is_from_me && query.matches(row)) return row;
    }
    // Fewer rows than asked for: nothing older is left in the range.
    if (page.messages.length + page.skipped < limit) return undefined;
    const oldest = Date.parse(page.messages.at(-1)?.created_at ?? '');
    if (pageByTime && fresh > 0 && Number.isFinite(oldest)) end = new Date(oldest + 1).toISOString();
    else limit *= 2;
  }
}

/** Whether this imsg version applies `limit` after the `start`/`end` filters (0.4.1 and later; unknown: assume current). */
export function historyFiltersBeforeLimit(imsgVersion: string | null | undefined): boolean {
  const match = /^(\d+)\.(\d+)\.(\d+)/.exec(imsgVersion ?? '');
  if (!match) return true;
  const [major, minor, patch] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return major > 0 || minor > 4 || (minor === 4 && patch >= 1);
}
