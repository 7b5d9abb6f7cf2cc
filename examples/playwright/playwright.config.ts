// A chat-UI team's own Playwright config using sse-harness: Playwright's reporters plus the harness report.
import { defineConfig, devices } from '@playwright/test';
import type { SseOptions } from 'sse-harness/playwright';

// Playwright's own browsers (npx playwright install) by default; SSE_HARNESS_CHROMIUM names another Chromium, e.g. a
// system one (/usr/bin/chromium) where Playwright's cannot be downloaded.
const chromium = process.env.SSE_HARNESS_CHROMIUM;

// SseOptions types the fixture's options (sseTarget, sseAppDir) in `use`.
export default defineConfig<SseOptions>({
  testDir: '.',
  reporter: [
    ['list'],
    ['html', { open: 'never' }],
    ['junit', { outputFile: 'reports/junit.xml' }],
    ['github'],
    ['sse-harness/playwright/reporter', { outputDir: 'reports/sse-harness' }],
  ],
  use: {
    // The target UI the `sse` fixture serves: the built-in reference UI, or e.g. 'hermes-webui' with sseAppDir.
    sseTarget: 'reference',
  },
  projects: [
    {
      name: 'chromium',
      use: { ...devices['Desktop Chrome'], ...(chromium ? { launchOptions: { executablePath: chromium } } : {}) },
    },
    { name: 'webkit', use: { ...devices['Desktop Safari'] } },
    { name: 'mobile-webkit', use: { ...devices['iPhone 14'] } },
  ],
});
