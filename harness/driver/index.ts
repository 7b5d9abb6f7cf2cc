// Browser resolution: which launcher serves each browser name on this machine.
import { ChromiumLauncher } from './chromium.ts';
import type { BrowserLauncher, BrowserName } from './types.ts';

export const BROWSERS: BrowserName[] = ['chromium', 'webkit'];

export function launcherFor(name: string): BrowserLauncher {
  if (name === 'chromium') return new ChromiumLauncher();
  throw new Error(`sse-harness: unknown or unsupported browser "${name}". Supported: chromium.`);
}
