// Writes the JSON report of a harness run: one file per run plus latest.json beside it.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ScenarioResult } from '../runner/run.ts';
import type { MatrixCell } from '../runner/matrix.ts';
import { renderHtml } from './html.ts';

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

/** Writes atomically (temp file + rename) so a crash never leaves half a JSON file. */
export function writeReport(dir: string, report: HarnessReport): string {
  mkdirSync(dir, { recursive: true });
  const stamp = report.startedAt.replace(/[:.]/g, '-');
  const file = join(dir, `run-${stamp}.json`);
  const text = JSON.stringify(report, null, 2);
  const html = renderHtml(report);
  for (const [f, body] of [[file, text], [join(dir, 'latest.json'), text], [file.replace(/\.json$/, '.html'), html], [join(dir, 'latest.html'), html]] as const) {
    writeFileSync(`${f}.tmp`, body);
    renameSync(`${f}.tmp`, f);
  }
  return file;
}
