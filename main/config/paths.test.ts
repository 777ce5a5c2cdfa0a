import { describe, expect, it } from 'vitest';
import { expandHome, homeDir, resolveConfigPath, resolveCredentialsDir, resolveStateDir } from './paths';

describe('config paths', () => {
  const env = { HOME: '/home/ann' };

  it('defaults to ~/.clawdbot/clawdbot.json', () => {
    expect(resolveStateDir(env)).toBe('/home/ann/.clawdbot');
    expect(resolveConfigPath(env)).toBe('/home/ann/.clawdbot/clawdbot.json');
  });

  it('CLAWDBOT_STATE_DIR moves the state dir and the config with it', () => {
    const e = { ...env, CLAWDBOT_STATE_DIR: '/tmp/state' };
    expect(resolveStateDir(e)).toBe('/tmp/state');
    expect(resolveConfigPath(e)).toBe('/tmp/state/clawdbot.json');
  });

  it('CLAWDBOT_CONFIG_PATH wins for the config file only', () => {
    const e = { ...env, CLAWDBOT_STATE_DIR: '/tmp/state', CLAWDBOT_CONFIG_PATH: '~/cfg/my.json5' };
    expect(resolveConfigPath(e)).toBe('/home/ann/cfg/my.json5');
    expect(resolveStateDir(e)).toBe('/tmp/state');
  });

  it('blank overrides are ignored and relative ones are made absolute', () => {
    expect(resolveStateDir({ ...env, CLAWDBOT_STATE_DIR: '  ' })).toBe('/home/ann/.clawdbot');
    expect(resolveStateDir({ ...env, CLAWDBOT_STATE_DIR: 'rel/dir' })).toBe(`${process.cwd()}/rel/dir`);
  });

  it('MOLTBOT_STATE_DIR / MOLTBOT_CONFIG_PATH (the upstream names after its rename) work when ours are not set', () => {
    const e = { ...env, MOLTBOT_STATE_DIR: '/srv/molt', MOLTBOT_CONFIG_PATH: '/srv/molt/moltbot.json' };
    expect(resolveStateDir(e)).toBe('/srv/molt');
    expect(resolveConfigPath(e)).toBe('/srv/molt/moltbot.json');
    expect(resolveStateDir({ ...e, CLAWDBOT_STATE_DIR: '/tmp/state' })).toBe('/tmp/state');
    expect(resolveConfigPath({ ...e, CLAWDBOT_CONFIG_PATH: '/tmp/c.json' })).toBe('/tmp/c.json');
  });

  it('credentials live in <stateDir>/credentials unless CLAWDBOT_OAUTH_DIR moves them', () => {
    expect(resolveCredentialsDir('/tmp/state', env)).toBe('/tmp/state/credentials');
    expect(resolveCredentialsDir('/tmp/state', { ...env, CLAWDBOT_OAUTH_DIR: '~/secrets' })).toBe('/home/ann/secrets');
    expect(resolveCredentialsDir('/tmp/state', { ...env, CLAWDBOT_OAUTH_DIR: ' ' })).toBe('/tmp/state/credentials');
  });

  it('expandHome expands only a leading ~ or ~/', () => {
    expect(expandHome('~', env)).toBe('/home/ann');
    expect(expandHome('~/Library/Messages/chat.db', env)).toBe('/home/ann/Library/Messages/chat.db');
    expect(expandHome('~bob/x', env)).toBe('~bob/x');
    expect(expandHome('/opt/~/x', env)).toBe('/opt/~/x');
    expect(expandHome('imsg', env)).toBe('imsg');
  });

  it('falls back to the OS home directory without HOME', () => {
    expect(homeDir({})).toMatch(/^\//);
  });
});
