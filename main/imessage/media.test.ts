import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, promises as fs, rmSync, statSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guessMimeType, mediaKind, mediaPlaceholder } from '../util/media-types';
import { BYTES_PER_MB, formatMegabytes, loadOutboundMedia, MediaError, mediaTooLargeMessage, outboundMediaDir } from './media';

let dir: string;
let server: Server;
let base: string;
/** Bytes the server managed to write per path (to prove a download was cut short). */
const written = new Map<string, number>();
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'media-test-'));
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const count = (n: number) => written.set(url.pathname, (written.get(url.pathname) ?? 0) + n);
    switch (url.pathname) {
      case '/pic.png':
        res.writeHead(200, { 'content-type': 'image/png', 'content-length': PNG.length });
        res.end(PNG);
        return;
      case '/noext':
        res.writeHead(200, { 'content-type': 'image/jpeg' });
        res.end(Buffer.from('jpegdata'));
        return;
      case '/declared-big':
        // Declares 3 MiB; the client must give up on the header alone.
        res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': 3 * BYTES_PER_MB });
        res.write(Buffer.alloc(1024));
        count(1024);
        return; // never finishes; the client must not wait for it
      case '/streamed-big': {
        // No Content-Length (chunked): 64 KiB pieces until the client hangs up or 8 MiB.
        res.writeHead(200, { 'content-type': 'application/pdf' });
        let sent = 0;
        const pump = () => {
          while (sent < 8 * BYTES_PER_MB) {
            sent += 65536;
            count(65536);
            if (!res.write(Buffer.alloc(65536))) return void res.once('drain', pump);
          }
          res.end();
        };
        res.on('close', () => (sent = Infinity));
        pump();
        return;
      }
      case '/missing':
        res.writeHead(404, 'Not Found');
        res.end('nope');
        return;
      case '/slow':
        return; // never answers
      case '/empty':
        res.writeHead(200, { 'content-type': 'image/png', 'content-length': 0 });
        res.end();
        return;
      default:
        res.writeHead(500);
        res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe('media kinds', () => {
  it('detects the kind from MIME, then extension, then UTI', () => {
    expect(mediaKind({ mimeType: 'image/heic' })).toBe('image');
    expect(mediaKind({ mimeType: 'audio/x-caf; codecs=opus' })).toBe('audio');
    expect(mediaKind({ mimeType: 'video/quicktime' })).toBe('video');
    expect(mediaKind({ mimeType: 'application/pdf' })).toBe('document');
    expect(mediaKind({ mimeType: '', path: '/x/IMG_1.JPG' })).toBe('image');
    expect(mediaKind({ path: '/x/voice.m4a' })).toBe('audio');
    expect(mediaKind({ path: '/x/clip.mov' })).toBe('video');
    expect(mediaKind({ mimeType: '', path: '/x/blob', uti: 'public.heic' })).toBe('image');
    expect(mediaKind({ uti: 'com.apple.quicktime-movie' })).toBe('video');
    expect(mediaKind({ uti: 'com.apple.coreaudio-format' })).toBe('audio');
    expect(mediaKind({ uti: 'com.adobe.pdf' })).toBe('document');
    expect(mediaKind({})).toBe('unknown');
    expect(mediaPlaceholder('image')).toBe('<media:image>');
    expect(guessMimeType('a/b/report.PDF')).toBe('application/pdf');
    expect(guessMimeType('noext')).toBeUndefined();
  });

  it('formats sizes so that an over-limit size never looks equal to the limit', () => {
    expect(formatMegabytes(20.5 * BYTES_PER_MB)).toBe('20.5 MB');
    expect(formatMegabytes(16 * BYTES_PER_MB + 1, 16)).toBe('16.000001 MB');
    expect(mediaTooLargeMessage('Media file /x', 20.5 * BYTES_PER_MB, 16)).toBe('Media file /x is 20.5 MB; the limit is 16 MB (channels.imessage.mediaMaxMb)');
  });
});

describe('loadOutboundMedia: local files', () => {
  it('returns an absolute path, size and kind for a file within the limit', async () => {
    const path = join(dir, 'photo.png');
    writeFileSync(path, PNG);
    const media = await loadOutboundMedia(path, { maxMb: 1, stateDir: dir });
    expect(media).toEqual({ path, mimeType: 'image/png', kind: 'image', bytes: PNG.length, downloaded: false });
    const viaUrl = await loadOutboundMedia(`file://${path}`, { maxMb: 1, stateDir: dir });
    expect(viaUrl.path).toBe(path);
  });

  it('rejects an oversized file from its size alone, with the exact message', async () => {
    const path = join(dir, 'big.mov');
    await fs.writeFile(path, '');
    await fs.truncate(path, 20.5 * BYTES_PER_MB); // sparse: costs nothing
    await expect(loadOutboundMedia(path, { maxMb: 16, stateDir: dir })).rejects.toThrow(
      new MediaError(`Media file ${path} is 20.5 MB; the limit is 16 MB (channels.imessage.mediaMaxMb)`),
    );
  });

  it('explains missing files, directories and unsupported schemes', async () => {
    await expect(loadOutboundMedia(join(dir, 'nope.jpg'), { maxMb: 1, stateDir: dir })).rejects.toThrow(`Media file ${join(dir, 'nope.jpg')} not found`);
    await expect(loadOutboundMedia(dir, { maxMb: 1, stateDir: dir })).rejects.toThrow('is not a regular file');
    await expect(loadOutboundMedia('ftp://host/file.png?token=secret', { maxMb: 1, stateDir: dir })).rejects.toThrow(/Unsupported media URL scheme in ftp:\/\/host\/file\.png;/);
    await expect(loadOutboundMedia('  ', { maxMb: 1, stateDir: dir })).rejects.toThrow('Media path or URL is empty');
  });
});

describe('loadOutboundMedia: URLs', () => {
  it('downloads into <stateDir>/media/outbound with mode 0600', async () => {
    const stateDir = join(dir, 'state-ok');
    const media = await loadOutboundMedia(`${base}/pic.png?sig=abc`, { maxMb: 1, stateDir });
    expect(media.downloaded).toBe(true);
    expect(media.kind).toBe('image');
    expect(media.mimeType).toBe('image/png');
    expect(media.bytes).toBe(PNG.length);
    expect(media.path.startsWith(`${outboundMediaDir(stateDir)}/`)).toBe(true);
    expect(media.path).toMatch(/-pic\.png$/);
    expect(await fs.readFile(media.path)).toEqual(PNG);
    expect(statSync(media.path).mode & 0o777).toBe(0o600);
    expect(statSync(outboundMediaDir(stateDir)).mode & 0o777).toBe(0o700);
  });

  it('adds an extension from the Content-Type when the URL has none', async () => {
    const media = await loadOutboundMedia(`${base}/noext`, { maxMb: 1, stateDir: join(dir, 'state-noext') });
    expect(media.path).toMatch(/-noext\.jpg$/);
    expect(media.kind).toBe('image');
  });

  it('refuses from Content-Length before downloading the body', async () => {
    const stateDir = join(dir, 'state-declared');
    const started = Date.now();
    await expect(loadOutboundMedia(`${base}/declared-big?token=s3cret`, { maxMb: 2, stateDir })).rejects.toThrow(
      `Media at ${base}/declared-big is 3 MB; the limit is 2 MB (channels.imessage.mediaMaxMb)`,
    );
    expect(Date.now() - started).toBeLessThan(2000);
    // Nothing is left behind (the outbound dir is not even needed).
    await expect(fs.readdir(outboundMediaDir(stateDir))).rejects.toThrow(/ENOENT/);
  });

  it('stops a download without Content-Length as soon as it passes the cap', async () => {
    const stateDir = join(dir, 'state-streamed');
    await expect(loadOutboundMedia(`${base}/streamed-big`, { maxMb: 1, stateDir })).rejects.toThrow(
      'Media at ' + `${base}/streamed-big is larger than 1 MB (download stopped); the limit is 1 MB (channels.imessage.mediaMaxMb)`,
    );
    await new Promise((r) => setTimeout(r, 100));
    expect(written.get('/streamed-big')).toBeLessThan(8 * BYTES_PER_MB);
    expect(await fs.readdir(outboundMediaDir(stateDir))).toEqual([]); // the partial file is removed
  });

  it('reports HTTP errors, empty bodies and timeouts without leaking the query string', async () => {
    await expect(loadOutboundMedia(`${base}/missing?key=s3cret`, { maxMb: 1, stateDir: dir })).rejects.toThrow(
      `Could not download media from ${base}/missing: HTTP 404 Not Found`,
    );
    await expect(loadOutboundMedia(`${base}/empty`, { maxMb: 1, stateDir: dir })).rejects.toThrow(`Media at ${base}/empty is empty`);
    const error = await loadOutboundMedia(`${base}/slow?key=s3cret`, { maxMb: 1, stateDir: dir, timeoutMs: 200 }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(MediaError);
    expect((error as Error).message).toBe(`Downloading media from ${base}/slow timed out after 200 ms`);
    expect((error as Error).message).not.toContain('s3cret');
  });

  it('deletes downloads older than a day when it makes a new one', async () => {
    const stateDir = join(dir, 'state-prune');
    const outDir = outboundMediaDir(stateDir);
    mkdirSync(outDir, { recursive: true });
    const old = join(outDir, 'old.png');
    const recent = join(outDir, 'recent.png');
    writeFileSync(old, 'x');
    writeFileSync(recent, 'y');
    const twoDaysAgo = (Date.now() - 2 * 24 * 3600 * 1000) / 1000;
    utimesSync(old, twoDaysAgo, twoDaysAgo);
    await loadOutboundMedia(`${base}/pic.png`, { maxMb: 1, stateDir });
    const names = await fs.readdir(outDir);
    expect(names).not.toContain('old.png');
    expect(names).toContain('recent.png');
  });
});
