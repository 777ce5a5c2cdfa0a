// Health: one card per iMessage account (its state, the failure and its fix, imsg, restarts, last
// messages in and out, the setup checks, Probe and Restart), then the access log: who was let in,
// who was blocked and why, with the action that would let them in where there is one.
import type { AccountHealth, ChannelState, ProbeCheck } from '../../../contract/gateway-api';
import type { AccountSetup, CheckState, SetupCheck } from '../../../contract/setup';
import { useApp, useAppState } from '../../app/context';
import { Notice } from '../../components/Banner';
import { CheckRow, CHECK_TITLES } from '../../components/CheckRow';
import { RichText } from '../../components/RichText';
import { StatusBadge, type StatusTone } from '../../components/StatusBadge';
import { Countdown, RelativeTime } from '../../components/time';
import { AccessLogView } from './AccessLogView';

export const STATE_LABELS: Record<ChannelState, string> = {
  stopped: 'Stopped',
  probing: 'Checking',
  starting: 'Starting',
  listening: 'Listening',
  'backing-off': 'Retrying',
  'failed-fatal': 'Failed',
};

/** The dot's colour: grey not running on purpose, red can't run, orange trouble, green fine. */
export function accountTone(account: AccountHealth): StatusTone {
  if (!account.enabled || !account.configured) return 'neutral';
  switch (account.state) {
    case 'listening':
      return 'ok';
    case 'failed-fatal':
      return 'error';
    case 'backing-off':
      return 'warning';
    case 'stopped':
      return account.lastError ? 'error' : 'neutral';
    default:
      return 'progress';
  }
}

export function HealthScreen() {
  const accounts = useApp((s) => s.status?.accounts);
  return (
    <div className="screen" aria-labelledby="health-title">
      <header className="screen-head">
        <h1 id="health-title">Health</h1>
        <p className="screen-intro">Each iMessage account: whether imsg is listening, what went wrong and how to fix it.</p>
      </header>
      <section className="group" aria-label="Accounts">
        {!accounts ? (
          <p className="placeholder card">Waiting for the gateway…</p>
        ) : accounts.length === 0 ? (
          <p className="muted">No iMessage account is configured.</p>
        ) : (
          <ul className="card-list">
            {accounts.map((account) => (
              <AccountCard key={account.accountId} account={account} />
            ))}
          </ul>
        )}
      </section>
      <AccessLogView />
    </div>
  );
}

function AccountCard({ account }: { account: AccountHealth }) {
  const setup = useApp((s) => s.setup?.accounts.find((a) => a.accountId === account.accountId));
  const busy = useApp((s) => s.channelBusy[account.accountId]);
  const notice = useApp((s) => s.channelNotices[account.accountId] ?? null);
  const state = useAppState();
  const title = account.name ?? account.accountId;
  const error = account.lastError;
  return (
    <li className="card account-card" aria-label={`Account ${title}`} data-account={account.accountId}>
      <div className="card-head">
        <h2 className="card-title">{title}</h2>
        {account.name ? <span className="muted">{account.accountId}</span> : null}
        <span className="card-head-end">
          {account.simulated ? <span className="tag">Simulated</span> : null}
          {!account.enabled ? <span className="tag">Disabled</span> : null}
          {!account.configured ? <span className="tag">Not configured</span> : null}
          <StatusBadge tone={accountTone(account)} testId="account-state">
            {STATE_LABELS[account.state]}
          </StatusBadge>
        </span>
      </div>
      {error && account.state === 'listening' ? (
        // The last error is history once the account listens again: context, not a problem to fix.
        <p className="note" data-testid="account-error">
          Recovered from: {error.message} (<RelativeTime iso={error.at} />)
        </p>
      ) : error ? (
        <div className={`problem ${error.fatal ? 'problem-error' : 'problem-warning'}`} data-testid="account-error">
          <p>
            <strong>{error.fatal ? 'Failed' : 'Last error'}:</strong>{' '}
            <span className="preserve-lines">
              <RichText text={error.message} />
            </span>
          </p>
          {error.fix ? (
            <p className="fix-line">
              Fix: <RichText text={error.fix} />
            </p>
          ) : null}
        </div>
      ) : null}
      <dl className="facts">
        <div>
          <dt>{STATE_LABELS[account.state]} since</dt>
          <dd>
            <RelativeTime iso={account.since} />
          </dd>
        </div>
        {account.state === 'backing-off' && account.retryAt ? (
          <div>
            <dt>Next attempt in</dt>
            <dd data-testid="retry-in">
              <Countdown iso={account.retryAt} />
            </dd>
          </div>
        ) : null}
        <div>
          <dt>Last message in</dt>
          <dd data-testid="last-inbound">
            <RelativeTime iso={account.lastInboundAt} />
          </dd>
        </div>
        <div>
          <dt>Last message out</dt>
          <dd data-testid="last-outbound">
            <RelativeTime iso={account.lastOutboundAt} />
          </dd>
        </div>
        <div>
          <dt>Restarts</dt>
          <dd data-testid="restarts">{account.restarts}</dd>
        </div>
        <div className="fact-wide">
          <dt>imsg</dt>
          <dd>
            {account.imsgVersion ? `${account.imsgVersion} · ` : ''}
            <code className="path">{account.cliPath}</code>
          </dd>
        </div>
      </dl>
      <SetupChecks account={account} setup={setup} />
      {account.warnings.length > 0 ? (
        <ul className="warnings" aria-label="Warnings">
          {account.warnings.map((warning) => (
            <li key={warning}>{warning}</li>
          ))}
        </ul>
      ) : null}
      <div className="card-foot">
        <Notice notice={notice} className="card-notice" />
        <div className="button-row">
          <button type="button" disabled={busy !== undefined} aria-label={`Probe ${title}`} onClick={() => void state().probeAccount(account.accountId)}>
            {busy === 'probe' ? 'Probing…' : 'Probe'}
          </button>
          <button type="button" disabled={busy !== undefined} aria-label={`Restart imsg for ${title}`} onClick={() => void state().restartAccount(account.accountId)}>
            {busy === 'restart' ? 'Restarting…' : 'Restart'}
          </button>
        </div>
      </div>
    </li>
  );
}

const PROBE_TITLES: Record<ProbeCheck['id'], string> = {
  binary: 'imsg installed',
  'rpc-support': 'imsg rpc supported',
  database: 'Messages database readable',
  'rpc-answers': 'imsg answers',
};

/** The gateway's setup checks when it has them; else the checks of the last probe. */
function SetupChecks({ account, setup }: { account: AccountHealth; setup: AccountSetup | undefined }) {
  const probe = useApp((s) => s.probes[account.accountId]) ?? account.lastProbe;
  if (setup) {
    return (
      <details className="checks-block" open={setup.checks.some((c) => isProblem(c.state))}>
        <summary>
          Setup checks <ChecksSummary states={setup.checks.map((c) => c.state)} />
        </summary>
        <ul className="checks">
          {setup.checks.map((check: SetupCheck) => (
            <CheckRow key={check.id} title={CHECK_TITLES[check.id]} check={check} />
          ))}
        </ul>
        {setup.restartNeeded ? <p className="note">Full Disk Access changed: restart Clawdbot for it to take effect.</p> : null}
      </details>
    );
  }
  if (!probe) return null;
  const states: CheckState[] = probe.checks.map((c) => (c.ok ? 'ok' : 'missing'));
  return (
    <details className="checks-block" open={!probe.ok}>
      <summary>
        Checks of the last probe <ChecksSummary states={states} /> <span className="muted">(<RelativeTime iso={probe.at} />)</span>
      </summary>
      <ul className="checks">
        {probe.checks.map((check) => (
          <CheckRow key={check.id} title={PROBE_TITLES[check.id]} check={{ state: check.ok ? 'ok' : 'missing', detail: check.detail, ...(check.fix ? { fix: { text: check.fix } } : {}) }} />
        ))}
      </ul>
    </details>
  );
}

function isProblem(state: CheckState): boolean {
  return state === 'missing' || state === 'denied' || state === 'pending';
}

function ChecksSummary({ states }: { states: CheckState[] }) {
  const passed = states.filter((s) => s === 'ok').length;
  const relevant = states.filter((s) => s !== 'not-applicable').length;
  const failing = states.filter(isProblem).length;
  return (
    <span className={failing > 0 ? 'summary-bad' : 'summary-ok'}>
      {failing > 0 ? `✗ ${failing} to fix` : `✓ ${passed} of ${relevant} OK`}
    </span>
  );
}
