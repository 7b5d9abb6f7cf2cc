// Retries and the flaky outcome, on Playwright's model: a run (scenario × browser) that did not do what it was for
// is run again, up to N more times; one that then holds is reported flaky, never as a plain pass, and every attempt
// is kept. Whether a flaky run fails the gate is the user's choice (--flaky), passing by default as in Playwright
// (which fails on flaky tests only with --fail-on-flaky-tests).
import { caughtBy, type Job } from './matrix.ts';
import type { ScenarioResult } from './run.ts';

/**
 * What a run amounts to for the gate. pass, fail and error are its verdict (in a detection matrix a regression run
 * that was caught is a fail, as its verdict says); flaky: what the run is for failed in an earlier attempt and held
 * in the last; known: it failed only in ways a known-findings entry excuses.
 */
export type Outcome = NonNullable<ScenarioResult['outcome']>;

/** How the gate treats a flaky run. */
export const FLAKY_POLICIES = ['pass', 'fail'] as const;
export type FlakyPolicy = (typeof FLAKY_POLICIES)[number];

/**
 * How one attempt went: ok (it did what it was for), excused (it failed, but only as known findings say it may), bad
 * (anything else: retried while attempts are left).
 */
export type Judgement = 'ok' | 'excused' | 'bad';

/**
 * Did the run do what it was for? In the detection matrix a run with a regression switched on must be caught by its
 * class's own oracle; every other run must pass (outside the matrix a run with --regress fails the gate when it
 * catches, as without retries). A harness error never did.
 */
export function asExpected(job: Pick<Job, 'expect' | 'klass'>, r: ScenarioResult, inMatrix: boolean): boolean {
  if (r.verdict === 'error') return false;
  if (inMatrix && job.expect === 'catch' && job.klass) return caughtBy(r, job.klass);
  return r.verdict === 'pass';
}

export interface RetryOptions {
  /** Attempts after the first, at most. */
  retries: number;
  judge: (r: ScenarioResult) => Judgement;
  /** True once no further attempt should start (interrupted, repetitions stopped). */
  stop?: () => boolean;
  /** True for a result another attempt cannot change (a UI that did not boot): not retried. */
  final?: (r: ScenarioResult) => boolean;
  /** Called before attempt n (2, 3, …) with the attempt that was judged bad. */
  onRetry?: (n: number, previous: ScenarioResult) => void;
}

/**
 * Runs attempt(1), and again while the result is judged bad and retries are left; returns the last attempt with the
 * earlier ones in `attempts` and its `outcome` set. A failure a known finding excuses is not retried: it is expected.
 */
export async function runWithRetries(
  attempt: (n: number) => Promise<ScenarioResult>,
  opts: RetryOptions,
): Promise<ScenarioResult> {
  const earlier: ScenarioResult[] = [];
  for (let n = 1; ; n++) {
    const r = await attempt(n);
    const judged = opts.judge(r);
    if (judged !== 'bad' || n > opts.retries || opts.stop?.() || opts.final?.(r)) return settle(r, earlier, judged);
    earlier.push(r);
    opts.onRetry?.(n + 1, r);
  }
}

function settle(last: ScenarioResult, earlier: ScenarioResult[], judged: Judgement): ScenarioResult {
  const outcome: Outcome =
    judged === 'bad' ? last.verdict : earlier.length ? 'flaky' : judged === 'excused' ? 'known' : last.verdict;
  return { ...last, outcome, ...(earlier.length ? { attempts: earlier } : {}) };
}

/** The run's outcome; a result from before retries and known findings is its verdict. */
export const outcomeOf = (r: ScenarioResult): Outcome => r.outcome ?? r.verdict;

/** Does this run turn the gate red? Its last attempt was bad, or it was flaky and flaky runs fail the gate. */
export function failsGate(r: ScenarioResult, judge: (r: ScenarioResult) => Judgement, policy: FlakyPolicy): boolean {
  return judge(r) === 'bad' || (outcomeOf(r) === 'flaky' && policy === 'fail');
}
