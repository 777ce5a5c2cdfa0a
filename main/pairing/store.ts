// The iMessage pairing store: pending requests from unknown DM senders, and the senders the owner
// approved. Two small JSON files under `<stateDir>/credentials/`, in the original's format:
//
//   imessage-pairing.json    {"version":1,"requests":[{"id","code","createdAt","lastSeenAt","meta"}]}
//   imessage-allowFrom.json  {"version":1,"allowFrom":["+15550001111"]}
//   imessage-resolved.json   {"version":1,"resolved":[{…the request, "outcome","resolvedAt"}]} (ours)
//
// The gateway, the app and the CLI may all change them, so every read-modify-write holds the
// file's cross-process lock (file-lock.ts; approve takes the pairing lock, then the allowFrom lock,
// always in that order) and writes atomically with mode 0600. A file that cannot be parsed is
// moved aside (`<file>.corrupt-<time>`) under the lock and reported with a PairingStoreError;
// it is never silently replaced.
//
// Hot path: the gateway asks for the approved senders on every inbound message. allowFromSnapshot()
// stats the file and re-reads it only when it changed (new inode, size or mtime: every write is a
// rename), so an approval made by any process applies to the very next message.
//
// Lifetime rules (spec §3.2): a request lives 1 hour from createdAt; at most 3 are pending; a
// repeat message from a pending sender only refreshes lastSeenAt (at most once a minute, to keep
// a chatty unknown sender from causing a locked write per message). A createdAt more than a few
// minutes in the future (a hand-edited file, a clock set back) counts as expired: otherwise the
// request would hold a slot forever.
//
// A request remembers where it came from: `meta.accountId` and `meta.chatId` (the account and
// chat the pairing code was sent in, set when it is created and never overwritten), so the
// approval notice goes out from the same Apple ID into the same chat.
//
// Resolved codes (approved or denied) are remembered for the TTL in a file of their own (at most
// RESOLVED_KEPT), so approving a code twice is answered "already approved", not "no such code".
// It is written only when the owner approves or denies, and read only when a code is not pending:
// the per-message path (the pending file) stays as small as the original's.
import { EventEmitter } from 'node:events';
import { promises as fs, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import type { PairingEvent, PairingEventKind, PairingRequest } from '../../contract/gateway-api';
import { normalizeHandle } from '../../contract/handles';
import { preserveCorruptFile, readFileIfExists, readFileIfExistsSync, writeFileAtomic, writeFileAtomicSync } from '../util/atomic-file';
import { silentLogger, type Logger } from '../util/logger';
import { generateUniqueCode, normalizePairingCode, PairingCodeSpaceError } from './codes';
import { FileLockError, withFileLock, type FileLockOptions } from '../util/file-lock';

export const PAIRING_CHANNEL = 'imessage';
export const PAIRING_TTL_MS = 60 * 60 * 1000;
export const MAX_PENDING_REQUESTS = 3;
export const LAST_SEEN_REFRESH_MS = 60 * 1000;
/** How far in the future a createdAt may lie (clock adjustments) before the request counts as expired. */
export const FUTURE_CREATED_AT_TOLERANCE_MS = 5 * 60 * 1000;
/** Resolved codes remembered for "already approved" answers. */
export const RESOLVED_KEPT = 50;
export const PAIRING_FILE_NAME = `${PAIRING_CHANNEL}-pairing.json`;
export const ALLOW_FROM_FILE_NAME = `${PAIRING_CHANNEL}-allowFrom.json`;
export const RESOLVED_FILE_NAME = `${PAIRING_CHANNEL}-resolved.json`;

const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

/** `io`: the file or its lock could not be written (disk full, read-only volume, permissions). */
export type PairingStoreErrorCode = 'corrupt' | 'unsupported-version' | 'locked' | 'invalid-sender' | 'code-space-exhausted' | 'io';

export class PairingStoreError extends Error {
  readonly code: PairingStoreErrorCode;
  /** The file concerned, when there is one. */
  readonly path?: string;
  /** Where an unreadable file was moved to (code 'corrupt', when moved under the lock). */
  readonly preservedAt?: string;

  constructor(code: PairingStoreErrorCode, message: string, details: { path?: string; preservedAt?: string; cause?: unknown } = {}) {
    super(message, { cause: details.cause });
    this.name = 'PairingStoreError';
    this.code = code;
    this.path = details.path;
    this.preservedAt = details.preservedAt;
  }
}

export interface PairingStoreOptions {
  /** State directory (default location `~/.clawdbot`); the files live in `<stateDir>/credentials`. */
  stateDir?: string;
  /** Overrides `<stateDir>/credentials` (CLAWDBOT_OAUTH_DIR). */
  credentialsDir?: string;
  /** Clock in epoch ms (injectable for tests). */
  now?: () => number;
  ttlMs?: number;
  maxPending?: number;
  /** A repeat message refreshes lastSeenAt only when it is older than this (default 60 s; 0 = always). */
  lastSeenRefreshMs?: number;
  /** Code generator (the CSPRNG one by default); uniqueness among pending codes is ensured here. */
  generateCode?: () => string;
  lock?: FileLockOptions;
  logger?: Logger;
}

/** What a request remembers about its origin (stored as strings in `meta`). */
export interface PairingRequestMeta {
  /** The sender as received. */
  sender?: string;
  /** The iMessage account the request came in on (and its code went out from). */
  accountId?: string;
  /** The chat the code was sent in, as a decimal string. */
  chatId?: string;
  [key: string]: string | undefined;
}

export type UpsertResult =
  /** A new request: send the pairing reply. */
  | { created: true; capped: false; request: PairingRequest }
  /** The sender already has a live request: send nothing. */
  | { created: false; capped: false; request: PairingRequest }
  /** `maxPending` requests are pending: nothing was stored; send nothing, log it. */
  | { created: false; capped: true; request: null; pending: number };

interface StoredRequest {
  id: string;
  code: string;
  createdAt: string;
  lastSeenAt: string;
  meta?: Record<string, string>;
}

/** A code that was approved or denied, and when. */
export interface ResolvedPairing {
  request: PairingRequest;
  outcome: 'approved' | 'denied';
  resolvedAt: string;
}

interface StoredResolution extends StoredRequest {
  outcome: 'approved' | 'denied';
  resolvedAt: string;
}

const metaSchema = z.record(z.string(), z.unknown()).transform((meta) => {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(meta)) if (value != null) out[key] = String(value);
  return out;
});

const storedRequestShape = {
  id: z.string(),
  code: z.string(),
  createdAt: z.string(),
  lastSeenAt: z.string(),
  meta: metaSchema.optional(),
};

const pairingFileSchema = z.object({
  version: z.literal(1),
  requests: z.array(z.object(storedRequestShape)),
});

const resolvedFileSchema = z.object({
  version: z.literal(1),
  resolved: z.array(z.object({ ...storedRequestShape, outcome: z.enum(['approved', 'denied']), resolvedAt: z.string() })),
});

const allowFromFileSchema = z.object({
  version: z.literal(1),
  allowFrom: z.array(z.union([z.string(), z.number()]).transform(String)),
});

type PairingFile = z.infer<typeof pairingFileSchema>;
type ResolvedFile = z.infer<typeof resolvedFileSchema>;
type AllowFromFile = z.infer<typeof allowFromFileSchema>;

const EMPTY_PAIRING: PairingFile = { version: 1, requests: [] };
const EMPTY_ALLOW_FROM: AllowFromFile = { version: 1, allowFrom: [] };
const EMPTY_RESOLVED: ResolvedFile = { version: 1, resolved: [] };
const NO_SENDERS: readonly string[] = Object.freeze([]);

/** Parses a store file; throws PairingStoreError ('corrupt' or 'unsupported-version'). Blank = empty. */
function parseStoreFile<T>(path: string, text: string | undefined, schema: z.ZodType<T>, empty: T): T {
  if (text === undefined || text.trim() === '') return empty;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new PairingStoreError('corrupt', `${path} is not valid JSON (${(error as Error).message}).`, { path, cause: error });
  }
  const version = (json as { version?: unknown } | null)?.version;
  if (typeof version === 'number' && version > 1) {
    throw new PairingStoreError(
      'unsupported-version',
      `${path} has version ${version}, written by a newer Clawdbot. Update Clawdbot; the file was left as it is.`,
      { path },
    );
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    throw new PairingStoreError('corrupt', `${path} does not have the expected content (${issue?.message ?? 'invalid'}${where}).`, { path });
  }
  return parsed.data;
}

function serialize(data: unknown): string {
  return `${JSON.stringify(data, null, 2)}\n`;
}

/** Identity of a file's current version: every write is a rename, so the inode changes too. */
function fileVersion(path: string): string | undefined {
  const stat = statSync(path, { throwIfNoEntry: false });
  return stat ? `${stat.ino}:${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}` : undefined;
}

export class PairingStore extends EventEmitter<{ pairing: [PairingEvent] }> {
  readonly credentialsDir: string;
  readonly pairingPath: string;
  readonly allowFromPath: string;
  readonly resolvedPath: string;
  readonly ttlMs: number;
  readonly maxPending: number;

  private readonly now: () => number;
  private readonly lastSeenRefreshMs: number;
  private readonly generateCode?: () => string;
  private readonly lockOptions: FileLockOptions;
  private readonly logger: Logger;
  private dirChecked = false;

  private allowCache: { version: string | undefined; senders: readonly string[] } | undefined;
  private allowCacheError: PairingStoreError | null = null;
  private pendingCache: { version: string | undefined; file: PairingFile } | undefined;

  constructor(options: PairingStoreOptions) {
    super();
    const dir = options.credentialsDir ?? (options.stateDir ? join(options.stateDir, 'credentials') : undefined);
    if (!dir) throw new TypeError('PairingStore needs stateDir or credentialsDir');
    this.credentialsDir = dir;
    this.pairingPath = join(dir, PAIRING_FILE_NAME);
    this.allowFromPath = join(dir, ALLOW_FROM_FILE_NAME);
    this.resolvedPath = join(dir, RESOLVED_FILE_NAME);
    this.now = options.now ?? Date.now;
    this.ttlMs = options.ttlMs ?? PAIRING_TTL_MS;
    this.maxPending = options.maxPending ?? MAX_PENDING_REQUESTS;
    this.lastSeenRefreshMs = options.lastSeenRefreshMs ?? LAST_SEEN_REFRESH_MS;
    this.generateCode = options.generateCode;
    this.lockOptions = options.lock ?? {};
    this.logger = options.logger ?? silentLogger;
  }

  // -------------------------------------------------------------------------------------------
  // Pending requests
  // -------------------------------------------------------------------------------------------

  /**
   * Records that an unknown sender asked for access. `senderId` is normalized (E.164 / lower-case
   * email). Returns whether a new request (and code) was created, or that the cap was reached.
   */
  async upsertRequest(senderId: string, meta: PairingRequestMeta = {}): Promise<UpsertResult> {
    const id = this.validSenderId(senderId);

    // Fast path, no lock: a sender with a live request whose lastSeenAt is recent gets the same
    // answer as after a locked refresh, without a write.
    const current = this.readPendingCached();
    const existing = current.requests.find((request) => request.id === id && !this.isExpired(request));
    if (existing && this.now() - Date.parse(existing.lastSeenAt) < this.lastSeenRefreshMs) {
      return { created: false, capped: false, request: this.toPublic(existing) };
    }

    return this.mutatePending((requests, events) => {
      const nowIso = new Date(this.now()).toISOString();
      const live = requests.find((request) => request.id === id);
      if (live) {
        live.lastSeenAt = nowIso;
        // Where the request came from stays as it was: its code went out there.
        if (Object.keys(meta).length > 0) live.meta = { ...definedStrings(meta), ...live.meta };
        return { write: true, value: { created: false, capped: false, request: this.toPublic(live) } as UpsertResult };
      }
      if (requests.length >= this.maxPending) {
        return { write: false, value: { created: false, capped: true, request: null, pending: requests.length } as UpsertResult };
      }
      const code = this.newCode(new Set(requests.map((request) => request.code)));
      const request: StoredRequest = { id, code, createdAt: nowIso, lastSeenAt: nowIso, meta: definedStrings(meta) };
      requests.push(request);
      events.push(this.event('requested', id, code));
      return { write: true, value: { created: true, capped: false, request: this.toPublic(request) } as UpsertResult };
    });
  }

  /** Live requests, oldest first. Prunes expired ones (emitting 'expired'). */
  async list(): Promise<PairingRequest[]> {
    let requests: StoredRequest[];
    const onDisk = parseStoreFile(this.pairingPath, await readFileIfExists(this.pairingPath), pairingFileSchema, EMPTY_PAIRING);
    if (this.needsPruning(onDisk.requests)) {
      requests = await this.mutatePending((live) => ({ write: false, value: live.slice() }));
    } else {
      requests = onDisk.requests;
    }
    return requests
      .map((request) => this.toPublic(request))
      .sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
  }

  /** Removes expired requests now (the UI calls this on a timer); returns the ones removed. */
  async pruneExpired(): Promise<PairingRequest[]> {
    const removed: PairingRequest[] = [];
    await this.mutatePending(() => ({ write: false, value: undefined }), removed);
    return removed;
  }

  /**
   * Approves the request with this code (any case, blanks ignored): the sender moves to the allow
   * store. Returns the approved request, or null when no live request has that code.
   */
  async approve(code: string): Promise<PairingRequest | null> {
    const wanted = normalizePairingCode(code);
    if (wanted === '') return null;
    return this.mutatePending(async (requests, events) => {
      const index = requests.findIndex((request) => request.code === wanted);
      if (index < 0) return { write: false, value: null };
      const [request] = requests.splice(index, 1) as [StoredRequest];
      // Allow store first: if the pairing write then failed, the request would still be pending
      // and approving again is harmless; the other order could lose the approval.
      await this.mutateAllowFrom((senders) => {
        if (senders.includes(request.id)) return { write: false, value: undefined };
        senders.push(request.id);
        return { write: true, value: undefined };
      });
      // Still under the pending lock: whoever looks for this code next finds it resolved.
      await this.remember([request], 'approved');
      events.push(this.event('approved', request.id, request.code));
      return { write: true, value: this.toPublic(request) };
    });
  }

  /**
   * Drops the request with this code without approving it. The sender gets no message; if they
   * write again later, they get a new request and code (subject to the pending cap).
   */
  async deny(code: string): Promise<PairingRequest | null> {
    const wanted = normalizePairingCode(code);
    if (wanted === '') return null;
    return this.mutatePending(async (requests, events) => {
      const index = requests.findIndex((request) => request.code === wanted);
      if (index < 0) return { write: false, value: null };
      const [request] = requests.splice(index, 1) as [StoredRequest];
      await this.remember([request], 'denied');
      events.push(this.event('denied', request.id, request.code));
      return { write: true, value: this.toPublic(request) };
    });
  }

  /**
   * Denies every pending request at once (the owner clearing slots that strangers hold). Returns
   * the requests dropped, oldest first; none of the senders is told.
   */
  async denyAll(): Promise<PairingRequest[]> {
    return this.mutatePending(async (requests, events) => {
      const all = requests.splice(0, requests.length).sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
      if (all.length > 0) await this.remember(all, 'denied');
      for (const request of all) events.push(this.event('denied', request.id, request.code));
      return { write: all.length > 0, value: all.map((request) => this.toPublic(request)) };
    });
  }

  /**
   * What became of a code that is no longer pending: approved or denied within the last TTL, or
   * undefined (never issued, expired, or resolved too long ago). Read without the lock.
   */
  async resolution(code: string): Promise<ResolvedPairing | undefined> {
    const wanted = normalizePairingCode(code);
    if (wanted === '') return undefined;
    const file = parseStoreFile(this.resolvedPath, await readFileIfExists(this.resolvedPath), resolvedFileSchema, EMPTY_RESOLVED);
    const found = file.resolved.filter((entry) => this.isRecent(entry.resolvedAt)).findLast((entry) => entry.code === wanted);
    if (!found) return undefined;
    const { outcome, resolvedAt, ...request } = found;
    return { request: this.toPublic(request), outcome, resolvedAt };
  }

  // -------------------------------------------------------------------------------------------
  // Approved senders
  // -------------------------------------------------------------------------------------------

  /** Removes a sender from the allow store. Returns false when they were not in it. */
  async revoke(senderId: string): Promise<boolean> {
    const id = this.validSenderId(senderId);
    const events: PairingEvent[] = [];
    const removed = await this.mutateAllowFrom((senders) => {
      const kept = senders.filter((sender) => normalizeHandle(sender) !== id);
      if (kept.length === senders.length) return { write: false, value: false };
      senders.splice(0, senders.length, ...kept);
      events.push(this.event('revoked', id));
      return { write: true, value: true };
    });
    this.emitAll(events);
    return removed;
  }

  /** The approved senders, read now (no lock: writes are atomic renames). "*" is never returned. */
  async readAllowFrom(): Promise<string[]> {
    const file = parseStoreFile(this.allowFromPath, await readFileIfExists(this.allowFromPath), allowFromFileSchema, EMPTY_ALLOW_FROM);
    return cleanSenders(file.allowFrom);
  }

  /**
   * The approved senders for the per-message path: the same frozen array while the file is
   * unchanged (one stat per call), re-read after any process changed it. If the file cannot be
   * read, the last good list stays in effect (empty if there never was one) and the problem is in
   * `allowFromError`; the next locked change moves the bad file aside.
   */
  allowFromSnapshot(): readonly string[] {
    let version: string | undefined;
    try {
      version = fileVersion(this.allowFromPath);
    } catch (error) {
      return this.keepSnapshotAfter(new PairingStoreError('corrupt', `Cannot read ${this.allowFromPath}: ${(error as Error).message}`, { path: this.allowFromPath, cause: error }));
    }
    if (this.allowCache && this.allowCache.version === version) return this.allowCache.senders;
    if (version === undefined) {
      this.allowCache = { version, senders: NO_SENDERS };
      this.allowCacheError = null;
      return NO_SENDERS;
    }
    try {
      const file = parseStoreFile(this.allowFromPath, readFileSync(this.allowFromPath, 'utf8'), allowFromFileSchema, EMPTY_ALLOW_FROM);
      this.allowCache = { version, senders: Object.freeze(cleanSenders(file.allowFrom)) };
      this.allowCacheError = null;
      return this.allowCache.senders;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return this.allowFromSnapshot();
      const storeError =
        error instanceof PairingStoreError
          ? error
          : new PairingStoreError('corrupt', `Cannot read ${this.allowFromPath}: ${(error as Error).message}`, { path: this.allowFromPath, cause: error });
      return this.keepSnapshotAfter(storeError, version);
    }
  }

  /** Why the last allowFromSnapshot() could not read the file, or null. */
  get allowFromError(): PairingStoreError | null {
    return this.allowCacheError;
  }

  // -------------------------------------------------------------------------------------------
  // Internals
  // -------------------------------------------------------------------------------------------

  private keepSnapshotAfter(error: PairingStoreError, version?: string): readonly string[] {
    if (this.allowCacheError?.message !== error.message) {
      this.logger.warn('pairing allow store unreadable; keeping the last good list', { path: this.allowFromPath, error: error.message });
    }
    this.allowCacheError = error;
    const senders = this.allowCache?.senders ?? NO_SENDERS;
    // Remember the bad version so that an unchanged bad file is not re-parsed per message.
    if (version !== undefined) this.allowCache = { version, senders };
    return senders;
  }

  private validSenderId(senderId: string): string {
    const id = normalizeHandle(senderId);
    if (id === '' || id === '*') {
      throw new PairingStoreError('invalid-sender', `Not a sender id: ${JSON.stringify(senderId)}. Use a phone number (+15550001111) or an email address.`);
    }
    return id;
  }

  private isExpired(request: StoredRequest): boolean {
    const created = Date.parse(request.createdAt);
    const age = this.now() - created;
    return Number.isNaN(created) || age >= this.ttlMs || age < -FUTURE_CREATED_AT_TOLERANCE_MS;
  }

  /** A resolution time within the last TTL (and not in the future beyond the tolerance). */
  private isRecent(iso: string): boolean {
    const age = this.now() - Date.parse(iso);
    return age < this.ttlMs && age >= -FUTURE_CREATED_AT_TOLERANCE_MS;
  }

  /**
   * Remembers resolved requests (newest last, recent only, bounded), under its own lock, taken
   * inside the pending lock (the order is always pending → allowFrom → resolved). Best effort: a
   * failure here is logged, never thrown — the approval or denial itself must not fail for it.
   */
  private async remember(requests: readonly StoredRequest[], outcome: StoredResolution['outcome']): Promise<void> {
    const resolvedAt = new Date(this.now()).toISOString();
    try {
      await this.locked(this.resolvedPath, async () => {
        const file = await this.readLocked(this.resolvedPath, resolvedFileSchema, EMPTY_RESOLVED);
        const kept = [...file.resolved.filter((entry) => this.isRecent(entry.resolvedAt)), ...requests.map((request) => ({ ...request, outcome, resolvedAt }))].slice(-RESOLVED_KEPT);
        const next: ResolvedFile = { version: 1, resolved: kept };
        writeFileAtomicSync(this.resolvedPath, serialize(next), { mode: FILE_MODE, dirMode: DIR_MODE, durable: false });
      });
    } catch (error) {
      this.logger.warn('pairing: could not remember the resolved code', { path: this.resolvedPath, error: (error as Error).message });
    }
  }

  private needsPruning(requests: readonly StoredRequest[]): boolean {
    return requests.length > this.maxPending || requests.some((request) => this.isExpired(request));
  }

  private toPublic(request: StoredRequest): PairingRequest {
    const out: PairingRequest = {
      id: request.id,
      code: request.code,
      createdAt: request.createdAt,
      lastSeenAt: request.lastSeenAt,
      expiresAt: new Date(Date.parse(request.createdAt) + this.ttlMs).toISOString(),
    };
    if (request.meta && Object.keys(request.meta).length > 0) out.meta = { ...request.meta };
    const accountId = request.meta?.accountId;
    if (accountId) out.accountId = accountId;
    const chatId = Number(request.meta?.chatId);
    if (Number.isSafeInteger(chatId) && chatId > 0) out.chatId = chatId;
    return out;
  }

  private event(kind: PairingEventKind, senderId: string, code?: string): PairingEvent {
    const event: PairingEvent = { kind, channel: PAIRING_CHANNEL, senderId, at: new Date(this.now()).toISOString() };
    if (code) event.code = code;
    return event;
  }

  private emitAll(events: readonly PairingEvent[]): void {
    for (const event of events) this.emit('pairing', event);
  }

  private newCode(taken: ReadonlySet<string>): string {
    try {
      return generateUniqueCode(taken, this.generateCode);
    } catch (error) {
      if (error instanceof PairingCodeSpaceError) throw new PairingStoreError('code-space-exhausted', error.message, { cause: error });
      throw error;
    }
  }

  /** Pending file for the unlocked fast path, re-parsed only when it changed. */
  private readPendingCached(): PairingFile {
    try {
      const version = fileVersion(this.pairingPath);
      if (this.pendingCache && this.pendingCache.version === version) return this.pendingCache.file;
      const text = version === undefined ? undefined : readFileIfExistsSync(this.pairingPath);
      const file = parseStoreFile(this.pairingPath, text, pairingFileSchema, EMPTY_PAIRING);
      this.pendingCache = { version, file };
      return file;
    } catch {
      // Unreadable: skip the fast path; the locked path reports (and preserves) a bad file.
      return EMPTY_PAIRING;
    }
  }

  private async ensureDir(): Promise<void> {
    await fs.mkdir(this.credentialsDir, { recursive: true, mode: DIR_MODE });
    if (this.dirChecked) return;
    const stat = await fs.stat(this.credentialsDir);
    // Credentials must not be readable by other users, even if the directory predates us.
    if ((stat.mode & 0o077) !== 0) await fs.chmod(this.credentialsDir, DIR_MODE);
    this.dirChecked = true;
  }

  /** Reads a store file under its lock; a bad file is moved aside and reported. */
  private async readLocked<T>(path: string, schema: z.ZodType<T>, empty: T): Promise<T> {
    // Synchronous: a few KB at most, read while holding the lock (shorter is better for everyone).
    const text = readFileIfExistsSync(path);
    try {
      return parseStoreFile(path, text, schema, empty);
    } catch (error) {
      if (error instanceof PairingStoreError && error.code === 'corrupt') {
        const preservedAt = await preserveCorruptFile(path);
        this.logger.error('pairing store file was unreadable and has been moved aside', { path, preservedAt, error: error.message });
        throw new PairingStoreError(
          'corrupt',
          `${error.message} It was moved to ${preservedAt} so nothing is lost; a new empty file will be used from now on. Inspect or delete the copy.`,
          { path, preservedAt, cause: error },
        );
      }
      throw error;
    }
  }

  private async locked<T>(path: string, fn: () => Promise<T>): Promise<T> {
    try {
      await this.ensureDir();
      return await withFileLock(path, fn, this.lockOptions);
    } catch (error) {
      if (error instanceof FileLockError) throw new PairingStoreError('locked', error.message, { path, cause: error });
      throw writeProblem(path, error) ?? error;
    }
  }

  /**
   * Read-modify-write of the pending requests under the lock. `change` sees only live requests
   * (expired ones are already removed and reported) and says whether it changed anything; the
   * file is written when it did or when pruning removed something. Events are emitted after the
   * write succeeded and the lock is released.
   */
  private async mutatePending<T>(
    change: (requests: StoredRequest[], events: PairingEvent[]) => { write: boolean; value: T } | Promise<{ write: boolean; value: T }>,
    removedOut?: PairingRequest[],
  ): Promise<T> {
    const events: PairingEvent[] = [];
    const value = await this.locked(this.pairingPath, async () => {
      const file = await this.readLocked(this.pairingPath, pairingFileSchema, EMPTY_PAIRING);
      let requests = file.requests.filter((request) => !this.isExpired(request));
      const dropped = file.requests.filter((request) => this.isExpired(request));
      if (requests.length > this.maxPending) {
        // Keep the most recently active ones (e.g. after maxPending was lowered).
        const byActivity = requests.slice().sort((a, b) => Date.parse(b.lastSeenAt) - Date.parse(a.lastSeenAt));
        const keep = new Set(byActivity.slice(0, this.maxPending));
        dropped.push(...requests.filter((request) => !keep.has(request)));
        requests = requests.filter((request) => keep.has(request));
      }
      for (const request of dropped) {
        events.push(this.event('expired', request.id, request.code));
        removedOut?.push(this.toPublic(request));
      }
      const outcome = await change(requests, events);
      if (outcome.write || dropped.length > 0) {
        const next: PairingFile = { version: 1, requests };
        // Pending requests are ephemeral (1 h TTL) and re-created when the sender writes again, so
        // they skip the fsync: the rename keeps the file whole if we are killed, and the pairing
        // reply — on the per-message path — is not held up by a disk flush. The file is small, so
        // it is written synchronously. Approvals (the allow store below) stay durable.
        writeFileAtomicSync(this.pairingPath, serialize(next), { mode: FILE_MODE, dirMode: DIR_MODE, durable: false });
      }
      return outcome.value;
    });
    this.emitAll(events);
    return value;
  }

  private async mutateAllowFrom<T>(change: (senders: string[]) => { write: boolean; value: T }): Promise<T> {
    return this.locked(this.allowFromPath, async () => {
      const file = await this.readLocked(this.allowFromPath, allowFromFileSchema, EMPTY_ALLOW_FROM);
      const senders = cleanSenders(file.allowFrom);
      const outcome = change(senders);
      if (outcome.write) {
        const next: AllowFromFile = { version: 1, allowFrom: senders };
        await writeFileAtomic(this.allowFromPath, serialize(next), { mode: FILE_MODE, dirMode: DIR_MODE });
      }
      return outcome.value;
    });
  }
}

/**
 * A failed write the user can fix (full disk, read-only volume, wrong owner) as a PairingStoreError
 * that names the file and the fix; a bare `ENOSPC: no space left on device, write` names neither.
 */
function writeProblem(path: string, error: unknown): PairingStoreError | undefined {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const dir = dirname(path);
  const fix =
    code === 'ENOSPC' || code === 'EDQUOT'
      ? 'Free some disk space and try again.'
      : code === 'EROFS'
        ? `${dir} is on a read-only volume; point CLAWDBOT_STATE_DIR at a writable folder.`
        : code === 'EACCES' || code === 'EPERM'
          ? `Make ${dir} writable by your user (chmod 700 on the folder, 600 on its files).`
          : undefined;
  if (fix === undefined) return undefined;
  return new PairingStoreError('io', `Cannot write ${path}: ${(error as Error).message}. ${fix}`, { path, cause: error });
}

/** The entries of `meta` that have a value. */
function definedStrings(meta: PairingRequestMeta): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(meta)) if (value !== undefined) out[key] = value;
  return out;
}

/** Trimmed, without blanks, "*" or duplicates: the store may never open access to everyone. */
function cleanSenders(senders: readonly string[]): string[] {
  const seen = new Set<string>();
  for (const sender of senders) {
    const value = sender.trim();
    if (value !== '' && value !== '*') seen.add(value);
  }
  return [...seen];
}

