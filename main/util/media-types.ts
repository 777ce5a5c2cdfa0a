// What kind of file an attachment is: MIME type by extension, extension by MIME type, and the
// coarse kind (image, audio, video, document) used for `<media:kind>` placeholders. Shared by the
// channel (attachments in and out) and the agent (what the model is told about a file).
import { extname } from 'node:path';

export type MediaKind = 'image' | 'audio' | 'video' | 'document' | 'unknown';

const EXTENSION_MIME: Record<string, string> = {
  jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', gif: 'image/gif', heic: 'image/heic',
  heif: 'image/heif', webp: 'image/webp', tif: 'image/tiff', tiff: 'image/tiff', bmp: 'image/bmp',
  svg: 'image/svg+xml',
  mp3: 'audio/mpeg', m4a: 'audio/mp4', aac: 'audio/aac', wav: 'audio/wav', caf: 'audio/x-caf',
  amr: 'audio/amr', ogg: 'audio/ogg', oga: 'audio/ogg', opus: 'audio/opus', flac: 'audio/flac',
  mp4: 'video/mp4', m4v: 'video/x-m4v', mov: 'video/quicktime', '3gp': 'video/3gpp',
  webm: 'video/webm', avi: 'video/x-msvideo', mkv: 'video/x-matroska',
  pdf: 'application/pdf', txt: 'text/plain', md: 'text/markdown', csv: 'text/csv',
  html: 'text/html', json: 'application/json', rtf: 'application/rtf', vcf: 'text/vcard',
  ics: 'text/calendar', zip: 'application/zip',
  doc: 'application/msword', docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xls: 'application/vnd.ms-excel', xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  ppt: 'application/vnd.ms-powerpoint', pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  pages: 'application/vnd.apple.pages', numbers: 'application/vnd.apple.numbers', key: 'application/vnd.apple.keynote',
};

/** MIME type for a file name or path by its extension, or undefined if unknown. */
export function guessMimeType(nameOrPath: string): string | undefined {
  const ext = extname(nameOrPath).slice(1).toLowerCase();
  return ext ? EXTENSION_MIME[ext] : undefined;
}

/** File extension (without dot) for a MIME type, or undefined if unknown. */
export function extensionForMime(mimeType: string): string | undefined {
  const mime = mimeType.split(';')[0].trim().toLowerCase();
  // The first listed extension is the usual one (jpg before jpeg).
  for (const [ext, candidate] of Object.entries(EXTENSION_MIME)) if (candidate === mime) return ext;
  return undefined;
}

function kindFromMime(mimeType: string): MediaKind {
  const mime = mimeType.split(';')[0].trim().toLowerCase();
  if (mime.startsWith('image/')) return 'image';
  if (mime.startsWith('audio/')) return 'audio';
  if (mime.startsWith('video/')) return 'video';
  return 'document';
}

function kindFromUti(uti: string): MediaKind | undefined {
  const u = uti.toLowerCase();
  if (/(^public\.(image|jpeg|png|heic|heif|tiff|gif)$)|com\.compuserve\.gif|public\.webp/.test(u)) return 'image';
  if (/^public\.(movie|video|mpeg-4|avi|3gpp)$|com\.apple\.quicktime-movie/.test(u)) return 'video';
  if (/^public\.(audio|mp3|mpeg-4-audio|aiff-audio)$|com\.apple\.coreaudio-format|com\.apple\.m4a-audio/.test(u)) return 'audio';
  return u ? 'document' : undefined;
}

/**
 * What kind of media this is, from the MIME type, else the file extension, else the Apple UTI
 * (imsg leaves `mime_type` empty when Messages did not record one). `unknown` when nothing says.
 */
export function mediaKind(info: { mimeType?: string; path?: string; uti?: string }): MediaKind {
  if (info.mimeType?.trim()) return kindFromMime(info.mimeType);
  const guessed = info.path ? guessMimeType(info.path) : undefined;
  if (guessed) return kindFromMime(guessed);
  return (info.uti && kindFromUti(info.uti)) || 'unknown';
}

/** The text that stands for media without text, e.g. `<media:image>`. */
export function mediaPlaceholder(kind: MediaKind): string {
  return `<media:${kind}>`;
}
