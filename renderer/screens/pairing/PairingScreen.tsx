// Pairing: the pending requests (who wrote, their code, the chat, how long ago, time left) with
// Approve — optionally texting them — and Deny, live as requests arrive; the approved senders
// with Revoke; and, when nothing is pending, what pairing is.
import { useState } from 'react';
import type { PairingRequest } from '../../../contract/gateway-api';
import { useApp, useAppState } from '../../app/context';
import { Notice } from '../../components/Banner';
import { Countdown, RelativeTime } from '../../components/time';
import { displaySafe } from '../../../contract/display-text';

export function PairingScreen() {
  const notice = useApp((s) => s.notice);
  return (
    <div className="screen" aria-labelledby="pairing-title">
      <header className="screen-head">
        <h1 id="pairing-title">Pairing</h1>
        <p className="screen-intro">
          Someone who is not yet allowed writes to this Mac and gets a pairing code. Approve only people you know; each code
          expires after an hour.
        </p>
      </header>
      <Notice notice={notice} />
      <PendingRequests />
      <ApprovedSenders />
    </div>
  );
}

/** `compact`: inside another screen (Demo), with the outcome of Approve / Deny shown here. */
export function PendingRequests({ compact = false }: { compact?: boolean }) {
  const requests = useApp((s) => s.requests);
  const loaded = useApp((s) => s.requestsLoaded);
  const notice = useApp((s) => s.notice);
  return (
    <section className="group" aria-labelledby="pending-title">
      <h2 id="pending-title">
        Pending requests <span className="count-badge">{loaded ? requests.length : '–'}</span>
      </h2>
      {compact ? <Notice notice={notice} /> : null}
      {!loaded ? (
        <p className="placeholder">Loading pending requests…</p>
      ) : requests.length === 0 ? (
        compact ? (
          <p className="muted">No pending requests.</p>
        ) : (
          <div className="empty-state">
            <p>
              <strong>No pending requests.</strong>
            </p>
            <p className="muted">
              When someone new texts this Mac, the assistant does not answer them. It replies with an 8-character pairing code
              instead, and the request shows up here (and in the menu bar). Approve it and they can chat; deny it and they are
              ignored until they write again.
            </p>
          </div>
        )
      ) : (
        <ul className="request-list" aria-label="Pending requests">
          {requests.map((request) => (
            <RequestCard key={request.code} request={request} />
          ))}
        </ul>
      )}
    </section>
  );
}

function RequestCard({ request }: { request: PairingRequest }) {
  const busy = useApp((s) => s.pairingBusy[request.code]);
  const state = useAppState();
  const [notify, setNotify] = useState(false);
  // Shown and named with control and bidi characters escaped: a sender chooses their handle.
  const sender = displaySafe(request.id);
  const chat = request.chatId ?? request.meta?.chatId;
  const account = request.accountId ?? request.meta?.accountId;
  return (
    <li className="card request" data-code={request.code} aria-label={`Request from ${sender}`}>
      <div className="request-main">
        <p className="request-sender">{sender}</p>
        <dl className="facts facts-inline">
          <div>
            <dt>Code</dt>
            <dd>
              <code className="pairing-code">{request.code}</code>
            </dd>
          </div>
          {account ? (
            <div>
              <dt>Account</dt>
              <dd data-testid="request-account">{displaySafe(account)}</dd>
            </div>
          ) : null}
          {chat ? (
            <div>
              <dt>Chat</dt>
              <dd>{chat}</dd>
            </div>
          ) : null}
          <div>
            <dt>Asked</dt>
            <dd>
              <RelativeTime iso={request.createdAt} />
            </dd>
          </div>
          <div>
            <dt>Expires in</dt>
            <dd data-testid="expires-in">
              <Countdown iso={request.expiresAt} />
            </dd>
          </div>
        </dl>
      </div>
      <div className="request-actions">
        <label className="checkbox small-text">
          <input type="checkbox" checked={notify} onChange={(e) => setNotify(e.target.checked)} aria-label={`Text ${sender} that they are approved`} />
          <span aria-hidden="true">Text them that they are approved</span>
        </label>
        <div className="button-row">
          <button type="button" disabled={busy !== undefined} aria-label={`Deny ${sender}`} onClick={() => void state().deny(request.code)}>
            {busy === 'deny' ? 'Denying…' : 'Deny'}
          </button>
          <button type="button" className="primary" disabled={busy !== undefined} aria-label={`Approve ${sender}`} onClick={() => void state().approve(request.code, { notify })}>
            {busy === 'approve' ? 'Approving…' : 'Approve'}
          </button>
        </div>
      </div>
    </li>
  );
}

function ApprovedSenders() {
  const approved = useApp((s) => s.approved);
  const configured = useApp((s) => s.configuredAllow);
  const loaded = useApp((s) => s.allowlistLoaded);
  const busy = useApp((s) => s.pairingBusy);
  const state = useAppState();
  const [confirming, setConfirming] = useState<string | null>(null);
  return (
    <section className="group" aria-labelledby="approved-title">
      <h2 id="approved-title">Approved senders</h2>
      {!loaded ? (
        <p className="placeholder">Loading approved senders…</p>
      ) : approved.length === 0 ? (
        <p className="muted">Nobody has been approved by pairing yet.</p>
      ) : (
        <ul className="rows" aria-label="Approved senders">
          {approved.map((sender) => (
            <li key={sender} className="row">
              <span className="row-text">{displaySafe(sender)}</span>
              {confirming === sender ? (
                <span className="button-row">
                  <span className="muted small-text">Revoke?</span>
                  <button type="button" onClick={() => setConfirming(null)}>
                    Cancel
                  </button>
                  <button
                    type="button"
                    className="destructive"
                    aria-label={`Confirm revoke ${displaySafe(sender)}`}
                    onClick={() => {
                      setConfirming(null);
                      void state().revoke(sender);
                    }}
                  >
                    Revoke
                  </button>
                </span>
              ) : (
                <button type="button" disabled={busy[sender] !== undefined} aria-label={`Revoke ${displaySafe(sender)}`} onClick={() => setConfirming(sender)}>
                  {busy[sender] === 'revoke' ? 'Revoking…' : 'Revoke'}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {loaded && configured.length > 0 ? (
        <>
          <h3 className="subhead">Allowed in the config</h3>
          <p className="muted small-text">These come from the allowed-senders lists in Settings (or an account’s own rules) and are changed there.</p>
          <ul className="rows" aria-label="Allowed in the config">
            {configured.map((entry) => (
              <li key={entry} className="row">
                <span className="row-text">{displaySafe(entry)}</span>
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}
