// The suite loop (runner/suite.ts) without a browser: the run closure is a fake that records what it was given, and
// the launchers are fakes whose browsers only count their starts and closes.
import { expect, test } from '@playwright/test';
import { BrowserPool, WorkerBrowsers } from '../harness/driver/reuse.ts';
import type { BrowserLauncher, BrowserName } from '../harness/driver/types.ts';
import { errorResult } from '../harness/history/at-ref.ts';
import type { ScenarioResult } from '../harness/runner/run.ts';
import { runSuite, type BootFailure } from '../harness/runner/suite.ts';
import type { Scenario } from '../harness/scenario/schema.ts';

interface FakeJob {
  scenario: Scenario;
  browser: string;
  regress: string[];
  expect: 'pass';
}

/** Jobs named name@browser, each scripted to last `ms` (the queue runs the longest first). */
const jobs = (spec: [string, string, number][]): FakeJob[] =>
  spec.map(([name, browser, ms]) => ({
    scenario: { name, file: `${name}.yaml`, streams: {}, steps: [{ open: {} }, { wait: ms }], expect: {} },
    browser,
    regress: [],
    expect: 'pass',
  }));

const label = (j: FakeJob) => `${j.scenario.name}@${j.browser}`;

/** A passing result for a job; `bootFailed` marks the UI as not booting in its browser. */
const result = (j: FakeJob, bootFailed = false): ScenarioResult => ({
  ...errorResult(j, 'fake', bootFailed ? 'the UI never became ready' : ''),
  verdict: bootFailed ? 'error' : 'pass',
  ...(bootFailed ? { bootFailed: true } : { error: undefined }),
});

/** Launchers whose browsers start and close instantly and are counted. */
function fakeLaunchers() {
  const started: string[] = [];
  let closed = 0;
  const launcherFor = (name: string): BrowserLauncher => ({
    browser: name as BrowserName,
    missing: () => null,
    describe: () => `fake ${name}`,
    launch: () => Promise.reject(new Error('the fake run closure never launches')),
    start: async () => {
      started.push(name);
      return {
        newPage: () => Promise.reject(new Error('no pages')),
        healthy: () => true,
        close: async () => void closed++,
      };
    },
  });
  return { launcherFor, started, closed: () => closed };
}

/** Lets every other worker's pending step run: all workers start their runs before any run ends. */
const yieldTurn = () => new Promise<void>((r) => setImmediate(r));

test('every job runs once, results come back indexed like the jobs, at most N at once', async () => {
  const list = jobs([
    ['a', 'chromium', 1000],
    ['b', 'chromium', 5000],
    ['c', 'webkit', 3000],
    ['d', 'chromium', 2000],
    ['e', 'webkit', 4000],
    ['f', 'chromium', 500],
    ['g', 'webkit', 800],
  ]);
  const fake = fakeLaunchers();
  for (const workers of [1, 3]) {
    const ran: string[] = [];
    let running = 0;
    let most = 0;
    const suite = await runSuite({
      jobs: list,
      browsers: { workers, launcherFor: fake.launcherFor },
      interrupted: () => false,
      run: async (job, index) => {
        expect(list[index]).toBe(job);
        most = Math.max(most, ++running);
        ran.push(label(job));
        await yieldTurn();
        await yieldTurn();
        running--;
        return result(job);
      },
    });
    expect([...ran].sort(), `workers ${workers}`).toEqual(list.map(label).sort());
    expect(most, `workers ${workers}`).toBe(workers);
    expect(suite.results.map((r) => r && `${r.scenario}@${r.browser}`)).toEqual(list.map(label));
    // The browsers the suite made are closed once `closed` resolves.
    await suite.closed;
    expect(fake.closed(), `workers ${workers}`).toBe(fake.started.length);
  }
  // Never more workers than jobs.
  let most = 0;
  let running = 0;
  await runSuite({
    jobs: list.slice(0, 2),
    browsers: { workers: 8, launcherFor: fake.launcherFor },
    interrupted: () => false,
    run: async (job) => {
      most = Math.max(most, ++running);
      await yieldTurn();
      running--;
      return result(job);
    },
  });
  expect(most).toBe(2);
});

test('a pool lends one set per worker, and a worker keeps to the browser it ran last, across suites', async () => {
  const fake = fakeLaunchers();
  const sets = [new WorkerBrowsers(fake.launcherFor)];
  const pool = new BrowserPool(sets);
  const order: string[] = [];
  const run = async (job: FakeJob, _i: number, browsers: WorkerBrowsers) => {
    expect(browsers).toBe(sets[0]);
    order.push(label(job));
    return result(job);
  };
  await runSuite({
    jobs: jobs([
      ['x', 'chromium', 9000],
      ['y', 'webkit', 1000],
    ]),
    browsers: pool,
    run,
    interrupted: () => false,
  });
  // The set's last run was in WebKit: the next suite starts there, though its Chromium run is the longer.
  await runSuite({
    jobs: jobs([
      ['long', 'chromium', 9000],
      ['w', 'webkit', 100],
    ]),
    browsers: pool,
    run,
    interrupted: () => false,
  });
  expect(order).toEqual(['x@chromium', 'y@webkit', 'w@webkit', 'long@chromium']);
  // The pool's owner keeps its sets: nothing was closed.
  expect(fake.closed()).toBe(0);
  await sets[0]!.dispose();
  expect(fake.closed()).toBe(fake.started.length);
});

test('a UI that did not boot in a browser: one attempt there, its other runs not started, the hook told', async () => {
  const list = jobs([
    ['first', 'chromium', 9000],
    ['c2', 'chromium', 3000],
    ['w1', 'webkit', 2000],
    ['c3', 'chromium', 1000],
    ['w2', 'webkit', 500],
  ]);
  const ran: string[] = [];
  const failures: BootFailure<FakeJob>[] = [];
  const seen: string[] = [];
  const suite = await runSuite({
    jobs: list,
    browsers: { workers: 1, launcherFor: fakeLaunchers().launcherFor },
    interrupted: () => false,
    run: async (job) => {
      ran.push(label(job));
      return result(job, job.browser === 'chromium');
    },
    onResult: (r) => seen.push(`result ${r.scenario}`),
    onBootFailure: (f) => {
      failures.push(f);
      seen.push(`boot ${f.browser}`);
    },
  });
  expect(ran).toEqual(['first@chromium', 'w1@webkit', 'w2@webkit']);
  expect(failures).toHaveLength(1);
  expect(failures[0]).toMatchObject({ browser: 'chromium', index: 0, skipped: [1, 3] });
  expect(failures[0]!.result.bootFailed).toBe(true);
  expect(seen).toEqual(['result first', 'boot chromium', 'result w1', 'result w2']);
  expect(suite.results.map((r) => r?.scenario)).toEqual(['first', undefined, 'w1', undefined, 'w2']);
});

test('a stop hook that says stop: no further job starts, and no job runs after it', async () => {
  const list = jobs([
    ['a', 'chromium', 5000],
    ['b', 'chromium', 4000],
    ['c', 'chromium', 3000],
    ['d', 'chromium', 2000],
  ]);
  const ran: string[] = [];
  const asked: string[] = [];
  const suite = await runSuite({
    jobs: list,
    browsers: { workers: 1, launcherFor: fakeLaunchers().launcherFor },
    interrupted: () => false,
    run: async (job) => (ran.push(job.scenario.name), result(job)),
    stopAfter: (r) => (asked.push(r.scenario), r.scenario === 'b'),
  });
  expect(ran).toEqual(['a', 'b']);
  expect(asked).toEqual(['a', 'b']);
  expect(suite.results.map((r) => r?.scenario)).toEqual(['a', 'b', undefined, undefined]);
});

test('onDrained fires once, when the last job is taken; an interruption keeps the run it cut short out', async () => {
  const list = jobs([
    ['a', 'chromium', 3000],
    ['b', 'chromium', 2000],
    ['c', 'chromium', 1000],
  ]);
  const events: string[] = [];
  await runSuite({
    jobs: list,
    browsers: { workers: 1, launcherFor: fakeLaunchers().launcherFor },
    interrupted: () => false,
    onDrained: () => events.push('drained'),
    run: async (job) => (events.push(`run ${job.scenario.name}`), result(job)),
  });
  expect(events).toEqual(['run a', 'run b', 'drained', 'run c']);

  let interrupted = false;
  const ran: string[] = [];
  const suite = await runSuite({
    jobs: list,
    browsers: { workers: 1, launcherFor: fakeLaunchers().launcherFor },
    interrupted: () => interrupted,
    run: async (job) => {
      ran.push(job.scenario.name);
      if (job.scenario.name === 'b') interrupted = true;
      return result(job);
    },
  });
  expect(ran).toEqual(['a', 'b']);
  expect(suite.results.map((r) => r?.scenario)).toEqual(['a', undefined, undefined]);
});
