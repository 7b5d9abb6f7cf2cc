// A sweep's history, for a terminal (one row per ref, one column per scenario and browser) and as one HTML page
// whose every cell links that run's own report. Ref names, commit subjects and error text come from the user's
// repository and the UI: escaped in the page, stripped of control characters in the terminal.
import { join } from 'node:path';
import type { SweepCell, SweepSummary } from './sweep-schema.ts';
import { oneLine } from './terminal.ts';

/** One cell in two sweeps of the same history (history/sweep-diff.ts pairs them). */
export interface CellPair {
  ref: string;
  commit: string;
  scenario: string;
  browser: string;
  a: Pick<SweepCell, 'verdict' | 'failing'>;
  b: Pick<SweepCell, 'verdict' | 'failing'>;
  /** 'verdict': pass/fail/error differ; 'oracles': both failed, on different oracles. */
  differs?: 'verdict' | 'oracles';
  /** Each cell's section in its ref's HTML report, relative to its sweep's folder. */
  reports: { a?: string; b?: string };
}

/** Two sweeps of the same history compared cell by cell. */
export interface SweepDiff {
  /** Cells both sweeps ran (neither "not run"), matched by commit, scenario and browser. */
  compared: number;
  sameVerdict: number;
  /** Same verdict and, for failing cells, the same failing oracles. */
  sameOracles: number;
  differing: CellPair[];
  /** Cells one sweep ran and the other did not (or does not have). */
  unmatched: number;
}

const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export const cellMark = (c: Pick<SweepCell, 'verdict' | 'failing'>) =>
  c.verdict === 'fail' ? `FAIL(${c.failing.join(',')})` : c.verdict === 'not run' ? '-' : c.verdict.toUpperCase();

const pad = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s.padEnd(n));

/** The compact table: one row per ref, one column per scenario·browser; failing and error cells spelled out below. */
export function sweepTable(s: SweepSummary): string {
  const heads = s.columns.map((c) => oneLine(`${c.scenario}·${c.browser}`));
  const refWidth = Math.min(28, Math.max(3, ...s.rows.map((r) => oneLine(r.label).length)));
  const widths = heads.map((h, i) =>
    Math.min(32, Math.max(h.length, ...s.rows.map((r) => cellMark(r.cells[i]!).length))),
  );
  const head = [pad('ref', refWidth), ...heads.map((h, i) => pad(h, widths[i]!))].join('  ');
  const lines = [head.trimEnd(), '-'.repeat(head.length)];
  for (const r of s.rows)
    lines.push(
      [pad(oneLine(r.label), refWidth), ...r.cells.map((c, i) => pad(oneLine(cellMark(c)), widths[i]!))]
        .join('  ')
        .trimEnd(),
    );
  const t = s.totals;
  lines.push(
    '',
    `${t.refs} ref${t.refs === 1 ? '' : 's'} × ${s.columns.length} cell${s.columns.length === 1 ? '' : 's'}: ${t.passed} pass, ${t.failed} fail, ${t.errors} error${t.errors === 1 ? '' : 's'}${t.notRun ? `, ${t.notRun} not run` : ''}`,
  );
  const notes = s.rows.flatMap((r) =>
    r.cells
      .filter((c) => c.verdict === 'fail' || c.verdict === 'error')
      .map(
        (c) =>
          `  ${oneLine(r.label)} · ${oneLine(c.scenario)} · ${c.browser}: ${c.verdict === 'error' ? 'ERROR ' : ''}${oneLine(c.detail ?? '').slice(0, 220)}`,
      ),
  );
  if (notes.length) lines.push(...notes);
  return lines.join('\n');
}

export function renderSweepHtml(s: SweepSummary): string {
  const scenarios = [...new Set(s.columns.map((c) => c.scenario))];
  const head1 = scenarios
    .map((sc) => `<th colspan="${s.columns.filter((c) => c.scenario === sc).length}">${esc(sc)}</th>`)
    .join('');
  const head2 = s.columns.map((c) => `<th>${esc(c.browser)}</th>`).join('');
  const rows = s.rows
    .map((r) => {
      const cells = r.cells
        .map((c) => {
          const text = esc(cellMark(c));
          const title = c.detail ? ` title="${esc(c.detail)}"` : '';
          return `<td class="cell ${c.verdict === 'not run' ? 'notrun' : c.verdict}"${title}>${c.report ? `<a href="${esc(encodeURI(c.report))}">${text}</a>` : text}</td>`;
        })
        .join('');
      return `<tr><th class="ref">${r.report ? `<a href="${esc(encodeURI(r.report.replace(/\.json$/, '.html')))}">${esc(r.label)}</a>` : esc(r.label)}<div class="meta"><code>${esc(r.commit.slice(0, 10))}</code> ${esc(r.date.slice(0, 10))}</div><div class="subject">${esc(r.subject)}</div></th>${cells}</tr>`;
    })
    .join('\n');
  const failing = s.rows.flatMap((r) =>
    r.cells
      .filter((c) => c.verdict === 'fail' || c.verdict === 'error')
      .map(
        (c) =>
          `<li><b>${esc(r.label)}</b> · ${esc(c.scenario)} · ${esc(c.browser)}: ${c.report ? `<a href="${esc(encodeURI(c.report))}">${esc(cellMark(c))}</a>` : esc(cellMark(c))} ${esc(c.detail ?? '')}</li>`,
      ),
  );
  const t = s.totals;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>sse-harness sweep · ${esc(s.target)} · ${esc(s.startedAt)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#222}
h1{font-size:20px} .meta{color:#666;font-size:12px;font-weight:normal}
table{border-collapse:collapse;margin:12px 0} td,th{border:1px solid #ddd;padding:3px 8px;vertical-align:top;font-size:13px;text-align:left}
th.ref{min-width:12em;max-width:26em} .subject{color:#666;font-size:11px;font-weight:normal;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;max-width:26em}
td.cell{text-align:center;white-space:nowrap} td.cell a{color:inherit}
td.pass{background:#e8f6ec} td.fail{background:#fde2e2;color:#900} td.error{background:#ffe9c7;color:#840} td.notrun{color:#aaa}
.incomplete{background:#ffe9c7;padding:8px;border:1px solid #e0a040}
</style></head><body>
<h1>sse-harness history sweep · ${esc(s.target)}</h1>
<p class="meta">${esc(s.startedAt)} → ${esc(s.finishedAt)} · repository <code>${esc(s.repo)}</code>${s.appSubdir !== '.' ? ` (UI in <code>${esc(s.appSubdir)}</code>)` : ''} · refs <code>${esc(s.refs)}</code> · browsers ${esc(s.browsers.join(', '))}${s.transport ? ` · over ${esc(s.transport)}` : ''}<br>
${t.refs} ref${t.refs === 1 ? '' : 's'} × ${s.columns.length} cell${s.columns.length === 1 ? '' : 's'}: ${t.passed} pass, ${t.failed} fail, ${t.errors} error${t.errors === 1 ? '' : 's'}${t.notRun ? `, ${t.notRun} not run` : ''} · command: <code>${esc(s.command.join(' '))}</code></p>
${s.complete ? '' : `<p class="incomplete">This sweep is incomplete${s.interruptedBy ? `: interrupted by ${esc(s.interruptedBy)}` : ': still running, or stopped'}.</p>`}
<p class="meta">One row per ref, oldest first; a cell per scenario and browser, linking that run in the ref's own report. FAIL names the oracles that failed; ERROR is a run the harness could not judge (hover for why).</p>
<table><thead><tr><th rowspan="2">ref</th>${head1}</tr><tr>${head2}</tr></thead><tbody>
${rows}
</tbody></table>
${failing.length ? `<h2>Failing and error cells</h2><ul>${failing.join('\n')}</ul>` : ''}
</body></html>`;
}

/** Two sweeps side by side: the counts, then each cell that differs. */
export function sweepDiffText(d: SweepDiff, aName: string, bName: string): string {
  const mark = (c: CellPair['a']) => cellMark(c);
  const lines = [
    `A: ${oneLine(aName)}`,
    `B: ${oneLine(bName)}`,
    `${d.compared} cell${d.compared === 1 ? '' : 's'} in both: ${d.sameVerdict} same verdict, ${d.sameOracles} same verdict and failing oracles${d.unmatched ? ` (${d.unmatched} cell${d.unmatched === 1 ? '' : 's'} in one sweep only, not compared)` : ''}`,
  ];
  if (d.differing.length) {
    lines.push('', 'differing cells:');
    for (const p of d.differing)
      lines.push(
        `  ${oneLine(p.ref)} · ${oneLine(p.scenario)} · ${p.browser}: A ${oneLine(mark(p.a))}, B ${oneLine(mark(p.b))}${p.differs === 'oracles' ? ' (same verdict)' : ''}`,
      );
  }
  return lines.join('\n');
}

/** The cells where a sweep on the mock and the same sweep on the real server differ, with both reports. */
export function backendDiffText(d: SweepDiff, dir: string): string {
  const lines = [
    `mock and real server: ${d.compared} cell${d.compared === 1 ? '' : 's'} in both, ${d.sameVerdict} with the same verdict, ${d.sameOracles} also failing on the same oracles`,
  ];
  if (!d.differing.length) return lines.join('\n');
  lines.push('', 'cells where they differ:');
  for (const p of d.differing) {
    lines.push(
      `  ${oneLine(p.ref)} · ${oneLine(p.scenario)} · ${p.browser}: mock ${oneLine(cellMark(p.a))}, real ${oneLine(cellMark(p.b))}${p.differs === 'oracles' ? ' (same verdict)' : ''}`,
    );
    if (p.reports.a) lines.push(`      mock: ${oneLine(join(dir, 'mock', p.reports.a))}`);
    if (p.reports.b) lines.push(`      real: ${oneLine(join(dir, 'real', p.reports.b))}`);
  }
  return lines.join('\n');
}
