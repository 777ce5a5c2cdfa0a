// The app's switch between a simulated Messages account (our imsg simulator: pairing and replies
// can be tried before granting anything) and the person's own Messages. Main decides whether it
// is available (not in the packaged app, not while `--demo` forces it) and restarts the hosted
// gateway in the other mode; the window then reconnects as after any restart. In a browser (the
// web UI) there is no bridge, so nothing shows.
import { useState } from 'react';
import { useApp, useAppState } from '../app/context';

/**
 * `offerToTry`: also offer to switch the simulated account on (the onboarding's Welcome step);
 * elsewhere (Settings, a gateway that could not start) only the way back is offered.
 */
export function SimulatedAccountSwitch({ offerToTry = true }: { offerToTry?: boolean }) {
  const state = useAppState();
  const simulated = useApp((s) => s.simulated);
  const switching = useApp((s) => s.simulatedSwitching);
  // Kept here, not in the store: the refusal answers this button, and stays after main says it is not available.
  const [refusal, setRefusal] = useState<string | null>(null);
  const offered = simulated?.available === true && (simulated.active || offerToTry);
  if (!offered && !refusal) return null;
  const target = !simulated?.active;

  const click = async () => {
    setRefusal(null);
    setRefusal(await state().switchSimulatedAccount(target));
  };

  return (
    <div className="simulated-switch">
      {offered ? (
        <>
          <p className="muted small-text">
            {target
              ? 'Not ready to grant anything yet? Clawdbot can restart with a simulated Messages account: people “text” it from the Demo screen, and nothing reaches a real phone.'
              : 'Clawdbot uses a simulated Messages account. Switching restarts it with your own Messages.'}
          </p>
          <div className="button-row">
            <button type="button" disabled={switching !== null} aria-busy={switching !== null} onClick={() => void click()}>
              {target ? 'Try it with a simulated Messages account' : 'Use my real Messages account'}
            </button>
            <span role="status" aria-live="polite" className="muted small-text">
              {switching === null ? '' : switching ? 'Switching to the simulated account…' : 'Switching to your Messages account…'}
            </span>
          </div>
        </>
      ) : null}
      {refusal ? (
        <p role="alert" className="notice notice-error">
          {refusal}
        </p>
      ) : null}
    </div>
  );
}
