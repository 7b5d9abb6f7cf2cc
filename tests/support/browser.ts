// Which browser a browser-bound test runs in comes from its Playwright project (chromium, webkit, mobile-webkit).
import { test } from '@playwright/test';
import { launcherFor } from '../../harness/driver/index.ts';
import type { BrowserName, LaunchOptions } from '../../harness/driver/types.ts';

export interface ProjectBrowser {
  browser: BrowserName;
  launch: LaunchOptions;
  label: string;
}

export function projectBrowser(): ProjectBrowser {
  const meta = test.info().project.metadata as { browser?: BrowserName; device?: 'iphone' };
  const browser = meta.browser ?? 'chromium';
  return { browser, launch: meta.device ? { device: meta.device } : {}, label: test.info().project.name };
}

/** Skips (with the reason and the fix) when this project's browser is not installed here. */
export function launcherOrSkip(): { launcher: ReturnType<typeof launcherFor>; launch: LaunchOptions } {
  const { browser, launch } = projectBrowser();
  const launcher = launcherFor(browser);
  const missing = launcher.missing();
  test.skip(missing !== null, `${browser} is not installed: ${missing} (see: npx sse-harness doctor)`);
  return { launcher, launch };
}
