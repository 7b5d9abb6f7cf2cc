// Writes the JSON report of a harness run: one file per run plus latest.json beside it.
import { appendFileSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import type { ScenarioResult } from '../runner/run.ts';
import type { MatrixCell } from '../runner/matrix.ts';
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
  summary: { total: number; passed: number; failed: number; errors: number };
  results: ScenarioResult[];
  /** Present when the run was a detection matrix. */
  matrix?: MatrixCell[];
}

export function buildReport(input: Omit<HarnessReport, 'schemaVersion' | 'tool' | 'summary'>): HarnessReport {
  const r = input.results;
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: 'sse-harness',
    ...input,
    summary: {
      total: r.length,
      passed: r.filter((x) => x.verdict === 'pass').length,
      failed: r.filter((x) => x.verdict === 'fail').length,
      errors: r.filter((x) => x.verdict === 'error').length,
    },
  };
}

/**
 * Writes run-<stamp>.{json,html,junit.xml,md} and latest.* beside them, each atomically (temp file + rename) so a
 * crash never leaves half a file; appends the Markdown summary to $GITHUB_STEP_SUMMARY when that is set.
 */
export function writeReport(dir: string, report: HarnessReport, opts: { stepSummary?: boolean } = {}): string {
  mkdirSync(dir, { recursive: true });
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
