// A Markdown summary for a pull-request comment or $GITHUB_STEP_SUMMARY: the verdict first, then what failed and why.
// Whatever a run produced (names, summaries, the UI's text, errors) goes through markdown-text.ts: plain words as
// they are, anything else as code. Only the harness's own words are Markdown.
import type { HarnessReport } from './model.ts';
import type { Divergence } from '../oracles/divergence.ts';
import type { LeakedStream } from '../timeline-queries.ts';
import { printable } from '../printable.ts';
import { holdLine } from './verdict-line.ts';
import { attemptLines, knownNote, outcomeOf, problemOf } from './outcome.ts';
import { mdBlock, mdCell, mdCode, mdHtmlText, mdText } from './markdown-text.ts';
import { columnLabel, matrixColumns } from '../runner/matrix.ts';

/** A table cell's longest text from a run: the rest is counted, not shown. */
const CELL_MAX = 1000;
const code = (s: string) => mdCode(s, CELL_MAX);
const text = (s: string) => mdText(s, CELL_MAX);
/**
 * A run's name: the scenario's, with its project, its transport and the classes switched on (the brackets are the harness's own, on
 * no line's start).
 */
const runName = (r: HarnessReport['results'][number]) =>
  `${text(r.scenario)}${r.project !== undefined ? ` [project ${text(r.project)}]` : ''}${r.transport !== undefined ? ` [transport ${text(r.transport)}]` : ''}${r.regress.length ? ` [regress ${text(r.regress.join(','))}]` : ''}`;

/** The evidence that points, as plain text lines: where a transcript diverged, where leaked streams were created. */
function pointerLines(r: HarnessReport['results'][number]): string[] {
  const lines: string[] = [];
  for (const v of r.verdicts.filter((x) => !x.pass)) {
    const d = v.evidence.divergence as Divergence | undefined;
    if (d) {
      const at = d.offset - d.from;
      const lead = d.from > 0 ? '…' : '';
      lines.push(`${v.oracle}: ${d.kind} at char ${d.offset} (${d.detail})`);
      lines.push(`  expected: ${lead}${printable(d.expected)}`, `  shown:    ${lead}${printable(d.shown)}`);
      lines.push(`${' '.repeat(12 + lead.length + printable(d.shown.slice(0, at)).length)}^ char ${d.offset}`);
    }
    const leaked = v.evidence.leaked as LeakedStream[] | undefined;
    if (leaked?.length) {
      lines.push(`${v.oracle}: leaked streams`);
      for (const l of leaked)
        lines.push(
          `  session ${printable(l.session)}, socket ${l.socket}, opened at ${l.openedAt} ms: ${l.site ? `created at ${l.site.file}:${l.site.line}:${l.site.column}${l.site.function ? ` in ${l.site.function}` : ''}` : 'creation site not recorded'}`,
        );
    }
  }
  return lines;
}
export function renderMarkdown(report: HarnessReport, files: { html?: string; json?: string } = {}): string {
  const inMatrix = !!report.matrix?.length;
  const policy = report.gate?.flaky ?? 'pass';
  const problemOfRun = (r: HarnessReport['results'][number]) => problemOf(r, inMatrix, policy);
  const bad = report.results.filter(problemOfRun);
  const flaky = report.results.filter((r) => outcomeOf(r) === 'flaky').length;
  const known = report.results.filter((r) => outcomeOf(r) === 'known').length;
  const asides = [
    flaky && `${flaky} flaky${policy === 'fail' ? ', failing the gate' : ''}`,
    known && `${known} known`,
  ].filter(Boolean);
  const lines: string[] = [];
  const head = !report.complete
    ? `⚠️ **sse-harness: incomplete run** (interrupted${report.interruptedBy ? ` by ${report.interruptedBy}` : ''})`
    : bad.length
      ? `❌ **sse-harness: ${bad.length} of ${report.results.length} run${report.results.length === 1 ? '' : 's'} failed**`
      : `✅ **sse-harness: all ${report.results.length} run${report.results.length === 1 ? '' : 's'} as expected**${asides.length ? ` (${asides.join(', ')})` : ''}`;
  lines.push(`### ${head}`, '');
  lines.push(
    `Target ${code(report.target)} · browsers ${text(report.browsers.join(', '))}${report.transports ? ` · transports ${text(report.transports.join(', '))}` : ''} · ${text(report.startedAt)}`,
    '',
  );
  const models = [
    ...new Set(report.results.flatMap((r) => (r.mock ? [`resume ${code(r.mock.resume)} (${text(r.mock.why)})`] : []))),
  ];
  if (models.length) lines.push(`Mock server: ${models.join('; ')}`, '');
  const real = [...new Set(report.results.flatMap((r) => (r.backend ? [text(r.backend)] : [])))];
  if (real.length) lines.push(`Real server: ${real.join('; ')}`, '');
  if (report.matrix?.length) {
    const classes = [...new Set(report.matrix.map((c) => c.klass))];
    const columns = matrixColumns(report.matrix, report.browsers);
    lines.push(
      '| regression class | ' + columns.map((col) => mdCell(text(columnLabel(col)))).join(' | ') + ' |',
      '|---|' + columns.map(() => '---|').join(''),
    );
    for (const k of classes) {
      lines.push(
        `| ${mdCell(k === 'healthy' ? 'healthy UI' : text(k))} | ${columns
          .map((col) => {
            const c = report.matrix!.find(
              (m) => m.klass === k && m.browser === col.browser && m.transport === col.transport,
            );
            return c ? `${c.ok ? '✅' : '❌'} ${mdCell(text(c.detail))}` : '–';
          })
          .join(' | ')} |`,
      );
    }
    lines.push('');
  }
  lines.push('| run | browser | verdict | detail |', '|---|---|---|---|');
  for (const r of report.results) {
    const problem = problemOfRun(r);
    const outcome = outcomeOf(r);
    const failing = r.verdicts.filter((v) => !v.pass);
    const caught = inMatrix && r.expected === 'catch';
    const verdict =
      outcome === 'error'
        ? '💥 error'
        : outcome === 'flaky'
          ? `${problem ? '❌' : '⚠️'} flaky${caught ? ' catch' : ''}`
          : outcome === 'known'
            ? '☑️ known'
            : problem
              ? '❌ ' + (caught ? 'missed' : 'fail')
              : caught
                ? '✅ caught'
                : '✅ pass';
    const first = failing[0];
    const known = first && knownNote(first).trim();
    const oracleDetail = first
      ? `**${text(first.oracle)}**: ${text(first.summary)}${first.step ? ` (at ${code(first.step)})` : ''}${known ? ` ${text(known)}` : ''}${r.stoppedEarly ? ' · stopped there' : ''}`
      : text(holdLine(r.verdicts));
    const detail = r.verdict === 'error' ? text(r.error ?? 'error') : oracleDetail;
    const attempts = attemptLines(r);
    lines.push(
      `| ${mdCell(runName(r))} | ${mdCell(text(r.browser))} | ${verdict} | ${mdCell(detail)}${attempts.length ? `<br>${attempts.map((a) => mdCell(text(a))).join('<br>')}` : ''} |`,
    );
  }
  lines.push('');
  const entries = report.gate?.known?.entries ?? [];
  const notable = entries.filter((e) => e.status !== 'unjudged');
  if (notable.length) {
    lines.push(
      `<details${entries.some((e) => e.status === 'expired' || e.status === 'stale') ? ' open' : ''}><summary>Known findings (<code>${mdHtmlText(report.gate!.known!.file)}</code>)</summary>`,
      '',
    );
    for (const e of notable) {
      const what =
        e.status === 'excused'
          ? `☑️ excused ${e.matched}: ${text(`${e.reason}${e.expires ? ` (until ${e.expires})` : ''}`)}`
          : e.status === 'expired'
            ? `❌ expired ${text(e.expires ?? '')}, no longer excuses: ${text(e.reason)}`
            : '⚠️ stale: matched no failure; remove it if the finding is fixed';
      lines.push(
        `- ${code(e.source)} ${text(`${e.scenario} · ${e.browser ?? 'any browser'} · ${e.oracle}${e.match ? ` "${e.match}"` : ''}`)}: ${what}`,
      );
    }
    lines.push('', '</details>', '');
  }
  const findings = report.results.flatMap((r) =>
    (r.findings ?? []).map(
      (f) =>
        `- ⚠️ ${text(r.scenario)} · ${text(r.browser)}: **${text(f.finding)}** after ${code(f.step)}: ${text(f.summary)}`,
    ),
  );
  if (findings.length)
    lines.push('<details><summary>Witness findings</summary>', '', ...[...new Set(findings)], '', '</details>', '');
  // run --compare: each run beside the same run at the base, and the gate's reading.
  const compared = report.results.filter((r) => r.compare);
  if (compared.length) {
    lines.push(
      `Compared with the base ${text(compared[0]!.compare!.base)} (${text(compared[0]!.compare!.baseCommit.slice(0, 10))}):`,
      '',
      '| run | browser | this | base | gate |',
      '|---|---|---|---|---|',
    );
    for (const r of compared)
      lines.push(
        `| ${mdCell(runName(r))} | ${mdCell(text(r.browser))} | ${r.verdict} | ${r.compare!.baseVerdict} | ${mdCell(text([r.compare!.status, ...r.compare!.oracles.map((o) => `${o.oracle}: ${o.status}`)].join(' · ')))} |`,
      );
    lines.push('');
  }
  if (bad.length) {
    lines.push('<details><summary>Evidence</summary>', '');
    for (const r of bad) {
      lines.push(
        `**${runName(r)} · ${text(r.browser)}**`,
        '',
        ...mdBlock([problemOfRun(r)!, ...attemptLines(r), ...pointerLines(r)]),
        '',
      );
    }
    lines.push('</details>', '');
  }
  if (files.html || files.json)
    lines.push(
      `Full report: ${[files.html && `${code(files.html)} (charts)`, files.json && code(files.json)].filter(Boolean).join(', ')}`,
    );
  return `${lines.join('\n').trim()}\n`;
}
