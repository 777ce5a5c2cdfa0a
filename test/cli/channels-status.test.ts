// `clawdbot channels status [--probe] [--json]` as a user runs it: no gateway (config-only), a
// running gateway with a working simulator account, and a gateway whose account cannot start.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startGatewayProcess, workspace, type GatewayProcess, type Workspace } from '../gateway/harness';

describe('channels status without a gateway', () => {
  let ws: Workspace;
  beforeAll(() => {
    ws = workspace();
  });
  afterAll(() => ws.cleanup());

  it('shows the config-only status and says how to start the gateway (exit 1)', async () => {
    const result = await runCli(['channels', 'status'], ws.env);
    expect(result.stdout).toBe(
      [
        'Gateway not running; showing config-only status. Start it with `clawdbot gateway` (or open the Clawdbot app).',
        `Config: ${ws.configPath}`,
        '',
        '- iMessage default: enabled, configured',
        '',
      ].join('\n'),
    );
    expect(result.code).toBe(1);
  });

  it('--probe checks the account directly', async () => {
    const result = await runCli(['channels', 'status', '--probe'], ws.env);
    expect(result.stdout).toContain('- iMessage default: enabled, configured, works');
    expect(result.stdout).toMatch(/✓ binary: found .*imsg/);
    expect(result.stdout).toContain(`✓ database: imsg opened ${ws.dbPath}`);
    expect(result.stdout).toMatch(/✓ rpc-answers: chats\.list answered in \d+ ms/);
  });

  it('--json says the gateway is not running and lists the configured accounts', async () => {
    const result = await runCli(['channels', 'status', '--json'], ws.env);
    expect(JSON.parse(result.stdout)).toEqual({
      gateway: { running: false, reason: 'not running' },
      configPath: ws.configPath,
      configExists: true,
      healthy: false,
      accounts: [{ accountId: 'default', enabled: true, configured: true, cliPath: expect.stringMatching(/imsg$/), dbPath: ws.dbPath }],
    });
  });
});

describe('channels status with a running gateway', () => {
  let ws: Workspace;
  let gateway: GatewayProcess;
  beforeAll(async () => {
    ws = workspace({ imessage: { name: 'Home Mac' } });
    gateway = await startGatewayProcess(ws);
  });
  afterAll(async () => {
    await gateway?.stop();
    ws.cleanup();
  });

  it('prints the gateway and the listening account (exit 0)', async () => {
    const result = await runCli(['channels', 'status'], ws.env);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe(`Gateway reachable: ${gateway.instance.url} (pid ${gateway.instance.pid}, version 0.1.0).`);
    expect(lines).toContain(`Config: ${ws.configPath}`);
    expect(lines).toContain('Model: none configured: incoming messages are logged, not answered');
    expect(lines).toContain('- iMessage default (Home Mac): enabled, configured, rpc listening');
    expect(result.stdout).toMatch(/ {4}restarts 0 · last inbound never · last outbound never · imsg 0\.9\.0 · pid \d+\n/);
    expect(result.code).toBe(0);
  });

  it('--probe asks the gateway and appends "works"', async () => {
    const result = await runCli(['channels', 'status', '--probe'], ws.env);
    expect(result.stdout).toContain('- iMessage default (Home Mac): enabled, configured, rpc listening, works');
    expect(result.stdout).toMatch(/✓ rpc-support: /);
    expect(result.code).toBe(0);
  });

  it('--json carries the gateway status with the account health', async () => {
    const result = await runCli(['channels', 'status', '--json'], ws.env);
    const json = JSON.parse(result.stdout);
    expect(json.gateway).toEqual({ running: true, url: gateway.instance.url, pid: gateway.instance.pid, version: '0.1.0' });
    expect(json.healthy).toBe(true);
    expect(json.demo).toBe(false);
    expect(json.status.accounts).toHaveLength(1);
    expect(json.status.accounts[0]).toMatchObject({ accountId: 'default', name: 'Home Mac', state: 'listening', enabled: true, configured: true, simulated: false });
    expect(typeof json.status.accounts[0].pid).toBe('number');
  });
});

describe('channels status with an account that cannot start', () => {
  let ws: Workspace;
  let gateway: GatewayProcess;
  beforeAll(async () => {
    ws = workspace({ imessage: { cliPath: '/nonexistent/bin/imsg' } });
    gateway = await startGatewayProcess(ws);
  });
  afterAll(async () => {
    await gateway?.stop();
    ws.cleanup();
  });

  it('shows the failure with the brew fix (exit 1)', async () => {
    const result = await runCli(['channels', 'status'], ws.env);
    expect(result.stdout).toContain('- iMessage default: enabled, configured, failed: imsg not found (/nonexistent/bin/imsg)');
    expect(result.stdout).toContain('    Fix: Install imsg with `brew install steipete/tap/imsg`');
    expect(result.stdout).toContain('Run `clawdbot channels status --probe` for each check and its fix.');
    expect(result.code).toBe(1);
  });

  it('--probe prints the failed check and its fix', async () => {
    const result = await runCli(['channels', 'status', '--probe'], ws.env);
    expect(result.stdout).toContain('failed: imsg not found (/nonexistent/bin/imsg), probe failed');
    expect(result.stdout).toContain('    ✗ binary: imsg not found (/nonexistent/bin/imsg)');
    expect(result.stdout).toContain('      Fix: Install imsg with `brew install steipete/tap/imsg`');
    expect(result.code).toBe(1);
  });
});
