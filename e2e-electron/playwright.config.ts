import { defineConfig } from '@playwright/test';

// The Mac smoke test of Clawdbot.app (`npm run e2e:electron`): Playwright's Electron support
// launches the development build (`electron .`) with the real Electron binary, so it runs only
// where Electron does (a Mac; not this project's Linux CI, which has no Electron binary). It does
// not run against the packaged app: its fuses turn off the Node inspector Playwright drives.
export default defineConfig({
  testDir: '.',
  testMatch: '**/*.spec.ts',
  timeout: 60_000,
  workers: 1,
  reporter: [['list']],
});
