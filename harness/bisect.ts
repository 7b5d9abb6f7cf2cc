// `sse-harness bisect`: given a target's git checkout, a scenario, a good and a bad ref, run the scenario at
// candidate commits (each in a temporary git worktree: the user's working tree is never touched) and name the first
// bad commit, with the report of every step.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { onCleanup, removeTempDir, tempDir } from './driver/reaper.ts';
import type { BrowserLauncher } from './driver/types.ts';
import { buildReport, writeReport } from './report/json.ts';
import { runScenario, type ScenarioResult } from './runner/run.ts';
import type { Scenario } from './scenario/schema.ts';
import { targetFor } from './targets/index.ts';

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

const git = (repo: string, ...args: string[]) => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

export async function bisect(opts: BisectOptions): Promise<BisectOutcome> {
  const repo = resolve(opts.repo);
  if (!existsSync(repo)) throw new Error(`sse-harness: --repo ${opts.repo}: no such folder. Give the git checkout of the chat UI.`);
  try {
    git(repo, 'rev-parse', '--git-dir');
  } catch {
    throw new Error(`sse-harness: --repo ${opts.repo}: not a git repository. bisect needs the UI's git history.`);
  }
  const rev = (ref: string, flag: string) => {
    try {
      return git(repo, 'rev-parse', '--verify', '--quiet', `${ref}^{commit}`);
    } catch {
      throw new Error(`sse-harness: ${flag} ${ref}: no such commit in ${opts.repo}.`);
    }
  };
  const good = rev(opts.good, '--good');
  const bad = rev(opts.bad, '--bad');
  try {
    git(repo, 'merge-base', '--is-ancestor', good, bad);
  } catch {
    throw new Error(`sse-harness: --good ${opts.good} is not an ancestor of --bad ${opts.bad}: bisect walks the history from good to bad.`);
  }
  // Oldest first; the bad commit is last. Candidates lie on the path from good to bad.
  const between = git(repo, 'rev-list', '--reverse', '--ancestry-path', `${good}..${bad}`).split('\n').filter(Boolean);
  if (!between.length) throw new Error('sse-harness: --good and --bad are the same commit: nothing to bisect.');
  const subject = (c: string) => git(repo, 'log', '-1', '--format=%s', c);
  const short = (c: string) => c.slice(0, 10);

  const work = tempDir('bisect');
  const worktrees: string[] = [];
  const dropWorktrees = () => {
    for (const wt of worktrees.splice(0)) {
      try {
        git(repo, 'worktree', 'remove', '--force', wt);
      } catch {
        /* already gone */
      }
    }
    try {
      git(repo, 'worktree', 'prune');
    } catch {
      /* nothing to prune */
    }
  };
  const stopCleanup = onCleanup(dropWorktrees);
  const steps: BisectStep[] = [];
  const startedAt = new Date().toISOString();

  const test = async (commit: string): Promise<'good' | 'bad'> => {
    const wt = join(work, short(commit));
    git(repo, 'worktree', 'add', '--detach', '--force', wt, commit);
    worktrees.push(wt);
    try {
      const target = targetFor(opts.target, { appDir: join(wt, opts.appSubdir) });
      opts.log(`bisect: testing ${short(commit)} ${subject(commit)}`);
      const result = await runScenario(opts.scenario, { target, launcher: opts.launcher, regress: [] });
      if (result.verdict === 'error') throw new Error(`sse-harness: bisect: the scenario could not run at ${short(commit)}: ${result.error}`);
      const verdict = result.verdict === 'pass' ? 'good' : 'bad';
      const failing = result.verdicts.filter((v) => !v.pass).map((v) => v.oracle);
      opts.log(`bisect: ${short(commit)} is ${verdict}${failing.length ? ` (${failing.join(', ')})` : ''}`);
      steps.push({ commit, subject: subject(commit), verdict, result: { ...result, scenario: `${result.scenario}@${short(commit)}`, description: `bisect ${short(commit)} ${subject(commit)}: ${verdict}` } });
      return verdict;
    } finally {
      try {
        git(repo, 'worktree', 'remove', '--force', wt);
      } catch {
        /* removed with the temp folder */
      }
      worktrees.splice(worktrees.indexOf(wt), 1);
    }
  };

  try {
    // The ends first: a bisection whose good end fails, or whose bad end passes, would name a wrong commit.
    if ((await test(good)) !== 'good') throw new Error(`sse-harness: --good ${opts.good} (${short(good)}) fails the scenario too: pick an older good commit.`);
    if ((await test(bad)) !== 'bad') throw new Error(`sse-harness: --bad ${opts.bad} (${short(bad)}) passes the scenario: nothing to find with this scenario.`);
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
    dropWorktrees();
    stopCleanup();
    removeTempDir(work);
  }
}
