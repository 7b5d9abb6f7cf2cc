// Entry for `npx playwright test`: the harness's own test suite.
// Browser-independent tests (loader, mock backend, CLI, reports) run once in the "harness" project; the detection
// tests run once per browser project. A project whose browser is missing skips its tests and says why.
import { defineConfig } from '@playwright/test';
import { availableParallelism } from 'node:os';
import { CHROMIUM_FLAGS, findChromium } from './harness/driver/chromium.ts';

// Tests that use Playwright's own `page` (the Playwright-native fixtures) run on whichever Chromium is here.
const chromium = findChromium();

const browserBound = /(detection|hide|reuse|tabs|witness-transports)\.spec\.ts$/;
// The longest tests (the detection matrix under load; npm pack and install) go first, in a project listed first, so
// the rest of the suite fills the other workers beside them instead of waiting on them at the end.
const long = /(loaded|package)\.spec\.ts$/;
const harnessUse = {
  browserName: 'chromium' as const,
  launchOptions: { executablePath: chromium?.source === 'system' ? chromium.path : undefined, args: CHROMIUM_FLAGS },
};

export default defineConfig({
  testDir: 'tests',
  // Most of a test's time is spent waiting on scripted stream time, not computing: one worker more than there are
  // cores keeps the machine busy (Playwright's default, half the cores, leaves it idle), and the load it makes is
  // one the verdicts must stand anyway.
  workers: Math.min(availableParallelism() + 1, 8),
  timeout: 180_000,
  expect: { timeout: 10_000 },
  retries: 0,
  reporter: [['list'], ['./tests/support/summary-reporter.ts']],
  projects: [
    { name: 'long', testMatch: long, use: harnessUse },
    { name: 'harness', testIgnore: [browserBound, long], use: harnessUse },
    { name: 'chromium', testMatch: browserBound, metadata: { browser: 'chromium' } },
    { name: 'webkit', testMatch: browserBound, metadata: { browser: 'webkit' } },
    // iPhone profile: on Playwright's WebKit a real device descriptor; on WebKitGTK what WebDriver allows (window size).
    { name: 'mobile-webkit', testMatch: /detection\.spec\.ts$/, metadata: { browser: 'webkit', device: 'iphone' } },
  ],
});
