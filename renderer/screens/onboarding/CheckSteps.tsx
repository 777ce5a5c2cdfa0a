// The onboarding steps that check this Mac: imsg, Messages, Full Disk Access, Automation. Each
// shows the gateway's check (pushed live as it changes) with its fix; in the app, the permission
// steps also show what macOS itself says (the bridge) and offer System Settings and Restart.
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import type { PermissionId } from '../../../contract/bridge';
import type { SetupCheck, SetupCheckId } from '../../../contract/setup';
import { useApp, useAppState } from '../../app/context';
import { Banner } from '../../components/Banner';
import { CheckRow, CHECK_TITLES } from '../../components/CheckRow';
import { CommandLine } from '../../components/CopyButton';
import { Field } from '../../components/Field';
import { FixView } from '../../components/FixView';
import { problemText, type FormOutcome } from '../../gateway/errors';
import { accountOwn } from '../../lib/config-edit';
import { handleProblem } from '../../lib/handles';
import type { AccountChanges, AccountFields } from '../../store/accounts-slice';
import type { AppState } from '../../store/types';
import { Step, type StepProps } from './OnboardingScreen';

/** Adds the account being set up, or changes it when the config has it already. */
export function saveSetupAccount(state: AppState, accountId: string, changes: AccountChanges): Promise<FormOutcome> {
  const config = state.config?.config;
  const exists = accountOwn(config, accountId) !== undefined || (accountId === 'default' && config?.channels?.imessage !== undefined && !config.channels.imessage.accounts);
  if (exists) return state.updateAccount(accountId, changes);
  // A new account has nothing to remove: only the keys that are set.
  const fields = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== null && value !== undefined)) as AccountFields;
  return state.addAccount(accountId, fields);
}

function useAccountCheck(accountId: string, id: SetupCheckId): SetupCheck | undefined {
  return useApp((s) => s.setup?.accounts.find((a) => a.accountId === accountId)?.checks.find((c) => c.id === id));
}

/** The gateway's check with "Check again"; `fallback` when this gateway cannot check. */
function GatewayCheck({ accountId, id, fallback }: { accountId: string; id: SetupCheckId; fallback?: ReactNode }) {
  const state = useAppState();
  const availability = useApp((s) => s.setupAvailability);
  const problem = useApp((s) => s.setupProblem);
  const checking = useApp((s) => s.setupChecking);
  const check = useAccountCheck(accountId, id);

  if (availability === 'loading') return <p className="placeholder card">Checking…</p>;
  if (availability === 'unavailable') {
    return (
      <div className="gateway-check">
        <Banner tone="info" title="This gateway cannot run the setup checks yet">
          <p>It answered: {problem?.message ?? 'setup checks are unavailable'}. What it shows elsewhere is below; update Clawdbot for the full checks.</p>
        </Banner>
        {fallback}
      </div>
    );
  }
  return (
    <div className="gateway-check">
      {availability === 'error' && problem ? (
        <Banner tone="error" title="The check could not run">
          <p>{problemText(problem)}</p>
        </Banner>
      ) : null}
      {check ? (
        <ul className="checks checks-large" aria-live="polite">
          <CheckRow title={CHECK_TITLES[id]} check={check} />
        </ul>
      ) : availability === 'ready' ? (
        <p className="muted">This check does not apply to account {accountId}.</p>
      ) : null}
      <p>
        <button type="button" disabled={checking} onClick={() => void state().checkSetup(accountId)}>
          {checking ? 'Checking…' : 'Check again'}
        </button>
      </p>
    </div>
  );
}

/** What the account's health says about imsg (version, last probe), for a gateway without setup checks. */
function HealthFallback({ accountId, probeIds }: { accountId: string; probeIds: ('binary' | 'rpc-support' | 'database')[] }) {
  const account = useApp((s) => s.status?.accounts.find((a) => a.accountId === accountId));
  if (!account) return null;
  const checks = account.lastProbe?.checks.filter((c) => (probeIds as string[]).includes(c.id)) ?? [];
  return (
    <ul className="checks">
      {checks.length === 0 ? (
        <CheckRow title="Account" check={{ state: account.state === 'listening' ? 'ok' : 'unknown', detail: account.state === 'listening' ? `imsg ${account.imsgVersion ?? ''} is listening.` : `The account is ${account.state}${account.lastError ? `: ${account.lastError.message}` : ''}.` }} />
      ) : (
        checks.map((c) => <CheckRow key={c.id} title={c.id === 'database' ? 'Messages database' : c.id === 'binary' ? 'imsg' : 'imsg rpc'} check={{ state: c.ok ? 'ok' : 'missing', detail: c.detail, ...(c.fix ? { fix: { text: c.fix } } : {}) }} />)
      )}
    </ul>
  );
}

export function ImsgStep({ accountId, next, back }: StepProps) {
  const state = useAppState();
  const native = useApp((s) => s.native);
  const cliPath = useApp((s) => s.status?.accounts.find((a) => a.accountId === accountId)?.cliPath ?? '');
  const [path, setPath] = useState('');
  const [outcome, setOutcome] = useState<FormOutcome | null>(null);
  const [saving, setSaving] = useState(false);

  const save = async (event: FormEvent) => {
    event.preventDefault();
    setSaving(true);
    const result = await saveSetupAccount(state(), accountId, { cliPath: path.trim() });
    setSaving(false);
    setOutcome(result);
    if (result.ok) void state().checkSetup(accountId);
  };

  return (
    <Step
      title="imsg"
      intro={
        <p>
          Clawdbot reads and sends iMessages through <strong>imsg</strong>, a small command-line tool for Messages. It needs a
          version with <code>imsg rpc</code> (0.3 or later).
        </p>
      }
      back={back}
      next={next}
    >
      <GatewayCheck
        accountId={accountId}
        id="imsg"
        fallback={
          <>
            <HealthFallback accountId={accountId} probeIds={['binary', 'rpc-support']} />
            <p>Install or upgrade it with Homebrew:</p>
            <CommandLine command="brew install steipete/tap/imsg" />
          </>
        }
      />
      <details className="steps" open={outcome !== null && !outcome.ok}>
        <summary>imsg is installed somewhere else</summary>
        <form className="form" onSubmit={(event) => void save(event)} noValidate>
          <Field
            label="imsg path"
            hint={`Its full path, e.g. /opt/homebrew/bin/imsg (now: ${cliPath || 'imsg'}).`}
            issues={outcome && !outcome.ok ? [...outcome.issues, ...(outcome.problem ? [{ message: outcome.unavailable ? `Not available in this gateway: ${outcome.problem.message}` : problemText(outcome.problem) }] : [])] : []}
          >
            {(control) => <input {...control} type="text" value={path} placeholder="/opt/homebrew/bin/imsg" spellCheck={false} autoComplete="off" onChange={(e) => setPath(e.target.value)} />}
          </Field>
          <p>
            <button type="submit" disabled={!path.trim() || saving}>
              {saving ? 'Saving…' : 'Use this imsg'}
            </button>{' '}
            {outcome?.ok ? <span role="status">Saved; checking it now.</span> : null}
          </p>
        </form>
      </details>
      {native ? (
        <p>
          <button type="button" className="link" onClick={() => state().openHelp('imsg')}>
            About imsg
          </button>
        </p>
      ) : (
        <p className="muted small-text">
          About imsg:{' '}
          <a href="https://github.com/steipete/imsg" target="_blank" rel="noreferrer">
            github.com/steipete/imsg
          </a>
        </p>
      )}
    </Step>
  );
}

export function MessagesStep({ accountId, next, back }: StepProps) {
  return (
    <Step
      title="Messages"
      intro={<p>Messages must be signed in to the Apple Account the assistant uses, so that its database (chat.db) exists on this Mac.</p>}
      back={back}
      next={next}
    >
      <GatewayCheck
        accountId={accountId}
        id="messages"
        fallback={
          <>
            <HealthFallback accountId={accountId} probeIds={['database']} />
            <p>Open Messages, sign in with the Apple Account, and send or receive one message.</p>
          </>
        }
      />
    </Step>
  );
}

/** What macOS says about a permission (app only), kept fresh while the step is on screen. */
function NativePermission({ id }: { id: PermissionId }) {
  const state = useAppState();
  const permission = useApp((s) => s.permissions?.permissions.find((p) => p.id === id));
  const restartSuggested = useApp((s) => s.permissions?.restartSuggested ?? false);

  useEffect(() => {
    state().watchPermissions(true);
    void state().checkPermissions();
    return () => state().watchPermissions(false);
  }, [state]);

  return (
    <div className="native-permission">
      <h2 className="subhead">This Mac</h2>
      {permission ? (
        <ul className="checks checks-large" aria-live="polite">
          <CheckRow title={id === 'full-disk-access' ? 'Full Disk Access' : 'Automation'} check={permission} showFix={false} />
        </ul>
      ) : (
        <p className="placeholder">Asking macOS…</p>
      )}
      {permission?.state !== 'ok' && permission?.state !== 'not-applicable' ? (
        <p>
          <button type="button" className="primary" onClick={() => void state().openSettingsPane(id)}>
            Open System Settings
          </button>
        </p>
      ) : null}
      {id === 'full-disk-access' && restartSuggested ? (
        <Banner tone="warning" title="Restart Clawdbot" actions={<button type="button" onClick={() => state().relaunch()}>Restart Clawdbot</button>}>
          <p>macOS applies Full Disk Access to an app when it starts.</p>
        </Banner>
      ) : null}
    </div>
  );
}

export function FullDiskAccessStep({ accountId, next, back }: StepProps) {
  const state = useAppState();
  const native = useApp((s) => s.native);
  const restartNeeded = useApp((s) => s.setup?.accounts.find((a) => a.accountId === accountId)?.restartNeeded ?? false);
  const check = useAccountCheck(accountId, 'full-disk-access');
  const [restarting, setRestarting] = useState<string | null>(null);
  return (
    <Step
      title="Full Disk Access"
      intro={
        <p>
          macOS protects the Messages database. Clawdbot needs <strong>Full Disk Access</strong> to read new messages from it —
          and reads nothing else. It cannot ask for it: you turn it on in System Settings.
        </p>
      }
      back={back}
      next={next}
    >
      {native ? <NativePermission id="full-disk-access" /> : null}
      {native ? <h2 className="subhead">The gateway</h2> : null}
      <GatewayCheck accountId={accountId} id="full-disk-access" fallback={<HealthFallback accountId={accountId} probeIds={['database']} />} />
      {!native && check?.state === 'denied' && !check.fix ? (
        <FixView fix={{ text: 'Turn on Clawdbot (or the program running the gateway) in Full Disk Access, then restart it.', settingsPath: 'System Settings › Privacy & Security › Full Disk Access' }} />
      ) : null}
      {!native && restartNeeded ? (
        <Banner
          tone="warning"
          title="Restart the gateway"
          actions={
            <button
              type="button"
              onClick={() => {
                setRestarting('Restarting…');
                state()
                  .restartGateway()
                  .then(
                    () => setRestarting('The gateway is restarting.'),
                    (error: unknown) => setRestarting(error instanceof Error ? error.message : String(error)),
                  );
              }}
            >
              Restart the gateway
            </button>
          }
        >
          <p>Full Disk Access changed since it started; macOS applies it after a restart.</p>
          {restarting ? <p role="status">{restarting}</p> : null}
        </Banner>
      ) : null}
    </Step>
  );
}

export function AutomationStep({ accountId, next, back }: StepProps) {
  const state = useAppState();
  const native = useApp((s) => s.native);
  const test = useApp((s) => s.testSends[accountId]);
  const availability = useApp((s) => s.setupAvailability);
  const [to, setTo] = useState('');
  const [touched, setTouched] = useState(false);
  const problem = to.trim() ? handleProblem(to) : null;

  const send = (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    if (problem || !to.trim()) return;
    void state().testSend(accountId, to.trim());
  };

  return (
    <Step
      title="Automation"
      intro={
        <p>
          To send replies, Clawdbot drives Messages. macOS asks you once whether to allow that. Send a test message to yourself
          (or a friend) to raise the question now, while you are here to answer it.
        </p>
      }
      back={back}
      next={next}
    >
      {native ? <NativePermission id="automation" /> : null}
      <form className="form" onSubmit={send} noValidate aria-label="Send a test message">
        <Field label="Send a test message to" hint="A phone number with country code or an email address that uses iMessage." issues={touched || problem ? (problem ? [{ message: problem }] : []) : []}>
          {(control) => <input {...control} type="text" value={to} placeholder="+15555550123" spellCheck={false} autoComplete="off" onChange={(e) => setTo(e.target.value)} />}
        </Field>
        <p>
          <button type="submit" className="primary" disabled={test?.phase === 'sending' || !to.trim()}>
            {test?.phase === 'sending' ? 'Sending…' : 'Send test message'}
          </button>
        </p>
      </form>
      <TestSendResultView state={test} />
      {availability === 'unavailable' && !test ? <p className="muted small-text">This gateway cannot send a test message yet; the first reply the assistant sends raises the same question.</p> : null}
    </Step>
  );
}

function TestSendResultView({ state: test }: { state: AppState['testSends'][string] | undefined }) {
  if (!test) return null;
  if (test.phase === 'sending') {
    return (
      <Banner tone="info" title="Waiting for your answer on the Mac">
        <p>If macOS shows “Clawdbot wants access to control Messages”, click OK. The message goes out once you answer.</p>
      </Banner>
    );
  }
  if (test.phase === 'failed') {
    return test.unavailable ? (
      <Banner tone="info" title="Not available in this gateway">
        <p>It cannot send a test message yet ({test.problem.message}). The first reply the assistant sends raises the same question.</p>
      </Banner>
    ) : (
      <Banner tone="error" title="The test message was not sent">
        <p>{problemText(test.problem)}</p>
      </Banner>
    );
  }
  const { result } = test;
  return (
    <div aria-live="polite">
      <ul className="checks checks-large">
        <CheckRow title="Automation" check={result.automation} />
      </ul>
      {result.sent ? (
        <p role="status" className="ok-text">
          Sent to {test.to} {result.sent.sentVia ? `as ${result.sent.sentVia}` : 'over the chat’s own service'}.
        </p>
      ) : null}
      {result.error ? (
        <div className="problem problem-error">
          <p>{result.error.message}</p>
          {result.error.fix ? <p className="fix-line">Fix: {result.error.fix}</p> : null}
        </div>
      ) : null}
    </div>
  );
}
