// The window's connection to the gateway in Debian Chromium against the real gateway (startGateway
// with simulator-backed accounts; see support/test-gateway.ts): the token leaving the address bar,
// a wrong or missing token, a gateway restart (shown, then reconnected, with what changed
// meanwhile), and the Back button between screens.
// Needs `npm run build` (the renderer) and `npm run build:node` (the simulator).
import { expect, test, type Page } from '@playwright/test';
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

test('connects with the token from the link; the token leaves the address bar and survives a reload', async ({ page }) => {
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

  await expect(page.getByRole('status', { name: 'Gateway connection: Connected' })).toBeVisible();
  await expect(page.getByText('Simulated', { exact: true }).first()).toBeVisible();
  // Someone is waiting: the first screen is Pairing.
  await expect(page.getByRole('heading', { level: 1, name: 'Pairing' })).toBeVisible();
  await expect(page.getByRole('listitem', { name: 'Request from +15550001111' })).toContainText(request.code);

  // The token is kept for this tab only and no longer in the URL.
  expect(page.url()).toBe(`${gateway.url}/#screen=pairing`);
  expect(await storedToken(page)).toBe(gateway.token);
  await page.reload();
  await expect(page.getByRole('status', { name: 'Gateway connection: Connected' })).toBeVisible();
  await expect(page.getByRole('heading', { level: 1, name: 'Pairing' })).toBeVisible();

  await page.getByRole('link', { name: 'Health' }).click();
  const work = page.getByRole('listitem', { name: 'Account work' });
  await expect(work.getByTestId('account-state')).toHaveText('Retrying');
  await expect(work.getByTestId('account-error')).toContainText('imsg rpc exited (code 1): imsg: lost the connection to Messages');
  await expect(work).toContainText('no mention patterns configured');
  // Back returns to the previous screen.
  await page.goBack();
  await expect(page.getByRole('heading', { level: 1, name: 'Pairing' })).toBeVisible();
});

test('a wrong token shows a clear error and nothing else; pasting the right one connects', async ({ page }) => {
  gateway = await startTestGateway();
  await gateway.simulate.pairingRequest('+15550001111');
  await page.goto(`${gateway.url}/#token=not-the-right-token-0123456789`);

  await expect(page.getByRole('heading', { name: 'Wrong gateway token' })).toBeVisible();
  await expect(page.getByRole('status', { name: 'Gateway connection: Wrong token' })).toBeVisible();
  // Nothing from the gateway is shown.
  await expect(page.getByRole('navigation', { name: 'Screens' })).toHaveCount(0);
  await expect(page.getByText('+15550001111')).toHaveCount(0);
  expect(await storedToken(page)).toBeNull();

  await page.getByRole('textbox', { name: 'Gateway token' }).fill(gateway.token);
  await page.getByRole('button', { name: 'Connect' }).click();
  await expect(page.getByRole('status', { name: 'Gateway connection: Connected' })).toBeVisible();
  await expect(page.getByRole('listitem', { name: 'Request from +15550001111' })).toBeVisible();
});

test('without a token the page says what to do', async ({ page }) => {
  gateway = await startTestGateway();
  await page.goto(`${gateway.url}/`);
  await expect(page.getByRole('heading', { name: 'No gateway token' })).toBeVisible();
  await expect(page.getByText('gateway.token')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Connect' })).toBeDisabled();
});

test('shows the lost connection (the last status kept, dimmed) and reconnects when the gateway comes back', async ({ page }) => {
  gateway = await startTestGateway();
  await page.goto(`${gateway.uiUrl}&screen=pairing`);
  await expect(page.getByRole('status', { name: 'Gateway connection: Connected' })).toBeVisible();

  expectedConsoleErrors = /^WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/ws' failed: .*ERR_CONNECTION_REFUSED$/;
  const restarted = gateway.restart(1_500);
  await expect(page.getByRole('heading', { name: 'Not connected to the gateway' })).toBeVisible();
  await expect(page.getByText(/Retrying/)).toBeVisible();
  await expect(page.getByRole('heading', { level: 1, name: 'Pairing' })).toBeVisible();
  await restarted;
  const request = await gateway.simulate.pairingRequest('+15550004444');
  await expect(page.getByRole('status', { name: 'Gateway connection: Connected' })).toBeVisible({ timeout: 10_000 });
  await expect(page.getByRole('listitem', { name: 'Request from +15550004444' })).toContainText(request.code);
  await expect(page.getByRole('heading', { name: 'Not connected to the gateway' })).toHaveCount(0);
});
