// A fake preload bridge (`window.clawdbot`, contract/bridge.ts) for the browser tests, injected
// before the page's scripts run: the window then behaves as it does in the app — the gateway's
// address from the bridge, the native permission steps, System Settings, relaunch, launch at
// login — while the gateway behind it is the real one. Calls are recorded for the test; events
// are pushed by the test as main would push them.
import type { Page } from '@playwright/test';
import { BRIDGE_GLOBAL, BRIDGE_INVOKE_CHANNELS, type BridgeEvents, type GatewayConnection, type PermissionsReport } from '../../contract/bridge';

export interface FakeBridgeOptions {
  connection: GatewayConnection;
  permissions: PermissionsReport;
  loginItem?: boolean;
}

interface BridgeWindow {
  __bridgeCalls: { name: string; request: unknown }[];
  __bridgePush(event: string, payload: unknown): void;
}

export async function installFakeBridge(page: Page, options: FakeBridgeOptions): Promise<void> {
  await page.addInitScript(
    ({ global, channels, options: o }) => {
      const state: Record<string, unknown> = {
        'gateway.connection': o.connection,
        'gateway.phase': { kind: 'running', mode: 'hosted', port: Number(new URL(o.connection.url).port) },
        'permissions.check': o.permissions,
        'loginItem.get': o.loginItem ?? false,
        'onboarding.get': { step: null, completedAt: null },
      };
      const calls: { name: string; request: unknown }[] = [];
      const listeners = new Map<string, Set<(payload: unknown) => void>>();
      const bridge: Record<string, unknown> = {};
      for (const name of channels) {
        bridge[name] = async (request?: unknown) => {
          calls.push({ name, request: request ?? null });
          // The setters answer what is now stored, as main does.
          if (name === 'onboarding.set' || name === 'loginItem.set') {
            state[name.replace('.set', '.get')] = request;
            return structuredClone(request);
          }
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
        if (event === 'permissions') state['permissions.check'] = payload;
        for (const listener of listeners.get(event) ?? []) listener(payload);
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
