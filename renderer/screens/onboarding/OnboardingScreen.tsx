// The onboarding wizard (first run; resumable; reopened from Settings): what Clawdbot does, imsg,
// Messages, Full Disk Access, Automation, where imsg runs, who may talk to the assistant, the
// model, and a summary. Every step shows what the gateway found and how to fix it, re-checked
// live; none blocks — a person can always go on and come back.
import { useEffect, useRef, type ReactNode } from 'react';
import { useApp, useAppState } from '../../app/context';
import { ONBOARDING_STEPS, type OnboardingStep } from '../../store/onboarding-slice';
import { AutomationStep, FullDiskAccessStep, ImsgStep, MessagesStep } from './CheckSteps';
import { AccessStep, DoneStep, LocationStep, ModelStep, WelcomeStep } from './SetupSteps';

export const STEP_TITLES: Record<OnboardingStep, string> = {
  welcome: 'Welcome',
  imsg: 'imsg',
  messages: 'Messages',
  'full-disk-access': 'Full Disk Access',
  automation: 'Automation',
  location: 'Where imsg runs',
  access: 'Who may talk to the assistant',
  model: 'Model',
  done: 'Done',
};

export interface StepProps {
  /** The account being set up (the first one). */
  accountId: string;
  next(): void;
  back(): void;
}

export function OnboardingScreen({ step }: { step: OnboardingStep }) {
  const state = useAppState();
  const accountId = useApp((s) => s.status?.accounts[0]?.accountId ?? 'default');
  const index = ONBOARDING_STEPS.indexOf(step);

  useEffect(() => {
    state().saveOnboardingStep(step);
  }, [state, step]);

  // Keyboard and screen-reader users land on the new step's title, not on a button that moved.
  const firstStep = useRef(step);
  useEffect(() => {
    if (step !== firstStep.current) document.getElementById('step-title')?.focus();
  }, [step]);

  const go = (offset: number) => {
    const target = ONBOARDING_STEPS[index + offset];
    if (target) state().navigate('onboarding', target);
  };
  const props: StepProps = { accountId, next: () => go(1), back: () => go(-1) };

  return (
    <div className="onboarding">
      <div className="wizard-progress">
        <p className="step-count">
          Step {index + 1} of {ONBOARDING_STEPS.length} ·{' '}
          <button type="button" className="link" onClick={() => state().navigate(state().requests.length > 0 ? 'pairing' : 'health')}>
            Exit setup
          </button>
        </p>
        <ol className="progress-dots" aria-label="Setup steps">
          {ONBOARDING_STEPS.map((name, i) => (
            <li key={name} className={i < index ? 'dot dot-done' : i === index ? 'dot dot-current' : 'dot'} aria-current={i === index ? 'step' : undefined}>
              <span className="visually-hidden">
                {STEP_TITLES[name]}
                {i < index ? ' (done)' : ''}
              </span>
            </li>
          ))}
        </ol>
      </div>
      <StepBody step={step} {...props} />
    </div>
  );
}

function StepBody({ step, ...props }: StepProps & { step: OnboardingStep }) {
  switch (step) {
    case 'welcome':
      return <WelcomeStep {...props} />;
    case 'imsg':
      return <ImsgStep {...props} />;
    case 'messages':
      return <MessagesStep {...props} />;
    case 'full-disk-access':
      return <FullDiskAccessStep {...props} />;
    case 'automation':
      return <AutomationStep {...props} />;
    case 'location':
      return <LocationStep {...props} />;
    case 'access':
      return <AccessStep {...props} />;
    case 'model':
      return <ModelStep {...props} />;
    case 'done':
      return <DoneStep {...props} />;
  }
}

/** A step's frame: its title, its content, and Back / Continue (or the step's own primary button). */
export function Step({
  title,
  intro,
  children,
  back,
  next,
  nextLabel = 'Continue',
  nextDisabled = false,
  extra,
}: {
  title: string;
  intro?: ReactNode;
  children?: ReactNode;
  back?(): void;
  /** Omitted when the step's own form has the primary button. */
  next?(): void;
  nextLabel?: string;
  nextDisabled?: boolean;
  /** Another action beside Continue, e.g. "Skip for now". */
  extra?: ReactNode;
}) {
  return (
    <section className="step" aria-labelledby="step-title">
      <h1 id="step-title" tabIndex={-1}>
        {title}
      </h1>
      {intro ? <div className="step-intro">{intro}</div> : null}
      <div className="step-body">{children}</div>
      <StepFooter back={back} next={next} nextLabel={nextLabel} nextDisabled={nextDisabled} extra={extra} />
    </section>
  );
}

export function StepFooter({ back, next, nextLabel = 'Continue', nextDisabled = false, extra, submit = false }: { back?(): void; next?(): void; nextLabel?: string; nextDisabled?: boolean; extra?: ReactNode; submit?: boolean }) {
  return (
    <div className="wizard-nav">
      {back ? (
        <button type="button" onClick={back}>
          Back
        </button>
      ) : (
        <span />
      )}
      <span className="wizard-nav-end">
        {extra}
        {next || submit ? (
          <button type={submit ? 'submit' : 'button'} className="primary" disabled={nextDisabled} onClick={submit ? undefined : next}>
            {nextLabel}
          </button>
        ) : null}
      </span>
    </div>
  );
}
