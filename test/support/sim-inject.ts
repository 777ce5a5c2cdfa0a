// Injecting into the simulated chat.db while the gateway is busy. SimDb runs its inserts in a
// deferred transaction: when the simulator (another connection) commits a sent row between the
// transaction's first read and its first write, SQLite answers SQLITE_BUSY at once instead of
// waiting (its deadlock rule for upgrading readers), so busy_timeout does not help. A retry after
// a moment does. (Reported: SimDb could use BEGIN IMMEDIATE, `transaction(fn).immediate()`.)
import type { InjectOptions, InjectResult, SimDb } from '../../sim/lib';

function isBusy(error: unknown): boolean {
  return typeof (error as { code?: unknown })?.code === 'string' && (error as { code: string }).code.startsWith('SQLITE_BUSY');
}

async function retrying<T>(write: () => T): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return write();
    } catch (error) {
      if (!isBusy(error) || attempt >= 50) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1 + attempt));
    }
  }
}

export const inject = (sim: SimDb, options: InjectOptions): Promise<InjectResult> => retrying(() => sim.inject(options));
export const injectMany = (sim: SimDb, list: InjectOptions[]): Promise<InjectResult[]> => retrying(() => sim.injectMany(list));
