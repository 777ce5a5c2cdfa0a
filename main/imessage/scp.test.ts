import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScpError, scpFetch, validateRemoteAttachmentPath, validateRemoteHost } from './scp';
import { writeScript } from '../../test/support/imsg-fixtures';

const ATT = '/Users/bot/Library/Messages/Attachments/3f/15/5C1E8F2A-3B4D-4E6F-9A1B-2C3D4E5F6A7B';

describe('validateRemoteAttachmentPath', () => {
  it.each([
    `${ATT}/IMG_0042.HEIC`,
    `${ATT}/Screenshot 2026-01-30 at 10.00.00.png`,
    `${ATT}/Photo (1).jpg`,
    `${ATT}/Фото_é.jpg`,
    '/Users/bot/Library/Messages/Attachments/imsg/0B1C/pic.jpg',
  ])('accepts %j', (path) => {
    expect(validateRemoteAttachmentPath(path)).toBe(path);
  });

  it.each([
    [`${ATT}/x.jpg; rm -rf ~`, 'shell metacharacter ";"'],
    [`${ATT}/$(id).jpg`, 'shell metacharacter "$"'],
    [`${ATT}/\`id\`.jpg`, 'shell metacharacter "`"'],
    [`${ATT}/a.jpg | nc evil 1`, 'shell metacharacter "|"'],
    [`${ATT}/a.jpg && curl x`, 'shell metacharacter "&"'],
    [`${ATT}/a>b.jpg`, 'shell metacharacter ">"'],
    [`${ATT}/it's.jpg`, `shell metacharacter "'"`],
    [`${ATT}/*.jpg`, 'shell metacharacter "*"'],
    [`${ATT}/a.jpg\nrm -rf /`, 'control character'],
    [`${ATT}/a.jpg\0`, 'control character'],
    ['/Users/bot/Library/Messages/Attachments/../../.ssh/id_ed25519', '"." or ".." segment'],
    [`${ATT}/a.jpg /etc/passwd`, 'whitespace in a position'],
    [`${ATT}/a.jpg -oProxyCommand=x`, 'whitespace in a position'],
    ['/etc/passwd', 'outside the Messages attachments folder'],
    ['/Users/bot/Library/Messages/chat.db', 'outside the Messages attachments folder'],
    ['/Users/bot/Library/Messages/Attachments/', 'empty segment'],
    ['~/Library/Messages/Attachments/a/b.jpg', 'not an absolute path'],
    ['/Users/bot/Library/Messages/Attachments/~root/b.jpg', 'shell metacharacter "~"'],
    ['Library/Messages/Attachments/a/b.jpg', 'not an absolute path'],
    ['', 'the path is empty'],
  ])('rejects %j (%s)', (path, why) => {
    expect(() => validateRemoteAttachmentPath(path)).toThrow(ScpError);
    expect(() => validateRemoteAttachmentPath(path)).toThrow(`Refusing to copy remote attachment ${JSON.stringify(path)}: `);
    expect(() => validateRemoteAttachmentPath(path)).toThrow(why);
  });

  it('accepts extra allowed roots (the simulator home) but nothing beside them', () => {
    const roots = ['/tmp/sim-home/Library/Messages/Attachments/'];
    expect(validateRemoteAttachmentPath('/tmp/sim-home/Library/Messages/Attachments/ab/x.png', roots)).toBeTruthy();
    expect(() => validateRemoteAttachmentPath('/tmp/sim-home/Library/Messages/Attachments-evil/x.png', roots)).toThrow('outside');
    expect(() => validateRemoteAttachmentPath('/tmp/sim-home/Library/Messages/Attachments', roots)).toThrow('outside');
  });
});

describe('validateRemoteHost', () => {
  it('accepts user@host and host, rejects option and shell injection', () => {
    expect(validateRemoteHost('bot@192.168.64.3')).toBe('bot@192.168.64.3');
    expect(validateRemoteHost('mac-mini')).toBe('mac-mini');
    for (const bad of ['-oProxyCommand=touch /tmp/x', 'bot@mac;id', 'bot@mac x', 'bot@mac:/etc', '']) {
      expect(() => validateRemoteHost(bad)).toThrow(/^Invalid remoteHost .*check channels\.imessage\.remoteHost$/);
    }
  });
});

describe('scpFetch (with a stand-in scp executable)', () => {
  let dir: string;
  let fakeScp: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'scp-test-'));
    // Records its argv, then behaves per FAKE_SCP_MODE: copy (writes the last arg), fail, hang.
    fakeScp = writeScript(
      dir,
      'scp',
      `#!${process.execPath}
const fs = require('node:fs');
const args = process.argv.slice(2);
fs.writeFileSync(${JSON.stringify(join(dir, 'argv.json'))}, JSON.stringify(args));
const mode = args.find((a) => a.includes(':')).includes('fail') ? 'fail' : args.find((a) => a.includes(':')).includes('hang') ? 'hang' : 'copy';
if (mode === 'fail') { process.stderr.write('ssh: connect to host mac port 22: Connection refused\\r\\nscp: Connection closed\\n'); process.exit(255); }
if (mode === 'hang') setInterval(() => {}, 1000);
else fs.writeFileSync(args[args.length - 1], 'copied');
`,
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs scp with a fixed argv: batch mode, accept-new, "--", host:path, destination', async () => {
    const localPath = join(dir, 'out.jpg');
    await scpFetch({ remoteHost: 'bot@mac', remotePath: `${ATT}/Photo (1).jpg`, localPath, scpPath: fakeScp, sshConfigFile: '/tmp/cfg' });
    expect(JSON.parse(readFileSync(join(dir, 'argv.json'), 'utf8'))).toEqual([
      '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=accept-new', '-o', 'ConnectTimeout=15', '-F', '/tmp/cfg',
      '--', `bot@mac:${ATT}/Photo (1).jpg`, localPath,
    ]);
    expect(readFileSync(localPath, 'utf8')).toBe('copied');
  });

  it('never starts scp for a rejected path or host', async () => {
    rmSync(join(dir, 'argv.json'), { force: true });
    await expect(scpFetch({ remoteHost: 'bot@mac', remotePath: `${ATT}/x; rm -rf ~`, localPath: join(dir, 'x'), scpPath: fakeScp })).rejects.toMatchObject({ kind: 'invalid-path' });
    await expect(scpFetch({ remoteHost: '-oProxyCommand=sh', remotePath: `${ATT}/x.jpg`, localPath: join(dir, 'x'), scpPath: fakeScp })).rejects.toMatchObject({ kind: 'invalid-host' });
    await expect(scpFetch({ remoteHost: 'bot@mac', remotePath: `${ATT}/x.jpg`, localPath: 'rel:x', scpPath: fakeScp })).rejects.toThrow('absolute path');
    expect(existsSync(join(dir, 'argv.json'))).toBe(false);
  });

  it('reports the exit status and the last stderr lines', async () => {
    const error = await scpFetch({ remoteHost: 'bot@mac', remotePath: `${ATT}/fail.jpg`, localPath: join(dir, 'f'), scpPath: fakeScp }).catch((e) => e);
    expect(error).toBeInstanceOf(ScpError);
    expect(error.kind).toBe('failed');
    expect(error.message).toBe(`scp bot@mac:${ATT}/fail.jpg failed (exit 255): ssh: connect to host mac port 22: Connection refused / scp: Connection closed`);
  });

  it('kills scp after the timeout', async () => {
    const started = Date.now();
    const error = await scpFetch({ remoteHost: 'bot@mac', remotePath: `${ATT}/hang.jpg`, localPath: join(dir, 'h'), scpPath: fakeScp, timeoutMs: 300 }).catch((e) => e);
    expect(error).toMatchObject({ kind: 'timeout', message: `scp bot@mac:${ATT}/hang.jpg timed out after 300 ms` });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('says so when scp is not installed', async () => {
    await expect(scpFetch({ remoteHost: 'bot@mac', remotePath: `${ATT}/a.jpg`, localPath: join(dir, 'a'), scpPath: join(dir, 'no-scp') })).rejects.toThrow(
      `scp not found (${join(dir, 'no-scp')}); install OpenSSH to copy attachments from bot@mac`,
    );
  });
});
