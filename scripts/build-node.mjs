// Bundles the plain-Node programs (the `clawdbot` CLI/gateway and the imsg simulator) with esbuild.
// Why a bundle and not a TypeScript loader: start-up time is a product goal (≤ 0.3 s to a listening
// channel), and one pre-built ESM file per program loads in milliseconds. npm dependencies stay
// external (resolved from node_modules at run time), so the bundles are small and builds take < 1 s.
// Runs on `npm install` (the `prepare` script), before the tests, and before benchmarks.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const started = Date.now();
await build({
  absWorkingDir: root,
  entryPoints: {
    cli: 'main/cli/index.ts',
    'imsg-sim': 'e2e/imsg-sim/cli.ts',
  },
  outdir: 'out/node',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  // Code behind a dynamic import() goes into its own chunk, so a command loads only what it uses
  // (e.g. `clawdbot --version` does not load zod, ws or the gateway).
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: 'linked',
  logLevel: 'warning',
});
if (!process.env.CI_QUIET) console.log(`built out/node (cli, imsg-sim) in ${Date.now() - started} ms`);
