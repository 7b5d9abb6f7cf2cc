// Entry for `npx playwright test`: the harness's own test suite (detection, probes, loader, hygiene).
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: 'tests',
  // Each test starts its own browsers and servers; two workers fit a 2-core machine.
  workers: process.env.CI ? 2 : undefined,
  timeout: 180_000,
  expect: { timeout: 10_000 },
  retries: 0,
  reporter: [['list'], ['./tests/support/summary-reporter.ts']],
  projects: [{ name: 'harness' }],
});
