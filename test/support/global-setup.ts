// Builds the plain-Node bundles (out/node/cli.js, out/node/imsg-sim.js) once before the test run,
// so integration tests spawn exactly what users run.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  execFileSync(process.execPath, ['scripts/build-node.mjs'], { cwd: root, stdio: 'inherit', env: { ...process.env, CI_QUIET: '1' } });
}
