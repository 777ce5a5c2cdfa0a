// Pairing: the pending requests (re-read on every `pairing` event), the approved senders (the
// pairing store's, and those written in the config), and Approve / Deny / Revoke.
import type { PairingRequest } from '../../contract/gateway-api';
import { describeError, problemText } from '../gateway/errors';
import type { Notice, Slice } from './types';

export type PairingAction = 'approve' | 'deny' | 'revoke';

export interface PairingSlice {
  requests: PairingRequest[];
  /** False until the first `pairing.list` answer (the list shows "Loading…", not "none"). */
  requestsLoaded: boolean;
  /** Senders approved by pairing (they can be revoked). */
  approved: string[];
  /** Senders allowed by the config's allowFrom lists (changed in Settings). */
  configuredAllow: string[];
  allowlistLoaded: boolean;
  /** Actions in flight, by pairing code (approve, deny) or sender (revoke). */
  pairingBusy: Record<string, PairingAction>;
  /** The outcome of the last action. */
  notice: Notice | null;
  refreshRequests(): Promise<void>;
  refreshAllowlist(): Promise<void>;
  /** `notify`: text the sender that they are approved. */
  approve(code: string, options?: { notify?: boolean }): Promise<void>;
  deny(code: string): Promise<void>;
  revoke(sender: string): Promise<void>;
}

export const pairingSlice: Slice<PairingSlice> = ({ link }) => (set, get) => {
  function setBusy(key: string, action: PairingAction | null): void {
    set((s) => {
      const pairingBusy = { ...s.pairingBusy };
      if (action) pairingBusy[key] = action;
      else delete pairingBusy[key];
      return { pairingBusy };
    });
  }

  async function run(key: string, action: PairingAction, work: () => Promise<Notice>): Promise<void> {
    setBusy(key, action);
    set({ notice: null });
    try {
      set({ notice: await work() });
    } catch (error) {
      set({ notice: { kind: 'error', text: problemText(describeError(error)) } });
    } finally {
      setBusy(key, null);
    }
  }

  const senderOf = (code: string) => get().requests.find((r) => r.code === code)?.id ?? code;

  return {
    requests: [],
    requestsLoaded: false,
    approved: [],
    configuredAllow: [],
    allowlistLoaded: false,
    pairingBusy: {},
    notice: null,
    async refreshRequests() {
      try {
        const { requests } = await link.request('pairing.list', {});
        set({ requests, requestsLoaded: true });
      } catch {
        // Disconnected meanwhile: the reconnect reads the list again.
      }
    },
    async refreshAllowlist() {
      try {
        const { approved, configured } = await link.request('allowlist.list', {});
        set({ approved: approved.map((a) => a.id), configuredAllow: configured, allowlistLoaded: true });
      } catch {
        // As above.
      }
    },
    approve: (code, options = {}) =>
      run(code, 'approve', async () => {
        const who = senderOf(code);
        const result = await link.request('pairing.approve', options.notify ? { code, notify: true } : { code });
        if (!options.notify) return { kind: 'ok', text: `Approved ${who}. They can chat with the assistant now.` };
        if (result.notified) return { kind: 'ok', text: `Approved ${who} and texted them that they can chat with the assistant now.` };
        return { kind: 'warning', text: `Approved ${who}, but the message telling them could not be sent: ${result.notifyError ?? 'unknown error'}.` };
      }),
    deny: (code) =>
      run(code, 'deny', async () => {
        const who = senderOf(code);
        await link.request('pairing.deny', { code });
        return { kind: 'ok', text: `Denied the request from ${who}.` };
      }),
    revoke: (sender) =>
      run(sender, 'revoke', async () => {
        const { revoked } = await link.request('pairing.revoke', { sender });
        void get().refreshAllowlist();
        return revoked
          ? { kind: 'ok', text: `Revoked ${sender}. Their next message gets a new pairing code.` }
          : { kind: 'warning', text: `${sender} was not an approved sender (already revoked?).` };
      }),
  };
};
