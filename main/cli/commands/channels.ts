// `clawdbot channels status [--probe] [--json]`: one line per iMessage account. With a running
// gateway, its live health (and its probe); without one, the accounts as configured (and a direct
// probe), saying that the gateway is not running and how to start it.
//
// Exit code: 0 when the gateway runs and every enabled, configured account is listening (and, with
// --probe, every probe passed); 1 otherwise (including "gateway not running").
import type { AccountHealth, GatewayStatus, ProbeResult } from '../../../contract/gateway-api';
import type { SetupSnapshot } from '../../../contract/setup';
import { ControlClientError } from '../../../contract/control-client';
import { ConfigError } from '../../config/errors';
import { loadConfig } from '../../config/load';
import { resolveConfigPath, resolveStateDir } from '../../config/paths';
import { directSetup, formatAccountSetup, formatSetupCheck } from '../setup-view';
import { configuredAccounts } from './accounts';
import { connectToGateway, GATEWAY_START_HINT } from '../gateway-connection';
import {
  allAccountsHealthy,
  gatewayNow,
  CliError,
  EXIT_FAILURE,
  EXIT_OK,
  formatAccountHealth,
  formatConfiguredAccount,
  formatGatewayHeader,
  formatProbe,
  probeVerdict,
} from '../output';

/** The probe can take a while per account (imsg start, an SSH round trip). */
const PROBE_REQUEST_TIMEOUT_MS = 60_000;

export interface ChannelsStatusOptions {
  probe?: boolean;
  json?: boolean;
}

type ProbeEntry = { accountId: string; probe: ProbeResult };

export async function channelsStatus(opts: ChannelsStatusOptions): Promise<number> {
  const lookup = await connectToGateway();
  if (lookup.kind === 'running') {
    try {
      // --probe: the gateway probes every account and runs the setup checks on the result.
      const setup = opts.probe ? await lookup.client.request('setup.check', {}, { timeoutMs: PROBE_REQUEST_TIMEOUT_MS }) : undefined;
      const status = await lookup.client.request('status', {});
      const probes: ProbeEntry[] = opts.probe
        ? status.accounts.filter((account) => account.enabled && account.configured && account.lastProbe).map((account) => ({ accountId: account.accountId, probe: account.lastProbe! }))
        : [];
      const healthy = allAccountsHealthy(status.accounts) && probes.every((entry) => entry.probe.ok);
      if (opts.json) {
        printJson({
          gateway: { running: true, url: lookup.instance.url, pid: status.pid, version: status.version },
          configPath: status.configPath,
          demo: status.demo,
          healthy,
          status,
          ...(opts.probe ? { probes, setup } : {}),
        });
      } else {
        process.stdout.write(`${renderLive(status, lookup.instance.url, opts.probe ? probes : undefined, gatewayNow(status), setup).join('\n')}\n`);
      }
      return healthy ? EXIT_OK : EXIT_FAILURE;
    } catch (error) {
      if (error instanceof ControlClientError) throw new CliError(error.message, EXIT_FAILURE, error.fix);
      throw error;
    } finally {
      lookup.close();
    }
  }

  const gatewayNote =
    lookup.kind === 'not-running'
      ? { running: false as const, reason: 'not running' }
      : { running: false as const, reason: 'not reachable', error: lookup.message, ...(lookup.fix ? { fix: lookup.fix } : {}) };
  if (lookup.kind === 'unreachable' && !opts.json) process.stderr.write(`Gateway not reachable: ${lookup.message}\n`);

  const configPath = resolveConfigPath();
  let loaded;
  try {
    loaded = await loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    if (opts.json) {
      printJson({ gateway: gatewayNote, configPath, healthy: false, configError: error.message, accounts: [] });
      return EXIT_FAILURE;
    }
    throw new CliError(`Cannot show the accounts: the config is not valid.\n${error.message}`, EXIT_FAILURE, 'Fix the problems above (`clawdbot config validate`).');
  }
  const accounts = configuredAccounts(loaded).map((account) => ({
    accountId: account.accountId,
    ...(account.name !== undefined ? { name: account.name } : {}),
    enabled: account.enabled,
    configured: account.configured,
    cliPath: account.cliPath,
    dbPath: account.dbPath ?? null,
  }));
  const probes: ProbeEntry[] = [];
  let setup: SetupSnapshot | undefined;
  if (opts.probe) {
    // The same probe and setup checks the gateway would run, here.
    const resolved = configuredAccounts(loaded);
    const direct = await directSetup(loaded, resolved, { env: process.env, stateDir: resolveStateDir() });
    setup = direct.snapshot;
    for (const account of resolved) {
      const probe = direct.probes.get(account.accountId);
      if (probe) probes.push({ accountId: account.accountId, probe });
    }
  }

  if (opts.json) {
    printJson({ gateway: gatewayNote, configPath, configExists: loaded.exists, healthy: false, accounts, ...(opts.probe ? { probes, setup } : {}) });
    return EXIT_FAILURE;
  }
  const lines = [
    lookup.kind === 'not-running'
      ? `Gateway not running; showing config-only status. ${GATEWAY_START_HINT}`
      : 'Gateway not reachable; showing config-only status.',
    `Config: ${configPath}${loaded.exists ? '' : ' (no file yet; defaults apply)'}`,
    '',
  ];
  for (const account of accounts) {
    const probe = probes.find((entry) => entry.accountId === account.accountId)?.probe;
    lines.push(probe ? `${formatConfiguredAccount(account)}, ${probeVerdict(probe)}` : formatConfiguredAccount(account));
    if (probe) lines.push(...formatProbe(probe));
    const checks = setup?.accounts.find((entry) => entry.accountId === account.accountId);
    if (checks && account.enabled && account.configured) lines.push('    Setup:', ...formatAccountSetup(checks, '      '));
    if (!probe && !account.configured) lines.push('    Fix: add a channels.imessage section to the config, e.g. `clawdbot config set channels.imessage.cliPath imsg`');
  }
  for (const warning of loaded.warnings) lines.push(`Warning: ${warning}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return EXIT_FAILURE;
}

/** The live view: header, then each account with its probe and setup checks (when asked). Ages use the gateway's clock (status.now). */
export function renderLive(status: GatewayStatus, url: string, probes?: readonly ProbeEntry[], now: number = gatewayNow(status), setup?: SetupSnapshot): string[] {
  const lines = [...formatGatewayHeader(status, url), ''];
  for (const account of status.accounts) {
    const probe = probes?.find((entry) => entry.accountId === account.accountId)?.probe;
    const accountLines = formatAccountHealth(account, now);
    if (probe) {
      accountLines[0] = `${accountLines[0]}, ${probeVerdict(probe)}`;
      accountLines.push(...formatProbe(probe));
    }
    const checks = setup?.accounts.find((entry) => entry.accountId === account.accountId);
    if (checks && account.enabled && account.configured) accountLines.push('    Setup:', ...formatAccountSetup(checks, '      '));
    lines.push(...accountLines);
  }
  if (setup) lines.push(...formatSetupCheck(setup.model));
  if (status.accounts.length === 0) lines.push('No iMessage accounts.');
  const unhealthy = status.accounts.filter((account: AccountHealth) => account.enabled && account.configured && account.state !== 'listening');
  if (unhealthy.length > 0 && !probes) lines.push('', 'Run `clawdbot channels status --probe` for each check and its fix.');
  return lines;
}

function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
