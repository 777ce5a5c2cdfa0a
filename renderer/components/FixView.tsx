// How to fix a setup check: the sentence, the command to copy, and the System Settings pane —
// opened by the app, or named in words in a browser (with "open it on the gateway's Mac" when
// the gateway can do that).
import { useState } from 'react';
import type { SettingsPane } from '../../contract/bridge';
import { SETTINGS_PANES, type SetupFix } from '../../contract/setup';
import { useApp, useAppState } from '../app/context';
import { CommandLine } from './CopyButton';
import { RichText } from './RichText';

function paneOf(fix: SetupFix): SettingsPane | undefined {
  const entry = Object.entries(SETTINGS_PANES).find(([, pane]) => pane.url === fix.settingsUrl || pane.path === fix.settingsPath);
  return entry?.[0] as SettingsPane | undefined;
}

export function FixView({ fix }: { fix: SetupFix }) {
  const native = useApp((s) => s.native);
  const setupReady = useApp((s) => s.setupAvailability === 'ready');
  const state = useAppState();
  const [gatewayAnswer, setGatewayAnswer] = useState<string | null>(null);
  const pane = paneOf(fix);

  const openOnGateway = async () => {
    if (!pane) return;
    const { opened, reason } = await state().openSettingsOnGateway(pane);
    setGatewayAnswer(opened ? 'Opened on the gateway’s Mac.' : `Could not open it: ${reason ?? 'unknown reason'}`);
  };

  return (
    <div className="fix">
      <p>
        <strong>Fix:</strong> <RichText text={fix.text} />
      </p>
      {fix.command ? <CommandLine command={fix.command} /> : null}
      {pane && native ? (
        <p>
          <button type="button" onClick={() => void state().openSettingsPane(pane)}>
            Open System Settings
          </button>
        </p>
      ) : null}
      {pane && !native ? (
        <p className="muted">
          On the Mac where Clawdbot runs: {fix.settingsPath ?? SETTINGS_PANES[pane].path}.{' '}
          {setupReady ? (
            <button type="button" className="link" onClick={() => void openOnGateway()}>
              Open it on that Mac
            </button>
          ) : null}
        </p>
      ) : null}
      {gatewayAnswer ? <p role="status">{gatewayAnswer}</p> : null}
    </div>
  );
}
