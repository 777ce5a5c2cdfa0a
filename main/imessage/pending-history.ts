// Group messages the assistant did not answer (no mention) are kept per chat, in memory, and
// handed to the agent as context with the next message it does answer in that chat, once
// (spec §1 row 11). Memory is bounded three ways: `limit` entries per chat, `maxChats` chats
// (least recently written evicted first), and `maxBodyChars` per entry.

import type { PendingEntry } from '../agent/history-format';

export interface PendingHistoryOptions {
  /** Entries kept per chat (default 50; 0 disables the buffer). */
  limit?: number;
  /** Chats kept (default 1000); the least recently appended-to chat is dropped first. */
  maxChats?: number;
  /** Longer bodies are cut (default 2000 characters) so one chatty group cannot pin megabytes. */
  maxBodyChars?: number;
}

export const DEFAULT_HISTORY_LIMIT = 50;
export const DEFAULT_MAX_CHATS = 1000;
export const DEFAULT_MAX_BODY_CHARS = 2000;

export class PendingHistory {
  readonly limit: number;
  readonly maxChats: number;
  readonly maxBodyChars: number;
  // A Map iterates in insertion order; re-inserting on every append makes the first key the
  // least recently used chat.
  private readonly chats = new Map<string, PendingEntry[]>();

  constructor(options: PendingHistoryOptions = {}) {
    this.limit = nonNegativeInt(options.limit ?? DEFAULT_HISTORY_LIMIT, 'limit');
    this.maxChats = Math.max(1, nonNegativeInt(options.maxChats ?? DEFAULT_MAX_CHATS, 'maxChats'));
    this.maxBodyChars = Math.max(1, nonNegativeInt(options.maxBodyChars ?? DEFAULT_MAX_BODY_CHARS, 'maxBodyChars'));
  }

  get enabled(): boolean {
    return this.limit > 0;
  }

  /** Number of chats with pending entries. */
  get chatCount(): number {
    return this.chats.size;
  }

  append(chatKey: string, entry: PendingEntry): void {
    if (!this.enabled) return;
    const body = entry.body.length > this.maxBodyChars ? `${entry.body.slice(0, this.maxBodyChars)}…` : entry.body;
    const entries = this.chats.get(chatKey) ?? [];
    this.chats.delete(chatKey);
    entries.push({ ...entry, body });
    if (entries.length > this.limit) entries.splice(0, entries.length - this.limit);
    this.chats.set(chatKey, entries);
    while (this.chats.size > this.maxChats) {
      const oldest = this.chats.keys().next().value as string;
      this.chats.delete(oldest);
    }
  }

  /** The chat's pending entries, oldest first, without removing them. */
  peek(chatKey: string): readonly PendingEntry[] {
    return this.chats.get(chatKey) ?? [];
  }

  /** Removes and returns the chat's pending entries: each entry is delivered at most once. */
  take(chatKey: string): PendingEntry[] {
    const entries = this.chats.get(chatKey);
    if (!entries) return [];
    this.chats.delete(chatKey);
    return entries;
  }

  clear(chatKey?: string): void {
    if (chatKey === undefined) this.chats.clear();
    else this.chats.delete(chatKey);
  }
}

function nonNegativeInt(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`PendingHistory: ${name} must be an integer ≥ 0 (got ${value})`);
  return value;
}
