// Keeps the benchmark (`npm run bench`, bench/run.ts) from rotting: runs every scenario with tiny
// sizes against the real gateway process and checks that it completes and reports sane figures.
// The figures of a smoke run mean nothing; the invariants (everything answered or skipped) do.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runBench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run bench (smoke)', () => {
  it('runs every scenario with tiny sizes and writes a complete, sane result', async () => {
    const out = join(dir, 'latest.json');
    const { code, stdout, stderr } = await runBench(['--smoke', '--out', out]);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/^Machine: .+ cores/m);
    expect(stdout).toContain('| cold start to iMessage channel listening | 2.96 s (19 s on first start) | ≤ 0.3 s |');

    const result = JSON.parse(readFileSync(out, 'utf8'));
    expect(result.mode).toBe('smoke');
    expect(result.machine.cores).toBeGreaterThan(0);
    expect(result.table.map((row: { figure: string }) => row.figure)).toEqual([
      'cold start to iMessage channel listening',
      'resident memory of the gateway at idle',
      'unknown DM → pairing reply sent (send received by imsg)',
      'approved DM → agent reply sent, model answering instantly',
      'imsg rpc killed',
    ]);
    const r = result.results;
    expect(r.cold.listeningMs.median).toBeGreaterThan(0);
    expect(r.idle.samples[0].rssMb).toBeGreaterThan(10);
    for (const latency of [r.pairing, r.agent, r.debounce]) {
      expect(latency.endToEndMs.n).toBeGreaterThan(0);
      expect(latency.endToEndMs.min).toBeGreaterThan(0);
      expect(latency.gatewayMs.median).toBeLessThanOrEqual(latency.endToEndMs.median);
      expect(latency.cpuMsPerMessage).toBeGreaterThan(0);
    }
    // The real debounce is visible in what a user waits (a fallback poll may catch one message
    // early, so the slowest of the few smoke messages is what shows it).
    expect(r.debounce.endToEndMs.max).toBeGreaterThan(400);
    for (const burst of r.bursts) expect(burst).toMatchObject({ answered: burst.messages, missing: 0, doubled: 0 });
    expect(r.groups).toMatchObject({ answered: 0, missing: 0, skipped: r.groups.messages });
    expect(r.kill.idleRecoveryMs.every((ms: number) => ms > 0 && ms < 15_000)).toBe(true);
    if (r.ui.built) expect(r.ui.bundleGzipKb).toBeGreaterThan(1);
  }, 120_000);
});
