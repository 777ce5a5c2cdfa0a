// The preload bridge: everything the app's sandboxed window can ask the main process for, and
// everything main pushes to it. The window gets only what a browser cannot do — the gateway's
// address and token, the hosted gateway's mode (a simulated Messages account or the person's),
// and native actions (permissions, System Settings, relaunch, login item, logs, quit); everything
// else it reads from the gateway's control API, exactly as the web UI does in a browser.
//
// One list of channels (`BRIDGE_INVOKE_CHANNELS`, `BRIDGE_EVENT_CHANNELS`) is the allow-list on
// both sides: the preload maps exactly these, main answers exactly these (and refuses any other
// channel, or a sender that is not our window). The `satisfies` lines below fail to compile when
// a contract entry has no channel or the other way round.
//
// The renderer reads it as `window.clawdbot` (BRIDGE_GLOBAL), typed `ClawdbotBridge`; browser
// tests inject a fake with the same type. Listeners get the payload only and return an
// unsubscribe function.
import type { CheckState, SetupFix } from './setup';

/** `window.clawdbot` */
export const BRIDGE_GLOBAL = 'clawdbot';

/** The screens of the app's window. It opens on one (`#screen=pairing` in the URL) and main can switch it. */
export const SCREENS = ['onboarding', 'pairing', 'health', 'accounts', 'settings'] as const;
export type Screen = (typeof SCREENS)[number];

/** How the window reaches the gateway's control API (the same API the web UI and the CLI use). */
export interface GatewayConnection {
  /** http://127.0.0.1:18789 */
  url: string;
  /** ws://127.0.0.1:18789/ws */
  wsUrl: string;
  token: string;
  /** `hosted`: the app's own gateway; `attached`: another Clawdbot gateway the person chose to use. */
  mode: 'hosted' | 'attached';
}

/** Who holds the port the gateway wanted, when starting failed because it was taken. */
export type PortConflict =
  | {
      kind: 'clawdbot';
      port: number;
      pid: number;
      /** One of the person's tokens opens it: the app can use that gateway instead of starting its own. */
      usable: boolean;
      /** A free port to start on instead, if one was found. */
      freePort: number | null;
    }
  | { kind: 'other-program'; port: number; freePort: number | null };

/** The hosted gateway's life cycle, as the menu and the window show it. */
export type GatewayPhase =
  | { kind: 'starting' }
  | { kind: 'running'; mode: 'hosted' | 'attached'; port: number }
  | { kind: 'paused' }
  /** An error inside the gateway: it is restarted at `retryAt` (epoch ms). */
  | { kind: 'crashed'; error: string; retryAt: number }
  /** It could not start; waits for a choice (GatewayRecovery). */
  | { kind: 'failed'; message: string; fix?: string; conflict?: PortConflict }
  | { kind: 'stopping' };

/** What the person can do about a gateway that is not running. */
export type GatewayRecovery = { type: 'retry' } | { type: 'use-running-gateway' } | { type: 'use-port'; port: number };

/**
 * The app's simulated Messages account (our imsg simulator, the gateway's demo mode): lets a person
 * try pairing and replies before granting anything.
 */
export interface SimulatedAccountStatus {
  /** The window may switch it on or off now (not in the packaged app, not while `--demo` forces it, …). */
  available: boolean;
  /** The hosted gateway runs (or is to run) with the simulated account instead of the person's Messages. */
  active: boolean;
  /** Why it is not available, in one sentence for the person. */
  reason?: string;
}

/**
 * The answer to a switch: done (the hosted gateway restarted in the other mode, or already was in
 * it), or refused with a sentence for the person. A refusal is an answer, not a thrown error:
 * Electron rewraps an error thrown in main ("Error invoking remote method …"), and the window
 * shows this message as it is.
 */
export type SimulatedAccountAnswer = { ok: true } | { ok: false; message: string };

/** The two permissions iMessage needs from macOS. */
export type PermissionId = 'full-disk-access' | 'automation';

export interface PermissionStatus {
  id: PermissionId;
  /** `ok`, `denied`, `missing` (e.g. Messages never set up), `unknown`, `not-applicable` (not a Mac, a remote account). */
  state: CheckState;
  /** One sentence: what was found, and from which signal. */
  detail: string;
  fix?: SetupFix;
}

export interface PermissionsReport {
  permissions: PermissionStatus[];
  /** Full Disk Access changed since Clawdbot started: macOS applies it after a restart (offer `relaunch()`). */
  restartSuggested: boolean;
  /** ISO time of the check. */
  checkedAt: string;
}

/** System Settings panes the window may open (main maps them to `x-apple.systempreferences:` links). */
export type SettingsPane = PermissionId;
/** Help pages the window may open in the browser (main maps them to fixed URLs). */
export type HelpPage = 'imsg';

/** Onboarding progress, kept in the app's preferences. */
export interface OnboardingProgress {
  /** The step the person last reached (the renderer's own names), or null before the first. */
  step: string | null;
  /** ISO time onboarding was finished, or null. Finishing it turns launch at login on (once). */
  completedAt: string | null;
}

/** Request → response of every call the window can make (`ipcRenderer.invoke`). */
export interface BridgeInvokes {
  /** The gateway to talk to, or null while it is not running (paused, starting, failed). */
  'gateway.connection': { request: void; response: GatewayConnection | null };
  /** Whether the gateway runs, and if not why (a start failure with its fix, a port conflict). */
  'gateway.phase': { request: void; response: GatewayPhase };
  /** Retry a failed start, use the Clawdbot gateway holding the port, or start on another port. */
  'gateway.recover': { request: GatewayRecovery; response: GatewayPhase };
  /** Whether the hosted gateway runs with a simulated Messages account, and whether the window may switch it. */
  'gateway.simulated': { request: void; response: SimulatedAccountStatus };
  /** Switches to the simulated account (true) or back to the person's Messages (false): the hosted gateway restarts in that mode; resolves once it has. */
  'gateway.useSimulated': { request: boolean; response: SimulatedAccountAnswer };
  /** Checks both permissions now. */
  'permissions.check': { request: void; response: PermissionsReport };
  /** The permission step is on screen (true) or gone (false): while true, main re-checks every second and pushes `permissions`. */
  'permissions.watch': { request: boolean; response: void };
  'settings.open': { request: SettingsPane; response: void };
  'help.open': { request: HelpPage; response: void };
  /** Restarts Clawdbot (needed after granting Full Disk Access). */
  'app.relaunch': { request: void; response: void };
  'app.quit': { request: void; response: void };
  'loginItem.get': { request: void; response: boolean };
  'loginItem.set': { request: boolean; response: boolean };
  'onboarding.get': { request: void; response: OnboardingProgress };
  'onboarding.set': { request: OnboardingProgress; response: OnboardingProgress };
  /** Shows the app's log file in Finder. */
  'logs.reveal': { request: void; response: void };
}

/** What main pushes to the window (`webContents.send`). */
export interface BridgeEvents {
  /** Show this screen (a menu item or a notification was clicked). */
  navigate: Screen;
  /** The gateway moved (restart, another port, paused, attached); null while it is not running. */
  connection: GatewayConnection | null;
  /** The gateway started, stopped, failed or is restarting. */
  phase: GatewayPhase;
  /** A re-check changed something (window focus, or every second while watched). */
  permissions: PermissionsReport;
}

export type BridgeInvoke = keyof BridgeInvokes;
export type BridgeEvent = keyof BridgeEvents;

export const BRIDGE_INVOKE_CHANNELS = [
  'gateway.connection',
  'gateway.phase',
  'gateway.recover',
  'gateway.simulated',
  'gateway.useSimulated',
  'permissions.check',
  'permissions.watch',
  'settings.open',
  'help.open',
  'app.relaunch',
  'app.quit',
  'loginItem.get',
  'loginItem.set',
  'onboarding.get',
  'onboarding.set',
  'logs.reveal',
] as const satisfies readonly BridgeInvoke[];

export const BRIDGE_EVENT_CHANNELS = ['navigate', 'connection', 'phase', 'permissions'] as const satisfies readonly BridgeEvent[];

// Compile-time coverage: a contract entry without a channel fails here.
type Missing<All, Listed> = Exclude<All, Listed>;
const everyInvokeListed: [Missing<BridgeInvoke, (typeof BRIDGE_INVOKE_CHANNELS)[number]>] extends [never] ? true : never = true;
const everyEventListed: [Missing<BridgeEvent, (typeof BRIDGE_EVENT_CHANNELS)[number]>] extends [never] ? true : never = true;
void everyInvokeListed;
void everyEventListed;

/** The IPC channel name of a bridge call or event (namespaced, so no other IPC user collides). */
export const bridgeChannel = (name: BridgeInvoke | BridgeEvent): string => `clawdbot:${name}`;

type InvokeFunction<K extends BridgeInvoke> = BridgeInvokes[K]['request'] extends void
  ? () => Promise<BridgeInvokes[K]['response']>
  : (request: BridgeInvokes[K]['request']) => Promise<BridgeInvokes[K]['response']>;

/** `window.clawdbot`: one function per call, one `on` for the events. */
export type ClawdbotBridge = { [K in BridgeInvoke]: InvokeFunction<K> } & {
  /** Subscribes to a pushed event; returns the function that unsubscribes. */
  on<E extends BridgeEvent>(event: E, listener: (payload: BridgeEvents[E]) => void): () => void;
};

/**
 * True for a value the window may send as `request` on this channel (main checks every call).
 * Hand-written rather than zod: the preload bundles this file, and a sandboxed preload cannot load
 * npm packages.
 */
export function isValidBridgeRequest(channel: BridgeInvoke, request: unknown): boolean {
  switch (channel) {
    case 'permissions.watch':
    case 'loginItem.set':
    case 'gateway.useSimulated':
      return typeof request === 'boolean';
    case 'settings.open':
      return request === 'full-disk-access' || request === 'automation';
    case 'help.open':
      return request === 'imsg';
    case 'onboarding.set':
      return isOnboardingProgress(request);
    case 'gateway.recover':
      return isGatewayRecovery(request);
    default:
      return request === undefined;
  }
}

function isGatewayRecovery(value: unknown): value is GatewayRecovery {
  if (typeof value !== 'object' || value === null) return false;
  const { type, port } = value as Record<string, unknown>;
  if (type === 'retry' || type === 'use-running-gateway') return Object.keys(value).length === 1;
  return type === 'use-port' && Number.isInteger(port) && (port as number) > 0 && (port as number) <= 65535 && Object.keys(value).length === 2;
}

function isOnboardingProgress(value: unknown): value is OnboardingProgress {
  if (typeof value !== 'object' || value === null) return false;
  const { step, completedAt } = value as Record<string, unknown>;
  const optionalString = (v: unknown, max: number) => v === null || (typeof v === 'string' && v.length <= max);
  return optionalString(step, 64) && optionalString(completedAt, 40) && (completedAt === null || !Number.isNaN(Date.parse(completedAt as string)));
}

/** The screen named in a window URL fragment (`#screen=pairing`), if it is one. */
export function screenFromHash(hash: string): Screen | undefined {
  const name = new URLSearchParams(hash.replace(/^#/, '')).get('screen');
  return (SCREENS as readonly string[]).includes(name ?? '') ? (name as Screen) : undefined;
}
