// Bundles the plain-Node programs (the `clawdbot` CLI/gateway and the imsg simulator) with esbuild.
// Why a bundle and not a TypeScript loader: start-up time is a product goal (≤ 0.3 s to a listening
// channel). Pure-JS npm dependencies (zod, ws, commander, json5, …) are bundled too: loading them
// file by file from node_modules cost ~0.1 s of start-up and ~7 MB of memory. Native or optional
// native modules stay external and are resolved from node_modules at run time.
// Runs on `npm install` (the `prepare` script), before the tests, before benchmarks and on every
// `npm start`. Each file is written to a temp name and renamed into place, so a `clawdbot` started
// while a build runs (another terminal, a test) loads either the old file or the new one, never a
// half-written one.
import { build } from 'esbuild';
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, relative } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'out', 'node');

const started = Date.now();
const result = await build({
  absWorkingDir: root,
  entryPoints: {
    cli: 'main/cli/index.ts',
    'imsg-sim': 'sim/cli.ts',
  },
  outdir,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Native addons (and ws's optional native helpers) cannot be bundled; electron is never used here.
  external: ['better-sqlite3', 'bufferutil', 'utf-8-validate', 'electron', 'node-mac-permissions'],
  // Prefer packages' ESM builds: jsonc-parser's UMD "main" loads its parts with a dynamic require
  // that a bundle cannot follow.
  mainFields: ['module', 'main'],
  // Bundled CommonJS packages call require() for Node built-ins; give the ESM bundle one.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  // Code behind a dynamic import() goes into its own chunk, so a command loads only what it uses
  // (e.g. `clawdbot --version` does not load zod, ws or the gateway).
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'warning',
  write: false,
});
for (const file of result.outputFiles) {
  mkdirSync(dirname(file.path), { recursive: true });
  const tmp = `${file.path}.${process.pid}.tmp`;
  writeFileSync(tmp, file.contents);
  renameSync(tmp, file.path);
}

// Remove chunks of earlier builds (names carry a content hash). Only stale files are removed, so a
// gateway started from the previous build keeps the chunks it may still load lazily.
const fresh = new Set(Object.keys(result.metafile.outputs).map((path) => relative(root, join(root, path))));
const chunksDir = join(outdir, 'chunks');
for (const name of readdirSync(chunksDir)) {
  const path = relative(root, join(chunksDir, name));
  // Another build's temp files are its own business.
  if (!fresh.has(path) && !name.endsWith('.tmp')) rmSync(join(chunksDir, name), { force: true });
}
if (!process.env.CI_QUIET) console.log(`built out/node (cli, imsg-sim) in ${Date.now() - started} ms`);
