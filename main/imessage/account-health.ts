// What one account's health says (contract AccountHealth, spec imessage-channel.md §6.5): the
// supervisor's own figures while it runs, a `stopped` entry saying why while it does not (disabled,
// not configured), and the warnings worth showing next to it (ignored allowlist entries, an open
// group policy, no model, an unreadable pairing store, attachment trouble). Pure functions of their
// inputs; the channel (channel.ts) gathers those.
import type { AccountHealth, ProbeResult } from '../../contract/gateway-api';
import type { Agent } from '../agent/agent';
import type { ResolvedImessageAccount } from '../config/types';
import type { PairingStore } from '../pairing/store';
import { compileAccessPolicy } from './access-policy';
import type { MentionMatcher } from './mention';
import type { SupervisorHealth } from './supervisor';

export const OPEN_GROUPS_WARNING =
  'groupPolicy="open" allows any member of any group to trigger the assistant. Set groupPolicy="allowlist" and groupAllowFrom to restrict senders.';

export interface AccountHealthInputs {
  account: ResolvedImessageAccount;
  simulated: boolean;
  /** The supervisor's health while the account runs. */
  running: SupervisorHealth | undefined;
  /** Result of an explicit probe, if any (the newer of it and the supervisor's own is shown). */
  lastProbe: ProbeResult | undefined;
  /** When the account entered its not-running state. */
  since: string;
  warnings: string[];
}

export function accountHealth(inputs: AccountHealthInputs): AccountHealth {
  const { account, running } = inputs;
  const base = {
    accountId: account.accountId,
    ...(account.name !== undefined ? { name: account.name } : {}),
    enabled: account.enabled,
    configured: account.configured,
    simulated: inputs.simulated,
    remoteHost: account.remoteHost ?? null,
    warnings: inputs.warnings,
  };
  if (!running) {
    return {
      ...base,
      state: 'stopped',
      since: inputs.since,
      pid: null,
      restarts: 0,
      retryAt: null,
      lastError: { message: notRunningReason(account), fatal: false, at: inputs.since, fix: notRunningFix(account) },
      lastInboundAt: null,
      lastOutboundAt: null,
      lastProbe: inputs.lastProbe ?? null,
      imsgVersion: inputs.lastProbe?.imsgVersion ?? null,
      cliPath: account.cliPath,
      dbPath: account.dbPath ?? null,
      lastRowid: null,
    };
  }
  const { inFlight: _inFlight, retryDelayMs: _retryDelayMs, ...health } = running;
  return { ...base, ...health, lastProbe: newerProbe(health.lastProbe, inputs.lastProbe) };
}

/**
 * The warnings that follow from the account's settings alone (ignored allowlist entries, mention
 * patterns, an open group policy): the same until the config changes, so callers may keep them.
 */
export function configWarnings(account: ResolvedImessageAccount, mention: MentionMatcher): string[] {
  if (!account.enabled || !account.configured) return [];
  const out: string[] = [];
  const policy = compileAccessPolicy(account);
  for (const [key, matcher] of [['allowFrom', policy.dmAllow], ['groupAllowFrom', policy.groupAllow]] as const) {
    if (key === 'groupAllowFrom' && account.groupAllowFrom === undefined) continue;
    for (const { entry, problem } of matcher.invalid) out.push(`${key} entry ${JSON.stringify(entry)} is ignored: ${problem}`);
  }
  if (account.groupPolicy !== 'disabled') {
    // Mention problems matter only where a mention is required (the default for every group).
    if (account.groups['*']?.requireMention !== false || Object.values(account.groups).some((g) => g.requireMention === true)) {
      for (const warning of mention.warnings) out.push(warning);
    }
    if (account.groupPolicy === 'open') out.push(OPEN_GROUPS_WARNING);
  }
  return out;
}

export interface RuntimeWarningInputs {
  account: ResolvedImessageAccount;
  agent: Agent;
  pairing: PairingStore;
  /** The pipeline's own (attachment) warnings, while the account runs. */
  pipelineWarnings: string[];
}

/** The warnings of the moment: no model or a model error, an unreadable pairing store, attachment trouble. */
export function runtimeWarnings({ account, agent, pairing, pipelineWarnings }: RuntimeWarningInputs): string[] {
  if (!account.enabled || !account.configured) return [];
  const out: string[] = [];
  // The agent is shared, but "why is nobody answered" belongs next to the account too.
  const status = agent.status;
  if (!status.configured) out.push(`messages are not answered: ${status.reason ?? 'no model configured'}`);
  else if (status.lastError) out.push(`model error (${status.lastError.kind}): ${status.lastError.message}`);
  const storeError = pairing.allowFromError;
  if (storeError) out.push(`approved senders could not be read: ${storeError.message}`);
  out.push(...pipelineWarnings);
  return out;
}

export function notRunningReason(account: ResolvedImessageAccount): string {
  return !account.enabled ? 'disabled' : 'not configured';
}

export function notRunningFix(account: ResolvedImessageAccount): string {
  return !account.enabled
    ? `Set channels.imessage${account.accountId === 'default' ? '' : `.accounts.${account.accountId}`}.enabled to true.`
    : 'Add a channels.imessage section to the config (e.g. { "channels": { "imessage": { "cliPath": "imsg" } } }).';
}

function newerProbe(a: ProbeResult | null, b: ProbeResult | undefined): ProbeResult | null {
  if (!b) return a;
  if (!a) return b;
  return Date.parse(b.at) >= Date.parse(a.at) ? b : a;
}
