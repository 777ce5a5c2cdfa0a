// One iMessage account: its name, where imsg runs, and (optionally) its own rules for who may
// talk to the assistant. Adding writes it with `accounts.add`, editing sends only what changed
// with `accounts.update` (a cleared key is removed, so the account inherits it again). The
// gateway checks the whole config before writing and answers problems by field, shown inline.
import { useState, type FormEvent } from 'react';
import type { ClawdbotConfig } from '../../contract/config';
import { IMESSAGE_DEFAULTS_SHOWN as IMESSAGE_DEFAULTS } from '../lib/defaults';
import type { FieldIssue, ImsgLocation } from '../../contract/setup';
import { useAppState } from '../app/context';
import { issuesFor, problemText, type FormOutcome } from '../gateway/errors';
import { accountOwn, imessageSection } from '../lib/config-edit';
import type { AccountChanges, AccountFields } from '../store/accounts-slice';
import { Banner } from './Banner';
import { Field, FieldProblems } from './Field';
import { LocationFields, type LocationValue } from './LocationFields';
import { PolicyFields, type PolicyValue } from './PolicyFields';

export interface AccountDraft {
  accountId: string;
  name: string;
  enabled: boolean;
  location: LocationValue;
  /** The account sets its own rules (else it uses the ones in Settings). */
  ownPolicy: boolean;
  policy: PolicyValue;
}

/** The form's starting point: the account as the config has it (a new one: the defaults). */
export function accountDraft(config: ClawdbotConfig | undefined, accountId: string | null, location?: ImsgLocation): AccountDraft {
  const top = imessageSection(config);
  const own = accountId ? accountOwn(config, accountId) : undefined;
  const source = own ?? (accountId === 'default' && !top.accounts ? top : undefined);
  const ownPolicy = own !== undefined && (own.dmPolicy !== undefined || own.allowFrom !== undefined || own.groupPolicy !== undefined || own.groupAllowFrom !== undefined);
  const remoteHost = source?.remoteHost ?? '';
  return {
    accountId: accountId ?? '',
    name: source?.name ?? '',
    enabled: source?.enabled ?? true,
    location: {
      location: location ?? (remoteHost ? 'remote-mac' : 'this-mac'),
      cliPath: source?.cliPath ?? '',
      dbPath: source?.dbPath ?? '',
      sshTarget: '',
      remoteCliPath: '',
      remoteHost,
    },
    ownPolicy,
    policy: {
      dmPolicy: own?.dmPolicy ?? top.dmPolicy ?? IMESSAGE_DEFAULTS.dmPolicy,
      allowFrom: [...(own?.allowFrom ?? top.allowFrom ?? [])],
      groupPolicy: own?.groupPolicy ?? top.groupPolicy ?? IMESSAGE_DEFAULTS.groupPolicy,
      groupAllowFrom: [...(own?.groupAllowFrom ?? top.groupAllowFrom ?? [])],
    },
  };
}

/** The account's keys as `accounts.add` takes them. */
export function accountFields(draft: AccountDraft): AccountFields {
  const fields: AccountFields = {};
  const name = draft.name.trim();
  if (name) fields.name = name;
  if (!draft.enabled) fields.enabled = false;
  const where = draft.location;
  if (where.location === 'this-mac') {
    if (where.cliPath.trim()) fields.cliPath = where.cliPath.trim();
    if (where.dbPath.trim()) fields.dbPath = where.dbPath.trim();
  } else {
    if (where.sshTarget.trim()) fields.ssh = { target: where.sshTarget.trim(), ...(where.remoteCliPath.trim() ? { remoteCliPath: where.remoteCliPath.trim() } : {}) };
    if (where.location === 'remote-mac' && where.remoteHost.trim()) fields.remoteHost = where.remoteHost.trim();
  }
  if (draft.ownPolicy) {
    fields.dmPolicy = draft.policy.dmPolicy;
    fields.allowFrom = draft.policy.allowFrom;
    fields.groupPolicy = draft.policy.groupPolicy;
    fields.groupAllowFrom = draft.policy.groupAllowFrom;
  }
  return fields;
}

/** What `accounts.update` needs: the keys that changed; a key no longer set becomes null (removed). */
export function accountChanges(before: AccountDraft, after: AccountDraft): AccountChanges {
  const old = accountFields(before) as Record<string, unknown>;
  const next = accountFields(after) as Record<string, unknown>;
  const changes: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(old), ...Object.keys(next)])) {
    if (key === 'ssh' && next.ssh === undefined) continue; // no new target typed: the wrapper stays
    if (JSON.stringify(old[key]) !== JSON.stringify(next[key])) changes[key] = next[key] ?? null;
  }
  // Leaving SSH for this Mac: the wrapper's path must not stay as cliPath.
  if (before.location.location !== 'this-mac' && after.location.location === 'this-mac' && changes.cliPath === undefined) changes.cliPath = null;
  if (after.location.location !== 'remote-mac' && old.remoteHost !== undefined) changes.remoteHost = null;
  return changes as AccountChanges;
}

const ACCOUNT_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export function AccountForm({
  mode,
  initial,
  onDone,
  onCancel,
}: {
  mode: 'add' | 'edit';
  initial: AccountDraft;
  onDone(accountId: string): void;
  onCancel?(): void;
}) {
  const state = useAppState();
  const [draft, setDraft] = useState(initial);
  const [saving, setSaving] = useState(false);
  const [outcome, setOutcome] = useState<Extract<FormOutcome, { ok: false }> | null>(null);
  const [idProblem, setIdProblem] = useState<string | null>(null);
  const issues: FieldIssue[] = outcome?.issues ?? [];
  const known = ['accountId', 'name', 'enabled', 'cliPath', 'dbPath', 'remoteHost', 'target', 'remoteCliPath', 'ssh', 'dmPolicy', 'allowFrom', 'groupPolicy', 'groupAllowFrom'];
  const unplaced = issues.filter((issue) => issuesFor([issue], ...known).length === 0);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const accountId = draft.accountId.trim().toLowerCase();
    if (mode === 'add' && !ACCOUNT_ID.test(accountId)) {
      setIdProblem('Use a short id of lower-case letters, digits, “-” or “_”, e.g. work.');
      return;
    }
    setIdProblem(null);
    setSaving(true);
    const result = mode === 'add' ? await state().addAccount(accountId, accountFields(draft)) : await state().updateAccount(accountId, accountChanges(initial, draft));
    setSaving(false);
    if (result.ok) onDone(accountId);
    else setOutcome(result);
  };

  return (
    <form className="form account-form" onSubmit={(event) => void submit(event)} noValidate aria-label={mode === 'add' ? 'New account' : `Edit account ${initial.name || initial.accountId}`}>
      {outcome?.unavailable ? (
        <Banner tone="warning" title="Not available in this gateway">
          <p>This gateway cannot change accounts yet ({outcome.problem?.message ?? 'accounts.* is unavailable'}). Edit {state().config?.path ?? 'the config file'} instead, or update Clawdbot.</p>
        </Banner>
      ) : outcome?.problem ? (
        <Banner tone="error" title="Not saved">
          <p className="preserve-lines">{problemText(outcome.problem)}</p>
        </Banner>
      ) : unplaced.length > 0 ? (
        <Banner tone="error" title="Not saved">
          <FieldProblems issues={unplaced.map((issue) => ({ message: `${issue.path}: ${issue.message}`, ...(issue.fix ? { fix: issue.fix } : {}) }))} />
        </Banner>
      ) : null}
      <div className="form-grid">
        {mode === 'add' ? (
          <Field label="Account id" hint="A short name for the config, e.g. work. It cannot be changed later." issues={[...(idProblem ? [{ message: idProblem }] : []), ...issuesFor(issues, 'accountId')]}>
            {(control) => <input {...control} type="text" value={draft.accountId} placeholder="work" spellCheck={false} autoComplete="off" onChange={(e) => setDraft({ ...draft, accountId: e.target.value })} />}
          </Field>
        ) : null}
        <Field label="Name (optional)" hint="Shown in the menu bar and on the Health screen." issues={issuesFor(issues, 'name')}>
          {(control) => <input {...control} type="text" value={draft.name} placeholder="Work" onChange={(e) => setDraft({ ...draft, name: e.target.value })} />}
        </Field>
      </div>
      <LocationFields accountId={draft.accountId.trim().toLowerCase() || 'new'} value={draft.location} onChange={(location) => setDraft({ ...draft, location })} issues={issues} />
      <label className="checkbox">
        <input type="checkbox" checked={draft.ownPolicy} onChange={(e) => setDraft({ ...draft, ownPolicy: e.target.checked })} />
        <span>Its own rules for who may talk to the assistant (otherwise the ones in Settings)</span>
      </label>
      {draft.ownPolicy ? <PolicyFields value={draft.policy} onChange={(policy) => setDraft({ ...draft, policy })} issues={issues} /> : null}
      {mode === 'edit' ? (
        <label className="checkbox">
          <input type="checkbox" checked={draft.enabled} onChange={(e) => setDraft({ ...draft, enabled: e.target.checked })} />
          <span>Enabled (a disabled account is kept in the config but not started)</span>
        </label>
      ) : null}
      <div className="button-row form-actions">
        {onCancel ? (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        ) : null}
        <button type="submit" className="primary" disabled={saving}>
          {saving ? 'Saving…' : mode === 'add' ? 'Add account' : 'Save'}
        </button>
      </div>
    </form>
  );
}
