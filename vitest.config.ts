import { defineConfig } from 'vitest/config';

// Unit and integration tests (plain Node). Browser e2e tests live in e2e/*.spec.ts and run
// under Playwright (playwright.config.ts), so they are excluded here.
export default defineConfig({
  test: {
    // Renderer component tests (*.test.tsx) run in happy-dom (each file says so at its top).
    include: ['main/**/*.test.ts', 'contract/**/*.test.ts', 'renderer/**/*.test.ts', 'renderer/**/*.test.tsx', 'sim/**/*.test.ts', 'test/**/*.test.ts'],
    environment: 'node',
    // Integration tests spawn the built CLI and simulator (out/node); build them once first.
    globalSetup: ['test/support/global-setup.ts'],
    // The fault and abuse suite (test/faults) prints one line per attack with its figures at the end.
    reporters: ['default', './test/faults/figures-reporter.ts'],
    // Generous: on a 2-core CI machine running two files at once, a test that spawns gateways, sshd
    // logins or 20 processes can take 20 s when a quiet machine takes 3 (seen in CI logs). Speed
    // goals are measured by `npm run bench`, not here.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: many tests spawn real processes, so keep parallelism modest.
    maxWorkers: 2,
    // electron-store imports `electron` (no binary here): inlined, it sees the tests' electron mock.
    server: { deps: { inline: ['electron-store'] } },
  },
});
