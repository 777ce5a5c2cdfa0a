// Health in Chromium against the real gateway, with imsg stand-ins that fail the way the real one
// does: too old (no `rpc`), Full Disk Access off, a crash loop that later heals; each shows its
// state and fix, and a recovery shows without a reload. The access log explains a blocked sender
// and lets them in with one click (a real config write).
// Needs `npm run build` (the renderer) and `npm run build:node` (the simulator).
import { readFileSync } from 'node:fs';
import { expect, test } from './support/fixtures';

test('failed accounts show what failed and the fix: imsg too old, Full Disk Access off', async ({ page, startGateway }) => {
  const gateway = await startGateway({
    accounts: [
      { id: 'old', name: 'Old Mac', imsg: 'too-old' },
      { id: 'locked', name: 'Locked', imsg: 'fda-denied' },
    ],
  });
  await page.goto(`${gateway.uiUrl}&screen=health`);
  // Each account's imsg stand-in is probed first: give a busy machine time.
  const old = page.getByRole('listitem', { name: 'Account Old Mac' });
  await expect(old.getByTestId('account-state')).toHaveText('Failed', { timeout: 20_000 });
  await expect(old.getByTestId('account-error')).toContainText("imsg CLI does not support 'rpc' subcommand");
  await expect(old.getByTestId('account-error')).toContainText('Fix: Upgrade imsg with brew upgrade steipete/tap/imsg');
  await expect(old.getByTestId('account-error').locator('code')).toHaveText('brew upgrade steipete/tap/imsg');

  const locked = page.getByRole('listitem', { name: 'Account Locked' });
  await expect(locked.getByTestId('account-state')).toHaveText('Failed', { timeout: 20_000 });
  await expect(locked.getByTestId('account-error')).toContainText(/Full Disk Access/i);
  await expect(locked.getByTestId('account-error')).toContainText('Fix:');
  await expect(page.getByRole('link', { name: /Health/ })).toContainText('!');

  // Probe runs the checks again, on demand.
  await old.getByRole('button', { name: 'Probe Old Mac' }).click();
  await expect(old.getByRole('status').filter({ hasText: 'Probe' })).toContainText('Probe failed');
});

// Automation is known only from a send (the setup checks' test message, or a reply that failed).
test('Automation denied shows ✗ with the System Settings path and the reset command', async ({ page, startGateway }) => {
  const gateway = await startGateway({ accounts: [{ id: 'default', name: 'Personal', imsg: 'automation-denied' }] });
  await page.goto(`${gateway.uiUrl}&screen=health`);
  const card = page.getByRole('listitem', { name: 'Account Personal' });
  await expect(card.getByTestId('account-state')).toHaveText('Listening');
  gateway.simulate.message('+15550001111', 'hi');
  const automation = card.locator('.check').filter({ has: page.locator('.check-title', { hasText: /^Automation:/ }) });
  await expect(automation).toHaveAttribute('data-state', 'denied', { timeout: 15_000 });
  await expect(automation).toContainText('System Settings › Privacy & Security › Automation');
});

test('an imsg that keeps crashing: Retrying with the countdown and the error; then it recovers by itself', async ({ page, startGateway }) => {
  const gateway = await startGateway({ accounts: [{ id: 'default', name: 'Personal', imsg: 'crashing' }] });
  await page.goto(`${gateway.uiUrl}&screen=health`);
  const card = page.getByRole('listitem', { name: 'Account Personal' });
  await expect(card.getByTestId('account-state')).toHaveText('Retrying', { timeout: 15_000 });
  await expect(card.getByTestId('retry-in')).toHaveText(/^0:0\d$/);
  await expect(card.getByTestId('account-error')).toContainText('imsg: lost the connection to Messages');
  await expect(card.getByTestId('restarts')).toHaveText(/^[1-9]\d*$/);

  gateway.simulate.fixImsg();
  await expect(card.getByTestId('account-state')).toHaveText('Listening', { timeout: 15_000 });
  await expect(card.getByTestId('account-error')).toContainText('Recovered from: imsg rpc exited');
  await expect(card.getByTestId('account-error')).not.toContainText('Fix:');
  // Fresh within a second of a message.
  gateway.simulate.message('+15550001111', 'hello?');
  await expect(card.getByTestId('last-inbound')).toHaveText(/^(just now|[1-4] s ago)$/);
});

test('the access log explains a blocked sender; “Allow this sender” writes them to the config and the next message gets in', async ({ page, startGateway }) => {
  const gateway = await startGateway({ demo: true });
  const configPath = gateway.configPath;
  // Only listed senders: a stranger is blocked silently.
  await page.goto(`${gateway.uiUrl}&screen=settings`);
  const policies = page.getByRole('region', { name: 'Who may talk to the assistant' });
  await policies.getByRole('radio', { name: 'Only allowed senders' }).check();
  await policies.getByRole('button', { name: 'Save' }).click();
  await expect(policies.getByText('Saved.')).toBeVisible();
  expect(readFileSync(configPath, 'utf8')).toContain('"dmPolicy": "allowlist"');

  gateway.simulate.message('+15550007777', 'Let me in');
  await page.getByRole('link', { name: 'Health' }).click();
  const log = page.getByRole('list', { name: 'Access log' });
  const row = log.locator('li', { hasText: '+15550007777' }).first();
  await expect(row).toContainText('Blocked: not an allowed sender.');
  await row.getByRole('button', { name: 'Allow this sender: +15550007777' }).click();
  await expect(page.getByText('Added +15550007777 to the allowed senders.')).toBeVisible();
  await expect.poll(() => readFileSync(configPath, 'utf8')).toMatch(/"allowFrom": \[\s*"\+15550007777"\s*\]/);

  gateway.simulate.message('+15550007777', 'Now?');
  await expect(log.locator('li', { hasText: '+15550007777' }).first()).toContainText('Answered by the assistant.');
});
