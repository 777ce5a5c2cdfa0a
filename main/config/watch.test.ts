import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../util/atomic-file';
import { ConfigError } from './errors';
import { loadConfig } from './load';
import { validateConfig } from './validate';
import { diffConfigs, watchConfig, type ConfigChange, type ConfigWatcher } from './watch';
import { patchConfigFile } from './write';

const env = { HOME: '/Users/ann' };
const cfg = (raw: unknown) => validateConfig(raw, { env }).config;

describe('diffConfigs', () => {
  const base = {
    gateway: { port: 18789 },
    channels: { imessage: { dmPolicy: 'allowlist', allowFrom: ['+1'], accounts: { home: {}, work: { cliPath: '/opt/imsg' } } } },
    messages: { responsePrefix: '' },
  };

  it('identical configs: nothing changed', () => {
    expect(diffConfigs(cfg(base), cfg(structuredClone(base)), env)).toEqual({
      changedAccounts: [],
      imessageChanged: false,
      gatewayChanged: false,
      agentChanged: false,
    });
  });

  it('an account-level change names only that account', () => {
    const next = structuredClone(base);
    next.channels.imessage.accounts.work.cliPath = '/opt/imsg2';
    expect(diffConfigs(cfg(base), cfg(next), env)).toEqual({ changedAccounts: ['work'], imessageChanged: true, gatewayChanged: false, agentChanged: false });
  });

  it('a top-level iMessage change reaches every account that inherits it', () => {
    const next = structuredClone(base) as typeof base & { channels: { imessage: { accounts: { home: { allowFrom?: string[] } } } } };
    next.channels.imessage.accounts.home.allowFrom = ['+1'];
    next.channels.imessage.allowFrom = ['+2'];
    // home now sets allowFrom itself to the old value: unchanged. work inherits the new one.
    expect(diffConfigs(cfg(base), cfg(next), env).changedAccounts).toEqual(['work']);
  });

  it('added and removed accounts are changed accounts', () => {
    const next = structuredClone(base) as { channels: { imessage: { accounts: Record<string, object> } } };
    delete next.channels.imessage.accounts.home;
    next.channels.imessage.accounts.Extra = {};
    expect(diffConfigs(cfg(base), cfg(next), env).changedAccounts).toEqual(['extra', 'home']);
  });

  it('messages.groupChat.historyLimit changes the accounts that fall back to it, and the agent', () => {
    const next = { ...structuredClone(base), messages: { groupChat: { historyLimit: 10 } } };
    expect(diffConfigs(cfg(base), cfg(next), env)).toEqual({
      changedAccounts: ['home', 'work'],
      imessageChanged: true,
      gatewayChanged: false,
      agentChanged: true,
    });
  });

  it('gateway and agent sections are reported separately', () => {
    expect(diffConfigs(cfg(base), cfg({ ...base, gateway: { port: 18800 } }), env)).toMatchObject({ gatewayChanged: true, imessageChanged: false, agentChanged: false });
    expect(diffConfigs(cfg(base), cfg({ ...base, session: { dmScope: 'main' } }), env)).toMatchObject({ gatewayChanged: false, agentChanged: true });
    expect(diffConfigs(cfg(base), cfg({ ...base, agents: { defaults: { model: 'openai/gpt-4o' } } }), env).agentChanged).toBe(true);
  });
});

describe('watchConfig', () => {
  let dir: string;
  let file: string;
  let watcher: ConfigWatcher | undefined;
  let changes: ConfigChange[];
  let errors: ConfigError[];
  let notify: (() => void) | undefined;

  /** Resolves at the next onChange/onError (fails after 3 s). */
  const nextEvent = () =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no watch event within 3 s')), 3000);
      notify = () => {
        clearTimeout(timer);
        notify = undefined;
        resolve();
      };
    });

  const start = async (debounceMs = 40) => {
    watcher = watchConfig(file, {
      debounceMs,
      env,
      initial: (await loadConfig({ path: file, env })).config,
      onChange: (change) => {
        changes.push(change);
        notify?.();
      },
      onError: (error) => {
        errors.push(error);
        notify?.();
      },
    });
    await watcher.ready;
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'clawdbot-watch-'));
    file = join(dir, 'clawdbot.json');
    changes = [];
    errors = [];
    await patchConfigFile(file, { channels: { imessage: { accounts: { home: {}, work: { cliPath: '/opt/imsg' } } } } }, { env });
  });

  afterEach(async () => {
    watcher?.close();
    watcher = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('a valid change (atomic rename by our writer) reports only the changed account', async () => {
    await start();
    const event = nextEvent();
    await patchConfigFile(file, { channels: { imessage: { accounts: { work: { dmPolicy: 'allowlist' } } } } }, { env });
    await event;
    expect(errors).toEqual([]);
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ changedAccounts: ['work'], imessageChanged: true, gatewayChanged: false, agentChanged: false });
    expect(changes[0]!.config.channels?.imessage?.accounts?.work?.dmPolicy).toBe('allowlist');
  });

  it('an invalid change is reported through onError and the last good config is kept', async () => {
    await start();
    let event = nextEvent();
    await writeFileAtomic(file, '{ channels: { imessage: { accounts: { home: {}, work: { cliPath: "/opt/imsg", dmPolicy: "opne" } } } } }');
    await event;
    expect(changes).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(ConfigError);
    expect(errors[0]!.issues[0]!.path).toBe('channels.imessage.accounts.work.dmPolicy');

    // A syntax error is an error too, not a crash.
    event = nextEvent();
    await writeFileAtomic(file, '{ channels: ');
    await event;
    expect(errors[1]!.kind).toBe('parse');

    // The next valid save is compared with the last GOOD config: only "home" differs from it.
    event = nextEvent();
    await writeFileAtomic(file, '{ channels: { imessage: { accounts: { home: { region: "DE" }, work: { cliPath: "/opt/imsg" } } } } }');
    await event;
    expect(changes).toHaveLength(1);
    expect(changes[0]!.changedAccounts).toEqual(['home']);
  });

  it('a save without a real change (touch, reformat) reports nothing; close() stops watching', async () => {
    await start();
    await writeFileAtomic(file, '// reformatted\n{channels:{imessage:{accounts:{work:{cliPath:"/opt/imsg"},home:{}}}}}');
    await watcher!.check();
    expect(changes).toEqual([]);
    expect(errors).toEqual([]);

    watcher!.close();
    await patchConfigFile(file, { gateway: { port: 18800 } }, { env });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(changes).toEqual([]);
  });

  it('an in-place write (not a rename) is seen too', async () => {
    await start();
    const event = nextEvent();
    await writeFile(file, '{ channels: { imessage: { accounts: { home: {}, work: { cliPath: "/opt/imsg3" } } } } }');
    await event;
    expect(changes[0]!.changedAccounts).toEqual(['work']);
  });

  it('without an initial config it loads the file when it starts', async () => {
    watcher = watchConfig(file, {
      debounceMs: 40,
      env,
      onChange: (change) => {
        changes.push(change);
        notify?.();
      },
      onError: (error) => {
        errors.push(error);
        notify?.();
      },
    });
    await watcher.ready;
    const event = nextEvent();
    await patchConfigFile(file, { channels: { imessage: { accounts: { home: { region: 'DE' } } } } }, { env });
    await event;
    expect(changes[0]!.changedAccounts).toEqual(['home']);
  });

  it('a burst of writes is debounced into one reload', async () => {
    await start(400);
    const event = nextEvent();
    for (let port = 18800; port < 18805; port++) await patchConfigFile(file, { gateway: { port } }, { env });
    await event;
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ gatewayChanged: true, imessageChanged: false, changedAccounts: [] });
    expect(changes[0]!.config.gateway.port).toBe(18804);
  });
});
