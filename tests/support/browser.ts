// Which browser a browser-bound test runs in comes from its Playwright project (chromium, webkit, mobile-webkit).
import { test as base } from '@playwright/test';
import { launcherFor } from '../../harness/driver/index.ts';
import { ReusedBrowser } from '../../harness/driver/reuse.ts';
import type { BrowserLauncher, BrowserName, LaunchOptions } from '../../harness/driver/types.ts';

export interface ProjectBrowser {
  browser: BrowserName;
  launch: LaunchOptions;
  label: string;
}

export function projectBrowser(): ProjectBrowser {
  const meta = base.info().project.metadata as { browser?: BrowserName; device?: 'iphone' };
  const browser = meta.browser ?? 'chromium';
  return { browser, launch: meta.device ? { device: meta.device } : {}, label: base.info().project.name };
}

/** Skips (with the reason and the fix) when this project's browser is not installed here. */
export function launcherOrSkip(): { launcher: ReturnType<typeof launcherFor>; launch: LaunchOptions } {
  const { browser, launch } = projectBrowser();
  const launcher = launcherFor(browser);
  const missing = launcher.missing();
  base.skip(missing !== null, `${browser} is not installed: ${missing} (see: npx sse-harness doctor)`);
  return { launcher, launch };
}

/**
 * `test` with `kept`: this project's browser, started once per worker and given to each test as a fresh page, as the
 * CLI's workers do (driver/reuse.ts). Tests that judge runs, not browser start-up, use it.
 */
export const test = base.extend<
  { kept: { launcher: BrowserLauncher; launch: LaunchOptions } },
  { keptBrowser: ReusedBrowser | null }
>({
  keptBrowser: [
    // eslint-disable-next-line no-empty-pattern
    async ({}, use, info) => {
      const meta = info.project.metadata as { browser?: BrowserName };
      const launcher = launcherFor(meta.browser ?? 'chromium');
      const kept = launcher.missing() === null ? new ReusedBrowser(launcher) : null;
      await use(kept);
      await kept?.dispose();
    },
    { scope: 'worker' },
  ],
  kept: async ({ keptBrowser }, use) => {
    const { launch } = launcherOrSkip();
    await use({ launcher: keptBrowser!, launch });
  },
});
