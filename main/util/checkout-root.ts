// The folder of this checkout (the one with the package.json), found by walking up from this
// module. Its depth differs between the TypeScript sources (main/util/), the CLI bundle
// (out/node/, out/node/chunks/) and the Electron build (out/main/), so it cannot be a fixed `../..`.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | null | undefined;

/** The checkout root, or null when this code does not run from a checkout (e.g. a packaged app). */
export function checkoutRoot(): string | null {
  if (cached !== undefined) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 6; depth++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'e2e', 'imsg-sim'))) return (cached = dir);
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return (cached = null);
}
