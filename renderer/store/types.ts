// The window's one store, made of slices (one file each, with its actions). The gateway is the
// source of truth: slices mirror what it reports (status, requests, setup checks, config) and
// their actions call it; the effect shows up when it answers or pushes the change.
import type { StateCreator } from 'zustand/vanilla';
import type { ClawdbotBridge } from '../../contract/bridge';
import type { GatewayLink } from '../gateway/link';
import type { AccountsSlice } from './accounts-slice';
import type { ActivitySlice } from './activity-slice';
import type { ConfigSlice } from './config-slice';
import type { ConnectionSlice } from './connection-slice';
import type { DemoSlice } from './demo-slice';
import type { NativeSlice } from './native-slice';
import type { NavigationSlice } from './navigation-slice';
import type { OnboardingSlice } from './onboarding-slice';
import type { PairingSlice } from './pairing-slice';
import type { SetupSlice } from './setup-slice';

export type AppState = ConnectionSlice &
  PairingSlice &
  ActivitySlice &
  SetupSlice &
  ConfigSlice &
  AccountsSlice &
  DemoSlice &
  NativeSlice &
  OnboardingSlice &
  NavigationSlice;

/** What the slices talk to. */
export interface StoreDeps {
  link: GatewayLink;
  /** `window.clawdbot` in the app; null in a browser (native actions are hidden or explained). */
  bridge: ClawdbotBridge | null;
  /** Where a browser keeps what the app keeps in its preferences (onboarding progress): localStorage. */
  storage: KeyValueStorage | null;
}

/** The part of the Web Storage API the store uses (declared here: the Node tests have no DOM types). */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export type Slice<T> = (deps: StoreDeps) => StateCreator<AppState, [], [], T>;

export interface Notice {
  kind: 'ok' | 'warning' | 'error';
  text: string;
}
