// How the agent sees group messages it did not answer (no mention): as context lines before the
// message it answers. The channel keeps those messages (imessage/pending-history.ts); the wording
// the model reads is the agent's, so it lives here.

export interface PendingEntry {
  /** Normalized sender handle. */
  sender: string;
  body: string;
  /** ISO time (or epoch ms) of the original message. */
  timestamp?: string | number;
  /** imsg row id; shown to the agent as ` [id:<rowid>]`. */
  messageId?: number | string;
}

export const HISTORY_HEADER = '[Chat messages since your last reply - for context]';
export const CURRENT_MESSAGE_HEADER = '[Current message - respond to this]';

/** The line for one pending entry when no envelope formatter is given: `<sender>: <body>`. */
export function formatPendingEntryPlain(entry: PendingEntry): string {
  return `${entry.sender}: ${entry.body}`;
}

/**
 * The agent's input for a message that follows skipped ones:
 *
 *   [Chat messages since your last reply - for context]
 *   <entry envelope> [id:<rowid>]
 *   …
 *   (blank line)
 *   [Current message - respond to this]
 *   <current envelope>
 *
 * With no pending entries it is just the current envelope. `formatEntry` renders an entry the
 * way the current message was rendered (the inbound envelope), so both look alike to the agent.
 */
export function formatWithPendingHistory(
  entries: readonly PendingEntry[],
  currentEnvelope: string,
  formatEntry: (entry: PendingEntry) => string = formatPendingEntryPlain,
): string {
  if (entries.length === 0) return currentEnvelope;
  const lines = entries.map((entry) => (entry.messageId != null && entry.messageId !== '' ? `${formatEntry(entry)} [id:${entry.messageId}]` : formatEntry(entry)));
  return [HISTORY_HEADER, ...lines, '', CURRENT_MESSAGE_HEADER, currentEnvelope].join('\n');
}
