// Everything the simulator reads from the environment, parsed once and validated, plus the path
// rules (default chat.db, the simulated Mac user's home for `~` in attachment paths).
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { DEFAULT_VERSION, versionProfile, type VersionProfile } from './version';

export interface SimSettings {
  profile: VersionProfile;
  /** IMSG_SIM_FDA=denied: behave as if Full Disk Access was not granted. */
  fdaDenied: boolean;
  /** IMSG_SIM_CRASH_AFTER: die abruptly after this many `message` notifications. */
  crashAfter: number | null;
  /** IMSG_SIM_CRASH_ON_SIGNAL: die abruptly when this signal arrives. */
  crashOnSignal: NodeJS.Signals | null;
  /** IMSG_SIM_STALL_AFTER: stop answering after this many responses. */
  stallAfter: number | null;
  /** IMSG_SIM_STALL_MS: how long the stall lasts (null = forever). */
  stallMs: number | null;
  /** IMSG_SIM_SEND_DELAY_MS: extra time `send` takes (Messages.app being slow). */
  sendDelayMs: number;
  /** IMSG_SIM_GARBAGE=1: non-JSON / partial lines between real output lines. */
  garbage: boolean;
  /** IMSG_SIM_ONCE: marker file; crash/stall faults fire only while it does not exist. */
  onceMarker: string | null;
  /** IMSG_SIM_POLL_MS: watch fallback poll interval. */
  pollMs: number;
  /** IMSG_SIM_DEBOUNCE_MS: watch debounce when the subscriber passes none (null = version default). */
  debounceMs: number | null;
  /** IMSG_SIM_LINUX_SEND=1: every send fails like the real Linux build. */
  linuxSend: boolean;
  /**
   * IMSG_SIM_AUTOMATION: macOS's answer when imsg drives Messages (Privacy & Security › Automation):
   * `granted` (default), `denied` (every send fails with -1743), or `pending` (the permission prompt
   * is up: a send waits for IMSG_SIM_AUTOMATION_ANSWER or IMSG_SIM_AUTOMATION_TIMEOUT_MS).
   */
  automation: AutomationMode;
  /** IMSG_SIM_AUTOMATION_ANSWER: pending mode: the file whose appearance is the person's click ("deny" in it = Don't Allow). */
  automationAnswer: string | null;
  /** IMSG_SIM_AUTOMATION_TIMEOUT_MS: pending mode: how long a send waits for the answer before AppleScript gives up (-1712). */
  automationTimeoutMs: number;
  /** IMSG_SIM_NOTIFY_BEFORE_RESPONSE=1: backlog notifications precede the watch.subscribe response (spec §1.4 race). */
  notifyBeforeResponse: boolean;
  /** IMSG_SIM_FROM_ME_DELAY_MS: sent rows are written with is_from_me=0 and flipped to 1 this much later (spec §7.3). */
  fromMeDelayMs: number;
  /** IMSG_SIM_FS_EVENTS=0: no file-system trigger, only the fallback poll (like the real Linux build). */
  fsEvents: boolean;
  /** IMSG_SIM_HOME: home directory of the simulated Mac user. */
  home: string | null;
  /** IMSG_SIM_DB: default chat.db path. */
  db: string | null;
}

export type AutomationMode = 'granted' | 'denied' | 'pending';
const AUTOMATION_MODES: readonly AutomationMode[] = ['granted', 'denied', 'pending'];
/** How long Messages' AppleEvent waits by default before it gives up (AppleScript's 2 minutes). */
export const DEFAULT_AUTOMATION_TIMEOUT_MS = 120_000;

export class SettingsError extends Error {}

const SIGNALS = new Set(['SIGUSR1', 'SIGUSR2', 'SIGHUP', 'SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGALRM', 'SIGWINCH']);

function nonNegativeInt(env: NodeJS.ProcessEnv, name: string): number | null {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return null;
  if (!/^\d+$/.test(raw.trim())) {
    throw new SettingsError(`${name} must be a non-negative integer (milliseconds or a count), got ${JSON.stringify(raw)}`);
  }
  return Number(raw.trim());
}

function flag(env: NodeJS.ProcessEnv, name: string): boolean {
  const raw = (env[name] ?? '').trim().toLowerCase();
  if (raw === '' || raw === '0' || raw === 'false' || raw === 'no') return false;
  if (raw === '1' || raw === 'true' || raw === 'yes') return true;
  throw new SettingsError(`${name} must be 1 or 0, got ${JSON.stringify(env[name])}`);
}

/** Reads and validates IMSG_SIM_* (and IMSG_VERSION). Throws SettingsError with an actionable message. */
export function readSettings(env: NodeJS.ProcessEnv = process.env): SimSettings {
  const version = (env.IMSG_SIM_VERSION || env.IMSG_VERSION || DEFAULT_VERSION).trim();
  const fda = (env.IMSG_SIM_FDA ?? '').trim().toLowerCase();
  if (fda !== '' && fda !== 'denied' && fda !== 'granted') {
    throw new SettingsError(`IMSG_SIM_FDA must be "denied" or "granted", got ${JSON.stringify(env.IMSG_SIM_FDA)}`);
  }
  const automation = (env.IMSG_SIM_AUTOMATION ?? '').trim().toLowerCase() || 'granted';
  if (!(AUTOMATION_MODES as readonly string[]).includes(automation)) {
    throw new SettingsError(`IMSG_SIM_AUTOMATION must be one of ${AUTOMATION_MODES.join(', ')}, got ${JSON.stringify(env.IMSG_SIM_AUTOMATION)}`);
  }
  const signal = (env.IMSG_SIM_CRASH_ON_SIGNAL ?? '').trim().toUpperCase();
  const signalName = signal === '' ? null : signal.startsWith('SIG') ? signal : `SIG${signal}`;
  if (signalName !== null && !SIGNALS.has(signalName)) {
    throw new SettingsError(`IMSG_SIM_CRASH_ON_SIGNAL must be one of ${[...SIGNALS].join(', ')}, got ${JSON.stringify(env.IMSG_SIM_CRASH_ON_SIGNAL)}`);
  }
  return {
    profile: versionProfile(version),
    fdaDenied: fda === 'denied',
    crashAfter: nonNegativeInt(env, 'IMSG_SIM_CRASH_AFTER'),
    crashOnSignal: signalName as NodeJS.Signals | null,
    stallAfter: nonNegativeInt(env, 'IMSG_SIM_STALL_AFTER'),
    stallMs: nonNegativeInt(env, 'IMSG_SIM_STALL_MS'),
    sendDelayMs: nonNegativeInt(env, 'IMSG_SIM_SEND_DELAY_MS') ?? 0,
    garbage: flag(env, 'IMSG_SIM_GARBAGE'),
    onceMarker: env.IMSG_SIM_ONCE?.trim() ? resolve(env.IMSG_SIM_ONCE.trim()) : null,
    pollMs: Math.max(1, nonNegativeInt(env, 'IMSG_SIM_POLL_MS') ?? 5000),
    debounceMs: nonNegativeInt(env, 'IMSG_SIM_DEBOUNCE_MS'),
    linuxSend: flag(env, 'IMSG_SIM_LINUX_SEND'),
    automation: automation as AutomationMode,
    automationAnswer: env.IMSG_SIM_AUTOMATION_ANSWER?.trim() ? resolve(expandTilde(env.IMSG_SIM_AUTOMATION_ANSWER.trim())) : null,
    automationTimeoutMs: nonNegativeInt(env, 'IMSG_SIM_AUTOMATION_TIMEOUT_MS') ?? DEFAULT_AUTOMATION_TIMEOUT_MS,
    notifyBeforeResponse: flag(env, 'IMSG_SIM_NOTIFY_BEFORE_RESPONSE'),
    fromMeDelayMs: nonNegativeInt(env, 'IMSG_SIM_FROM_ME_DELAY_MS') ?? 0,
    fsEvents: env.IMSG_SIM_FS_EVENTS === undefined || env.IMSG_SIM_FS_EVENTS.trim() === '' ? true : flag(env, 'IMSG_SIM_FS_EVENTS'),
    home: homeFromEnv(env),
    db: env.IMSG_SIM_DB?.trim() ? resolve(expandTilde(env.IMSG_SIM_DB.trim())) : null,
  };
}

/** IMSG_SIM_HOME as an absolute path, or null when unset. */
export function homeFromEnv(env: NodeJS.ProcessEnv = process.env): string | null {
  const raw = env.IMSG_SIM_HOME?.trim();
  return raw ? resolve(expandTilde(raw)) : null;
}

/** Expands a leading `~` (alone or followed by `/`) against `home` (default: the real user's home). */
export function expandTilde(path: string, home: string = homedir()): string {
  if (path === '~') return home;
  if (path.startsWith('~/')) return join(home, path.slice(2));
  return path;
}

/** The chat.db used when no `--db` is given: IMSG_SIM_DB, else `<home>/Library/Messages/chat.db`. */
export function defaultDbPath(settings: Pick<SimSettings, 'db' | 'home'>): string {
  return settings.db ?? join(settings.home ?? homedir(), 'Library', 'Messages', 'chat.db');
}

/**
 * Home of the simulated Mac user, against which `~/Library/Messages/Attachments/…` paths in chat.db
 * are expanded (and under which sent/injected attachments are stored): IMSG_SIM_HOME if set; else,
 * for a db at `<X>/Library/Messages/chat.db`, `<X>`; else the db's own directory. The last rule keeps
 * a test's temp db and its attachments together in one throw-away folder.
 */
export function messagesHomeFor(dbPath: string, settings: Pick<SimSettings, 'home'>): string {
  if (settings.home) return settings.home;
  const abs = resolve(dbPath);
  const messagesDir = dirname(abs);
  const libraryDir = dirname(messagesDir);
  if (basename(messagesDir) === 'Messages' && basename(libraryDir) === 'Library') return dirname(libraryDir);
  return messagesDir;
}
