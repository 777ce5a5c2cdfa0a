// Remembers that an imsg binary passed `imsg --version` and `imsg rpc --help`, so that the next
// start of the gateway (an app relaunch, `gateway restart`) needs one imsg process instead of
// three. Start-up time is a product goal, and through an SSH wrapper each process is a login.
//
// The entry is keyed by the resolved executable's path, size and modification time: upgrading or
// replacing imsg (or editing the wrapper script) invalidates it. What the key cannot see — a remote
// imsg behind an unchanged wrapper being downgraded — is caught by the supervisor, which forgets
// the entry when an attempt that relied on it fails, and checks in full again.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { readFileIfExists, writeFileAtomic } from '../util/atomic-file';
import { resolveExecutable } from './probe';

export interface CliCheck {
  imsgVersion?: string;
}

interface CacheEntry {
  path: string;
  size: number;
  mtimeMs: number;
  imsgVersion?: string;
}

function cachePath(stateDir: string, accountId: string): string {
  return join(stateDir, 'imessage', `${accountId}.imsg-checks.json`);
}

async function fingerprint(cliPath: string, env: NodeJS.ProcessEnv): Promise<Omit<CacheEntry, 'imsgVersion'> | undefined> {
  const resolved = await resolveExecutable(cliPath, env);
  if (!resolved.ok) return undefined;
  const stat = await fs.stat(resolved.path);
  return { path: resolved.path, size: stat.size, mtimeMs: stat.mtimeMs };
}

/** The remembered checks for this binary, or undefined (never checked, changed, unreadable). */
export async function readCliCheck(stateDir: string, accountId: string, cliPath: string, env: NodeJS.ProcessEnv = process.env): Promise<CliCheck | undefined> {
  try {
    const text = await readFileIfExists(cachePath(stateDir, accountId));
    if (text === undefined) return undefined;
    const entry = JSON.parse(text) as Partial<CacheEntry>;
    const current = await fingerprint(cliPath, env);
    if (!current || entry.path !== current.path || entry.size !== current.size || entry.mtimeMs !== current.mtimeMs) return undefined;
    return typeof entry.imsgVersion === 'string' ? { imsgVersion: entry.imsgVersion } : {};
  } catch {
    // A damaged cache only costs the full checks.
    return undefined;
  }
}

export async function writeCliCheck(stateDir: string, accountId: string, cliPath: string, check: CliCheck, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const current = await fingerprint(cliPath, env);
  if (!current) return;
  const entry: CacheEntry = { ...current, ...(check.imsgVersion ? { imsgVersion: check.imsgVersion } : {}) };
  // A cache: no fsync needed (a lost entry only costs the full checks once).
  await writeFileAtomic(cachePath(stateDir, accountId), `${JSON.stringify(entry)}\n`, { durable: false });
}

export async function forgetCliCheck(stateDir: string, accountId: string): Promise<void> {
  await fs.rm(cachePath(stateDir, accountId), { force: true });
}
