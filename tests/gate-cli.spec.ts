// The gate's flags as users meet them: --retries keeps every attempt, --known excuses what it lists (and says when an
// entry expired or went stale), a bad known-findings file is one line before any browser starts.
import { test, expect } from '@playwright/test';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { reportSchema } from '../harness/report/schema.ts';
import { runCli } from './support/cli.ts';

// Fails every time, quickly: it expects a return to a streaming chat that the steps never make.
const NEVER = `name: never-returns
ui: { poll: 1000, reconnectMs: 300 }
streams:
  short:
    - tokens: { count: 5, rate: 50 }
steps:
  - open
  - newChat: a
  - send: { stream: short }
  - waitFor: { complete: true }
expect:
  reattach: {}
  transcript: {}
`;

test('a bad --known file or --flaky value is one line, exit 2, before any browser starts', async () => {
  const r0 = await runCli(['validate', 'scenarios/switch-return.yaml']);
  const bad = join(r0.tmp, 'known.yaml');
  writeFileSync(bad, 'known:\n  - scenario: switch-return\n    oracle: liveStream\n    reason: leaks\n');
  const r = await runCli(['run', 'scenarios/switch-return.yaml', '--known', bad, '-o', 'TMP/reports']);
  expect(r.code).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(
    /^sse-harness: \S*known\.yaml:3:5: known\[0\]\.oracle: unknown oracle "liveStream" \(hint: did you mean "liveStreams"\?\)$/,
  );
  expect(r.stderr).not.toMatch(/browser|backend/);
  expect(existsSync(join(r.tmp, 'reports'))).toBe(false);
  const missing = await runCli(['run', 'scenarios/switch-return.yaml', '--known', 'no/such.yaml', '-o', 'TMP/reports']);
  expect(missing.code).toBe(2);
  expect(missing.stderr.trim()).toBe(
    'sse-harness: --known no/such.yaml: no such file. Give a YAML or JSON file with the accepted failures listed under "known:" (docs/cli.md: Known findings).',
  );
  const flaky = await runCli(['run', '--flaky', 'maybe', '-o', 'TMP/reports']);
  expect(flaky.code).toBe(2);
  expect(flaky.stderr).toContain(
    "option '--flaky <treatment>' argument 'maybe' is invalid. Allowed choices are pass, fail.",
  );
});

test('--retries runs a failing run again and keeps every attempt; --known excuses it without a retry, stale and expired entries said', async () => {
  const r0 = await runCli(['validate', 'scenarios/switch-return.yaml']);
  const scenario = join(r0.tmp, 'never.yaml');
  writeFileSync(scenario, NEVER);

  const retried = await runCli(['run', scenario, '--retries', '1', '-q', '-o', 'TMP/r']);
  expect(retried.code, retried.explain()).toBe(1);
  expect(retried.stdout).toMatch(/never-returns\s+chromium\s+FAIL\s+reattach: nothing to judge/);
  expect(retried.stdout).toContain('attempt 1 of 2: FAIL reattach: nothing to judge');
  expect(retried.stdout).toContain('attempt 2 of 2: FAIL reattach: nothing to judge');
  const report = reportSchema.parse(JSON.parse(readFileSync(join(retried.tmp, 'r', 'latest.json'), 'utf8')));
  expect(report.gate).toEqual({ retries: 1, flaky: 'pass' });
  expect([report.results[0]!.outcome, report.results[0]!.attempts?.length]).toEqual(['fail', 1]);
  const junit = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(
    readFileSync(join(retried.tmp, 'r', 'latest.junit.xml'), 'utf8'),
  );
  const testcase = junit.testsuites.testsuite.testcase;
  expect(testcase.failure.message).toMatch(/^reattach: nothing to judge/);
  expect(testcase.rerunFailure.message).toMatch(/^attempt 1: reattach: nothing to judge/);

  const known = join(r0.tmp, 'known.yaml');
  writeFileSync(
    known,
    `known:
  - { scenario: never-returns, oracle: reattach, reason: "the steps never return (demo)", expires: 2999-12-31 }
  - { scenario: never-returns, oracle: transcript, reason: "fixed long ago" }
  - { scenario: switch-return, oracle: liveStreams, reason: "not run here" }
`,
  );
  const excused = await runCli(['run', scenario, '--retries', '1', '--known', known, '-q', '-o', 'TMP/r']);
  expect(excused.code, excused.explain()).toBe(0);
  expect(excused.stdout).toMatch(
    /never-returns\s+chromium\s+KNOWN\s+reattach: nothing to judge.* \(known: the steps never return \(demo\), until 2999-12-31\)/,
  );
  expect(excused.stdout).toContain(
    '✓ never-returns · any browser · reattach: the steps never return (demo), until 2999-12-31 (excused 1 failure)',
  );
  expect(excused.stdout).toMatch(
    /⚠ stale: never-returns · any browser · transcript matched no failure \(.*known\.yaml:3: fixed\? remove the entry\)/,
  );
  expect(excused.stdout).toContain('· switch-return · any browser · liveStreams: not judged in this run');
  const excusedReport = reportSchema.parse(JSON.parse(readFileSync(join(excused.tmp, 'r', 'latest.json'), 'utf8')));
  // Excused at once: no retry was run.
  expect([excusedReport.results[0]!.outcome, excusedReport.results[0]!.attempts]).toEqual(['known', undefined]);
  expect(excusedReport.gate?.known?.entries.map((e) => e.status)).toEqual(['excused', 'stale', 'unjudged']);

  writeFileSync(
    known,
    `known:\n  - { scenario: never-returns, oracle: reattach, reason: "the steps never return (demo)", expires: 2000-01-31 }\n`,
  );
  const expired = await runCli(['run', scenario, '--known', known, '-q', '-o', 'TMP/r']);
  expect(expired.code, expired.explain()).toBe(1);
  expect(expired.stdout).toMatch(
    /never-returns\s+chromium\s+FAIL\s+reattach: .*\(known entry expired 2000-01-31, no longer excused: the steps never return \(demo\); .*known\.yaml:2\)/,
  );
  expect(expired.stdout).toMatch(
    /✗ never-returns · any browser · reattach: expired 2000-01-31, no longer excuses \(.*known\.yaml:2: renew the date or fix the finding\)/,
  );
});
