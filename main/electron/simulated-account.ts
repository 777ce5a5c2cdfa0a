// The app's simulated Messages account: whether the hosted gateway runs with our imsg simulator
// (the gateway's demo mode) instead of the person's Messages, and the switch the window offers
// ("Try it with a simulated Messages account" / "Use my real Messages account") so pairing and
// replies can be tried before granting anything.
//
// Who decides, strongest first:
//   - the packaged app: never. The simulator runs as a Node child process, and the packaged app
//     has no Node (main/electron/README.md, "The demo in the packaged app").
//   - `--demo` / CLAWDBOT_DEMO=1 on the command line (`npm start` without imsg): on, for that run.
//   - the person's choice in the window, kept in the preferences (`simulatedAccount`), so a
//     restart of the app keeps it.
// Switching restarts the hosted gateway in the other mode with GatewayHost.start() (stop, then
// start with the options of now); the window follows the new connection as after any restart.
// Electron-free: shell.ts wires it to the host, the preferences and the bridge.
import type { GatewayPhase, SimulatedAccountAnswer, SimulatedAccountStatus } from '../../contract/bridge';
import type { Logger } from '../util/logger';
import type { PrefsAccess } from './app-controller';
import type { GatewayHost } from './gateway-host';

export const NOT_IN_PACKAGED_APP = 'A simulated Messages account is not available in the packaged app yet: run Clawdbot from a checkout with npm start.';
export const FORCED_BY_COMMAND_LINE = 'Clawdbot was started with --demo (or CLAWDBOT_DEMO=1): it keeps the simulated Messages account until it is started without it.';

/** Attached to another gateway: its Messages account is not the app's to switch. */
export function usingOtherGateway(port: number): string {
  return `Clawdbot is using the Clawdbot gateway that was already running on port ${port}, not its own: switching the Messages account needs its own gateway. Stop that gateway, then restart Clawdbot.`;
}

export interface SimulatedAccountInputs {
  /** The installed app (Electron's app.isPackaged). */
  packaged: boolean;
  /** `--demo` or CLAWDBOT_DEMO=1 on the command line. */
  commandLine: boolean;
  /** The person's choice, from the preferences. */
  preference: boolean;
  /** The hosted gateway's phase now. */
  phase: GatewayPhase;
}

/** What the window is told (bridge `gateway.simulated`). */
export function simulatedAccountStatus(inputs: SimulatedAccountInputs): SimulatedAccountStatus {
  if (inputs.packaged) return { available: false, active: false, reason: NOT_IN_PACKAGED_APP };
  const active = inputs.commandLine || inputs.preference;
  if (inputs.commandLine) return { available: false, active, reason: FORCED_BY_COMMAND_LINE };
  if (inputs.phase.kind === 'running' && inputs.phase.mode === 'attached') return { available: false, active, reason: usingOtherGateway(inputs.phase.port) };
  return { available: true, active };
}

/** Why switching to `on` is refused, or null to go ahead. Asking for the mode it is already in is never refused. */
export function switchRefusal(inputs: SimulatedAccountInputs, on: boolean): string | null {
  const status = simulatedAccountStatus(inputs);
  if (on === status.active || status.available) return null;
  return status.reason ?? 'The Messages account cannot be switched now.';
}

export interface SimulatedAccountDeps {
  packaged: boolean;
  commandLine: boolean;
  prefs: PrefsAccess;
  host: Pick<GatewayHost, 'phase' | 'start'>;
  logger: Logger;
}

/** The app's one simulated-account setting: read by the gateway's start options, switched from the window. */
export class SimulatedAccountSetting {
  constructor(private readonly deps: SimulatedAccountDeps) {}

  /** The hosted gateway is to run with the simulated account (its next start's options). */
  get active(): boolean {
    return this.status().active;
  }

  status(): SimulatedAccountStatus {
    return simulatedAccountStatus(this.inputs());
  }

  /** Switches and restarts the hosted gateway in the new mode; resolves once it runs (or failed, shown by its phase). */
  async use(on: boolean): Promise<SimulatedAccountAnswer> {
    const { prefs, host, logger } = this.deps;
    const refusal = switchRefusal(this.inputs(), on);
    if (refusal) {
      logger.info(`simulated account: switching ${on ? 'on' : 'off'} refused: ${refusal}`);
      return { ok: false, message: refusal };
    }
    if (on === this.active) return { ok: true };
    prefs.set('simulatedAccount', on);
    logger.info(`simulated account: ${on ? 'on' : 'off'}, chosen in the window`);
    // Paused stays paused (nothing is read or answered until Resume): the new mode applies then.
    if (host.phase.kind !== 'paused') await host.start();
    return { ok: true };
  }

  private inputs(): SimulatedAccountInputs {
    const { packaged, commandLine, prefs, host } = this.deps;
    return { packaged, commandLine, preference: prefs.get('simulatedAccount'), phase: host.phase };
  }
}
