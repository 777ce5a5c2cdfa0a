// Lazy access to better-sqlite3. The native module is only loaded when a command really touches
// chat.db, so `imsg --version` / `imsg rpc --help` (the gateway's probes) stay cheap.
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';

export type Database = BetterSqlite3.Database;
export type Statement<P extends unknown[] | {} = unknown[], R = unknown> = BetterSqlite3.Statement<P, R>;

let ctor: typeof BetterSqlite3 | undefined;

function databaseCtor(): typeof BetterSqlite3 {
  ctor ??= createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
  return ctor;
}

/** Opens chat.db the way imsg does: read-only, existing file only, 5 s busy timeout, not immutable. */
export function openReadOnly(path: string): Database {
  const Ctor = databaseCtor();
  return new Ctor(path, { readonly: true, fileMustExist: true, timeout: 5000 });
}

/** Opens (or creates) chat.db for writing, the way Messages.app does: WAL journal, 5 s busy timeout. */
export function openWritable(path: string, options: { mustExist: boolean }): Database {
  const Ctor = databaseCtor();
  const db = new Ctor(path, { fileMustExist: options.mustExist, timeout: 5000 });
  db.pragma('journal_mode = WAL');
  // Messages runs with synchronous=NORMAL in WAL mode; it is also what keeps bulk injection fast.
  db.pragma('synchronous = NORMAL');
  return db;
}

// Primary result codes by name, so errors can be printed the way SQLite.swift does: "<text> (code: N)".
const PRIMARY_CODES: Record<string, number> = {
  SQLITE_ERROR: 1, SQLITE_INTERNAL: 2, SQLITE_PERM: 3, SQLITE_ABORT: 4, SQLITE_BUSY: 5, SQLITE_LOCKED: 6,
  SQLITE_NOMEM: 7, SQLITE_READONLY: 8, SQLITE_INTERRUPT: 9, SQLITE_IOERR: 10, SQLITE_CORRUPT: 11,
  SQLITE_NOTFOUND: 12, SQLITE_FULL: 13, SQLITE_CANTOPEN: 14, SQLITE_PROTOCOL: 15, SQLITE_EMPTY: 16,
  SQLITE_SCHEMA: 17, SQLITE_TOOBIG: 18, SQLITE_CONSTRAINT: 19, SQLITE_MISMATCH: 20, SQLITE_MISUSE: 21,
  SQLITE_NOLFS: 22, SQLITE_AUTH: 23, SQLITE_FORMAT: 24, SQLITE_RANGE: 25, SQLITE_NOTADB: 26,
};

/** Renders any error thrown by SQLite as `"<message> (code: N)"` (plain message for other errors). */
export function describeSqliteError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('SQLITE_')) {
    const primary = PRIMARY_CODES[code] ?? PRIMARY_CODES[code.split('_').slice(0, 2).join('_')];
    if (primary !== undefined) return `${error.message} (code: ${primary})`;
  }
  return error.message;
}
