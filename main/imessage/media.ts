// Media for iMessage: kind detection (for `<media:kind>` placeholders), the `mediaMaxMb` size
// rule (outbound and inbound), and loading outbound media from a local path or an http(s) URL into
// a local file that `imsg send --file` can read. Every size check happens before anything is sent
// or fully downloaded, so an oversized file never half-arrives.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { homedir } from 'node:os';
import { basename, extname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { extensionForMime, guessMimeType, mediaKind, type MediaKind } from '../util/media-types';

export const BYTES_PER_MB = 1024 * 1024;
export const DEFAULT_MEDIA_MAX_MB = 16;
/** The config key named in size errors. */
export const MEDIA_MAX_MB_KEY = 'channels.imessage.mediaMaxMb';

export class MediaError extends Error {
  override name = 'MediaError';
}

export function mediaMaxBytes(mediaMaxMb: number): number {
  return Math.floor(mediaMaxMb * BYTES_PER_MB);
}

/** `20.5 MB`; with more decimals when one decimal would look equal to the limit. */
export function formatMegabytes(bytes: number, limitMb?: number): string {
  const mb = bytes / BYTES_PER_MB;
  for (let digits = 1; digits <= 6; digits++) {
    const text = Number(mb.toFixed(digits)).toString();
    if (limitMb === undefined || Number(text) !== limitMb) return `${text} MB`;
  }
  return `${bytes} bytes`;
}

/** `Media file /x is 20.5 MB; the limit is 16 MB (channels.imessage.mediaMaxMb)`. */
export function mediaTooLargeMessage(what: string, bytes: number, maxMb: number, configKey = MEDIA_MAX_MB_KEY): string {
  return `${what} is ${formatMegabytes(bytes, maxMb)}; the limit is ${maxMb} MB (${configKey})`;
}

/** A URL for messages and logs: no credentials, query or fragment (they may hold tokens). */
export function describeUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

export interface LoadedMedia {
  /** Absolute local path to hand to imsg as `file`. */
  path: string;
  mimeType?: string;
  kind: MediaKind;
  bytes: number;
  /** True when the file was downloaded into `<stateDir>/media/outbound/`. */
  downloaded: boolean;
}

export interface LoadMediaOptions {
  /** `mediaMaxMb` of the account. */
  maxMb: number;
  stateDir: string;
  /** Whole download timeout (default 30 s). */
  timeoutMs?: number;
  /** Key named in size errors (default `channels.imessage.mediaMaxMb`). */
  configKey?: string;
  fetch?: typeof fetch;
  /** Downloads older than this are deleted when a new one is made (default 24 h). */
  keepDownloadsMs?: number;
}

/** The directory for downloaded outbound media. */
export function outboundMediaDir(stateDir: string): string {
  return join(stateDir, 'media', 'outbound');
}

/**
 * Resolves `source` (local path, `~/…`, `file://…`, or http(s) URL) to a local file within the
 * size limit. Throws MediaError with an actionable message otherwise.
 */
export async function loadOutboundMedia(source: string, options: LoadMediaOptions): Promise<LoadedMedia> {
  const value = source.trim();
  if (!value) throw new MediaError('Media path or URL is empty');
  if (/^https?:\/\//i.test(value)) return downloadMedia(value, options);
  let path: string;
  if (/^file:\/\//i.test(value)) {
    try {
      path = fileURLToPath(value);
    } catch (error) {
      throw new MediaError(`Invalid file URL ${value}: ${(error as Error).message}`);
    }
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    throw new MediaError(`Unsupported media URL scheme in ${value.split('?')[0]}; use a local path or an http(s) URL`);
  } else {
    path = value === '~' || value.startsWith('~/') ? join(homedir(), value.slice(1)) : value;
  }
  return loadLocalMedia(isAbsolute(path) ? path : resolve(path), options);
}

async function loadLocalMedia(path: string, options: LoadMediaOptions): Promise<LoadedMedia> {
  let stat;
  try {
    stat = await fs.stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new MediaError(`Media file ${path} not found`);
    throw new MediaError(`Media file ${path} cannot be read: ${(error as Error).message}`);
  }
  if (!stat.isFile()) throw new MediaError(`Media path ${path} is not a regular file`);
  if (stat.size > mediaMaxBytes(options.maxMb)) {
    throw new MediaError(mediaTooLargeMessage(`Media file ${path}`, stat.size, options.maxMb, options.configKey));
  }
  try {
    await fs.access(path, fs.constants.R_OK);
  } catch {
    throw new MediaError(`Media file ${path} is not readable (check its permissions)`);
  }
  const mimeType = guessMimeType(path);
  return { path, mimeType, kind: mediaKind({ mimeType, path }), bytes: stat.size, downloaded: false };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function safeFileName(name: string): string {
  // Keep letters, digits and a few separators; Messages shows this name to the recipient.
  const cleaned = name.replace(/[^\p{L}\p{N}._ -]+/gu, '_').replace(/^[.\s]+/, '').slice(-100);
  return cleaned || 'media';
}

async function downloadMedia(rawUrl: string, options: LoadMediaOptions): Promise<LoadedMedia> {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new MediaError(`Invalid media URL: ${rawUrl.split('?')[0]}`);
  }
  const shown = describeUrl(url);
  const maxBytes = mediaMaxBytes(options.maxMb);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const fetchImpl = options.fetch ?? fetch;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new MediaError(`Downloading media from ${shown} timed out after ${timeoutMs} ms`)), timeoutMs);
  const dir = outboundMediaDir(options.stateDir);
  let tmpPath: string | undefined;
  try {
    let response: Response;
    try {
      response = await fetchImpl(url, { signal: controller.signal, redirect: 'follow' });
    } catch (error) {
      throw controller.signal.aborted ? controller.signal.reason : new MediaError(`Could not download media from ${shown}: ${(error as Error).message}`);
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => {});
      throw new MediaError(`Could not download media from ${shown}: HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
    }
    const declared = Number(response.headers.get('content-length') ?? NaN);
    if (Number.isFinite(declared) && declared > maxBytes) {
      await response.body?.cancel().catch(() => {});
      throw new MediaError(mediaTooLargeMessage(`Media at ${shown}`, declared, options.maxMb, options.configKey));
    }

    const headerMime = response.headers.get('content-type')?.split(';')[0].trim().toLowerCase() || undefined;
    const urlName = safeDecode(basename(url.pathname)) || 'media';
    const mimeType = headerMime && headerMime !== 'application/octet-stream' ? headerMime : guessMimeType(urlName);
    let name = safeFileName(urlName);
    if (!extname(name) && mimeType) {
      const ext = extensionForMime(mimeType);
      if (ext) name = `${name}.${ext}`;
    }

    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    await pruneOldDownloads(dir, options.keepDownloadsMs ?? 24 * 60 * 60 * 1000);
    const finalPath = join(dir, `${Date.now()}-${randomBytes(4).toString('hex')}-${name}`);
    tmpPath = `${finalPath}.part`;
    const handle = await fs.open(tmpPath, 'wx', 0o600);
    let bytes = 0;
    try {
      if (response.body) {
        // Streamed with a running count: a missing or lying Content-Length cannot push past the cap.
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          bytes += chunk.byteLength;
          if (bytes > maxBytes) {
            controller.abort();
            throw new MediaError(
              `Media at ${shown} is larger than ${options.maxMb} MB (download stopped); the limit is ${options.maxMb} MB (${options.configKey ?? MEDIA_MAX_MB_KEY})`,
            );
          }
          await handle.write(chunk);
        }
      }
    } catch (error) {
      if (error instanceof MediaError) throw error;
      throw controller.signal.aborted ? controller.signal.reason : new MediaError(`Could not download media from ${shown}: ${(error as Error).message}`);
    } finally {
      await handle.close();
    }
    if (bytes === 0) throw new MediaError(`Media at ${shown} is empty`);
    await fs.rename(tmpPath, finalPath);
    tmpPath = undefined;
    return { path: finalPath, mimeType, kind: mediaKind({ mimeType, path: name }), bytes, downloaded: true };
  } finally {
    clearTimeout(timer);
    if (tmpPath) await fs.rm(tmpPath, { force: true }).catch(() => {});
  }
}

/** Deletes downloads older than maxAgeMs. imsg copies the file when it sends, so old ones are unused. */
async function pruneOldDownloads(dir: string, maxAgeMs: number): Promise<void> {
  const cutoff = Date.now() - maxAgeMs;
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const path = join(dir, name);
    try {
      const stat = await fs.stat(path);
      if (stat.isFile() && stat.mtimeMs < cutoff) await fs.rm(path, { force: true });
    } catch {
      // Raced with another prune or send: nothing to do.
    }
  }
}
