// A run judged while the harness is still showing the page (a matrix run stops at its first definite failure) must
// not count the page's first requests back as made while hidden: on a loaded runner the browser can take a while to
// return from show(), and the healthy reference UI refreshes its state the moment it is visible again.
import { expect } from '@playwright/test';
import { join } from 'node:path';
import { loadScenarioFile } from '../harness/scenario/loader.ts';
import { runScenario } from '../harness/runner/run.ts';
import { stopWhenFor } from '../harness/runner/matrix.ts';
import type { BrowserLauncher, BrowserPage } from '../harness/driver/types.ts';
import { referenceTarget } from '../harness/targets/reference.ts';
import { test } from './support/browser.ts';
import { ROOT } from './support/cli.ts';

async function until(what: string, check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A browser slow to return from show(), as a busy machine's: the page is visible at once, but show() returns only
 * once the page's first polls back have been answered and the run has sampled the page twice more (so its mid-run
 * judgement has seen those requests).
 */
function slowToShow(launcher: BrowserLauncher): BrowserLauncher {
  const slowed = (page: BrowserPage): BrowserPage => {
    let reads = 0;
    const evaluate = page.evaluate.bind(page);
    page.evaluate = <T>(expression: string) => (reads++, evaluate<T>(expression));
    const show = page.show.bind(page);
    page.show = async () => {
      const how = await show();
      const shownAt = await evaluate<number>('performance.now()');
      const answered = (path: string) =>
        `performance.getEntriesByType('resource').some((e) => new URL(e.name).pathname === ${JSON.stringify(path)} && e.startTime > ${shownAt} && e.responseEnd > 0)`;
      await until('the page to poll once visible', () =>
        evaluate<boolean>(`${answered('/api/sessions')} && ${answered('/api/health')}`),
      );
      const seen = reads;
      await until('the run to sample the page twice', async () => reads >= seen + 2);
      return how;
    };
    return page;
  };
  return {
    browser: launcher.browser,
    missing: () => launcher.missing(),
    describe: () => launcher.describe(),
    launch: async (o) => slowed(await launcher.launch(o)),
  };
}

test('a page the browser is slow to show is not judged as polling while hidden', async ({ kept }) => {
  const scenario = loadScenarioFile(join(ROOT, 'scenarios', 'hidden-polling.yaml'));
  const r = await runScenario(scenario, {
    target: referenceTarget,
    launcher: slowToShow(kept.launcher),
    launch: kept.launch,
    regress: [],
    // As the matrix runs the healthy UI: stopped at its first definite failure.
    stopWhen: stopWhenFor({ expect: 'pass' }),
  });
  expect(r.error).toBeUndefined();
  const failing = r.verdicts.filter((v) => !v.pass);
  expect(failing, JSON.stringify(failing, null, 1)).toEqual([]);
  expect(r.verdict).toBe('pass');
});
