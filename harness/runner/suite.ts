// The suite loop, one for every command that runs many scenarios: run, stress, and the runs at one ref of sweep,
// bisect and run --compare. Workers take jobs from a JobQueue (runner/schedule.ts), each keeping its own browsers
// across its runs, until none is left, a hook stops everything, or the process is interrupted. What the commands do
// differently (how one job runs, what a result means to them, what a boot failure prints) comes in as hooks.
import { wasInterrupted } from '../driver/reaper.ts';
import { BrowserPool, WorkerBrowsers } from '../driver/reuse.ts';
import type { BrowserLauncher, LaunchOptions } from '../driver/types.ts';
import type { ScenarioResult } from './run.ts';
import { JobQueue, type Schedulable } from './schedule.ts';

export type SuiteJob = Schedulable & { browser: string };

/** A job that is not run because the UI did not boot in its browser: its index in the job list. */
export interface BootFailure<J> {
  browser: string;
  /** The result that showed it (marked bootFailed). */
  result: ScenarioResult;
  job: J;
  index: number;
  /** The jobs of that browser not yet started, now dropped: indexes in the job list, in the queue's order. */
  skipped: number[];
}

export interface SuiteOptions<J extends SuiteJob> {
  jobs: readonly J[];
  /** Keeps groups of jobs in order (repetitions of a round); see JobQueue. */
  group?: (index: number) => number;
  /**
   * Where each worker's browsers come from. `workers`: that many workers at most, each making its own set and
   * closing it once it is done (Suite.closed). A pool: sets its owner keeps across suites (a sweep's refs), lent one
   * per worker and given back as soon as the worker finds nothing left; its size is the number of workers.
   */
  browsers: { workers: number; launcherFor: (name: string) => BrowserLauncher } | BrowserPool;
  /** How a worker's browsers are started ahead of a run (warm): one way for all, or the job's own (its device). */
  launch?: LaunchOptions | ((job: J) => LaunchOptions);
  /**
   * What a boot failure is about (default: the job's browser): the jobs with the same key not yet started are
   * dropped. A run of several targets keys on browser and target.
   */
  bootKey?: (job: J) => string;
  /** Runs one job with the worker's browsers; retries, if any, happen in here. */
  run: (job: J, index: number, browsers: WorkerBrowsers) => Promise<ScenarioResult>;
  /** Each result as it comes (already in Suite.results). */
  onResult?: (result: ScenarioResult, job: J, index: number) => void;
  /**
   * The first result in a browser that says the UI did not boot there: that browser's jobs not yet started are
   * dropped (a UI that cannot boot cannot be judged; one attempt per browser says so, not a timeout per scenario).
   */
  onBootFailure?: (failure: BootFailure<J>) => void;
  /** After a result (and its boot failure, if any): true stops everything; jobs not yet started are dropped. */
  stopAfter?: (result: ScenarioResult, job: J, index: number) => boolean;
  /** Called once no job is left to take (the last runs may still be going): a sweep starts its next ref. */
  onDrained?: () => void;
  /** True once the process was interrupted (default: Ctrl-C, driver/reaper.ts): no job starts, no result counts. */
  interrupted?: () => boolean;
}

export interface Suite {
  /** Index for index with the jobs; undefined for a job not run (dropped, stopped, interrupted). */
  results: (ScenarioResult | undefined)[];
  /** Resolves once the browsers this suite made are closed (they close while the caller writes its reports). */
  closed: Promise<void>;
}

export async function runSuite<J extends SuiteJob>(o: SuiteOptions<J>): Promise<Suite> {
  const interrupted = o.interrupted ?? (() => !!wasInterrupted());
  const results: (ScenarioResult | undefined)[] = new Array(o.jobs.length).fill(undefined);
  const queue = new JobQueue(o.jobs, o.group);
  const bootFailed = new Set<string>();
  const bootKey = o.bootKey ?? ((j: J) => j.browser);
  const launchOf = (j: J) => (typeof o.launch === 'function' ? o.launch(j) : o.launch);
  let stopped = false;
  let drained = false;
  const checkDrained = () => {
    if (drained || queue.remaining) return;
    drained = true;
    o.onDrained?.();
  };

  const runJobs = async (browsers: WorkerBrowsers) => {
    while (!interrupted() && !stopped) {
      const taken = await queue.take(browsers.last);
      if (!taken) break;
      checkDrained();
      if (interrupted() || stopped) {
        taken.done();
        break;
      }
      const { job, index } = taken;
      // A browser the worker moves to starts now, while the run's backend and page script load.
      if (browsers.last !== job.browser) browsers.get(job.browser).warm(launchOf(job));
      browsers.last = job.browser;
      queue.warmAfter(job, (b, next) => browsers.get(b).warm(launchOf(next)));
      const r = await o.run(job, index, browsers).finally(taken.done);
      // The signal handler writes what the command has so far and exits: a run cut short is no result.
      if (interrupted()) return;
      results[index] = r;
      o.onResult?.(r, job, index);
      if (r.bootFailed && !bootFailed.has(bootKey(job))) {
        bootFailed.add(bootKey(job));
        const skipped = queue.drop((j) => bootKey(j) === bootKey(job));
        o.onBootFailure?.({ browser: job.browser, result: r, job, index, skipped });
        checkDrained();
      }
      if (!stopped && o.stopAfter?.(r, job, index)) {
        stopped = true;
        queue.clear();
        checkDrained();
      }
    }
  };

  const closing: Promise<void>[] = [];
  const source = o.browsers;
  const worker =
    source instanceof BrowserPool
      ? async () => {
          // A worker that finds nothing left does not hold a set another suite (the next ref) could use.
          if (!queue.remaining) return;
          const browsers = await source.acquire();
          try {
            await runJobs(browsers);
          } finally {
            source.release(browsers);
          }
        }
      : async () => {
          const browsers = new WorkerBrowsers(source.launcherFor);
          try {
            await runJobs(browsers);
          } finally {
            closing.push(browsers.dispose());
          }
        };
  const workers = Math.max(1, Math.min(source instanceof BrowserPool ? source.size : source.workers, o.jobs.length));
  await Promise.all(Array.from({ length: workers }, worker));
  checkDrained();
  return { results, closed: Promise.all(closing).then(() => undefined) };
}
