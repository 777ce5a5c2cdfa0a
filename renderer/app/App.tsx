// The window: a header with the connection's state, the screens (a sidebar on a wide window, tabs
// on a narrow one), the banners that concern every screen (the gateway not running, the
// connection, an invalid config), and the current screen.
import { useEffect, useState, type FormEvent } from 'react';
import type { GatewayPhase } from '../../contract/bridge';
import { Banner } from '../components/Banner';
import { SimulatedAccountSwitch } from '../components/SimulatedAccountSwitch';
import { SecondsLeft } from '../components/time';
import { AccountsScreen } from '../screens/accounts/AccountsScreen';
import { DemoScreen } from '../screens/demo/DemoScreen';
import { HealthScreen } from '../screens/health/HealthScreen';
import { OnboardingScreen } from '../screens/onboarding/OnboardingScreen';
import { PairingScreen } from '../screens/pairing/PairingScreen';
import { SettingsScreen } from '../screens/settings/SettingsScreen';
import type { ConnectionState } from '../gateway/link';
import type { Route, ScreenId } from '../store/navigation-slice';
import { isOnboardingStep } from '../store/onboarding-slice';
import { fetchTokenAt } from './browser-endpoint';
import { useApp, useAppState } from './context';

/** `signInProblem`: why a one-time sign-in link in the address did not sign this page in. */
export function App({ signInProblem = null }: { signInProblem?: string | null } = {}) {
  const route = useApp((s) => s.route);
  const connection = useApp((s) => s.connection);
  const hasStatus = useApp((s) => s.status !== null);
  const onboarding = route?.screen === 'onboarding';
  const signedOut = connection === 'no-token' || connection === 'unauthorized';
  return (
    <div className={`app${onboarding ? ' app-onboarding' : ''}`}>
      <Header />
      {!onboarding && !signedOut ? <Navigation route={route} /> : null}
      <main className={`content${connection === 'connected' ? '' : ' stale'}`} aria-busy={!hasStatus && !signedOut}>
        <PhaseBanner />
        <ConnectionBanner signInProblem={signInProblem} />
        {signedOut ? null : (
          <>
            <ConfigErrorBanner />
            {hasStatus && route ? <CurrentScreen route={route} /> : <Loading />}
          </>
        )}
      </main>
    </div>
  );
}

function CurrentScreen({ route }: { route: Route }) {
  const savedStep = useApp((s) => s.onboarding?.step);
  switch (route.screen) {
    case 'onboarding':
      // Opened without a step (the menu, a link): where the person left it.
      return <OnboardingScreen step={route.step ?? (isOnboardingStep(savedStep) && savedStep !== 'done' ? savedStep : 'welcome')} />;
    case 'pairing':
      return <PairingScreen />;
    case 'health':
      return <HealthScreen />;
    case 'accounts':
      return <AccountsScreen />;
    case 'settings':
      return <SettingsScreen />;
    case 'demo':
      return <DemoScreen />;
  }
}

function Loading() {
  const connection = useApp((s) => s.connection);
  return (
    <div className="screen" aria-label="Loading">
      <div className="placeholder card loading-card">{connection === 'no-gateway' ? 'The gateway is not running.' : 'Connecting to the gateway…'}</div>
    </div>
  );
}

// ---- Header ----

const CONNECTION_LABELS: Record<ConnectionState, string> = {
  'no-token': 'Not connected',
  'no-gateway': 'Gateway not running',
  connecting: 'Connecting…',
  connected: 'Connected',
  unauthorized: 'Wrong token',
  disconnected: 'Not connected',
};

function Header() {
  const connection = useApp((s) => s.connection);
  const configError = useApp((s) => s.status?.configError ?? null);
  const demo = useApp((s) => s.status?.demo ?? false);
  // Connected with a broken config file is not "all good": the header says so.
  const broken = connection === 'connected' && configError !== null;
  const label = broken ? 'Config error' : CONNECTION_LABELS[connection];
  const tone = broken ? 'warning' : connection === 'connected' ? 'ok' : connection === 'connecting' ? 'progress' : 'error';
  return (
    <header className="topbar">
      <div className="topbar-title">
        <span className="app-name">Clawdbot</span>
        {demo ? <span className="tag tag-demo">Simulated</span> : null}
      </div>
      <span className={`pill pill-${tone}`} role="status" aria-label={`Gateway connection: ${broken ? 'Connected, but the config file has an error' : label}`}>
        <span className="status-dot" aria-hidden="true" />
        {label}
      </span>
    </header>
  );
}

const NAV: { screen: ScreenId; label: string }[] = [
  { screen: 'pairing', label: 'Pairing' },
  { screen: 'health', label: 'Health' },
  { screen: 'accounts', label: 'Accounts' },
  { screen: 'settings', label: 'Settings' },
];

function Navigation({ route }: { route: Route | null }) {
  const pending = useApp((s) => s.requests.length);
  const demo = useApp((s) => s.status?.demo ?? false);
  const attention = useApp((s) => s.status?.accounts.some((a) => a.enabled && a.configured && (a.state === 'failed-fatal' || a.state === 'backing-off')) ?? false);
  const items = demo ? [{ screen: 'demo' as const, label: 'Demo' }, ...NAV] : NAV;
  return (
    <nav className="sidebar" aria-label="Screens">
      <ul>
        {items.map((item) => (
          <li key={item.screen}>
            <a href={`#screen=${item.screen}`} aria-current={route?.screen === item.screen ? 'page' : undefined} className="nav-item">
              <span>{item.label}</span>
              {item.screen === 'pairing' && pending > 0 ? (
                <span className="nav-count" aria-label={`${pending} pending`}>
                  {pending}
                </span>
              ) : null}
              {item.screen === 'health' && attention ? (
                <span className="nav-alert" aria-label="needs attention">
                  !
                </span>
              ) : null}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

// ---- Banners ----

function PhaseBanner() {
  const phase = useApp((s) => s.phase);
  const state = useAppState();
  if (!phase) return null;
  return <PhaseView phase={phase} recover={(r) => void state().recoverGateway(r)} />;
}

function PhaseView({ phase, recover }: { phase: GatewayPhase; recover(recovery: Parameters<ReturnType<ReturnType<typeof useAppState>>['recoverGateway']>[0]): void }) {
  switch (phase.kind) {
    case 'running':
    case 'stopping':
      return null;
    case 'starting':
      return <Banner tone="info" title="Starting the gateway…" />;
    case 'paused':
      return (
        <Banner tone="info" title="Clawdbot is paused">
          <p>No messages are read or answered. Resume it from the Clawdbot icon in the menu bar.</p>
        </Banner>
      );
    case 'crashed':
      return (
        <Banner tone="warning" title="The gateway stopped unexpectedly">
          <p className="preserve-lines">{phase.error}</p>
          <p>
            Restarting in <SecondsLeft epochMs={phase.retryAt} />.
          </p>
        </Banner>
      );
    case 'failed': {
      const conflict = phase.conflict;
      return (
        <Banner
          tone="error"
          title="The gateway could not start"
          actions={
            <>
              <button type="button" onClick={() => recover({ type: 'retry' })}>
                Try again
              </button>
              {conflict?.kind === 'clawdbot' && conflict.usable ? (
                <button type="button" onClick={() => recover({ type: 'use-running-gateway' })}>
                  Use the running Clawdbot gateway
                </button>
              ) : null}
              {conflict?.freePort ? (
                <button type="button" onClick={() => recover({ type: 'use-port', port: conflict.freePort! })}>
                  Start on port {conflict.freePort}
                </button>
              ) : null}
            </>
          }
        >
          <p className="preserve-lines">{phase.message}</p>
          {phase.fix ? <p>{phase.fix}</p> : null}
          {/* A simulated account that cannot start must not be a dead end: the way back is here too. */}
          <SimulatedAccountSwitch offerToTry={false} />
        </Banner>
      );
    }
  }
}

/** Where the token is, in the gateway's words, while a page served by it has none (null: not known). */
function useTokenAt(needed: boolean): string | null {
  const [tokenAt, setTokenAt] = useState<string | null>(null);
  useEffect(() => {
    if (!needed || !/^https?:$/.test(window.location.protocol)) return;
    let current = true;
    void fetchTokenAt().then((answer) => current && setTokenAt(answer));
    return () => {
      current = false;
    };
  }, [needed]);
  return tokenAt;
}

function ConnectionBanner({ signInProblem }: { signInProblem: string | null }) {
  const connection = useApp((s) => s.connection);
  const problem = useApp((s) => s.problem);
  const retryAt = useApp((s) => s.retryAt);
  const needsToken = connection === 'no-token' || connection === 'unauthorized';
  const tokenAt = useTokenAt(needsToken);
  if (needsToken) {
    return (
      <section className="card token-card" aria-labelledby="auth-title">
        <h1 id="auth-title">{connection === 'unauthorized' ? 'Wrong gateway token' : 'No gateway token'}</h1>
        {signInProblem && connection === 'no-token' ? <p role="alert">{signInProblem}</p> : null}
        <p>
          {connection === 'unauthorized'
            ? 'The gateway refused this token. It may have been regenerated, or the link is from another machine.'
            : 'This page needs the gateway token to show anything.'}{' '}
          Open the sign-in link the gateway printed (it ends in <code>#signin=…</code> and works once), or paste the token from{' '}
          <code className="path">{tokenAt ?? 'the gateway.token file in the state dir (~/.clawdbot)'}</code>:
        </p>
        <TokenForm />
      </section>
    );
  }
  if (connection === 'disconnected' || (connection === 'connecting' && problem)) {
    return (
      <Banner tone="error" title="Not connected to the gateway">
        {problem ? <p>{problem.message}</p> : null}
        {problem?.fix ? <p>{problem.fix}</p> : null}
        <p className="muted">
          {retryAt ? (
            <>
              Retrying in <SecondsLeft epochMs={retryAt} />…
            </>
          ) : (
            'Retrying…'
          )}
        </p>
      </Banner>
    );
  }
  return null;
}

function TokenForm() {
  const state = useAppState();
  const [value, setValue] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (value.trim()) state().setToken(value);
  };
  return (
    <form className="token-form" onSubmit={submit}>
      <label htmlFor="token-input">Gateway token</label>
      <input id="token-input" type="password" autoComplete="off" spellCheck={false} value={value} onChange={(event) => setValue(event.target.value)} />
      <button type="submit" className="primary" disabled={!value.trim()}>
        Connect
      </button>
    </form>
  );
}

/** An invalid config file on disk: a clear banner on every screen, never "Connected, all good". */
function ConfigErrorBanner() {
  const error = useApp((s) => s.status?.configError ?? null);
  const path = useApp((s) => s.status?.configPath ?? s.config?.path ?? null);
  if (!error) return null;
  return (
    <Banner tone="error" title="The config file has an error" className="config-error">
      <p>
        The gateway keeps running with the last valid config until <code className="path">{path}</code> is fixed. Changes made
        here are checked the same way and never written when invalid.
      </p>
      <pre className="error-text" data-testid="config-error-text">
        {error}
      </pre>
    </Banner>
  );
}
