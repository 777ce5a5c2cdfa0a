// Demo mode (a simulated Messages account): a message "arrives" as anyone the person likes, and
// what the gateway sent back is read from the simulated chat.db. The gateway reports only the
// sent side (`demo.sent`), so the incoming side of the conversation is what this window sent.
import type { DemoInjectParams, DemoSentMessage } from '../../contract/gateway-api';
import { normalizeHandle } from '../../contract/handles';
import { describeError, problemText } from '../gateway/errors';
import type { Notice, Slice } from './types';

/** Sent messages read (the gateway keeps the last 100). */
export const DEMO_SENT_SHOWN = 50;
/** Bursts of events (health, access log) cause one `demo.sent` read after this delay. */
const DEMO_REFRESH_COALESCE_MS = 150;

/** A message this window made arrive on the simulated Mac. */
export interface DemoInbound {
  rowid: number;
  from: string;
  text: string;
  group?: { id: number; name?: string };
  at: string;
}

export interface DemoSlice {
  demoSent: DemoSentMessage[];
  demoInbound: DemoInbound[];
  demoBusy: boolean;
  demoNotice: Notice | null;
  /** Resolves true when the message was written. */
  receiveDemoMessage(params: DemoInjectParams): Promise<boolean>;
  /** Re-reads what the gateway sent (bursts of calls are coalesced). */
  refreshDemoSent(): void;
}

const DEMO_LABELS = { from: 'From', text: 'Message', group: 'Group chat', id: 'Chat id', name: 'Group name' };

export const demoSlice: Slice<DemoSlice> = ({ link }) => (set) => {
  let refreshTimer: ReturnType<typeof setTimeout> | undefined;

  function refreshDemoSent(): void {
    if (refreshTimer !== undefined) return;
    refreshTimer = setTimeout(() => {
      refreshTimer = undefined;
      link.request('demo.sent', { limit: DEMO_SENT_SHOWN }).then(
        ({ messages }) => set({ demoSent: messages }),
        () => {
          // Disconnected, or not a demo gateway after all: the list stays as it was.
        },
      );
    }, DEMO_REFRESH_COALESCE_MS);
  }

  return {
    demoSent: [],
    demoInbound: [],
    demoBusy: false,
    demoNotice: null,
    refreshDemoSent,
    async receiveDemoMessage(params) {
      set({ demoBusy: true, demoNotice: null });
      try {
        const { rowid } = await link.request('demo.inject', params);
        const from = normalizeHandle(params.from);
        const inbound: DemoInbound = { rowid, from, text: params.text, at: new Date().toISOString(), ...(params.group ? { group: params.group } : {}) };
        const where = params.group ? ` in group chat ${params.group.id}` : '';
        set((s) => ({ demoInbound: [...s.demoInbound, inbound].slice(-DEMO_SENT_SHOWN), demoNotice: { kind: 'ok', text: `Received from ${from}${where}.` } }));
        refreshDemoSent();
        return true;
      } catch (error) {
        set({ demoNotice: { kind: 'error', text: problemText(describeError(error, DEMO_LABELS)) } });
        return false;
      } finally {
        set({ demoBusy: false });
      }
    },
  };
};
