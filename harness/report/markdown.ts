// A Markdown summary for a pull-request comment or $GITHUB_STEP_SUMMARY: the verdict first, then what failed and why.
import type { HarnessReport } from './json.ts';
import { caseName, problemOf } from './junit.ts';
import type { Divergence } from '../oracles/divergence.ts';
import type { LeakedStream } from '../oracles/liveStreams.ts';
import { printable } from '../printable.ts';
import { holdLine } from './verdict-line.ts';
import { attemptLines, knownNote, outcomeOf } from './outcome.ts';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
/** Untrusted text (a summary quotes the UI's text) for inline Markdown: no HTML, link, image or emphasis comes of it. */
const inline = (s: string) =>
  printable(s).replace(/[\\`*_[\]<>~&]/g, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '&' ? '&amp;' : `\\${c}`));
/** A code span or block's fence: longer than any run of backticks inside, so the text cannot close it. */
const fenceFor = (s: string, min: number) => '`'.repeat(Math.max(min, ...[...s.matchAll(/`+/g)].map((m) => m[0].length + 1)));
const code = (s: string) => {
  const f = fenceFor(s, 1);
  return f === '`' ? `\`${s.replace(/\n/g, ' ')}\`` : `${f} ${s.replace(/\n/g, ' ')} ${f}`;
};
const block = (s: string) => {
  const f = fenceFor(s, 3);
  return [f, s, f];
};

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
      for (const l of leaked) lines.push(`  session ${printable(l.session)}, socket ${l.socket}, opened at ${l.openedAt} ms: ${l.site ? `created at ${l.site.file}:${l.site.line}:${l.site.column}${l.site.function ? ` in ${l.site.function}` : ''}` : 'creation site not recorded'}`);
    }
  }
  return lines;
}
/** Text read from a checkout, shown as written: Markdown's special characters escaped, control characters dropped. */
const plain = (s: string) => s.replace(/[\u0000-\u001f\u007f]/g, ' ').replace(/[\\`*_[\]<>|#!]/g, '\\$&');

export function renderMarkdown(report: HarnessReport, files: { html?: string; json?: string } = {}): string {
  const inMatrix = !!report.matrix?.length;
  const policy = report.gate?.flaky ?? 'pass';
  const problemOfRun = (r: HarnessReport['results'][number]) => problemOf(r, inMatrix, policy);
  const bad = report.results.filter(problemOfRun);
  const flaky = report.results.filter((r) => outcomeOf(r) === 'flaky').length;
  const known = report.results.filter((r) => outcomeOf(r) === 'known').length;
  const asides = [flaky && `${flaky} flaky${policy === 'fail' ? ', failing the gate' : ''}`, known && `${known} known`].filter(Boolean);
  const lines: string[] = [];
  const head = !report.complete
    ? `⚠️ **sse-harness: incomplete run** (interrupted${report.interruptedBy ? ` by ${report.interruptedBy}` : ''})`
    : bad.length
      ? `❌ **sse-harness: ${bad.length} of ${report.results.length} run${report.results.length === 1 ? '' : 's'} failed**`
      : `✅ **sse-harness: all ${report.results.length} run${report.results.length === 1 ? '' : 's'} as expected**${asides.length ? ` (${asides.join(', ')})` : ''}`;
  lines.push(`### ${head}`, '');
  lines.push(`Target \`${report.target}\` · browsers ${report.browsers.join(', ')} · ${report.startedAt}`, '');
  const models = [...new Set(report.results.flatMap((r) => (r.mock ? [`resume \`${r.mock.resume}\` (${plain(r.mock.why)})`] : [])))];
  if (models.length) lines.push(`Mock server: ${models.join('; ')}`, '');
  if (report.matrix?.length) {
    const classes = [...new Set(report.matrix.map((c) => c.klass))];
    lines.push('| regression class | ' + report.browsers.join(' | ') + ' |', '|---|' + report.browsers.map(() => '---|').join(''));
    for (const k of classes) {
      lines.push(`| ${k === 'healthy' ? 'healthy UI' : k} | ${report.browsers.map((b) => {
        const c = report.matrix!.find((m) => m.klass === k && m.browser === b);
        return c ? `${c.ok ? '✅' : '❌'} ${cell(c.detail)}` : '–';
      }).join(' | ')} |`);
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
    const oracleDetail = failing.length ? `**${failing[0]!.oracle}**: ${inline(failing[0]!.summary)}${failing[0]!.step ? ` (at ${code(failing[0]!.step)})` : ''}${inline(knownNote(failing[0]!))}${r.stoppedEarly ? ' · stopped there' : ''}` : holdLine(r.verdicts);
    const detail = r.verdict === 'error' ? r.error ?? '' : oracleDetail;
    const attempts = attemptLines(r);
    lines.push(`| ${cell(caseName(r))} | ${r.browser} | ${verdict} | ${cell(detail)}${attempts.length ? `<br>${attempts.map((a) => cell(inline(a))).join('<br>')}` : ''} |`);
  }
  lines.push('');
  const entries = report.gate?.known?.entries ?? [];
  const notable = entries.filter((e) => e.status !== 'unjudged');
  if (notable.length) {
    lines.push(`<details${entries.some((e) => e.status === 'expired' || e.status === 'stale') ? ' open' : ''}><summary>Known findings (${cell(report.gate!.known!.file)})</summary>`, '');
    for (const e of notable) {
      const what = e.status === 'excused' ? `☑️ excused ${e.matched}: ${e.reason}${e.expires ? ` (until ${e.expires})` : ''}` : e.status === 'expired' ? `❌ expired ${e.expires}, no longer excuses: ${e.reason}` : '⚠️ stale: matched no failure; remove it if the finding is fixed';
      lines.push(`- \`${e.source}\` ${cell(`${e.scenario} · ${e.browser ?? 'any browser'} · ${e.oracle}${e.match ? ` "${e.match}"` : ''}`)}: ${cell(what)}`);
    }
    lines.push('', '</details>', '');
  }
  const findings = report.results.flatMap((r) => (r.findings ?? []).map((f) => `- ⚠️ ${r.scenario} · ${r.browser}: **${f.finding}** after \`${f.step}\`: ${f.summary}`));
  if (findings.length) lines.push('<details><summary>Witness findings</summary>', '', ...[...new Set(findings)], '', '</details>', '');
  // run --compare: each run beside the same run at the base, and the gate's reading.
  const compared = report.results.filter((r) => r.compare);
  if (compared.length) {
    lines.push(`Compared with the base \`${compared[0]!.compare!.base}\` (${compared[0]!.compare!.baseCommit.slice(0, 10)}):`, '', '| run | browser | this | base | gate |', '|---|---|---|---|---|');
    for (const r of compared) lines.push(`| ${cell(caseName(r))} | ${r.browser} | ${r.verdict} | ${r.compare!.baseVerdict} | ${cell([r.compare!.status, ...r.compare!.oracles.map((o) => `${o.oracle}: ${o.status}`)].join(' · '))} |`);
    lines.push('');
  }
  if (bad.length) {
    lines.push('<details><summary>Evidence</summary>', '');
    for (const r of bad) {
      const text = [problemOfRun(r)!, ...attemptLines(r), ...pointerLines(r)].join('\n');
      lines.push(`**${inline(caseName(r))} · ${r.browser}**`, '', ...block(text), '');
    }
    lines.push('</details>', '');
  }
  if (files.html || files.json) lines.push(`Full report: ${[files.html && `\`${files.html}\` (charts)`, files.json && `\`${files.json}\``].filter(Boolean).join(', ')}`);
  return `${lines.join('\n').trim()}\n`;
}
