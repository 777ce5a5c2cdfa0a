// The SSH wrapper script: built from checked values only, 0700, atomic, never replacing a different
// file unless asked, and refusing arguments a remote shell would read as more than a word. The
// wrapper against a real sshd: test/remote/setup-ssh.test.ts.
import { execFile } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { detectRemoteHost } from './remote-host';
import { checkSshTarget, readOwnWrapper, sshArgv, SshInputError, WrapperExistsError, wrapperPath, wrapperScript, writeSshWrapper } from './ssh-wrapper';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'ssh-wrapper-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const BAD_TARGETS = ['bot@mac;rm -rf ~', 'bot@$(id)', 'bot@`id`', 'bot@mac mini', 'bot@mac\nid', '-oProxyCommand=x@mac', 'bot', 'bot@', "bot@mac'", 'Bot@mac'];

describe('grammar', () => {
  it('accepts user@host with a host name, a Tailscale name, IPv4 or [IPv6]', () => {
    for (const target of ['clawdbot@localhost', 'bot@mac-mini.local', 'bot@mac-mini.tail1234.ts.net', 'bot_2@192.168.1.20', 'bot@[fe80::1]']) {
      expect(checkSshTarget(target)).toBe(target);
    }
  });

  it('refuses shell characters, spaces, newlines, options and half targets, naming the field', () => {
    for (const target of BAD_TARGETS) {
      expect(() => checkSshTarget(target), target).toThrow(SshInputError);
      expect(() => wrapperScript({ accountId: 'bot', target }), target).toThrow(/not a valid SSH target: an SSH target is user@host/);
    }
    expect(() => wrapperScript({ accountId: 'bot', target: 'bot@mac', remoteCliPath: '/opt/bin/imsg;id' })).toThrow(/not a usable path on the other Mac/);
    expect(() => wrapperScript({ accountId: 'bot', target: 'bot@mac', remoteCliPath: 'imsg' })).toThrow(/absolute/);
    expect(() => wrapperPath(dir, '../evil')).toThrow(/not a normalized account id/);
  });

  it('ssh runs from an argv array: options, --, the target, then the words', () => {
    expect(sshArgv('bot@mac', '/opt/homebrew/bin/imsg', ['rpc', '--help'])).toEqual(['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5', '-T', '--', 'bot@mac', '/opt/homebrew/bin/imsg', 'rpc', '--help']);
  });
});

describe('writeSshWrapper', () => {
  it('writes ~/.clawdbot/scripts/imsg-<account> (0700) that remote-host detection reads back', async () => {
    const stateDir = join(dir, 'a');
    const written = await writeSshWrapper({ stateDir, accountId: 'bot', target: 'clawdbot@localhost' });
    expect(written).toMatchObject({ path: join(stateDir, 'scripts', 'imsg-bot'), written: true });
    expect(statSync(written.path).mode & 0o777).toBe(0o700);
    expect(readFileSync(written.path, 'utf8')).toBe(written.script);
    expect(written.script).toContain('exec ssh -o BatchMode=yes -o ConnectTimeout=5 -T -- clawdbot@localhost /opt/homebrew/bin/imsg "$@"\n');
    expect(await detectRemoteHost(written.path)).toBe('clawdbot@localhost');
    expect(await readOwnWrapper(written.path)).toEqual({ target: 'clawdbot@localhost', remoteCliPath: '/opt/homebrew/bin/imsg' });
    // The same again: nothing to write.
    expect(await writeSshWrapper({ stateDir, accountId: 'bot', target: 'clawdbot@localhost' })).toMatchObject({ written: false });
  });

  it('never replaces a different file unless asked; then the old one is kept as .bak', async () => {
    const stateDir = join(dir, 'b');
    const path = wrapperPath(stateDir, 'bot');
    mkdirSync(join(stateDir, 'scripts'), { recursive: true });
    writeFileSync(path, '#!/bin/sh\n# my own wrapper\nexec ssh me@elsewhere imsg "$@"\n', { mode: 0o755 });
    await expect(writeSshWrapper({ stateDir, accountId: 'bot', target: 'bot@mac' })).rejects.toThrow(WrapperExistsError);
    expect(readFileSync(path, 'utf8')).toContain('# my own wrapper');
    expect(await readOwnWrapper(path)).toBeUndefined();
    const replaced = await writeSshWrapper({ stateDir, accountId: 'bot', target: 'bot@mac', replace: true });
    expect(replaced).toMatchObject({ written: true, backupPath: `${path}.bak` });
    expect(readFileSync(`${path}.bak`, 'utf8')).toContain('# my own wrapper');
    expect(readFileSync(path, 'utf8')).toContain('-- bot@mac /opt/homebrew/bin/imsg');
  });

  it('writes through a symlink instead of replacing it', async () => {
    const stateDir = join(dir, 'c');
    mkdirSync(join(stateDir, 'scripts'), { recursive: true });
    const real = join(dir, 'c-real-wrapper');
    writeFileSync(real, wrapperScript({ accountId: 'bot', target: 'bot@old-mac' }));
    symlinkSync(real, wrapperPath(stateDir, 'bot'));
    await writeSshWrapper({ stateDir, accountId: 'bot', target: 'bot@new-mac', replace: true });
    expect(lstatSync(wrapperPath(stateDir, 'bot')).isSymbolicLink()).toBe(true);
    expect(readFileSync(real, 'utf8')).toContain('bot@new-mac');
  });

  it('the script refuses arguments with spaces or shell characters before ssh runs', async () => {
    const written = await writeSshWrapper({ stateDir: join(dir, 'd'), accountId: 'bot', target: 'bot@mac' });
    const marker = join(dir, 'pwned');
    for (const arg of [`x; touch ${marker}`, '$(id)', '`id`', 'a b', '', 'line\nbreak']) {
      const result = await run('/bin/sh', [written.path, 'rpc', '--db', arg]).then(
        () => ({ code: 0, stderr: '' }),
        (error: { code: number; stderr: string }) => error,
      );
      expect(result.code, JSON.stringify(arg)).toBe(2);
      expect(result.stderr).toContain('imsg-bot: refusing an argument with spaces or shell characters');
    }
    expect(existsSync(marker)).toBe(false);
  });
});
