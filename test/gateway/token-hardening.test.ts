// The gateway token as a real gateway process takes it: a token without randomness from the
// environment is refused with a fix (43 × "A" was accepted), and a token file that is a symlink
// is read through the link without changing the mode of the file it points to (the target used
// to be chmod'ed to 0600).
import { chmodSync, lstatSync, mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, startGatewayProcess, workspace, type Workspace } from './harness';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function ws(): Workspace {
  const w = workspace();
  cleanups.push(() => w.cleanup());
  return w;
}

describe('the gateway token', () => {
  it('refuses a token without randomness from the environment or the config, with the fix', async () => {
    const w = ws();
    for (const token of ['A'.repeat(43), 'abababababababababababab', '0000000000000000']) {
      const result = await runCli(['gateway', '--port', '0'], { ...w.env, CLAWDBOT_GATEWAY_TOKEN: token });
      expect(result.code, token).toBe(1);
      expect(result.stderr).toContain('The gateway token from the CLAWDBOT_GATEWAY_TOKEN environment variable is unusable: it has almost no randomness');
      expect(result.stderr).toContain('openssl rand -base64 32');
    }
    w.writeConfig({ channels: { imessage: { enabled: false } }, gateway: { auth: { token: 'x'.repeat(43) } } });
    const fromConfig = await runCli(['gateway', '--port', '0'], w.env);
    expect(fromConfig.code).toBe(1);
    expect(fromConfig.stderr).toContain('gateway.auth.token in the config file is unusable: it has almost no randomness');
  });

  it('accepts the tokens people generate (openssl, uuidgen) and the ones it generates', async () => {
    const w = ws();
    for (const token of ['7d3f0c1e9a8b4c2d5e6f7a8b9c0d1e2f', 'c0a8e3d2-5b1f-4e6a-9c7d-2f8e1b3a4c5d', 'q3J8vZ0mXr2LwP9sT4yK1bN6hD5gF7cA8eR0uI2oQ1w=']) {
      const gateway = await startGatewayProcess(w, [], { env: { ...w.env, CLAWDBOT_GATEWAY_TOKEN: token } });
      const client = await fetch(`${gateway.instance.url}/health`, { headers: { Authorization: `Bearer ${token}` } });
      expect(client.status, token).toBe(200);
      await gateway.stop();
    }
  });

  it('reads a symlinked token file through the link and leaves the target\'s mode alone', async () => {
    const w = ws();
    const elsewhere = join(w.dir, 'secrets');
    mkdirSync(elsewhere, { mode: 0o755 });
    const target = join(elsewhere, 'clawdbot-token');
    writeFileSync(target, 'my-own-token-kept-in-my-secrets-folder-9f8e7d\n');
    chmodSync(target, 0o644);
    mkdirSync(w.stateDir, { recursive: true });
    symlinkSync(target, join(w.stateDir, 'gateway.token'));

    const gateway = await startGatewayProcess(w);
    cleanups.push(() => gateway.stop());
    const health = await fetch(`${gateway.instance.url}/health`, { headers: { Authorization: 'Bearer my-own-token-kept-in-my-secrets-folder-9f8e7d' } });
    expect(health.status).toBe(200);
    expect(lstatSync(join(w.stateDir, 'gateway.token')).isSymbolicLink()).toBe(true);
    expect(statSync(target).mode & 0o777).toBe(0o644);
    expect(gateway.stderr()).toContain('the gateway token file is readable by other users');
    expect(gateway.stderr()).toContain(target);
  });
});
