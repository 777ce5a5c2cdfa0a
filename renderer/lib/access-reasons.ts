// The access log's machine reasons (`dmPolicy=allowlist`, `not in groupAllowFrom`, …) in words,
// with the one action that would let the message through next time, where there is one.
import type { AccessLogEntry } from '../../contract/gateway-api';

export type AccessAction =
  /** Add the sender to allowFrom (direct messages). */
  | 'allow-sender'
  /** Add the sender to groupAllowFrom (every allowed group). */
  | 'allow-sender-in-groups'
  /** Add the chat to the allowed groups (`groups.<chat_id>`). */
  | 'allow-group'
  /** Add the sender to this chat's own allowFrom (`groups.<chat_id>.allowFrom`). */
  | 'allow-sender-in-chat'
  /** A pairing request exists: go and approve it. */
  | 'show-pairing'
  /** No model: set one in Settings. */
  | 'set-model';

export interface AccessExplanation {
  text: string;
  action?: AccessAction;
}

const EXACT: Record<string, AccessExplanation> = {
  replied: { text: 'Answered by the assistant.' },
  'dmPolicy=open': { text: 'Let in: direct messages are open to anyone.' },
  'allowFrom=*': { text: 'Let in: the allowed senders include everyone (*).' },
  allowFrom: { text: 'Let in: an allowed sender.' },
  paired: { text: 'Let in: approved by pairing.' },
  groupAllowFrom: { text: 'Let in: allowed in group chats.' },
  'group allowFrom': { text: "Let in: on this group's own list." },
  'groupPolicy=open': { text: 'Let in: group chats are open.' },
  'already answered before restart': { text: 'Already answered before the gateway restarted.' },
  'dmPolicy=disabled': { text: 'Blocked: direct messages are turned off.' },
  'dmPolicy=allowlist': { text: 'Blocked: not an allowed sender.', action: 'allow-sender' },
  'groupPolicy=disabled': { text: 'Blocked: group chats are turned off.' },
  'groupPolicy=allowlist, no groupAllowFrom': { text: 'Blocked: nobody is allowed in group chats yet.', action: 'allow-sender-in-groups' },
  'not in groupAllowFrom': { text: 'Blocked: not allowed in group chats.', action: 'allow-sender-in-groups' },
  'chat not in groups': { text: 'Blocked: this group chat is not one of the allowed groups.', action: 'allow-group' },
  'group allowFrom is empty': { text: "Blocked: this group's list of allowed senders is empty.", action: 'allow-sender-in-chat' },
  'not in group allowFrom': { text: "Blocked: not on this group's list of allowed senders.", action: 'allow-sender-in-chat' },
  'not in allowFrom': { text: 'Sent a pairing code: waiting for your approval.', action: 'show-pairing' },
  'pairing requested': { text: 'Sent a pairing code: waiting for your approval.', action: 'show-pairing' },
  'pairing pending': { text: 'Asked again: the pairing request is waiting for your approval.', action: 'show-pairing' },
  'pairing cap reached': { text: 'Ignored: 3 pairing requests are already waiting (no code sent).', action: 'show-pairing' },
  'no mention': { text: 'Not answered: the assistant was not mentioned in the group.' },
  'no model configured': { text: 'Not answered: no model is configured.', action: 'set-model' },
  'own echo': { text: 'Skipped: a message the assistant sent itself.' },
  'from me': { text: 'Skipped: sent from this Mac’s own account.' },
  'empty sender': { text: 'Skipped: the message has no sender.' },
  'group without chat_id': { text: 'Skipped: a group message without a chat id.' },
};

const PREFIXES: [string, (rest: string) => AccessExplanation][] = [
  ['agent error: ', (rest) => ({ text: `Not answered: the model failed (${rest}).` })],
  ['send failed: ', (rest) => ({ text: `The reply could not be sent (${rest}).` })],
  ['no reply (', (rest) => ({ text: `The assistant chose not to reply (${rest.replace(/\)$/, '')}).` })],
  ['pairing store error: ', (rest) => ({ text: `Pairing failed: ${rest}.` })],
  ['pairing requested; reply failed: ', (rest) => ({ text: `Pairing request stored, but the code could not be sent (${rest}).`, action: 'show-pairing' })],
];

export function explainAccess(entry: AccessLogEntry): AccessExplanation {
  const exact = EXACT[entry.reason];
  if (exact) return exact;
  for (const [prefix, explain] of PREFIXES) {
    if (entry.reason.startsWith(prefix)) return explain(entry.reason.slice(prefix.length));
  }
  return { text: entry.reason };
}

export const ACCESS_ACTION_LABELS: Record<AccessAction, string> = {
  'allow-sender': 'Allow this sender',
  'allow-sender-in-groups': 'Allow in group chats',
  'allow-group': 'Add group to allowlist',
  'allow-sender-in-chat': 'Allow in this group',
  'show-pairing': 'Show request',
  'set-model': 'Set a model',
};
