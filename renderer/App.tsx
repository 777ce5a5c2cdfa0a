// The gateway status page: connection, gateway facts, one card per iMessage account, and the
// pending pairing requests with Approve / Deny.
import { useEffect, useState, type FormEvent } from 'react';
import { useStore } from 'zustand';
import type { AccountHealth, ChannelState, GatewayStatus, PairingRequest } from '../contract/gateway-api';
import { ago, countdown, localTime } from './format';
import type { GatewayLink, UiState } from './store';

const STATE_LABELS: Record<ChannelState, string> = {
  stopped: 'Stopped',
  probing: 'Checking',
  starting: 'Starting',
  listening: 'Listening',
  'backing-off': 'Retrying',
  'failed-fatal': 'Failed',
};

/** Re-renders every `intervalMs` (relative times, countdowns). */
function useNow(intervalMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

export function App({ link }: { link: GatewayLink }) {
  const connection = useStore(link.store, (s) => s.connection);
  const status = useStore(link.store, (s) => s.status);
  const now = useNow(1000);

  return (
    <div className="page">
      <header className="top">
        <h1>Clawdbot gateway</h1>
        {status?.demo ? <span className="badge badge-demo">Simulated Messages account</span> : null}
        <ConnectionPill state={connection} />
      </header>
      <ConnectionProblem link={link} now={now} />
      {status && connection !== 'no-token' && connection !== 'unauthorized' ? (
        <main className={connection === 'connected' ? '' : 'stale'}>
          <GatewayFacts status={status} />
          <Accounts accounts={status.accounts} now={now} />
          <PairingRequests link={link} now={now} />
        </main>
      ) : null}
    </div>
  );
}

function ConnectionPill({ state }: { state: UiState['connection'] }) {
  const labels: Record<UiState['connection'], string> = {
    'no-token': 'Not connected',
    connecting: 'Connecting…',
    connected: 'Connected',
    unauthorized: 'Wrong token',
    disconnected: 'Not connected',
  };
  return (
    <span className={`pill pill-${state}`} role="status" aria-label={`Gateway connection: ${labels[state]}`}>
      {labels[state]}
    </span>
  );
}

function ConnectionProblem({ link, now }: { link: GatewayLink; now: number }) {
  const connection = useStore(link.store, (s) => s.connection);
  const problem = useStore(link.store, (s) => s.problem);
  const retryAt = useStore(link.store, (s) => s.retryAt);

  if (connection === 'no-token' || connection === 'unauthorized') {
    return (
      <section className="panel panel-problem" aria-labelledby="auth-title">
        <h2 id="auth-title">{connection === 'unauthorized' ? 'Wrong gateway token' : 'No gateway token'}</h2>
        <p>
          {connection === 'unauthorized'
            ? 'The gateway refused this token. It may have been regenerated, or the link is from another machine.'
            : 'This page needs the gateway token to show anything.'}{' '}
          Open the link the gateway printed (it ends in <code>#token=…</code>), or paste the token from{' '}
          <code>~/.clawdbot/gateway.token</code>:
        </p>
        <TokenForm link={link} />
      </section>
    );
  }
  if (connection === 'disconnected' || (connection === 'connecting' && problem)) {
    const seconds = retryAt ? Math.max(0, Math.ceil((retryAt - now) / 1000)) : null;
    return (
      <section className="panel panel-problem" role="alert" aria-labelledby="disconnected-title">
        <h2 id="disconnected-title">Not connected to the gateway</h2>
        {problem ? <p>{problem.message}</p> : null}
        {problem?.fix ? <p className="fix">{problem.fix}</p> : null}
        <p className="muted">{seconds !== null && seconds > 0 ? `Retrying in ${seconds} s…` : 'Retrying…'}</p>
      </section>
    );
  }
  return null;
}

function TokenForm({ link }: { link: GatewayLink }) {
  const [value, setValue] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (value.trim()) link.setToken(value);
  };
  return (
    <form className="token-form" onSubmit={submit}>
      <label htmlFor="token-input">Gateway token</label>
      <input
        id="token-input"
        type="password"
        autoComplete="off"
        spellCheck={false}
        value={value}
        onChange={(event) => setValue(event.target.value)}
      />
      <button type="submit" disabled={!value.trim()}>
        Connect
      </button>
    </form>
  );
}

function GatewayFacts({ status }: { status: GatewayStatus }) {
  return (
    <section className="panel" aria-labelledby="gateway-title">
      <h2 id="gateway-title">Gateway</h2>
      <dl className="facts">
        <dt>Version</dt>
        <dd>{status.version}</dd>
        <dt>Listening on</dt>
        <dd>
          {status.bind}:{status.port}
        </dd>
        <dt>PID</dt>
        <dd>{status.pid}</dd>
        <dt>Model</dt>
        <dd>{status.model ?? 'none configured (messages are logged, not answered)'}</dd>
        <dt>Config</dt>
        <dd>
          <code>{status.configPath}</code>
        </dd>
      </dl>
      {status.configError ? (
        <p className="error" role="alert">
          The last config change was rejected (the previous config is still in use): {status.configError}
        </p>
      ) : null}
      {status.modelError ? <p className="error">{status.modelError}</p> : null}
    </section>
  );
}

function Accounts({ accounts, now }: { accounts: AccountHealth[]; now: number }) {
  return (
    <section aria-labelledby="accounts-title">
      <h2 id="accounts-title">iMessage accounts</h2>
      {accounts.length === 0 ? <p className="muted">No iMessage account is configured.</p> : null}
      <ul className="cards">
        {accounts.map((account) => (
          <AccountCard key={account.accountId} account={account} now={now} />
        ))}
      </ul>
    </section>
  );
}

function AccountCard({ account, now }: { account: AccountHealth; now: number }) {
  const title = account.name ?? account.accountId;
  return (
    <li className="panel card" aria-label={`Account ${title}`} data-account={account.accountId}>
      <div className="card-head">
        <h3>{title}</h3>
        {account.name ? <span className="muted">{account.accountId}</span> : null}
        <span className={`state state-${account.state}`} data-testid="account-state">
          {STATE_LABELS[account.state]}
        </span>
        {account.simulated ? <span className="badge badge-demo">Simulated</span> : null}
        {!account.enabled ? <span className="badge">Disabled</span> : null}
        {!account.configured ? <span className="badge">Not configured</span> : null}
      </div>
      <dl className="facts">
        <dt>Since</dt>
        <dd title={localTime(account.since)}>{ago(account.since, now)}</dd>
        {account.state === 'backing-off' && account.retryAt ? (
          <>
            <dt>Next attempt</dt>
            <dd title={localTime(account.retryAt)}>in {countdown(account.retryAt, now)}</dd>
          </>
        ) : null}
        <dt>Restarts</dt>
        <dd>{account.restarts}</dd>
        <dt>Last inbound</dt>
        <dd>{ago(account.lastInboundAt, now)}</dd>
        <dt>Last outbound</dt>
        <dd>{ago(account.lastOutboundAt, now)}</dd>
        <dt>imsg</dt>
        <dd>
          <code>{account.cliPath}</code>
          {account.imsgVersion ? ` ${account.imsgVersion}` : ''}
          {account.pid ? ` (pid ${account.pid})` : ''}
        </dd>
      </dl>
      {account.lastError && account.state === 'listening' ? (
        // The supervisor keeps the last error as history; once the account listens again it is
        // context ("why did it restart?"), not a problem to fix.
        <p className="note" data-testid="account-error">
          Recovered from: {account.lastError.message} ({ago(account.lastError.at, now)})
        </p>
      ) : account.lastError ? (
        <div className={account.lastError.fatal ? 'error' : 'warning'} data-testid="account-error">
          <p>
            <strong>{account.lastError.fatal ? 'Failed' : 'Last error'}:</strong> {account.lastError.message}
          </p>
          {account.lastError.fix ? <p className="fix">Fix: {account.lastError.fix}</p> : null}
        </div>
      ) : null}
      {account.warnings.length > 0 ? (
        <ul className="warnings" aria-label="Warnings">
          {account.warnings.map((warning) => (
            <li key={warning}>{warning}</li>
          ))}
        </ul>
      ) : null}
    </li>
  );
}

function PairingRequests({ link, now }: { link: GatewayLink; now: number }) {
  const requests = useStore(link.store, (s) => s.requests);
  const busy = useStore(link.store, (s) => s.busy);
  const notice = useStore(link.store, (s) => s.notice);

  return (
    <section className="panel" aria-labelledby="pairing-title">
      <h2 id="pairing-title">Pending pairing requests ({requests.length})</h2>
      <p className="muted">
        Someone who is not yet allowed wrote to you and got a pairing code. Approve only codes you recognize; each
        expires after an hour.
      </p>
      <div role="status" aria-live="polite" className={notice ? `notice notice-${notice.kind}` : 'notice'}>
        {notice?.text ?? ''}
      </div>
      {requests.length === 0 ? (
        <p>No pending pairing requests.</p>
      ) : (
        <table className="requests">
          <thead>
            <tr>
              <th scope="col">Code</th>
              <th scope="col">Sender</th>
              <th scope="col">Requested</th>
              <th scope="col">Expires in</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {requests.map((request) => (
              <RequestRow key={request.code} request={request} busy={busy[request.code]} link={link} now={now} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function RequestRow({ request, busy, link, now }: { request: PairingRequest; busy: 'approve' | 'deny' | undefined; link: GatewayLink; now: number }) {
  return (
    <tr data-code={request.code}>
      <td>
        <code className="code">{request.code}</code>
      </td>
      <td>{request.id}</td>
      <td title={localTime(request.createdAt)}>{ago(request.createdAt, now)}</td>
      <td title={localTime(request.expiresAt)}>{countdown(request.expiresAt, now)}</td>
      <td className="actions">
        <button
          type="button"
          className="primary"
          disabled={busy !== undefined}
          aria-label={`Approve ${request.id} (code ${request.code})`}
          onClick={() => void link.approve(request.code)}
        >
          {busy === 'approve' ? 'Approving…' : 'Approve'}
        </button>
        <button
          type="button"
          disabled={busy !== undefined}
          aria-label={`Deny ${request.id} (code ${request.code})`}
          onClick={() => void link.deny(request.code)}
        >
          {busy === 'deny' ? 'Denying…' : 'Deny'}
        </button>
      </td>
    </tr>
  );
}
