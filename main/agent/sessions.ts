// Sessions: which conversation a message belongs to (the session key), and that conversation's
// transcript on disk (`<stateDir>/agents/<agentId>/sessions/<file>.jsonl`, one JSON line per turn).
//
// Session keys follow upstream's shapes so transcripts stay recognisable:
//   groups:                      agent:<agentId>:imessage:group:<chat_id>
//   DMs, dmScope per-channel-peer (OUR DEFAULT): agent:<agentId>:imessage:dm:<sender>
//   DMs, dmScope main:           agent:<agentId>:main           (upstream's default)
//   DMs, dmScope per-peer:       agent:<agentId>:dm:<sender>
//   DMs, per-account-channel-peer: agent:<agentId>:imessage:<accountId>:dm:<sender>
// Why per-sender is our default: with upstream's `main`, every approved DM sender shares ONE
// conversation, so the assistant can repeat what one person said to another person (and loses
// track of who is who). Per-sender sessions keep each person's conversation private. `main` is
// still available for a single-user setup that wants one memory across channels.
//
// Performance: appends are one async `appendFile` per reply (both turns in one write), serialized
// per session; the file is never rewritten. The recent turns live in memory, loaded lazily from
// the end of the file on a session's first use, so the per-message path reads no file.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../util/logger';
import type { DmScope } from './model-config';

export interface TranscriptTurn {
  role: 'user' | 'assistant';
  text: string;
  /** ISO time. */
  ts: string;
  /** User turns: images that were attached (paths, not bytes; they are not re-sent later). */
  images?: Array<{ mime: string; path: string }>;
  /** Assistant turns: "<provider>/<model>" that answered. */
  model?: string;
}

export type SessionTarget =
  | { kind: 'group'; chatId: number | string }
  | { kind: 'dm'; /** Normalized sender handle (E.164 phone or lower-case email). */ peer: string; accountId?: string };

export function sessionKeyFor(agentId: string, target: SessionTarget, dmScope: DmScope = 'per-channel-peer'): string {
  const agent = `agent:${agentId}`;
  if (target.kind === 'group') return `${agent}:imessage:group:${target.chatId}`.toLowerCase();
  const peer = target.peer.trim();
  switch (dmScope) {
    case 'main':
      return `${agent}:main`.toLowerCase();
    case 'per-peer':
      return `${agent}:dm:${peer}`.toLowerCase();
    case 'per-account-channel-peer':
      return `${agent}:imessage:${target.accountId ?? 'default'}:dm:${peer}`.toLowerCase();
    case 'per-channel-peer':
      return `${agent}:imessage:dm:${peer}`.toLowerCase();
  }
}

/**
 * File name for a session key. Injective (two keys never share a file): `:` becomes `_`, and any
 * character outside `[a-z0-9.+@-]` (including `_` itself) is percent-encoded. Very long keys are
 * shortened with a hash to stay under file-system name limits.
 */
export function transcriptFileName(sessionKey: string): string {
  let name = '';
  for (const char of sessionKey) {
    if (char === ':') name += '_';
    else if (/[a-z0-9.+@-]/.test(char)) name += char;
    else name += encodeURIComponent(char).replace(/[!'()*_~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  }
  if (name.length > 180) name = `${name.slice(0, 160)}-${createHash('sha256').update(sessionKey).digest('hex').slice(0, 16)}`;
  return `${name}.jsonl`;
}

/** Where the history limits come from: the iMessage channel config (top-level values, as upstream). */
export interface HistoryLimitSource {
  /** Group sessions. */
  historyLimit?: number;
  /** DM sessions with a per-sender scope. */
  dmHistoryLimit?: number;
  /** Per-handle override of dmHistoryLimit. */
  dms?: Record<string, { historyLimit?: number }>;
}

/**
 * The transcript limit (in user turns) for a conversation, or undefined for "no limit" (0 also
 * means no limit, as upstream). DM limits apply only to per-sender sessions: in a shared `main`
 * session one person's limit would cut everybody's history.
 */
export function resolveHistoryLimit(source: HistoryLimitSource, target: SessionTarget, dmScope: DmScope = 'per-channel-peer'): number | undefined {
  let limit: number | undefined;
  if (target.kind === 'group') {
    limit = source.historyLimit;
  } else if (dmScope !== 'main') {
    limit = dmOverride(source.dms, target.peer) ?? source.dmHistoryLimit;
  }
  return limit !== undefined && limit > 0 ? Math.floor(limit) : undefined;
}

function dmOverride(dms: HistoryLimitSource['dms'], peer: string): number | undefined {
  if (!dms) return undefined;
  const exact = dms[peer]?.historyLimit;
  if (exact !== undefined) return exact;
  const lower = peer.toLowerCase();
  for (const [handle, entry] of Object.entries(dms)) {
    if (handle.trim().toLowerCase() === lower && entry.historyLimit !== undefined) return entry.historyLimit;
  }
  return undefined;
}

/** The turns from the `limit`-th last user turn on (all turns when limit is undefined). */
export function trimToUserTurns(turns: readonly TranscriptTurn[], limit: number | undefined): TranscriptTurn[] {
  if (limit === undefined) return turns.slice();
  let userTurns = 0;
  for (let i = turns.length - 1; i >= 0; i--) {
    if (turns[i]!.role === 'user' && ++userTurns === limit) return turns.slice(i);
  }
  return turns.slice();
}

// ---------------------------------------------------------------------------------------------
// Transcript store
// ---------------------------------------------------------------------------------------------

export interface SessionStoreOptions {
  /** `<stateDir>/agents/<agentId>/sessions`. */
  dir: string;
  logger: Logger;
  /**
   * Turns kept in memory per session, which is also the most history a prompt can carry when no
   * limit is configured (a ceiling against unbounded prompts; the file keeps everything).
   */
  maxCachedTurns?: number;
  /** Sessions kept in memory (least recently used are dropped and re-read on their next use). */
  maxCachedSessions?: number;
}

export interface SessionStore {
  /** Recent turns of a session, oldest first (loads the file's tail on first use). */
  history(sessionKey: string): Promise<readonly TranscriptTurn[]>;
  /**
   * Adds turns to the session: visible to `history` at once, written to the file in order in the
   * background. The promise settles when they are on disk (write errors are logged, not thrown).
   */
  append(sessionKey: string, turns: TranscriptTurn[]): Promise<void>;
  /** Waits for every queued write. */
  flush(): Promise<void>;
  transcriptPath(sessionKey: string): string;
}

interface SessionState {
  turns: TranscriptTurn[];
  /** The file's tail has been read. */
  loaded: Promise<void>;
  /** Loaded, and every appended turn is in `turns` (what `history` waits for). */
  ready: Promise<void>;
  /** Tail of this session's write chain. */
  writes: Promise<void>;
  pendingWrites: number;
  /** The file ends without a newline (torn last write): start the next append on a new line. */
  needsNewline: boolean;
}

const TAIL_CHUNK_BYTES = 64 * 1024;

export function createSessionStore(options: SessionStoreOptions): SessionStore {
  const maxTurns = options.maxCachedTurns ?? 200;
  const maxSessions = options.maxCachedSessions ?? 500;
  const sessions = new Map<string, SessionState>();
  let dirReady: Promise<unknown> | undefined;

  const pathFor = (key: string) => join(options.dir, transcriptFileName(key));

  function stateFor(key: string): SessionState {
    let state = sessions.get(key);
    if (state) {
      // Re-insert to mark it most recently used (Map keeps insertion order).
      sessions.delete(key);
      sessions.set(key, state);
      return state;
    }
    const fresh: SessionState = { turns: [], loaded: Promise.resolve(), ready: Promise.resolve(), writes: Promise.resolve(), pendingWrites: 0, needsNewline: false };
    fresh.loaded = load(key, fresh);
    fresh.ready = fresh.loaded;
    sessions.set(key, fresh);
    evictIdle();
    return fresh;
  }

  function evictIdle(): void {
    if (sessions.size <= maxSessions) return;
    for (const [key, state] of sessions) {
      if (sessions.size <= maxSessions) break;
      // A session with queued writes stays: reloading it now could miss the turns being written.
      if (state.pendingWrites === 0) sessions.delete(key);
    }
  }

  async function load(key: string, state: SessionState): Promise<void> {
    const path = pathFor(key);
    try {
      const { lines, endsWithNewline } = await readTailLines(path, maxTurns);
      let corrupt = 0;
      for (const line of lines) {
        const turn = parseTurn(line);
        if (turn) state.turns.push(turn);
        else corrupt++;
      }
      state.needsNewline = !endsWithNewline;
      if (corrupt > 0) options.logger.warn('skipped unreadable transcript lines', { path, lines: corrupt });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      options.logger.error('cannot read transcript; continuing without history', { path, error: String(error) });
    }
  }

  function remember(state: SessionState, turns: TranscriptTurn[]): void {
    state.turns.push(...turns);
    // Trim in batches so the per-message cost stays O(1) amortized.
    if (state.turns.length > maxTurns * 2) state.turns.splice(0, state.turns.length - maxTurns);
  }

  return {
    async history(key) {
      const state = stateFor(key);
      await state.ready;
      return state.turns.length > maxTurns ? state.turns.slice(-maxTurns) : state.turns;
    },

    append(key, turns) {
      const state = stateFor(key);
      state.pendingWrites++;
      const path = pathFor(key);
      // `load` never rejects, so neither chain can break.
      state.ready = state.ready.then(() => remember(state, turns));
      const write = async () => {
        await state.loaded;
        dirReady ??= fs.mkdir(options.dir, { recursive: true, mode: 0o700 });
        await dirReady;
        const lead = state.needsNewline ? '\n' : '';
        state.needsNewline = false;
        await fs.appendFile(path, lead + turns.map((t) => JSON.stringify(t)).join('\n') + '\n', { mode: 0o600 });
      };
      const done = state.writes.then(write).catch((error: unknown) => {
        dirReady = undefined;
        options.logger.error('cannot append to transcript', { path, error: String(error) });
      });
      state.writes = done.finally(() => {
        state.pendingWrites--;
      });
      return state.writes;
    },

    async flush() {
      await Promise.all([...sessions.values()].map((s) => s.writes));
    },

    transcriptPath: pathFor,
  };
}

function parseTurn(line: string): TranscriptTurn | undefined {
  try {
    const value = JSON.parse(line) as Partial<TranscriptTurn> | null;
    if (!value || (value.role !== 'user' && value.role !== 'assistant') || typeof value.text !== 'string') return undefined;
    return value as TranscriptTurn;
  } catch {
    return undefined;
  }
}

/** The last `maxLines` non-empty lines of a file, reading backwards in chunks (the file may be long). */
async function readTailLines(path: string, maxLines: number): Promise<{ lines: string[]; endsWithNewline: boolean }> {
  const handle = await fs.open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size === 0) return { lines: [], endsWithNewline: true };
    const chunks: Buffer[] = [];
    let position = size;
    let newlines = 0;
    while (position > 0 && newlines <= maxLines) {
      const length = Math.min(TAIL_CHUNK_BYTES, position);
      position -= length;
      const chunk = Buffer.alloc(length);
      await handle.read(chunk, 0, length, position);
      chunks.unshift(chunk);
      for (let i = 0; i < length; i++) if (chunk[i] === 0x0a) newlines++;
    }
    const data = Buffer.concat(chunks);
    const endsWithNewline = data[data.length - 1] === 0x0a;
    const lines = data.toString('utf8').split('\n');
    // When we stopped mid-file, the first piece is a partial line (maybe a cut UTF-8 character).
    if (position > 0) lines.shift();
    return { lines: lines.filter((l) => l.trim() !== '').slice(-maxLines), endsWithNewline };
  } finally {
    await handle.close();
  }
}
