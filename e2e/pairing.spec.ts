// Pairing end to end in Chromium against the real gateway (demo mode: the simulated Messages
// account, and the demo assistant answering until a model is set): a stranger texts the Mac, the
// request appears without a reload, Approve (texting them), and their next message is answered —
// seen in the simulator's sent rows. Deny and Revoke. Changes made elsewhere (the CLI) show up too.
// Needs `npm run build` (the renderer) and `npm run build:node` (the simulator).
import type { Page } from '@playwright/test';
import WebSocket from 'ws';
import { createControlClient } from '../contract/control-client';
import { expect, test } from './support/fixtures';

function request(page: Page, sender: string) {
  return page.getByRole('listitem', { name: `Request from ${sender}` });
}

test('a stranger’s request appears without a reload; Approve texts them; their next message is answered', async ({ page, startGateway }) => {
  const gateway = await startGateway({ demo: true });
  await page.goto(`${gateway.uiUrl}&screen=pairing`);
  await expect(page.getByText('No pending requests.')).toBeVisible();

  const pairing = await gateway.simulate.pairingRequest('+15550001111');
  const card = request(page, '+15550001111');
  await expect(card).toContainText(pairing.code);
  await expect(card.getByTestId('expires-in')).toHaveText(/^(60:00|59:[0-5]\d)$/);
  await expect(page.getByRole('link', { name: /Pairing/ })).toContainText('1');

  await card.getByRole('checkbox', { name: 'Text +15550001111 that they are approved' }).check();
  await card.getByRole('button', { name: 'Approve +15550001111' }).click();
  await expect(page.getByText('Approved +15550001111 and texted them that they can chat with the assistant now.')).toBeVisible();
  await expect(card).toHaveCount(0);
  await expect(page.getByRole('list', { name: 'Approved senders' })).toContainText('+15550001111');
  expect(await gateway.simulate.approvedSenders()).toEqual(['+15550001111']);
  const toThem = () => gateway.simulate.sent().filter((row) => row.to === '+15550001111').map((row) => row.text);
  await expect.poll(toThem).toContainEqual(expect.stringContaining('approved'));

  gateway.simulate.message('+15550001111', 'Are you there?');
  await expect.poll(toThem).toContainEqual('Demo assistant (no AI model configured): you said “Are you there?”');
});

test('Deny drops the request; Revoke (after a confirmation) takes an approved sender back to pairing', async ({ page, startGateway }) => {
  const gateway = await startGateway({ demo: true });
  const friend = await gateway.simulate.pairingRequest('+15550001111');
  const stranger = await gateway.simulate.pairingRequest('someone@example.com');
  await page.goto(gateway.uiUrl);
  // Someone is waiting: the window opens on Pairing.
  await expect(page.getByRole('heading', { level: 1, name: 'Pairing' })).toBeVisible();
  await expect(page).toHaveURL(/#screen=pairing$/);

  await request(page, 'someone@example.com').getByRole('button', { name: 'Deny someone@example.com' }).click();
  await expect(page.getByText('Denied the request from someone@example.com.')).toBeVisible();
  await expect(request(page, 'someone@example.com')).toHaveCount(0);
  expect((await gateway.simulate.pendingRequests()).map((r) => r.code)).toEqual([friend.code]);
  expect(stranger.code).not.toBe(friend.code);

  await page.getByRole('button', { name: 'Approve +15550001111' }).click();
  const approved = page.getByRole('list', { name: 'Approved senders' });
  await expect(approved).toContainText('+15550001111');

  await approved.getByRole('button', { name: 'Revoke +15550001111' }).click();
  await page.getByRole('button', { name: 'Confirm revoke +15550001111' }).click();
  await expect(page.getByText('Revoked +15550001111. Their next message gets a new pairing code.')).toBeVisible();
  await expect(page.getByText('Nobody has been approved by pairing yet.')).toBeVisible();
  expect(await gateway.simulate.approvedSenders()).toEqual([]);

  // Their next message asks for pairing again: a new request shows up.
  gateway.simulate.message('+15550001111', 'Hello again');
  await expect(request(page, '+15550001111')).toBeVisible();
});

test('follows changes made elsewhere (the CLI approving) without a reload', async ({ page, startGateway }) => {
  const gateway = await startGateway();
  const pairing = await gateway.simulate.pairingRequest('+15550001111');
  await page.goto(`${gateway.uiUrl}&screen=pairing`);
  await expect(request(page, '+15550001111')).toBeVisible();

  const cli = createControlClient({ url: gateway.wsUrl, token: gateway.token, WebSocket, clientName: 'cli' });
  await cli.ready;
  await cli.request('pairing.approve', { code: pairing.code });
  cli.close();
  await expect(request(page, '+15550001111')).toHaveCount(0);
  await expect(page.getByRole('list', { name: 'Approved senders' })).toContainText('+15550001111');
});
