// Write side of the simulator: the stand-in for Messages.app. It creates chat.db and writes rows
// exactly where and how Messages would (handles, 1:1 and group chats, joins, attachments copied
// under ~/Library/Messages/Attachments, Apple-epoch nanosecond dates, attributedBody), through its
// own read-write WAL connection and in transactions, so readers (imsg rpc) see whole messages only.
import { randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { appleMsToIso, unixMsToAppleNs } from './apple-time';
import { tapbackText, tapbackType, type ReactionKind } from './reactions';
import { CHAT_DB_SCHEMA } from './schema';
import { expandTilde, homeFromEnv, messagesHomeFor } from './settings';
import { openWritable, type Database, type Statement } from './sqlite';
import { decodeAttributedBody, encodeAttributedBody } from './typedstream';

export const DEFAULT_ME = '+15550000000';
const ME_KEY = 'imsgSim.me';
const OBJECT_REPLACEMENT = '\uFFFC';

export type Service = 'iMessage' | 'SMS';

export interface SimDbOptions {
  /** Your own address (the Mac's iMessage account); stored in the db by `create`. */
  me?: string;
  /** `create`: Messages not signed in to iMessage: no account (sends fail), and no chats. */
  signedOut?: boolean;
  /** Home of the simulated Mac user (see messagesHomeFor); default from IMSG_SIM_HOME / the db path. */
  home?: string;
}

export interface InjectAttachment {
  /** A file to deliver; it is copied into the Messages attachments folder. */
  path?: string;
  /** File name (transfer_name); default basename(path). Required when `path` is absent. */
  name?: string;
  /** Write the row but not the file (pruned / offloaded to iCloud): imsg reports `missing:true`. */
  missing?: boolean;
  mimeType?: string;
  uti?: string;
  /** total_bytes; default the file's size (0 for a missing file). */
  totalBytes?: number;
  sticker?: boolean;
}

export interface InjectGroup {
  /** chat.ROWID of the group; created with exactly this ROWID if it does not exist yet. */
  id?: number;
  /** chat.guid of an existing group (alternative to id). */
  guid?: string;
  /** display_name; setting it on an existing group renames it. */
  name?: string;
  /** Other members besides the sender (handles). */
  participants?: string[];
  /** `legacy` = `iMessage;+;chat…` (pre-Tahoe, default); `tahoe` = `any;+;<hex>` (macOS 26). */
  style?: 'legacy' | 'tahoe';
}

export interface InjectTapback {
  kind: ReactionKind;
  /** guid of the message reacted to. */
  target: string;
  remove?: boolean;
  /** For kind `custom`. */
  emoji?: string;
}

export interface InjectOptions {
  /** The other party: the sender of an inbound message; for `fromMe` rows the 1:1 peer. */
  from?: string;
  text?: string;
  /** Service of the 1:1 chat and of the row (default iMessage). */
  service?: Service;
  /** Deliver into a group chat instead of the 1:1 chat with `from`. */
  group?: InjectGroup;
  /** Deliver into this existing chat (ROWID). */
  chatId?: number;
  attachments?: InjectAttachment[];
  /** Store the text only in attributedBody (text column NULL), as modern macOS often does. */
  attributedOnly?: boolean;
  /** Inline reply: guid of the thread's originator message (thread_originator_guid). */
  replyTo?: string;
  /** Write a tapback row instead of a normal message (chat = the target's chat). */
  tapback?: InjectTapback;
  /** A message you sent from another device (is_from_me=1). */
  fromMe?: boolean;
  /** Date of the row (Date, ISO string or Unix ms); default now. */
  date?: Date | string | number;
  /** Write the message without a chat_message_join row (imsg then reports chat_id 0). */
  unjoined?: boolean;
  /** message.balloon_bundle_id (e.g. com.apple.messages.URLBalloonProvider for link previews). */
  balloonBundleId?: string;
  /** Explicit message guid (default: a new uppercase UUID). */
  guid?: string;
}

export interface InjectResult {
  rowid: number;
  guid: string;
  chatId: number;
}

export interface SentAttachment {
  filename: string;
  path: string;
  name: string;
  mime_type: string;
  total_bytes: number;
  missing: boolean;
}

/** An outgoing (is_from_me=1) row, as `imsg sim sent` prints it. */
export interface SentRow {
  rowid: number;
  guid: string;
  chat_id: number;
  chat_identifier: string;
  chat_guid: string;
  /** The peer's handle for 1:1 chats (absent for groups). */
  to?: string;
  service: string;
  text: string;
  attachments: SentAttachment[];
  created_at: string;
}

/** Where an outgoing message goes, as Messages.app resolves it. */
export type OutgoingTarget =
  | { kind: 'direct'; handle: string; service: Service }
  | { kind: 'chat'; chatId: number };

export class SimDbError extends Error {}

const MIME_BY_EXTENSION: Record<string, [mime: string, uti: string]> = {
  '.jpg': ['image/jpeg', 'public.jpeg'], '.jpeg': ['image/jpeg', 'public.jpeg'], '.png': ['image/png', 'public.png'],
  '.gif': ['image/gif', 'com.compuserve.gif'], '.heic': ['image/heic', 'public.heic'], '.pdf': ['application/pdf', 'com.adobe.pdf'],
  '.txt': ['text/plain', 'public.plain-text'], '.mp4': ['video/mp4', 'public.mpeg-4'], '.mov': ['video/quicktime', 'com.apple.quicktime-movie'],
  '.m4a': ['audio/x-m4a', 'com.apple.m4a-audio'], '.caf': ['audio/x-caf', 'com.apple.coreaudio-format'], '.vcf': ['text/vcard', 'public.vcard'],
};

function newGuid(): string {
  return randomUUID().toUpperCase();
}

function toUnixMs(date: Date | string | number): number {
  const ms = date instanceof Date ? date.getTime() : typeof date === 'number' ? date : Date.parse(date);
  if (!Number.isFinite(ms)) throw new SimDbError(`invalid date ${JSON.stringify(date)}: use an ISO-8601 timestamp or Unix milliseconds`);
  return ms;
}

// Columns the write path fills in; a foreign fixture (e.g. a minimal read-only test schema) lacks some.
const WRITTEN_COLUMNS: Record<string, string[]> = {
  kvtable: ['key', 'value'],
  handle: ['id', 'country', 'service', 'uncanonicalized_id'],
  chat: ['guid', 'style', 'state', 'account_id', 'chat_identifier', 'service_name', 'account_login', 'last_addressed_handle', 'display_name', 'group_id'],
  message: ['guid', 'text', 'attributedBody', 'handle_id', 'service', 'account', 'account_guid', 'date', 'date_read', 'date_delivered',
    'is_delivered', 'is_finished', 'is_from_me', 'is_read', 'is_sent', 'cache_has_attachments', 'cache_roomnames', 'associated_message_guid',
    'associated_message_type', 'thread_originator_guid', 'thread_originator_part', 'balloon_bundle_id', 'destination_caller_id'],
  chat_message_join: ['chat_id', 'message_id', 'message_date'],
  chat_handle_join: ['chat_id', 'handle_id'],
  message_attachment_join: ['message_id', 'attachment_id'],
  attachment: ['guid', 'created_date', 'start_date', 'filename', 'uti', 'mime_type', 'transfer_state', 'is_outgoing', 'transfer_name', 'total_bytes', 'is_sticker'],
};

function assertWritableSchema(db: Database, path: string): void {
  const missing: string[] = [];
  for (const [table, columns] of Object.entries(WRITTEN_COLUMNS)) {
    const present = new Set((db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>).map((c) => c.name));
    for (const column of columns) if (!present.has(column)) missing.push(`${table}.${column}`);
  }
  if (missing.length > 0) {
    db.close();
    throw new SimDbError(`${path} lacks the columns the simulated Messages.app writes (${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}): create it with \`imsg sim init --db ${path}\``);
  }
}

export class SimDb {
  readonly me: string;
  private readonly statements = new Map<string, Statement>();
  /** Last Apple-epoch ns handed out, so rows written in the same millisecond still sort in write order. */
  private lastDateNs = 0n;

  private constructor(
    private readonly db: Database,
    readonly path: string,
    readonly home: string,
  ) {
    assertWritableSchema(db, path);
    const row = db.prepare('SELECT value FROM kvtable WHERE key = ?').get(ME_KEY) as { value: Buffer | string } | undefined;
    this.me = row ? row.value.toString() : DEFAULT_ME;
  }

  /** False for a db made with `signedOut`: Messages has no iMessage account to send from. */
  get signedIn(): boolean {
    return this.me !== '';
  }

  /** Creates chat.db with the Messages schema (idempotent: an existing db keeps its rows). */
  static create(path: string, options: SimDbOptions = {}): SimDb {
    mkdirSync(dirname(path), { recursive: true });
    const db = openWritable(path, { mustExist: false });
    try {
      db.exec(CHAT_DB_SCHEMA);
      db.prepare("INSERT OR IGNORE INTO _SqliteDatabaseProperties (key, value) VALUES ('_ClientVersion', '17100')").run();
      if (options.signedOut && options.me) throw new SimDbError('a signed-out Messages has no address of its own: give either `me` or `signedOut`, not both');
      const me = options.signedOut ? '' : options.me || undefined;
      if (me !== undefined) {
        db.prepare('INSERT INTO kvtable (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(ME_KEY, me);
      }
    } catch (error) {
      db.close();
      throw error;
    }
    return new SimDb(db, path, options.home ?? messagesHomeFor(path, { home: homeFromEnv() }));
  }

  /** Opens an existing chat.db for writing. */
  static open(path: string, options: Omit<SimDbOptions, 'me'> = {}): SimDb {
    if (!existsSync(path)) throw new SimDbError(`no chat.db at ${path}: create it first with \`imsg sim init --db ${path}\``);
    return new SimDb(openWritable(path, { mustExist: true }), path, options.home ?? messagesHomeFor(path, { home: homeFromEnv() }));
  }

  close(): void {
    this.db.close();
  }

  private statement(sql: string): Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  maxRowid(): number {
    return (this.statement('SELECT IFNULL(MAX(ROWID), 0) AS max FROM message').get() as { max: number }).max;
  }

  // Every write transaction is IMMEDIATE: it takes the write lock before its first read. A deferred
  // one that reads (the chat lookup) and then writes fails at once with "database is locked" when
  // another connection (the simulated imsg sending) committed in between; the busy timeout only
  // helps a transaction that waits for the lock before it reads.

  /** Writes one message the way Messages does when it arrives (one transaction). */
  inject(options: InjectOptions): InjectResult {
    return this.db.transaction(() => this.writeMessage(options)).immediate();
  }

  /** Writes many messages in one transaction (fast bulk load). */
  injectMany(list: InjectOptions[]): InjectResult[] {
    return this.db.transaction(() => list.map((options) => this.writeMessage(options))).immediate();
  }

  /**
   * What Messages.app does for an AppleScript send: a text row, then (for a file) a second row with
   * the attachment, each in its own transaction. `deferFromMe` writes is_from_me=0 first (spec §7.3
   * race); call `markFromMe` later to flip it.
   */
  recordOutgoing(target: OutgoingTarget, content: { text?: string; file?: string }, deferFromMe = false): { text?: InjectResult; file?: InjectResult } {
    const base: InjectOptions = target.kind === 'direct'
      ? { from: target.handle, service: target.service, fromMe: true }
      : { chatId: target.chatId, fromMe: true };
    const written: { text?: InjectResult; file?: InjectResult } = {};
    const write = (options: InjectOptions) => this.db.transaction(() => this.writeMessage(options, deferFromMe)).immediate();
    if (content.text) written.text = write({ ...base, text: content.text });
    if (content.file) written.file = write({ ...base, attachments: [{ path: content.file }] });
    return written;
  }

  markFromMe(rowids: number[]): void {
    const stmt = this.statement('UPDATE message SET is_from_me = 1 WHERE ROWID = ?');
    this.db.transaction(() => rowids.forEach((rowid) => stmt.run(rowid))).immediate();
  }

  /** Outgoing rows after `sinceRowid`, oldest first. */
  sent(options: { sinceRowid?: number } = {}): SentRow[] {
    const rows = this.statement(
      `SELECT m.ROWID AS rowid, m.guid AS guid, m.text AS text, m.attributedBody AS body, m.date / 1000000 AS date_ms,
              IFNULL(m.service, '') AS service, IFNULL(cmj.chat_id, 0) AS chat_id, IFNULL(c.chat_identifier, '') AS chat_identifier,
              IFNULL(c.guid, '') AS chat_guid, h.id AS handle
       FROM message m LEFT JOIN chat_message_join cmj ON cmj.message_id = m.ROWID LEFT JOIN chat c ON c.ROWID = cmj.chat_id
       LEFT JOIN handle h ON h.ROWID = m.handle_id
       WHERE m.is_from_me = 1 AND m.ROWID > ? ORDER BY m.ROWID ASC`,
    ).all(options.sinceRowid ?? 0) as Array<{ rowid: number; guid: string; text: string | null; body: Buffer | null; date_ms: number | null; service: string; chat_id: number; chat_identifier: string; chat_guid: string; handle: string | null }>;
    const attachmentsStmt = this.statement(
      `SELECT a.filename AS filename, IFNULL(a.transfer_name, '') AS name, IFNULL(a.mime_type, '') AS mime_type, IFNULL(a.total_bytes, 0) AS total_bytes
       FROM message_attachment_join maj JOIN attachment a ON a.ROWID = maj.attachment_id WHERE maj.message_id = ? ORDER BY maj.rowid`);
    return rows.map((row) => {
      const attachments = (attachmentsStmt.all(row.rowid) as Array<{ filename: string | null; name: string; mime_type: string; total_bytes: number }>).map((a) => {
        const path = a.filename ? expandTilde(a.filename, this.home) : '';
        return {
          filename: a.filename ?? '', path, name: a.name, mime_type: a.mime_type, total_bytes: a.total_bytes,
          missing: path === '' || statSync(path, { throwIfNoEntry: false })?.isFile() !== true,
        };
      });
      const sentRow: SentRow = {
        rowid: row.rowid, guid: row.guid, chat_id: row.chat_id, chat_identifier: row.chat_identifier, chat_guid: row.chat_guid,
        service: row.service, text: row.text || decodeAttributedBody(row.body), attachments, created_at: appleMsToIso(row.date_ms),
      };
      if (row.handle && !row.chat_guid.includes(';+;')) sentRow.to = row.handle;
      return sentRow;
    });
  }

  // ---- the write path ------------------------------------------------------------------------

  private nextDateNs(options: InjectOptions): bigint {
    if (options.date !== undefined) return unixMsToAppleNs(toUnixMs(options.date));
    let ns = unixMsToAppleNs(Date.now());
    if (ns <= this.lastDateNs) ns = this.lastDateNs + 1000n;
    this.lastDateNs = ns;
    return ns;
  }

  private handleId(id: string, service: Service): number {
    const found = this.statement('SELECT ROWID AS rowid FROM handle WHERE id = ? AND service = ?').get(id, service) as { rowid: number } | undefined;
    if (found) return found.rowid;
    const info = this.statement("INSERT INTO handle (id, country, service, uncanonicalized_id) VALUES (?, 'us', ?, ?)").run(id, service, id);
    return Number(info.lastInsertRowid);
  }

  private addParticipant(chatId: number, handleRowid: number): void {
    this.statement('INSERT OR IGNORE INTO chat_handle_join (chat_id, handle_id) VALUES (?, ?)').run(chatId, handleRowid);
  }

  private chatRow(where: 'ROWID' | 'guid', value: number | string): { rowid: number; guid: string; identifier: string; service: string } | undefined {
    return this.statement(`SELECT ROWID AS rowid, guid, IFNULL(chat_identifier, '') AS identifier, IFNULL(service_name, 'iMessage') AS service FROM chat WHERE ${where} = ?`)
      .get(value) as { rowid: number; guid: string; identifier: string; service: string } | undefined;
  }

  private insertChat(fields: { rowid?: number; guid: string; style: number; identifier: string; service: Service; displayName: string | null }): number {
    const info = this.statement(
      `INSERT INTO chat (ROWID, guid, style, state, account_id, chat_identifier, service_name, account_login, last_addressed_handle, display_name, group_id)
       VALUES (?, ?, ?, 3, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(fields.rowid ?? null, fields.guid, fields.style, newGuid(), fields.identifier, fields.service,
      `${this.me.includes('@') ? 'E' : 'P'}:${this.me}`, this.me, fields.displayName, fields.style === 43 ? newGuid() : null);
    return Number(info.lastInsertRowid);
  }

  /** The 1:1 chat with `handle` on `service`, created if needed (Tahoe `any;-;` chats count for iMessage). */
  private directChat(handle: string, service: Service): number {
    const candidates = service === 'SMS' ? [`SMS;-;${handle}`] : [`iMessage;-;${handle}`, `any;-;${handle}`];
    for (const guid of candidates) {
      const chat = this.chatRow('guid', guid);
      if (chat) return chat.rowid;
    }
    const chatId = this.insertChat({ guid: candidates[0] as string, style: 45, identifier: handle, service, displayName: null });
    this.addParticipant(chatId, this.handleId(handle, service));
    return chatId;
  }

  private groupChat(group: InjectGroup): { rowid: number; guid: string } {
    let chat = group.id !== undefined ? this.chatRow('ROWID', group.id) : group.guid !== undefined ? this.chatRow('guid', group.guid) : undefined;
    if (chat && !chat.guid.includes(';+;')) {
      throw new SimDbError(`chat ${chat.rowid} (${chat.guid}) is a 1:1 chat, not a group: pick another group id`);
    }
    if (!chat) {
      if (group.id === undefined && group.guid === undefined) throw new SimDbError('a group needs an id (chat ROWID) or a guid');
      const tahoe = group.style === 'tahoe' || group.guid?.startsWith('any;+;');
      const seed = group.id ?? Math.floor(Math.random() * 1e6);
      const identifier = group.guid?.split(';+;')[1]
        ?? (tahoe ? randomUUID().replace(/-/g, '') : `chat${String(493787000000 + seed)}${String(seed * 7919 % 1e6).padStart(6, '0')}`);
      const guid = group.guid ?? `${tahoe ? 'any' : 'iMessage'};+;${identifier}`;
      const rowid = this.insertChat({ rowid: group.id, guid, style: 43, identifier, service: 'iMessage', displayName: group.name ?? null });
      chat = { rowid, guid, identifier, service: 'iMessage' };
    } else if (group.name !== undefined) {
      this.statement('UPDATE chat SET display_name = ? WHERE ROWID = ?').run(group.name, chat.rowid);
    }
    for (const member of group.participants ?? []) this.addParticipant(chat.rowid, this.handleId(member, 'iMessage'));
    return chat;
  }

  private writeMessage(options: InjectOptions, deferFromMe = false): InjectResult {
    const fromMe = options.fromMe === true;
    const service: Service = options.service ?? 'iMessage';
    let chatId: number;
    let chatGuid: string;
    let handleRowid = 0;
    let text = options.text ?? '';
    let associatedGuid: string | null = null;
    let associatedType = 0;

    if (options.tapback) {
      const target = this.statement(
        `SELECT m.text AS text, m.attributedBody AS body, IFNULL(cmj.chat_id, 0) AS chat_id
         FROM message m LEFT JOIN chat_message_join cmj ON cmj.message_id = m.ROWID WHERE m.guid = ? LIMIT 1`,
      ).get(options.tapback.target) as { text: string | null; body: Buffer | null; chat_id: number } | undefined;
      if (!target) throw new SimDbError(`tapback target ${options.tapback.target} not found: pass the guid of an existing message`);
      const targetText = (target.text || decodeAttributedBody(target.body)).replaceAll(OBJECT_REPLACEMENT, '');
      text = tapbackText(options.tapback.kind, options.tapback.remove === true, targetText, options.tapback.emoji);
      associatedGuid = `p:0/${options.tapback.target}`;
      associatedType = tapbackType(options.tapback.kind, options.tapback.remove === true);
      options = { ...options, chatId: options.chatId ?? (target.chat_id || undefined) };
    }

    if (options.chatId !== undefined) {
      const chat = this.chatRow('ROWID', options.chatId);
      if (!chat) throw new SimDbError(`no chat with ROWID ${options.chatId}`);
      chatId = chat.rowid;
      chatGuid = chat.guid;
      const isGroup = chat.guid.includes(';+;');
      const peer = options.from ?? (isGroup ? undefined : chat.identifier);
      if (peer && !(fromMe && isGroup)) {
        handleRowid = this.handleId(peer, chat.service === 'SMS' ? 'SMS' : 'iMessage');
        this.addParticipant(chatId, handleRowid);
      } else if (!fromMe) {
        throw new SimDbError(`an inbound message in group chat ${chatId} needs a sender (from)`);
      }
    } else if (options.group) {
      const chat = this.groupChat(options.group);
      chatId = chat.rowid;
      chatGuid = chat.guid;
      if (!fromMe) {
        if (!options.from) throw new SimDbError('an inbound group message needs a sender (from)');
        handleRowid = this.handleId(options.from, 'iMessage');
        this.addParticipant(chatId, handleRowid);
      }
    } else {
      if (!options.from) throw new SimDbError('a message needs `from` (the other party\'s phone number or email)');
      chatId = this.directChat(options.from, service);
      chatGuid = this.chatRow('ROWID', chatId)?.guid ?? '';
      handleRowid = this.handleId(options.from, service);
    }

    const dateNs = this.nextDateNs(options);
    const attachments = (options.attachments ?? []).map((spec) => this.storeAttachment(spec, dateNs, fromMe));
    if (attachments.length > 0) text = OBJECT_REPLACEMENT.repeat(attachments.length) + text;
    const guid = options.guid ?? newGuid();
    const rowService = chatGuid.startsWith('SMS;') ? 'SMS' : 'iMessage';
    const info = this.statement(
      `INSERT INTO message (guid, text, attributedBody, handle_id, service, account, account_guid, date, date_read, date_delivered,
         is_delivered, is_finished, is_from_me, is_read, is_sent, cache_has_attachments, cache_roomnames, associated_message_guid,
         associated_message_type, thread_originator_guid, thread_originator_part, balloon_bundle_id, destination_caller_id)
       VALUES (@guid, @text, @body, @handle, @service, @account, @accountGuid, @date, 0, @delivered, 1, 1, @fromMe, @read, @sent,
         @hasAttachments, @roomnames, @associatedGuid, @associatedType, @threadGuid, @threadPart, @balloon, @me)`,
    ).run({
      guid,
      text: options.attributedOnly || text === '' ? null : text,
      body: text === '' ? null : encodeAttributedBody(text),
      handle: handleRowid,
      service: rowService,
      account: `${this.me.includes('@') ? 'e' : 'p'}:${this.me}`,
      accountGuid: null,
      date: dateNs,
      delivered: fromMe ? dateNs : 0n,
      fromMe: fromMe && !deferFromMe ? 1 : 0,
      read: fromMe ? 1 : 0,
      sent: fromMe ? 1 : 0,
      hasAttachments: attachments.length > 0 ? 1 : 0,
      roomnames: chatGuid.includes(';+;') ? chatGuid.split(';+;')[1] : null,
      associatedGuid,
      associatedType,
      threadGuid: options.replyTo ?? null,
      threadPart: options.replyTo ? '0:0:1' : null,
      balloon: options.balloonBundleId ?? null,
      me: this.me,
    });
    const rowid = Number(info.lastInsertRowid);
    if (!options.unjoined) {
      this.statement('INSERT INTO chat_message_join (chat_id, message_id, message_date) VALUES (?, ?, ?)').run(chatId, rowid, dateNs);
    }
    for (const attachmentRowid of attachments) {
      this.statement('INSERT INTO message_attachment_join (message_id, attachment_id) VALUES (?, ?)').run(rowid, attachmentRowid);
    }
    return { rowid, guid, chatId: options.unjoined ? 0 : chatId };
  }

  /** Adds an attachment row; copies the file to ~/Library/Messages/Attachments/xx/NN/<GUID>/<name>. */
  private storeAttachment(spec: InjectAttachment, dateNs: bigint, outgoing: boolean): number {
    const source = spec.path ? expandTilde(spec.path) : undefined;
    if (source && !spec.missing && statSync(source, { throwIfNoEntry: false })?.isFile() !== true) {
      throw new SimDbError(`attachment ${source} does not exist or is not a file (use missing:true / --missing-attachment for a pruned file)`);
    }
    const name = spec.name ?? (source ? basename(source) : undefined);
    if (!name) throw new SimDbError('an attachment needs a path or a name');
    const guid = newGuid();
    const relative = join('Library', 'Messages', 'Attachments', guid.slice(-2).toLowerCase(), String(parseInt(guid.slice(0, 2), 16) % 100).padStart(2, '0'), guid, name);
    const absolute = join(this.home, relative);
    let size = spec.totalBytes ?? 0;
    if (!spec.missing && source) {
      mkdirSync(dirname(absolute), { recursive: true });
      copyFileSync(source, absolute);
      size = spec.totalBytes ?? statSync(absolute).size;
    }
    const [mime, uti] = MIME_BY_EXTENSION[extname(name).toLowerCase()] ?? [null, 'public.data'];
    const info = this.statement(
      `INSERT INTO attachment (guid, created_date, start_date, filename, uti, mime_type, transfer_state, is_outgoing, transfer_name, total_bytes, is_sticker)
       VALUES (?, ?, ?, ?, ?, ?, 5, ?, ?, ?, ?)`,
    ).run(guid, dateNs / 1_000_000_000n, dateNs / 1_000_000_000n, `~/${relative}`, spec.uti ?? uti, spec.mimeType ?? mime,
      outgoing ? 1 : 0, name, size, spec.sticker ? 1 : 0);
    return Number(info.lastInsertRowid);
  }
}
