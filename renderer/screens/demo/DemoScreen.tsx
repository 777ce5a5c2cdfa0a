// Demo mode: a conversation with the simulated Mac. A message "arrives" from anyone the person
// likes (written into the simulated chat.db, handled by the gateway exactly like a real one), and
// what the assistant sent back appears under it, newest in view, as in Messages.
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { DEMO_ECHO_MODEL } from '../../../contract/constants';
import type { DemoInjectParams } from '../../../contract/gateway-api';
import { useApp, useAppState } from '../../app/context';
import { Notice } from '../../components/Banner';
import { Field } from '../../components/Field';
import { clockTime, localTime } from '../../lib/format';
import { explainAccess } from '../../lib/access-reasons';
import { useStickToBottom } from '../../lib/stick-to-bottom';
import { PendingRequests } from '../pairing/PairingScreen';
import { displaySafe, displaySafeText } from '../../../contract/display-text';

/** How often the conversation re-reads the sent messages while the page is visible (events cover most). */
const DEMO_SENT_POLL_MS = 3_000;
const DEFAULT_SENDER = '+15555550123';

interface Bubble {
  rowid: number;
  direction: 'in' | 'out';
  who: string;
  /** null: a message that arrived outside this window (the gateway reports only its sender). */
  text: string | null;
  at: string;
  group?: { id: number | null; name?: string };
  /** What the gateway did with an incoming message. */
  outcome?: string;
}

/** The gateway's own messages seen coming back from Messages: not part of the conversation. */
const ECHOES = new Set(['own echo', 'from me']);

export function DemoScreen() {
  const status = useApp((s) => s.status);
  const state = useAppState();

  // Replies are picked up on health and access-log events; polling covers anything in between.
  useEffect(() => {
    state().refreshDemoSent();
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') state().refreshDemoSent();
    }, DEMO_SENT_POLL_MS);
    return () => clearInterval(timer);
  }, [state]);

  return (
    <div className="screen" aria-labelledby="demo-title">
      <header className="screen-head">
        <h1 id="demo-title">Simulated Messages</h1>
        <p className="screen-intro">
          This gateway’s Messages account is simulated: nothing reaches a real phone. Make a message arrive as anyone you like
          and see what the gateway does with it — pairing, your rules, the assistant’s reply.
        </p>
      </header>
      {status?.model === DEMO_ECHO_MODEL ? (
        <p className="note" data-testid="demo-assistant-note">
          Replies come from the demo assistant, a built-in stand-in that only echoes what was said (no AI model is configured).
          Set a model in <a href="#screen=settings">Settings</a> for real replies.
        </p>
      ) : null}
      <Conversation />
      <ReceiveForm />
      <PendingRequests compact />
    </div>
  );
}

function Conversation() {
  const inbound = useApp((s) => s.demoInbound);
  const sent = useApp((s) => s.demoSent);
  const accessLog = useApp((s) => s.accessLog);
  const simulatedAccount = useApp((s) => s.status?.accounts.find((a) => a.simulated)?.accountId);
  const list = useRef<HTMLOListElement>(null);

  // Incoming: every message the access log reports for the simulated account (by its chat.db
  // row), with the text when this window sent it; outgoing: what the gateway sent. Row ids come
  // from the same chat.db, so they give the order.
  const incoming = new Map<number, Bubble>();
  for (const entry of accessLog) {
    if (entry.messageId === null || entry.accountId !== simulatedAccount || ECHOES.has(entry.reason)) continue;
    incoming.set(entry.messageId, {
      rowid: entry.messageId,
      direction: 'in',
      who: entry.sender,
      text: null,
      at: entry.ts,
      ...(entry.isGroup ? { group: { id: entry.chatId, ...(entry.chatName ? { name: entry.chatName } : {}) } } : {}),
      outcome: explainAccess(entry).text,
    });
  }
  for (const message of inbound) {
    const known = incoming.get(message.rowid);
    incoming.set(message.rowid, { ...(known ?? { rowid: message.rowid, direction: 'in', who: message.from, at: message.at, ...(message.group ? { group: message.group } : {}) }), text: message.text });
  }
  const bubbles: Bubble[] = [...incoming.values(), ...sent.map((m): Bubble => ({ rowid: m.rowid, direction: 'out', who: m.to, text: m.text, at: m.createdAt }))].sort((a, b) => a.rowid - b.rowid);

  // Newest in view, as in Messages.
  useStickToBottom(list, bubbles.length);

  return (
    <section className="group" aria-labelledby="conversation-title">
      <h2 id="conversation-title">Conversation</h2>
      {bubbles.length === 0 ? (
        <p className="conversation conversation-empty muted">Nothing yet. Write a message below as someone new: they get a pairing code first.</p>
      ) : (
        <ol className="conversation" ref={list} aria-label="Conversation" tabIndex={0}>
          {bubbles.map((bubble) => (
            <li key={`${bubble.direction}-${bubble.rowid}`} className={`bubble bubble-${bubble.direction}`} data-rowid={bubble.rowid}>
              <span className="bubble-meta">
                {bubble.direction === 'in' ? `From ${displaySafe(bubble.who)}` : `To ${displaySafe(bubble.who)}`}
                {bubble.group ? ` in ${bubble.group.name ? displaySafe(bubble.group.name) : `group ${bubble.group.id ?? ''}`}` : ''} ·{' '}
                <time dateTime={bubble.at} title={localTime(bubble.at)}>
                  {clockTime(bubble.at)}
                </time>
              </span>
              {bubble.text !== null ? <span className="bubble-text">{displaySafeText(bubble.text)}</span> : <span className="bubble-text bubble-unknown">Sent from outside this window (the gateway does not report its text)</span>}
              {bubble.outcome ? <span className="bubble-outcome">{bubble.outcome}</span> : null}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

function ReceiveForm() {
  const state = useAppState();
  const busy = useApp((s) => s.demoBusy);
  const notice = useApp((s) => s.demoNotice);
  const [from, setFrom] = useState(DEFAULT_SENDER);
  const [text, setText] = useState('');
  const [groupId, setGroupId] = useState('');
  const [groupName, setGroupName] = useState('');
  const [formError, setFormError] = useState<string | null>(null);

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
    if (await state().receiveDemoMessage(params)) setText('');
  };

  return (
    <form className="form demo-form" onSubmit={(event) => void submit(event)} noValidate aria-label="Receive a message">
      <div className="form-grid">
        <Field label="From" hint="A phone number (+15555550123) or an email address.">
          {(control) => <input {...control} type="text" maxLength={64} autoComplete="off" spellCheck={false} value={from} onChange={(e) => setFrom(e.target.value)} />}
        </Field>
        <Field label="Message" className="field-wide">
          {(control) => (
            <textarea
              {...control}
              maxLength={4000}
              rows={2}
              placeholder="Hello Clawdbot!"
              value={text}
              onChange={(e) => setText(e.target.value)}
              onKeyDown={(e) => {
                // Return sends, as in Messages; Shift-Return starts a new line.
                if (e.key === 'Enter' && !e.shiftKey) {
                  e.preventDefault();
                  e.currentTarget.form?.requestSubmit();
                }
              }}
            />
          )}
        </Field>
      </div>
      <details className="demo-group">
        <summary>In a group chat…</summary>
        <div className="form-grid">
          <Field label="Group chat id">
            {(control) => <input {...control} type="text" inputMode="numeric" value={groupId} onChange={(e) => setGroupId(e.target.value)} />}
          </Field>
          <Field label="Group name">
            {(control) => <input {...control} type="text" maxLength={100} value={groupName} onChange={(e) => setGroupName(e.target.value)} />}
          </Field>
        </div>
      </details>
      <div className="button-row form-actions">
        <Notice notice={formError ? { kind: 'error', text: formError } : notice} className="form-notice" />
        <button type="submit" className="primary" disabled={busy || !text.trim()}>
          {busy ? 'Receiving…' : 'Receive message'}
        </button>
      </div>
    </form>
  );
}
