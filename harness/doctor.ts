// `sse-harness doctor`: what this machine has for each browser and driver, and how to install what is missing.
import { execFileSync } from 'node:child_process';
import { findChromium } from './driver/chromium.ts';
import { findWebKit, WEBKIT_INSTALL_HINT } from './driver/webkit.ts';

export interface Check {
  what: string;
  ok: boolean;
  detail: string;
  /** How to fix it when not ok. */
  fix?: string;
  /** Not needed on this machine (for information). */
  optional?: boolean;
}

function version(path: string, args = ['--version']): string {
  try {
    return execFileSync(path, args, { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] })
      .trim()
      .split('\n')[0]!;
  } catch {
    return 'version unknown';
  }
}

export function doctor(): Check[] {
  const checks: Check[] = [];
  const [major] = process.versions.node.split('.').map(Number);
  checks.push({
    what: 'Node.js',
    ok: major! >= 20,
    detail: `v${process.versions.node}`,
    fix: 'install Node.js 20 or newer',
  });

  const chromium = findChromium();
  checks.push(
    chromium
      ? {
          what: 'chromium',
          ok: true,
          detail: `${chromium.source === 'playwright' ? "Playwright's build" : 'system browser'}: ${chromium.path} (${version(chromium.path)}); probes: server ledger, page probe, CDP`,
        }
      : {
          what: 'chromium',
          ok: false,
          detail: 'not found',
          fix: 'npx playwright install chromium, or apt-get install chromium (npm run setup does this), or set SSE_HARNESS_CHROMIUM=/path/to/chrome',
        },
  );

  const webkit = findWebKit();
  if (!webkit)
    checks.push({
      what: 'webkit',
      ok: false,
      detail: 'not found',
      fix: WEBKIT_INSTALL_HINT.replace(/^WebKit not found\. /, ''),
    });
  else if (webkit.kind === 'playwright')
    checks.push({
      what: 'webkit',
      ok: true,
      detail: `Playwright's build: ${webkit.path}; probes: server ledger, page probe`,
    });
  else {
    checks.push({
      what: 'webkit',
      ok: true,
      detail: `WebKitGTK MiniBrowser: ${webkit.path}; probes: server ledger, page probe (visibility, freezing and offline emulated in the page)`,
    });
    checks.push({ what: 'WebKitWebDriver', ok: true, detail: `${webkit.driver}: W3C WebDriver for WebKitGTK` });
    const display = process.env.DISPLAY;
    checks.push(
      webkit.xvfb
        ? {
            what: 'Xvfb',
            ok: true,
            detail: `${webkit.xvfb}: headless WebKitGTK runs in a private X server${display ? ` (--headed uses DISPLAY=${display})` : ''}`,
          }
        : {
            what: 'Xvfb',
            ok: false,
            detail: 'not found: WebKitGTK needs an X display for headless runs',
            fix: 'apt-get install xvfb',
          },
    );
  }
  checks.push({
    what: 'safari',
    ok: process.platform === 'darwin',
    optional: true,
    detail:
      process.platform === 'darwin'
        ? 'macOS: Safari is reachable through safaridriver (run "safaridriver --enable" once); not driven by this version'
        : 'macOS only: Safari speaks the same WebDriver protocol through safaridriver (untested here)',
  });
  return checks;
}

export function doctorReport(checks: Check[]): { text: string; ok: boolean } {
  const lines = checks.map(
    (c) =>
      `${c.ok ? '✓' : c.optional ? '·' : '✗'} ${c.what.padEnd(16)} ${c.detail}${!c.ok && c.fix ? `\n  ${' '.repeat(16)} fix: ${c.fix}` : ''}`,
  );
  const missing = checks.filter((c) => !c.ok && !c.optional);
  lines.push('');
  lines.push(
    missing.length
      ? `${missing.length} missing: ${missing.map((c) => c.what).join(', ')} (runs in those browsers will stop with this hint)`
      : 'everything sse-harness can use here is installed',
  );
  return { text: lines.join('\n'), ok: missing.length === 0 };
}
