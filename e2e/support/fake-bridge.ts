// A fake preload bridge (`window.clawdbot`, contract/bridge.ts) for the browser tests, injected
// before the page's scripts run: the window then behaves as it does in the app — the gateway's
// address from the bridge, the native permission steps, System Settings, relaunch, launch at
// login, the simulated Messages account's switch — while the gateway behind it is the real one.
// Calls are recorded for the test; events are pushed by the test as main would push them, except
// those main pushes as part of a call (a switch of the simulated account restarts the gateway:
// the window is told there is none for a moment, then where it is).
import type { Page } from '@playwright/test';
import {
  BRIDGE_GLOBAL,
  BRIDGE_INVOKE_CHANNELS,
  type BridgeEvents,
  type BridgeInvoke,
  type BridgeInvokes,
  type GatewayConnection,
  type PermissionsReport,
  type SimulatedAccountStatus,
} from '../../contract/bridge';

export interface FakeBridgeOptions {
  connection: GatewayConnection;
  permissions: PermissionsReport;
  loginItem?: boolean;
  /** Default: as from a checkout (available, off). */
  simulated?: SimulatedAccountStatus;
}

interface BridgeWindow {
  __bridgeCalls: { name: string; request: unknown }[];
  __bridgePush(event: string, payload: unknown): void;
}

export async function installFakeBridge(page: Page, options: FakeBridgeOptions): Promise<void> {
  await page.addInitScript(
    ({ global, channels, options: o }) => {
      // What the getters answer, typed by the contract.
      const state: { [K in BridgeInvoke]?: BridgeInvokes[K]['response'] } = {
        'gateway.connection': o.connection,
        'gateway.phase': { kind: 'running', mode: 'hosted', port: Number(new URL(o.connection.url).port) },
        'gateway.simulated': o.simulated ?? { available: true, active: false },
        'permissions.check': o.permissions,
        'loginItem.get': o.loginItem ?? false,
        'onboarding.get': { step: null, completedAt: null },
      };
      const calls: { name: string; request: unknown }[] = [];
      const listeners = new Map<string, Set<(payload: unknown) => void>>();
      const push = (event: string, payload: unknown) => {
        for (const listener of listeners.get(event) ?? []) listener(payload);
      };
      /** main's answer to a switch (simulated-account.ts): refused when not available, else the gateway restarts. */
      const useSimulated = (on: boolean): BridgeInvokes['gateway.useSimulated']['response'] => {
        const simulated = state['gateway.simulated']!;
        if (on === simulated.active) return { ok: true };
        if (!simulated.available) return { ok: false, message: simulated.reason ?? 'The Messages account cannot be switched now.' };
        state['gateway.simulated'] = { ...simulated, active: on };
        push('connection', null);
        push('connection', state['gateway.connection']);
        return { ok: true };
      };
      const bridge: Record<string, unknown> = {};
      for (const name of channels) {
        bridge[name] = async (request?: unknown) => {
          calls.push({ name, request: request ?? null });
          // The setters answer what is now stored, as main does.
          if (name === 'onboarding.set') return structuredClone((state['onboarding.get'] = request as BridgeInvokes['onboarding.set']['request']));
          if (name === 'loginItem.set') return (state['loginItem.get'] = request as boolean);
          if (name === 'gateway.useSimulated') return useSimulated(request as boolean);
          return structuredClone(state[name] ?? null);
        };
      }
      bridge.on = (event: string, listener: (payload: unknown) => void) => {
        if (!listeners.has(event)) listeners.set(event, new Set());
        listeners.get(event)!.add(listener);
        return () => listeners.get(event)!.delete(listener);
      };
      const target = globalThis as unknown as Record<string, unknown>;
      target[global] = Object.freeze(bridge);
      target.__bridgeCalls = calls;
      target.__bridgePush = (event: string, payload: unknown) => {
        if (event === 'permissions') state['permissions.check'] = payload as PermissionsReport;
        push(event, payload);
      };
    },
    { global: BRIDGE_GLOBAL, channels: [...BRIDGE_INVOKE_CHANNELS], options },
  );
}

/** The bridge calls the page made so far, optionally of one channel. */
export async function bridgeCalls(page: Page, name?: string): Promise<unknown[]> {
  const calls = await page.evaluate(() => (globalThis as unknown as BridgeWindow).__bridgeCalls);
  return name ? calls.filter((call) => call.name === name).map((call) => call.request) : calls;
}

/** Main pushes an event to the window. */
export async function pushBridgeEvent<E extends keyof BridgeEvents>(page: Page, event: E, payload: BridgeEvents[E]): Promise<void> {
  await page.evaluate(([e, p]) => (globalThis as unknown as BridgeWindow).__bridgePush(e, p), [event, payload] as const);
}
