// JUnit XML for CI systems: one testsuite per browser, one testcase per run. A healthy run fails the case when it
// fails; a regression run (detection matrix) fails the case when its class's oracle did not catch it.
import type { HarnessReport } from './json.ts';
import type { ScenarioResult } from '../runner/run.ts';
import { CLASS_ORACLE, type RegressionClass } from '../targets/reference.ts';

const xml = (s: unknown) =>
  String(s)
    // XML 1.0 forbids most control characters, even escaped.
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);

export const caseName = (r: ScenarioResult) => `${r.scenario}${r.regress.length ? ` [regress ${r.regress.join(',')}]` : ''}`;

/**
 * Why a run is a red line, or null. In a detection matrix a regression run is there to be caught, so it is red only
 * when its class's oracle missed it; everywhere else a failing oracle is red.
 */
export function problemOf(r: ScenarioResult, inMatrix = false): string | null {
  if (r.verdict === 'error') return `harness error: ${r.error ?? 'unknown'}`;
  if (inMatrix && r.expected === 'catch') {
    const oracles = r.regress.map((k) => CLASS_ORACLE[k as RegressionClass]).filter(Boolean);
    const caught = r.verdicts.some((v) => !v.pass && oracles.includes(v.oracle));
    return caught ? null : `regression ${r.regress.join(',')} was not caught by ${oracles.join(', ') || 'its oracle'} (missed)`;
  }
  if (r.verdict === 'fail') return r.verdicts.filter((v) => !v.pass).map((v) => `${v.oracle}: ${v.summary}${v.step ? ` (at ${v.step})` : ''}`).join('\n');
  return null;
}

export function renderJUnit(report: HarnessReport, reportFile?: string): string {
  const inMatrix = !!report.matrix?.length;
  const byBrowser = new Map<string, ScenarioResult[]>();
  for (const r of report.results) byBrowser.set(r.browser, [...(byBrowser.get(r.browser) ?? []), r]);
  const suites = [...byBrowser].map(([browser, results]) => {
    const cases = results.map((r) => {
      const problem = problemOf(r, inMatrix);
      const body = problem
        ? r.verdict === 'error'
          ? `<error message="${xml(problem.split('\n')[0])}" type="harness-error">${xml(problem)}</error>`
          : `<failure message="${xml(problem.split('\n')[0])}" type="${xml(inMatrix && r.expected === 'catch' ? 'missed-regression' : 'regression')}">${xml(problem)}</failure>`
        : '';
      const out = [`engine: ${r.engine}`, `witnesses: ${r.witnesses.join(', ')}`, ...r.verdicts.map((v) => `${v.pass ? 'ok ' : 'FAIL'} ${v.oracle}: ${v.summary}`), ...(r.emulation ?? []).map((e) => `emulated: ${e}`)];
      return `    <testcase classname="sse-harness.${xml(browser)}" name="${xml(caseName(r))}" time="${(r.durationMs / 1000).toFixed(3)}" file="${xml(r.file)}">${body}<system-out>${xml(out.join('\n'))}</system-out></testcase>`;
    });
    const failures = results.filter((r) => r.verdict !== 'error' && problemOf(r, inMatrix)).length;
    const errors = results.filter((r) => r.verdict === 'error').length;
    const time = results.reduce((s, r) => s + r.durationMs, 0) / 1000;
    return `  <testsuite name="sse-harness ${xml(browser)}" tests="${results.length}" failures="${failures}" errors="${errors}" skipped="0" time="${time.toFixed(3)}" timestamp="${xml(report.startedAt)}">
${cases.join('\n')}
  </testsuite>`;
  });
  const total = report.results.length;
  const failures = report.results.filter((r) => r.verdict !== 'error' && problemOf(r, inMatrix)).length;
  const errors = report.results.filter((r) => r.verdict === 'error').length;
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- sse-harness ${report.complete ? '' : '(INCOMPLETE: interrupted) '}${reportFile ? `· full report: ${xml(reportFile)}` : ''} -->
<testsuites name="sse-harness" tests="${total}" failures="${failures}" errors="${errors}">
${suites.join('\n')}
</testsuites>
`;
}
