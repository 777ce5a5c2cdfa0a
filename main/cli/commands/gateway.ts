// `clawdbot gateway` (run in the foreground) and `clawdbot gateway restart` (through the control API).
import { ControlClientError } from '../../../contract/control-client';
import { DEMO_ECHO_MODEL } from '../../../contract/constants';
import { ConfigError } from '../../config/errors';
import { exposedHosts, hostPort } from '../../gateway/addresses';
import { PortInUseError } from '../../gateway/listen';
import { DemoSetupError } from '../../gateway/demo';
import { readInstanceFile } from '../../gateway/instance-file';
import { GatewayStartError, startGateway, type GatewayHandle } from '../../gateway/start';
import { stderrTextSink, stdoutJsonSink } from '../../util/logger';
import { connectToGateway, GATEWAY_START_HINT } from '../gateway-connection';
import { CliError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from '../output';

export interface GatewayRunOptions {
  port?: number;
  bind?: string;
  json?: boolean;
  demo?: boolean;
  /** With demo: start the demo over. */
  fresh?: boolean;
  verbose?: boolean;
}

/** Starts the gateway and returns once it has stopped (signals stop it and exit the process). */
export async function runGateway(opts: GatewayRunOptions): Promise<number> {
  if (opts.fresh && !opts.demo) throw new CliError('--fresh starts the demo over; it only applies with --demo.', EXIT_USAGE, 'Run `clawdbot gateway --demo --fresh` (or `npm start -- --fresh` on a machine without imsg).');
  let handle: GatewayHandle;
  try {
    handle = await startGateway({
      ...(opts.port !== undefined ? { port: opts.port } : {}),
      ...(opts.bind !== undefined ? { bind: opts.bind } : {}),
      demo: opts.demo === true ? (opts.fresh ? { fresh: true } : true) : false,
      logSinks: [opts.json ? stdoutJsonSink : stderrTextSink],
      logLevel: opts.verbose ? 'debug' : 'info',
    });
  } catch (error) {
    throw explainStartError(error);
  }

  if (!opts.json) printBanner(handle);
  try {
    await handle.closed;
    return EXIT_OK;
  } catch {
    // The failed restart was logged with its reason.
    return EXIT_FAILURE;
  }
}

/**
 * Human banner on stderr (the user's terminal): where the UI is, who can reach the gateway, where
 * the token is, and the demo how-to. The token itself is never printed (whoever has it can act as
 * the person): the web UI address is a one-time sign-in link instead.
 */
function printBanner(handle: GatewayHandle): void {
  const status = handle.status();
  const lines = [
    '',
    `Clawdbot gateway ${status.version} is running (pid ${status.pid}).`,
    ...(handle.webUi
      ? [`  Web UI:   ${handle.signInUrl()}`, `            (signs one browser in, once, within an hour; then use the token)`]
      : [`  Web UI:   not built yet: run \`npm run build\` in the checkout, then open ${handle.url}/`]),
    `  Token:    ${handle.tokenAt} (whoever has it can use this gateway as you: keep it to yourself)`,
    ...exposureLines(status.bind, status.port),
    `  Config:   ${handle.configPath}`,
    `  State:    ${handle.stateDir}`,
    ...status.accounts.map((account) => `  Account:  iMessage ${account.accountId}${account.simulated ? ' (simulated)' : ''}: ${account.state}`),
    `  Model:    ${status.model === DEMO_ECHO_MODEL ? `${DEMO_ECHO_MODEL} (demo assistant: a stand-in that echoes, not an AI)` : (status.model ?? 'none configured (messages are logged, not answered)')}`,
  ];
  const realModel = status.model !== null && status.model !== DEMO_ECHO_MODEL;
  if (handle.demo) lines.push('', ...handle.demo.banner({ modelConfigured: realModel && status.modelError === null }));
  lines.push('', 'Press Ctrl-C to stop.', '');
  process.stderr.write(`${lines.join('\n')}\n`);
}

/** Who can reach the gateway: this machine only, or other machines too (and at which addresses). */
function exposureLines(bind: string, port: number): string[] {
  const hosts = exposedHosts(bind);
  if (hosts.length === 0) return [`  Exposed:  to this machine only (${hostPort(bind, port)}); the control API needs the gateway token.`];
  return [
    `  Exposed:  to other machines (bound to ${bind}) at ${hosts.map((host) => `http://${hostPort(host, port)}`).join(', ')}:`,
    '            anyone who can reach it gets the web UI\'s files and /health liveness; everything else needs the gateway token.',
  ];
}

function explainStartError(error: unknown): CliError {
  if (error instanceof ConfigError) {
    return new CliError(`The gateway did not start: the config is not valid.\n${error.message}`, error.kind === 'io' ? EXIT_FAILURE : EXIT_USAGE, 'Fix the problems above (`clawdbot config validate` lists them), then start the gateway again.');
  }
  if (error instanceof PortInUseError) {
    return new CliError(error.message, EXIT_FAILURE, error.holder === 'clawdbot' ? 'Run `clawdbot channels status` to use the running gateway.' : undefined);
  }
  if (error instanceof GatewayStartError || error instanceof DemoSetupError) return new CliError(error.message, EXIT_FAILURE, error.fix);
  return new CliError((error as Error).message ?? String(error));
}

export interface GatewayRestartOptions {
  json?: boolean;
  /** How long to wait for the gateway to come back. */
  timeout: number;
}

/** Asks the running gateway to restart itself, then waits until it answers again. */
export async function restartGateway(opts: GatewayRestartOptions): Promise<number> {
  const lookup = await connectToGateway();
  if (lookup.kind === 'not-running') {
    throw new CliError(`No gateway is running (state dir ${lookup.stateDir}); nothing to restart.`, EXIT_FAILURE, GATEWAY_START_HINT);
  }
  if (lookup.kind === 'unreachable') throw new CliError(lookup.message, EXIT_FAILURE, lookup.fix);

  const before = lookup.instance;
  const closedByGateway = new Promise<void>((resolve) => lookup.client.onClose(() => resolve()));
  try {
    await lookup.client.request('gateway.restart', {});
  } catch (error) {
    lookup.close();
    const clientError = error as ControlClientError;
    throw new CliError(clientError.message, EXIT_FAILURE, clientError.fix);
  }
  await closedByGateway;

  const deadline = Date.now() + opts.timeout;
  while (Date.now() < deadline) {
    const instance = await readInstanceFile(lookup.stateDir);
    if (instance && instance.startedAt !== before.startedAt) {
      const again = await connectToGateway({ announce: () => {} });
      if (again.kind === 'running') {
        again.close();
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ restarted: true, pid: instance.pid, url: instance.url, startedAt: instance.startedAt })}\n`);
        } else {
          process.stdout.write(`Gateway restarted: ${instance.url} (pid ${instance.pid}).\n`);
        }
        return EXIT_OK;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new CliError(
    `The gateway did not come back within ${opts.timeout} ms after the restart.`,
    EXIT_FAILURE,
    'Check its log (the terminal or app running it); the config may have a problem (`clawdbot config validate`).',
  );
}
