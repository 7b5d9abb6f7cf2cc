// The baseline gate: a healthy run recorded as baseline; a slower build then fails against it although it stays
// inside the scenario's absolute budgets.
import { test, expect } from '@playwright/test';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, runCli } from './support/cli.ts';

test('a degraded UI passes absolute budgets but fails against the recorded baseline', async () => {
  // The flood scenario with roomy absolute budgets, as a team would set them: generous enough for a loaded CI box.
  const made = await runCli(['validate', 'scenarios/flood.yaml']);
  const roomy = readFileSync(join(ROOT, 'scenarios', 'flood.yaml'), 'utf8').replace(
    /stallBudget: \{[^}]*\}/,
    'stallBudget: { longestMs: 8000, totalBlockedMs: 60000 }',
  );
  expect(roomy).toContain('longestMs: 8000');
  const healthy = join(made.tmp, 'flood.yaml');
  writeFileSync(healthy, roomy);
  const first = await runCli([
    'run',
    healthy,
    '-q',
    '-o',
    'TMP/reports',
    '--update-baseline',
    join(made.tmp, 'base.json'),
  ]);
  expect(first.code, first.stderr).toBe(0);
  const base = JSON.parse(readFileSync(join(made.tmp, 'base.json'), 'utf8'));
  expect(base.baselineVersion).toBe(1);
  expect(base.runs['flood · chromium'].longestStallMs).toEqual(expect.any(Number));

  // Same scenario, a build where every token costs 1 ms of main thread: a 600-token burst now stalls for 600 ms+.
  const slow = join(made.tmp, 'flood-slow.yaml');
  writeFileSync(slow, roomy.replace(/^  - open$/m, '  - open: { query: { slowTokenMs: "1" } }'));
  const again = await runCli(
    ['run', slow, '-q', '-o', join(first.tmp, 'reports2'), '--baseline', join(made.tmp, 'base.json')],
    {},
  );
  expect(again.code, again.stdout + again.stderr).toBe(1);
  const report = JSON.parse(readFileSync(join(first.tmp, 'reports2', 'latest.json'), 'utf8'));
  const verdicts = report.results[0].verdicts as { oracle: string; pass: boolean; summary: string }[];
  expect(verdicts.find((v) => v.oracle === 'stallBudget')?.pass, 'absolute budget still holds').toBe(true);
  const gate = verdicts.find((v) => v.oracle === 'baseline')!;
  expect(gate.pass).toBe(false);
  expect(gate.summary).toMatch(
    /worse than the baseline of \d{4}-\d\d-\d\d: .*longestStallMs \d+ \(baseline \d+, limit \d+\)/,
  );
  expect(again.stdout).toContain('baseline: worse than the baseline');
});

test('a missing or foreign baseline file is a usage error naming the file and the fix', async () => {
  const r = await runCli(['run', 'scenarios/flood.yaml', '-q', '--baseline', 'TMP/none.json']);
  expect(r.code).toBe(2);
  expect(r.stderr.trim()).toMatch(/no baseline file at .*none\.json; record one with --update-baseline/);
  const other = await runCli(['run', 'scenarios/flood.yaml', '-q', '--baseline', 'package.json']);
  expect(other.code).toBe(2);
  expect(other.stderr.trim()).toMatch(/package\.json is not a baseline file of version 1/);
});
