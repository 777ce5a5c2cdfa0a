// A list of senders (allowFrom, groupAllowFrom, mention patterns): each entry with Remove, and a
// field to add one, checked as it is typed. Pasting several entries (commas or lines) adds them all.
import { useId, useState, type KeyboardEvent } from 'react';
import type { FieldIssue } from '../../contract/setup';
import { FieldProblems } from './Field';

export function ListEditor({
  label,
  hint,
  values,
  onChange,
  issues = [],
  check,
  placeholder,
  addLabel = 'Add',
}: {
  label: string;
  hint?: string;
  values: readonly string[];
  onChange(values: string[]): void;
  issues?: readonly Pick<FieldIssue, 'message' | 'fix'>[];
  /** What is wrong with an entry, or null. */
  check?(entry: string): string | null;
  placeholder?: string;
  addLabel?: string;
}) {
  const id = useId();
  const [draft, setDraft] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const typed = draft.trim();
  const liveProblem = typed && check ? check(typed) : null;

  const add = () => {
    const entries = draft
      .split(/[,\n]/)
      .map((entry) => entry.trim())
      .filter(Boolean);
    if (entries.length === 0) return;
    const bad = check ? entries.map((entry) => [entry, check(entry)] as const).find(([, p]) => p) : undefined;
    if (bad) {
      setProblem(entries.length > 1 ? `${bad[0]}: ${bad[1]}` : bad[1]);
      return;
    }
    onChange([...values, ...entries.filter((entry, index) => !values.includes(entry) && entries.indexOf(entry) === index)]);
    setDraft('');
    setProblem(null);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      add();
    }
  };

  const shownProblem = problem ?? liveProblem;
  const describedBy = [issues.length > 0 ? `${id}-issues` : '', shownProblem ? `${id}-problem` : '', hint ? `${id}-hint` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <fieldset className={`list-editor${issues.length > 0 ? ' field-invalid' : ''}`}>
      <legend>{label}</legend>
      {values.length > 0 ? (
        <ul className="chips" aria-label={label}>
          {values.map((value) => (
            <li key={value} className="chip">
              <span className="chip-text">{value}</span>
              <button type="button" className="chip-remove" aria-label={`Remove ${value} from ${label}`} onClick={() => onChange(values.filter((v) => v !== value))}>
                ×
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted list-empty">None.</p>
      )}
      <div className="list-add">
        <input
          id={`${id}-input`}
          type="text"
          value={draft}
          placeholder={placeholder}
          autoComplete="off"
          spellCheck={false}
          aria-label={`${addLabel} to ${label}`}
          aria-describedby={describedBy}
          aria-invalid={shownProblem ? true : undefined}
          onChange={(event) => {
            setDraft(event.target.value);
            setProblem(null);
          }}
          onKeyDown={onKeyDown}
        />
        <button type="button" onClick={add} disabled={!typed} aria-label={`${addLabel} to ${label}`}>
          {addLabel}
        </button>
      </div>
      {shownProblem ? (
        <p id={`${id}-problem`} className="field-error">
          {shownProblem}
        </p>
      ) : null}
      {issues.length > 0 ? <FieldProblems id={`${id}-issues`} issues={issues} /> : null}
      {hint ? (
        <p id={`${id}-hint`} className="field-hint">
          {hint}
        </p>
      ) : null}
    </fieldset>
  );
}
