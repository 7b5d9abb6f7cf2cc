// A Markdown summary for a pull-request comment or $GITHUB_STEP_SUMMARY: the verdict first, then what failed and why.
import type { HarnessReport } from './json.ts';
import { caseName, problemOf } from './junit.ts';
import { attemptLines, knownNote, outcomeOf } from './outcome.ts';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

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
    const oracleDetail = failing.length ? `**${failing[0]!.oracle}**: ${failing[0]!.summary}${failing[0]!.step ? ` (at \`${failing[0]!.step}\`)` : ''}${knownNote(failing[0]!)}${r.stoppedEarly ? ' · stopped there' : ''}` : r.verdicts.map((v) => v.oracle).join(', ') + ' hold';
    const detail = r.verdict === 'error' ? r.error ?? '' : oracleDetail;
    const attempts = attemptLines(r);
    lines.push(`| ${cell(caseName(r))} | ${r.browser} | ${verdict} | ${cell(detail)}${attempts.length ? `<br>${attempts.map(cell).join('<br>')}` : ''} |`);
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
  if (bad.length) {
    lines.push('<details><summary>Evidence</summary>', '');
    for (const r of bad) lines.push(`**${caseName(r)} · ${r.browser}**`, '', '```', [problemOfRun(r)!, ...attemptLines(r)].join('\n'), '```', '');
    lines.push('</details>', '');
  }
  if (files.html || files.json) lines.push(`Full report: ${[files.html && `\`${files.html}\` (charts)`, files.json && `\`${files.json}\``].filter(Boolean).join(', ')}`);
  return `${lines.join('\n').trim()}\n`;
}
