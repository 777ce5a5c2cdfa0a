// What a process costs, read from Linux /proc: resident memory and CPU time. (macOS has no /proc;
// the benchmark runs on Linux CI and dev boxes. On a Mac these return undefined.)
import { readdirSync, readFileSync } from 'node:fs';

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** VmRSS and VmHWM (peak) in MB. */
export function memoryOf(pid: number): { rssMb: number; peakMb: number } | undefined {
  const status = read(`/proc/${pid}/status`);
  if (!status) return undefined;
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}

/**
 * CPU time used so far by all threads of `pid`, in ms. Uses the scheduler's nanosecond counters
 * (/proc/<pid>/task/<tid>/schedstat) rather than utime+stime, which tick at 10 ms.
 */
export function cpuMsOf(pid: number): number | undefined {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  let ns = 0;
  for (const tid of tasks) {
    const schedstat = read(`/proc/${pid}/task/${tid}/schedstat`);
    if (schedstat) ns += Number(schedstat.split(' ')[0]);
  }
  if (ns > 0) return ns / 1e6;
  // Fallback: utime + stime (fields 14 and 15, in clock ticks of 10 ms).
  const stat = read(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
