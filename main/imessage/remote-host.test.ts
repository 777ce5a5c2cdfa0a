import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectRemoteHost, isValidRemoteHost, parseRemoteHostFromScript, resolveRemoteHost } from './remote-host';

describe('parseRemoteHostFromScript', () => {
  it.each([
    // The spec's two examples.
    ['exec ssh -T bot@192.168.64.3 /opt/homebrew/bin/imsg "$@"', 'bot@192.168.64.3'],
    ['exec ssh -T mac-mini imsg "$@"', 'mac-mini'],
    // Options with arguments are skipped the way ssh reads them.
    ['exec ssh -p 2222 -i ~/.ssh/bot_key -o BatchMode=yes bot@mac.local imsg "$@"', 'bot@mac.local'],
    ['exec ssh -J jump@bastion.example.com bot@10.0.0.5 imsg "$@"', 'bot@10.0.0.5'],
    ['exec ssh -oBatchMode=yes -tt -l clawd studio.tailnet.ts.net /usr/local/bin/imsg "$@"', 'clawd@studio.tailnet.ts.net'],
    ['exec ssh -o User=bot mini imsg "$@"', 'bot@mini'],
    ['exec /usr/bin/ssh -q ssh://bot@mac.lan:2200 imsg "$@"', 'bot@mac.lan'],
    ['exec ssh -- bot@mac imsg "$@"', 'bot@mac'],
    // Line continuations, comments, variables set in the script.
    ['#!/bin/sh\n# ssh to the mac and run imsg there\nexec ssh \\\n  -T \\\n  bot@mac-studio \\\n  imsg "$@"\n', 'bot@mac-studio'],
    ['#!/bin/bash\nset -euo pipefail\nREMOTE="bot@192.168.1.20"\nexec ssh -T "$REMOTE" /opt/homebrew/bin/imsg "$@"\n', 'bot@192.168.1.20'],
    ['#!/bin/sh\nexport IMSG_HOST=${IMSG_HOST:-mini.local}\nexec ssh -T ${IMSG_HOST} imsg "$@"\n', 'mini.local'],
    ['#!/bin/zsh\ncd /tmp && exec ssh -T bot@mac imsg "$@"', 'bot@mac'],
  ])('%j → %s', (script, host) => {
    expect(parseRemoteHostFromScript(script)).toBe(host);
  });

  it.each([
    ['#!/bin/sh\nexec /opt/homebrew/bin/imsg "$@"\n'], // local wrapper, no ssh
    ['#!/bin/sh\nexec ssh -T "$UNKNOWN_HOST" imsg "$@"\n'], // host not knowable without running it
    ['#!/bin/sh\n# use ssh to reach imsg on the mac\nexec imsg "$@"\n'], // ssh only in a comment
    ['exec ssh -T "bot@mac; rm -rf ~" imsg'], // not a plain host
    [''],
  ])('finds nothing in %j', (script) => {
    expect(parseRemoteHostFromScript(script)).toBeUndefined();
  });

  it("falls back to the original's patterns when no ssh command parses", () => {
    // `ssh` glued to other text: no ssh word, but the original's line rule still sees it.
    expect(parseRemoteHostFromScript('exec ssh-to-mac --via bot@mac imsg')).toBe('bot@mac');
    expect(parseRemoteHostFromScript('run-over-ssh: mac-mini imsg "$@"')).toBe('mac-mini');
  });
});

describe('isValidRemoteHost', () => {
  it.each([
    ['bot@mac', true], ['mac-mini.local', true], ['user_1@10.0.0.1', true], ['bot@[::1]', true],
    ['-oProxyCommand=x', false], ['bot@-x', false], ['bot@mac;id', false], ['a b', false], ['', false], ['bot@', false],
  ])('%j → %s', (host, ok) => {
    expect(isValidRemoteHost(host)).toBe(ok);
  });
});

describe('detectRemoteHost', () => {
  let dir: string;
  let marker: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'remote-host-test-'));
    marker = join(dir, 'executed');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function script(name: string, body: string): string {
    const path = join(dir, name);
    // If anything ever ran the script, the marker file would appear.
    writeFileSync(path, `#!/bin/sh\ntouch ${marker}\n${body}\n`);
    chmodSync(path, 0o755);
    return path;
  }

  it('reads the wrapper at cliPath without running it', async () => {
    const path = script('imsg-remote', 'exec ssh -T bot@192.168.64.3 /opt/homebrew/bin/imsg "$@"');
    expect(await detectRemoteHost(path)).toBe('bot@192.168.64.3');
    expect(existsSync(marker)).toBe(false);
  });

  it('expands ~ and resolves bare names through PATH', async () => {
    const home = join(dir, 'home');
    mkdirSync(join(home, 'bin'), { recursive: true });
    writeFileSync(join(home, 'bin', 'imsg-mac'), 'exec ssh mac-mini imsg "$@"\n');
    expect(await detectRemoteHost('~/bin/imsg-mac', { home })).toBe('mac-mini');
    expect(await detectRemoteHost('imsg-mac', { home, pathEnv: `/nonexistent:${join(home, 'bin')}` })).toBe('mac-mini');
  });

  it('returns undefined for plain imsg, unreadable paths, directories and binaries', async () => {
    expect(await detectRemoteHost('imsg')).toBeUndefined();
    expect(await detectRemoteHost(join(dir, 'missing'))).toBeUndefined();
    expect(await detectRemoteHost(dir)).toBeUndefined();
    const binary = join(dir, 'imsg-bin');
    writeFileSync(binary, Buffer.concat([Buffer.from('\x7fELF\0\0'), Buffer.from(' ssh bot@mac imsg ')]));
    expect(await detectRemoteHost(binary)).toBeUndefined();
  });

  it('prefers an explicit remoteHost', async () => {
    const path = script('imsg-remote2', 'exec ssh bot@detected imsg "$@"');
    expect(await resolveRemoteHost({ remoteHost: 'bot@explicit', cliPath: path })).toBe('bot@explicit');
    expect(await resolveRemoteHost({ cliPath: path })).toBe('bot@detected');
  });
});
