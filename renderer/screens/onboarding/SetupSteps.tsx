// The onboarding steps that set things up: welcome, where imsg runs, who may talk to the
// assistant, the model, and the summary at the end.
import { useState, type FormEvent } from 'react';
import type { ConfigPatch } from '../../../contract/config';
import { describeModelStatus, type ModelState } from '../../../contract/model-status';
import { useApp, useAppState } from '../../app/context';
import { accountDraft, accountChanges } from '../../components/AccountForm';
import { Banner } from '../../components/Banner';
import { CHECK_STATE_WORDS, CHECK_TITLES } from '../../components/CheckRow';
import { LocationFields } from '../../components/LocationFields';
import { PolicyFields, type PolicyValue } from '../../components/PolicyFields';
import { SimulatedAccountSwitch } from '../../components/SimulatedAccountSwitch';
import { StatusBadge } from '../../components/StatusBadge';
import { problemText, type FormOutcome } from '../../gateway/errors';
import { configuredModel, imessageSection, sameList } from '../../lib/config-edit';
import { IMESSAGE_DEFAULTS_SHOWN } from '../../lib/defaults';
import { accountTone, STATE_LABELS } from '../health/HealthScreen';
import { ModelFields, ModelTest, modelPatch, splitModel } from '../settings/SettingsScreen';
import { saveSetupAccount } from './CheckSteps';
import { Step, StepFooter, type StepProps } from './OnboardingScreen';

type Failure = Extract<FormOutcome, { ok: false }>;

function FailureBanner({ failure }: { failure: Failure | null }) {
  if (!failure || (!failure.problem && failure.issues.length > 0)) return null;
  if (!failure.problem) return null;
  return failure.unavailable ? (
    <Banner tone="warning" title="Not available in this gateway">
      <p>{failure.problem.message}. You can go on and change this later in Settings or the config file.</p>
    </Banner>
  ) : (
    <Banner tone="error" title="Not saved">
      <p className="preserve-lines">{problemText(failure.problem)}</p>
    </Banner>
  );
}

export function WelcomeStep({ next }: StepProps) {
  const state = useAppState();
  const native = useApp((s) => s.native);
  const simulated = useApp((s) => Boolean(s.status?.demo || s.status?.accounts.some((a) => a.simulated)));
  return (
    <Step
      title="Welcome to Clawdbot"
      intro={<p className="lead">Chat with your AI assistant over iMessage — 1:1 and in group chats — from people you approve.</p>}
      next={next}
      nextLabel="Set up"
      extra={
        simulated ? (
          <button type="button" onClick={() => state().navigate('demo')}>
            Try it first with a simulated account
          </button>
        ) : null
      }
    >
      <h2 className="subhead">What it reads and sends</h2>
      <ul className="bullets">
        <li>It reads new messages from Messages on {native ? 'this Mac' : 'the Mac it runs on'}, to see who wrote and what.</li>
        <li>It sends the assistant’s replies through Messages, from that Mac’s Apple Account.</li>
        <li>Messages it answers go to the AI model you choose; nothing else leaves the Mac.</li>
        <li>Only people you allow get answers: someone new gets a pairing code, and you decide.</li>
      </ul>
      <p className="note">Replies stop while {native ? 'Clawdbot is not running' : 'the gateway is not running'} or the Mac is asleep.</p>
      {simulated ? <p className="muted small-text">This gateway has a simulated Messages account: you can try pairing and replies before granting anything.</p> : null}
      <SimulatedAccountSwitch />
    </Step>
  );
}

export function LocationStep({ accountId, next, back }: StepProps) {
  const state = useAppState();
  const config = useApp((s) => s.config?.config);
  const location = useApp((s) => s.setup?.accounts.find((a) => a.accountId === accountId)?.location);
  const [initial] = useState(() => accountDraft(config, accountId, location));
  const [value, setValue] = useState(initial.location);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [saving, setSaving] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const changes = accountChanges(initial, { ...initial, location: value });
    if (Object.keys(changes).length === 0) return next();
    setSaving(true);
    const outcome = await saveSetupAccount(state(), accountId, changes);
    setSaving(false);
    if (outcome.ok) next();
    else setFailure(outcome);
  };

  return (
    <section className="step" aria-labelledby="step-title">
      <h1 id="step-title" tabIndex={-1}>Where imsg runs</h1>
      <div className="step-intro">
        <p>Usually on this Mac. A dedicated Mac user or another Mac keeps the assistant on its own Apple Account.</p>
      </div>
      <form className="form step-body" onSubmit={(event) => void submit(event)} noValidate aria-labelledby="step-title">
        <FailureBanner failure={failure} />
        <LocationFields accountId={accountId} value={value} onChange={setValue} issues={failure?.issues ?? []} />
        <StepFooter back={back} submit nextLabel={saving ? 'Saving…' : 'Continue'} nextDisabled={saving} />
      </form>
    </section>
  );
}

export function AccessStep({ next, back }: StepProps) {
  const state = useAppState();
  const config = useApp((s) => s.config?.config);
  const top = imessageSection(config);
  const [initial] = useState<PolicyValue>(() => ({
    dmPolicy: top.dmPolicy ?? IMESSAGE_DEFAULTS_SHOWN.dmPolicy,
    allowFrom: top.allowFrom ?? [],
    groupPolicy: top.groupPolicy ?? IMESSAGE_DEFAULTS_SHOWN.groupPolicy,
    groupAllowFrom: top.groupAllowFrom ?? [],
  }));
  const [value, setValue] = useState(initial);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [saving, setSaving] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const imessage: Record<string, unknown> = {};
    if (value.dmPolicy !== initial.dmPolicy || top.dmPolicy === undefined) imessage.dmPolicy = value.dmPolicy;
    if (value.groupPolicy !== initial.groupPolicy) imessage.groupPolicy = value.groupPolicy;
    if (!sameList(value.allowFrom, initial.allowFrom)) imessage.allowFrom = value.allowFrom;
    if (!sameList(value.groupAllowFrom, initial.groupAllowFrom)) imessage.groupAllowFrom = value.groupAllowFrom;
    setSaving(true);
    const outcome = await state().patchConfig({ channels: { imessage } } as ConfigPatch);
    setSaving(false);
    if (outcome.ok) next();
    else setFailure(outcome);
  };

  return (
    <section className="step" aria-labelledby="step-title">
      <h1 id="step-title" tabIndex={-1}>Who may talk to the assistant</h1>
      <div className="step-intro">
        <p>Pairing is the safe start: nobody gets an answer until you approve them. You can change this any time in Settings.</p>
      </div>
      <form className="form step-body" onSubmit={(event) => void submit(event)} noValidate aria-labelledby="step-title">
        <FailureBanner failure={failure} />
        <PolicyFields value={value} onChange={setValue} issues={failure?.issues ?? []} />
        <StepFooter back={back} submit nextLabel={saving ? 'Saving…' : 'Save and continue'} nextDisabled={saving} />
      </form>
    </section>
  );
}

export function ModelStep({ next, back }: StepProps) {
  const state = useAppState();
  const config = useApp((s) => s.config?.config);
  const demo = useApp((s) => s.status?.demo ?? false);
  const current = configuredModel(config);
  const [draft, setDraft] = useState({ ...splitModel(current), apiKey: '' });
  const [failure, setFailure] = useState<Failure | null>(null);
  const [saving, setSaving] = useState(false);
  const changed = draft.model.trim() !== '' && (`${draft.provider}/${draft.model.trim()}` !== current || draft.apiKey.trim() !== '');

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!changed) return next();
    setSaving(true);
    const outcome = await state().patchConfig(modelPatch(draft));
    setSaving(false);
    if (outcome.ok) {
      setDraft({ ...draft, apiKey: '' });
      setFailure(null);
    } else setFailure(outcome);
  };

  return (
    <section className="step" aria-labelledby="step-title">
      <h1 id="step-title" tabIndex={-1}>Model (optional)</h1>
      <div className="step-intro">
        <p>
          The AI model that writes the replies. {current ? `Now: ${current}.` : 'Without one, messages are received but not answered'}
          {!current && demo ? ' (in demo mode the demo assistant echoes them instead).' : current ? '' : '.'}
        </p>
      </div>
      <form className="form step-body" onSubmit={(event) => void submit(event)} noValidate aria-labelledby="step-title">
        <FailureBanner failure={failure} />
        <ModelFields draft={draft} setDraft={setDraft} issues={failure?.issues ?? []} />
        <div className="button-row">
          <button type="submit" disabled={!changed || saving}>
            {saving ? 'Saving…' : 'Save model'}
          </button>
        </div>
        <ModelTest />
        <StepFooter
          back={back}
          next={next}
          nextLabel={current ? 'Continue' : 'Skip for now'}
        />
      </form>
    </section>
  );
}

/** The model's state in one badge word; the sentence beside it is the one the CLI prints. */
const MODEL_STATE_WORDS: Record<ModelState, string> = { ready: 'Ready', demo: 'Demo assistant', none: 'Replies off', error: 'Not working' };

export function DoneStep({ back }: StepProps) {
  const state = useAppState();
  const native = useApp((s) => s.native);
  const loginItem = useApp((s) => s.loginItem);
  const accounts = useApp((s) => s.status?.accounts ?? []);
  const setup = useApp((s) => s.setup);
  const status = useApp((s) => s.status);
  const model = status ? describeModelStatus(status) : null;
  const pending = useApp((s) => s.requests.length);

  const finish = async () => {
    await state().finishOnboarding();
    state().navigate(pending > 0 ? 'pairing' : 'health');
  };

  return (
    <Step title="All set" back={back} next={() => void finish()} nextLabel="Finish">
      <h2 className="subhead">Summary</h2>
      <ul className="summary" aria-label="Summary">
        {accounts.map((account) => {
          const checks = setup?.accounts.find((a) => a.accountId === account.accountId)?.checks ?? [];
          return (
            <li key={account.accountId} className="summary-row">
              <span>
                Account <strong>{account.name ?? account.accountId}</strong>
              </span>
              <StatusBadge tone={accountTone(account)}>{STATE_LABELS[account.state]}</StatusBadge>
              {checks.length > 0 ? (
                <span className="muted small-text summary-checks">
                  {checks.map((check) => `${CHECK_TITLES[check.id]}: ${CHECK_STATE_WORDS[check.state]}`).join(' · ')}
                </span>
              ) : null}
            </li>
          );
        })}
        <li className="summary-row">
          <span>Model</span>
          <StatusBadge tone={model?.state === 'ready' ? 'ok' : model?.state === 'error' ? 'error' : 'neutral'}>{model ? MODEL_STATE_WORDS[model.state] : 'Not known yet'}</StatusBadge>
          {model ? <span className="muted small-text summary-checks">{model.summary}</span> : null}
        </li>
      </ul>
      <h2 className="subhead">How pairing works</h2>
      <p>
        When someone new texts this Mac, they get a pairing code instead of an answer. Their request appears in the menu bar,
        as a notification and on the Pairing screen: approve it and they can chat.
      </p>
      {native ? (
        <label className="checkbox">
          <input type="checkbox" checked={loginItem ?? false} disabled={loginItem === null} onChange={(e) => void state().setLoginItem(e.target.checked)} />
          <span>Open Clawdbot at login, so replies keep working after a restart</span>
        </label>
      ) : null}
    </Step>
  );
}
