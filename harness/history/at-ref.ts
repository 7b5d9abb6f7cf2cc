// Runs scenarios against the UI as it was at one commit: a temporary worktree of the repository, the target read
// from it, each run in a browser its worker keeps across refs. Shared by bisect, sweep and run --compare.
import { join } from 'node:path';
import { BrowserPool, type WorkerBrowsers } from '../driver/reuse.ts';
import type { LaunchOptions } from '../driver/types.ts';
import { buildReport } from '../report/model.ts';
import { writeReport } from '../report/write.ts';
import { runScenario, type RunOptions, type ScenarioResult } from '../runner/run.ts';
import { runSuite } from '../runner/suite.ts';
import type { Scenario } from '../scenario/schema.ts';
import { targetFor } from '../targets/index.ts';
import type { Target } from '../targets/types.ts';
import type { Worktrees } from './git.ts';

export interface RefJob {
  scenario: Scenario;
  browser: string;
  regress: string[];
  expect?: 'pass' | 'catch';
  /** The streaming transport the UI must use (as --transport); absent: the target's own. */
  transport?: string;
}

export interface AtRefOptions {
  worktrees: Worktrees;
  commit: string;
  /** The commit's worktree when it is being made already (Worktrees.addLater); else it is made here. */
  worktree?: Promise<string>;
  /** Folder of the UI inside the repository ('.' = its root), given to the target as its app dir. */
  appSubdir: string;
  target: string;
  jobs: RefJob[];
  /** One per worker, each keeping one browser per browser name across runs and refs; their number is the runs at once. */
  browsers: WorkerBrowsers[] | BrowserPool;
  /** Called once every job has been taken by a worker (the last runs may still be going): a sweep starts its next ref. */
  onDrained?: () => void;
  launch?: LaunchOptions;
  /** RunOptions.bootTimeoutMs. */
  bootTimeoutMs?: number;
  /** Play the runs against the mock (default) or the UI's own server (RunOptions.backend). */
  backend?: 'mock' | 'real';
  /** Per run: when to stop it early (see RunOptions.stopWhen). */
  stopWhen?: (job: RefJob) => RunOptions['stopWhen'];
  /** Called as each run starts and ends (progress lines). */
  onStart?: (job: RefJob, index: number) => void;
  onResult?: (job: RefJob, result: ScenarioResult, index: number) => void;
}

/** A run that could not take place, as a result: the cell shows the reason. */
export function errorResult(job: RefJob, target: string, error: string, engine = ''): ScenarioResult {
  return {
    scenario: job.scenario.name,
    file: job.scenario.file,
    description: job.scenario.description,
    catches: job.scenario.catches ?? [],
    timeScale: job.scenario.timeScale,
    browser: job.browser,
    engine,
    target,
    targetVersion: 'unknown',
    regress: job.regress,
    ...(job.transport ? { transport: job.transport } : {}),
    expected: job.expect,
    verdict: 'error',
    verdicts: [],
    stepFailures: [],
    findings: [],
    witnesses: [],
    error,
    durationMs: 0,
    sessions: {},
    timeline: [],
  };
}

/**
 * The jobs' results, index for index (a run not started because the process was interrupted is left undefined).
 * A worktree or target that cannot be made at this commit makes every job an error result naming why: a sweep
 * records it in the row and goes on.
 */
export async function runAtRef(o: AtRefOptions): Promise<(ScenarioResult | undefined)[]> {
  let wt: string | undefined;
  // One target per transport the jobs ask for: a run at this ref streams as the run it is set beside did.
  const targets = new Map<string | undefined, Target>();
  try {
    wt = o.worktree ? await o.worktree : o.worktrees.add(o.commit);
    for (const transport of new Set(o.jobs.map((j) => j.transport)))
      targets.set(transport, targetFor(o.target, { appDir: join(wt, o.appSubdir), transport }));
  } catch (e) {
    // The worktree's temp path means nothing to the reader: name the commit and folder instead.
    const where = `${o.commit.slice(0, 10)}:${o.appSubdir}`;
    const why = (e as Error).message
      .replace(/^sse-harness: /, '')
      .split(wt ? join(wt, o.appSubdir) : '\0')
      .join(where);
    if (wt) o.worktrees.remove(wt);
    return o.jobs.map((j, i) => {
      const r = errorResult(j, o.target, `cannot serve the UI at ${o.commit.slice(0, 10)}: ${why}`);
      o.onResult?.(j, r, i);
      return r;
    });
  }
  const notStarted: ScenarioResult[] = [];
  try {
    const suite = await runSuite({
      jobs: o.jobs,
      browsers: o.browsers instanceof BrowserPool ? o.browsers : new BrowserPool(o.browsers),
      launch: o.launch,
      onDrained: o.onDrained,
      run: async (job, index, browsers) => {
        o.onStart?.(job, index);
        const target = targets.get(job.transport)!;
        let r: ScenarioResult;
        try {
          r = await runScenario(job.scenario, {
            target,
            launcher: browsers.get(job.browser),
            regress: job.regress,
            launch: o.launch,
            backend: o.backend,
            bootTimeoutMs: o.bootTimeoutMs,
            stopWhen: o.stopWhen?.(job),
          });
        } catch (e) {
          r = errorResult(job, target.name, (e as Error).message.replace(/^sse-harness: /, ''));
        }
        r.expected = job.expect;
        if (job.transport) r.transport = job.transport;
        return r;
      },
      onResult: (r, job, index) => o.onResult?.(job, r, index),
      // A UI that did not boot in a browser is not tried there again at this ref: one error result per run not
      // started says so, not a timeout per scenario.
      onBootFailure: ({ result, skipped }) => {
        const why = (result.error ?? 'the UI did not boot').split('\n')[0]!.slice(0, 200);
        for (const i of skipped) {
          const job = o.jobs[i]!;
          notStarted[i] = errorResult(
            job,
            targets.get(job.transport)!.name,
            `not started: the UI did not boot in ${job.browser} at this ref (${why})`,
          );
          o.onResult?.(job, notStarted[i], i);
        }
      },
    });
    return suite.results.map((r, i) => r ?? notStarted[i]);
  } finally {
    o.worktrees.remove(wt);
  }
}

/** Writes the report of one ref's runs into dir (no step summary: the sweep or compare report is the summary). */
export function writeRefReport(
  dir: string,
  o: { startedAt: string; command: string[]; target: string; browsers: string[]; regress: string[]; jobs: number },
  results: (ScenarioResult | undefined)[],
): string {
  const ran = results.filter((r): r is ScenarioResult => r !== undefined);
  return writeReport(
    dir,
    buildReport({
      startedAt: o.startedAt,
      finishedAt: new Date().toISOString(),
      complete: ran.length === o.jobs,
      command: o.command,
      target: o.target,
      browsers: o.browsers,
      regress: o.regress,
      results: ran,
    }),
    { stepSummary: false },
  );
}
