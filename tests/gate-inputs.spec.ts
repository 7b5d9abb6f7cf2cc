// A gate can't pass on nothing, and can't lose its verdict: options that would run nothing or cannot be honoured
// are refused where they are parsed, report destinations are checked before any browser starts, and a report
// that cannot be written at the end still leaves the verdict table on the terminal (exit 2).
import { test, expect } from '@playwright/test';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { leftoverTempDirs, processesMentioning, runCli, startCli, expectUsageErrors } from './support/cli.ts';

test('options that would run nothing, or that no run can honour, are usage errors before anything starts', async () => {
  const cases: [string[], RegExp][] = [
    [['run', '--browser', ','], /option '-b, --browser <list>' argument ',' is invalid\. expected at least one name/],
    [['run', '--browser', ' '], /--browser <list>' argument ' ' is invalid\. expected at least one name/],
    [['run', '--workers', '0'], /--workers <n>' argument '0' is invalid\. expected a whole number from 1 to 32/],
    [
      ['run', '--port', '99999'],
      /--port <port>' argument '99999' is invalid\. expected a whole number from 1 to 65535/,
    ],
    [['run', '--retries', '-1'], /--retries <n>' argument '-1' is invalid/],
    [['run', '--repeat-until-fail', '0'], /expected a whole number from 1 to 1000/],
    [['run', '--slow-mo', '1e9'], /--slow-mo <ms>' argument '1e9' is invalid/],
    [['sweep', 'scenarios', '--repo', '.', '--refs', 'HEAD', '--browser', ','], /expected at least one name/],
    [['stress', '--runs', '0'], /--runs <n>' argument '0' is invalid/],
    [
      ['run', '--time-scale', '5e-324'],
      /--time-scale <factor>' argument '5e-324' is invalid\. expected a factor from 0\.01 to 10/,
    ],
  ];
  await expectUsageErrors(cases);
});

test('a report folder, trend or baseline that cannot be written is refused before any browser starts', async () => {
  const cases: [string[], RegExp][] = [
    // mkdir's recursive mode never returns under /proc; the check must answer at once.
    [
      ['--report-dir', '/proc/sse-harness-no/reports'],
      /--report-dir \/proc\/sse-harness-no\/reports: cannot create \/proc\/sse-harness-no \(ENOENT\)\. Give a folder you can write to\./,
    ],
    [
      ['--report-dir', 'package.json/reports'],
      /--report-dir package\.json\/reports: .*package\.json is a file, not a folder/,
    ],
    [
      ['--report-dir', 'TMP/r', '--trend', 'package.json/trend.jsonl'],
      /--trend package\.json\/trend\.jsonl: .*package\.json is a file, not a folder/,
    ],
    [['--report-dir', 'TMP/r', '--trend', 'scenarios'], /--trend scenarios: not a regular file/],
    [
      ['--report-dir', 'TMP/r', '--update-baseline', 'package.json/b.json'],
      /--update-baseline .*package\.json\/b\.json: .*is a file, not a folder/,
    ],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(['run', 'scenarios/switch-return.yaml', ...args]);
    expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(2);
    expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    expect(r.stderr, args.join(' ')).toMatch(message);
    expect(r.stderr, args.join(' ')).not.toMatch(/backend|browser|\n\s+at /);
    expect(processesMentioning(r.tmp)).toEqual([]);
  }
});

test('a report folder that goes away during the run: the verdict table is still printed, then why, exit 2', async () => {
  const run = startCli(['run', 'scenarios/switch-return.yaml', '--report-dir', 'TMP/out/reports']);
  const out = join(run.tmp, 'out');
  await run.waitFor('steps[1]');
  // The folder checked at the start is replaced by a file while the browser runs.
  rmSync(out, { recursive: true, force: true });
  writeFileSync(out, 'not a folder');
  const { code } = await run.exited;
  expect(code, run.stderr()).toBe(2);
  expect(run.stdout()).toMatch(/switch-return\s+chromium\s+PASS/);
  expect(run.stdout()).toContain('report: (not written)');
  expect(run.stderr()).toMatch(
    /sse-harness: report not written: report folder .*out\/reports: .*out is a file, not a folder/,
  );
  expect(run.stderr()).not.toMatch(/\n\s+at /);
  expect(leftoverTempDirs(run.tmp)).toEqual([]);
  rmSync(out, { force: true });
  mkdirSync(out);
});
