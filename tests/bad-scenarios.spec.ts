// The bad-input corpus: every file in fixtures/bad-scenarios/ says on its first line ("# expect: line:col: …")
// the exact one-line error it must produce. None may start a browser or end in a stack trace.
import { test, expect } from '@playwright/test';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadScenarioFile, ScenarioError } from '../harness/scenario/loader.ts';
import { leftoverTempDirs, processesMentioning, ROOT, runCli } from './support/cli.ts';

const DIR = 'fixtures/bad-scenarios';
const corpus = readdirSync(join(ROOT, DIR))
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((f) => {
    const file = `${DIR}/${f}`;
    const first = readFileSync(join(ROOT, file), 'utf8').split('\n')[0]!;
    const m = /^# expect: (.+)$/.exec(first);
    return { f, file, expected: m ? `${file}:${m[1]}` : null };
  });

test('the corpus holds at least 30 files, each saying the error it must produce', () => {
  expect(corpus.length).toBeGreaterThanOrEqual(30);
  expect(corpus.filter((c) => !c.expected).map((c) => c.f), 'files without a "# expect:" first line').toEqual([]);
});

for (const c of corpus) {
  test(`bad scenario ${c.f}`, () => {
    let thrown: unknown;
    try {
      loadScenarioFile(join(ROOT, c.file), ROOT);
    } catch (e) {
      thrown = e;
    }
    expect(thrown, 'the loader accepted a bad file').toBeInstanceOf(ScenarioError);
    const e = thrown as ScenarioError;
    expect(e.message).toBe(c.expected);
    expect(e.message).not.toContain('\n');
    expect(e.line).toBeGreaterThan(0);
    expect(e.col).toBeGreaterThan(0);
  });
}

test('the CLI reports every corpus file, one line each, exit 2, no browser, no stack trace', async () => {
  const r = await runCli(['validate', DIR]);
  expect(r.code).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines.sort()).toEqual(corpus.map((c) => c.expected!).sort());
  expect(r.stdout).toContain(`0 of ${corpus.length} scenario files valid`);
  expect(r.stderr).not.toMatch(/\n\s+at /);
});

test('run stops at a bad file before any browser or server starts', async () => {
  const r = await runCli(['run', 'scenarios', `${DIR}/send-missing-stream.yaml`, '--browser', 'chromium,webkit', '--report-dir', 'TMP/reports']);
  expect(r.code).toBe(2);
  expect(r.stderr.trim().split('\n')).toEqual([corpus.find((c) => c.f === 'send-missing-stream.yaml')!.expected]);
  expect(r.stderr).not.toMatch(/backend|browser/);
  expect(existsSync(join(r.tmp, 'reports'))).toBe(false);
  expect(leftoverTempDirs(r.tmp)).toEqual([]);
  expect(processesMentioning(r.tmp)).toEqual([]);
});

test('bad command-line input names the flag and the fix', async () => {
  const cases: [string[], RegExp][] = [
    [['run', '--app-dir', 'no/such/dir'], /--app-dir no\/such\/dir: no such directory\. Give the folder that holds the chat UI's index\.html/],
    [['run', '--app-dir', 'scenarios'], /--app-dir scenarios: no index\.html there/],
    [['run', '--target', 'hermes-webiu'], /unknown target "hermes-webiu"\. Known targets: /],
    [['run', '--browser', 'firefox'], /unknown browser "firefox"\. Supported: chromium, webkit/],
    [['run', '--regress', 'leak'], /--regress leak: the reference target cannot switch that on\. Known: leak-on-switch/],
    [['run', '--workers', 'two'], /--workers/],
    [['run', 'no/such.yaml'], /no such scenario file or folder: no\/such\.yaml/],
    [['run', '--baseline', 'no/such.json'], /no\/such\.json/],
  ];
  for (const [args, message] of cases) {
    const r = await runCli([...args, '--report-dir', 'TMP/reports']);
    expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(2);
    expect(r.stderr, args.join(' ')).toMatch(message);
    expect(r.stderr, args.join(' ')).not.toMatch(/\n\s+at /);
    expect(existsSync(join(r.tmp, 'reports')), args.join(' ')).toBe(false);
  }
});
