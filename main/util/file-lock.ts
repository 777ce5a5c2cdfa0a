// A cross-process lock around read-modify-write of a small state file, so the gateway, the app
// and the `clawdbot` CLI never lose each other's writes.
//
// Built on proper-lockfile rather than a hand-written O_EXCL file because it already does the hard
// parts right: the lock is a directory created with mkdir (atomic on every local file system),
// the holder refreshes its mtime while it works, and a lock whose mtime is older than `staleMs`
// (a crashed holder) is taken over. It also uses the same `<file>.lock` convention as the
// original gateway, so an original install sharing ~/.clawdbot/credentials takes the same lock.
//
// Inside one process, callers queue on a promise chain first: proper-lockfile would otherwise make
// them poll the lock directory against each other.
import lockfile from 'proper-lockfile';
import { backoffDelay, type BackoffPolicy } from './backoff';
import { KeyedSerialQueue } from './serial-queue';

export interface FileLockOptions {
  /** A lock not refreshed for this long is considered abandoned (default 30 s; minimum 2 s). */
  staleMs?: number;
  /** Attempts after the first before giving up (default 40, roughly 10–20 s in total). */
  retries?: number;
  /** First retry delay (default 10 ms); grows by 1.3× per retry up to maxRetryDelayMs. */
  minRetryDelayMs?: number;
  /** Largest retry delay (default 400 ms). */
  maxRetryDelayMs?: number;
}

export class FileLockError extends Error {
  readonly lockPath: string;
  readonly reason: 'busy' | 'compromised';

  constructor(lockPath: string, reason: 'busy' | 'compromised', cause?: unknown) {
    super(
      reason === 'busy'
        ? `Timed out waiting for the lock ${lockPath}. Another clawdbot process is holding it; if none is running, delete ${lockPath}.`
        : `The lock ${lockPath} was taken over while in use (the process stalled for too long); the last change may have to be repeated.`,
      { cause },
    );
    this.name = 'FileLockError';
    this.lockPath = lockPath;
    this.reason = reason;
  }
}

/** Callers in this process take turns per file before competing for the cross-process lock. */
const inProcessQueues = new KeyedSerialQueue<string>();


export function lockPathFor(file: string): string {
  return `${file}.lock`;
}

/**
 * Runs `fn` while holding the lock for `file` (the lock is `<file>.lock`; the file itself need
 * not exist, but its directory must).
 */
export async function withFileLock<T>(file: string, fn: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  return inProcessQueues.run(file, () => withCrossProcessLock(file, fn, options));
}

async function withCrossProcessLock<T>(file: string, fn: () => Promise<T>, options: FileLockOptions): Promise<T> {
  let compromised: Error | undefined;
  const lockOptions: AcquireFileLockOptions = {
    ...options,
    // The default handler throws from a timer, which would crash the gateway.
    onCompromised: (error) => {
      compromised = error;
    },
  };
  // Uncontended (nearly always), the lock is taken synchronously: a mkdir and a stat without two
  // thread-pool round trips. This sits on the per-message path (a pairing request per unknown
  // sender). Only when another process holds it do we wait, asynchronously, with retries.
  const release = tryAcquireFileLockSync(file, lockOptions) ?? (await acquireFileLock(file, lockOptions));
  try {
    const result = await fn();
    if (compromised) throw new FileLockError(lockPathFor(file), 'compromised', compromised);
    return result;
  } finally {
    await release().catch(() => {
      // Already released because it was compromised; nothing left to clean up.
    });
  }
}

/** The lock taken without waiting, or undefined when another process holds it. */
function tryAcquireFileLockSync(file: string, options: AcquireFileLockOptions): (() => Promise<void>) | undefined {
  let releaseSync: () => void;
  try {
    releaseSync = lockfile.lockSync(file, { ...properLockfileOptions(file, options), retries: 0 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOCKED') return undefined;
    throw error;
  }
  return async () => releaseSync();
}

function properLockfileOptions(file: string, options: AcquireFileLockOptions): lockfile.LockOptions {
  return {
    realpath: false,
    lockfilePath: lockPathFor(file),
    stale: Math.max(2000, options.staleMs ?? 30_000),
    retries: 0,
    onCompromised: options.onCompromised ?? (() => {}),
  };
}

export interface AcquireFileLockOptions extends FileLockOptions {
  /** Called if the lock is taken over while held (default: ignored). */
  onCompromised?: (error: Error) => void;
}

/**
 * Takes the lock for `file` and returns its release function. Retries (with growing, randomized
 * delays) only while another process holds the lock; any other failure (read-only volume, full
 * disk, permissions) is thrown at once. proper-lockfile's own retries would retry those too,
 * making every write to a broken state folder hang for 10–20 s before it fails.
 * Throws FileLockError('busy') when the retries run out.
 */
export async function acquireFileLock(file: string, options: AcquireFileLockOptions = {}): Promise<() => Promise<void>> {
  const lockPath = lockPathFor(file);
  const retries = options.retries ?? 40;
  // A delay between minRetryDelayMs and twice that, growing 1.3× per attempt up to maxRetryDelayMs
  // (and twice that): short waits for a lock that is usually held for a millisecond.
  const backoff: BackoffPolicy = { initialMs: 2 * (options.minRetryDelayMs ?? 10), maxMs: 2 * (options.maxRetryDelayMs ?? 400), factor: 1.3, jitter: 0.5 };
  for (let attempt = 0; ; attempt++) {
    try {
      return await lockfile.lock(file, properLockfileOptions(file, options));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
      if (attempt >= retries) throw new FileLockError(lockPath, 'busy', error);
      await new Promise((resolve) => setTimeout(resolve, backoffDelay(attempt, backoff)));
    }
  }
}
