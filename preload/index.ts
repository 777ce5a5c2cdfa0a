// The preload bridge: one small typed object exposed to the sandboxed renderer as `window.bridge`.
// Filled in with the Electron shell; today the renderer talks to the gateway over its control API.
import { contextBridge } from 'electron';

export interface BridgeApi {
  platform: string;
}

const bridge: BridgeApi = { platform: process.platform };
contextBridge.exposeInMainWorld('bridge', bridge);
