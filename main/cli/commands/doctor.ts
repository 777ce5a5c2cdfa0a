// `clawdbot doctor`: everything that has to be right for iMessage to work, each with ✓/✗ and the
// exact fix — the config file, every account's imsg (binary, rpc support, Full Disk Access, an rpc
// answer) and its setup checks (Messages, Full Disk Access, Automation, SSH: setup-view.ts), the
// gateway (running, reachable with our token), the token file and state dir permissions, and the
// model. Exit 1 when any check failed.
//
// With a running gateway, accounts are probed by the gateway (on a Mac, Full Disk Access belongs to
// the process that runs imsg, so the gateway's answer is the one that matters); otherwise directly.
import { promises as fs } from 'node:fs';
import type { GatewayStatus, ProbeResult } from '../../../contract/gateway-api';
import { describeModelStatus } from '../../../contract/model-status';
import type { AccountSetup, SetupSnapshot } from '../../../contract/setup';
import { modelView, resolveModel } from '../../agent/model-config';
import { ConfigError } from '../../config/errors';
import { loadConfig, type LoadedConfig } from '../../config/load';
import { resolveConfigPath, resolveStateDir } from '../../config/paths';
import { tokenFilePath } from '../../gateway/auth';
import { connectToGateway, GATEWAY_START_HINT } from '../gateway-connection';
import { CHECK_FAIL, CHECK_INFO, CHECK_OK, describeState, EXIT_FAILURE, EXIT_OK, formatCheck, formatProbe } from '../output';
import { directSetup, formatAccountSetup, needsAttention } from '../setup-view';
import { configuredAccounts, probeAccount } from './accounts';

type Verdict = 'ok' | 'fail' | 'info';

interface DoctorCheck {
  id: string;
  verdict: Verdict;
  label: string;
  detail: string;
  fix?: string;
  /** Indented lines under the check (config issues, probe steps). */
  details?: string[];
  probe?: ProbeResult;
}

const MARKS: Record<Verdict, string> = { ok: CHECK_OK, fail: CHECK_FAIL, info: CHECK_INFO };

export async function doctor(opts: { json?: boolean }): Promise<number> {
  const env = process.env;
  const checks: DoctorCheck[] = [];
  const configPath = resolveConfigPath(env);
  const stateDir = resolveStateDir(env);

  // 1. Config.
  let loaded: LoadedConfig | undefined;
  try {
    loaded = await loadConfig({ path: configPath, env });
    checks.push(
      loaded.exists
        ? { id: 'config', verdict: 'ok', label: 'Config', detail: `${configPath} is valid` }
        : { id: 'config', verdict: 'info', label: 'Config', detail: `no file at ${configPath}; the defaults apply` },
    );
    for (const warning of loaded.warnings) checks.push({ id: 'config-warning', verdict: 'info', label: 'Config warning', detail: warning });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    checks.push({
      id: 'config',
      verdict: 'fail',
      label: 'Config',
      detail: error.kind === 'parse' ? `${configPath} is not valid JSON5` : error.kind === 'io' ? `${configPath} cannot be read` : `${configPath} has ${error.issues.length} problem(s)`,
      details: error.message.split('\n').slice(1),
      fix: 'Fix the problems listed, then run `clawdbot doctor` again.',
    });
  }

  // 2. Gateway.
  const lookup = await connectToGateway({ env, stateDir, configPath });
  let setup: SetupSnapshot | undefined;
  /** The running gateway's status: its model view is the one in force (demo's stand-in included). */
  let live: GatewayStatus | undefined;
  try {
    if (lookup.kind === 'running') {
      live = await lookup.client.request('status', {});
      checks.push({ id: 'gateway', verdict: 'ok', label: 'Gateway', detail: `running at ${lookup.instance.url} (pid ${lookup.instance.pid}, version ${lookup.hello.server.version}); the token is accepted` });
    } else if (lookup.kind === 'not-running') {
      checks.push({ id: 'gateway', verdict: 'info', label: 'Gateway', detail: 'not running', fix: GATEWAY_START_HINT });
    } else {
      checks.push({ id: 'gateway', verdict: 'fail', label: 'Gateway', detail: lookup.message, ...(lookup.fix ? { fix: lookup.fix } : {}) });
    }

    // 3. Accounts.
    if (!loaded) {
      checks.push({ id: 'accounts', verdict: 'info', label: 'iMessage accounts', detail: 'not checked (the config must be fixed first)' });
    } else if (lookup.kind === 'running') {
      // The gateway probes every account and runs the setup checks (and tests the model); the
      // status read after it carries each account's fresh probe.
      setup = await lookup.client.request('setup.check', {}, { timeoutMs: 60_000 });
      const status = await lookup.client.request('status', {});
      live = status;
      const probes = status.accounts.flatMap((account) => (account.lastProbe && account.enabled && account.configured ? [{ accountId: account.accountId, probe: account.lastProbe }] : []));
      for (const account of status.accounts) {
        const label = `iMessage ${account.accountId}`;
        const probe = probes.find((entry) => entry.accountId === account.accountId)?.probe;
        if (!account.enabled) {
          checks.push({ id: `account:${account.accountId}`, verdict: 'info', label, detail: 'disabled' });
        } else if (!account.configured) {
          checks.push(notConfigured(account.accountId));
        } else {
          const listening = account.state === 'listening';
          const good = listening && (probe?.ok ?? true);
          checks.push({
            id: `account:${account.accountId}`,
            verdict: good ? 'ok' : 'fail',
            label,
            detail: `${describeState(account)}${probe ? (probe.ok ? `; probe passed${probe.imsgVersion ? ` (imsg ${probe.imsgVersion})` : ''}` : `; probe failed: ${probe.error ?? 'unknown'}`) : ''}`,
            ...(good ? {} : { fix: probe?.fix ?? account.lastError?.fix ?? 'See `clawdbot channels status --probe`.' }),
            ...(probe ? { probe, details: formatProbe(probe, '') } : {}),
          });
        }
      }
    } else {
      const accounts = configuredAccounts(loaded, env);
      const probes = await Promise.all(accounts.map((account) => (account.enabled ? probeAccount(account, env) : Promise.resolve(undefined))));
      const probed = new Map(accounts.flatMap((account, index) => (probes[index] ? [[account.accountId, probes[index]!] as const] : [])));
      setup = (await directSetup(loaded, accounts, { env, stateDir, probes: probed })).snapshot;
      accounts.forEach((account, index) => {
        const label = `iMessage ${account.accountId}`;
        const probe = probes[index];
        if (!account.enabled || !probe) {
          checks.push({ id: `account:${account.accountId}`, verdict: 'info', label, detail: 'disabled' });
          return;
        }
        if (!account.configured) checks.push(notConfigured(account.accountId));
        checks.push({
          id: `probe:${account.accountId}`,
          verdict: probe.ok ? 'ok' : 'fail',
          label: `${label} probe`,
          detail: probe.ok ? `imsg works (${account.cliPath}${probe.imsgVersion ? `, version ${probe.imsgVersion}` : ''})` : (probe.error ?? 'failed'),
          ...(probe.fix ? { fix: probe.fix } : {}),
          probe,
          details: formatProbe(probe, ''),
        });
      });
    }
    // 3b. The setup checks of each account (Messages, Full Disk Access, Automation, SSH).
    for (const account of setup?.accounts ?? []) checks.push(setupCheckEntry(account));
  } finally {
    if (lookup.kind === 'running') lookup.close();
  }

  // 4. Permissions of the state dir and the token file.
  checks.push(await modeCheck('state-dir', 'State dir', stateDir, 0o700, 'created when the gateway first starts'));
  checks.push(await modeCheck('token-file', 'Token file', tokenFilePath(stateDir), 0o600, 'created when the gateway first starts'));

  // 5. Model: the running gateway's view, else the config's; worded as everywhere else. A running
  // gateway has also tested it (setup.check): a rejected key or an unreachable endpoint fails here.
  const view = live ?? (loaded ? modelView(resolveModel(loaded.config, env)) : undefined);
  if (view) {
    const model = describeModelStatus(view);
    const tested = setup?.model;
    if (model.state === 'ready' && tested && (tested.state === 'denied' || tested.state === 'missing')) {
      checks.push({ id: 'model', verdict: 'fail', label: 'Model', detail: tested.detail, ...(tested.fix ? { fix: tested.fix.text } : {}) });
    } else {
      const verdict: Verdict = model.state === 'ready' ? 'ok' : model.state === 'error' ? 'fail' : 'info';
      const detail = model.state === 'ready' && tested?.state === 'ok' ? `${model.summary}; test: ${tested.detail}` : model.summary;
      checks.push({ id: 'model', verdict, label: 'Model', detail, ...(model.fix ? { fix: model.fix } : {}) });
    }
  }

  const failed = checks.filter((check) => check.verdict === 'fail').length;
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ ok: failed === 0, configPath, stateDir, checks: checks.map(({ details: _details, ...rest }) => rest) }, null, 2)}\n`);
  } else {
    const lines = ['Clawdbot doctor', ''];
    for (const check of checks) {
      lines.push(...formatCheck(MARKS[check.verdict], check.label, check.detail));
      for (const detail of check.details ?? []) lines.push(`    ${detail}`);
      if (check.fix && !(check.probe && !check.probe.ok)) lines.push(`  Fix: ${check.fix}`);
    }
    lines.push('', failed === 0 ? 'No problems found.' : `${failed} problem${failed === 1 ? '' : 's'} found; the fixes are listed above.`);
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return failed === 0 ? EXIT_OK : EXIT_FAILURE;
}

/**
 * One entry per account for its setup checks, each listed under it. It fails for what stops the
 * account (a refused permission or login, imsg missing, a restart needed); an unknown or pending
 * answer, and a Messages with no chats yet, are worth knowing but not counted as problems (a
 * missing chat.db already fails the account's probe).
 */
function setupCheckEntry(setup: AccountSetup): DoctorCheck {
  const blocking = setup.checks.filter((check) => check.id !== 'messages' && needsAttention(check));
  const open = setup.checks.filter((check) => check.state !== 'ok' && check.state !== 'not-applicable');
  const verdict: Verdict = blocking.length > 0 || setup.restartNeeded ? 'fail' : open.length > 0 ? 'info' : 'ok';
  const first = blocking[0] ?? open[0];
  return {
    id: `setup:${setup.accountId}`,
    verdict,
    label: `iMessage ${setup.accountId} setup`,
    detail: first ? `${first.id}: ${first.detail}` : 'imsg, Messages, Full Disk Access, Automation and SSH are all fine',
    details: formatAccountSetup(setup),
  };
}

function notConfigured(accountId: string): DoctorCheck {
  return {
    id: `account:${accountId}`,
    verdict: 'fail',
    label: `iMessage ${accountId}`,
    detail: 'not configured (the gateway does not start it)',
    fix: 'Add a channels.imessage section, e.g. `clawdbot config set channels.imessage.cliPath imsg` (or the full path of imsg).',
  };
}

async function modeCheck(id: string, label: string, path: string, wanted: number, missingNote: string): Promise<DoctorCheck> {
  let mode: number;
  try {
    mode = (await fs.stat(path)).mode & 0o777;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { id, verdict: 'info', label, detail: `${path} does not exist yet (${missingNote})` };
    return { id, verdict: 'fail', label, detail: `cannot read ${path}: ${(error as Error).message}`, fix: 'Run the CLI as the user that owns it.' };
  }
  const octal = mode.toString(8);
  if ((mode & 0o077) !== 0) {
    return { id, verdict: 'fail', label, detail: `${path} is accessible to other users (mode ${octal})`, fix: `chmod ${wanted.toString(8)} ${JSON.stringify(path)}` };
  }
  return { id, verdict: 'ok', label, detail: `${path} (mode ${octal})` };
}
