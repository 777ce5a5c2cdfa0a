// What `clawdbot gateway` prints and serves for signing in (a real gateway process):
//   - the token is printed nowhere (whoever has it can act as the person): the banner gives a
//     one-time sign-in link and says where the token file is;
//   - the link's code is exchanged for the token once (POST /sign-in); a used one says where the
//     token is instead; GET /sign-in tells the web UI where the token really is;
//   - after a plain `npm install` (the CLI built, the web UI not), the printed address says how to
//     build the UI instead of "Not found.".
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readToken } from '../../main/gateway/auth';
import { repoRoot, startGatewayProcess, waitFor, workspace, type GatewayProcess, type Workspace } from './harness';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function ws(): Workspace {
  const w = workspace({ imessage: { enabled: false } });
  cleanups.push(() => w.cleanup());
  return w;
}

/**
 * A copy of the checkout as an install leaves it (package.json, bin/, the CLI bundle), with or
 * without a web UI build: the gateway serves `<checkout>/out/renderer`.
 */
function checkout(w: Workspace, webUi: boolean): string {
  const root = join(w.dir, 'checkout');
  mkdirSync(join(root, 'out'), { recursive: true });
  cpSync(join(repoRoot, 'package.json'), join(root, 'package.json'));
  cpSync(join(repoRoot, 'bin'), join(root, 'bin'), { recursive: true });
  cpSync(join(repoRoot, 'out', 'node'), join(root, 'out', 'node'), { recursive: true });
  if (webUi) {
    mkdirSync(join(root, 'out', 'renderer'), { recursive: true });
    writeFileSync(join(root, 'out', 'renderer', 'index.html'), '<!doctype html><title>Clawdbot</title>');
  }
  return join(root, 'bin', 'clawdbot.js');
}

async function gateway(w: Workspace, options: Parameters<typeof startGatewayProcess>[2] = {}): Promise<GatewayProcess> {
  const g = await startGatewayProcess(w, [], options);
  cleanups.push(() => g.stop());
  await waitFor('the banner', () => g.stderr().includes('Press Ctrl-C to stop.'));
  return g;
}

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${url}/sign-in`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });

describe('signing in to the web UI', () => {
  it('prints a one-time sign-in link and where the token is, never the token', async () => {
    const w = ws();
    const g = await gateway(w, { cli: checkout(w, true) });
    expect((await fetch(`${g.instance.url}/`)).status).toBe(200);
    const token = (await readToken(w.stateDir))!;
    const tokenFile = join(w.stateDir, 'gateway.token');
    expect(g.stderr() + g.stdout()).not.toContain(token);
    expect(g.stderr()).toContain(`Token:    the file ${tokenFile} (whoever has it can use this gateway as you`);
    const code = new RegExp(`Web UI: {3}${g.instance.url.replace(/[.]/g, '\\.')}/#signin=([A-Za-z0-9_-]{43})\\n`).exec(g.stderr())?.[1];
    expect(code).toBeDefined();

    // The web UI's side: where the token is, then the code exchanged for it, once.
    expect(await (await fetch(`${g.instance.url}/sign-in`)).json()).toEqual({ tokenAt: `the file ${tokenFile}` });
    expect(await (await post(g.instance.url, { code }, { Origin: 'http://evil.example' })).status).toBe(403);
    const first = await post(g.instance.url, { code });
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ token });
    const again = await post(g.instance.url, { code });
    expect(again.status).toBe(401);
    expect(await again.json()).toEqual({
      ok: false,
      error: { code: 'unauthorized', message: 'This sign-in link was already used or has expired.', fix: `Sign in with the gateway token from the file ${tokenFile}.` },
    });
    expect((await post(g.instance.url, { code: 'x'.repeat(2000) })).status).toBe(400);
  });

  it('names the variable when the token comes from the environment', async () => {
    const w = ws();
    const token = 'env-token-for-the-banner-Wq3Zr8Kp5Lm2';
    const g = await gateway(w, { env: { ...w.env, CLAWDBOT_GATEWAY_TOKEN: token } });
    expect(g.stderr()).not.toContain(token);
    expect(g.stderr()).toContain('Token:    the CLAWDBOT_GATEWAY_TOKEN environment variable the gateway was started with');
  });

  it('after a plain install (CLI built, web UI not), the printed address says how to build the UI', async () => {
    const w = ws();
    const g = await gateway(w, { cli: checkout(w, false) });
    const root = join(w.dir, 'checkout');
    expect(g.stderr()).toContain(`Web UI:   not built yet: run \`npm run build\` in the checkout, then open ${g.instance.url}/`);
    for (const path of ['/', '/index.html', '/pairing']) {
      const page = await fetch(`${g.instance.url}${path}`);
      expect(page.status, path).toBe(503);
      expect(await page.text(), path).toBe(`The web UI is not built yet. Run \`npm run build\` in ${root}, then reload this page.\n`);
    }
  });
});
