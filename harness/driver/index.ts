// Browser resolution: which launcher serves each browser name on this machine.
import { ChromiumLauncher } from './chromium.ts';
import { webkitLauncher } from './webkit.ts';
import type { BrowserLauncher, BrowserName } from './types.ts';

export const BROWSERS: BrowserName[] = ['chromium', 'webkit'];

export function launcherFor(name: string): BrowserLauncher {
  if (name === 'chromium') return new ChromiumLauncher();
  if (name === 'webkit') return webkitLauncher();
  throw new Error(`sse-harness: unknown browser "${name}". Supported: ${BROWSERS.join(', ')}.`);
}
