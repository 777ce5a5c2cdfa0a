// The folder this program was installed from: the one holding our package.json (a checkout, or the
// app bundle's resources). Found by walking up from this module because its depth differs between
// the TypeScript sources (main/util/), the CLI bundle (out/node/, out/node/chunks/) and the Electron
// build (out/main/), so it cannot be a fixed `../..`. Recognised by the package name, not by the
// presence of some test folder: the product must not depend on what the tests look like.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `name` in our package.json. */
export const PACKAGE_NAME = 'clawdbot-mac';

let cached: string | null | undefined;

/** The install root, or null when this code does not run from one (e.g. copied elsewhere). */
export function checkoutRoot(): string | null {
  if (cached !== undefined) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 6; depth++) {
    if (isOurPackage(join(dir, 'package.json'))) return (cached = dir);
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return (cached = null);
}

function isOurPackage(path: string): boolean {
  if (!existsSync(path)) return false;
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as { name?: unknown }).name === PACKAGE_NAME;
  } catch {
    return false;
  }
}
