// Inbound attachments made usable for the agent (spec imessage-channel.md #18, #19; README: our
// `mediaMaxMb` applies inbound too). Only with `includeAttachments`. Each attachment either
// becomes a local file (`usable`) or a note saying why not (`skipped`), so the agent knows
// something was sent; nothing is dropped silently. With a remote Mac, kept files are copied with
// scp into a per-chat cache; copy failures also land in `errors` for the account's health.
//
// The path of an attachment comes from chat.db, and a row can name any file (`/etc/passwd`,
// `~/../../…`, a symlink planted in the folder). Local attachments are therefore confined: after
// `~` expansion and `realpath` (symlinks followed), the file must lie inside the account's Messages
// attachments folder (messagesAttachmentRoots); anything else is refused, logged and surfaced in
// health, and never read — the same rule scp.ts applies to remote paths.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, sep } from 'node:path';
import { displaySafe } from '../../contract/display-text';
import { expandHome, homeDir, type Env } from '../config/paths';
import type { ResolvedImessageAccount } from '../config/types';
import type { Logger } from '../util/logger';
import { guessMimeType, mediaKind, type MediaKind } from '../util/media-types';
import { formatMegabytes, MEDIA_MAX_MB_KEY, mediaMaxBytes } from './media';
import { scpFetch, type ScpFetchOptions } from './scp';
import type { ImsgAttachment, ImsgMessage } from '../../contract/imsg';

/** A file the agent can read. Compatible with the envelope's EnvelopeAttachment. */
export interface UsableAttachment {
  /** Local path (the Messages path itself, or the copy in the remote cache). */
  path: string;
  mime: string;
  name: string;
  kind: MediaKind;
  bytes: number;
  /** Where the file lives on the remote Mac, when it was copied. */
  remotePath?: string;
}

/** `refused`: the path leads outside the Messages attachments folder; the file was not read. */
export type SkipCode = 'missing' | 'too-large' | 'copy-failed' | 'refused';

/** An attachment the agent cannot use, and why. Compatible with the envelope's SkippedAttachment. */
export interface SkippedAttachment {
  name: string;
  /** Human-readable, shown to the agent: e.g. `20.5 MB exceeds the 16 MB limit (…)`. */
  reason: string;
  code: SkipCode;
  mime?: string;
  bytes?: number;
}

export interface AttachmentSelection {
  usable: UsableAttachment[];
  skipped: SkippedAttachment[];
  /** Failures worth surfacing in health (copy failures); policy skips are not errors. */
  errors: string[];
}

/** Copies one remote file to a local path (default: scpFetch). */
export type RemoteFetch = (remotePath: string, localPath: string) => Promise<void>;

export interface PrepareAttachmentsOptions {
  stateDir: string;
  /** The account's resolved remote host (explicit or detected); default `account.remoteHost`. */
  remoteHost?: string;
  /** Passed to scpFetch: `allowedRoots`, `sshConfigFile`, `timeoutMs`, `scpPath`. */
  scp?: Pick<ScpFetchOptions, 'allowedRoots' | 'sshConfigFile' | 'timeoutMs' | 'scpPath'>;
  /** Replaces scp (tests, or another transport). */
  fetchRemote?: RemoteFetch;
  logger?: Logger;
  /** Environment of the account's imsg (HOME; IMSG_SIM_HOME for the simulator). Default process.env. */
  env?: Env;
}

type AccountFields = Pick<ResolvedImessageAccount, 'accountId' | 'includeAttachments' | 'mediaMaxMb' | 'remoteHost' | 'dbPath'>;

/**
 * The home of the Mac user whose Messages the account reads: for a chat.db at
 * `<home>/Library/Messages/chat.db`, that `<home>`; for a chat.db elsewhere (the simulator's temp
 * databases), its folder; without a dbPath, the user's home. `~` in attachment paths means this.
 */
export function messagesHome(account: Pick<ResolvedImessageAccount, 'dbPath'>, env: Env = process.env): string {
  if (!account.dbPath) return homeDir(env);
  const messagesDir = dirname(account.dbPath);
  const libraryDir = dirname(messagesDir);
  if (basename(messagesDir) === 'Messages' && basename(libraryDir) === 'Library') return dirname(libraryDir);
  return messagesDir;
}

/**
 * Folders local attachments may be read from: `<messages home>/Library/Messages/Attachments` (where
 * Messages keeps them and imsg its copies), and the simulator's when IMSG_SIM_HOME moves it.
 */
export function messagesAttachmentRoots(account: Pick<ResolvedImessageAccount, 'dbPath'>, env: Env = process.env): string[] {
  const homes = [messagesHome(account, env), ...(env.IMSG_SIM_HOME?.trim() ? [expandHome(env.IMSG_SIM_HOME.trim(), env)] : [])];
  return [...new Set(homes.map((home) => join(home, 'Library', 'Messages', 'Attachments')))];
}

/** `path` resolved with realpath, and whether it lies strictly inside one of `roots` (resolved the same way). */
async function confinedRealPath(path: string, roots: readonly string[]): Promise<{ real: string } | { outside: string }> {
  const real = await fs.realpath(path); // throws ENOENT for a missing file or a dangling link
  for (const root of roots) {
    let realRoot: string;
    try {
      realRoot = await fs.realpath(root);
    } catch {
      continue; // no such folder: nothing can be inside it
    }
    if (real.startsWith(realRoot.endsWith(sep) ? realRoot : `${realRoot}${sep}`)) return { real };
  }
  return { outside: real };
}

/** `<stateDir>/media/remote-cache/<accountId>/<chat_id>/`. */
export function remoteCacheDir(stateDir: string, accountId: string, chatId: number): string {
  const account = accountId.toLowerCase().replace(/[^a-z0-9_-]/g, '_') || 'default';
  const chat = Number.isSafeInteger(chatId) && chatId >= 0 ? String(chatId) : 'unknown';
  return join(stateDir, 'media', 'remote-cache', account, chat);
}

function displayName(attachment: ImsgAttachment): string {
  const name = attachment.transfer_name?.trim() || basename(attachment.original_path || attachment.filename || '');
  return name || 'attachment';
}

/** A file name safe to create locally (the sender chose it). */
function safeLocalName(name: string): string {
  const cleaned = name.replace(/[/\\\x00-\x1f\x7f]+/g, '_').replace(/^[.\s-]+/, '').slice(-120);
  return cleaned || 'attachment';
}

/** Creates an empty file named `name` (or `stem-1.ext`, `stem-2.ext`…) in dir, atomically reserving it. */
async function reserveFile(dir: string, name: string): Promise<string> {
  const ext = extname(name);
  const stem = name.slice(0, name.length - ext.length) || 'attachment';
  for (let n = 0; n < 10_000; n++) {
    const path = join(dir, n === 0 ? name : `${stem}-${n}${ext}`);
    try {
      const handle = await fs.open(path, 'wx', 0o600);
      await handle.close();
      return path;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  throw new Error(`too many files named ${name} in ${dir}`);
}

/**
 * Selects and prepares the attachments of one message. Returns nothing usable when the account
 * does not include attachments (they are then ignored entirely, as configured).
 */
export async function prepareInboundAttachments(
  message: Pick<ImsgMessage, 'chat_id' | 'attachments'>,
  account: AccountFields,
  options: PrepareAttachmentsOptions,
): Promise<AttachmentSelection> {
  const selection: AttachmentSelection = { usable: [], skipped: [], errors: [] };
  if (!account.includeAttachments) return selection;
  const maxBytes = mediaMaxBytes(account.mediaMaxMb);
  const remoteHost = options.remoteHost ?? account.remoteHost;
  const tooLarge = (bytes: number) => `${formatMegabytes(bytes, account.mediaMaxMb)} exceeds the ${account.mediaMaxMb} MB limit (${MEDIA_MAX_MB_KEY})`;

  for (const attachment of message.attachments) {
    const name = displayName(attachment);
    const rawPath = attachment.original_path?.trim() ?? '';
    // imsg expands `~` itself; an older one (or a hand-written row) may not. Local paths only:
    // a remote Mac's `~` is not ours to expand.
    const sourcePath = remoteHost ? rawPath : rawPath.startsWith('~/') ? join(messagesHome(account, options.env), rawPath.slice(2)) : rawPath;
    const mime = attachment.mime_type?.trim() || guessMimeType(name) || guessMimeType(sourcePath) || 'application/octet-stream';
    const kind = mediaKind({ mimeType: attachment.mime_type, path: name, uti: attachment.uti });
    const skip = (code: SkipCode, reason: string, bytes?: number) =>
      selection.skipped.push({ name, reason, code, mime, ...(bytes !== undefined ? { bytes } : {}) });

    if (attachment.missing || !sourcePath || !isAbsolute(sourcePath)) {
      skip('missing', 'the file is not on the Mac (not downloaded from iCloud, or deleted)');
      continue;
    }
    const declared = typeof attachment.total_bytes === 'number' && attachment.total_bytes > 0 ? attachment.total_bytes : 0;
    if (declared > maxBytes) {
      skip('too-large', tooLarge(declared), declared);
      continue;
    }

    if (!remoteHost) {
      // Same machine: use the file in place, after checking where it really is and what it is.
      const roots = messagesAttachmentRoots(account, options.env);
      let realPath: string;
      let size: number;
      try {
        const confined = await confinedRealPath(sourcePath, roots);
        if ('outside' in confined) {
          const text = `attachment ${displaySafe(name)} of chat ${message.chat_id} refused: ${displaySafe(sourcePath)}${confined.outside !== sourcePath ? ` (really ${displaySafe(confined.outside)})` : ''} is outside the Messages attachments folder (${roots.join(', ')}); it was not read`;
          skip('refused', 'the file is outside the Messages attachments folder, so it was not read');
          selection.errors.push(text);
          options.logger?.warn(`imessage: ${text}`);
          continue;
        }
        realPath = confined.real;
        const stat = await fs.stat(realPath);
        if (!stat.isFile()) throw new Error('not a regular file');
        size = stat.size;
      } catch {
        skip('missing', 'the file is not on the Mac (not downloaded from iCloud, or deleted)');
        continue;
      }
      const bytes = Math.max(size, declared);
      if (bytes > maxBytes) {
        skip('too-large', tooLarge(bytes), bytes);
        continue;
      }
      selection.usable.push({ path: realPath, mime, name, kind, bytes });
      continue;
    }

    // Remote Mac: copy into the chat's cache under a reserved name, via a temp file so a failed
    // or partial copy never shows up as the real file.
    const dir = remoteCacheDir(options.stateDir, account.accountId, message.chat_id);
    let reserved: string | undefined;
    let temp: string | undefined;
    try {
      await fs.mkdir(dir, { recursive: true, mode: 0o700 });
      reserved = await reserveFile(dir, safeLocalName(name));
      temp = join(dir, `.${basename(reserved)}.${randomBytes(4).toString('hex')}.part`);
      const fetchRemote: RemoteFetch =
        options.fetchRemote ?? ((remotePath, localPath) => scpFetch({ ...options.scp, remoteHost, remotePath, localPath }));
      await fetchRemote(sourcePath, temp);
      await fs.chmod(temp, 0o600);
      const { size } = await fs.stat(temp);
      if (size > maxBytes) {
        skip('too-large', tooLarge(size), size);
        continue; // the finally block removes both files
      }
      await fs.rename(temp, reserved);
      temp = undefined;
      selection.usable.push({ path: reserved, mime, name, kind, bytes: size, remotePath: sourcePath });
      reserved = undefined;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      skip('copy-failed', `could not be copied from ${remoteHost}: ${reason}`, declared || undefined);
      const text = `attachment ${name} of chat ${message.chat_id} could not be copied from ${remoteHost}: ${reason}`;
      selection.errors.push(text);
      options.logger?.warn(`imessage: ${text}`);
    } finally {
      if (temp) await fs.rm(temp, { force: true }).catch(() => {});
      if (reserved) await fs.rm(reserved, { force: true }).catch(() => {});
    }
  }
  return selection;
}

/**
 * A preparer bound to one account, shaped for the inbound pipeline's `prepareAttachments`.
 * `onError` receives copy failures (for the account's health).
 */
export function createAttachmentPreparer(
  account: AccountFields,
  options: PrepareAttachmentsOptions & { onError?: (message: string) => void },
): (message: Pick<ImsgMessage, 'chat_id' | 'attachments'>) => Promise<AttachmentSelection> {
  return async (message) => {
    const selection = await prepareInboundAttachments(message, account, options);
    for (const error of selection.errors) options.onError?.(error);
    return selection;
  };
}
