// Demo mode in the web UI, against the real gateway (support/test-gateway.ts: startGateway in demo
// mode, the imsg simulator as the Messages account): a newcomer receives a message as a stranger,
// approves the pairing request, and sees the demo assistant's reply, without a shell or a model.
// Needs `npx electron-vite build` and `npm run build:node`.
import { expect, test } from '@playwright/test';
import { startTestGateway, type TestGateway } from './support/test-gateway';

let gateway: TestGateway | undefined;
let consoleErrors: string[];

test.beforeEach(async ({ page }) => {
  consoleErrors = [];
  // CSP violations (an inline style or script) are reported here too.
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));
});

test.afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
  expect(consoleErrors).toEqual([]);
});

test('receive a message, approve the pairing request, get the demo assistant reply', async ({ page }) => {
  gateway = await startTestGateway({ demo: true });
  await page.goto(gateway.uiUrl);

  const panel = page.getByRole('region', { name: 'Simulated Messages' });
  await expect(panel).toBeVisible();
  await expect(panel.getByText('Simulated — not real iMessages')).toBeVisible();
  await expect(panel.getByTestId('demo-assistant-note')).toContainText('demo assistant, a built-in stand-in');
  await expect(page.getByText('demo/echo: the demo assistant, a stand-in that echoes messages')).toBeVisible();

  const from = panel.getByLabel('From');
  const text = panel.getByLabel('Message');
  const receive = panel.getByRole('button', { name: 'Receive message' });

  // A sender that is not a phone number or an email address is refused with the reason.
  await from.fill('bob');
  await text.fill('hi');
  await receive.click();
  await expect(panel.getByRole('status')).toContainText('the sender must be a phone number (e.g. +15555550123) or an email address');

  // A stranger writes: the gateway answers with a pairing code and lists the request.
  await from.fill('+15555550177');
  await text.fill('Hello Clawdbot!');
  await receive.click();
  await expect(panel.getByRole('status')).toContainText('Received from +15555550177');
  await expect(text).toHaveValue('');
  const approve = page.getByRole('button', { name: /^Approve \+15555550177 \(code [A-Z2-9]{8}\)$/ });
  await expect(approve).toBeVisible();
  const code = (await page.locator('tr[data-code]').getAttribute('data-code'))!;
  const sent = panel.getByRole('list', { name: 'Sent by the gateway (simulated)' });
  await expect(sent.getByRole('listitem').filter({ hasText: code })).toContainText('To +15555550177');

  const accessLog = page.getByRole('table', { name: 'Access log' });
  await expect(accessLog.locator('tbody tr').first()).toContainText('+15555550177');
  await expect(accessLog.locator('tbody tr').first()).toContainText('Pairing');

  await approve.click();
  await expect(page.getByRole('heading', { name: 'Pending pairing requests (0)' })).toBeVisible();
  expect(await gateway.simulate.approvedSenders()).toEqual(['+15555550177']);

  // Now approved: the next message is answered by the (clearly labelled) demo assistant.
  await text.fill('Can you hear me?');
  await receive.click();
  await expect(sent.getByRole('listitem').last()).toContainText('Demo assistant (no AI model configured): you said “Can you hear me?”');
  await expect(sent.getByRole('listitem').last()).toContainText('To +15555550177');
  const newest = accessLog.locator('tbody tr').first();
  await expect(newest).toContainText('Accepted');
  await expect(newest).toContainText('replied');
});

test('outside demo mode there is no Simulated Messages panel, but the access log is there', async ({ page }) => {
  gateway = await startTestGateway();
  await gateway.simulate.pairingRequest('+15550001111');
  await page.goto(gateway.uiUrl);
  await expect(page.getByRole('status', { name: 'Gateway connection: Connected' })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Simulated Messages' })).toHaveCount(0);
  const row = page.getByRole('table', { name: 'Access log' }).locator('tbody tr').first();
  await expect(row).toContainText('+15550001111');
  await expect(row).toContainText('Pairing');
});
