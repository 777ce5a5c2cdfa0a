// The setup checks in the CLI (`channels add`, `channels status --probe`, `doctor`): the same
// answers as the gateway's setup snapshot, printed with ✓/✗ and the exact fix. Without a running
// gateway they are computed here, from the config and a direct probe, by the same modules.
import type { ProbeResult } from '../../contract/gateway-api';
import type { AccountSetup, SetupCheck, SetupSnapshot } from '../../contract/setup';
import { resolveModel } from '../agent/model-config';
import { modelCheck } from '../agent/model-test';
import type { LoadedConfig } from '../config/load';
import type { ResolvedImessageAccount } from '../config/types';
import { AutomationTracker } from '../imessage/automation';
import { resolveRemoteHost } from '../imessage/remote-host';
import { probeImsg } from '../imessage/probe';
import { accountSetup } from '../imessage/setup-checks';
import { testSshTarget } from '../imessage/ssh-check';
import { readOwnWrapper } from '../imessage/ssh-wrapper';
import { silentLogger } from '../util/logger';
import { setupInputs } from '../gateway/setup';
import { CHECK_FAIL, CHECK_INFO, CHECK_OK } from './output';

const SSH_PROBE_TIMEOUT_MS = 15_000;

const LABELS: Record<SetupCheck['id'], string> = {
  imsg: 'imsg',
  messages: 'Messages',
  'full-disk-access': 'Full Disk Access',
  automation: 'Automation',
  ssh: 'SSH',
  model: 'Model',
};

/** ✓ for ok, ✗ for something to fix (missing, denied), – for the rest (pending, unknown, not applicable). */
export function checkMark(check: Pick<SetupCheck, 'state'>): string {
  if (check.state === 'ok') return CHECK_OK;
  return check.state === 'missing' || check.state === 'denied' ? CHECK_FAIL : CHECK_INFO;
}

export function needsAttention(check: Pick<SetupCheck, 'state'>): boolean {
  return check.state === 'missing' || check.state === 'denied';
}

/**
 * ```
 * ✗ Full Disk Access: imsg may not read chat.db (…)
 *   Fix: Add Clawdbot (and imsg, …) under Full Disk Access …
 *   Open: System Settings › Privacy & Security › Full Disk Access (x-apple.systempreferences:…)
 *   Run: brew install steipete/tap/imsg
 * ```
 */
export function formatSetupCheck(check: SetupCheck, indent = ''): string[] {
  const lines = [`${indent}${checkMark(check)} ${LABELS[check.id]}: ${check.detail}`];
  if (check.fix && check.state !== 'ok' && check.state !== 'not-applicable') {
    lines.push(`${indent}  Fix: ${check.fix.text}`);
    if (check.fix.settingsPath) lines.push(`${indent}  Open: ${check.fix.settingsPath}${check.fix.settingsUrl ? ` (${check.fix.settingsUrl})` : ''}`);
    if (check.fix.command) lines.push(`${indent}  Run: ${check.fix.command}`);
  }
  return lines;
}

export function formatAccountSetup(setup: AccountSetup, indent = ''): string[] {
  const lines = setup.checks.flatMap((check) => formatSetupCheck(check, indent));
  if (setup.remoteHost) lines.push(`${indent}${CHECK_INFO} Attachments: copied from ${setup.remoteHost} (remoteHost)`);
  if (setup.restartNeeded) lines.push(`${indent}${CHECK_FAIL} Restart needed: Full Disk Access changed; restart Clawdbot (or \`clawdbot gateway restart\`) for it to take effect.`);
  return lines;
}

/**
 * The checks of the configured accounts without a gateway: each enabled account is probed directly
 * (the probe is returned too), SSH accounts with a wrapper Clawdbot wrote are tested step by step.
 */
export async function directSetup(
  loaded: LoadedConfig,
  accounts: readonly ResolvedImessageAccount[],
  options: { env: NodeJS.ProcessEnv; stateDir: string; probes?: Map<string, ProbeResult> },
): Promise<{ snapshot: SetupSnapshot; probes: Map<string, ProbeResult> }> {
  const { env, stateDir } = options;
  const probes = options.probes ?? new Map<string, ProbeResult>();
  const automation = new AutomationTracker({ stateDir, logger: silentLogger });
  const ctx = { env, platform: process.platform, config: loaded.config, automation };
  const setups = await Promise.all(
    accounts.map(async (account) => {
      const runs = account.enabled && account.configured;
      const remoteHost = runs ? await resolveRemoteHost(account, { ...(env.HOME ? { home: env.HOME } : {}), ...(env.PATH ? { pathEnv: env.PATH } : {}) }) : account.remoteHost;
      let probe = probes.get(account.accountId);
      if (runs && !probe) {
        // Through an SSH wrapper every step is a login: give it the time a slow one needs.
        probe = await probeImsg({ cliPath: account.cliPath, ...(account.dbPath ? { dbPath: account.dbPath } : {}), env, ...(remoteHost ? { timeoutMs: SSH_PROBE_TIMEOUT_MS } : {}) });
        probes.set(account.accountId, probe);
      }
      const own = remoteHost ? await readOwnWrapper(account.cliPath) : undefined;
      const ssh = own && own.target === remoteHost ? await testSshTarget({ target: own.target, remoteCliPath: own.remoteCliPath, env }) : null;
      const source = {
        accountId: account.accountId,
        enabled: account.enabled,
        configured: account.configured,
        cliPath: account.cliPath,
        dbPath: account.dbPath ?? null,
        remoteHost: remoteHost ?? null,
        lastProbe: probe ?? null,
      };
      return accountSetup(await setupInputs(source, ctx, { ssh }));
    }),
  );
  const model = modelCheck({ resolution: resolveModel(loaded.config, env) });
  return { snapshot: { accounts: setups, model, at: new Date().toISOString() }, probes };
}
