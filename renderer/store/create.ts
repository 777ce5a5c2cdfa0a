// The store: every slice, and the wiring that keeps it in step with the gateway (its events and
// each new connection) and with the app (the bridge's events).
import { createStore } from 'zustand/vanilla';
import type { GatewayStatus } from '../../contract/gateway-api';
import { accountsSlice } from './accounts-slice';
import { ACCESS_LOG_SHOWN, LOG_RECORDS_SHOWN, activitySlice } from './activity-slice';
import { configSlice } from './config-slice';
import { connectionSlice } from './connection-slice';
import { demoSlice } from './demo-slice';
import { nativeSlice } from './native-slice';
import { navigationSlice } from './navigation-slice';
import { onboardingSlice } from './onboarding-slice';
import { pairingSlice } from './pairing-slice';
import { setupSlice } from './setup-slice';
import type { AppState, StoreDeps } from './types';

export type AppStore = ReturnType<typeof createAppStore>['store'];

export function createAppStore(deps: StoreDeps) {
  const store = createStore<AppState>()((...args) => ({
    ...connectionSlice(deps)(...args),
    ...pairingSlice(deps)(...args),
    ...activitySlice(deps)(...args),
    ...setupSlice(deps)(...args),
    ...configSlice(deps)(...args),
    ...accountsSlice(deps)(...args),
    ...demoSlice(deps)(...args),
    ...nativeSlice(deps)(...args),
    ...onboardingSlice(deps)(...args),
    ...navigationSlice(deps)(...args),
  }));
  const { link, bridge } = deps;
  const get = store.getState;
  const set = store.setState;

  /** Everything the screens show, read again on each (re)connection. */
  function readAll(status: GatewayStatus): void {
    const s = get();
    void s.refreshRequests();
    void s.refreshAllowlist();
    void s.refreshAccessLog();
    void s.loadSetup();
    void s.loadConfig();
    if (status.demo) s.refreshDemoSent();
    if (s.logs !== null) void s.loadLogs();
  }

  /**
   * The window now talks to a gateway with a simulated Messages account, or no longer does (the
   * app's switch restarted it in the other mode): the previous conversation is not this gateway's,
   * and the Demo screen goes when the simulated account does.
   */
  function simulatedAccountSwitched(demo: boolean): void {
    set({ demoSent: [], demoInbound: [], demoNotice: null });
    if (!demo && get().route?.screen === 'demo') get().navigate('health');
  }

  /** The config is re-read when the gateway's view of it changes (a reload, accepted or rejected). */
  function configChanged(before: GatewayStatus | null, after: GatewayStatus): boolean {
    if (!before) return false;
    const accounts = (status: GatewayStatus) => status.accounts.map((a) => `${a.accountId}:${a.enabled}:${a.configured}:${a.cliPath}`).join(',');
    return before.configError !== after.configError || before.model !== after.model || accounts(before) !== accounts(after);
  }

  const unsubscribe = [
    link.onState((state) => set(state)),
    link.onConnected((hello) => {
      const before = get().status;
      set({ status: hello.status });
      if (before && before.demo !== hello.status.demo) simulatedAccountSwitched(hello.status.demo);
      readAll(hello.status);
    }),
    link.on('health', (status) => {
      const before = get().status;
      set({ status });
      // A reply going out changes the account's lastOutboundAt: there may be a new sent message.
      if (status.demo) get().refreshDemoSent();
      if (configChanged(before, status)) void get().loadConfig();
    }),
    link.on('pairing', (event) => {
      if (event.kind !== 'requested') {
        // Drop the row at once; the list read below confirms it.
        set((s) => ({ requests: s.requests.filter((r) => r.code !== event.code && r.id !== event.senderId) }));
      }
      void get().refreshRequests();
      if (event.kind === 'approved' || event.kind === 'revoked') void get().refreshAllowlist();
    }),
    link.on('accessLog', (entry) => {
      set((s) => ({ accessLog: [...s.accessLog, entry].slice(-ACCESS_LOG_SHOWN) }));
      if (get().status?.demo) get().refreshDemoSent();
    }),
    link.on('setup', (setup) => set({ setup, setupAvailability: 'ready', setupProblem: null })),
    link.on('log', (record) => {
      if (get().logs !== null) set((s) => ({ logs: [...(s.logs ?? []), record].slice(-LOG_RECORDS_SHOWN) }));
    }),
  ];

  if (bridge) {
    unsubscribe.push(
      bridge.on('connection', (connection) => link.setEndpoint(connection ? { wsUrl: connection.wsUrl, token: connection.token } : null)),
      bridge.on('phase', (phase) => {
        set({ phase });
        // Whether the simulated account can be switched depends on it (not while another gateway is used).
        void get().loadSimulated();
      }),
      bridge.on('permissions', (permissions) => set({ permissions })),
      bridge.on('navigate', (screen) => get().navigate(screen)),
    );
  }

  return {
    store,
    /** Reads what the app knows (gateway phase, login item, simulated account, permissions) and connects. */
    async start(): Promise<void> {
      void get().loadOnboarding();
      if (!bridge) {
        link.start();
        return;
      }
      const [connection, phase, loginItem] = await Promise.all([
        bridge['gateway.connection']().catch(() => null),
        bridge['gateway.phase']().catch(() => null),
        bridge['loginItem.get']().catch(() => null),
        get().loadSimulated(),
      ]);
      set({ phase, loginItem });
      link.setEndpoint(connection ? { wsUrl: connection.wsUrl, token: connection.token } : null);
      void get().checkPermissions();
    },
    dispose(): void {
      for (const off of unsubscribe) off();
      link.stop();
    },
  };
}
