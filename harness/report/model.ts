// The report model every renderer reads: one harness run, its results and how the gate judged them. buildReport
// makes it; json.ts, html.ts, junit.ts and markdown.ts render it, and write.ts writes them all.
import type { z as Z } from 'zod';
import type { ScenarioResult } from '../runner/run.ts';
import { outcomeOf } from './outcome.ts';
import { REPORT_SCHEMA_VERSION, type reportSchema } from './schema.ts';

/**
 * One harness run, as the JSON report holds it: derived from the report's schema, so the two cannot drift. Its
 * results stay run.ts's ScenarioResult until that type is derived from runner/result.ts's schema too.
 */
export type HarnessReport = Omit<Z.infer<typeof reportSchema>, 'results'> & { results: ScenarioResult[] };
/** How the gate judged: retries, the flaky policy, the known findings and what became of each. */
export type GateInfo = NonNullable<HarnessReport['gate']>;

export function buildReport(input: Omit<HarnessReport, 'schemaVersion' | 'tool' | 'summary'>): HarnessReport {
  // Every result states its outcome; one that was neither retried nor excused has its verdict as outcome.
  const r = input.results.map((x) => (x.outcome ? x : { ...x, outcome: x.verdict }));
  const count = (o: string) => r.filter((x) => outcomeOf(x) === o).length;
  // The transports the runs were asked to use, unless the caller names them (a run that has no results yet).
  const transports = input.transports ?? [...new Set(r.flatMap((x) => (x.transport ? [x.transport] : [])))];
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: 'sse-harness',
    ...input,
    ...(transports.length ? { transports } : {}),
    results: r,
    summary: {
      total: r.length,
      passed: count('pass'),
      failed: count('fail'),
      errors: count('error'),
      flaky: count('flaky'),
      known: count('known'),
    },
  };
}
