// `run --compare <ref>`: a gate on what a pull request changes. The same runs are made at the base ref (a temporary
// worktree of the app dir's repository) and each failing verdict of the pull request's checkout is set beside the
// base's: a failure the base did not have is new and fails the gate; one the base had too is pre-existing and does
// not, unless a metric of that oracle got worse beyond the baseline tolerance.
import { join, relative, resolve } from 'node:path';
import { WorkerBrowsers } from '../driver/reuse.ts';
import type { BrowserLauncher, LaunchOptions } from '../driver/types.ts';
import { oneLine } from '../report/terminal.ts';
import { limitOf, metricsOf } from '../runner/baseline.ts';
import type { Comparison, RunOptions, ScenarioResult } from '../runner/run.ts';
import type { Verdict } from '../oracles/types.ts';
import { runAtRef, writeRefReport, type RefJob } from './at-ref.ts';
import { commitOf, repoOf, Worktrees } from './git.ts';

export interface CompareSetup {
  base: string;
  baseCommit: string;
  repo: string;
  /** The app dir's place in its repository. */
  subdir: string;
}

/** Checks --compare before anything runs: the app dir is in a git work tree and the base ref is there. */
export function prepareCompare(
  base: string,
  appDir: string | undefined,
  opts: { matrix?: boolean } = {},
): CompareSetup {
  if (opts.matrix)
    throw new Error(
      'sse-harness: --compare judges the UI against its base, --matrix the harness against the reference UI: use one of them.',
    );
  if (!appDir)
    throw new Error(
      `sse-harness: --compare ${base} needs --app-dir <a git checkout of the UI>: the base is checked out from that repository.`,
    );
  const { repo, subdir } = repoOf(
    appDir,
    '--app-dir',
    `--compare ${base} checks the base out from the app dir's git repository (in CI, fetch the base ref too).`,
  );
  return { base, baseCommit: commitOf(repo, base, `--compare ${base}`), repo, subdir };
}

/** The metrics (runner/baseline.ts) that measure how badly each oracle failed; lower is better. */
const ORACLE_METRICS: Record<string, string[]> = {
  liveStreams: ['peakOpen', 'finalOpen'],
  stallBudget: ['longestStallMs', 'totalBlockedMs'],
  reattach: ['slowestReattachMs'],
  lockRecovery: ['slowestUnlockMs'],
  hiddenPolling: ['hiddenRequests'],
};

/** The same failure at the base: the same oracle (for a step failure, the same step). */
const sameFailure = (v: Verdict, b: Verdict) =>
  !b.pass && b.oracle === v.oracle && (v.oracle !== 'steps' || b.step === v.step);

/** Sets one run beside its base run. `ratio` is the baseline tolerance (0.5: a metric 50 % worse, plus slack). */
export function classify(
  pr: ScenarioResult,
  base: ScenarioResult | undefined,
  setup: Pick<CompareSetup, 'base' | 'baseCommit'>,
  ratio: number,
): Comparison {
  const baseVerdict: Comparison['baseVerdict'] = base?.verdict ?? 'not run';
  const baseFailing = base ? base.verdicts.filter((v) => !v.pass).map((v) => v.oracle) : [];
  const head = { base: setup.base, baseCommit: setup.baseCommit, baseVerdict, baseFailing };
  if (pr.verdict === 'error') return { ...head, status: 'error', oracles: [] };
  if (pr.verdict !== 'fail') return { ...head, status: baseVerdict === 'fail' ? 'fixed' : 'ok', oracles: [] };
  const now = metricsOf(pr);
  const was = base && base.verdict !== 'error' ? metricsOf(base) : {};
  const oracles = pr.verdicts
    .filter((v) => !v.pass)
    .map((v): Comparison['oracles'][number] => {
      if (!base || base.verdict === 'error')
        return {
          oracle: v.oracle,
          status: 'new',
          detail: `the base could not be judged${base?.error ? ` (${base.error})` : ''}`,
        };
      const b = base.verdicts.find((x) => sameFailure(v, x));
      if (!b)
        return {
          oracle: v.oracle,
          status: 'new',
          detail:
            base.verdict === 'pass'
              ? 'passed at the base'
              : `held at the base (which failed ${baseFailing.join(', ')})`,
        };
      const worse = (ORACLE_METRICS[v.oracle] ?? [])
        .filter((m) => now[m] !== undefined && was[m] !== undefined && now[m]! > limitOf(m, was[m]!, ratio))
        .map((m) => `${m} ${now[m]} (base ${was[m]}, limit ${limitOf(m, was[m]!, ratio)})`);
      return worse.length
        ? { oracle: v.oracle, status: 'worse', detail: `failed at the base too, now worse: ${worse.join(', ')}` }
        : { oracle: v.oracle, status: 'pre-existing', detail: `failed at the base too: ${b.summary}` };
    });
  const status = oracles.some((o) => o.status === 'new')
    ? 'new'
    : oracles.some((o) => o.status === 'worse')
      ? 'worse'
      : 'pre-existing';
  return { ...head, status, oracles };
}

/** Whether a run's failure may fail the gate: with no comparison always, else only one the comparison calls new or worse. */
export const newSinceBase = (r: ScenarioResult) =>
  r.compare === undefined || r.compare.status === 'new' || r.compare.status === 'worse';

/** Whether a run fails the gate on its own verdict: a failure with no comparison, or one new or worse since the base. */
export const failsGate = (r: ScenarioResult) => r.verdict === 'fail' && newSinceBase(r);

export interface CompareRunOptions {
  /** One round of the runs made on the pull request's checkout (repetitions left out). */
  jobs: RefJob[];
  target: string;
  workers: number;
  launcherFor: (name: string) => BrowserLauncher;
  launch?: LaunchOptions;
  stopWhen?: (job: RefJob) => RunOptions['stopWhen'];
  /** Baseline tolerance: how much worse a metric of a pre-existing failure may get. */
  ratio: number;
  /** The pull request's report folder; the base's report goes in <reportDir>/base/. */
  reportDir: string;
  command: string[];
  log: (line: string) => void;
}

const key = (r: { scenario: string; browser: string; regress: string[]; transport?: string }) =>
  `${r.scenario}\u0000${r.browser}\u0000${r.regress.join(',')}\u0000${r.transport ?? ''}`;

/**
 * Runs the same scenarios at the base and sets each of `results` beside its base run (result.compare). Returns the
 * comparison table and the base report's path.
 */
export async function compareWithBase(
  setup: CompareSetup,
  results: ScenarioResult[],
  o: CompareRunOptions,
): Promise<{ table: string; baseReport: string }> {
  const jobs = [
    ...new Map(
      o.jobs.map((j) => [
        key({ scenario: j.scenario.name, browser: j.browser, regress: j.regress, transport: j.transport }),
        j,
      ]),
    ).values(),
  ];
  const tag = `base ${oneLine(setup.base)}`;
  o.log(
    `sse-harness: the same ${jobs.length} run${jobs.length === 1 ? '' : 's'} at the base ${oneLine(setup.base)} (${setup.baseCommit.slice(0, 10)}), in a temporary worktree`,
  );
  const worktrees = new Worktrees(setup.repo, 'compare');
  const browsers = Array.from({ length: Math.max(1, o.workers) }, () => new WorkerBrowsers(o.launcherFor));
  const startedAt = new Date().toISOString();
  let baseResults: (ScenarioResult | undefined)[];
  try {
    baseResults = await runAtRef({
      worktrees,
      commit: setup.baseCommit,
      appSubdir: setup.subdir,
      target: o.target,
      jobs,
      browsers,
      launch: o.launch,
      stopWhen: o.stopWhen,
      onResult: (job, r, i) =>
        o.log(
          `[${tag} ${i + 1}/${jobs.length}] ${oneLine(job.scenario.name)} · ${job.browser}${job.transport ? ` · ${job.transport}` : ''} → ${r.verdict.toUpperCase()}${
            r.verdict === 'fail'
              ? `: ${r.verdicts
                  .filter((v) => !v.pass)
                  .map((v) => v.oracle)
                  .join(', ')}`
              : r.verdict === 'error'
                ? `: ${oneLine(r.error ?? '').slice(0, 200)}`
                : ''
          }`,
        ),
    });
  } finally {
    await Promise.all(browsers.map((b) => b.dispose()));
    worktrees.dispose();
  }
  const ran = baseResults.filter((r): r is ScenarioResult => r !== undefined);
  const dir = resolve(o.reportDir);
  const baseReport = writeRefReport(
    join(dir, 'base'),
    {
      startedAt,
      command: o.command,
      target: o.target,
      browsers: [...new Set(jobs.map((j) => j.browser))],
      regress: [...new Set(jobs.flatMap((j) => j.regress))],
      jobs: jobs.length,
    },
    baseResults,
  );
  const baseHtml = relative(dir, baseReport).replace(/\.json$/, '.html');
  const byKey = new Map(ran.map((r, i) => [key(r), { r, i }]));
  for (const r of results) {
    const b = byKey.get(key(r));
    r.compare = { ...classify(r, b?.r, setup, o.ratio), ...(b ? { baseReport: `${baseHtml}#r${b.i}` } : {}) };
  }
  return { table: compareTable(results, setup), baseReport };
}

const pad = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s.padEnd(n));
const VERDICT: Record<string, string> = { pass: 'PASS', fail: 'FAIL', error: 'ERROR', 'not run': '-' };

/** This run's verdict beside the base's, and the gate's reading of each. */
export function compareTable(results: ScenarioResult[], setup: Pick<CompareSetup, 'base' | 'baseCommit'>): string {
  const rows = [
    `Compared with the base ${oneLine(setup.base)} (${setup.baseCommit.slice(0, 10)}):`,
    `${pad('scenario', 26)} ${pad('browser', 9)} ${pad('this', 6)} ${pad('base', 6)} gate`,
  ];
  for (const r of results) {
    const c = r.compare;
    if (!c) continue;
    const gate =
      c.status === 'new' || c.status === 'worse' || c.status === 'pre-existing'
        ? c.oracles
            .map((o) => `${o.status === 'pre-existing' ? 'pre-existing' : o.status.toUpperCase()} ${o.oracle}`)
            .join(', ')
        : c.status === 'fixed'
          ? `fixed (base failed ${c.baseFailing.join(', ')})`
          : c.status;
    rows.push(
      `${pad(oneLine(r.scenario), 26)} ${pad(r.browser, 9)} ${pad(VERDICT[r.verdict] ?? r.verdict, 6)} ${pad(VERDICT[c.baseVerdict] ?? c.baseVerdict, 6)} ${oneLine(gate)}`,
    );
  }
  const n = (s: Comparison['status']) => results.filter((r) => r.compare?.status === s).length;
  rows.push(
    '',
    `gate: ${n('new')} new, ${n('worse')} worse, ${n('pre-existing')} pre-existing (not failing the gate), ${n('fixed')} fixed${n('error') ? `, ${n('error')} could not run` : ''}`,
  );
  for (const r of results) {
    for (const o of r.compare?.oracles ?? [])
      if (o.status !== 'pre-existing')
        rows.push(
          `  ${oneLine(r.scenario)} · ${r.browser} · ${o.oracle}: ${o.status}, ${oneLine(o.detail).slice(0, 200)}`,
        );
  }
  return rows.join('\n');
}
