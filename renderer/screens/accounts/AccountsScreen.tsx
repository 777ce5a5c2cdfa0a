// Accounts: every iMessage account with its state and where its imsg runs; add, edit, disable,
// remove. The form is the one onboarding uses.
import { useState } from 'react';
import type { AccountHealth } from '../../../contract/gateway-api';
import { useApp, useAppState } from '../../app/context';
import { AccountForm, accountDraft } from '../../components/AccountForm';
import { Banner, Notice } from '../../components/Banner';
import { StatusBadge } from '../../components/StatusBadge';
import { problemText } from '../../gateway/errors';
import type { Notice as NoticeValue } from '../../store/types';
import { accountTone, STATE_LABELS } from '../health/HealthScreen';

type Editing = { kind: 'add' } | { kind: 'edit'; accountId: string } | null;

export function AccountsScreen() {
  const accounts = useApp((s) => s.status?.accounts);
  const config = useApp((s) => s.config);
  const setupUnavailable = useApp((s) => s.setupAvailability === 'unavailable');
  const [editing, setEditing] = useState<Editing>(null);
  const [notice, setNotice] = useState<NoticeValue | null>(null);

  return (
    <div className="screen" aria-labelledby="accounts-title">
      <header className="screen-head screen-head-row">
        <div>
          <h1 id="accounts-title">Accounts</h1>
          <p className="screen-intro">Each account is one Apple Account’s Messages, read and sent by its own imsg.</p>
        </div>
        {editing?.kind !== 'add' ? (
          <button type="button" className="primary" onClick={() => setEditing({ kind: 'add' })} disabled={!config}>
            Add account…
          </button>
        ) : null}
      </header>
      {setupUnavailable ? (
        <Banner tone="info" title="Changing accounts needs a newer gateway">
          <p>
            This gateway does not offer account changes yet, so saving here will be refused. Until it does, edit{' '}
            <code className="path">{config?.path ?? 'the config file'}</code> (channels.imessage.accounts).
          </p>
        </Banner>
      ) : null}
      <Notice notice={notice} />
      {editing?.kind === 'add' ? (
        <section className="group card" aria-labelledby="add-title">
          <h2 id="add-title">New account</h2>
          <AccountForm
            mode="add"
            initial={accountDraft(config?.config, null)}
            onCancel={() => setEditing(null)}
            onDone={(accountId) => {
              setEditing(null);
              setNotice({ kind: 'ok', text: `Added account ${accountId}. It starts in a moment; see Health.` });
            }}
          />
        </section>
      ) : null}
      {!accounts || !config ? (
        <p className="placeholder card">Loading accounts…</p>
      ) : (
        <ul className="card-list" aria-label="Accounts">
          {accounts.map((account) => (
            <AccountRow
              key={account.accountId}
              account={account}
              editing={editing?.kind === 'edit' && editing.accountId === account.accountId}
              onEdit={(on) => setEditing(on ? { kind: 'edit', accountId: account.accountId } : null)}
              onNotice={setNotice}
            />
          ))}
        </ul>
      )}
    </div>
  );
}

function AccountRow({ account, editing, onEdit, onNotice }: { account: AccountHealth; editing: boolean; onEdit(on: boolean): void; onNotice(notice: NoticeValue): void }) {
  const state = useAppState();
  const config = useApp((s) => s.config?.config);
  const location = useApp((s) => s.setup?.accounts.find((a) => a.accountId === account.accountId)?.location);
  const [confirmRemove, setConfirmRemove] = useState(false);
  const [busy, setBusy] = useState(false);
  const title = account.name ?? account.accountId;

  const act = async (work: () => ReturnType<ReturnType<typeof state>['updateAccount']>, done: string) => {
    setBusy(true);
    const outcome = await work();
    setBusy(false);
    setConfirmRemove(false);
    if (outcome.ok) onNotice({ kind: 'ok', text: done });
    else if (outcome.unavailable) onNotice({ kind: 'warning', text: `Not available in this gateway: ${outcome.problem?.message ?? 'accounts.* is unavailable'}. Edit the config file instead.` });
    else onNotice({ kind: 'error', text: outcome.problem ? problemText(outcome.problem) : outcome.issues.map((i) => i.message).join('\n') });
  };

  const where = location === 'remote-mac' || account.remoteHost ? `on ${account.remoteHost ?? 'another Mac'}` : location === 'dedicated-user' ? 'as a dedicated Mac user' : 'on this Mac';

  return (
    <li className="card" aria-label={`Account ${title}`} data-account={account.accountId}>
      <div className="card-head">
        <h2 className="card-title">{title}</h2>
        {account.name ? <span className="muted">{account.accountId}</span> : null}
        <span className="card-head-end">
          {account.simulated ? <span className="tag">Simulated</span> : null}
          <StatusBadge tone={accountTone(account)}>{account.enabled ? STATE_LABELS[account.state] : 'Disabled'}</StatusBadge>
        </span>
      </div>
      <p className="muted small-text">
        imsg runs {where}: <code className="path">{account.cliPath}</code>
      </p>
      {editing ? (
        <AccountForm
          mode="edit"
          initial={accountDraft(config, account.accountId, location)}
          onCancel={() => onEdit(false)}
          onDone={() => {
            onEdit(false);
            onNotice({ kind: 'ok', text: `Saved ${title}.` });
          }}
        />
      ) : (
        <div className="button-row card-actions">
          {confirmRemove ? (
            <>
              <span className="muted small-text">Remove {title} from the config? Its pairing approvals are kept.</span>
              <button type="button" onClick={() => setConfirmRemove(false)}>
                Cancel
              </button>
              <button type="button" className="destructive" disabled={busy} aria-label={`Confirm remove ${title}`} onClick={() => void act(() => state().removeAccount(account.accountId), `Removed ${title}.`)}>
                Remove
              </button>
            </>
          ) : (
            <>
              <button type="button" aria-label={`Edit ${title}`} onClick={() => onEdit(true)}>
                Edit…
              </button>
              <button
                type="button"
                disabled={busy}
                aria-label={`${account.enabled ? 'Disable' : 'Enable'} ${title}`}
                onClick={() => void act(() => state().updateAccount(account.accountId, { enabled: !account.enabled }), `${account.enabled ? 'Disabled' : 'Enabled'} ${title}.`)}
              >
                {account.enabled ? 'Disable' : 'Enable'}
              </button>
              <button type="button" aria-label={`Remove ${title}`} onClick={() => setConfirmRemove(true)}>
                Remove…
              </button>
            </>
          )}
        </div>
      )}
    </li>
  );
}
