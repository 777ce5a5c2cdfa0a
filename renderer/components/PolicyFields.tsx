// Who may talk to the assistant: the direct-message policy with its allowed senders, and the
// group policy with the senders allowed in groups. Used by onboarding, Settings and each account.
import { useId } from 'react';
import type { DmPolicy, GroupPolicy } from '../../contract/config';
import type { FieldIssue } from '../../contract/setup';
import { issuesFor } from '../gateway/errors';
import { allowEntryProblem } from '../lib/handles';
import { FieldProblems } from './Field';
import { ListEditor } from './HandleListEditor';

export interface PolicyValue {
  dmPolicy: DmPolicy;
  allowFrom: string[];
  groupPolicy: GroupPolicy;
  groupAllowFrom: string[];
}

const DM_CHOICES: { value: DmPolicy; label: string; detail: string }[] = [
  { value: 'pairing', label: 'Pairing (recommended)', detail: 'Someone new gets a pairing code; they can chat once you approve it.' },
  { value: 'allowlist', label: 'Only allowed senders', detail: 'Only the senders listed below; everyone else is ignored, without a reply.' },
  { value: 'open', label: 'Anyone', detail: 'Anyone who texts this Mac gets answers from your assistant.' },
  { value: 'disabled', label: 'Nobody', detail: 'Direct messages are ignored.' },
];

const GROUP_CHOICES: { value: GroupPolicy; label: string; detail: string }[] = [
  { value: 'allowlist', label: 'Allowed senders only (recommended)', detail: 'In a group, only senders allowed below (or approved by pairing) can get an answer.' },
  { value: 'open', label: 'Anyone in the group', detail: 'Anyone in a group chat with this Mac can get an answer.' },
  { value: 'disabled', label: 'Off', detail: 'Group chats are ignored.' },
];

export const ALLOW_HINT = 'Phone numbers with country code (+15555550123), email addresses, chat_id:42, or * for everyone.';

export function PolicyFields({ value, onChange, issues = [] }: { value: PolicyValue; onChange(value: PolicyValue): void; issues?: readonly FieldIssue[] }) {
  const setDmPolicy = (dmPolicy: DmPolicy) => {
    // "Anyone" means the allowed senders include everyone: the gateway requires "*" for it.
    const allowFrom = dmPolicy === 'open' && !value.allowFrom.includes('*') ? [...value.allowFrom, '*'] : value.allowFrom;
    onChange({ ...value, dmPolicy, allowFrom });
  };
  return (
    <div className="policy-fields">
      <RadioGroup legend="Direct messages" name="dmPolicy" choices={DM_CHOICES} value={value.dmPolicy} onChange={setDmPolicy} issues={issuesFor(issues, 'dmPolicy')} />
      {value.dmPolicy === 'open' ? (
        <p className="warning-text" role="note">
          Anyone who knows this Mac’s phone number or email address can use your assistant — and your model account. Choose
          this only for a dedicated Apple Account.
        </p>
      ) : null}
      <ListEditor
        label="Allowed senders"
        hint={`${ALLOW_HINT} Senders you approve by pairing are added separately (Pairing screen).`}
        values={value.allowFrom}
        onChange={(allowFrom) => onChange({ ...value, allowFrom })}
        check={allowEntryProblem}
        issues={issuesFor(issues, 'allowFrom')}
        placeholder="+15555550123"
      />
      <RadioGroup legend="Group chats" name="groupPolicy" choices={GROUP_CHOICES} value={value.groupPolicy} onChange={(groupPolicy) => onChange({ ...value, groupPolicy })} issues={issuesFor(issues, 'groupPolicy')} />
      <ListEditor
        label="Allowed in group chats"
        hint="Senders who may get answers in group chats (the assistant still waits to be mentioned)."
        values={value.groupAllowFrom}
        onChange={(groupAllowFrom) => onChange({ ...value, groupAllowFrom })}
        check={allowEntryProblem}
        issues={issuesFor(issues, 'groupAllowFrom')}
        placeholder="someone@example.com"
      />
    </div>
  );
}

export function RadioGroup<T extends string>({
  legend,
  name,
  choices,
  value,
  onChange,
  issues = [],
}: {
  legend: string;
  name: string;
  choices: { value: T; label: string; detail?: string }[];
  value: T;
  onChange(value: T): void;
  issues?: readonly Pick<FieldIssue, 'message' | 'fix'>[];
}) {
  const id = useId();
  return (
    <fieldset className={`radio-group${issues.length > 0 ? ' field-invalid' : ''}`} aria-describedby={issues.length > 0 ? `${id}-issues` : undefined}>
      <legend>{legend}</legend>
      {choices.map((choice) => {
        // Named by its label alone; the explanation is its description.
        const labelId = `${id}-${choice.value}-label`;
        const detailId = `${id}-${choice.value}-detail`;
        return (
          <label key={choice.value} className="radio">
            <input
              type="radio"
              name={`${id}-${name}`}
              value={choice.value}
              checked={value === choice.value}
              onChange={() => onChange(choice.value)}
              aria-labelledby={labelId}
              aria-describedby={choice.detail ? detailId : undefined}
            />
            <span className="radio-text">
              <span id={labelId} className="radio-label">
                {choice.label}
              </span>
              {choice.detail ? (
                <span id={detailId} className="radio-detail">
                  {choice.detail}
                </span>
              ) : null}
            </span>
          </label>
        );
      })}
      {issues.length > 0 ? <FieldProblems id={`${id}-issues`} issues={issues} /> : null}
    </fieldset>
  );
}
