// JUnit XML for CI systems: one testsuite per browser, one testcase per run. A healthy run fails the case when it
// fails; a regression run (detection matrix) fails the case when its class's oracle did not catch it. Retried runs
// follow Maven Surefire's convention, which Playwright's JUnit reporter also writes and common CI parsers read: a
// flaky run is a passing case with a <flakyFailure> (or <flakyError>) per failed attempt, a run that failed every
// attempt has its <failure> plus a <rerunFailure> per earlier attempt. A known finding is a <skipped> case with
// its reason (how pytest reports an expected failure): not red, not a silent pass.
import type { HarnessReport } from './model.ts';
import type { ScenarioResult } from '../runner/run.ts';
import { flakySentence, knownNote, outcomeOf, problemOf } from './outcome.ts';

const xml = (s: unknown) =>
  String(s)
    // XML 1.0 forbids most control characters, even escaped.
    // eslint-disable-next-line no-control-regex -- removes them on purpose
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);

export const caseName = (r: ScenarioResult) =>
  `${r.scenario}${r.project !== undefined ? ` [project ${r.project}]` : ''}${r.transport !== undefined ? ` [transport ${r.transport}]` : ''}${r.regress.length ? ` [regress ${r.regress.join(',')}]` : ''}`;

/** Earlier attempts as Surefire's flakyFailure / rerunFailure elements: flaky when the run held in the end, rerun when it never did. */
function attemptElements(r: ScenarioResult, inMatrix: boolean, flaky: boolean): string {
  return (r.attempts ?? [])
    .map((a, i) => {
      const problem = problemOf(a, inMatrix) ?? 'all oracles held';
      const kind = `${flaky ? 'flaky' : 'rerun'}${a.verdict === 'error' ? 'Error' : 'Failure'}`;
      const type =
        a.verdict === 'error'
          ? 'harness-error'
          : inMatrix && a.expected === 'catch'
            ? 'missed-regression'
            : 'regression';
      return `<${kind} message="${xml(`attempt ${i + 1}: ${problem.split('\n')[0]}`)}" type="${type}" time="${(a.durationMs / 1000).toFixed(3)}"><stackTrace>${xml(problem)}</stackTrace></${kind}>`;
    })
    .join('');
}

export function renderJUnit(report: HarnessReport, reportFile?: string): string {
  const inMatrix = !!report.matrix?.length;
  const policy = report.gate?.flaky ?? 'pass';
  const problem = (r: ScenarioResult) => problemOf(r, inMatrix, policy);
  const isError = (r: ScenarioResult) => outcomeOf(r) === 'error';
  const isKnown = (r: ScenarioResult) => outcomeOf(r) === 'known';
  const byBrowser = new Map<string, ScenarioResult[]>();
  for (const r of report.results) byBrowser.set(r.browser, [...(byBrowser.get(r.browser) ?? []), r]);
  const suites = [...byBrowser].map(([browser, results]) => {
    const cases = results.map((r) => {
      const p = problem(r);
      const flaky = outcomeOf(r) === 'flaky';
      const known = r.verdicts.filter((v) => !v.pass && v.known && !v.known.expired);
      const body = isKnown(r)
        ? `<skipped message="${xml(`known finding: ${known.map((v) => `${v.oracle}: ${v.known!.reason} (${v.known!.source})`).join('; ')}`)}"/>`
        : p
          ? isError(r)
            ? `<error message="${xml(p.split('\n')[0])}" type="harness-error">${xml(p)}</error>`
            : `<failure message="${xml(p.split('\n')[0])}" type="${xml(flaky ? 'flaky' : inMatrix && r.expected === 'catch' ? 'missed-regression' : 'regression')}">${xml(p)}</failure>`
          : '';
      const out = [
        `engine: ${r.engine}`,
        `witnesses: ${r.witnesses.join(', ')}`,
        ...r.verdicts.map((v) => `${v.pass ? 'ok ' : 'FAIL'} ${v.oracle}: ${v.summary}${knownNote(v)}`),
        ...(r.emulation ?? []).map((e) => `emulated: ${e}`),
      ];
      if (flaky) out.unshift(flakySentence(r));
      return `    <testcase classname="sse-harness.${xml(browser)}" name="${xml(caseName(r))}" time="${(r.durationMs / 1000).toFixed(3)}" file="${xml(r.file)}">${body}${attemptElements(r, inMatrix, flaky)}<system-out>${xml(out.join('\n'))}</system-out></testcase>`;
    });
    const failures = results.filter((r) => !isError(r) && problem(r)).length;
    const errors = results.filter(isError).length;
    const time = results.reduce((s, r) => s + r.durationMs, 0) / 1000;
    return `  <testsuite name="sse-harness ${xml(browser)}" tests="${results.length}" failures="${failures}" errors="${errors}" skipped="${results.filter(isKnown).length}" time="${time.toFixed(3)}" timestamp="${xml(report.startedAt)}">
${cases.join('\n')}
  </testsuite>`;
  });
  const total = report.results.length;
  const failures = report.results.filter((r) => !isError(r) && problem(r)).length;
  const errors = report.results.filter(isError).length;
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- sse-harness ${report.complete ? '' : '(INCOMPLETE: interrupted) '}${reportFile ? `· full report: ${xml(reportFile)}` : ''} -->
<testsuites name="sse-harness" tests="${total}" failures="${failures}" errors="${errors}" skipped="${report.results.filter(isKnown).length}">
${suites.join('\n')}
</testsuites>
`;
}
