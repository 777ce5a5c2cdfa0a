#!/usr/bin/env node
// Entry point of the `clawdbot` command. The real program is the esbuild bundle made by
// `npm install` (prepare) or `npm run build:node`; see scripts/build-node.mjs.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const bundle = fileURLToPath(new URL('../out/node/cli.js', import.meta.url));
if (!existsSync(bundle)) {
  console.error('clawdbot: the CLI is not built yet (missing out/node/cli.js). Run `npm run build:node` in the checkout.');
  process.exit(1);
}
await import(pathToFileURL(bundle).href);
