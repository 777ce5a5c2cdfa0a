// CPU time (user + system) this process spends running `fn`, in ms. The fuzz tests' "no quadratic
// blow-up" bounds use it instead of wall time: on a busy 2-core CI machine the worker can sit
// descheduled for seconds while other test files and their child processes run, which says nothing
// about the algorithm. (Vitest runs each test file in its own forked process.)
export function cpuMs<T>(fn: () => T): { result: T; ms: number } {
  const before = process.cpuUsage();
  const result = fn();
  const used = process.cpuUsage(before);
  return { result, ms: (used.user + used.system) / 1000 };
}
