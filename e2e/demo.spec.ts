// Demo mode in the window, against the real gateway (support/test-gateway.ts: startGateway in demo
// mode, the imsg simulator as the Messages account): a newcomer makes a message arrive as a
// stranger, approves the pairing request right there, and sees the demo assistant's reply — newest
// in view — without a shell or a model.
// Needs `npm run build` (the renderer) and `npm run build:node` (the simulator).
import { expect, test } from './support/fixtures';

test('receive a message, approve the pairing request, get the demo assistant’s reply, newest in view', async ({ page, startGateway }) => {
  const gateway = await startGateway({ demo: true });
  await page.setViewportSize({ width: 420, height: 700 });
  await page.goto(gateway.uiUrl);

  // A demo gateway with nobody waiting opens on the conversation.
  await expect(page.getByRole('heading', { level: 1, name: 'Simulated Messages' })).toBeVisible();
  await expect(page.getByTestId('demo-assistant-note')).toContainText('demo assistant, a built-in stand-in');
  const form = page.getByRole('form', { name: 'Receive a message' });
  const from = form.getByRole('textbox', { name: 'From' });
  const text = form.getByRole('textbox', { name: 'Message' });
  const receive = form.getByRole('button', { name: 'Receive message' });

  // A sender that is not a phone number or an email address is refused with the reason, in words.
  await from.fill('bob');
  await text.fill('hi');
  await receive.click();
  await expect(form.getByRole('status')).toContainText('From: the sender must be a phone number (e.g. +15555550123) or an email address');
  await expect(form.getByRole('status')).not.toContainText('params.');

  // A stranger writes: the gateway answers with a pairing code, and the request is right there.
  await from.fill('+15555550177');
  await text.fill('Hello Clawdbot!');
  await text.press('Enter');
  await expect(form.getByRole('status')).toContainText('Received from +15555550177');
  await expect(text).toHaveValue('');
  const conversation = page.getByRole('list', { name: 'Conversation' });
  await expect(conversation.locator('.bubble-in').last()).toContainText('Hello Clawdbot!');
  await expect(conversation.locator('.bubble-out').last()).toContainText('Pairing code:');
  await page.getByRole('button', { name: 'Approve +15555550177' }).click();
  await expect(page.getByText('Approved +15555550177. They can chat with the assistant now.')).toBeVisible();
  expect(await gateway.simulate.approvedSenders()).toEqual(['+15555550177']);

  // Now approved: the next message is answered by the (clearly labelled) demo assistant.
  await text.fill('Can you hear me?');
  await receive.click();
  const newest = conversation.locator('.bubble').last();
  await expect(newest).toContainText('Demo assistant (no AI model configured): you said “Can you hear me?”');
  await expect(newest).toContainText('To +15555550177');
  // Newest in view: the conversation is scrolled to its end.
  await expect(newest).toBeInViewport();
  const scrolled = await conversation.evaluate((box) => box.scrollHeight - box.scrollTop - box.clientHeight);
  expect(scrolled).toBeLessThanOrEqual(1);
});

test('outside demo mode there is no Demo screen', async ({ page, startGateway }) => {
  const gateway = await startGateway();
  await page.goto(gateway.uiUrl);
  await expect(page.getByRole('heading', { level: 1, name: 'Health' })).toBeVisible();
  await expect(page.getByRole('navigation', { name: 'Screens' }).getByRole('link')).toHaveText(['Pairing', 'Health', 'Accounts', 'Settings']);
});
