// A chat-UI team's own Playwright config using sse-harness: Playwright's reporters plus the harness report.
import { defineConfig, devices } from '@playwright/test';

export default defineConfig({
  testDir: '.',
  reporter: [['list'], ['html', { open: 'never' }], ['junit', { outputFile: 'reports/junit.xml' }], ['github'], ['sse-harness/playwright/reporter', { outputDir: 'reports/sse-harness' }]],
  use: {
    // The target UI the `sse` fixture serves: the built-in reference UI, or e.g. 'hermes-webui' with sseAppDir.
    sseTarget: 'reference',
  },
  projects: [
    { name: 'chromium', use: { ...devices['Desktop Chrome'] } },
    { name: 'webkit', use: { ...devices['Desktop Safari'] } },
    { name: 'mobile-webkit', use: { ...devices['iPhone 14'] } },
  ],
});
