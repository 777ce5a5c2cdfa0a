// A labelled form field with its hint and the gateway's problems with it, next to it (ids wired
// for screen readers: the problem is the field's description and marks it invalid).
import { useId, type ReactNode } from 'react';
import type { FieldIssue } from '../../contract/setup';

export interface FieldControlProps {
  id: string;
  'aria-describedby'?: string;
  'aria-invalid'?: true;
}

export function Field({
  label,
  hint,
  issues = [],
  children,
  className,
}: {
  label: string;
  hint?: ReactNode;
  issues?: readonly Pick<FieldIssue, 'message' | 'fix'>[];
  children: (control: FieldControlProps) => ReactNode;
  className?: string;
}) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = issues.length > 0 ? `${id}-error` : undefined;
  const describedBy = [errorId, hintId].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${issues.length > 0 ? ' field-invalid' : ''}${className ? ` ${className}` : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children({ id, ...(describedBy ? { 'aria-describedby': describedBy } : {}), ...(errorId ? { 'aria-invalid': true as const } : {}) })}
      {errorId ? <FieldProblems id={errorId} issues={issues} /> : null}
      {hint ? (
        <p id={hintId} className="field-hint">
          {hint}
        </p>
      ) : null}
    </div>
  );
}

export function FieldProblems({ id, issues }: { id?: string; issues: readonly Pick<FieldIssue, 'message' | 'fix'>[] }) {
  return (
    <div id={id} className="field-error">
      {issues.map((issue, index) => (
        <p key={index}>
          {issue.message}
          {issue.fix ? (
            <>
              <br />
              <span className="field-fix">Fix: {issue.fix}</span>
            </>
          ) : null}
        </p>
      ))}
    </div>
  );
}
