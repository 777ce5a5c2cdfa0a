// Fault injection for supervisor tests: the once-marker that lets a fault fire a single time across
// restarts, and the abrupt crash itself.
import { existsSync, writeFileSync } from 'node:fs';

export class OnceMarker {
  constructor(private readonly path: string | null) {}

  /** Whether a crash/stall fault may fire now (always, unless IMSG_SIM_ONCE names an existing file). */
  armed(): boolean {
    return this.path === null || !existsSync(this.path);
  }

  /** Records that a fault fired, so the next (restarted) process comes back healthy. */
  fire(what: string): void {
    if (this.path === null) return;
    try {
      writeFileSync(this.path, `${what} fired by pid ${process.pid} at ${new Date().toISOString()}\n`, { flag: 'wx' });
    } catch {
      // Another process created it first; either way the fault is now spent.
    }
  }
}

/** Dies like a crashed binary: no cleanup, no flush, killed by SIGKILL (a shell reports exit 137). */
export function crashNow(): never {
  process.kill(process.pid, 'SIGKILL');
  // SIGKILL is not deliverable asynchronously to ourselves in every environment; never fall through.
  process.exit(137);
}
