// Opening chat.db for reading, and how a failure is worded (spec §1.5). A missing or unreadable
// file, or IMSG_SIM_FDA=denied, is a Full Disk Access failure, as on a Mac.
import { describeSqliteError } from './sqlite';
import { MessageStore } from './store';
import type { SimSettings } from './settings';
import { FDA_DENIED_UNDERLYING, isPermissionOpenError, permissionBanner, permissionEnumDump } from './texts';

export type OpenOutcome =
  | { ok: true; store: MessageStore }
  | { ok: false; /** The underlying SQLite error, e.g. "unable to open database file (code: 14)". */ underlying: string };

export function openStore(dbPath: string, home: string, settings: SimSettings): OpenOutcome {
  if (settings.fdaDenied) return { ok: false, underlying: FDA_DENIED_UNDERLYING };
  try {
    return { ok: true, store: MessageStore.open(dbPath, settings.profile, home) };
  } catch (error) {
    // better-sqlite3 checks the directory itself and throws its own text; SQLite would say CANTOPEN.
    if (error instanceof Error && /^Cannot open database/.test(error.message)) {
      return { ok: false, underlying: 'unable to open database file (code: 14)' };
    }
    return { ok: false, underlying: describeSqliteError(error) };
  }
}

/** The text imsg prints (or, 0.8.2+, puts in every RPC error's `data`) when chat.db cannot be opened. */
export function openFailureText(dbPath: string, underlying: string, settings: SimSettings): string {
  if (!isPermissionOpenError(underlying)) return underlying;
  return settings.profile.readableCliErrors ? permissionBanner(dbPath, underlying) : permissionEnumDump(dbPath, underlying);
}
