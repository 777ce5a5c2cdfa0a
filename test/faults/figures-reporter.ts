// Vitest reporter of the fault and abuse suite: after the run, one line per attack with its figures
// (connections held, requests refused, messages lost, doubled), as recorded by the tests
// (figures.ts). `npm run test:faults` runs the suite with it; `npm test` prints the same lines at
// the end of the whole run.
import type { Reporter, TestModule } from 'vitest/node';
import './figures';

export default class FiguresReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const rows: { mark: string; attack: string; figures: string }[] = [];
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const attack = test.meta().attack;
        if (!attack) continue;
        const state = test.result().state;
        const mark = state === 'passed' ? '✓' : state === 'failed' ? '✗' : '–';
        const figures = Object.entries(attack.figures)
          .map(([name, value]) => `${name} ${value}`)
          .join(' · ');
        rows.push({ mark, attack: attack.attack, figures });
      }
    }
    if (rows.length === 0) return;
    const width = Math.max(...rows.map((row) => row.attack.length));
    const out = ['', 'Fault and abuse suite (one line per attack):', ...rows.map((row) => `  ${row.mark} ${row.attack.padEnd(width)}  ${row.figures}`), ''];
    process.stdout.write(`${out.join('\n')}\n`);
  }
}
