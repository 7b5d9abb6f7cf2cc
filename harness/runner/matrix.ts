// The detection matrix: every regression class × browser (× transport, when the run asks for transports) must be
// flagged by its oracle, and the healthy UI must pass.
import type { z as Z } from 'zod';
import { z } from '../deps.ts';
import type { Scenario } from '../scenario/schema.ts';
import { CLASS_ORACLE } from '../oracles/classes.ts';
import type { RegressionClass } from '../scenario/classes.ts';
import type { Verdict } from '../oracles/types.ts';
import type { Target } from '../targets/types.ts';
import type { ScenarioResult } from './run.ts';
import { oneLine } from '../printable.ts';

export interface Job {
  scenario: Scenario;
  browser: string;
  regress: string[];
  /** What a correct harness reports: the healthy UI passes; a switched-on class is caught. */
  expect: 'pass' | 'catch';
  klass?: RegressionClass;
  /** The config project the run belongs to (absent without projects), its target and device profile. */
  project?: string;
  target?: Target;
  device?: 'iphone';
  /** The streaming transport its target was made for (--transport), a column of the matrix; absent: the default. */
  transport?: string;
}

/** What the matrix's cells need of a job (a shard blob's job list has this much). */
export type MatrixJob = Pick<Job, 'browser' | 'expect' | 'klass' | 'transport'> & { scenario: Pick<Scenario, 'name'> };

/** One cell of the matrix, as the JSON report holds it; a class is any target's, so the schema has a string. */
export const matrixCellSchema = z
  .object({
    klass: z.string(),
    browser: z.string(),
    transport: z.string().optional().describe("the streaming transport of the column (absent: the UI's default)"),
    /** healthy: passed/total; class: caught by its oracle in every scenario built for it. */
    ok: z.boolean(),
    detail: z.string(),
    scenarios: z.array(z.string()),
  })
  .strict();
export type MatrixCell = Omit<Z.infer<typeof matrixCellSchema>, 'klass'> & { klass: RegressionClass | 'healthy' };

/** A column of the matrix: a browser, and a transport when the run asked for transports. */
export interface MatrixColumn {
  browser: string;
  transport?: string;
}
const inColumn = (x: MatrixColumn, c: MatrixColumn) => x.browser === c.browser && x.transport === c.transport;
export const columnLabel = (c: MatrixColumn): string => (c.transport ? `${c.browser} · ${c.transport}` : c.browser);

/**
 * The columns of cells or jobs: each browser in the order given, then each transport it has in the order first met
 * (projects may give browsers different transports); a browser with none is one column of its own.
 */
export function matrixColumns(of: readonly MatrixColumn[], browsers: readonly string[]): MatrixColumn[] {
  return browsers.flatMap((browser) => {
    const transports = [...new Set(of.filter((x) => x.browser === browser).map((x) => x.transport))];
    return (transports.length ? transports : [undefined]).map((transport) =>
      transport === undefined ? { browser } : { browser, transport },
    );
  });
}

/** Jobs for the matrix: every scenario healthy, plus each class in the scenarios that declare they catch it. */
export function matrixJobs(
  scenarios: Scenario[],
  browsers: string[],
  classes: readonly RegressionClass[],
  healthyRepeats = 1,
): Job[] {
  const jobs: Job[] = [];
  for (const browser of browsers) {
    for (let i = 0; i < healthyRepeats; i++)
      for (const scenario of scenarios) jobs.push({ scenario, browser, regress: [], expect: 'pass' });
    for (const klass of classes) {
      for (const scenario of scenarios.filter((s) => s.catches?.includes(klass)))
        jobs.push({ scenario, browser, regress: [klass], expect: 'catch', klass });
    }
  }
  return jobs;
}

/**
 * When a matrix run has shown what it is for: a regression run once its own oracle failed for good (the catch is
 * proven; another oracle failing first is not proof, so the run goes on), a healthy run at any definite failure.
 */
export function stopWhenFor(job: Pick<Job, 'expect' | 'klass'>): (definiteFailures: Verdict[]) => boolean {
  if (job.expect === 'catch') return (f) => f.some((v) => v.oracle === CLASS_ORACLE[job.klass!]);
  return (f) => f.length > 0;
}

/** A catch counts only when the class's own oracle failed (another oracle failing is not proof). */
export function caughtBy(result: ScenarioResult, klass: RegressionClass): boolean {
  return result.verdicts.some((v) => !v.pass && v.oracle === CLASS_ORACLE[klass]);
}

/**
 * The matrix's cells. With retries (runner/retry.ts) a run that held only on a retry is flaky: a flaky healthy run
 * or a flaky catch is named in its cell, and counts as a false alarm or a miss when flaky runs fail the gate. A
 * healthy run that failed only as known findings allow is no false alarm.
 */
export function matrixCells(
  jobs: MatrixJob[],
  results: ScenarioResult[],
  browsers: string[],
  classes: readonly RegressionClass[],
  flaky: 'pass' | 'fail' = 'pass',
): MatrixCell[] {
  const cells: MatrixCell[] = [];
  const pairs = jobs
    .map((job, i) => ({ job, result: results[i] }))
    .filter((p): p is { job: MatrixJob; result: ScenarioResult } => p.result !== undefined);
  const isFlaky = (r: ScenarioResult) => r.outcome === 'flaky';
  const tally = (list: { result: ScenarioResult }[], what: 'flaky' | 'known') => {
    const names = list.filter((p) => (p.result.outcome ?? p.result.verdict) === what).map((p) => p.result.scenario);
    return names.length ? `, ${what} ${names.length}: ${names.join(', ')}` : '';
  };
  for (const column of matrixColumns(jobs, browsers)) {
    const healthy = pairs.filter((p) => inColumn(p.job, column) && p.job.expect === 'pass');
    const alarms = healthy.filter(
      (p) => !['pass', 'known', ...(flaky === 'pass' ? ['flaky'] : [])].includes(p.result.outcome ?? p.result.verdict),
    );
    cells.push({
      klass: 'healthy',
      ...column,
      ok: alarms.length === 0 && healthy.length > 0,
      detail: alarms.length
        ? `FALSE ALARM ${alarms.length}/${healthy.length}: ${alarms
            .map(
              (a) =>
                `${a.result.scenario} (${
                  isFlaky(a.result)
                    ? 'flaky'
                    : a.result.verdict === 'error'
                      ? a.result.error
                      : a.result.verdicts
                          .filter((v) => !v.pass)
                          .map((v) => v.oracle)
                          .join(', ')
                })`,
            )
            .join('; ')}`
        : `pass ${healthy.length}/${healthy.length}${tally(healthy, 'flaky')}${tally(healthy, 'known')}`,
      scenarios: [...new Set(healthy.map((p) => p.job.scenario.name))],
    });
    for (const klass of classes) {
      const runs = pairs.filter((p) => inColumn(p.job, column) && p.job.klass === klass);
      const missed = runs.filter((p) => !caughtBy(p.result, klass) || (flaky === 'fail' && isFlaky(p.result)));
      const flakyCatches = runs.filter((p) => isFlaky(p.result)).map((p) => p.result.scenario);
      cells.push({
        klass,
        ...column,
        ok: runs.length > 0 && missed.length === 0,
        detail: !runs.length
          ? 'MISS: no scenario declares it catches this class'
          : missed.length
            ? `MISS in ${missed.map((m) => `${m.result.scenario}${isFlaky(m.result) && caughtBy(m.result, klass) ? ' (flaky: caught only on a retry)' : m.result.verdict === 'error' ? ` (error: ${m.result.error})` : ''}`).join(', ')}`
            : `caught · ${CLASS_ORACLE[klass]}${flakyCatches.length ? ` (flaky in ${flakyCatches.join(', ')})` : ''}`,
        scenarios: runs.map((p) => p.job.scenario.name),
      });
    }
  }
  return cells;
}

/**
 * A shard's own cells (--shard): those it has runs for, and those no run of the whole has (a class no scenario
 * catches is a miss in every shard). A cell whose runs all fell to other shards is theirs to judge.
 */
export function shardCells(cells: MatrixCell[], shardJobs: MatrixJob[], allJobs: MatrixJob[]): MatrixCell[] {
  const has = (jobs: MatrixJob[], c: MatrixCell) =>
    jobs.some((j) => inColumn(j, c) && (c.klass === 'healthy' ? j.expect === 'pass' : j.klass === c.klass));
  return cells.filter((c) => has(shardJobs, c) || !has(allJobs, c));
}

const pad = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s.padEnd(n));

export function matrixTable(cells: MatrixCell[], browsers: string[]): string {
  const rows = [...new Set(cells.map((c) => c.klass))];
  const columns = matrixColumns(cells, browsers);
  // Wide enough for the longest oracle name; failing cells are spelled out in full below the table.
  const width = Math.min(
    40,
    Math.max(12, ...cells.map((c) => (c.ok ? c.detail.length + 2 : 0)), ...columns.map((c) => columnLabel(c).length)),
  );
  const lines = [`${pad('regression class', 22)} ${columns.map((c) => pad(columnLabel(c), width)).join(' ')}`];
  lines.push('-'.repeat(22 + (width + 1) * columns.length));
  for (const klass of rows) {
    const cols = columns.map((col) => {
      const c = cells.find((x) => x.klass === klass && inColumn(x, col));
      return pad(c ? `${c.ok ? '✓' : '✗'} ${oneLine(c.detail)}` : '-', width);
    });
    lines.push(`${pad(klass === 'healthy' ? 'healthy UI' : klass, 22)} ${cols.join(' ')}`);
  }
  const misses = cells.filter((c) => c.klass !== 'healthy' && !c.ok).length;
  const alarms = cells.filter((c) => c.klass === 'healthy' && !c.ok).length;
  lines.push('', `${misses} miss${misses === 1 ? '' : 'es'}, ${alarms} false alarm${alarms === 1 ? '' : 's'}`);
  for (const c of cells.filter((x) => !x.ok)) lines.push(`  ${c.klass} · ${columnLabel(c)}: ${oneLine(c.detail)}`);
  return lines.join('\n');
}
