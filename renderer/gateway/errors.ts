// What the screens show when the gateway says no: a sentence, the fix, and — for forms — the
// problems by field. The gateway is the authority on what is valid; the browser only words its
// answer for a person (no "params.from", no config key paths where a form has a label).
import { ControlClientError, type ControlClientErrorCode } from '../../contract/control-client';
import type { FieldIssue } from '../../contract/setup';

export interface Problem {
  message: string;
  fix?: string;
}

/** The outcome of a form submission. */
export type FormOutcome =
  | { ok: true }
  /** Refused: a general problem and/or problems per field (nothing was written). */
  | { ok: false; problem: Problem | null; issues: FieldIssue[]; unavailable: boolean };

/** Field labels by key: the last segment of a param or config path (`params.from` → `from`). */
export type FieldLabels = Record<string, string>;

export function errorCode(error: unknown): ControlClientErrorCode | null {
  return error instanceof ControlClientError ? error.code : null;
}

/** True when the gateway does not offer this method (an older gateway, or not in demo mode). */
export function isUnavailable(error: unknown): boolean {
  return errorCode(error) === 'unavailable';
}

/**
 * The per-field problems the gateway attached to a refused write (`ControlError.issues`). The
 * control client passes them on as `issues` when it carries them; until then there are none and
 * the message (which lists every problem, one per line) is shown as a whole.
 */
export function issuesOf(error: unknown): FieldIssue[] {
  const issues = (error as { issues?: unknown } | null)?.issues;
  if (!Array.isArray(issues)) return [];
  return issues.filter(
    (issue): issue is FieldIssue => typeof issue === 'object' && issue !== null && typeof issue.path === 'string' && typeof issue.message === 'string',
  );
}

export function describeError(error: unknown, labels: FieldLabels = {}): Problem {
  if (error instanceof ControlClientError) {
    const message = humanizeParams(error.message, labels);
    return error.fix ? { message, fix: humanizeParams(error.fix, labels) } : { message };
  }
  return { message: error instanceof Error ? error.message : String(error) };
}

export function problemText({ message, fix }: Problem): string {
  return fix ? `${message} ${fix}` : message;
}

/**
 * The server words schema failures as `params.from: the sender must be …; params.text: …`.
 * Those names are ours, not the person's: `params.from` becomes the field's label ("From").
 */
export function humanizeParams(text: string, labels: FieldLabels): string {
  return text.replace(/\bparams((?:\.[A-Za-z0-9_]+)+)/g, (_whole, path: string) => {
    const segments = path.slice(1).split('.');
    for (let i = segments.length - 1; i >= 0; i--) {
      const label = labels[segments[i]!];
      if (label) return label;
    }
    const last = segments.at(-1) ?? '';
    return last.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/^./, (c) => c.toUpperCase());
  });
}

/** Turns a failed call into a FormOutcome (issues by field when the gateway gave them). */
export function formFailure(error: unknown, labels: FieldLabels = {}): FormOutcome {
  const issues = issuesOf(error);
  return {
    ok: false,
    problem: issues.length > 0 && errorCode(error) === 'bad_request' ? null : describeError(error, labels),
    issues,
    unavailable: isUnavailable(error),
  };
}

/** The issues whose path ends in one of `keys` (a form field may be written under several paths). */
export function issuesFor(issues: readonly FieldIssue[], ...keys: string[]): FieldIssue[] {
  return issues.filter((issue) => keys.some((key) => issue.path === key || issue.path.endsWith(`.${key}`) || issue.path.includes(`.${key}.`) || issue.path.includes(`.${key}[`)));
}
