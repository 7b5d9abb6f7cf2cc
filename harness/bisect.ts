// `sse-harness bisect`: given a target's git checkout, a scenario, a good and a bad ref, run the scenario at
// candidate commits (each in a temporary git worktree: the user's working tree is never touched) and name the first
// bad commit, with the report of every step.
import { resolve } from 'node:path';
import type { BrowserLauncher } from './driver/types.ts';
import { WorkerBrowsers } from './driver/reuse.ts';
import { runAtRef } from './history/at-ref.ts';
import { commitOf, git, isAncestor, openRepo, subjectOf, Worktrees } from './history/git.ts';
import { buildReport } from './report/model.ts';
import { writeReport } from './report/write.ts';
import type { ScenarioResult } from './runner/run.ts';
import type { Scenario } from './scenario/schema.ts';

export interface BisectOptions {
  repo: string;
  good: string;
  bad: string;
  scenario: Scenario;
  target: string;
  /** Folder of the UI inside the repository (default: its root). */
  appSubdir: string;
  launcher: BrowserLauncher;
  reportDir: string;
  log: (s: string) => void;
  /** The streaming transport the UI must use at every candidate (as --transport); absent: the target's own. */
  transport?: string;
}

export interface BisectStep {
  commit: string;
  subject: string;
  verdict: 'good' | 'bad';
  result: ScenarioResult;
}

export interface BisectOutcome {
  firstBad: { commit: string; subject: string };
  steps: BisectStep[];
  report: string;
}

export async function bisect(opts: BisectOptions): Promise<BisectOutcome> {
  const repo = openRepo(opts.repo, '--repo', "bisect needs the UI's git history.");
  const good = commitOf(repo, opts.good, `--good ${opts.good}`);
  const bad = commitOf(repo, opts.bad, `--bad ${opts.bad}`);
  if (!isAncestor(repo, good, bad))
    throw new Error(
      `sse-harness: --good ${opts.good} is not an ancestor of --bad ${opts.bad}: bisect walks the history from good to bad.`,
    );
  // Oldest first; the bad commit is last. Candidates lie on the path from good to bad.
  const between = git(repo, 'rev-list', '--reverse', '--ancestry-path', `${good}..${bad}`).split('\n').filter(Boolean);
  if (!between.length) throw new Error('sse-harness: --good and --bad are the same commit: nothing to bisect.');
  const subject = (c: string) => subjectOf(repo, c);
  const short = (c: string) => c.slice(0, 10);

  const worktrees = new Worktrees(repo, 'bisect');
  // One browser for every step, a fresh page each time.
  const browsers = new WorkerBrowsers(() => opts.launcher);
  const steps: BisectStep[] = [];
  const startedAt = new Date().toISOString();

  const test = async (commit: string): Promise<'good' | 'bad'> => {
    opts.log(`bisect: testing ${short(commit)} ${subject(commit)}`);
    const [result] = await runAtRef({
      worktrees,
      commit,
      appSubdir: opts.appSubdir,
      target: opts.target,
      jobs: [
        {
          scenario: opts.scenario,
          browser: opts.launcher.browser,
          regress: [],
          ...(opts.transport ? { transport: opts.transport } : {}),
        },
      ],
      browsers: [browsers],
    });
    if (!result) throw new Error('sse-harness: bisect interrupted.');
    if (result.verdict === 'error')
      throw new Error(`sse-harness: bisect: the scenario could not run at ${short(commit)}: ${result.error}`);
    const verdict = result.verdict === 'pass' ? 'good' : 'bad';
    const failing = result.verdicts.filter((v) => !v.pass).map((v) => v.oracle);
    opts.log(`bisect: ${short(commit)} is ${verdict}${failing.length ? ` (${failing.join(', ')})` : ''}`);
    steps.push({
      commit,
      subject: subject(commit),
      verdict,
      result: {
        ...result,
        scenario: `${result.scenario}@${short(commit)}`,
        description: `bisect ${short(commit)} ${subject(commit)}: ${verdict}`,
      },
    });
    return verdict;
  };

  try {
    // The ends first: a bisection whose good end fails, or whose bad end passes, would name a wrong commit.
    if ((await test(good)) !== 'good')
      throw new Error(
        `sse-harness: --good ${opts.good} (${short(good)}) fails the scenario too: pick an older good commit.`,
      );
    if ((await test(bad)) !== 'bad')
      throw new Error(
        `sse-harness: --bad ${opts.bad} (${short(bad)}) passes the scenario: nothing to find with this scenario.`,
      );
    // Invariant: between[lo-1] (or good) is good, between[hi] is bad.
    let lo = 0;
    let hi = between.length - 1;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if ((await test(between[mid]!)) === 'good') lo = mid + 1;
      else hi = mid;
    }
    const first = between[hi]!;
    const outcome = { commit: first, subject: subject(first) };
    const report = writeReport(
      resolve(opts.reportDir),
      buildReport({
        startedAt,
        finishedAt: new Date().toISOString(),
        complete: true,
        command: ['bisect', '--repo', opts.repo, '--good', opts.good, '--bad', opts.bad, opts.scenario.file],
        target: opts.target,
        browsers: [opts.launcher.browser],
        regress: [],
        results: steps.map((s) => s.result),
      }),
      { stepSummary: false },
    );
    return { firstBad: outcome, steps, report };
  } finally {
    await browsers.dispose();
    worktrees.dispose();
  }
}
