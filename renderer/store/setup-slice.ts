// The setup checks (imsg, Messages, Full Disk Access, Automation, SSH, model) as the gateway
// computes them — pushed as `setup` events — and the actions that test things for real: a test
// message, the model, an SSH target. A gateway without these methods answers `unavailable`: the
// screens then say so instead of guessing.
import type { SetupCheck, SetupSnapshot, SshTestResult, SshWrapperResult, TestSendResult } from '../../contract/setup';
import type { ControlParams } from '../../contract/control-api';
import { describeError, formFailure, isUnavailable, type FormOutcome, type Problem } from '../gateway/errors';
import type { Slice } from './types';

/** A test send waits for the person to answer the macOS Automation prompt: give them time. */
export const TEST_SEND_TIMEOUT_MS = 150_000;
/** An SSH test may wait on a slow host (connect, login, imsg, rpc). */
export const SSH_TEST_TIMEOUT_MS = 60_000;

export type SetupAvailability = 'loading' | 'ready' | 'unavailable' | 'error';

export type TestSendState =
  | { phase: 'sending'; to: string }
  | { phase: 'done'; to: string; result: TestSendResult }
  | { phase: 'failed'; to: string; problem: Problem; unavailable: boolean };

export type ModelTestState = { phase: 'testing' } | { phase: 'done'; check: SetupCheck } | { phase: 'failed'; problem: Problem; unavailable: boolean };

export type SshOutcome<T> = { ok: true; result: T } | Extract<FormOutcome, { ok: false }>;

export interface SetupSlice {
  setup: SetupSnapshot | null;
  setupAvailability: SetupAvailability;
  setupProblem: Problem | null;
  /** A `setup.check` in flight. */
  setupChecking: boolean;
  /** The last test message per account. */
  testSends: Record<string, TestSendState>;
  modelTest: ModelTestState | null;
  loadSetup(): Promise<void>;
  checkSetup(accountId?: string): Promise<void>;
  testSend(accountId: string, to: string): Promise<void>;
  testModel(): Promise<void>;
  writeSshWrapper(params: ControlParams<'setup.sshWrapper'>): Promise<SshOutcome<SshWrapperResult>>;
  testSsh(params: ControlParams<'setup.testSsh'>): Promise<SshOutcome<SshTestResult>>;
  /** Opens a System Settings pane on the gateway's Mac (the browser's way; the app uses the bridge). */
  openSettingsOnGateway(pane: ControlParams<'setup.openSettings'>['pane']): Promise<{ opened: boolean; reason?: string }>;
}

const SSH_LABELS = { target: 'SSH target', remoteCliPath: 'imsg path on the other Mac', accountId: 'Account' };

export const setupSlice: Slice<SetupSlice> = ({ link }) => (set) => {
  function failed(error: unknown): void {
    if (isUnavailable(error)) set({ setupAvailability: 'unavailable', setupProblem: describeError(error) });
    else set({ setupAvailability: 'error', setupProblem: describeError(error) });
  }

  return {
    setup: null,
    setupAvailability: 'loading',
    setupProblem: null,
    setupChecking: false,
    testSends: {},
    modelTest: null,
    async loadSetup() {
      try {
        set({ setup: await link.request('setup.get', {}), setupAvailability: 'ready', setupProblem: null });
      } catch (error) {
        failed(error);
      }
    },
    async checkSetup(accountId) {
      set({ setupChecking: true });
      try {
        set({ setup: await link.request('setup.check', accountId ? { accountId } : {}), setupAvailability: 'ready', setupProblem: null });
      } catch (error) {
        failed(error);
      } finally {
        set({ setupChecking: false });
      }
    },
    async testSend(accountId, to) {
      const put = (state: TestSendState) => set((s) => ({ testSends: { ...s.testSends, [accountId]: state } }));
      put({ phase: 'sending', to });
      try {
        const result = await link.request('setup.testSend', { accountId, to }, { timeoutMs: TEST_SEND_TIMEOUT_MS });
        put({ phase: 'done', to, result });
      } catch (error) {
        put({ phase: 'failed', to, problem: describeError(error, { to: 'Send to', accountId: 'Account' }), unavailable: isUnavailable(error) });
      }
    },
    async testModel() {
      set({ modelTest: { phase: 'testing' } });
      try {
        set({ modelTest: { phase: 'done', check: await link.request('setup.testModel', {}, { timeoutMs: 60_000 }) } });
      } catch (error) {
        set({ modelTest: { phase: 'failed', problem: describeError(error), unavailable: isUnavailable(error) } });
      }
    },
    async writeSshWrapper(params) {
      try {
        return { ok: true, result: await link.request('setup.sshWrapper', params) };
      } catch (error) {
        return formFailure(error, SSH_LABELS) as Extract<FormOutcome, { ok: false }>;
      }
    },
    async testSsh(params) {
      try {
        return { ok: true, result: await link.request('setup.testSsh', params, { timeoutMs: SSH_TEST_TIMEOUT_MS }) };
      } catch (error) {
        return formFailure(error, SSH_LABELS) as Extract<FormOutcome, { ok: false }>;
      }
    },
    async openSettingsOnGateway(pane) {
      try {
        return await link.request('setup.openSettings', { pane });
      } catch (error) {
        return { opened: false, reason: describeError(error).message };
      }
    },
  };
};
