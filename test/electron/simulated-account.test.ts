// The simulated Messages account's decisions (no Electron, a stand-in host): the packaged app
// never has it, `--demo` wins over the person's choice, a gateway the app only uses is not its to
// switch; switching keeps the choice in the preferences and restarts the hosted gateway once.
import { describe, expect, it, vi } from 'vitest';
import type { GatewayPhase } from '../../contract/bridge';
import { PREFS_DEFAULTS, type AppPrefs } from '../../main/electron/prefs';
import {
  FORCED_BY_COMMAND_LINE,
  NOT_IN_PACKAGED_APP,
  SimulatedAccountSetting,
  simulatedAccountStatus,
  switchRefusal,
  usingOtherGateway,
  type SimulatedAccountInputs,
} from '../../main/electron/simulated-account';
import { createLogHub } from '../../main/util/logger';

const hosted: GatewayPhase = { kind: 'running', mode: 'hosted', port: 18789 };
const attached: GatewayPhase = { kind: 'running', mode: 'attached', port: 18789 };
const inputs = (patch: Partial<SimulatedAccountInputs> = {}): SimulatedAccountInputs => ({ packaged: false, commandLine: false, preference: false, phase: hosted, ...patch });

describe('whether the simulated account applies', () => {
  it('from a checkout: off by default, on by the person’s choice, switchable both ways', () => {
    expect(simulatedAccountStatus(inputs())).toEqual({ available: true, active: false });
    expect(simulatedAccountStatus(inputs({ preference: true }))).toEqual({ available: true, active: true });
    expect(switchRefusal(inputs(), true)).toBeNull();
    expect(switchRefusal(inputs({ preference: true }), false)).toBeNull();
    // Not running yet, failed or paused: still the app's own gateway to switch.
    for (const phase of [{ kind: 'starting' }, { kind: 'paused' }, { kind: 'failed', message: 'x' }] as GatewayPhase[]) {
      expect(simulatedAccountStatus(inputs({ phase })).available).toBe(true);
    }
  });

  it('the packaged app: never, whatever the preference or the command line say, and switching on is refused in words', () => {
    for (const patch of [{}, { preference: true }, { commandLine: true }, { commandLine: true, preference: true }]) {
      expect(simulatedAccountStatus(inputs({ packaged: true, ...patch }))).toEqual({ available: false, active: false, reason: NOT_IN_PACKAGED_APP });
    }
    expect(switchRefusal(inputs({ packaged: true }), true)).toBe(
      'A simulated Messages account is not available in the packaged app yet: run Clawdbot from a checkout with npm start.',
    );
    // Asking for what already is (off) is not refused.
    expect(switchRefusal(inputs({ packaged: true, preference: true }), false)).toBeNull();
  });

  it('--demo / CLAWDBOT_DEMO=1 wins over the preference: on for the run, and switching it off is refused', () => {
    expect(simulatedAccountStatus(inputs({ commandLine: true }))).toEqual({ available: false, active: true, reason: FORCED_BY_COMMAND_LINE });
    expect(simulatedAccountStatus(inputs({ commandLine: true, preference: false })).active).toBe(true);
    expect(switchRefusal(inputs({ commandLine: true }), false)).toBe(FORCED_BY_COMMAND_LINE);
    expect(switchRefusal(inputs({ commandLine: true }), true)).toBeNull();
  });

  it('while the app uses another Clawdbot gateway (attached), that gateway is not its to switch', () => {
    expect(simulatedAccountStatus(inputs({ phase: attached }))).toEqual({ available: false, active: false, reason: usingOtherGateway(18789) });
    expect(switchRefusal(inputs({ phase: attached }), true)).toMatch(/already running on port 18789/);
  });
});

function setup(patch: { packaged?: boolean; commandLine?: boolean; phase?: GatewayPhase; preference?: boolean } = {}) {
  const prefs: AppPrefs = { ...PREFS_DEFAULTS, simulatedAccount: patch.preference ?? false };
  const host = { phase: patch.phase ?? hosted, start: vi.fn(async () => {}) };
  const setting = new SimulatedAccountSetting({
    packaged: patch.packaged ?? false,
    commandLine: patch.commandLine ?? false,
    prefs: { get: (key) => prefs[key], set: (key, value) => void (prefs[key] = value) },
    host: host as never,
    logger: createLogHub({ sinks: [] }).logger('test'),
  });
  return { prefs, host, setting };
}

describe('switching', () => {
  it('on and off: the choice is kept and the hosted gateway restarts in the new mode each time', async () => {
    const { prefs, host, setting } = setup();
    // The restart reads the new mode (the gateway's next start options).
    host.start.mockImplementation(async () => void expect(setting.active).toBe(prefs.simulatedAccount));
    expect(await setting.use(true)).toEqual({ ok: true });
    expect(prefs.simulatedAccount).toBe(true);
    expect(setting.status()).toEqual({ available: true, active: true });
    expect(await setting.use(false)).toEqual({ ok: true });
    expect(prefs.simulatedAccount).toBe(false);
    expect(host.start).toHaveBeenCalledTimes(2);
  });

  it('asking for the mode it is already in restarts nothing', async () => {
    const { host, setting } = setup({ preference: true });
    expect(await setting.use(true)).toEqual({ ok: true });
    expect(host.start).not.toHaveBeenCalled();
  });

  it('refused: nothing is kept and nothing restarts', async () => {
    const packaged = setup({ packaged: true });
    expect(await packaged.setting.use(true)).toEqual({ ok: false, message: NOT_IN_PACKAGED_APP });
    expect(packaged.prefs.simulatedAccount).toBe(false);
    expect(packaged.host.start).not.toHaveBeenCalled();
    const forced = setup({ commandLine: true });
    expect(await forced.setting.use(false)).toEqual({ ok: false, message: FORCED_BY_COMMAND_LINE });
    expect(forced.host.start).not.toHaveBeenCalled();
  });

  it('while paused: kept for Resume, no restart now', async () => {
    const { prefs, host, setting } = setup({ phase: { kind: 'paused' } });
    expect(await setting.use(true)).toEqual({ ok: true });
    expect(prefs.simulatedAccount).toBe(true);
    expect(host.start).not.toHaveBeenCalled();
  });
});
