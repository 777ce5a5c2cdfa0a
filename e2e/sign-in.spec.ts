// The one-time sign-in link the gateway prints (instead of the token) in Debian Chromium against
// the real gateway: it signs the browser in and leaves the address bar; used a second time it says
// so and points to the token file that is really in use.
import { expect, test } from '@playwright/test';
import { startTestGateway, type TestGateway } from './support/test-gateway';

let gateway: TestGateway;
test.afterEach(async () => {
  await gateway?.close();
});

test('a sign-in link signs one browser in, once; then the page points to the real token file', async ({ browser }) => {
  gateway = await startTestGateway();
  const link = gateway.handle.signInUrl();
  expect(link).toMatch(/\/#signin=[A-Za-z0-9_-]{43}$/);
  expect(link).not.toContain(gateway.token);

  const first = await browser.newPage();
  await first.goto(link);
  await expect(first.getByRole('status', { name: 'Gateway connection: Connected' })).toBeVisible();
  // The secret leaves the address bar (the hash then holds only the screen's route).
  await expect.poll(() => first.url()).not.toContain('signin=');
  expect(new URL(first.url()).hash).toMatch(/^(#screen=[a-z-]+)?$/);

  const second = await browser.newPage();
  await second.goto(link);
  await expect(second.getByRole('heading', { name: 'No gateway token' })).toBeVisible();
  await expect(second.getByRole('alert')).toHaveText('This sign-in link was already used or has expired.');
  await expect(second.getByText(`the file ${gateway.stateDir}/gateway.token`)).toBeVisible();
  await second.getByRole('textbox', { name: 'Gateway token' }).fill(gateway.token);
  await second.getByRole('button', { name: 'Connect' }).click();
  await expect(second.getByRole('status', { name: 'Gateway connection: Connected' })).toBeVisible();
});
