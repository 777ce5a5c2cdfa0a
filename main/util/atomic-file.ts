// Atomic file writes: write a temp file in the same directory, fsync it, rename it over the target.
// A reader (another process, or this one after a crash) sees the old file or the new one, never a
// half-written one. On any failure the temp file is removed and the target is left untouched.
import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fsyncSync, mkdirSync, openSync, promises as fs, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /** File mode of the new file (default 0o600: config and state may hold tokens and phone numbers). */
  mode?: number;
  /** Mode for the parent directory if it has to be created (default 0o700). */
  dirMode?: number;
  /**
   * fsync the data before the rename (default true). The rename alone already guarantees that a
   * killed process leaves the old or the new file; the fsync adds durability across a power loss
   * and costs milliseconds. Only ephemeral, re-creatable state may turn it off.
   */
  durable?: boolean;
}

/** A unique hidden temp file beside `path` (same directory, so the rename stays atomic). */
function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

export async function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const mode = options.mode ?? 0o600;
  const dir = dirname(path);
  await fs.mkdir(dir, { recursive: true, mode: options.dirMode ?? 0o700 });
  const tmp = tempPathFor(path);
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(tmp, 'wx', mode);
    await handle.writeFile(data);
    if (options.durable !== false) await handle.sync();
    await handle.close();
    handle = undefined;
    // open() applies the umask; make the mode exact.
    await fs.chmod(tmp, mode);
    await fs.rename(tmp, path);
  } catch (error) {
    if (handle) await handle.close().catch(() => {});
    await fs.rm(tmp, { force: true }).catch(() => {});
    throw error;
  }
}

/**
 * Synchronous twin of writeFileAtomic, for small files on the per-message path: five syscalls in a
 * row cost far less than five thread-pool round trips (a pending pairing request is written
 * before its code is sent). Not for large files or durable writes on the event loop.
 */
export function writeFileAtomicSync(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): void {
  const mode = options.mode ?? 0o600;
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: options.dirMode ?? 0o700 });
  const tmp = tempPathFor(path);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', mode);
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    for (let written = 0; written < bytes.length; ) written += writeSync(fd, bytes, written);
    // open() applies the umask; make the mode exact.
    fchmodSync(fd, mode);
    if (options.durable !== false) fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    throw error;
  }
}

/** Reads a file, or returns undefined when it does not exist (other errors are thrown). */
export async function readFileIfExists(path: string): Promise<string | undefined> {
  try {
    return await fs.readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Synchronous twin of readFileIfExists, for the few places that must not yield (journal replay). */
export function readFileIfExistsSync(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Moves a file that could not be parsed out of the way (`<name>.corrupt-<time>`), so that the
 * user's data is kept for inspection and never silently replaced. Returns the new path.
 */
export async function preserveCorruptFile(path: string): Promise<string> {
  const aside = `${path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  await fs.rename(path, aside);
  return aside;
}
