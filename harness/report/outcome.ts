// How every report names a run's outcome: flaky runs with their attempts, known findings with their reason, and why
// a run is a red line. One wording for the terminal table, JUnit, Markdown and HTML.
import type { Verdict } from '../oracles/types.ts';
import type { ScenarioResult } from '../runner/run.ts';
import { outcomeOf, type Outcome } from '../runner/retry.ts';
import { CLASS_ORACLE } from '../oracles/classes.ts';
import type { RegressionClass } from '../scenario/classes.ts';

export { outcomeOf, type Outcome };

/** Every attempt of a run, oldest first (one for a run that was not retried). */
export const attemptsOf = (r: ScenarioResult): ScenarioResult[] => [...(r.attempts ?? []), r];

/** Why an attempt was judged as it was, in a few words: its first failing oracle, its error, or "all held". */
export function attemptProblem(a: ScenarioResult): string {
  if (a.verdict === 'error') return `error: ${a.error ?? 'unknown'}`;
  const failing = a.verdicts.filter((v) => !v.pass);
  if (a.expected === 'catch' && !failing.length) return `regression ${a.regress.join(',')} not caught`;
  return failing.length ? `${failing[0]!.oracle}: ${failing[0]!.summary}` : 'all oracles held';
}

/** "attempt 1 of 2: FAIL liveStreams: …", one per attempt, for a run that was retried; none otherwise. */
export function attemptLines(r: ScenarioResult): string[] {
  const all = attemptsOf(r);
  if (all.length < 2) return [];
  return all.map((a, i) => `attempt ${i + 1} of ${all.length}: ${a.verdict.toUpperCase()} ${attemptProblem(a)}`);
}

/** One sentence on a flaky run: which attempts failed, which held. */
export function flakySentence(r: ScenarioResult): string {
  const all = attemptsOf(r);
  const bad = all.slice(0, -1).map((a, i) => `attempt ${i + 1}: ${attemptProblem(a)}`);
  return `flaky: held on attempt ${all.length} of ${all.length} after ${bad.join('; ')}`;
}

/** What a known-findings entry says about a failing verdict, or ''. */
export function knownNote(v: Verdict): string {
  if (!v.known) return '';
  return v.known.expired
    ? ` (known entry expired ${v.known.expires}, no longer excused: ${v.known.reason}; ${v.known.source})`
    : ` (known: ${v.known.reason}${v.known.expires ? `, until ${v.known.expires}` : ''})`;
}

/**
 * Why a run is a red line, or null. In a detection matrix a regression run is there to be caught, so it is red only
 * when its class's oracle missed it; everywhere else a failing oracle is red.
 */
export function problemOf(r: ScenarioResult, inMatrix = false, flaky: 'pass' | 'fail' = 'pass'): string | null {
  const outcome = outcomeOf(r);
  if (outcome === 'known') return null;
  if (outcome === 'flaky') return flaky === 'fail' ? flakySentence(r) : null;
  if (r.verdict === 'error') return `harness error: ${r.error ?? 'unknown'}`;
  if (inMatrix && r.expected === 'catch') {
    const oracles: string[] = r.regress.map((k) => CLASS_ORACLE[k as RegressionClass]).filter(Boolean);
    const caught = r.verdicts.some((v) => !v.pass && oracles.includes(v.oracle));
    return caught
      ? null
      : `regression ${r.regress.join(',')} was not caught by ${oracles.join(', ') || 'its oracle'} (missed)`;
  }
  if (r.verdict === 'fail')
    return r.verdicts
      .filter((v) => !v.pass)
      .map((v) => `${v.oracle}: ${v.summary}${v.step ? ` (at ${v.step})` : ''}${knownNote(v)}`)
      .join('\n');
  return null;
}
