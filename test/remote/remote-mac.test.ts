// End to end through a real sshd on 127.0.0.1: the gateway's `cliPath` is an SSH wrapper script
// (as for a remote Mac), which runs the imsg simulator "over there". Checks remoteHost detection
// from that script, sending through it, and copying inbound attachments back with real scp.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimDb, simBinPath } from '../../sim/lib';
import { prepareInboundAttachments } from '../../main/imessage/attachments';
import { sendImessage } from '../../main/imessage/outbound';
import { detectRemoteHost } from '../../main/imessage/remote-host';
import { ImsgRpcClient } from '../../main/imessage/rpc-client';
import type { ImsgMessage } from '../../contract/imsg';
import type { ResolvedImessageAccount } from '../../main/config/types';
import { findSshd, startSshd, type TestSshd } from './sshd';

const sshdPath = findSshd();
if (!sshdPath) {
  console.warn('test/remote: skipping the SSH end-to-end tests: sshd is not installed (apt-get install openssh-server)');
}

/** Single-quotes a word for a POSIX shell. */
const sh = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

describe.skipIf(!sshdPath)('remote Mac over a real sshd (skipped when sshd is not installed)', () => {
  let sshd: TestSshd;
  let work: string;
  let macHome: string;
  let dbPath: string;
  let db: SimDb;
  let wrapper: string;
  let client: ImsgRpcClient;
  let account: ResolvedImessageAccount;

  beforeAll(async () => {
    sshd = await startSshd(sshdPath!);
    work = mkdtempSync(join(tmpdir(), 'remote-mac-test-'));
    // The "remote Mac": a home with Messages' layout, so attachments live where they would.
    macHome = join(work, 'mac-home');
    mkdirSync(join(macHome, 'Library', 'Messages'), { recursive: true });
    dbPath = join(macHome, 'Library', 'Messages', 'chat.db');
    db = SimDb.create(dbPath, { me: '+15550000000' });

    // A wrapper like a user would write; the remote side runs the simulator as `imsg`.
    const remoteCommand = ['env', `IMSG_SIM_NODE=${sh(process.execPath)}`, 'IMSG_SIM_DEBOUNCE_MS=0', sh(simBinPath)].join(' ');
    wrapper = join(work, 'imsg-remote');
    writeFileSync(wrapper, `#!/bin/sh\n# Runs imsg on the Mac over SSH.\nexec ssh -F ${sh(sshd.clientConfig)} -o BatchMode=yes -T ${sshd.remoteHost} ${sh(remoteCommand)} "$@"\n`);
    chmodSync(wrapper, 0o755);

    account = {
      accountId: 'remote', enabled: true, configured: true, cliPath: wrapper, dbPath, dmPolicy: 'pairing', allowFrom: [],
      groupPolicy: 'allowlist', groups: {}, includeAttachments: true, mediaMaxMb: 16, textChunkLimit: 40, chunkMode: 'length',
      historyLimit: 50, dms: {}, service: 'auto', region: 'US',
    };
    client = new ImsgRpcClient({ cliPath: wrapper, dbPath, requestTimeoutMs: 15_000 });
    await client.start();
  });

  afterAll(async () => {
    await client?.stop();
    db?.close();
    await sshd?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  async function latestMessage(chatId: number): Promise<ImsgMessage> {
    const history = await client.call('messages.history', { chat_id: chatId, limit: 1, attachments: true });
    const [message] = history.messages;
    if (!message) throw new Error(`no valid message in chat ${chatId} (${history.skipped} skipped)`);
    return message;
  }

  it('detects remoteHost from the wrapper script', async () => {
    expect(await detectRemoteHost(wrapper)).toBe(sshd.remoteHost);
  });

  it('sends through the wrapper: long text arrives in order on the Mac', async () => {
    const text = 'First part of a reply that is long. Second part of the same reply. Third and last part.';
    const result = await sendImessage(client, account, { target: '+15555550123', text, stateDir: join(work, 'state') });
    expect(result.chunks).toBe(3);
    expect(db.sent().map((row) => row.text)).toEqual(['First part of a reply that is long.', 'Second part of the same reply. Third and', 'last part.']);
    expect(result.messageIds).toEqual(db.sent().map((row) => row.guid));
  });

  it('copies an inbound attachment back with scp into the per-chat cache', async () => {
    const remoteHost = await detectRemoteHost(wrapper);
    const original = join(work, 'Holiday photo (1).jpg');
    const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 251));
    writeFileSync(original, bytes);
    const { chatId } = db.inject({ from: '+15555550123', text: 'look at this', attachments: [{ path: original, mimeType: 'image/jpeg' }] });
    const message = await latestMessage(chatId);
    const remotePath = message.attachments[0].original_path!;
    expect(remotePath.startsWith(join(macHome, 'Library', 'Messages', 'Attachments'))).toBe(true);

    const stateDir = join(work, 'gateway-state');
    const options = { stateDir, remoteHost, scp: { sshConfigFile: sshd.clientConfig, allowedRoots: [join(macHome, 'Library', 'Messages', 'Attachments')], timeoutMs: 20_000 } };
    const result = await prepareInboundAttachments(message, account, options);
    expect(result.errors).toEqual([]);
    expect(result.skipped).toEqual([]);
    const cache = join(stateDir, 'media', 'remote-cache', 'remote', String(chatId));
    expect(result.usable).toEqual([
      { path: join(cache, 'Holiday photo (1).jpg'), remotePath, mime: 'image/jpeg', name: 'Holiday photo (1).jpg', kind: 'image', bytes: bytes.length },
    ]);
    expect(readFileSync(result.usable[0].path)).toEqual(bytes);

    // The same file again lands beside it instead of overwriting it.
    const again = await prepareInboundAttachments(message, account, options);
    expect(again.usable[0].path).toBe(join(cache, 'Holiday photo (1)-1.jpg'));
  });

  it('reports a file that vanished on the Mac as a copy error with scp’s reason', async () => {
    const remoteHost = await detectRemoteHost(wrapper);
    const original = join(work, 'soon-gone.png');
    writeFileSync(original, 'png');
    const { chatId } = db.inject({ from: '+15555550124', text: '', attachments: [{ path: original }] });
    const message = await latestMessage(chatId);
    rmSync(message.attachments[0].original_path!); // deleted after imsg reported it present
    const result = await prepareInboundAttachments(message, account, {
      stateDir: join(work, 'gateway-state'), remoteHost,
      scp: { sshConfigFile: sshd.clientConfig, allowedRoots: [join(macHome, 'Library', 'Messages', 'Attachments')], timeoutMs: 20_000 },
    });
    expect(result.usable).toEqual([]);
    expect(result.skipped[0]).toMatchObject({ name: 'soon-gone.png', code: 'copy-failed' });
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(/^attachment soon-gone\.png of chat \d+ could not be copied from .*: scp .* failed \(exit 1\): .*No such file/);
  });

  it('refuses an attachment whose name would inject shell commands, without running scp', async () => {
    const remoteHost = await detectRemoteHost(wrapper);
    const evil = join(work, 'x;touch pwned.jpg');
    writeFileSync(evil, 'jpg');
    const { chatId } = db.inject({ from: '+15555550125', text: 'hi', attachments: [{ path: evil }] });
    const message = await latestMessage(chatId);
    const result = await prepareInboundAttachments(message, account, {
      stateDir: join(work, 'gateway-state'), remoteHost,
      scp: { sshConfigFile: sshd.clientConfig, allowedRoots: [join(macHome, 'Library', 'Messages', 'Attachments')] },
    });
    expect(result.usable).toEqual([]);
    expect(result.skipped[0]).toMatchObject({ name: 'x;touch pwned.jpg', code: 'copy-failed' });
    expect(result.errors[0]).toContain('Refusing to copy remote attachment');
    expect(result.errors[0]).toContain('shell metacharacter ";"');
    expect(existsSync(join(work, 'gateway-state', 'media', 'remote-cache', 'remote', String(chatId), 'x;touch pwned.jpg'))).toBe(false);
  });
});
