// Real file-system faults for tests: a full disk and a read-only state folder.
//
// As root (this dev box, most CI containers) permission bits do not stop writes, so the faults are
// made with a tiny tmpfs mounted on a temp folder: filled up → ENOSPC, remounted read-only →
// EROFS. As an ordinary user, mount is not allowed, but permission bits work: read-only is then
// chmod 0500 (EACCES), and a full disk cannot be simulated (those tests are skipped, saying why).
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const isRoot = process.getuid?.() === 0;

let mountWorks: boolean | undefined;

/** True when tmpfs mounts work here (root with CAP_SYS_ADMIN). Checked once. */
export function canMountTmpfs(): boolean {
  if (mountWorks !== undefined) return mountWorks;
  if (!isRoot) return (mountWorks = false);
  const probe = mkdtempSync(join(tmpdir(), 'tmpfs-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    mountWorks = true;
  } catch {
    mountWorks = false;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
  return mountWorks;
}

/** Read-only faults are possible with a tmpfs (root) or with permission bits (non-root). */
export const canMakeReadOnly = (): boolean => canMountTmpfs() || !isRoot;
/** A full disk needs a tmpfs. */
export const canFillDisk = (): boolean => canMountTmpfs();

/** A folder whose file system can be made full or read-only on demand. */
export class FaultyVolume {
  private mounted = false;
  private filler: string;

  private constructor(readonly dir: string) {
    this.filler = join(dir, '.filler');
  }

  /** A fresh folder; on a `sizeKb` tmpfs when mounts work. */
  static create(sizeKb = 256): FaultyVolume {
    const dir = mkdtempSync(join(tmpdir(), 'faulty-volume-'));
    const volume = new FaultyVolume(dir);
    if (canMountTmpfs()) {
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k,mode=0700`, 'tmpfs', dir]);
      volume.mounted = true;
    }
    return volume;
  }

  /** Uses up every free block (ENOSPC from now on). Needs a tmpfs. */
  fill(): void {
    if (!this.mounted) throw new Error('fill() needs a tmpfs (run as root)');
    try {
      writeFileSync(this.filler, Buffer.alloc(64 * 1024 * 1024));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
    }
  }

  /** Frees the space taken by fill(). */
  free(): void {
    rmSync(this.filler, { force: true });
  }

  /** Makes the folder read-only: remount (tmpfs; no file may be open for writing) or chmod. */
  readOnly(): void {
    if (this.mounted) execFileSync('mount', ['-o', 'remount,ro', this.dir]);
    else for (const dir of this.dirs()) chmodSync(dir, 0o500);
  }

  writable(): void {
    if (this.mounted) execFileSync('mount', ['-o', 'remount,rw', this.dir]);
    else for (const dir of this.dirs()) chmodSync(dir, 0o700);
  }

  /** Every file and folder below the volume (relative paths), except the filler. */
  list(): string[] {
    return (readdirSync(this.dir, { recursive: true }) as string[]).filter((path) => path !== '.filler').sort();
  }

  dispose(): void {
    if (this.mounted) {
      try {
        execFileSync('umount', [this.dir], { stdio: 'ignore' });
      } catch {
        // Busy (an fd left open by a failing test): a lazy unmount still frees it.
        execFileSync('umount', ['-l', this.dir], { stdio: 'ignore' });
      }
      this.mounted = false;
    } else {
      for (const dir of this.dirs()) chmodSync(dir, 0o700);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private dirs(): string[] {
    const below = (readdirSync(this.dir, { recursive: true }) as string[]).map((path) => join(this.dir, path)).filter((path) => statSync(path).isDirectory());
    return [this.dir, ...below];
  }
}

/** Leftovers an interrupted atomic write or lock could leave behind. */
export function partialFiles(paths: readonly string[]): string[] {
  return paths.filter((path) => /\.tmp$/.test(path) || /\.lock$/.test(path));
}

export function ensureDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
}
