// The web UI in Debian Chromium against the real gateway (startGateway with simulator-backed
// accounts; see support/test-gateway.ts). Needs `npx electron-vite build` and `npm run build:node`.
import { expect, test, type Page } from '@playwright/test';
import WebSocket from 'ws';
import { createControlClient } from '../contract/control-client';
import { startTestGateway, type TestGateway } from './support/test-gateway';

let gateway: TestGateway;
let consoleErrors: string[];
/** Console errors a test expects (the browser itself logs refused WebSocket connections). */
let expectedConsoleErrors: RegExp | null;

test.beforeEach(async ({ page }) => {
  consoleErrors = [];
  expectedConsoleErrors = null;
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));
});

test.afterEach(async () => {
  await gateway?.close();
  expect(consoleErrors.filter((text) => !expectedConsoleErrors?.test(text))).toEqual([]);
});

/** The token the page kept in sessionStorage (this project has no DOM types, hence the cast). */
function storedToken(page: Page): Promise<string | null> {
  type WithStorage = { sessionStorage: { getItem(key: string): string | null } };
  return page.evaluate(() => (globalThis as unknown as WithStorage).sessionStorage.getItem('clawdbot.gatewayToken'));
}

function pendingRow(page: Page, code: string) {
  return page.locator(`tr[data-code="${code}"]`);
}

test('shows the gateway, its accounts and a pending request; the token leaves the address bar', async ({ page }) => {
  gateway = await startTestGateway({
    demo: true,
    accounts: [
      { id: 'default', name: 'Personal' },
      // Its `imsg rpc` dies at once: the gateway keeps retrying it with backoff.
      { id: 'work', imsg: 'crashing' },
    ],
  });
  const request = await gateway.simulate.pairingRequest('+15550001111');

  await page.goto(gateway.uiUrl);

  await expect(page.getByRole('heading', { name: 'Clawdbot gateway' })).toBeVisible();
  await expect(page.getByRole('status', { name: 'Gateway connection: Connected' })).toBeVisible();
  await expect(page.getByText('Simulated Messages account')).toBeVisible();

  const personal = page.getByRole('listitem', { name: 'Account Personal' });
  await expect(personal.getByTestId('account-state')).toHaveText('Listening');
  await expect(personal.getByText('Simulated')).toBeVisible();
  // The stranger's message was the last inbound one.
  await expect(personal.locator('dd').nth(2)).toHaveText(/^(just now|\d+ s ago)$/);
  const work = page.getByRole('listitem', { name: 'Account work' });
  await expect(work.getByTestId('account-state')).toHaveText('Retrying');
  await expect(work.getByTestId('account-error')).toContainText('imsg rpc exited (code 1): imsg: lost the connection to Messages');
  await expect(work).toContainText('no mention patterns configured');

  await expect(page.getByRole('heading', { name: 'Pending pairing requests (1)' })).toBeVisible();
  const row = pendingRow(page, request.code);
  await expect(row).toContainText('+15550001111');
  await expect(row.locator('td').nth(3)).toHaveText(/^(60:00|59:[0-5]\d)$/);
  await expect(row.getByRole('button', { name: `Approve +15550001111 (code ${request.code})` })).toBeEnabled();

  // The token is kept for this tab only and no longer in the URL.
  expect(page.url()).toBe(`${gateway.url}/`);
  expect(await storedToken(page)).toBe(gateway.token);
  await page.reload();
  await expect(page.getByRole('status', { name: 'Gateway connection: Connected' })).toBeVisible();
});

test('Approve calls the gateway and the row goes away when it pushes the change', async ({ page }) => {
  gateway = await startTestGateway();
  const first = await gateway.simulate.pairingRequest('+15550001111');
  const second = await gateway.simulate.pairingRequest('someone@example.com');
  await page.goto(gateway.uiUrl);
  await expect(pendingRow(page, first.code)).toBeVisible();
  await expect(pendingRow(page, second.code)).toBeVisible();

  await page.getByRole('button', { name: `Approve +15550001111 (code ${first.code})` }).click();

  await expect(pendingRow(page, first.code)).toHaveCount(0);
  await expect(page.getByText('Approved +15550001111. They can chat with the assistant now.')).toBeVisible();
  await expect(pendingRow(page, second.code)).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Pending pairing requests (1)' })).toBeVisible();
  expect(await gateway.simulate.approvedSenders()).toEqual(['+15550001111']);
  expect((await gateway.simulate.pendingRequests()).map((r) => r.code)).toEqual([second.code]);

  await page.getByRole('button', { name: `Deny someone@example.com (code ${second.code})` }).click();
  await expect(page.getByText('No pending pairing requests.')).toBeVisible();
  expect(await gateway.simulate.approvedSenders()).toEqual(['+15550001111']);
});

test('follows changes made elsewhere without a reload (pushed events)', async ({ page }) => {
  gateway = await startTestGateway();
  const request = await gateway.simulate.pairingRequest('+15550001111');
  await page.goto(gateway.uiUrl);
  await expect(pendingRow(page, request.code)).toBeVisible();

  // The owner approves from the CLI: another control client.
  const cli = createControlClient({ url: gateway.wsUrl, token: gateway.token, WebSocket, clientName: 'cli' });
  await cli.ready;
  await cli.request('pairing.approve', { code: request.code });
  await expect(pendingRow(page, request.code)).toHaveCount(0);
  cli.close();

  // A new sender asks for access.
  const next = await gateway.simulate.pairingRequest('+15550003333');
  await expect(pendingRow(page, next.code)).toContainText('+15550003333');

  // The channel fails (the config now points at an imsg without `rpc`) and recovers.
  await gateway.simulate.imsg('default', 'too-old');
  const card = page.getByRole('listitem', { name: 'Account Personal' });
  await expect(card.getByTestId('account-state')).toHaveText('Failed', { timeout: 10_000 });
  await expect(card.getByTestId('account-error')).toContainText("imsg CLI does not support 'rpc' subcommand");
  await expect(card.getByTestId('account-error')).toContainText('Fix: Upgrade imsg with `brew upgrade steipete/tap/imsg`');
  await gateway.simulate.imsg('default', 'working');
  await expect(card.getByTestId('account-state')).toHaveText('Listening', { timeout: 10_000 });
  // The old failure stays visible as history, no longer as a problem with a fix.
  await expect(card.getByTestId('account-error')).toContainText("Recovered from: imsg CLI does not support 'rpc' subcommand");
  await expect(card.getByTestId('account-error')).not.toContainText('Fix:');
});

test('a wrong token shows a clear error, and pasting the right one connects', async ({ page }) => {
  gateway = await startTestGateway();
  await gateway.simulate.pairingRequest('+15550001111');
  await page.goto(`${gateway.url}/#token=not-the-right-token-0123456789`);

  await expect(page.getByRole('heading', { name: 'Wrong gateway token' })).toBeVisible();
  await expect(page.getByRole('status', { name: 'Gateway connection: Wrong token' })).toBeVisible();
  // Nothing from the gateway is shown.
  await expect(page.getByRole('heading', { name: /Pending pairing requests/ })).toHaveCount(0);
  expect(await storedToken(page)).toBeNull();

  await page.getByRole('textbox', { name: 'Gateway token' }).fill(gateway.token);
  await page.getByRole('button', { name: 'Connect' }).click();
  await expect(page.getByRole('status', { name: 'Gateway connection: Connected' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Pending pairing requests (1)' })).toBeVisible();
});

test('without a token the page says what to do', async ({ page }) => {
  gateway = await startTestGateway();
  await page.goto(`${gateway.url}/`);
  await expect(page.getByRole('heading', { name: 'No gateway token' })).toBeVisible();
  await expect(page.getByText('gateway.token')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Connect' })).toBeDisabled();
});

test('shows the lost connection and reconnects when the gateway comes back', async ({ page }) => {
  gateway = await startTestGateway();
  await page.goto(gateway.uiUrl);
  await expect(page.getByRole('status', { name: 'Gateway connection: Connected' })).toBeVisible();

  expectedConsoleErrors = /^WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/ws' failed: .*ERR_CONNECTION_REFUSED$/;
  const restarted = gateway.restart(1_500);
  await expect(page.getByRole('heading', { name: 'Not connected to the gateway' })).toBeVisible();
  await expect(page.getByText(/Retrying/)).toBeVisible();
  await restarted;
  const request = await gateway.simulate.pairingRequest('+15550004444');
  await expect(page.getByRole('status', { name: 'Gateway connection: Connected' })).toBeVisible({ timeout: 10_000 });
  await expect(pendingRow(page, request.code)).toBeVisible();
});
