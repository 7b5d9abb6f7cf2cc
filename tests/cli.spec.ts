// The CLI as users meet it: bad scenario files fail fast without a browser; runs and interrupts leave nothing behind.
import { test, expect } from '@playwright/test';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:net';
import { leftoverTempDirs, processesMentioning, runCli, startCli } from './support/cli.ts';

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
  writeFileSync(bad, 'name: bad\nstreams:\n  s:\n    - tokens: { count: 3 }\nsteps:\n  - open\n  - newChat: a\n  - swicthTo: a\n');
  const r = await runCli(['run', bad, '--report-dir', join(r0.tmp, 'reports')]);
  expect(r.code).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/bad\.yaml:8:5: steps\[2\]\.swicthTo: unknown step "swicthTo" \(hint: did you mean "switchTo"\?\)/);
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

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`${signal} mid-stream stops browser and server and writes a partial report`, async () => {
    const cli = startCli(['run', 'scenarios/switch-return.yaml', '--report-dir', 'TMP/reports']);
    const reports = join(cli.tmp, 'reports');
    await cli.waitFor(/steps\[3\] waitFor/);
    const port = Number(/backend http:\/\/127\.0\.0\.1:(\d+)/.exec(cli.stderr())![1]);
    expect(processesMentioning(cli.tmp).length).toBeGreaterThan(0);
    cli.child.kill(signal);
    const { code } = await cli.exited;
    expect(code).toBe(signal === 'SIGINT' ? 130 : 143);
    expect(processesMentioning(cli.tmp)).toEqual([]);
    expect(leftoverTempDirs(cli.tmp)).toEqual([]);
    expect(await portOpen(port)).toBe(false);
    const report = JSON.parse(readFileSync(join(reports, 'latest.json'), 'utf8'));
    expect(report.complete).toBe(false);
    expect(report.interruptedBy).toBe(signal);
  });
}
