// run --compare: a gate that fails only on what is new since the base. The reading of one run beside its base run
// without a browser; then the whole command over a built history of the reference UI.
import { test, expect } from '@playwright/test';
import { cpSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { classify, failsGate } from '../harness/history/compare.ts';
import type { Verdict } from '../harness/oracles/types.ts';
import { renderHtml } from '../harness/report/html.ts';
import { buildReport } from '../harness/report/model.ts';
import { renderMarkdown } from '../harness/report/markdown.ts';
import { reportSchema } from '../harness/report/schema.ts';
import type { ScenarioResult } from '../harness/runner/run.ts';
import { leftoverTempDirs, ROOT, runCli } from './support/cli.ts';
import { UiRepo } from './support/ui-repo.ts';
import { scenarioResult } from './support/results.ts';

const base = { base: 'main', baseCommit: 'a'.repeat(40) };

function result(
  verdict: ScenarioResult['verdict'],
  verdicts: Partial<Verdict>[] = [],
  extra: Partial<ScenarioResult> = {},
): ScenarioResult {
  return scenarioResult({
    verdict,
    verdicts: verdicts.map((v) => ({ oracle: 'liveStreams', pass: false, summary: 's', evidence: {}, ...v })),
    ...extra,
  });
}
const leak = (peakOpen: number) => ({
  oracle: 'liveStreams',
  pass: false,
  summary: `peak ${peakOpen}`,
  evidence: { peakOpen, finalOpen: 1 },
});

test('each failing oracle beside the base: new, pre-existing, worse by its metric, a different failing step', () => {
  const passing = result('pass', [{ pass: true, evidence: { peakOpen: 1, finalOpen: 0 } }]);
  // Failing here, passing at the base: new, fails the gate.
  const fresh = result('fail', [leak(3)]);
  expect(classify(fresh, passing, base, 0.5)).toMatchObject({
    status: 'new',
    baseVerdict: 'pass',
    oracles: [{ oracle: 'liveStreams', status: 'new', detail: 'passed at the base' }],
  });
  // Failing on both, no worse: pre-existing, the gate holds.
  const had = classify(result('fail', [leak(3)]), result('fail', [leak(3)]), base, 0.5);
  expect(had).toMatchObject({
    status: 'pre-existing',
    baseVerdict: 'fail',
    baseFailing: ['liveStreams'],
    oracles: [{ status: 'pre-existing' }],
  });
  // Failing on both, within the baseline tolerance (3 × 1.5 = 4.5 → 5 allowed): still pre-existing; beyond it: worse.
  expect(classify(result('fail', [leak(4)]), result('fail', [leak(3)]), base, 0.5).status).toBe('pre-existing');
  const worse = classify(result('fail', [leak(6)]), result('fail', [leak(3)]), base, 0.5);
  expect(worse).toMatchObject({
    status: 'worse',
    oracles: [{ status: 'worse', detail: expect.stringContaining('peakOpen 6 (base 3, limit 5)') }],
  });
  // Another oracle failing here than at the base is new, the shared one pre-existing.
  const both = classify(result('fail', [leak(3), { oracle: 'transcript' }]), result('fail', [leak(3)]), base, 0.5);
  expect(both.status).toBe('new');
  expect(both.oracles.map((o) => `${o.oracle}:${o.status}`)).toEqual(['liveStreams:pre-existing', 'transcript:new']);
  // A step failure is the same failure only at the same step.
  const step = (s: string) => ({ oracle: 'steps', step: s });
  expect(
    classify(result('fail', [step('steps[3] waitFor')]), result('fail', [step('steps[3] waitFor')]), base, 0.5).status,
  ).toBe('pre-existing');
  expect(
    classify(result('fail', [step('steps[5] waitFor')]), result('fail', [step('steps[0] open')]), base, 0.5).status,
  ).toBe('new');
  // A base that could not be judged, or did not run, vouches for nothing.
  expect(classify(fresh, result('error', [], { error: 'boom' }), base, 0.5)).toMatchObject({
    status: 'new',
    baseVerdict: 'error',
    oracles: [{ detail: 'the base could not be judged (boom)' }],
  });
  expect(classify(fresh, undefined, base, 0.5)).toMatchObject({ status: 'new', baseVerdict: 'not run' });
  // Passing here: fixed when the base failed, else ok; a run that could not run here is an error.
  expect(classify(passing, result('fail', [leak(3)]), base, 0.5).status).toBe('fixed');
  expect(classify(passing, passing, base, 0.5).status).toBe('ok');
  expect(classify(result('error'), passing, base, 0.5).status).toBe('error');
  // The gate: a failure without a comparison, new or worse fails it; pre-existing does not.
  expect(failsGate(result('fail', [leak(3)]))).toBe(true);
  expect(failsGate({ ...fresh, compare: classify(fresh, passing, base, 0.5) })).toBe(true);
  expect(failsGate({ ...fresh, compare: worse })).toBe(true);
  expect(failsGate({ ...fresh, compare: had })).toBe(false);
  expect(failsGate(passing)).toBe(false);
});

test('the reports show the base verdict beside the run, names escaped', () => {
  const pr = result('fail', [leak(3)]);
  pr.compare = {
    ...classify(pr, result('fail', [leak(3)]), { base: 'origin/<b>main', baseCommit: 'b'.repeat(40) }, 0.5),
    baseReport: 'base/run-x.html#r0',
  };
  const report = buildReport({
    startedAt: 'now',
    finishedAt: 'now',
    complete: true,
    command: [],
    target: 'reference',
    browsers: ['chromium'],
    regress: [],
    results: [pr],
  });
  const md = renderMarkdown(report);
  expect(md).toContain('Compared with the base `origin/<b>main` (bbbbbbbbbb):');
  expect(md).toContain('| switch-return | chromium | fail | fail | pre-existing · liveStreams: pre-existing |');
  const html = renderHtml(report);
  expect(html).toContain(
    '<b>base origin/&#60;b&#62;main</b> <code>bbbbbbbbbb</code>: <a href="base/run-x.html#r0">FAIL (liveStreams)</a> · gate: <b>pre-existing</b>',
  );
  expect(html).toContain('· base fail · pre-existing</a></li>');
});

/** main: a healthy reference UI (tagged healthy), then a commit that leaks streams on switch (the pull request). */
async function history(): Promise<UiRepo> {
  const made = await runCli(['validate', 'scenarios/switch-return.yaml']);
  const repo = new UiRepo(join(made.tmp, 'ui'));
  repo.addReferenceUi();
  repo.commit('healthy chat UI');
  repo.tag('healthy');
  repo.switchOn('leak-on-switch');
  repo.commit('refactor: session switching');
  return repo;
}

test('a failure the base did not have fails the gate; one it had too is pre-existing and does not', async () => {
  const repo = await history();
  const before = repo.state();
  const run = (base: string) =>
    runCli(['run', 'scenarios/switch-return.yaml', '--app-dir', repo.dir, '--compare', base, '-o', 'TMP/r']);

  const fresh = await run('healthy');
  expect(fresh.code, fresh.explain()).toBe(1);
  expect(fresh.stdout).toContain(`Compared with the base healthy (${repo.commits[0]!.slice(0, 10)}):`);
  expect(fresh.stdout).toMatch(/switch-return\s+chromium\s+FAIL\s+PASS\s+NEW liveStreams/);
  expect(fresh.stdout).toContain('gate: 1 new, 0 worse, 0 pre-existing');
  const report = reportSchema.parse(JSON.parse(readFileSync(/^report: (\S+\.json)/m.exec(fresh.stdout)![1]!, 'utf8')));
  expect(report.results[0]!.compare).toMatchObject({
    base: 'healthy',
    baseCommit: repo.commits[0],
    baseVerdict: 'pass',
    status: 'new',
  });
  // The base run is a report of its own, linked from the pull request's.
  const baseFile = /base report: (\S+\.json)/.exec(fresh.stdout)![1]!;
  const baseReport = reportSchema.parse(JSON.parse(readFileSync(baseFile, 'utf8')));
  expect(baseReport.results.map((r) => r.verdict)).toEqual(['pass']);
  const html = readFileSync(/^report: (\S+\.json)/m.exec(fresh.stdout)![1]!.replace(/\.json$/, '.html'), 'utf8');
  expect(html).toContain(`<a href="${report.results[0]!.compare!.baseReport}">PASS</a> · gate: <b>new</b>`);
  expect(leftoverTempDirs(fresh.tmp)).toEqual([]);

  const had = await run('main');
  expect(had.code, had.explain()).toBe(0);
  expect(had.stdout).toMatch(/switch-return\s+chromium\s+FAIL\s+FAIL\s+pre-existing liveStreams/);
  expect(had.stdout).toContain('gate: 0 new, 0 worse, 1 pre-existing (not failing the gate)');
  // The pull request's checkout is left as it was: same commit, same status, no worktree registered.
  expect(repo.state()).toEqual(before);
});

test('with several transports, each run is set beside the base run over the same transport', async () => {
  const repo = await history();
  const r = await runCli([
    'run',
    'scenarios/switch-return.yaml',
    '--transport',
    'all',
    '--app-dir',
    repo.dir,
    '--compare',
    'healthy',
    '-o',
    'TMP/r',
  ]);
  expect(r.code, r.explain()).toBe(1);
  const report = reportSchema.parse(JSON.parse(readFileSync(/^report: (\S+\.json)/m.exec(r.stdout)![1]!, 'utf8')));
  const baseReport = reportSchema.parse(
    JSON.parse(readFileSync(/base report: (\S+\.json)/.exec(r.stdout)![1]!, 'utf8')),
  );
  // The base ran once per transport, as the pull request did, not once over the target's default.
  expect(baseReport.results.map((b) => b.transport).sort()).toEqual(['eventsource', 'fetch-stream']);
  expect(report.results.map((x) => x.transport).sort()).toEqual(['eventsource', 'fetch-stream']);
  for (const x of report.results) {
    const at = Number(/#r(\d+)$/.exec(x.compare!.baseReport ?? '')?.[1]);
    expect(baseReport.results[at]?.transport, x.transport).toBe(x.transport);
    expect(x.compare).toMatchObject({ baseVerdict: 'pass', status: 'new' });
  }
});

test('--compare needs a git checkout as --app-dir and a base it holds; it does not go with --matrix', async () => {
  const repo = await history();
  const noDir = await runCli(['run', 'scenarios/switch-return.yaml', '--compare', 'main']);
  expect(noDir.code).toBe(2);
  expect(noDir.stderr).toContain('sse-harness: --compare main needs --app-dir <a git checkout of the UI>');
  const noRef = await runCli([
    'run',
    'scenarios/switch-return.yaml',
    '--app-dir',
    repo.dir,
    '--compare',
    'origin/nope',
  ]);
  expect(noRef.code).toBe(2);
  expect(noRef.stderr.trim()).toBe(`sse-harness: --compare origin/nope: no such commit, tag or branch in ${repo.dir}.`);
  const plain = join(dirname(repo.dir), 'plain-copy');
  cpSync(join(ROOT, 'fixtures', 'chat-ui'), plain, { recursive: true });
  const notGit = await runCli(['run', 'scenarios/switch-return.yaml', '--app-dir', plain, '--compare', 'main']);
  expect(notGit.code).toBe(2);
  expect(notGit.stderr.trim()).toMatch(
    /^sse-harness: --app-dir \S+plain-copy: not a git repository\. --compare main checks the base out from the app dir's git repository/,
  );
  const matrix = await runCli(['run', '--matrix', '--app-dir', repo.dir, '--compare', 'main']);
  expect(matrix.code).toBe(2);
  expect(matrix.stderr).toContain('--compare judges the UI against its base, --matrix the harness');
});
