// The baseline gate: a healthy run recorded as baseline; a slower build then fails against it although it stays
// inside the scenario's absolute budgets.
import { test, expect } from '@playwright/test';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, runCli } from './support/cli.ts';

test('a degraded UI passes absolute budgets but fails against the recorded baseline', async () => {
  const first = await runCli(['run', 'scenarios/flood.yaml', '-q', '-o', 'TMP/reports', '--update-baseline', 'TMP/base.json']);
  expect(first.code, first.stderr).toBe(0);
  const base = JSON.parse(readFileSync(join(first.tmp, 'base.json'), 'utf8'));
  expect(base.baselineVersion).toBe(1);
  expect(base.runs['flood · chromium'].longestStallMs).toEqual(expect.any(Number));

  // Same scenario, a build where every token costs 0.4 ms of main thread: bursts now stall for a few hundred ms.
  const slow = join(first.tmp, 'flood.yaml');
  writeFileSync(slow, readFileSync(join(ROOT, 'scenarios', 'flood.yaml'), 'utf8').replace(/^  - open$/m, '  - open: { query: { slowTokenMs: "0.4" } }'));
  const again = await runCli(['run', slow, '-q', '-o', join(first.tmp, 'reports2'), '--baseline', join(first.tmp, 'base.json')], {});
  expect(again.code, again.stdout + again.stderr).toBe(1);
  const report = JSON.parse(readFileSync(join(first.tmp, 'reports2', 'latest.json'), 'utf8'));
  const verdicts = report.results[0].verdicts as { oracle: string; pass: boolean; summary: string }[];
  expect(verdicts.find((v) => v.oracle === 'stallBudget')?.pass, 'absolute budget still holds').toBe(true);
  const gate = verdicts.find((v) => v.oracle === 'baseline')!;
  expect(gate.pass).toBe(false);
  expect(gate.summary).toMatch(/worse than the baseline of \d{4}-\d\d-\d\d: .*longestStallMs \d+ \(baseline \d+, limit \d+\)/);
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
