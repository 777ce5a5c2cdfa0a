// One section of Settings as a form: its fields, Save (only with changes) and Revert, and what the
// gateway answered — problems next to their fields, anything else above them. Nothing is written
// when the gateway refuses.
import { useId, useState, type FormEvent, type ReactNode } from 'react';
import type { FieldIssue } from '../../../contract/setup';
import { Banner, Notice } from '../../components/Banner';
import { FieldProblems } from '../../components/Field';
import { problemText, type FormOutcome } from '../../gateway/errors';

export type Failure = Extract<FormOutcome, { ok: false }>;

export function SettingsForm({
  title,
  intro,
  dirty,
  save,
  revert,
  placedKeys,
  children,
}: {
  title: string;
  intro?: ReactNode;
  dirty: boolean;
  /** Writes the changes; resolves with the gateway's answer. */
  save(): Promise<FormOutcome>;
  revert(): void;
  /** Keys the fields show problems for; problems with other keys are listed above the fields. */
  placedKeys: readonly string[];
  children: (issues: FieldIssue[]) => ReactNode;
}) {
  const id = useId();
  const [saving, setSaving] = useState(false);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [saved, setSaved] = useState(false);
  const issues = failure?.issues ?? [];
  const unplaced = issues.filter((issue) => !placedKeys.some((key) => issue.path === key || issue.path.endsWith(`.${key}`) || issue.path.includes(`.${key}.`) || issue.path.includes(`.${key}[`)));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSaving(true);
    setSaved(false);
    const outcome = await save();
    setSaving(false);
    if (outcome.ok) {
      setFailure(null);
      setSaved(true);
    } else setFailure(outcome);
  };

  return (
    <section className="group card settings-section" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{title}</h2>
      {intro ? <p className="muted small-text">{intro}</p> : null}
      <form className="form" onSubmit={(event) => void submit(event)} noValidate aria-labelledby={`${id}-title`}>
        {failure && (failure.problem || unplaced.length > 0) ? (
          <Banner tone={failure.unavailable ? 'warning' : 'error'} title={failure.unavailable ? 'Not available in this gateway' : 'Not saved: the config was left as it was'}>
            {failure.problem ? <p className="preserve-lines">{problemText(failure.problem)}</p> : null}
            {unplaced.length > 0 ? <FieldProblems issues={unplaced.map((issue) => ({ message: `${issue.path}: ${issue.message}`, ...(issue.fix ? { fix: issue.fix } : {}) }))} /> : null}
          </Banner>
        ) : null}
        {children(issues)}
        <div className="button-row form-actions">
          <Notice notice={saved && !dirty ? { kind: 'ok', text: 'Saved.' } : failure && !failure.problem && unplaced.length === 0 ? { kind: 'error', text: 'Not saved: see the problems above.' } : null} className="form-notice" />
          <button
            type="button"
            disabled={!dirty || saving}
            onClick={() => {
              revert();
              setFailure(null);
            }}
          >
            Revert
          </button>
          <button type="submit" className="primary" disabled={!dirty || saving}>
            {saving ? 'Saving…' : 'Save'}
          </button>
        </div>
      </form>
    </section>
  );
}
