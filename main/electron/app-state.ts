// The app's state as plain data: what the menu, the tray icon and the window are built from. Main
// keeps one AppState (AppController) and rebuilds every view from it when an event changes it.
import type { GatewayStatus, PairingRequest } from '../../contract/gateway-api';
import type { GatewayPhase, PermissionsReport } from '../../contract/bridge';

export type { GatewayPhase, PortConflict } from '../../contract/bridge';

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
