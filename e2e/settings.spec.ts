// Settings in Chromium against the real gateway: a change is written (comments kept); a value
// the gateway refuses is shown at its field and nothing is written; a config file broken on disk
// is a clear banner and "Config error" in the header — never "Connected, all good" — until fixed.
// Needs `npm run build` (the renderer) and `npm run build:node` (the simulator).
import { readFileSync, writeFileSync } from 'node:fs';
import { expect, test } from './support/fixtures';

test('a change is written with the comments kept; a refused value shows at its field and nothing is written', async ({ page, startGateway }) => {
  const gateway = await startGateway();
  const original = readFileSync(gateway.configPath, 'utf8').replace('{', '{\n  // my own note, kept by every write');
  writeFileSync(gateway.configPath, original);
  await page.goto(`${gateway.uiUrl}&screen=settings`);
  const messages = page.getByRole('region', { name: 'Messages' });
  const limit = messages.getByRole('textbox', { name: 'Longest message (characters)' });

  await limit.fill('0');
  await messages.getByRole('button', { name: 'Save' }).click();
  await expect(messages.getByRole('alert').or(messages.locator('.field-error')).first()).toContainText('textChunkLimit');
  await expect(messages.getByText('Saved.')).toHaveCount(0);
  expect(readFileSync(gateway.configPath, 'utf8')).toBe(original);
  await expect(limit).toHaveValue('0');

  await limit.fill('1500');
  await messages.getByRole('button', { name: 'Save' }).click();
  await expect(messages.getByText('Saved.')).toBeVisible();
  const written = readFileSync(gateway.configPath, 'utf8');
  expect(written).toContain('// my own note, kept by every write');
  expect(written).toMatch(/"textChunkLimit": 1500/);
  await expect(messages.getByRole('alert')).toHaveCount(0);
});

// With per-field problems from the gateway (`issues` on config.patch errors, carried by the control
// client), the problem sits under the field itself.
test('the refused value’s problem is under the field itself (issues per field)', async ({ page, startGateway }) => {
  const gateway = await startGateway();
  await page.goto(`${gateway.uiUrl}&screen=settings`);
  const messages = page.getByRole('region', { name: 'Messages' });
  const limit = messages.getByRole('textbox', { name: 'Longest message (characters)' });
  await limit.fill('0');
  await messages.getByRole('button', { name: 'Save' }).click();
  await expect(limit).toHaveAttribute('aria-invalid', 'true');
  await expect(messages.locator('.field-invalid .field-error')).toBeVisible();
});

test('a config file broken on disk: a banner with the whole error on every screen, "Config error" in the header, until fixed', async ({ page, startGateway }) => {
  const gateway = await startGateway();
  const good = readFileSync(gateway.configPath, 'utf8');
  await page.goto(`${gateway.uiUrl}&screen=health`);
  await expect(page.getByRole('status', { name: 'Gateway connection: Connected' })).toBeVisible();

  writeFileSync(gateway.configPath, good.replace('"dmPolicy": "pairing"', '"dmPolicy": "opn"'));
  await expect(page.getByRole('heading', { name: 'The config file has an error' })).toBeVisible({ timeout: 10_000 });
  await expect(page.getByRole('status', { name: 'Gateway connection: Connected, but the config file has an error' })).toHaveText('Config error');
  await expect(page.getByTestId('config-error-text')).toContainText('channels.imessage.dmPolicy');
  await page.getByRole('link', { name: 'Settings' }).click();
  await expect(page.getByTestId('config-error-text')).toContainText('channels.imessage.dmPolicy');

  // The person fixes the typo (to what they meant). (Restoring the very same config as before is
  // not noticed by the gateway's watcher today: it sees no change and keeps the error; reported.)
  writeFileSync(gateway.configPath, good.replace('"dmPolicy": "pairing"', '"dmPolicy": "allowlist"'));
  await expect(page.getByRole('heading', { name: 'The config file has an error' })).toHaveCount(0, { timeout: 10_000 });
  await expect(page.getByRole('status', { name: 'Gateway connection: Connected' })).toHaveText('Connected');
});
