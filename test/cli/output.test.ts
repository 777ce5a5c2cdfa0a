// Golden wording of the CLI's status lines and probe checks (pure formatting, see main/cli/output.ts).
import { describe, expect, it } from 'vitest';
import type { AccountHealth, GatewayStatus, ProbeResult } from '../../contract/gateway-api';
import { renderLive } from '../../main/cli/commands/channels';
import { formatAccountHealth, formatAge, formatConfiguredAccount, formatProbe } from '../../main/cli/output';

const NOW = Date.parse('2026-01-28T10:00:00.000Z');
const ago = (ms: number) => new Date(NOW - ms).toISOString();

function account(patch: Partial<AccountHealth> = {}): AccountHealth {
  return {
    accountId: 'default',
    enabled: true,
    configured: true,
    simulated: false,
    state: 'listening',
    since: ago(60_000),
    pid: 4242,
    restarts: 0,
    retryAt: null,
    lastError: null,
    lastInboundAt: null,
    lastOutboundAt: null,
    lastProbe: null,
    imsgVersion: '0.9.0',
    cliPath: 'imsg',
    dbPath: null,
    remoteHost: null,
    lastRowid: null,
    warnings: [],
    ...patch,
  };
}

describe('channels status lines', () => {
  it('a listening account reads like the tutorial, with restarts and activity underneath', () => {
    expect(formatAccountHealth(account({ lastInboundAt: ago(3 * 60_000), lastOutboundAt: ago(5_000) }), NOW)).toEqual([
      '- iMessage default: enabled, configured, rpc listening',
      '    restarts 0 · last inbound 3m ago · last outbound 5s ago · imsg 0.9.0 · pid 4242',
    ]);
  });

  it('backing off shows the retry countdown, the last error and its fix', () => {
    const lines = formatAccountHealth(
      account({
        accountId: 'work',
        name: 'Work Mac',
        state: 'backing-off',
        pid: null,
        restarts: 2,
        retryAt: new Date(NOW + 7_200).toISOString(),
        lastError: { message: 'imsg rpc exited (code 1)', fix: 'Check `imsg chats --limit 1` in a terminal.', fatal: false, at: ago(1000) },
        warnings: ['no mention patterns configured'],
      }),
      NOW,
    );
    expect(lines).toEqual([
      '- iMessage work (Work Mac): enabled, configured, backing off (retry in 8s)',
      '    restarts 2 · last inbound never · last outbound never · imsg 0.9.0',
      '    Last error: imsg rpc exited (code 1)',
      '    Fix: Check `imsg chats --limit 1` in a terminal.',
      '    Warning: no mention patterns configured',
    ]);
  });

  it('a failed account names the failure in the status and gives the fix', () => {
    const lines = formatAccountHealth(
      account({
        state: 'failed-fatal',
        pid: null,
        imsgVersion: null,
        simulated: true,
        lastError: { message: 'imsg not found (imsg)', fix: 'Install imsg with `brew install steipete/tap/imsg`.', fatal: true, at: ago(0) },
      }),
      NOW,
    );
    expect(lines).toEqual([
      '- iMessage default (simulated): enabled, configured, failed: imsg not found (imsg)',
      '    restarts 0 · last inbound never · last outbound never',
      '    Fix: Install imsg with `brew install steipete/tap/imsg`.',
    ]);
  });

  it('disabled and unconfigured accounts are one line', () => {
    expect(formatAccountHealth(account({ enabled: false, state: 'stopped' }), NOW)).toEqual(['- iMessage default: disabled, configured']);
    expect(formatConfiguredAccount({ accountId: 'default', enabled: true, configured: false })).toBe('- iMessage default: enabled, not configured');
  });

  it('probe checks get ✓/✗ and the fix under a failure', () => {
    const probe: ProbeResult = {
      ok: false,
      fatal: true,
      error: "imsg CLI does not support 'rpc' subcommand",
      checks: [
        { id: 'binary', ok: true, detail: 'found /opt/homebrew/bin/imsg' },
        { id: 'rpc-support', ok: false, detail: "imsg CLI does not support 'rpc' subcommand", fix: 'Upgrade imsg with `brew upgrade steipete/tap/imsg`.' },
      ],
      durationMs: 12,
      at: ago(0),
    };
    expect(formatProbe(probe)).toEqual([
      '    ✓ binary: found /opt/homebrew/bin/imsg',
      "    ✗ rpc-support: imsg CLI does not support 'rpc' subcommand",
      '      Fix: Upgrade imsg with `brew upgrade steipete/tap/imsg`.',
    ]);
  });

  it('the live view: header, model, pending requests, then the accounts', () => {
    const status: GatewayStatus = {
      now: new Date(NOW).toISOString(),
      version: '0.1.0',
      pid: 100,
      startedAt: ago(60_000),
      demo: false,
      bind: '127.0.0.1',
      port: 18789,
      configPath: '/Users/me/.clawdbot/clawdbot.json',
      stateDir: '/Users/me/.clawdbot',
      configError: null,
      model: null,
      modelError: null,
      accounts: [account()],
      pendingPairing: 2,
      maxPendingPairing: 3,
    };
    expect(renderLive(status, 'http://127.0.0.1:18789', undefined, NOW)).toEqual([
      'Gateway reachable: http://127.0.0.1:18789 (pid 100, version 0.1.0).',
      'Config: /Users/me/.clawdbot/clawdbot.json',
      'Model: none configured: incoming messages are logged, not answered',
      'Pending pairing requests: 2 (see `clawdbot pairing list imessage`)',
      '',
      '- iMessage default: enabled, configured, rpc listening',
      '    restarts 0 · last inbound never · last outbound never · imsg 0.9.0 · pid 4242',
    ]);
  });

  it('ages', () => {
    expect(formatAge(ago(59_000), NOW)).toBe('59s');
    expect(formatAge(ago(61 * 60_000), NOW)).toBe('1h');
    expect(formatAge(ago(3 * 86_400_000), NOW)).toBe('3d');
    expect(formatAge(new Date(NOW + 5000).toISOString(), NOW)).toBe('0s');
  });
});
