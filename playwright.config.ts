// Entry for `npx playwright test`: the harness's own test suite.
// Browser-independent tests (loader, mock backend, CLI, reports) run once in the "harness" project; the detection
// tests run once per browser project. A project whose browser is missing skips its tests and says why.
import { defineConfig } from '@playwright/test';

const browserBound = /(detection|matrix)\.spec\.ts$/;

export default defineConfig({
  testDir: 'tests',
  // Each test starts its own browser and mock backend; two workers fit a 2-core machine.
  workers: process.env.CI ? 2 : undefined,
  timeout: 180_000,
  expect: { timeout: 10_000 },
  retries: 0,
  reporter: [['list'], ['./tests/support/summary-reporter.ts']],
  projects: [
    { name: 'harness', testIgnore: browserBound },
    { name: 'chromium', testMatch: browserBound, metadata: { browser: 'chromium' } },
    { name: 'webkit', testMatch: browserBound, metadata: { browser: 'webkit' } },
    // iPhone profile: on Playwright's WebKit a real device descriptor; on WebKitGTK what WebDriver allows (window size).
    { name: 'mobile-webkit', testMatch: /detection\.spec\.ts$/, metadata: { browser: 'webkit', device: 'iphone' } },
  ],
});
