// Tabs, in each browser project: a run's second tab shares the browser's connection pool, every witness counts the
// streams of every tab, and liveStreams allows one stream per tab for the chat it shows. tabs-pool passes the healthy
// reference UI and fails leak-on-switch with the streams of both tabs named. The budget arithmetic alone, without a
// browser: tabs-budget.spec.ts.
import { expect } from '@playwright/test';
import { join } from 'node:path';
import type { BrowserLauncher, BrowserPage } from '../harness/driver/types.ts';
import { loadScenarioFile } from '../harness/scenario/loader.ts';
import { runScenario, type ScenarioResult } from '../harness/runner/run.ts';
import { referenceTarget } from '../harness/targets/reference.ts';
import { test } from './support/browser.ts';
import { ROOT } from './support/cli.ts';

const scenario = loadScenarioFile(join(ROOT, 'scenarios', 'tabs-pool.yaml'));

test.describe.configure({ mode: 'parallel' });

/** The settled sample of every step: what each witness counted, across every tab. */
const stepSamples = (r: ScenarioResult) =>
  r.timeline.flatMap((e) => (e.kind === 'sample' && !e.tick ? [{ step: e.step, ...e.witnesses }] : []));

test('tabs-pool passes the healthy reference UI: one stream per tab, every witness counting both tabs', async ({
  kept: { launcher, launch },
}) => {
  const r = await runScenario(scenario, { target: referenceTarget, launcher, launch, regress: [] });
  expect(r.error).toBeUndefined();
  const failing = r.verdicts.filter((v) => !v.pass);
  expect(failing, JSON.stringify(failing, null, 1)).toEqual([]);
  expect(r.verdict).toBe('pass');
  expect(r.findings).toEqual([]);
  // Both tabs streamed at once: the first tab's chat, and the one the second tab shows.
  const live = r.verdicts.find((v) => v.oracle === 'liveStreams')!;
  expect(live.evidence.peakOpen).toBe(2);
  const samples = stepSamples(r);
  expect(samples.some((s) => s.server === 2)).toBe(true);
  for (const s of samples) {
    const server = s.server! - (s.serverDraining ?? 0);
    expect(s.page, s.step).toBe(server);
    if (r.browser === 'chromium') expect(s.cdp, s.step).toBe(server);
  }
  // Each switch between tabs sent one to the background and brought the other forward.
  const tabsShown = r.timeline.flatMap((e) => (e.kind === 'visibility' && e.tab ? [`${e.tab} ${e.hidden}`] : []));
  expect(tabsShown.slice(0, 3)).toEqual(['main true', 'second true', 'main false']);
  expect(r.timeline.some((e) => e.kind === 'visibility' && e.tab === undefined)).toBe(false);
});

test("tabs-pool flags leak-on-switch in the second tab, counting the first tab's stream in the pool", async ({
  kept: { launcher, launch },
}) => {
  const r = await runScenario(scenario, {
    target: referenceTarget,
    launcher,
    launch,
    regress: ['leak-on-switch'],
    // Stopped once the leak has taken the whole pool: the rest of the run would only repeat it.
    stopWhen: (failed) =>
      failed.some((v) => v.oracle === 'liveStreams' && (v.evidence.worst as { open: number } | null)?.open === 6),
  });
  expect(r.error).toBeUndefined();
  expect(r.verdict).toBe('fail');
  const live = r.verdicts.find((v) => v.oracle === 'liveStreams')!;
  expect(live.pass).toBe(false);
  // The first tab's chat (a) is among the six: the leak of one tab takes the pool from the other.
  expect(live.summary).toMatch(/^6 chat streams open \(sessions (?=[^)]*\ba\b)(?=[^)]*\bb\b)[^)]*\)/);
  expect(live.summary).toContain('while the user views 2 streaming sessions');
  // Every witness saw all six: the page probe and CDP only by adding the tabs' counts (the first tab holds one).
  const peaks = live.evidence.witnessPeaks as Record<string, number>;
  for (const w of r.browser === 'chromium' ? ['server', 'page', 'cdp'] : ['server', 'page'])
    expect(peaks[w], w).toBe(6);
  // However late the samples taken on the way were, the one taken at the stop saw what stopped the run.
  const last = stepSamples(r).at(-1);
  expect(last?.step).toBe('stopped');
  expect(last?.server).toBe(6);
});

/** The windows or tabs the page's browser has open now (Chromium: DevTools targets; WebKitGTK: WebDriver handles). */
async function openWindows(page: BrowserPage, cdpPort?: number): Promise<number | null> {
  if (cdpPort) {
    const targets = (await (await fetch(`http://127.0.0.1:${cdpPort}/json/list`)).json()) as { type: string }[];
    return targets.filter((t) => t.type === 'page').length;
  }
  const webdriver = page as unknown as { cmd?: (m: 'GET', path: string) => Promise<string[]> };
  return webdriver.cmd ? (await webdriver.cmd('GET', '/window/handles')).length : null;
}

test("a run's tabs close with its page: the kept browser hands one page over", async ({
  kept: { launcher, launch },
}) => {
  const page = await launcher.launch(launch);
  const port = page.cdpPort;
  try {
    const tab = await page.openTab!();
    await tab.goto('data:text/html,<title>second</title>');
    await page.goto('data:text/html,<title>first</title>');
    // Each page's commands go to its own tab, however they interleave.
    expect(await Promise.all([tab.evaluate('document.title'), page.evaluate('document.title')])).toEqual([
      'second',
      'first',
    ]);
  } finally {
    await page.close();
  }
  if (port) expect(await openWindows(page, port)).toBe(1);
  const next = await launcher.launch(launch);
  try {
    const n = await openWindows(next);
    if (n !== null) expect(n).toBe(1);
    expect(await next.evaluate('location.href')).toBe('about:blank');
  } finally {
    await next.close();
  }
});

test('a driver that cannot open a tab fails the openTab step, naming the browser', async ({
  kept: { launcher, launch },
}) => {
  test.skip(launcher.browser !== 'chromium', 'the step failure does not depend on the browser');
  const without: BrowserLauncher = {
    browser: launcher.browser,
    missing: () => launcher.missing(),
    describe: () => launcher.describe(),
    launch: async (o) => Object.assign(await launcher.launch(o), { openTab: undefined }),
  };
  const r = await runScenario(scenario, { target: referenceTarget, launcher: without, launch, regress: [] });
  expect(r.error).toBeUndefined();
  expect(r.verdict).toBe('fail');
  expect(r.stepFailures.map((f) => f.error)).toEqual([
    expect.stringMatching(/^steps\[4\] openTab: Chromium .* cannot open another tab \(its driver has no openTab\)/),
  ]);
});
