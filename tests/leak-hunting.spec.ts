// Flags for a person hunting a leak on a laptop: repeat until it fails, keep the failing browser open.
import { test, expect } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { processesMentioning, runCli, startCli } from './support/cli.ts';

test('--repeat-until-fail stops at the first failing repetition, and says so', async () => {
  const r = await runCli([
    'run',
    'scenarios/switch-return.yaml',
    '--regress',
    'leak-on-switch',
    '--repeat-until-fail',
    '3',
    '-o',
    'TMP/r',
  ]);
  expect(r.code).toBe(1);
  // Two workers run repetitions 1 and 2 side by side; whichever fails first stops the rest.
  expect(r.stderr).toMatch(/switch-return · chromium failed in repetition [12] of 3; no more repetitions/);
  const report = JSON.parse(readFileSync(join(r.tmp, 'r', 'latest.json'), 'utf8'));
  // Two workers may both have started a repetition; the third never runs.
  expect(report.results.length).toBeLessThan(3);
  expect(report.results.every((x: { verdict: string }) => x.verdict === 'fail')).toBe(true);
});

test('--repeat-until-fail runs a healthy scenario every time when nothing fails', async () => {
  const r = await runCli(['run', 'scenarios/switch-return.yaml', '--repeat-until-fail', '2', '-o', 'TMP/r']);
  expect(r.code, r.explain()).toBe(0);
  expect(r.stderr).toContain('all 2 repetitions as expected (2 runs)');
});

test('--keep-open keeps the failing browser and backend up until Ctrl-C, then nothing is left', async () => {
  const cli = startCli([
    'run',
    'scenarios/switch-return.yaml',
    '--regress',
    'leak-on-switch',
    '--keep-open',
    '-o',
    'TMP/r',
  ]);
  await cli.waitFor(/kept open after the failure: backend (http:\/\/127\.0\.0\.1:\d+), DevTools port (\d+)/, 60_000);
  const [, backend, devtools] =
    /kept open after the failure: backend (http:\/\/127\.0\.0\.1:\d+), DevTools port (\d+)/.exec(cli.stderr())!;
  // Still serving, and the browser still answers DevTools: a person can look at the failure.
  expect((await fetch(`${backend}/`)).ok).toBe(true);
  expect((await fetch(`http://127.0.0.1:${devtools}/json/version`)).ok).toBe(true);
  expect(processesMentioning(cli.tmp).length).toBeGreaterThan(0);
  cli.child.kill('SIGINT');
  const { code } = await cli.exited;
  expect(code).toBe(130);
  expect(processesMentioning(cli.tmp)).toEqual([]);
  await expect(fetch(`${backend}/`)).rejects.toThrow();
});

test('--fail-fast stops a leaking run once the leak outlasted its grace, and names what it did not judge', async () => {
  const r = await runCli([
    'run',
    'scenarios/switch-return.yaml',
    '--regress',
    'leak-on-switch',
    '--fail-fast',
    '-o',
    'TMP/r',
  ]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('stopping early: liveStreams failed for good');
  const [res] = JSON.parse(readFileSync(join(r.tmp, 'r', 'latest.json'), 'utf8')).results;
  expect(res.stoppedEarly).toMatchObject({ oracle: 'liveStreams', notJudged: ['noBackgroundReconnect'] });
  expect(res.verdicts).toEqual([expect.objectContaining({ oracle: 'liveStreams', pass: false, definite: true })]);
  // Stopped at the failure, not at the end: the steps after it never ran.
  const stepsRun = res.timeline.filter((e: { kind: string }) => e.kind === 'step-start').length;
  expect(stepsRun).toBeLessThan(19); // switch-return has 19 steps in all
});
