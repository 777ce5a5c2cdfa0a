// The access log, newest first: who wrote, what the gateway decided and why (in words), and the
// one-click change that would let them through next time ("Allow this sender", "Add group to
// allowlist"), written with `config.patch` like any other setting.
import { useState } from 'react';
import type { ConfigPatch } from '../../../contract/config';
import type { AccessDecision, AccessLogEntry } from '../../../contract/gateway-api';
import { useApp, useAppState } from '../../app/context';
import { Notice } from '../../components/Banner';
import { StatusBadge, type StatusTone } from '../../components/StatusBadge';
import { problemText } from '../../gateway/errors';
import { ACCESS_ACTION_LABELS, explainAccess, type AccessAction } from '../../lib/access-reasons';
import { addGroup, addToGroupList, addToList } from '../../lib/config-edit';
import { clockTime, localTime } from '../../lib/format';
import type { Notice as NoticeValue } from '../../store/types';
import { displaySafe } from '../../../contract/display-text';

const DECISIONS: Record<AccessDecision, { label: string; tone: StatusTone }> = {
  accepted: { label: 'Let in', tone: 'ok' },
  rejected: { label: 'Blocked', tone: 'error' },
  pairing: { label: 'Pairing', tone: 'warning' },
  skipped: { label: 'Skipped', tone: 'neutral' },
  dropped: { label: 'Ignored', tone: 'neutral' },
};

export function AccessLogView() {
  const entries = useApp((s) => s.accessLog);
  const loaded = useApp((s) => s.accessLogLoaded);
  const [notice, setNotice] = useState<NoticeValue | null>(null);
  return (
    <section className="group" aria-labelledby="access-title">
      <h2 id="access-title">Access log</h2>
      <p className="muted small-text">Why each incoming message was (or was not) handed to the assistant; newest first.</p>
      <Notice notice={notice} />
      {!loaded ? (
        <p className="placeholder">Loading the access log…</p>
      ) : entries.length === 0 ? (
        <p className="muted">No messages yet.</p>
      ) : (
        <ol className="access-log" aria-label="Access log">
          {[...entries].reverse().map((entry, index) => (
            <AccessRow key={`${entry.ts}-${entry.messageId ?? index}-${entry.sender}`} entry={entry} onNotice={setNotice} />
          ))}
        </ol>
      )}
    </section>
  );
}

function AccessRow({ entry, onNotice }: { entry: AccessLogEntry; onNotice(notice: NoticeValue): void }) {
  const explanation = explainAccess(entry);
  const decision = DECISIONS[entry.decision];
  const chat = entry.isGroup ? `in ${entry.chatName !== null && entry.chatName !== undefined ? displaySafe(entry.chatName) : 'a group'}${entry.chatId !== null ? ` (chat ${entry.chatId})` : ''}` : '';
  return (
    <li className="access-row" data-decision={entry.decision}>
      <div className="access-head">
        <time dateTime={entry.ts} title={localTime(entry.ts)} className="access-time">
          {clockTime(entry.ts)}
        </time>
        <span className="access-sender">{displaySafe(entry.sender)}</span>
        {chat ? <span className="muted">{chat}</span> : null}
        <StatusBadge tone={decision.tone}>{decision.label}</StatusBadge>
      </div>
      <p className="access-reason">{explanation.text}</p>
      {explanation.action ? <AccessActionButton entry={entry} action={explanation.action} onNotice={onNotice} /> : null}
    </li>
  );
}

function AccessActionButton({ entry, action, onNotice }: { entry: AccessLogEntry; action: AccessAction; onNotice(notice: NoticeValue): void }) {
  const state = useAppState();
  const allowed = useApp((s) => s.configuredAllow.includes(entry.sender) || s.approved.includes(entry.sender));
  const pending = useApp((s) => s.requests.some((r) => r.id === entry.sender));
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);

  // An old line whose request was decided since: nothing left to do there.
  if (action === 'show-pairing' && !pending) return allowed ? <p className="muted small-text">Approved since.</p> : null;
  if (action === 'show-pairing' || action === 'set-model') {
    const screen = action === 'show-pairing' ? 'pairing' : 'settings';
    return (
      <a className="button small" href={`#screen=${screen}`} aria-label={action === 'show-pairing' ? `Show the request from ${displaySafe(entry.sender)}` : 'Set a model in Settings'}>
        {ACCESS_ACTION_LABELS[action]}
      </a>
    );
  }
  if (done || (action === 'allow-sender' && allowed)) return <p className="muted small-text">Allowed now.</p>;

  const patch = (): ConfigPatch | null => {
    const config = state().config?.config;
    switch (action) {
      case 'allow-sender':
        return addToList(config, entry.accountId, 'allowFrom', entry.sender);
      case 'allow-sender-in-groups':
        return addToList(config, entry.accountId, 'groupAllowFrom', entry.sender);
      case 'allow-group':
        return entry.chatId !== null ? addGroup(config, entry.accountId, entry.chatId) : null;
      case 'allow-sender-in-chat':
        return entry.chatId !== null ? addToGroupList(config, entry.accountId, entry.chatId, entry.sender) : null;
    }
  };
  const what: Record<typeof action, string> = {
    'allow-sender': `Added ${displaySafe(entry.sender)} to the allowed senders.`,
    'allow-sender-in-groups': `${displaySafe(entry.sender)} may now get answers in group chats.`,
    'allow-group': `Added ${entry.chatName ?? `chat ${entry.chatId}`} to the allowed groups.`,
    'allow-sender-in-chat': `${displaySafe(entry.sender)} may now get answers in ${entry.chatName ? displaySafe(entry.chatName) : `chat ${entry.chatId}`}.`,
  };
  const name = action === 'allow-group' ? `Add ${entry.chatName ? displaySafe(entry.chatName) : `chat ${entry.chatId}`} to the allowed groups` : `${ACCESS_ACTION_LABELS[action]}: ${displaySafe(entry.sender)}`;

  const run = async () => {
    const change = patch();
    if (!change) return;
    setBusy(true);
    const outcome = await state().patchConfig(change);
    setBusy(false);
    if (outcome.ok) {
      setDone(true);
      onNotice({ kind: 'ok', text: what[action] });
    } else {
      const text = outcome.problem ? problemText(outcome.problem) : outcome.issues.map((i) => `${i.path}: ${i.message}`).join('\n');
      onNotice({ kind: 'error', text: `Not changed: ${text}` });
    }
  };

  return (
    <button type="button" className="small" disabled={busy} aria-label={name} onClick={() => void run()}>
      {busy ? 'Saving…' : ACCESS_ACTION_LABELS[action]}
    </button>
  );
}
