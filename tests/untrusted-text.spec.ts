// Untrusted text on its way to a terminal, without a browser: scenario values, the UI's words and a target's output
// carry escape sequences, carriage returns, bidi overrides and zero-width characters; none of them reaches the
// terminal as itself, and a long value is cut with a count.
import { expect, test } from '@playwright/test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { oneLine, printable } from '../harness/printable.ts';
import { verdictTable } from '../harness/cli.ts';
import type { ScenarioResult } from '../harness/runner/run.ts';
import { runCli } from './support/cli.ts';

/** Clears the screen, prints red "ALL TESTS PASSED", rewrites the line, reverses the rest, hides a character. */
export const HOSTILE = '\u001b[2J\u001b[31mALL TESTS PASSED\u001b[0m\rok \u202egnp.exe\u200bX\u0007\u0008';
/** Every character that acts instead of showing, outside a line feed. */
// eslint-disable-next-line no-control-regex
const ACTING = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/u;

test('printable() shows each acting character as an escape and keeps the rest', () => {
  expect(printable(HOSTILE)).toBe('\\u001b[2J\\u001b[31mALL TESTS PASSED\\u001b[0m\\rok \\u202egnp.exe\\u200bX\\u0007\\u0008');
  const cases: [string, string][] = [
    ['\u202a\u202b\u202c\u202d\u202e', '\\u202a\\u202b\\u202c\\u202d\\u202e'],
    ['\u2066\u2067\u2068\u2069', '\\u2066\\u2067\\u2068\\u2069'],
    ['\u200e\u200f\u061c', '\\u200e\\u200f\\u061c'],
    ['\u200b\u200c\u200d\u2060\ufeff', '\\u200b\\u200c\\u200d\\u2060\\ufeff'],
    ['\u0085\u009b\u007f', '\\u0085\\u009b\\u007f'],
    ['\u2028\u2029', '\\u2028\\u2029'],
    // Tag characters spell invisible ASCII; they are above U+FFFF.
    ['a\u{e0041}b', 'a\\u{e0041}b'],
    ['line\nnext\ttab', 'line\\nnext\\ttab'],
    ['café 日本 👍 — “quotes”', 'café 日本 👍 — “quotes”'],
  ];
  for (const [raw, shown] of cases) expect(printable(raw)).toBe(shown);
  expect(printable('a\nb\u001b', { keepNewlines: true })).toBe('a\nb\\u001b');
  expect(oneLine('a\n\tb\r\nc')).toBe('a b\\r c');
});

test('long text is cut with a count of what was left out, never split inside a character', () => {
  const long = 'x'.repeat(200_000);
  expect(printable(long)).toBe(`${'x'.repeat(2000)}… (198000 more characters)`);
  expect(oneLine(long, 80)).toBe(`${'x'.repeat(80)}… (199920 more characters)`);
  expect(printable('👍'.repeat(5), { max: 3 })).toBe('👍👍👍… (2 more characters)');
  expect(printable('short', { max: 5 })).toBe('short');
});

function hostileResult(verdict: 'fail' | 'error'): ScenarioResult {
  return {
    scenario: `evil${HOSTILE}`, file: 'evil.yaml', catches: [], browser: 'chromium', engine: 'test', target: 'reference', targetVersion: 'test',
    regress: [], verdict, error: verdict === 'error' ? `sse-harness: page script failed: ${HOSTILE}\nsecond line` : undefined,
    verdicts: verdict === 'fail' ? [{ oracle: 'transcript', pass: false, summary: `shown "${HOSTILE}" is not the script`, step: `steps[2] send ${HOSTILE}`, t: 10, evidence: {} }, { oracle: 'liveStreams', pass: false, summary: `session ${HOSTILE}`, evidence: {} }] : [],
    stepFailures: [], findings: [{ t: 1, step: 'steps[1]', finding: 'witness-disagreement', summary: HOSTILE, witnesses: {} }], witnesses: ['server'], durationMs: 1, sessions: {}, timeline: [],
  } as ScenarioResult;
}

test('the verdict table shows hostile scenario names, UI text, errors and findings escaped, one line each', () => {
  const table = verdictTable([hostileResult('fail'), hostileResult('error')]);
  expect(table).not.toMatch(ACTING);
  expect(table).toContain('shown "\\u001b[2J\\u001b[31mALL TESTS PASSED\\u001b[0m\\rok \\u202egnp.exe\\u200bX\\u0007\\u0008" is not the script');
  expect(table).toContain('at steps[2] send \\u001b[2J');
  expect(table).toContain('liveStreams: session \\u001b[2J');
  expect(table).toContain('⚠ witness-disagreement after steps[1]: \\u001b[2J');
  // The error's own line break does not make a line of its own in the table.
  expect(table).toContain('page script failed: \\u001b[2J\\u001b[31mALL TESTS PASSED\\u001b[0m\\rok \\u202egnp.exe\\u200bX\\u0007\\u0008 second line');
  const lines = table.split('\n');
  expect(lines[1]!.startsWith('evil\\u001b[2J\\u001b[31mAL… chromium')).toBe(true);
  expect(lines.filter((l) => /^evil/.test(l))).toHaveLength(2);
  // A 200 KB summary is cut with a count.
  const long = hostileResult('fail');
  long.verdicts[0]!.summary = 'y'.repeat(200_000);
  expect(verdictTable([long]).split('\n')[1]).toMatch(/transcript: y{900,1000}… \(\d+ more characters\)$/);
});

test('error lines quoting a scenario value or a path are escaped and cut: validate and a usage error', async () => {
  const r0 = await runCli(['validate', 'no/such/dir']);
  const file = join(r0.tmp, 'evil.yaml');
  writeFileSync(file, `name: evil\nstreams:\n  s:\n    - tokens: { count: 3 }\nsteps:\n  - open\n  - newChat: a\n  - send: { stream: ${JSON.stringify(`${HOSTILE}${'z'.repeat(5000)}`)} }\n`);
  const v = await runCli(['validate', file]);
  expect(v.code, v.explain()).toBe(2);
  expect(v.stderr).not.toMatch(ACTING);
  const lines = v.stderr.trim().split('\n');
  expect(lines, v.explain()).toHaveLength(1);
  expect(lines[0]).toContain('\\u001b[2J\\u001b[31mALL TESTS PASSED');
  expect(lines[0]).toContain('\\u202egnp.exe\\u200bX');
  // However the loader quotes the value, the line is cut with a count.
  expect(lines[0]).toMatch(/^\S*evil\.yaml:8:\d+: .*… \(\d+ more characters\)/);
  expect(lines[0]!.length).toBeLessThan(2100);

  const u = await runCli(['run', `no/such/${HOSTILE}.yaml`]);
  expect(u.code, u.explain()).toBe(2);
  expect(u.stderr).not.toMatch(ACTING);
  expect(u.stderr).toContain('no such scenario file or folder: no/such/\\u001b[2J\\u001b[31mALL TESTS PASSED\\u001b[0m\\rok \\u202egnp.exe\\u200bX\\u0007\\u0008.yaml');
});
