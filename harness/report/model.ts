// The report model every renderer reads: one harness run, its results and how the gate judged them. buildReport
// makes it; json.ts, html.ts, junit.ts and markdown.ts render it, and write.ts writes them all.
import type { ScenarioResult } from '../runner/run.ts';
import type { MatrixCell } from '../runner/matrix.ts';
import type { FlakyPolicy } from '../runner/retry.ts';
import type { KnownStatus } from '../runner/known.ts';
import { outcomeOf } from './outcome.ts';

export const REPORT_SCHEMA_VERSION = 1;

export interface HarnessReport {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  tool: 'sse-harness';
  startedAt: string;
  finishedAt: string;
  /** False when the run was interrupted or crashed before every scenario finished. */
  complete: boolean;
  interruptedBy?: string;
  command: string[];
  target: string;
  browsers: string[];
  regress: string[];
  /** Runs by outcome (flaky and known apart from passed and failed). */
  summary: { total: number; passed: number; failed: number; errors: number; flaky?: number; known?: number };
  /** How the gate judged: retries, the flaky policy, the known findings and what became of each. */
  gate?: GateInfo;
  results: ScenarioResult[];
  /** Present when the run was a detection matrix. */
  matrix?: MatrixCell[];
}

export interface GateInfo {
  retries: number;
  flaky: FlakyPolicy;
  known?: { file: string; entries: KnownStatus[] };
}

export function buildReport(input: Omit<HarnessReport, 'schemaVersion' | 'tool' | 'summary'>): HarnessReport {
  // Every result states its outcome; one that was neither retried nor excused has its verdict as outcome.
  const r = input.results.map((x) => (x.outcome ? x : { ...x, outcome: x.verdict }));
  const count = (o: string) => r.filter((x) => outcomeOf(x) === o).length;
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: 'sse-harness',
    ...input,
    results: r,
    summary: { total: r.length, passed: count('pass'), failed: count('fail'), errors: count('error'), flaky: count('flaky'), known: count('known') },
  };
}
