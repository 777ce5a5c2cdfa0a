// The app's state as plain data: what the menu, the tray icon and the window are built from. Main
// keeps one AppState (AppController) and rebuilds every view from it when an event changes it.
import type { GatewayStatus, PairingRequest } from '../../contract/gateway-api';
import type { PermissionsReport } from '../../contract/bridge';

/** Who holds the port the gateway wanted, when starting failed because it was taken. */
export type PortConflict =
  | {
      kind: 'clawdbot';
      port: number;
      pid: number;
      /** Our token opens it: the app can use that gateway instead of starting its own. */
      usable: boolean;
      /** A free port to start on instead, if one was found. */
      freePort: number | null;
    }
  | { kind: 'other-program'; port: number; freePort: number | null };

export type GatewayPhase =
  | { kind: 'starting' }
  | { kind: 'running'; mode: 'hosted' | 'attached'; port: number }
  | { kind: 'paused' }
  /** An error inside the gateway: it is restarted at `retryAt` (epoch ms). */
  | { kind: 'crashed'; error: string; retryAt: number }
  /** It could not start; waits for Retry (or a conflict choice). */
  | { kind: 'failed'; message: string; fix?: string; conflict?: PortConflict }
  | { kind: 'stopping' };

export interface AppState {
  gateway: GatewayPhase;
  /** The latest status from the gateway (null before the first, and while it is not running). */
  status: GatewayStatus | null;
  /** Pending pairing requests, oldest first. */
  pending: PairingRequest[];
  /** A message is being handled (accepted, its reply not sent yet). */
  working: boolean;
  launchAtLogin: boolean;
  permissions: PermissionsReport | null;
}

export const INITIAL_STATE: AppState = {
  gateway: { kind: 'starting' },
  status: null,
  pending: [],
  working: false,
  launchAtLogin: false,
  permissions: null,
};
