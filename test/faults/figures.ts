// The figures of the fault and abuse suite: each attack test records one line's worth (what was
// done, and the figures: connections held, requests refused, messages lost, doubled) on its task,
// and the suite's reporter (figures-reporter.ts, `npm run test:faults`) prints one line per attack.
import type { TaskMeta } from 'vitest';

export interface AttackFigures {
  /** What was done to the gateway, e.g. "imsg rpc SIGKILLed 3× during 1,000 messages". */
  attack: string;
  /** Named figures in the order they are printed, e.g. { lost: 0, doubled: 0 }. */
  figures: Record<string, number | string>;
}

declare module 'vitest' {
  interface TaskMeta {
    attack?: AttackFigures;
  }
}

/** Records the attack's figures on the running test (`it('…', ({ task }) => recordFigures(task, …))`). */
export function recordFigures(task: { meta: TaskMeta }, figures: AttackFigures): void {
  task.meta.attack = figures;
}
