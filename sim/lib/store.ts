// Read side of the simulator: what imsg does with chat.db (spec §3, §5). Opens the file read-only,
// probes optional columns once, and turns rows into the exact JSON imsg emits. Chat metadata and
// participant lists are cached for the life of the process, as in the real binary (spec §7.6).
import { statSync } from 'node:fs';
import { appleMsToIso, appleMsToUnixMs, unixMsToAppleNs } from './apple-time';
import type { AttachmentPayload, MessagePayload, ReactionPayload, RpcChatPayload } from './payloads';
import { aggregateReactions, describeTapback, isTapbackType, normalizeAssociatedGuid, type TapbackRow } from './reactions';
import { expandTilde } from './settings';
import { openReadOnly, type Database, type Statement } from './sqlite';
import { decodeAttributedBody } from './typedstream';
import type { VersionProfile } from './version';

/** One `message` row joined with its chat and sender handle, as the queries below select it. */
export interface MessageRow {
  rowid: number;
  chat_id: number;
  guid: string | null;
  handle_sender: string | null;
  text: string | null;
  date_ms: number | null;
  is_from_me: number;
  associated_message_guid: string | null;
  associated_message_type: number | null;
  attributedBody: Buffer | null;
  thread_originator_guid: string | null;
  destination_caller_id: string | null;
  balloon_bundle_id: string | null;
}

export interface ChatInfo {
  id: number;
  identifier: string;
  guid: string;
  /** IFNULL(display_name, chat_identifier). */
  name: string;
  service: string;
  displayName: string | null;
  accountId: string | null;
  accountLogin: string | null;
  lastAddressedHandle: string | null;
}

export interface HistoryQuery {
  chatId: number;
  limit: number | null;
  participants?: string[];
  /** Unix ms, inclusive. */
  startMs?: number;
  /** Unix ms, exclusive. */
  endMs?: number;
  attachments: boolean;
  reactions: boolean;
}

export interface PollQuery {
  cursor: number;
  chatId?: number;
  includeReactions: boolean;
  limit: number;
}

export interface BuildOptions {
  attachments: boolean;
  reactions: boolean;
}

/** Sender rule: handle.id, else destination_caller_id, else "". */
function senderOf(handle: string | null, destinationCallerId: string | null): string {
  if (handle) return handle;
  if (destinationCallerId) return destinationCallerId;
  return '';
}

export class MessageStore {
  private readonly statements = new Map<string, Statement>();
  private readonly chatCache = new Map<number, ChatInfo>();
  private readonly participantCache = new Map<number, string[]>();
  private readonly messageColumns: Set<string>;
  private readonly attachmentColumns: Set<string>;
  private readonly chatColumns: Set<string>;
  private readonly joinHasMessageDate: boolean;
  /** guid + associated_message_guid + associated_message_type all exist (tapback/reply support). */
  private readonly hasReactionColumns: boolean;
  private readonly messageSelect: string;

  private constructor(
    private readonly db: Database,
    private readonly profile: VersionProfile,
    /** Home directory `~` in attachment filenames expands against. */
    private readonly home: string,
  ) {
    this.messageColumns = this.columnsOf('message');
    this.attachmentColumns = this.columnsOf('attachment');
    this.chatColumns = this.columnsOf('chat');
    this.joinHasMessageDate = this.columnsOf('chat_message_join').has('message_date');
    this.hasReactionColumns = ['guid', 'associated_message_guid', 'associated_message_type'].every((c) => this.messageColumns.has(c));
    const opt = (column: string) => (this.messageColumns.has(column) ? `m.${column} AS ${column}` : `NULL AS ${column}`);
    this.messageSelect = [
      'm.ROWID AS rowid', 'h.id AS handle_sender', 'm.text AS text', 'm.date / 1000000 AS date_ms', 'm.is_from_me AS is_from_me',
      opt('guid'), opt('associated_message_guid'), opt('associated_message_type'), opt('attributedBody'),
      opt('thread_originator_guid'), opt('destination_caller_id'), opt('balloon_bundle_id'),
    ].join(', ');
  }

  /** Opens chat.db read-only (throws the SQLite error when that fails: missing file, no permission). */
  static open(path: string, profile: VersionProfile, home: string): MessageStore {
    return new MessageStore(openReadOnly(path), profile, home);
  }

  close(): void {
    this.db.close();
  }

  private columnsOf(table: string): Set<string> {
    const rows = this.db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>;
    return new Set(rows.map((r) => r.name));
  }

  private statement(key: string, sql: () => string): Statement {
    let stmt = this.statements.get(key);
    if (!stmt) {
      stmt = this.db.prepare(sql());
      this.statements.set(key, stmt);
    }
    return stmt;
  }

  private get notTapback(): string {
    return this.hasReactionColumns
      ? '(m.associated_message_type IS NULL OR m.associated_message_type < 2000 OR m.associated_message_type > 3006)'
      : '1';
  }

  // ---- chats -------------------------------------------------------------------------------

  chatInfo(chatId: number): ChatInfo | null {
    const cached = this.chatCache.get(chatId);
    if (cached) return cached;
    const opt = (column: string) => (this.chatColumns.has(column) ? column : `NULL AS ${column}`);
    const row = this.statement('chatInfo', () =>
      `SELECT ROWID AS id, chat_identifier, guid, display_name, service_name, ${opt('account_id')}, ${opt('account_login')}, ${opt('last_addressed_handle')} FROM chat WHERE ROWID = ?`,
    ).get(chatId) as ChatRow | undefined;
    if (!row) return null;
    const info = chatInfoFromRow(row);
    this.chatCache.set(chatId, info);
    return info;
  }

  /** handle.id of the chat's members, deduplicated, sorted; cached even when empty (as imsg does). */
  participants(chatId: number): string[] {
    const cached = this.participantCache.get(chatId);
    if (cached) return cached;
    const rows = this.statement('participants', () =>
      'SELECT h.id AS id FROM chat_handle_join chj JOIN handle h ON h.ROWID = chj.handle_id WHERE chj.chat_id = ?',
    ).all(chatId) as Array<{ id: string | null }>;
    const list = [...new Set(rows.map((r) => r.id ?? '').filter((id) => id !== ''))].sort();
    this.participantCache.set(chatId, list);
    return list;
  }

  isGroup(identifier: string, guid: string): boolean {
    if (this.profile.isGroupBug) {
      // ≤0.4.x looked at chat_identifier only (guid when the identifier was empty), for ";+;" or ";-;".
      const probe = identifier !== '' ? identifier : guid;
      return probe.includes(';+;') || probe.includes(';-;');
    }
    return guid.includes(';+;') || identifier.includes(';+;');
  }

  /** Chats with at least one message, most recent activity first. `limit` null = all. */
  listChats(limit: number | null): Array<{ chat: ChatInfo; lastMessageAt: string }> {
    const opt = (column: string) => (this.chatColumns.has(column) ? `c.${column} AS ${column}` : `NULL AS ${column}`);
    const lastExpr = this.joinHasMessageDate ? 'MAX(cmj.message_date)' : 'MAX(m.date)';
    const join = this.joinHasMessageDate ? '' : 'JOIN message m ON m.ROWID = cmj.message_id';
    const rows = this.statement(`listChats:${limit === null}`, () =>
      `SELECT c.ROWID AS id, c.chat_identifier AS chat_identifier, c.guid AS guid, c.display_name AS display_name,
              c.service_name AS service_name, ${opt('account_id')}, ${opt('account_login')}, ${opt('last_addressed_handle')},
              ${lastExpr} / 1000000 AS last_ms
       FROM chat c JOIN chat_message_join cmj ON cmj.chat_id = c.ROWID ${join}
       GROUP BY c.ROWID ORDER BY ${lastExpr} DESC, c.ROWID DESC ${limit === null ? '' : 'LIMIT ?'}`,
    ).all(...(limit === null ? [] : [limit])) as Array<ChatRow & { last_ms: number | null }>;
    return rows.map((row) => ({ chat: chatInfoFromRow(row), lastMessageAt: appleMsToIso(row.last_ms) }));
  }

  rpcChat(chat: ChatInfo, lastMessageAt: string): RpcChatPayload {
    return {
      id: chat.id, identifier: chat.identifier, guid: chat.guid, name: chat.name, service: chat.service,
      last_message_at: lastMessageAt, participants: this.participants(chat.id), is_group: this.isGroup(chat.identifier, chat.guid),
    };
  }

  /** First chat whose guid or chat_identifier equals one of `candidates`, tried in order. */
  findChat(candidates: string[]): ChatInfo | null {
    const stmt = this.statement('findChat', () =>
      'SELECT ROWID AS id FROM chat WHERE guid = :c OR chat_identifier = :c ORDER BY (guid = :c) DESC, ROWID ASC LIMIT 1');
    for (const candidate of candidates) {
      const row = stmt.get({ c: candidate }) as { id: number } | undefined;
      if (row) return this.chatInfo(row.id);
    }
    return null;
  }

  // ---- messages ----------------------------------------------------------------------------

  maxRowid(): number {
    const row = this.statement('maxRowid', () => 'SELECT IFNULL(MAX(ROWID), 0) AS max FROM message').get() as { max: number };
    return row.max;
  }

  /** messages.history: newest first, tapbacks hidden, filters then limit (≥0.4.1) or limit then filters. */
  history(query: HistoryQuery): MessagePayload[] {
    const filtersFirst = this.profile.historyFiltersBeforeLimit;
    const clauses = ['cmj.chat_id = ?', this.notTapback];
    const args: unknown[] = [query.chatId];
    if (filtersFirst && query.startMs !== undefined) { clauses.push('m.date >= ?'); args.push(unixMsToAppleNs(query.startMs)); }
    if (filtersFirst && query.endMs !== undefined) { clauses.push('m.date < ?'); args.push(unixMsToAppleNs(query.endMs)); }
    const sqlLimit = !filtersFirst && query.limit !== null;
    if (sqlLimit) args.push(query.limit);
    const sql = `SELECT ${this.messageSelect}, cmj.chat_id AS chat_id
      FROM message m JOIN chat_message_join cmj ON m.ROWID = cmj.message_id LEFT JOIN handle h ON m.handle_id = h.ROWID
      WHERE ${clauses.join(' AND ')} ORDER BY m.date DESC, m.ROWID DESC ${sqlLimit ? 'LIMIT ?' : ''}`;
    const wanted = query.participants?.map((p) => p.toLowerCase());
    const out: MessagePayload[] = [];
    for (const row of this.statement(`history:${clauses.length}:${sqlLimit}`, () => sql).iterate(...args) as Iterable<MessageRow>) {
      if (filtersFirst && query.limit !== null && out.length >= query.limit) break;
      if (wanted && wanted.length > 0 && !wanted.includes(senderOf(row.handle_sender, row.destination_caller_id).toLowerCase())) continue;
      if (!filtersFirst) {
        const unixMs = appleMsToUnixMs(row.date_ms);
        if (query.startMs !== undefined && unixMs < query.startMs) continue;
        if (query.endMs !== undefined && unixMs >= query.endMs) continue;
      }
      out.push(this.buildMessage(row, { attachments: query.attachments, reactions: query.reactions }));
    }
    return out;
  }

  /** One watch batch: rows after `cursor`, ascending ROWID, left-joined to their chats (0 = unjoined). */
  poll(query: PollQuery): MessageRow[] {
    const clauses = ['m.ROWID > ?'];
    const args: unknown[] = [query.cursor];
    if (query.chatId !== undefined) { clauses.push('cmj.chat_id = ?'); args.push(query.chatId); }
    if (!query.includeReactions) clauses.push(this.notTapback);
    args.push(query.limit);
    return this.statement(`poll:${query.chatId !== undefined}:${query.includeReactions}`, () =>
      `SELECT ${this.messageSelect}, IFNULL(cmj.chat_id, 0) AS chat_id
       FROM message m LEFT JOIN chat_message_join cmj ON m.ROWID = cmj.message_id LEFT JOIN handle h ON m.handle_id = h.ROWID
       WHERE ${clauses.join(' AND ')} ORDER BY m.ROWID ASC LIMIT ?`,
    ).all(...args) as MessageRow[];
  }

  textOf(row: Pick<MessageRow, 'text' | 'attributedBody'>): string {
    if (row.text) return row.text;
    if (row.attributedBody) return decodeAttributedBody(row.attributedBody, this.profile.typedStream);
    return '';
  }

  senderOf(row: Pick<MessageRow, 'handle_sender' | 'destination_caller_id'>): string {
    return senderOf(row.handle_sender, row.destination_caller_id);
  }

  createdAtMs(row: Pick<MessageRow, 'date_ms'>): number {
    return appleMsToUnixMs(row.date_ms);
  }

  /** Turns a row into the Message JSON of spec §3.2, gated by the version profile. */
  buildMessage(row: MessageRow, options: BuildOptions): MessagePayload {
    const chat = row.chat_id ? this.chatInfo(row.chat_id) : null;
    const isTapback = this.hasReactionColumns && isTapbackType(row.associated_message_type);
    const guid = row.guid ?? '';
    const text = this.textOf(row);
    const associated = row.associated_message_guid ? normalizeAssociatedGuid(row.associated_message_guid) : '';
    const replyToGuid = !isTapback && associated !== '' ? associated : undefined;
    const events = this.profile.threadAndReactionEvents;
    const tapback = events && isTapback && row.associated_message_type !== null ? describeTapback(row.associated_message_type, text) : null;
    const parent = this.profile.replyContext && !isTapback ? this.parentOf(row.thread_originator_guid, replyToGuid) : null;
    // Key order follows the real output (clients must not rely on it, but diffs read better).
    return {
      id: row.rowid,
      chat_id: row.chat_id,
      guid,
      sender: this.senderOf(row),
      is_from_me: row.is_from_me !== 0,
      text,
      created_at: appleMsToIso(row.date_ms),
      attachments: options.attachments ? this.attachments(row.rowid) : [],
      reactions: options.reactions && guid !== '' && this.hasReactionColumns && !isTapback ? this.reactions(guid) : [],
      ...(replyToGuid !== undefined && { reply_to_guid: replyToGuid }),
      ...(events && !isTapback && row.thread_originator_guid && { thread_originator_guid: row.thread_originator_guid }),
      ...(parent && { reply_to_text: parent.text, reply_to_sender: parent.sender }),
      ...(events && row.destination_caller_id && { destination_caller_id: row.destination_caller_id }),
      ...(tapback && {
        is_reaction: true,
        ...(tapback.kind !== null && { reaction_type: tapback.kind }),
        ...(tapback.emoji !== null && { reaction_emoji: tapback.emoji }),
        is_reaction_add: tapback.add,
        ...(associated !== '' && { reacted_to_guid: associated }),
      }),
      chat_identifier: chat?.identifier ?? '',
      chat_guid: chat?.guid ?? '',
      chat_name: chat?.name ?? '',
      participants: chat ? this.participants(chat.id) : [],
      is_group: chat ? this.isGroup(chat.identifier, chat.guid) : false,
    };
  }

  attachments(messageRowid: number): AttachmentPayload[] {
    const opt = (column: string, fallback: string) => (this.attachmentColumns.has(column) ? `a.${column}` : fallback);
    const rows = this.statement('attachments', () =>
      `SELECT ${opt('filename', 'NULL')} AS filename, ${opt('transfer_name', 'NULL')} AS transfer_name, ${opt('uti', 'NULL')} AS uti,
              ${opt('mime_type', 'NULL')} AS mime_type, ${opt('total_bytes', '0')} AS total_bytes, ${opt('is_sticker', '0')} AS is_sticker
       FROM message_attachment_join maj JOIN attachment a ON a.ROWID = maj.attachment_id
       WHERE maj.message_id = ? ORDER BY maj.rowid`,
    ).all(messageRowid) as Array<{ filename: string | null; transfer_name: string | null; uti: string | null; mime_type: string | null; total_bytes: number | null; is_sticker: number | null }>;
    return rows.map((row) => {
      const filename = row.filename ?? '';
      const originalPath = filename === '' ? '' : expandTilde(filename, this.home);
      return {
        filename,
        transfer_name: row.transfer_name ?? '',
        uti: row.uti ?? '',
        mime_type: row.mime_type ?? '',
        total_bytes: row.total_bytes ?? 0,
        is_sticker: (row.is_sticker ?? 0) !== 0,
        original_path: originalPath,
        missing: originalPath === '' || statSync(originalPath, { throwIfNoEntry: false })?.isFile() !== true,
      };
    });
  }

  /** Current aggregated tapbacks on the message with this guid. */
  reactions(targetGuid: string): ReactionPayload[] {
    const suffix = `/${targetGuid}`;
    const rows = this.statement('reactions', () =>
      `SELECT m.ROWID AS rowid, m.associated_message_type AS type, m.text AS text, ${this.messageColumns.has('attributedBody') ? 'm.attributedBody' : 'NULL'} AS attributedBody,
              h.id AS sender, m.is_from_me AS is_from_me, m.date / 1000000 AS date_ms
       FROM message m LEFT JOIN handle h ON m.handle_id = h.ROWID
       WHERE m.associated_message_type BETWEEN 2000 AND 3006
         AND (m.associated_message_guid = :guid OR substr(m.associated_message_guid, -length(:suffix)) = :suffix)
       ORDER BY m.date ASC, m.ROWID ASC`,
    ).all({ guid: targetGuid, suffix }) as Array<{ rowid: number; type: number; text: string | null; attributedBody: Buffer | null; sender: string | null; is_from_me: number; date_ms: number | null }>;
    const tapbacks: TapbackRow[] = rows.map((row) => ({
      rowid: row.rowid, type: row.type, text: this.textOf(row), sender: row.sender ?? '',
      isFromMe: row.is_from_me !== 0, createdAt: appleMsToIso(row.date_ms),
    }));
    return aggregateReactions(tapbacks);
  }

  /** The replied-to row: by thread originator first, then by reply_to_guid. */
  private parentOf(threadOriginator: string | null, replyTo: string | undefined): { text: string; sender: string } | null {
    if (!this.messageColumns.has('guid')) return null;
    const stmt = this.statement('parent', () =>
      `SELECT m.text AS text, ${this.messageColumns.has('attributedBody') ? 'm.attributedBody' : 'NULL'} AS attributedBody, h.id AS handle_sender,
              ${this.messageColumns.has('destination_caller_id') ? 'm.destination_caller_id' : 'NULL'} AS destination_caller_id
       FROM message m LEFT JOIN handle h ON m.handle_id = h.ROWID WHERE m.guid = ? LIMIT 1`);
    for (const guid of [threadOriginator, replyTo]) {
      if (!guid) continue;
      const parent = stmt.get(guid) as (Pick<MessageRow, 'text' | 'attributedBody' | 'handle_sender' | 'destination_caller_id'>) | undefined;
      if (parent) return { text: this.textOf(parent), sender: this.senderOf(parent) };
    }
    return null;
  }

  /**
   * Send verification (spec §5.9 step 5): the newest outgoing row with exactly this text, written
   * since `sinceMs`, in `chatId` when known.
   */
  findSentRow(text: string, sinceMs: number, chatId: number | null): { rowid: number; guid: string } | null {
    const inChat = chatId !== null;
    const row = this.statement(`findSent:${inChat}`, () =>
      `SELECT m.ROWID AS rowid, ${this.messageColumns.has('guid') ? 'm.guid' : "''"} AS guid FROM message m
       ${inChat ? 'JOIN chat_message_join cmj ON cmj.message_id = m.ROWID AND cmj.chat_id = :chat' : ''}
       WHERE m.is_from_me = 1 AND IFNULL(m.text, '') = :text AND m.date >= :since
       ORDER BY m.date DESC, m.ROWID DESC LIMIT 1`,
    ).get(inChat ? { text, since: unixMsToAppleNs(sinceMs), chat: chatId } : { text, since: unixMsToAppleNs(sinceMs) }) as { rowid: number; guid: string | null } | undefined;
    return row ? { rowid: row.rowid, guid: row.guid ?? '' } : null;
  }
}

interface ChatRow {
  id: number;
  chat_identifier: string | null;
  guid: string | null;
  display_name: string | null;
  service_name: string | null;
  account_id: string | null;
  account_login: string | null;
  last_addressed_handle: string | null;
}

function chatInfoFromRow(row: ChatRow): ChatInfo {
  const identifier = row.chat_identifier ?? '';
  return {
    id: row.id,
    identifier,
    guid: row.guid ?? '',
    name: row.display_name ?? identifier,
    service: row.service_name ?? '',
    displayName: row.display_name,
    accountId: row.account_id,
    accountLogin: row.account_login,
    lastAddressedHandle: row.last_addressed_handle,
  };
}

