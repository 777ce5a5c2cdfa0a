// The connection to the gateway and the gateway's own status (pushed as `health` events).
import type { GatewayStatus } from '../../contract/gateway-api';
import type { LinkState } from '../gateway/link';
import type { Slice } from './types';

export interface ConnectionSlice extends LinkState {
  /** The last status the gateway sent; kept (shown as stale) while disconnected. */
  status: GatewayStatus | null;
  /** A token the person typed (browser). */
  setToken(token: string): void;
  /** Restarts the gateway in-process (refused, with the problems, when the config is invalid). */
  restartGateway(): Promise<void>;
}

export const connectionSlice: Slice<ConnectionSlice> = ({ link }) => () => ({
  ...link.state,
  status: null,
  setToken: (token) => link.setToken(token),
  async restartGateway() {
    await link.request('gateway.restart', {});
  },
});
