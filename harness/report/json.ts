// Writes the JSON report of a harness run: one file per run plus latest.json beside it.
import { appendFileSync, renameSync, writeFileSync } from 'node:fs';
import { makeDir } from '../destination.ts';
import { basename, join, relative } from 'node:path';
import type { ScenarioResult } from '../runner/run.ts';
import type { MatrixCell } from '../runner/matrix.ts';
import type { FlakyPolicy } from '../runner/retry.ts';
import type { KnownStatus } from '../runner/known.ts';
import { outcomeOf } from './outcome.ts';
import { renderHtml } from './html.ts';
import { renderJUnit } from './junit.ts';
import { renderMarkdown } from './markdown.ts';

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

/**
 * Writes run-<stamp>.{json,html,junit.xml,md} and latest.* beside them, each atomically (temp file + rename) so a
 * crash never leaves half a file; appends the Markdown summary to $GITHUB_STEP_SUMMARY when that is set.
 */
export function writeReport(dir: string, report: HarnessReport, opts: { stepSummary?: boolean } = {}): string {
  makeDir(dir, `report folder ${dir}`);
  const stamp = report.startedAt.replace(/[:.]/g, '-');
  const file = join(dir, `run-${stamp}.json`);
  const base = file.replace(/\.json$/, '');
  const text = JSON.stringify(report, null, 2);
  const html = renderHtml(report);
  const junit = renderJUnit(report, basename(file));
  const md = renderMarkdown(report, { html: relative(process.cwd(), `${base}.html`), json: relative(process.cwd(), file) });
  const outputs: [string, string][] = [
    [file, text],
    [`${base}.html`, html],
    [`${base}.junit.xml`, junit],
    [`${base}.md`, md],
    [join(dir, 'latest.json'), text],
    [join(dir, 'latest.html'), html],
    [join(dir, 'latest.junit.xml'), junit],
    [join(dir, 'latest.md'), md],
  ];
  for (const [f, body] of outputs) {
    writeFileSync(`${f}.tmp`, body);
    renameSync(`${f}.tmp`, f);
  }
  const summary = process.env.GITHUB_STEP_SUMMARY;
  if (summary && opts.stepSummary !== false) {
    try {
      appendFileSync(summary, `${md}\n`);
    } catch {
      /* a summary we cannot write must not fail the run */
    }
  }
  return file;
}
