// The bad-input corpus: every file in fixtures/bad-scenarios/ says on its first line ("# expect: line:col: …")
// the exact one-line error it must produce. None may start a browser or end in a stack trace. What a file in git
// cannot be (a named pipe, a socket, a device, a file over the size limit) and what must still load (anchors reused
// hundreds of times) is tested below it.
import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenarioFile, ScenarioError } from '../harness/scenario/loader.ts';
import { scenarioJsonSchema } from '../harness/scenario/json-schema.ts';
import { MAX_DURATION_MS, MAX_FILE_BYTES } from '../harness/scenario/limits.ts';
import { streamItemShape } from '../harness/scenario/schema.ts';
import { leftoverTempDirs, processesMentioning, ROOT, runCli, startCli, expectUsageErrors } from './support/cli.ts';

const DIR = 'fixtures/bad-scenarios';
const corpus = readdirSync(join(ROOT, DIR))
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((f) => {
    const file = `${DIR}/${f}`;
    // Any line ending: cr-only.yaml ends its lines with a lone CR.
    const first = readFileSync(join(ROOT, file), 'utf8').split(/\r\n|\r|\n/)[0]!;
    const m = /^# expect: (.+)$/.exec(first);
    return { f, file, expected: m ? `${file}:${m[1]}` : null };
  });

test('the corpus holds at least 30 files, each saying the error it must produce', () => {
  expect(corpus.length).toBeGreaterThanOrEqual(30);
  expect(
    corpus.filter((c) => !c.expected).map((c) => c.f),
    'files without a "# expect:" first line',
  ).toEqual([]);
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
  const r = await runCli([
    'run',
    'scenarios',
    `${DIR}/send-missing-stream.yaml`,
    '--browser',
    'chromium,webkit',
    '--report-dir',
    'TMP/reports',
  ]);
  expect(r.code).toBe(2);
  expect(r.stderr.trim().split('\n')).toEqual([corpus.find((c) => c.f === 'send-missing-stream.yaml')!.expected]);
  expect(r.stderr).not.toMatch(/backend|browser/);
  expect(existsSync(join(r.tmp, 'reports'))).toBe(false);
  expect(leftoverTempDirs(r.tmp)).toEqual([]);
  expect(processesMentioning(r.tmp)).toEqual([]);
});

test('bad command-line input names the flag and the fix', async () => {
  const cases: [string[], RegExp][] = [
    [
      ['run', '--app-dir', 'no/such/dir'],
      /--app-dir no\/such\/dir: no such directory\. Give the folder that holds the chat UI's index\.html/,
    ],
    [['run', '--app-dir', 'scenarios'], /--app-dir scenarios: no index\.html there/],
    [['run', '--target', 'hermes-webiu'], /unknown target "hermes-webiu"\. Known targets: /],
    [['run', '--browser', 'firefox'], /unknown browser "firefox"\. Supported: chromium, webkit/],
    [
      ['run', '--regress', 'leak'],
      /--regress leak: the reference target cannot switch that on\. Known: leak-on-switch/,
    ],
    [['run', '--workers', 'two'], /--workers/],
    [['run', 'no/such.yaml'], /no such scenario file or folder: no\/such\.yaml/],
    [['run', '--baseline', 'no/such.json'], /no\/such\.json/],
  ];
  await expectUsageErrors(cases);
});

/** The CLI on `args`, killed and failed if it has not exited within `ms`: a read that blocks must not hang the suite. */
async function cliWithin(args: string[], ms = 30_000) {
  const r = startCli(args);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'hung'>((ok) => (timer = setTimeout(() => ok('hung'), ms)));
  const outcome = await Promise.race([r.exited, deadline]);
  clearTimeout(timer);
  if (outcome === 'hung') r.child.kill('SIGKILL');
  expect(outcome, `sse-harness ${args.join(' ')} did not exit within ${ms} ms\nstderr:\n${r.stderr()}`).not.toBe(
    'hung',
  );
  return { code: (outcome as { code: number | null }).code, stdout: r.stdout(), stderr: r.stderr() };
}

test('a named pipe, a socket and a device are refused in one line each, without blocking on a read', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sse-harness-nonregular-'));
  const server = createServer();
  try {
    execFileSync('mkfifo', [join(dir, 'pipe.yaml')]);
    await new Promise<void>((ok) => server.listen(join(dir, 'socket.yaml'), ok));
    copyFileSync(join(ROOT, 'scenarios/switch-return.yaml'), join(dir, 'good.yaml'));

    // A folder holding them: each gets its line and the good file still validates.
    const folder = await cliWithin(['validate', dir]);
    expect(folder.code).toBe(2);
    const lines = folder.stderr.trim().split('\n').sort();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /pipe\.yaml:1:1: not a regular file: this is a named pipe \(FIFO\) \(hint: give a \.yaml scenario file\)$/,
    );
    expect(lines[1]).toMatch(
      /socket\.yaml:1:1: not a regular file: this is a socket \(hint: give a \.yaml scenario file\)$/,
    );
    expect(folder.stdout).toContain('1 of 3 scenario files valid');

    // Named one by one, and a character device.
    const direct = await cliWithin(['validate', join(dir, 'pipe.yaml'), '/dev/null']);
    expect(direct.code).toBe(2);
    expect(direct.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/pipe\.yaml:1:1: not a regular file: this is a named pipe \(FIFO\)/),
      expect.stringMatching(/\/dev\/null:1:1: not a regular file: this is a character device/),
    ]);
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a file over the size limit is refused before it is read', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sse-harness-big-'));
  try {
    const file = join(dir, 'big.yaml');
    writeFileSync(file, `name: big\ndescription: "${'x'.repeat(MAX_FILE_BYTES)}"\n`);
    expect(() => loadScenarioFile(file, dir)).toThrow(
      `big.yaml:1:1: the file is ${MAX_FILE_BYTES + 26} bytes; a scenario file may be at most ${MAX_FILE_BYTES} (1 MiB) (hint: split it into smaller scenarios)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an anchored step reused 151 and 500 times still loads: aliases are bounded by expanded size, not by count', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sse-harness-anchors-'));
  try {
    for (const n of [151, 500]) {
      const file = join(dir, `reuse-${n}.yaml`);
      const reuse = Array.from({ length: n }, () => '  - *look').join('\n');
      writeFileSync(
        file,
        `name: reuse\nstreams:\n  s:\n    - tokens: { count: 5 }\nsteps:\n  - open\n  - newChat: a\n  - &look { wait: 10 }\n${reuse}\n`,
      );
      const s = loadScenarioFile(file, dir);
      expect(s.steps).toHaveLength(n + 3);
      expect(s.steps[n + 2]).toEqual({ wait: 10 });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an exception the loader did not expect is one line naming the file and how to report it', () => {
  // A fault injected into the schema the loader checks every tokens item with.
  const tokens = streamItemShape.tokens as unknown as { safeParse: unknown };
  const original = tokens.safeParse;
  tokens.safeParse = () => {
    throw new TypeError('injected fault\n    at somewhere (file.ts:1:1)');
  };
  try {
    let thrown: unknown;
    try {
      loadScenarioFile(join(ROOT, 'scenarios/switch-return.yaml'), ROOT);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ScenarioError);
    expect((thrown as Error).message).toBe(
      'scenarios/switch-return.yaml: internal error while reading this scenario (injected fault); please report it with the file',
    );
  } finally {
    tokens.safeParse = original;
  }
});

test('the committed JSON Schema is the generated one, limits included', () => {
  const onDisk = JSON.parse(readFileSync(join(ROOT, 'schemas/scenario.schema.json'), 'utf8'));
  expect(onDisk, 'run: node bin/sse-harness.js schema > schemas/scenario.schema.json').toEqual(scenarioJsonSchema());
  expect(JSON.stringify(onDisk)).toContain(`"maximum":${MAX_DURATION_MS}`);
});
