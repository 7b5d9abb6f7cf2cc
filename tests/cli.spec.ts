// The CLI as users meet it: bad scenario files fail fast without a browser; runs and interrupts leave nothing behind.
import { test, expect } from '@playwright/test';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer } from 'node:net';
import { leftoverTempDirs, processesMentioning, runCli, startCli } from './support/cli.ts';
import { findWebKit } from '../harness/driver/webkit.ts';

const portOpen = (port: number) =>
  new Promise<boolean>((ok) => {
    const s = connect(port, '127.0.0.1');
    s.on('connect', () => (s.destroy(), ok(true)));
    s.on('error', () => ok(false));
  });

test('a malformed scenario gives one line with file:line:col and starts no browser', async () => {
  const r0 = await runCli(['validate', 'scenarios']);
  expect(r0.code).toBe(0);
  const bad = join(r0.tmp, 'bad.yaml');
  writeFileSync(
    bad,
    'name: bad\nstreams:\n  s:\n    - tokens: { count: 3 }\nsteps:\n  - open\n  - newChat: a\n  - swicthTo: a\n',
  );
  const r = await runCli(['run', bad, '--report-dir', join(r0.tmp, 'reports')]);
  expect(r.code).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(
    /bad\.yaml:8:5: steps\[2\]\.swicthTo: unknown step "swicthTo" \(hint: did you mean "switchTo"\?\)/,
  );
  // No browser was started: it would have made a profile folder and printed a browser line.
  expect(r.stderr).not.toContain('browser');
  expect(leftoverTempDirs(r.tmp)).toEqual([]);
  expect(existsSync(join(r0.tmp, 'reports'))).toBe(false);
});

test('usage errors exit 2 with a sentence, not a stack trace', async () => {
  const r = await runCli(['run', '--regress', 'leak-on-swich']);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('--regress leak-on-swich');
  expect(r.stderr).not.toMatch(/\n\s+at /);
  const missing = await runCli(['run', 'no/such/file.yaml']);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toContain('no such scenario file or folder: no/such/file.yaml');
});

test('a transport the target cannot stream over is one sentence naming those it has; exit 2, no browser', async () => {
  const r = await runCli(['run', 'scenarios/switch-return.yaml', '--transport', 'websocket', '-o', 'TMP/r']);
  expect(r.code, r.explain()).toBe(2);
  expect(r.stderr.trim().split('\n')).toEqual([
    'sse-harness: --transport websocket: the reference target cannot stream over that: it streams over eventsource or fetch-stream. Give one of those, or leave --transport out.',
  ]);
  // --transport all asks the target which it has: one that lists none cannot be asked.
  const dir = mkdtempSync(join(tmpdir(), 'sse-harness-transport-'));
  const mine = join(dir, 'mine.mjs');
  writeFileSync(
    mine,
    `export default { name: 'mine', version: '1', regressions: [], backend: () => ({ root: '/nowhere/' }), entry: () => '/',
  readyExpression: 'true', viewedSessionExpression: 'null', answerTextExpression: 'null',
  async newChat() {}, async send() {}, async switchTo() {} };`,
  );
  const all = await runCli(['run', 'scenarios/switch-return.yaml', '-t', mine, '--transport', 'all', '-o', 'TMP/r']);
  rmSync(dir, { recursive: true, force: true });
  expect(all.code, all.explain()).toBe(2);
  expect(all.stderr.trim()).toBe(
    'sse-harness: --transport all: the mine target does not say which transports it has. Leave --transport out.',
  );
  expect(`${r.stderr}${all.stderr}`).not.toContain('browser');
});

// Kill the CLI at several points of a run: before the browser starts, mid-stream, and while reports are due.
const POINTS = [
  { name: 'before the browser starts', env: { SSE_HARNESS_HOLD_AT: 'launch' }, wait: /holding at launch/ },
  { name: 'mid-stream', env: {}, wait: /steps\[3\] waitFor/ },
  { name: 'while the report is written', env: { SSE_HARNESS_HOLD_AT: 'report' }, wait: /holding at report/ },
] as const;

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  for (const point of POINTS) {
    test(`${signal} ${point.name}: no browser, server or temp profile left, partial report marked incomplete`, async () => {
      const cli = startCli(['run', 'scenarios/switch-return.yaml', '--report-dir', 'TMP/reports'], { ...point.env });
      const reports = join(cli.tmp, 'reports');
      await cli.waitFor(point.wait);
      const port = Number(/backend http:\/\/127\.0\.0\.1:(\d+)/.exec(cli.stderr())![1]);
      if (point.name !== 'before the browser starts') expect(processesMentioning(cli.tmp).length).toBeGreaterThan(0);
      cli.child.kill(signal);
      const { code } = await cli.exited;
      expect(code).toBe(signal === 'SIGINT' ? 130 : 143);
      expect(processesMentioning(cli.tmp)).toEqual([]);
      expect(leftoverTempDirs(cli.tmp)).toEqual([]);
      expect(await portOpen(port)).toBe(false);
      const report = JSON.parse(readFileSync(join(reports, 'latest.json'), 'utf8'));
      expect(report.complete).toBe(false);
      expect(report.interruptedBy).toBe(signal);
      expect(cli.stderr()).not.toMatch(/\n\s+at /);
    });
  }
}

test('parallel runs never collide on ports; a busy fixed port is a clear error', async () => {
  const [a, b] = await Promise.all([
    runCli(['run', 'scenarios/switch-return.yaml', '-q', '-o', 'TMP/r']),
    runCli(['run', 'scenarios/switch-return.yaml', '-q', '-o', 'TMP/r']),
  ]);
  expect(a.code, a.stderr).toBe(0);
  expect(b.code, b.stderr).toBe(0);
  const busy = createServer();
  await new Promise<void>((ok) => busy.listen(0, '127.0.0.1', () => ok()));
  const port = (busy.address() as { port: number }).port;
  try {
    const r = await runCli(['run', 'scenarios/switch-return.yaml', '-q', '--port', String(port), '-o', 'TMP/r']);
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toContain(
      `port ${port} on 127.0.0.1 is already in use. Pick another with --port, or leave it out to get a free one.`,
    );
    expect(processesMentioning(r.tmp)).toEqual([]);
  } finally {
    busy.close();
  }
});

// The WebDriver path starts three kinds of process of its own (Xvfb, WebKitWebDriver, MiniBrowser and its
// WebKit helpers); every one must be gone after a pass, a failure and an interrupt.
test.describe('WebKitGTK through WebDriver leaves nothing behind', () => {
  test.skip(
    findWebKit()?.kind !== 'webkitgtk',
    'WebKitGTK (webkit2gtk-driver, xvfb) is not installed here: npm run setup installs it',
  );
  const kinds = (procs: string[]) =>
    ['Xvfb', 'WebKitWebDriver', 'MiniBrowser'].filter((k) => procs.some((p) => p.includes(k)));

  for (const c of [
    { name: 'after a passing run', args: [] as string[], code: 0 },
    { name: 'after a failing run', args: ['--regress', 'leak-on-switch'], code: 1 },
  ]) {
    test(c.name, async () => {
      const cli = startCli(['run', 'scenarios/switch-return.yaml', '-b', 'webkit', '-o', 'TMP/r', ...c.args]);
      await cli.waitFor(/steps\[3\] waitFor/);
      // The check below can fail: mid-run, each kind of process is there and found.
      expect(kinds(processesMentioning(cli.tmp))).toEqual(['Xvfb', 'WebKitWebDriver', 'MiniBrowser']);
      const { code } = await cli.exited;
      expect(code, cli.stderr()).toBe(c.code);
      expect(processesMentioning(cli.tmp)).toEqual([]);
      expect(leftoverTempDirs(cli.tmp)).toEqual([]);
    });
  }

  test('after Ctrl-C mid-stream, with the partial report marked incomplete', async () => {
    const cli = startCli(['run', 'scenarios/switch-return.yaml', '-b', 'webkit', '-o', 'TMP/r']);
    await cli.waitFor(/steps\[3\] waitFor/);
    expect(kinds(processesMentioning(cli.tmp))).toEqual(['Xvfb', 'WebKitWebDriver', 'MiniBrowser']);
    cli.child.kill('SIGINT');
    const { code } = await cli.exited;
    expect(code).toBe(130);
    expect(processesMentioning(cli.tmp)).toEqual([]);
    expect(leftoverTempDirs(cli.tmp)).toEqual([]);
    const report = JSON.parse(readFileSync(join(cli.tmp, 'r', 'latest.json'), 'utf8'));
    expect(report.complete).toBe(false);
  });
});
