// Writes the reports of a harness run, one file per format and run plus latest.* beside them.
import { appendFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { makeDir } from '../destination.ts';
import { renderHtml } from './html.ts';
import { renderJson } from './json.ts';
import { renderJUnit } from './junit.ts';
import { renderMarkdown } from './markdown.ts';
import type { HarnessReport } from './model.ts';

/**
 * Writes run-<stamp>.{json,html,junit.xml,md} and latest.* beside them, each atomically (temp file + rename) so a
 * crash never leaves half a file; appends the Markdown summary to $GITHUB_STEP_SUMMARY when that is set.
 */
export function writeReport(dir: string, report: HarnessReport, opts: { stepSummary?: boolean } = {}): string {
  makeDir(dir, `report folder ${dir}`);
  const stamp = report.startedAt.replace(/[:.]/g, '-');
  const file = join(dir, `run-${stamp}.json`);
  const base = file.replace(/\.json$/, '');
  const text = renderJson(report);
  const html = renderHtml(report);
  const junit = renderJUnit(report, basename(file));
  const md = renderMarkdown(report, {
    html: relative(process.cwd(), `${base}.html`),
    json: relative(process.cwd(), file),
  });
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
