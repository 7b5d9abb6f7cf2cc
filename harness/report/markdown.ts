// A Markdown summary for a pull-request comment or $GITHUB_STEP_SUMMARY: the verdict first, then what failed and why.
import type { HarnessReport } from './json.ts';
import { caseName, problemOf } from './junit.ts';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
/** Text read from a checkout, shown as written: Markdown's special characters escaped, control characters dropped. */
const plain = (s: string) => s.replace(/[\u0000-\u001f\u007f]/g, ' ').replace(/[\\`*_[\]<>|#!]/g, '\\$&');

export function renderMarkdown(report: HarnessReport, files: { html?: string; json?: string } = {}): string {
  const inMatrix = !!report.matrix?.length;
  const bad = report.results.filter((r) => problemOf(r, inMatrix));
  const lines: string[] = [];
  const head = !report.complete
    ? `⚠️ **sse-harness: incomplete run** (interrupted${report.interruptedBy ? ` by ${report.interruptedBy}` : ''})`
    : bad.length
      ? `❌ **sse-harness: ${bad.length} of ${report.results.length} run${report.results.length === 1 ? '' : 's'} failed**`
      : `✅ **sse-harness: all ${report.results.length} run${report.results.length === 1 ? '' : 's'} as expected**`;
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
    const problem = problemOf(r, inMatrix);
    const failing = r.verdicts.filter((v) => !v.pass);
    const verdict = r.verdict === 'error' ? '💥 error' : problem ? '❌ ' + (inMatrix && r.expected === 'catch' ? 'missed' : 'fail') : inMatrix && r.expected === 'catch' ? '✅ caught' : '✅ pass';
    const detail = r.verdict === 'error' ? r.error ?? '' : failing.length ? `**${failing[0]!.oracle}**: ${failing[0]!.summary}${failing[0]!.step ? ` (at \`${failing[0]!.step}\`)` : ''}${r.stoppedEarly ? ' · stopped there' : ''}` : r.verdicts.map((v) => v.oracle).join(', ') + ' hold';
    lines.push(`| ${cell(caseName(r))} | ${r.browser} | ${verdict} | ${cell(detail)} |`);
  }
  lines.push('');
  const findings = report.results.flatMap((r) => (r.findings ?? []).map((f) => `- ⚠️ ${r.scenario} · ${r.browser}: **${f.finding}** after \`${f.step}\`: ${f.summary}`));
  if (findings.length) lines.push('<details><summary>Witness findings</summary>', '', ...[...new Set(findings)], '', '</details>', '');
  if (bad.length) {
    lines.push('<details><summary>Evidence</summary>', '');
    for (const r of bad) lines.push(`**${caseName(r)} · ${r.browser}**`, '', '```', problemOf(r, inMatrix)!, '```', '');
    lines.push('</details>', '');
  }
  if (files.html || files.json) lines.push(`Full report: ${[files.html && `\`${files.html}\` (charts)`, files.json && `\`${files.json}\``].filter(Boolean).join(', ')}`);
  return `${lines.join('\n').trim()}\n`;
}
