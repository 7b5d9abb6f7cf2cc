// bench:anchors without a browser: how each tool's printed output is read, the answers the other tools are served,
// how their commands are found, and the bench's usage errors.
import { test, expect } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { read, readFuite, readHarness, readMemlab, type Finished } from '../bench/anchors/classify.ts';
import { ANSWER_SECONDS, createsEventSource, lengthened } from '../bench/anchors/serve.ts';
import { binOf, cacheDir, CACHE_ENV, nodeCommand } from '../bench/anchors/tools.ts';
import { REFERENCE_UI_DIR } from '../harness/targets/reference.ts';
import { ROOT } from './support/cli.ts';

const run = (o: Partial<Finished>): Finished => ({ code: 0, stdout: '', stderr: '', ...o });
const noSite = () => false;

const HARNESS_FAIL = `scenario                   browser   verdict detail
switch-return              chromium  FAIL    liveStreams: 1 chat streams open (sessions a) while the user views 0 streaming sessions, for 1089 ms; peak 1; peaks by witness: server 1, page 1, CDP network 1; leaked streams created at /app.js:89 in openStream (×1)
`;

test('the harness: a FAIL with open streams is a leak, named as an EventSource only where the creation site is one', () => {
  const r = readHarness(run({ code: 1, stdout: HARNESS_FAIL }), (site) => site === '/app.js:89');
  expect(r).toMatchObject({ verdict: 'leak', namesEventSource: true });
  expect(r.named).toContain('1 chat streams open (sessions a)');
  expect(r.named).toContain('created at /app.js:89 in openStream');
  expect(readHarness(run({ code: 1, stdout: HARNESS_FAIL }), noSite).namesEventSource).toBe(false);
  // Another oracle failing is an alarm, but names no stream.
  const other = readHarness(
    run({ code: 1, stdout: 'switch-return  chromium  FAIL    noBackgroundReconnect: a stream reopened' }),
    () => true,
  );
  expect(other).toMatchObject({ verdict: 'leak', namesEventSource: false });
  expect(readHarness(run({ code: 0, stdout: 'switch-return  chromium  PASS' }), noSite)).toMatchObject({
    verdict: 'clean',
    namesEventSource: false,
  });
});

test('the harness: a usage error, a crash or a kill is no verdict, with the reason', () => {
  expect(
    readHarness(run({ code: 2, stderr: 'sse-harness: no such scenario file or folder: x.yaml\n' }), noSite),
  ).toMatchObject({ verdict: 'none', why: expect.stringContaining('no such scenario file') });
  // An exit code alone is not a verdict: 1 without a FAIL line is a crash.
  expect(readHarness(run({ code: 1, stderr: 'TypeError: boom' }), noSite).verdict).toBe('none');
  expect(readHarness(run({ code: null, timedOut: true }), noSite)).toMatchObject({
    verdict: 'none',
    why: 'killed at the deadline',
  });
});

const fuiteJson = (leaks: object, extra: object = {}) => JSON.stringify([{ test: {}, result: { leaks, ...extra } }]);

test('fuite: its JSON decides; the names it gave are kept, EventSource or not', () => {
  const found = readFuite(
    run({
      fuiteJson: fuiteJson({
        detected: true,
        objects: [{ name: '(compiled code)', countDeltaPerIteration: 25 }],
        collections: [{ type: 'Map', deltaPerIteration: 2 }],
        eventListeners: [],
        domNodes: { deltaPerIteration: 0 },
      }),
    }),
  );
  expect(found).toMatchObject({ verdict: 'leak', namesEventSource: false });
  expect(found.named).toBe('per iteration: (compiled code) +25, Map +2');
  const named = readFuite(
    run({ fuiteJson: fuiteJson({ detected: true, objects: [{ name: 'EventSource', countDeltaPerIteration: 2 }] }) }),
  );
  expect(named).toMatchObject({ verdict: 'leak', namesEventSource: true });
  // fuite exits 0 either way: a result without a detection is clean.
  expect(readFuite(run({ fuiteJson: fuiteJson({ detected: false, objects: [] }) }))).toMatchObject({
    verdict: 'clean',
    named: '',
  });
});

test('fuite: a failed test, no results or a crash is no verdict, with its own message', () => {
  const failed = readFuite(
    run({
      stdout:
        'Test         : undefined\nFailed       : Node is detached from document\nError: Node is detached from document\n',
      fuiteJson: fuiteJson({}, { failed: true, error: {} }),
    }),
  );
  expect(failed).toMatchObject({ verdict: 'none', why: 'its test failed: Node is detached from document' });
  expect(readFuite(run({ fuiteJson: '[]' }))).toMatchObject({
    verdict: 'none',
    why: expect.stringContaining('no test ran'),
  });
  expect(readFuite(run({ code: 1, stderr: 'Error: Failed to launch the browser process!' })).why).toContain(
    'Failed to launch the browser process',
  );
  expect(readFuite(run({ fuiteJson: 'not json' })).verdict).toBe('none');
});

const MEMLAB_LEAKS = `\u001b[KMemLab found 2 leak(s)
Number of clusters loaded: 0

--Similar leaks in this run: 81--
--Retained size of leaked objects: 6.1KB--
[(GC roots)] (synthetic) @3 [3.2MB]
  --10 (element)--->  [(Global handles)] (synthetic) @23 [264KB]
  --124 / DevTools console (internal)--->  [Detached <button type="button" class="session streaming"> (native) @97195 [1KB]

--Similar leaks in this run: 60--
`;

test('memlab: its "found N leak(s)" line decides, on stdout or stderr, with the first retainer trace kept', () => {
  const found = readMemlab(run({ stderr: MEMLAB_LEAKS }));
  expect(found).toMatchObject({ verdict: 'leak', namesEventSource: false });
  expect(found.named).toMatch(/^2 leak\(s\): --Similar leaks in this run: 81-- .*\[\(GC roots\)\].*Detached <button/);
  expect(found.named).not.toContain('\u001b');
  expect(readMemlab(run({ stdout: 'No leaks found\nMemLab found 0 leak(s)\n' }))).toMatchObject({
    verdict: 'clean',
    named: '',
  });
  expect(
    readMemlab(
      run({
        stdout:
          'MemLab found 1 leak(s)\n--Similar leaks in this run: 1--\n[Window] (native) @1 --> [EventSource] (native) @2\n',
      }),
    ).namesEventSource,
  ).toBe(true);
  // Exit 0 with no summary line (it stopped early) or a kill is no verdict.
  expect(readMemlab(run({ stdout: 'interaction fail\n' }))).toMatchObject({
    verdict: 'none',
    why: expect.stringContaining('interaction fail'),
  });
  expect(read('memlab', run({ code: null, timedOut: true }), noSite).why).toBe('killed at the deadline');
});

test('the other tools get switch-return answers that last the whole run, at the scenario rate', () => {
  const script = lengthened([
    { reasoning: 'Working out the answer' },
    { tokens: { count: 800, rate: 40 } },
    { tokens: { text: 'exact words' } },
  ]);
  expect(script).toEqual([
    { reasoning: 'Working out the answer' },
    { tokens: { count: 40 * ANSWER_SECONDS, rate: 40 } },
    { tokens: { text: 'exact words' } },
  ]);
});

test('a creation site names an EventSource only on the reference UI line that makes one', () => {
  const lines = readFileSync(join(REFERENCE_UI_DIR, 'app.js'), 'utf8').split('\n');
  const at = lines.findIndex((l) => l.includes('new EventSource(')) + 1;
  expect(at).toBeGreaterThan(0);
  expect(createsEventSource(`/app.js:${at}`)).toBe(true);
  expect(createsEventSource(`/app.js:${at + 1}`)).toBe(false);
  expect(createsEventSource('/no-such.js:1')).toBe(false);
  // Only a file name of the reference UI is read, never a path the output gives.
  expect(createsEventSource('/../bin/sse-harness.js:1')).toBe(false);
});

test('the tools run by this Node with the flags their own shebang asks for, from their own package', () => {
  const cache = mkdtempSync(join(tmpdir(), 'sse-anchors-test-'));
  try {
    const pkg = join(cache, 'node_modules', 'memlab');
    mkdirSync(join(pkg, 'bin'), { recursive: true });
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ version: '2.0.5', bin: { memlab: 'bin/memlab' } }));
    writeFileSync(join(pkg, 'bin', 'memlab'), '#!/usr/bin/env node --expose-gc --max-old-space-size=4096\n');
    expect(binOf(cache, 'memlab')).toBe(join(pkg, 'bin', 'memlab'));
    expect(nodeCommand(binOf(cache, 'memlab')!)).toEqual([
      process.execPath,
      '--expose-gc',
      '--max-old-space-size=4096',
      join(pkg, 'bin', 'memlab'),
    ]);
    writeFileSync(join(pkg, 'bin', 'memlab'), '#!/usr/bin/env -S node --expose-gc\n');
    expect(nodeCommand(join(pkg, 'bin', 'memlab')).slice(1)).toEqual(['--expose-gc', join(pkg, 'bin', 'memlab')]);
    mkdirSync(join(cache, 'node_modules', '.bin'));
    symlinkSync('../memlab/bin/memlab', join(cache, 'node_modules', '.bin', 'memlab'));
    writeFileSync(join(pkg, 'bin', 'memlab'), '#!/usr/bin/env node\n');
    expect(nodeCommand(join(cache, 'node_modules', '.bin', 'memlab'))).toEqual([
      process.execPath,
      join(pkg, 'bin', 'memlab'),
    ]);
    expect(binOf(cache, 'fuite')).toBeNull();
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});

test('the cache folder: --cache, else the environment variable, else the XDG cache', () => {
  const saved = { [CACHE_ENV]: process.env[CACHE_ENV], XDG_CACHE_HOME: process.env.XDG_CACHE_HOME };
  try {
    process.env[CACHE_ENV] = '/tmp/from-env';
    process.env.XDG_CACHE_HOME = '/tmp/xdg';
    expect(cacheDir('/tmp/flag')).toBe('/tmp/flag');
    expect(cacheDir()).toBe('/tmp/from-env');
    delete process.env[CACHE_ENV];
    expect(cacheDir()).toBe('/tmp/xdg/sse-harness/anchors');
  } finally {
    for (const [k, v] of Object.entries(saved))
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  }
});

test('bad options exit 2 with one line naming the option and the fix, before anything is installed or run', () => {
  for (const [args, message] of [
    [['--rounds', '0'], /--rounds <n>' argument '0' is invalid\. expected a whole number from 1 to 50/],
    [['--rounds', 'x'], /--rounds/],
    [
      ['--tools', 'harness,leakcanary'],
      /--tools <list>' argument 'harness,leakcanary' is invalid\. .*\(not: leakcanary\)/,
    ],
    [['--deadline', '1'], /--deadline/],
    [['--bogus'], /unknown option '--bogus'/],
  ] as [string[], RegExp][]) {
    const r = spawnSync(process.execPath, ['--import', 'tsx/esm', join(ROOT, 'bench', 'anchors.ts'), ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, [CACHE_ENV]: '/nonexistent/anchors-cache' },
    });
    expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines, args.join(' ')).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(lines[0]).toContain('--help');
    expect(r.stdout).toBe('');
  }
});
