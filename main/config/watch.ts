// Hot reload: watch the config file, and when it changes, load and validate it and say what
// changed, so the gateway restarts only what it has to (one iMessage account, the channel, the
// control server, the agent).
//
// The folder is watched, not the file: editors and our own writer replace the file by renaming a
// temp file over it, which gives it a new inode that a file watch would not follow. Events are
// debounced (editors write in several steps). An invalid file is reported through onError and the
// last good config stays in force; the next valid save is compared against that last good config.
// A valid file after a rejected one is always reported (onChange, possibly with nothing changed),
// even when it equals the last good config — restoring the previous file is how people undo a bad
// edit, and the error must clear then. A symlinked config is watched at its target's folder too
// (edits to the target do not show up in the link's folder).
import { watch as watchFs, promises as fs, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { resolveImessageAccounts } from './accounts';
import { ConfigError } from './errors';
import { deepEqual } from './json-path';
import { loadConfig } from './load';
import type { Env } from './paths';
import type { ClawdbotConfig } from '../../contract/config';
import { validateConfig } from './validate';

export interface ConfigDiff {
  /** Ids of iMessage accounts whose resolved settings differ, including added and removed ones; sorted. */
  changedAccounts: string[];
  /** Anything under `channels.imessage` changed, or an account's resolved settings did. */
  imessageChanged: boolean;
  /** Anything under `gateway` changed (port, bind, token, mode): the control server must restart. */
  gatewayChanged: boolean;
  /** Anything under `agents`, `models`, `messages` or `session` changed. */
  agentChanged: boolean;
}

export interface ConfigChange extends ConfigDiff {
  config: ClawdbotConfig;
  warnings: string[];
}

/** What differs between two valid configs. Pure; `env` only serves `~` expansion in account paths. */
export function diffConfigs(prev: ClawdbotConfig, next: ClawdbotConfig, env: Env = process.env): ConfigDiff {
  const before = new Map(resolveImessageAccounts(prev, env).map((account) => [account.accountId, account]));
  const after = new Map(resolveImessageAccounts(next, env).map((account) => [account.accountId, account]));
  const changedAccounts = [...new Set([...before.keys(), ...after.keys()])]
    .filter((id) => !deepEqual(before.get(id), after.get(id)))
    .sort();
  return {
    changedAccounts,
    imessageChanged: changedAccounts.length > 0 || !deepEqual(prev.channels?.imessage, next.channels?.imessage),
    gatewayChanged: !deepEqual(prev.gateway, next.gateway),
    agentChanged: (['agents', 'models', 'messages', 'session'] as const).some((key) => !deepEqual(prev[key], next[key])),
  };
}

export interface WatchConfigOptions {
  onChange: (change: ConfigChange) => void;
  /** The file changed but cannot be used (or cannot be watched); the last good config stays in force. */
  onError: (error: ConfigError) => void;
  /** Quiet time after the last file event before reloading. Default 300 ms. */
  debounceMs?: number;
  /** The config currently in use. Default: the file is loaded when watching starts. */
  initial?: ClawdbotConfig;
  env?: Env;
}

export interface ConfigWatcher {
  /** Resolves once watching has started (and the initial load, if any, has finished). */
  ready: Promise<void>;
  /** Reload now instead of waiting for a file event (e.g. right after our own write). */
  check(): Promise<void>;
  close(): void;
}

export function watchConfig(path: string, options: WatchConfigOptions): ConfigWatcher {
  const env = options.env ?? process.env;
  const debounceMs = options.debounceMs ?? 300;
  const fileName = basename(path);
  let lastGood: ClawdbotConfig | undefined = options.initial;
  /** The last reload was rejected (onError): the next valid one is reported even if unchanged. */
  let failing = false;
  const watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let running: Promise<void> | undefined;
  let rerun = false;

  const asConfigError = (error: unknown): ConfigError =>
    error instanceof ConfigError
      ? error
      : new ConfigError([{ path: '', value: undefined, message: (error as Error).message, fix: `Check that ${dirname(path)} exists and is readable.` }], {
          kind: 'io',
          file: path,
          message: `Cannot watch or read ${path}: ${(error as Error).message}`,
        });

  async function reload(): Promise<void> {
    let loaded;
    try {
      loaded = await loadConfig({ path, env });
    } catch (error) {
      if (!closed) {
        failing = true;
        options.onError(asConfigError(error));
      }
      return;
    }
    if (closed) return;
    // Until a good config has been seen, compare against the defaults (an empty file).
    const previous = lastGood ?? validateConfig({}, { env }).config;
    lastGood = loaded.config;
    const recovered = failing;
    failing = false;
    // Touched or re-saved without a real change: nothing to say, unless it ends an error.
    if (deepEqual(previous, loaded.config) && !recovered) return;
    options.onChange({ ...diffConfigs(previous, loaded.config, env), config: loaded.config, warnings: loaded.warnings });
  }

  /** Runs reloads one at a time; a request during a reload causes exactly one more. */
  function check(): Promise<void> {
    if (closed) return Promise.resolve();
    if (running) {
      rerun = true;
      return running;
    }
    running = (async () => {
      do {
        rerun = false;
        await reload();
      } while (rerun && !closed);
    })().finally(() => {
      running = undefined;
    });
    return running;
  }

  function schedule(): void {
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      void check();
    }, debounceMs);
  }

  const ready = (async () => {
    try {
      await fs.mkdir(dirname(path), { recursive: true, mode: 0o700 });
      if (closed) return;
      // The link's folder (the link itself may be replaced) and, for a symlink, its target's.
      const watched = new Map([[dirname(path), fileName]]);
      const real = await fs.realpath(path).catch(() => undefined);
      if (real && real !== path) watched.set(dirname(real), basename(real));
      if (closed) return;
      for (const [dir, name] of watched) {
        // persistent:false — watching alone should not keep a process alive.
        const watcher = watchFs(dir, { persistent: false }, (_event, changed) => {
          // Some platforms omit the name; then any event in the folder may be ours.
          if (!changed || changed.toString() === name) schedule();
        });
        watcher.on('error', (error) => {
          if (!closed) options.onError(asConfigError(error));
        });
        watchers.push(watcher);
      }
    } catch (error) {
      if (!closed) options.onError(asConfigError(error));
      return;
    }
    if (lastGood === undefined) {
      try {
        lastGood = (await loadConfig({ path, env })).config;
      } catch (error) {
        if (!closed) {
          failing = true;
          options.onError(asConfigError(error));
        }
      }
    }
  })();

  return {
    ready,
    check,
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      for (const watcher of watchers) watcher.close();
    },
  };
}
