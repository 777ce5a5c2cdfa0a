// iMessage accounts: add, change, disable, remove (`accounts.*`: one validated config write each,
// refused with the problems by field), and what the Health screen does to a running one (Probe,
// Restart).
import type { ControlParams } from '../../contract/control-api';
import type { ProbeResult } from '../../contract/gateway-api';
import { describeError, formFailure, problemText, type FieldLabels, type FormOutcome } from '../gateway/errors';
import type { Notice, Slice } from './types';

export type AccountFields = ControlParams<'accounts.add'>['account'];
export type AccountChanges = ControlParams<'accounts.update'>['changes'];

/** How the account form labels the fields the gateway may name in an error. */
export const ACCOUNT_FIELD_LABELS: FieldLabels = {
  accountId: 'Account id',
  name: 'Name',
  enabled: 'Enabled',
  cliPath: 'imsg path',
  dbPath: 'Messages database',
  remoteHost: 'Attachments host',
  target: 'SSH target',
  remoteCliPath: 'imsg path on the other Mac',
  dmPolicy: 'Direct messages',
  allowFrom: 'Allowed senders',
  groupPolicy: 'Group chats',
  groupAllowFrom: 'Allowed in groups',
};

export interface AccountsSlice {
  /** Probe / Restart in flight, by account. */
  channelBusy: Record<string, 'probe' | 'restart'>;
  /** The outcome of the last Probe / Restart, by account. */
  channelNotices: Record<string, Notice>;
  /** The last probe run from this window, by account. */
  probes: Record<string, ProbeResult>;
  probeAccount(accountId: string): Promise<void>;
  restartAccount(accountId: string): Promise<void>;
  addAccount(accountId: string, account: AccountFields): Promise<FormOutcome>;
  updateAccount(accountId: string, changes: AccountChanges): Promise<FormOutcome>;
  removeAccount(accountId: string): Promise<FormOutcome>;
}

export const accountsSlice: Slice<AccountsSlice> = ({ link }) => (set, get) => {
  async function channelAction(accountId: string, kind: 'probe' | 'restart', work: () => Promise<Notice>): Promise<void> {
    set((s) => ({ channelBusy: { ...s.channelBusy, [accountId]: kind } }));
    let notice: Notice;
    try {
      notice = await work();
    } catch (error) {
      notice = { kind: 'error', text: problemText(describeError(error)) };
    }
    set((s) => {
      const channelBusy = { ...s.channelBusy };
      delete channelBusy[accountId];
      return { channelBusy, channelNotices: { ...s.channelNotices, [accountId]: notice } };
    });
  }

  async function write(work: () => Promise<unknown>): Promise<FormOutcome> {
    try {
      await work();
      void get().loadConfig();
      void get().loadSetup();
      return { ok: true };
    } catch (error) {
      return formFailure(error, ACCOUNT_FIELD_LABELS);
    }
  }

  return {
    channelBusy: {},
    channelNotices: {},
    probes: {},
    probeAccount: (accountId) =>
      channelAction(accountId, 'probe', async () => {
        const { accounts } = await link.request('channels.probe', { accountId }, { timeoutMs: 30_000 });
        const probe = accounts.find((a) => a.accountId === accountId)?.probe;
        if (!probe) return { kind: 'warning', text: 'The gateway did not probe this account.' };
        set((s) => ({ probes: { ...s.probes, [accountId]: probe } }));
        return probe.ok
          ? { kind: 'ok', text: `Probe passed${probe.imsgVersion ? ` (imsg ${probe.imsgVersion})` : ''}.` }
          : { kind: 'error', text: `Probe failed: ${probe.error ?? 'a check failed'}${probe.fix ? ` Fix: ${probe.fix}` : ''}` };
      }),
    restartAccount: (accountId) =>
      channelAction(accountId, 'restart', async () => {
        await link.request('channels.restart', { accountId });
        return { kind: 'ok', text: 'Restarting imsg for this account.' };
      }),
    addAccount: (accountId, account) => write(() => link.request('accounts.add', { accountId, account })),
    updateAccount: (accountId, changes) => write(() => link.request('accounts.update', { accountId, changes })),
    removeAccount: (accountId) => write(() => link.request('accounts.remove', { accountId })),
  };
};
