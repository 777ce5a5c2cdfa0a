// The gateway status page: connection, gateway facts, one card per iMessage account, the
// pending pairing requests with Approve / Deny, and the access log (why a message was or was not
// answered). In demo mode also the "Simulated Messages" panel: receive a message as someone else
// and see what the gateway sent back.
import { useEffect, useState, type FormEvent } from 'react';
import { useStore } from 'zustand';
import { DEMO_ECHO_MODEL } from '../contract/constants';
import type { AccessDecision, AccessLogEntry, AccountHealth, ChannelState, DemoInjectParams, GatewayStatus, PairingRequest } from '../contract/gateway-api';
import { ago, clockTime, countdown, localTime } from './format';
import { fetchTokenAt } from './connection';
import type { GatewayLink, UiState } from './store';

/** How often the demo panel re-reads the sent messages while the page is visible. */
const DEMO_SENT_POLL_MS = 3_000;
/** The sender the demo form starts with (any phone number or email address works). */
const DEMO_DEFAULT_SENDER = '+15555550123';

const DECISION_LABELS: Record<AccessDecision, string> = {
  accepted: 'Accepted',
  rejected: 'Rejected',
  pairing: 'Pairing',
  skipped: 'Skipped',
  dropped: 'Dropped',
};

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

/** Where the token is, asked from the gateway while the page has none (null: not known here). */
function useTokenAt(needed: boolean): string | null {
  const [tokenAt, setTokenAt] = useState<string | null>(null);
  useEffect(() => {
    if (!needed || !/^https?:$/.test(window.location.protocol)) return;
    let current = true;
    void fetchTokenAt().then((answer) => current && setTokenAt(answer));
    return () => {
      current = false;
    };
  }, [needed]);
  return tokenAt;
}

export function App({ link, signInProblem = null }: { link: GatewayLink; signInProblem?: string | null }) {
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
      <ConnectionProblem link={link} now={now} signInProblem={signInProblem} />
      {status && connection !== 'no-token' && connection !== 'unauthorized' ? (
        <main className={connection === 'connected' ? '' : 'stale'}>
          <GatewayFacts status={status} />
          {status.demo ? <SimulatedMessages link={link} status={status} /> : null}
          <Accounts accounts={status.accounts} now={now} />
          <PairingRequests link={link} now={now} />
          <AccessLog link={link} />
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

function ConnectionProblem({ link, now, signInProblem }: { link: GatewayLink; now: number; signInProblem: string | null }) {
  const connection = useStore(link.store, (s) => s.connection);
  const problem = useStore(link.store, (s) => s.problem);
  const retryAt = useStore(link.store, (s) => s.retryAt);
  const needsToken = connection === 'no-token' || connection === 'unauthorized';
  const tokenAt = useTokenAt(needsToken);

  if (needsToken) {
    return (
      <section className="panel panel-problem" aria-labelledby="auth-title">
        <h2 id="auth-title">{connection === 'unauthorized' ? 'Wrong gateway token' : 'No gateway token'}</h2>
        {signInProblem && connection === 'no-token' ? <p role="alert">{signInProblem}</p> : null}
        <p>
          {connection === 'unauthorized'
            ? 'The gateway refused this token. It may have been regenerated, or the link is from another machine.'
            : 'This page needs the gateway token to show anything.'}{' '}
          Open the sign-in link the gateway printed (it ends in <code>#signin=…</code> and works once), or paste the token from{' '}
          <code>{tokenAt ?? 'the gateway.token file in the state dir (~/.clawdbot)'}</code>:
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
        <dd>
          {status.model === DEMO_ECHO_MODEL
            ? `${DEMO_ECHO_MODEL}: the demo assistant, a stand-in that echoes messages (not an AI; no model is configured)`
            : (status.model ?? 'none configured (messages are logged, not answered)')}
        </dd>
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

function SimulatedMessages({ link, status }: { link: GatewayLink; status: GatewayStatus }) {
  const sent = useStore(link.store, (s) => s.demoSent);
  const busy = useStore(link.store, (s) => s.demoBusy);
  const notice = useStore(link.store, (s) => s.demoNotice);
  const [from, setFrom] = useState(DEMO_DEFAULT_SENDER);
  const [text, setText] = useState('');
  const [groupId, setGroupId] = useState('');
  const [groupName, setGroupName] = useState('');
  const [formError, setFormError] = useState<string | null>(null);

  // Replies are also picked up on health/access-log events; polling covers anything in between.
  useEffect(() => {
    link.refreshDemoSent();
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') link.refreshDemoSent();
    }, DEMO_SENT_POLL_MS);
    return () => clearInterval(timer);
  }, [link]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const params: DemoInjectParams = { from: from.trim(), text };
    if (groupId.trim()) {
      const id = Number(groupId);
      if (!Number.isInteger(id) || id < 1) {
        setFormError('The group chat id is a whole number from 1 up (leave it empty for a 1:1 message).');
        return;
      }
      params.group = groupName.trim() ? { id, name: groupName.trim() } : { id };
    } else if (groupName.trim()) {
      setFormError('Give the group chat id too, or clear the group name for a 1:1 message.');
      return;
    }
    setFormError(null);
    if (await link.receiveDemoMessage(params)) setText('');
  };

  return (
    <section className="panel panel-demo" aria-labelledby="demo-title">
      <div className="panel-head">
        <h2 id="demo-title">Simulated Messages</h2>
        <span className="badge badge-demo">Simulated — not real iMessages</span>
      </div>
      <p className="muted">
        Demo mode: this gateway&apos;s Messages account is simulated. &ldquo;Receive message&rdquo; writes a message into the
        simulated Mac&apos;s Messages database as if someone had texted it; the gateway handles it exactly like a real one
        (pairing, policies, replies). Nothing is sent to a real phone.
      </p>
      {status.model === DEMO_ECHO_MODEL ? (
        <p className="note" data-testid="demo-assistant-note">
          Replies come from the demo assistant, a built-in stand-in that only echoes what was said (no AI model is
          configured). For real replies, set <code>agents.defaults.model</code> in <code>{status.configPath}</code>.
        </p>
      ) : null}
      <form className="demo-form" onSubmit={(event) => void submit(event)} aria-describedby="demo-form-help">
        <div className="field">
          <label htmlFor="demo-from">From</label>
          <input id="demo-from" type="text" required maxLength={64} autoComplete="off" spellCheck={false} value={from} onChange={(e) => setFrom(e.target.value)} />
        </div>
        <div className="field field-wide">
          <label htmlFor="demo-text">Message</label>
          <textarea id="demo-text" required maxLength={4000} rows={2} placeholder="Hello Clawdbot!" value={text} onChange={(e) => setText(e.target.value)} />
        </div>
        <fieldset className="demo-group">
          <legend>Group chat (optional)</legend>
          <div className="field">
            <label htmlFor="demo-group-id">Chat id</label>
            <input id="demo-group-id" type="number" min={1} step={1} inputMode="numeric" value={groupId} onChange={(e) => setGroupId(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor="demo-group-name">Name</label>
            <input id="demo-group-name" type="text" maxLength={100} value={groupName} onChange={(e) => setGroupName(e.target.value)} />
          </div>
        </fieldset>
        <p id="demo-form-help" className="muted demo-help">
          From: a phone number (+15555550123) or an email address. A stranger gets a pairing code first; approve it below.
        </p>
        <div className="demo-actions">
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Receiving…' : 'Receive message'}
          </button>
        </div>
      </form>
      <div role="status" aria-live="polite" className={formError ? 'notice notice-error' : notice ? `notice notice-${notice.kind}` : 'notice'}>
        {formError ?? notice?.text ?? ''}
      </div>
      <h3 id="demo-sent-title">Sent by the gateway (simulated)</h3>
      {sent.length === 0 ? (
        <p className="muted">Nothing sent yet.</p>
      ) : (
        <ol className="demo-sent" aria-labelledby="demo-sent-title">
          {sent.map((message) => (
            <li key={message.rowid} data-rowid={message.rowid}>
              <span className="demo-sent-meta">
                To {message.to} · <time dateTime={message.createdAt} title={localTime(message.createdAt)}>{clockTime(message.createdAt)}</time>
              </span>
              <span className="demo-sent-text">{message.text}</span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

function AccessLog({ link }: { link: GatewayLink }) {
  const entries = useStore(link.store, (s) => s.accessLog);
  return (
    <section className="panel" aria-labelledby="access-title">
      <h2 id="access-title">Access log</h2>
      <p className="muted">Why each incoming message was (or was not) handed to the assistant; newest first.</p>
      {entries.length === 0 ? (
        <p>No messages yet.</p>
      ) : (
        <table className="access-log" aria-labelledby="access-title">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Sender</th>
              <th scope="col">Decision</th>
              <th scope="col">Reason</th>
            </tr>
          </thead>
          <tbody>
            {[...entries].reverse().map((entry, index) => (
              <AccessRow key={`${entry.ts}-${entry.messageId ?? index}-${entry.sender}`} entry={entry} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function AccessRow({ entry }: { entry: AccessLogEntry }) {
  const chat = entry.isGroup ? ` in ${entry.chatName ?? 'group'}${entry.chatId !== null ? ` (chat ${entry.chatId})` : ''}` : '';
  return (
    <tr data-decision={entry.decision}>
      <td>
        <time dateTime={entry.ts} title={localTime(entry.ts)}>
          {clockTime(entry.ts)}
        </time>
      </td>
      <td>
        {entry.sender}
        {chat}
      </td>
      <td>
        <span className={`decision decision-${entry.decision}`}>{DECISION_LABELS[entry.decision]}</span>
      </td>
      <td>{entry.reason}</td>
    </tr>
  );
}
