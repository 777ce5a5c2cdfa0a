// Serves the renderer build (out/renderer) as the gateway's web UI.
//
// Only files inside the build directory are served: the decoded path is normalized, dotfiles are
// refused, and the resolved real path must stay inside the real root (no `..`, no symlink out).
// A path without an extension that matches no file gets index.html (client-side routes); a
// missing file with an extension is a 404.
import { createReadStream, promises as fs } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, posix, relative, sep } from 'node:path';

/**
 * Content-Security-Policy of the web UI, as in the `<meta>` of renderer/index.html (a test
 * compares them): the meta covers the page when the app loads the files from disk, the header
 * when the gateway serves them.
 */
export const CONTROL_UI_CSP_META =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ws://127.0.0.1:* ws://localhost:*; base-uri 'none'; form-action 'none'";
/** The header adds `frame-ancestors`, which browsers honour only in a header (a meta one is ignored with a console error). */
export const CONTROL_UI_CSP = `${CONTROL_UI_CSP_META}; frame-ancestors 'none'`;

const MIME_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Headers on every response of the UI (and the gateway's own error pages). */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTROL_UI_CSP,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** 'no-ui': the build directory is missing (the renderer was not built). */
export type StaticResult = 'served' | 'not-found' | 'bad-request' | 'no-ui';

/**
 * Serves `urlPath` (already stripped of its query) from `root`. Writes the response for
 * 'served'; for the other results the caller answers (so all error pages look the same).
 */
export async function serveStatic(req: IncomingMessage, res: ServerResponse, root: string, urlPath: string): Promise<StaticResult> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return 'bad-request';
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return 'bad-request';
  const normalized = posix.normalize(decoded);
  const segments = normalized.split('/').filter(Boolean);
  if (segments.some((segment) => segment.startsWith('.'))) return 'not-found';

  let realRoot: string;
  try {
    realRoot = await fs.realpath(root);
  } catch {
    return 'no-ui';
  }
  const wanted = segments.length === 0 ? 'index.html' : segments.join('/');
  let file = await resolveInside(realRoot, wanted);
  if (!file && extname(wanted) === '') file = await resolveInside(realRoot, 'index.html');
  if (!file) return 'not-found';

  const isIndex = file.path === join(realRoot, 'index.html');
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Type': MIME_TYPES[extname(file.path).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': String(file.size),
    // Vite puts a content hash in every asset name under assets/, so those never change; the
    // page itself must be re-read after an upgrade.
    'Cache-Control': isIndex ? 'no-store' : wanted.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  if (req.method === 'HEAD') {
    res.end();
    return 'served';
  }
  await new Promise<void>((resolve) => {
    const stream = createReadStream(file.path);
    stream.on('error', () => {
      res.destroy();
      resolve();
    });
    stream.on('end', resolve);
    stream.pipe(res);
  });
  return 'served';
}

/** The real path of `root/relPath` if it is a regular file inside `root`, else undefined. */
async function resolveInside(realRoot: string, relPath: string): Promise<{ path: string; size: number } | undefined> {
  let real: string;
  try {
    real = await fs.realpath(join(realRoot, relPath));
  } catch {
    return undefined;
  }
  const rel = relative(realRoot, real);
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || rel.startsWith(sep)) return undefined;
  try {
    const stat = await fs.stat(real);
    return stat.isFile() ? { path: real, size: stat.size } : undefined;
  } catch {
    return undefined;
  }
}
