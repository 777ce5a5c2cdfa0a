// What only the app can do, through the preload bridge (contract/bridge.ts): macOS permissions,
// System Settings, relaunch, launch at login, the log file, the hosted gateway's life cycle and its
// simulated Messages account. In a browser there is no bridge: `native` is false and the screens
// hide these actions or explain what to do instead.
import type { GatewayPhase, GatewayRecovery, HelpPage, PermissionsReport, SettingsPane, SimulatedAccountStatus } from '../../contract/bridge';
import type { Slice } from './types';

export interface NativeSlice {
  /** True in the app (the bridge is there). */
  native: boolean;
  permissions: PermissionsReport | null;
  /** The hosted gateway's phase (app only). */
  phase: GatewayPhase | null;
  /** Launch at login (app only); null until read. */
  loginItem: boolean | null;
  /** A bridge call failed (shown once, where it was asked for). */
  nativeError: string | null;
  /** The app's simulated Messages account (app only); null in a browser or until read. */
  simulated: SimulatedAccountStatus | null;
  /** The account being switched to while the gateway restarts (true: the simulated one), else null. */
  simulatedSwitching: boolean | null;
  checkPermissions(): Promise<void>;
  /** The permission step is on screen (true) or gone (false). */
  watchPermissions(on: boolean): void;
  openSettingsPane(pane: SettingsPane): Promise<void>;
  relaunch(): void;
  setLoginItem(on: boolean): Promise<void>;
  revealLogs(): void;
  openHelp(page: HelpPage): void;
  recoverGateway(recovery: GatewayRecovery): Promise<void>;
  loadSimulated(): Promise<void>;
  /**
   * Switches the hosted gateway to the simulated account (true) or back to the person's Messages;
   * resolves once it restarted, with null, or with why it was refused (main's words).
   */
  switchSimulatedAccount(on: boolean): Promise<string | null>;
}

export const nativeSlice: Slice<NativeSlice> = ({ bridge }) => (set, get) => {
  async function call<T>(work: () => Promise<T>): Promise<T | undefined> {
    try {
      return await work();
    } catch (error) {
      set({ nativeError: error instanceof Error ? error.message : String(error) });
      return undefined;
    }
  }

  return {
    native: bridge !== null,
    permissions: null,
    phase: null,
    loginItem: null,
    nativeError: null,
    simulated: null,
    simulatedSwitching: null,
    async checkPermissions() {
      if (!bridge) return;
      const report = await call(() => bridge['permissions.check']());
      if (report) set({ permissions: report });
    },
    watchPermissions(on) {
      if (bridge) void call(() => bridge['permissions.watch'](on));
    },
    async openSettingsPane(pane) {
      if (bridge) await call(() => bridge['settings.open'](pane));
    },
    relaunch() {
      if (bridge) void call(() => bridge['app.relaunch']());
    },
    async setLoginItem(on) {
      if (!bridge) return;
      // The switch moves at once; main's answer (what macOS made of it) settles it.
      const before = get().loginItem;
      set({ loginItem: on });
      const now = await call(() => bridge['loginItem.set'](on));
      set({ loginItem: now ?? before });
    },
    revealLogs() {
      if (bridge) void call(() => bridge['logs.reveal']());
    },
    openHelp(page) {
      if (bridge) void call(() => bridge['help.open'](page));
    },
    async recoverGateway(recovery) {
      if (!bridge) return;
      const phase = await call(() => bridge['gateway.recover'](recovery));
      if (phase) set({ phase });
    },
    async loadSimulated() {
      if (!bridge) return;
      const simulated = await bridge['gateway.simulated']().catch(() => null);
      if (simulated) set({ simulated });
    },
    async switchSimulatedAccount(on) {
      if (!bridge || get().simulatedSwitching !== null) return null;
      set({ simulatedSwitching: on });
      let refusal: string | null = null;
      try {
        const answer = await bridge['gateway.useSimulated'](on);
        if (!answer.ok) refusal = answer.message;
      } catch (error) {
        refusal = error instanceof Error ? error.message : String(error);
      }
      // What main now says (switched, or why not), not what was asked for.
      await get().loadSimulated();
      set({ simulatedSwitching: null });
      return refusal;
    },
  };
};
