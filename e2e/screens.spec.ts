// Every screen against a real demo gateway with some history (a pending request, an approved
// sender who got a reply, a blocked group message, a failed account): axe finds no serious
// violation, nothing scrolls sideways at 360 px or in a full window, and each is photographed in
// light and dark mode (test-results/screenshots/) for a person to look at.
// Needs `npm run build` (the renderer) and `npm run build:node` (the simulator).
import { expect, test, type Page } from '@playwright/test';
import WebSocket from 'ws';
import { createControlClient } from '../contract/control-client';
import { ONBOARDING_STEPS } from '../renderer/store/onboarding-slice';
import { checkScreen } from './support/screens';
import { startTestGateway, type TestGateway } from './support/test-gateway';

let gateway: TestGateway;
let consoleErrors: string[] = [];

test.beforeAll(async () => {
  gateway = await startTestGateway({
    demo: true,
    accounts: [
      { id: 'default', name: 'Personal' },
      { id: 'work', name: 'Work', imsg: 'too-old' },
    ],
  });
  // Someone approved who got an answer, someone waiting, and a group message nobody may send.
  const friend = await gateway.simulate.pairingRequest('+15550001111');
  const cli = createControlClient({ url: gateway.wsUrl, token: gateway.token, WebSocket, clientName: 'test' });
  await cli.ready;
  await cli.request('pairing.approve', { code: friend.code });
  gateway.simulate.message('+15550001111', 'What is on my calendar today?');
  await expect.poll(() => gateway.simulate.sent().some((row) => row.text.includes('What is on my calendar'))).toBe(true);
  await gateway.simulate.pairingRequest('stranger@example.com');
  gateway.simulate.message('+15550002222', '@clawd hello everyone', { group: { id: 42, name: 'Family' } });
  await expect.poll(async () => (await cli.request('accessLog.tail', {})).entries.some((e) => e.chatId === 42)).toBe(true);
  await cli.request('demo.inject', { from: '+15550003333', text: 'Hi there!' });
  cli.close();
});

test.afterAll(async () => {
  await gateway?.close();
});

test.beforeEach(({ page }) => {
  consoleErrors = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));
});

test.afterEach(() => {
  expect(consoleErrors).toEqual([]);
});

async function open(page: Page, hash: string): Promise<void> {
  await page.goto(`${gateway.url}/#token=${encodeURIComponent(gateway.token)}&${hash}`);
  await expect(page.getByRole('status', { name: /^Gateway connection: Connected/ })).toBeVisible();
}

const SCREENS: { name: string; hash: string; heading: string; prepare?: (page: Page) => Promise<void>; ready?: (page: Page) => Promise<void> }[] = [
  {
    name: 'pairing',
    hash: 'screen=pairing',
    heading: 'Pairing',
    ready: async (page) => {
      await expect(page.getByRole('button', { name: 'Approve stranger@example.com' })).toBeVisible();
      await expect(page.getByRole('list', { name: 'Approved senders' })).toContainText('+15550001111');
    },
  },
  {
    name: 'health',
    hash: 'screen=health',
    heading: 'Health',
    ready: async (page) => {
      await expect(page.getByRole('listitem', { name: 'Account Work' }).getByTestId('account-state')).toContainText('Failed');
      await expect(page.getByRole('list', { name: 'Access log' })).toContainText('Family');
    },
  },
  { name: 'accounts', hash: 'screen=accounts', heading: 'Accounts', ready: async (page) => void (await expect(page.getByRole('listitem', { name: 'Account Work' })).toBeVisible()) },
  {
    name: 'accounts-add-remote',
    hash: 'screen=accounts',
    heading: 'Accounts',
    prepare: async (page) => {
      await page.getByRole('button', { name: 'Add account…' }).click();
      await page.getByRole('radio', { name: 'Another Mac' }).check();
      await page.getByText('One-time setup steps').click();
    },
    ready: async (page) => void (await expect(page.getByRole('textbox', { name: 'SSH target' })).toBeVisible()),
  },
  { name: 'settings', hash: 'screen=settings', heading: 'Settings', ready: async (page) => void (await expect(page.getByRole('heading', { name: 'Who may talk to the assistant' })).toBeVisible()) },
  { name: 'demo', hash: 'screen=demo', heading: 'Simulated Messages', ready: async (page) => void (await expect(page.getByRole('list', { name: 'Conversation' })).toContainText('What is on my calendar')) },
  ...ONBOARDING_STEPS.map((step) => ({ name: `onboarding-${String(ONBOARDING_STEPS.indexOf(step) + 1)}-${step}`, hash: `screen=onboarding&step=${step}`, heading: '' })),
];

for (const screen of SCREENS) {
  test(`${screen.name}: axe, 360 px and full width, light and dark`, async ({ page }) => {
    test.setTimeout(90_000);
    await open(page, screen.hash);
    await screen.prepare?.(page);
    const heading = screen.heading ? page.getByRole('heading', { level: 1, name: screen.heading, exact: true }) : page.getByRole('heading', { level: 1 }).first();
    await checkScreen(page, screen.name, async () => {
      await expect(heading).toBeVisible();
      await screen.ready?.(page);
    });
  });
}

test('no token: axe, 360 px and full width, light and dark', async ({ page }) => {
  await page.goto(`${gateway.url}/`);
  await checkScreen(page, 'no-token', async () => {
    await expect(page.getByRole('heading', { name: 'No gateway token' })).toBeVisible();
  });
});
