// The onboarding wizard in Chromium against the real gateway: a first run (a fresh state dir, no
// config) walked from the welcome to an account listening, in the browser (the native steps as
// the gateway sees them) and with a fake preload bridge (the app: macOS permission states, System
// Settings, relaunch, launch at login, trying a simulated Messages account first).
// Needs `npm run build` (the renderer) and `npm run build:node` (the simulator).
import type { Page } from '@playwright/test';
import { bridgeCalls, installFakeBridge, pushBridgeEvent } from './support/fake-bridge';
import { expect, test } from './support/fixtures';
import { checkScreen } from './support/screens';

function stepHeading(page: Page, name: string) {
  return page.getByRole('heading', { level: 1, name, exact: true });
}

async function next(page: Page, label = 'Continue'): Promise<void> {
  await page.getByRole('button', { name: label, exact: true }).click();
}

test('browser: a first run walks every step and ends with the account listening', async ({ page, startGateway }) => {
  test.setTimeout(90_000);
  const gateway = await startGateway({ fresh: true });
  await page.goto(gateway.uiUrl);

  await expect(stepHeading(page, 'Welcome to Clawdbot')).toBeVisible();
  await expect(page.getByText('Replies stop while the gateway is not running')).toBeVisible();
  // A browser has no bridge: the app's simulated-account switch is not offered.
  await expect(page.getByRole('button', { name: 'Try it with a simulated Messages account' })).toHaveCount(0);
  await next(page, 'Set up');

  // imsg: no account yet, so nothing checked; the person points at their imsg.
  await expect(stepHeading(page, 'imsg')).toBeVisible();
  await expect(page.locator('.check').first()).toBeVisible();
  await page.getByText('imsg is installed somewhere else').click();
  await page.getByRole('textbox', { name: 'imsg path' }).fill(gateway.imsgPaths.working);
  await page.getByRole('button', { name: 'Use this imsg' }).click();
  await expect(page.locator('.check[data-state="ok"]')).toBeVisible({ timeout: 15_000 });
  await next(page);

  await expect(stepHeading(page, 'Messages')).toBeVisible();
  await expect(page.locator('.check[data-state="ok"]')).toBeVisible();
  await next(page);

  // Not a Mac: Full Disk Access does not apply here, and the browser offers no native button.
  await expect(stepHeading(page, 'Full Disk Access')).toBeVisible();
  await expect(page.locator('.check[data-state="not-applicable"], .check[data-state="ok"]')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Open System Settings' })).toHaveCount(0);
  await next(page);

  await expect(stepHeading(page, 'Automation')).toBeVisible();
  await page.getByRole('textbox', { name: 'Send a test message to' }).fill('+15555550123');
  await page.getByRole('button', { name: 'Send test message' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Sent to +15555550123' })).toBeVisible({ timeout: 15_000 });
  expect(gateway.simulate.sent().some((row) => row.to === '+15555550123')).toBe(true);
  await next(page);

  await expect(stepHeading(page, 'Where imsg runs')).toBeVisible();
  await expect(page.getByRole('radio', { name: 'This Mac' })).toBeChecked();
  await expect(page.getByRole('textbox', { name: 'imsg path' })).toHaveValue(gateway.imsgPaths.working);
  await next(page);

  await expect(stepHeading(page, 'Who may talk to the assistant')).toBeVisible();
  await expect(page.getByRole('radio', { name: 'Pairing (recommended)' })).toBeChecked();
  await next(page, 'Save and continue');

  await expect(stepHeading(page, 'Model (optional)')).toBeVisible();
  await next(page, 'Skip for now');

  await expect(stepHeading(page, 'All set')).toBeVisible();
  await expect(page.getByRole('list', { name: 'Summary' })).toContainText('Listening', { timeout: 15_000 });
  await next(page, 'Finish');
  await expect(page.getByRole('heading', { level: 1, name: 'Health' })).toBeVisible();
  await expect(page.getByRole('listitem', { name: 'Account default' }).getByTestId('account-state')).toHaveText('Listening');
  // Finished: a reload goes to the screens, not back to the wizard.
  await page.reload();
  await expect(page.getByRole('heading', { level: 1, name: 'Health' })).toBeVisible();
});

test('browser: a first run opens the wizard; steps the gateway cannot check yet say so and never block', async ({ page, startGateway }) => {
  const gateway = await startGateway({ fresh: true });
  await page.goto(gateway.uiUrl);
  await expect(stepHeading(page, 'Welcome to Clawdbot')).toBeVisible();
  await expect(page).toHaveURL(/#screen=onboarding&step=welcome$/);
  await next(page, 'Set up');
  await expect(stepHeading(page, 'imsg')).toBeVisible();
  // This gateway answers `unavailable` for setup.* today, or the check when it has them.
  await expect(page.getByRole('heading', { name: 'This gateway cannot run the setup checks yet' }).or(page.locator('.check')).first()).toBeVisible();

  // Resumable: a reload comes back to the same step.
  await page.reload();
  await expect(stepHeading(page, 'imsg')).toBeVisible();
  for (const title of ['Messages', 'Full Disk Access', 'Automation', 'Where imsg runs']) {
    await next(page);
    await expect(stepHeading(page, title)).toBeVisible();
  }
  // The browser has no native buttons: the System Settings pane is named in words where needed.
  await expect(page.getByRole('button', { name: 'Restart Clawdbot' })).toHaveCount(0);
});

test('app (fake bridge): a simulated account first and back, the native steps show what macOS says, open System Settings, relaunch, launch at login', async ({ page, startGateway }) => {
  const gateway = await startGateway({ fresh: true });
  const checkedAt = new Date().toISOString();
  await installFakeBridge(page, {
    connection: { url: gateway.url, wsUrl: gateway.wsUrl, token: gateway.token, mode: 'hosted' },
    permissions: {
      permissions: [
        { id: 'full-disk-access', state: 'denied', detail: 'chat.db cannot be read: operation not permitted (EPERM).', fix: { text: 'Turn on Clawdbot in Full Disk Access.' } },
        { id: 'automation', state: 'unknown', detail: 'Not asked yet: macOS asks the first time Clawdbot sends.' },
      ],
      restartSuggested: false,
      checkedAt,
    },
  });
  // The app's window: the address has no token (the bridge gives it).
  await page.goto(`${gateway.url}/`);
  await expect(stepHeading(page, 'Welcome to Clawdbot')).toBeVisible();
  await expect(page.getByText('Replies stop while Clawdbot is not running')).toBeVisible();
  await expect(page.getByRole('status', { name: 'Gateway connection: Connected' })).toBeVisible();

  // Not ready to grant anything: the person tries a simulated Messages account first. Main restarts
  // the gateway (the fake tells the window there is none for a moment, then where it is): the
  // window reconnects and offers the way back.
  const tryIt = page.getByRole('button', { name: 'Try it with a simulated Messages account' });
  await checkScreen(page, 'onboarding-welcome-app', () => expect(tryIt).toBeVisible());
  await tryIt.click();
  await expect.poll(() => bridgeCalls(page, 'gateway.useSimulated')).toEqual([true]);
  const back = page.getByRole('button', { name: 'Use my real Messages account' });
  await expect(back).toBeVisible();
  await expect(page.getByRole('status', { name: 'Gateway connection: Connected' })).toBeVisible();
  await back.click();
  await expect.poll(() => bridgeCalls(page, 'gateway.useSimulated')).toEqual([true, false]);
  await expect(tryIt).toBeVisible();
  await expect(page.getByRole('status', { name: 'Gateway connection: Connected' })).toBeVisible();

  await next(page, 'Set up');
  await next(page);
  await next(page);

  await expect(stepHeading(page, 'Full Disk Access')).toBeVisible();
  const mac = page.locator('.native-permission');
  await expect(mac.locator('.check[data-state="denied"]')).toContainText('operation not permitted');
  await expect.poll(() => bridgeCalls(page, 'permissions.watch')).toEqual([true]);
  await mac.getByRole('button', { name: 'Open System Settings' }).click();
  await expect.poll(() => bridgeCalls(page, 'settings.open')).toEqual(['full-disk-access']);
  // The person turns it on; main's re-check says so, and that a restart applies it.
  await pushBridgeEvent(page, 'permissions', {
    permissions: [
      { id: 'full-disk-access', state: 'ok', detail: 'chat.db is readable.' },
      { id: 'automation', state: 'unknown', detail: 'Not asked yet.' },
    ],
    restartSuggested: true,
    checkedAt,
  });
  await expect(mac.locator('.check[data-state="ok"]')).toContainText('chat.db is readable.');
  await page.getByRole('button', { name: 'Restart Clawdbot' }).click();
  await expect.poll(() => bridgeCalls(page, 'app.relaunch')).toHaveLength(1);

  await next(page);
  await expect(stepHeading(page, 'Automation')).toBeVisible();
  await expect(page.locator('.native-permission .check[data-state="unknown"]')).toContainText('Not asked yet.');
  await expect.poll(() => bridgeCalls(page, 'permissions.watch')).toEqual([true, false, true]);
  // Progress is kept in the app's preferences.
  await expect.poll(async () => (await bridgeCalls(page, 'onboarding.set')).at(-1)).toEqual({ step: 'automation', completedAt: null });

  for (const title of ['Where imsg runs', 'Who may talk to the assistant']) {
    await next(page);
    await expect(stepHeading(page, title)).toBeVisible();
  }
  await next(page, 'Save and continue');
  await expect(stepHeading(page, 'Model (optional)')).toBeVisible();
  await next(page, 'Skip for now');
  await expect(stepHeading(page, 'All set')).toBeVisible();
  await page.getByRole('checkbox', { name: /Open Clawdbot at login/ }).check();
  await expect.poll(() => bridgeCalls(page, 'loginItem.set')).toEqual([true]);
  await next(page, 'Finish');
  await expect.poll(async () => ((await bridgeCalls(page, 'onboarding.set')).at(-1) as { completedAt: string | null }).completedAt).toEqual(expect.any(String));
  await expect(page.getByRole('heading', { level: 1, name: 'Health' })).toBeVisible();
});
