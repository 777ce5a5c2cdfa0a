import { existsSync } from 'node:fs';
import { defineConfig } from '@playwright/test';

// Browser tests run in Debian's Chromium here and in CI (/usr/bin/chromium, or CHROMIUM_PATH);
// on a developer's Mac without either, Playwright's own browser is used instead.
function chromiumExecutable(): string | undefined {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  return candidates.find((path): path is string => Boolean(path) && existsSync(path as string));
}

const executablePath = chromiumExecutable();

export default defineConfig({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  // Playwright empties its output folder on every run; the screenshots of the screens
  // (test-results/screenshots, written by e2e/support/screens.ts) live beside it and stay.
  outputDir: 'test-results/playwright',
  timeout: 30_000,
  workers: 1,
  reporter: [['list']],
  use: {
    headless: true,
    launchOptions: {
      executablePath,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
});
