// Where an account's imsg runs: on this Mac (a path), as a dedicated Mac user, or on another Mac
// (both over SSH through a wrapper script the gateway writes). For SSH: the one-time steps to
// copy, the wrapper, and a step-by-step connection test with the fix of the first failing step.
import { useState } from 'react';
import type { ImsgLocation, SshStepId, SshTestResult, SshWrapperResult } from '../../contract/setup';
import type { FieldIssue } from '../../contract/setup';
import { useAppState } from '../app/context';
import { issuesFor, problemText, type Problem } from '../gateway/errors';
import { CheckRow } from './CheckRow';
import { CommandLine } from './CopyButton';
import { Field, FieldProblems } from './Field';
import { RadioGroup } from './PolicyFields';

export interface LocationValue {
  location: ImsgLocation;
  cliPath: string;
  dbPath: string;
  sshTarget: string;
  remoteCliPath: string;
  remoteHost: string;
}

const LOCATION_CHOICES: { value: ImsgLocation; label: string; detail: string }[] = [
  { value: 'this-mac', label: 'This Mac', detail: 'imsg reads the Messages of the person logged in here.' },
  { value: 'dedicated-user', label: 'A dedicated Mac user', detail: 'A separate macOS user on this Mac, signed in to the assistant’s own Apple Account; reached over SSH.' },
  { value: 'remote-mac', label: 'Another Mac', detail: 'A Mac elsewhere (SSH or Tailscale); attachments are copied from it with scp.' },
];

const SSH_STEP_TITLES: Record<SshStepId, string> = {
  target: 'SSH target',
  connect: 'Reach the Mac',
  'host-key': 'Host key',
  login: 'Log in',
  imsg: 'imsg there',
  rpc: 'imsg rpc',
  'full-disk-access': 'Full Disk Access there',
};

export function LocationFields({ accountId, value, onChange, issues = [] }: { accountId: string; value: LocationValue; onChange(value: LocationValue): void; issues?: readonly FieldIssue[] }) {
  const put = (patch: Partial<LocationValue>) => onChange({ ...value, ...patch });
  return (
    <div className="location-fields">
      <RadioGroup legend="Where imsg runs" name="location" choices={LOCATION_CHOICES} value={value.location} onChange={(location) => put({ location })} />
      {value.location === 'this-mac' ? (
        <>
          <Field label="imsg path" hint="“imsg” when it is on your PATH (Homebrew), or its full path, e.g. /opt/homebrew/bin/imsg." issues={issuesFor(issues, 'cliPath')}>
            {(control) => <input {...control} type="text" value={value.cliPath} placeholder="imsg" spellCheck={false} autoComplete="off" onChange={(e) => put({ cliPath: e.target.value })} />}
          </Field>
          <Field label="Messages database (optional)" hint="Leave empty for ~/Library/Messages/chat.db." issues={issuesFor(issues, 'dbPath')}>
            {(control) => <input {...control} type="text" value={value.dbPath} placeholder="~/Library/Messages/chat.db" spellCheck={false} autoComplete="off" onChange={(e) => put({ dbPath: e.target.value })} />}
          </Field>
        </>
      ) : (
        <SshFields accountId={accountId} value={value} put={put} issues={issues} />
      )}
    </div>
  );
}

function SshFields({ accountId, value, put, issues }: { accountId: string; value: LocationValue; put(patch: Partial<LocationValue>): void; issues: readonly FieldIssue[] }) {
  const state = useAppState();
  const [wrapper, setWrapper] = useState<SshWrapperResult | null>(null);
  const [test, setTest] = useState<SshTestResult | null>(null);
  const [busy, setBusy] = useState<'wrapper' | 'test' | null>(null);
  const [problem, setProblem] = useState<{ problem: Problem | null; issues: FieldIssue[] } | null>(null);
  const dedicated = value.location === 'dedicated-user';
  const target = value.sshTarget.trim();
  const remoteCliPath = value.remoteCliPath.trim();
  const placeholder = dedicated ? 'clawdbot@localhost' : 'clawdbot@mac-mini.tailnet.ts.net';
  const allIssues = [...issues, ...(problem?.issues ?? [])];

  const writeWrapper = async () => {
    setBusy('wrapper');
    setProblem(null);
    const outcome = await state().writeSshWrapper({ accountId, target, ...(remoteCliPath ? { remoteCliPath } : {}), replace: true });
    setBusy(null);
    if (outcome.ok) setWrapper(outcome.result);
    else setProblem({ problem: outcome.problem, issues: outcome.issues });
  };

  const runTest = async () => {
    setBusy('test');
    setProblem(null);
    setTest(null);
    const outcome = await state().testSsh({ target, ...(remoteCliPath ? { remoteCliPath } : {}) });
    setBusy(null);
    if (outcome.ok) {
      setTest(outcome.result);
      if (!dedicated && !value.remoteHost.trim() && outcome.result.remoteHost) put({ remoteHost: outcome.result.remoteHost });
    } else setProblem({ problem: outcome.problem, issues: outcome.issues });
  };

  return (
    <>
      <Field label="SSH target" hint={dedicated ? 'The Mac user that imsg runs as, on this Mac: user@localhost.' : 'user@host: a host name, a Tailscale name or an IP address.'} issues={issuesFor(allIssues, 'target', 'sshTarget')}>
        {(control) => <input {...control} type="text" value={value.sshTarget} placeholder={placeholder} spellCheck={false} autoComplete="off" onChange={(e) => put({ sshTarget: e.target.value })} />}
      </Field>
      <Field label="imsg path there (optional)" hint="Leave empty for “imsg” on that user’s PATH." issues={issuesFor(allIssues, 'remoteCliPath')}>
        {(control) => <input {...control} type="text" value={value.remoteCliPath} placeholder="/opt/homebrew/bin/imsg" spellCheck={false} autoComplete="off" onChange={(e) => put({ remoteCliPath: e.target.value })} />}
      </Field>
      {dedicated ? null : (
        <Field label="Attachments host (optional)" hint="Where attachments are copied from with scp; detected from the SSH target when empty." issues={issuesFor(allIssues, 'remoteHost')}>
          {(control) => <input {...control} type="text" value={value.remoteHost} placeholder="clawdbot@mac-mini" spellCheck={false} autoComplete="off" onChange={(e) => put({ remoteHost: e.target.value })} />}
        </Field>
      )}
      <details className="steps">
        <summary>One-time setup steps</summary>
        <ol>
          <li>
            Create an SSH key on this Mac, if you have none:
            <CommandLine command="ssh-keygen -t ed25519" />
          </li>
          <li>
            Let this Mac log in {dedicated ? 'as that user' : 'to the other Mac'} without a password:
            <CommandLine command={`ssh-copy-id ${target || 'user@host'}`} />
          </li>
          <li>
            Connect once and accept the host key:
            <CommandLine command={`ssh ${target || 'user@host'} true`} />
          </li>
          <li>
            {dedicated ? 'Log in as that user once, ' : 'On the other Mac, '}sign in to Messages, then in System Settings › General › Sharing click the
            Info button next to Remote Login and turn on “Allow full disk access for remote users”.
          </li>
        </ol>
      </details>
      <div className="button-row">
        <button type="button" disabled={!target || busy !== null} onClick={() => void writeWrapper()}>
          {busy === 'wrapper' ? 'Writing…' : 'Write the wrapper'}
        </button>
        <button type="button" disabled={!target || busy !== null} onClick={() => void runTest()}>
          {busy === 'test' ? 'Testing…' : 'Test the connection'}
        </button>
      </div>
      {problem?.problem ? (
        <p className="field-error" role="alert">
          {problemText(problem.problem)}
        </p>
      ) : null}
      {problem && problem.issues.length > 0 && issuesFor(problem.issues, 'target', 'remoteCliPath', 'remoteHost').length === 0 ? <FieldProblems issues={problem.issues} /> : null}
      {wrapper ? (
        <div className="wrapper-result">
          <p>
            {wrapper.written ? 'Wrote' : 'Already there:'} <code>{wrapper.path}</code> (used as the account’s imsg).
          </p>
          <pre className="script" aria-label="The wrapper script">
            {wrapper.script}
          </pre>
        </div>
      ) : null}
      {test ? (
        <div className="ssh-test" aria-label="Connection test">
          <p role="status">{test.ok ? 'The connection works.' : 'The connection test failed.'}</p>
          <ul className="checks">
            {test.steps.map((step) => (
              <CheckRow key={step.id} title={SSH_STEP_TITLES[step.id]} check={step} />
            ))}
          </ul>
        </div>
      ) : null}
    </>
  );
}
