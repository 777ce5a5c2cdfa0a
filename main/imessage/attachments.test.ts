import Database from 'better-sqlite3';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simEnv, tempDb } from '../../test/support/sim-session';
import { simBinPath } from '../../sim/lib';
import { createAttachmentPreparer, prepareInboundAttachments, remoteCacheDir, type RemoteFetch } from './attachments';
import { BYTES_PER_MB } from './media';
import { ImsgRpcClient } from './rpc-client';
import { silentLogger } from '../util/logger';
import type { ImsgAttachment } from '../../contract/imsg';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'attachments-test-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const account = (overrides: Partial<{ includeAttachments: boolean; mediaMaxMb: number; remoteHost: string; accountId: string; dbPath: string }> = {}) => ({
  accountId: 'default', includeAttachments: true, mediaMaxMb: 1, ...overrides,
});

/** The same-Mac account of these tests: its Messages (and attachments folder) live under `dir`. */
const localAccount = (overrides: Parameters<typeof account>[0] = {}) => account({ dbPath: join(dir, 'Library', 'Messages', 'chat.db'), ...overrides });
const attachmentsDir = () => join(dir, 'Library', 'Messages', 'Attachments');

function file(name: string, bytes: number, folder = dir): string {
  mkdirSync(folder, { recursive: true });
  const path = join(folder, name);
  writeFileSync(path, '');
  truncateSync(path, bytes);
  return path;
}

/** A file in the local account's Messages attachments folder. */
const attachment = (name: string, bytes: number) => file(name, bytes, attachmentsDir());

const att = (path: string, extra: Partial<ImsgAttachment> = {}): ImsgAttachment => ({
  filename: path, transfer_name: path.split('/').pop(), mime_type: 'image/jpeg', total_bytes: statSafe(path), original_path: path, missing: false, ...extra,
});
function statSafe(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

describe('prepareInboundAttachments on the same Mac', () => {
  it('ignores attachments entirely unless includeAttachments is on', async () => {
    const photo = attachment('off.jpg', 10);
    const result = await prepareInboundAttachments({ chat_id: 1, attachments: [att(photo)] }, localAccount({ includeAttachments: false }), { stateDir: dir });
    expect(result).toEqual({ usable: [], skipped: [], errors: [] });
  });

  it('keeps present files in place and reports missing and oversized ones', async () => {
    const photo = attachment('IMG_1.jpg', 2048);
    const big = attachment('movie.mov', Math.round(1.5 * BYTES_PER_MB));
    const growing = attachment('partial.mov', 100); // still downloading: total_bytes already says 3 MB
    const result = await prepareInboundAttachments(
      {
        chat_id: 7,
        attachments: [
          att(photo),
          att(join(attachmentsDir(), 'offloaded.heic'), { missing: true, mime_type: 'image/heic' }),
          att('', { transfer_name: 'nopath.png', original_path: '', mime_type: '' }),
          att(big, { mime_type: 'video/quicktime' }),
          att(growing, { mime_type: 'video/quicktime', total_bytes: 3 * BYTES_PER_MB }),
          att(join(attachmentsDir(), 'vanished.jpg'), { missing: false }), // imsg said present; it is gone now
          att(attachment('lies.jpg', Math.round(1.2 * BYTES_PER_MB)), { total_bytes: 10 }), // total_bytes understated
        ],
      },
      localAccount(),
      { stateDir: dir },
    );
    expect(result.usable).toEqual([{ path: photo, mime: 'image/jpeg', name: 'IMG_1.jpg', kind: 'image', bytes: 2048 }]);
    expect(result.skipped).toEqual([
      { name: 'offloaded.heic', code: 'missing', mime: 'image/heic', reason: 'the file is not on the Mac (not downloaded from iCloud, or deleted)' },
      { name: 'nopath.png', code: 'missing', mime: 'image/png', reason: 'the file is not on the Mac (not downloaded from iCloud, or deleted)' },
      { name: 'movie.mov', code: 'too-large', mime: 'video/quicktime', bytes: Math.round(1.5 * BYTES_PER_MB), reason: '1.5 MB exceeds the 1 MB limit (channels.imessage.mediaMaxMb)' },
      { name: 'partial.mov', code: 'too-large', mime: 'video/quicktime', bytes: 3 * BYTES_PER_MB, reason: '3 MB exceeds the 1 MB limit (channels.imessage.mediaMaxMb)' },
      { name: 'vanished.jpg', code: 'missing', mime: 'image/jpeg', reason: 'the file is not on the Mac (not downloaded from iCloud, or deleted)' },
      { name: 'lies.jpg', code: 'too-large', mime: 'image/jpeg', bytes: Math.round(1.2 * BYTES_PER_MB), reason: '1.2 MB exceeds the 1 MB limit (channels.imessage.mediaMaxMb)' },
    ]);
    expect(result.errors).toEqual([]);
  });
});

describe('prepareInboundAttachments from a remote Mac', () => {
  const remoteRoot = () => join(dir, 'remote');
  /** Stands in for scp: copies from a local "remote" folder, recording what was asked. */
  function copyTransport(calls: string[]): RemoteFetch {
    return async (remotePath, localPath) => {
      calls.push(remotePath);
      if (remotePath.includes('unreachable')) throw new Error('scp bot@mac:… failed (exit 255): Connection refused');
      copyFileSync(remotePath, localPath);
    };
  }

  it('copies kept files into the per-chat cache, suffixing name collisions', async () => {
    mkdirSync(join(remoteRoot(), 'a'), { recursive: true });
    mkdirSync(join(remoteRoot(), 'b'), { recursive: true });
    writeFileSync(join(remoteRoot(), 'a', 'IMG_1.jpg'), 'first');
    writeFileSync(join(remoteRoot(), 'b', 'IMG_1.jpg'), 'second');
    const calls: string[] = [];
    const stateDir = join(dir, 'state-remote');
    const message = {
      chat_id: 42,
      attachments: [
        att(join(remoteRoot(), 'a', 'IMG_1.jpg'), { total_bytes: 5 }),
        att(join(remoteRoot(), 'b', 'IMG_1.jpg'), { total_bytes: 6 }),
        att(join(remoteRoot(), 'gone.jpg'), { missing: true }),
        att(join(remoteRoot(), 'huge.mov'), { total_bytes: 5 * BYTES_PER_MB, mime_type: 'video/quicktime' }),
      ],
    };
    const result = await prepareInboundAttachments(message, account({ remoteHost: 'bot@mac', accountId: 'work' }), { stateDir, fetchRemote: copyTransport(calls) });
    const cache = remoteCacheDir(stateDir, 'work', 42);
    expect(cache).toBe(join(stateDir, 'media', 'remote-cache', 'work', '42'));
    expect(result.usable.map((u) => [u.path, u.remotePath, readFileSync(u.path, 'utf8')])).toEqual([
      [join(cache, 'IMG_1.jpg'), join(remoteRoot(), 'a', 'IMG_1.jpg'), 'first'],
      [join(cache, 'IMG_1-1.jpg'), join(remoteRoot(), 'b', 'IMG_1.jpg'), 'second'],
    ]);
    // Missing and declared-oversized files are never fetched.
    expect(calls).toEqual([join(remoteRoot(), 'a', 'IMG_1.jpg'), join(remoteRoot(), 'b', 'IMG_1.jpg')]);
    expect(result.skipped.map((s) => [s.name, s.code])).toEqual([['gone.jpg', 'missing'], ['huge.mov', 'too-large']]);
    expect(statSync(cache).mode & 0o777).toBe(0o700);
    expect(statSync(join(cache, 'IMG_1.jpg')).mode & 0o777).toBe(0o600);
    // The same message again (a replay) gets fresh names rather than overwriting.
    const again = await prepareInboundAttachments({ chat_id: 42, attachments: [message.attachments[0]] }, account({ remoteHost: 'bot@mac', accountId: 'work' }), { stateDir, fetchRemote: copyTransport([]) });
    expect(again.usable[0].path).toBe(join(cache, 'IMG_1-2.jpg'));
  });

  it('returns copy failures as errors and skipped entries, leaving no partial files', async () => {
    const stateDir = join(dir, 'state-fail');
    const onError: string[] = [];
    const prepare = createAttachmentPreparer(account({ remoteHost: 'bot@mac' }), { stateDir, fetchRemote: copyTransport([]), onError: (e) => onError.push(e) });
    const result = await prepare({ chat_id: 3, attachments: [att('/Users/bot/Library/Messages/Attachments/unreachable/x.jpg', { total_bytes: 10 })] });
    expect(result.usable).toEqual([]);
    expect(result.skipped).toEqual([
      { name: 'x.jpg', code: 'copy-failed', mime: 'image/jpeg', bytes: 10, reason: 'could not be copied from bot@mac: scp bot@mac:… failed (exit 255): Connection refused' },
    ]);
    expect(result.errors).toEqual(['attachment x.jpg of chat 3 could not be copied from bot@mac: scp bot@mac:… failed (exit 255): Connection refused']);
    expect(onError).toEqual(result.errors);
    expect(readdirSync(remoteCacheDir(stateDir, 'default', 3))).toEqual([]);
  });

  it('checks the copied size too, when total_bytes understated it', async () => {
    const stateDir = join(dir, 'state-size');
    const remote = file('understated.mov', 2 * BYTES_PER_MB);
    const result = await prepareInboundAttachments({ chat_id: 5, attachments: [att(remote, { total_bytes: 1 })] }, account({ remoteHost: 'bot@mac' }), {
      stateDir, fetchRemote: copyTransport([]),
    });
    expect(result.usable).toEqual([]);
    expect(result.skipped[0]).toMatchObject({ code: 'too-large', bytes: 2 * BYTES_PER_MB });
    expect(readdirSync(remoteCacheDir(stateDir, 'default', 5))).toEqual([]);
  });

  it('uses scp by default and rejects an unsafe remote path without running it', async () => {
    const stateDir = join(dir, 'state-unsafe');
    const result = await prepareInboundAttachments(
      { chat_id: 9, attachments: [att('/Users/bot/Library/Messages/Attachments/a/x.jpg; touch /tmp/pwned', { total_bytes: 10 })] },
      account({ remoteHost: 'bot@mac' }),
      { stateDir, scp: { scpPath: '/nonexistent/scp' } },
    );
    expect(result.skipped[0].code).toBe('copy-failed');
    expect(result.errors[0]).toContain('Refusing to copy remote attachment');
    expect(result.errors[0]).toContain('shell metacharacter ";"');
  });
});

describe('with attachments delivered by the imsg simulator', () => {
  it('selects from real imsg attachment JSON (present, missing, oversized)', async () => {
    const sim = tempDb();
    const client = new ImsgRpcClient({ cliPath: simBinPath, dbPath: sim.dbPath, env: simEnv() });
    try {
      const photo = join(sim.dir, 'inbox-photo.jpg');
      writeFileSync(photo, 'jpeg bytes');
      const big = join(sim.dir, 'big-video.mov');
      writeFileSync(big, '');
      truncateSync(big, 2 * BYTES_PER_MB);
      const { chatId } = sim.db.inject({
        from: '+15555550123', text: 'look',
        attachments: [{ path: photo }, { name: 'IMG_9.HEIC', missing: true }, { path: big }],
      });
      await client.start();
      const history = await client.call('messages.history', { chat_id: chatId, attachments: true });
      expect(history.skipped).toBe(0);
      const result = await prepareInboundAttachments(history.messages[0]!, account({ dbPath: sim.dbPath }), { stateDir: join(sim.dir, 'state') });
      expect(result.usable).toHaveLength(1);
      expect(result.usable[0]).toMatchObject({ name: 'inbox-photo.jpg', mime: 'image/jpeg', kind: 'image', bytes: 10 });
      expect(readFileSync(result.usable[0].path, 'utf8')).toBe('jpeg bytes'); // imsg's own copy in Messages' folder
      expect(result.skipped.map((s) => [s.name, s.code])).toEqual([['IMG_9.HEIC', 'missing'], ['big-video.mov', 'too-large']]);
    } finally {
      await client.stop();
      sim.cleanup();
    }
  });
});

describe('attachments outside Messages\' folder (issue 13.1)', () => {
  /** Points the attachment rows of `rowid` at `filename`, as a tampered or hostile chat.db row would. */
  function repointAttachment(dbPath: string, rowid: number, filename: string): void {
    const db = new Database(dbPath);
    try {
      db.prepare('UPDATE attachment SET filename = ? WHERE ROWID IN (SELECT attachment_id FROM message_attachment_join WHERE message_id = ?)').run(filename, rowid);
    } finally {
      db.close();
    }
  }

  it('refuses and logs files that resolve outside the account\'s Messages attachments folder; reads none of them', async () => {
    const sim = tempDb();
    const client = new ImsgRpcClient({ cliPath: simBinPath, dbPath: sim.dbPath, env: simEnv() });
    const outside = mkdtempSync(join(tmpdir(), 'attachments-secret-'));
    try {
      const secret = join(outside, 'secret.png');
      writeFileSync(secret, 'the bytes of a private file');
      const photo = join(sim.dir, 'photo.png');
      writeFileSync(photo, 'png bytes');
      const inject = () => sim.db.inject({ from: '+15555550123', text: 'look', attachments: [{ path: photo, mimeType: 'image/png' }] });
      const absolute = inject();
      repointAttachment(sim.dbPath, absolute.rowid, secret); // any absolute path
      const climbing = inject();
      repointAttachment(sim.dbPath, climbing.rowid, `~/Library/Messages/Attachments/${'../'.repeat(12)}${outside.replace(/^\//, '')}/secret.png`);
      const viaLink = inject();
      const linkDir = join(sim.dir, 'Library', 'Messages', 'Attachments', 'zz', '99', 'LINK');
      mkdirSync(linkDir, { recursive: true });
      symlinkSync(secret, join(linkDir, 'innocent.png'));
      repointAttachment(sim.dbPath, viaLink.rowid, '~/Library/Messages/Attachments/zz/99/LINK/innocent.png');
      const genuine = inject();

      await client.start();
      const history = await client.call('messages.history', { chat_id: absolute.chatId, attachments: true, limit: 10 });
      const byRowid = new Map(history.messages.map((m) => [m.id, m]));
      const warnings: string[] = [];
      const logger = { ...silentLogger, warn: (msg: string) => warnings.push(msg) };
      const options = { stateDir: join(sim.dir, 'state'), logger };
      const accountHere = { ...account(), dbPath: sim.dbPath };

      for (const row of [absolute, climbing, viaLink]) {
        const result = await prepareInboundAttachments(byRowid.get(row.rowid)!, accountHere, options);
        expect(result.usable).toEqual([]);
        expect(result.skipped).toEqual([expect.objectContaining({ code: 'refused', reason: expect.stringMatching(/outside the Messages attachments folder/) })]);
        expect(result.errors[0]).toMatch(/refused: .* is outside the Messages attachments folder/);
      }
      expect(warnings).toHaveLength(3);
      expect(warnings.join('\n')).toContain(secret);

      // The genuine attachment in the same folder is still read, by its real path.
      const ok = await prepareInboundAttachments(byRowid.get(genuine.rowid)!, accountHere, options);
      expect(ok.usable).toEqual([expect.objectContaining({ name: 'photo.png', mime: 'image/png', bytes: 9 })]);
      expect(readFileSync(ok.usable[0]!.path, 'utf8')).toBe('png bytes');
    } finally {
      await client.stop();
      sim.cleanup();
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
