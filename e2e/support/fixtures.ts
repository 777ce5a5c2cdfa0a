// What every browser test against the real gateway shares: `startGateway` starts one for this
// test and stops it afterwards (also when the test fails), and any console error or uncaught
// exception on the page — a CSP violation included — fails the test.
import { expect, test as base } from '@playwright/test';
import { startTestGateway, type TestGateway, type TestGatewayOptions } from './test-gateway';

interface GatewayFixtures {
  startGateway: (options?: TestGatewayOptions) => Promise<TestGateway>;
  consoleErrors: string[];
}

export const test = base.extend<GatewayFixtures>({
  consoleErrors: [
    async ({ page }, use) => {
      const errors: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });
      page.on('pageerror', (error) => errors.push(error.message));
      await use(errors);
      expect(errors).toEqual([]);
    },
    { auto: true },
  ],
  // eslint-disable-next-line no-empty-pattern -- Playwright reads the fixtures a fixture needs from this pattern
  startGateway: async ({}, use) => {
    const started: TestGateway[] = [];
    await use(async (options) => {
      const gateway = await startTestGateway(options);
      started.push(gateway);
      return gateway;
    });
    await Promise.all(started.map((gateway) => gateway.close()));
  },
});

export { expect };
