// sweep over a small git history of the reference UI: releases before and after a commit that leaks streams on
// switch, a release with no UI at all, and names and subjects that would be markup.
import { test, expect } from '@playwright/test';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SweepSummary } from '../harness/report/sweep-schema.ts';
import { reportSchema } from '../harness/report/schema.ts';
import { leftoverTempDirs, runCli, startCli } from './support/cli.ts';
import { UiRepo } from './support/ui-repo.ts';

/** v0.9<b>: no UI yet · v1.0 healthy · v1.1 restyled · v1.2 leaks on switch · v1.10 a footer (after v1.2 by history). */
function history(tmp: string): UiRepo {
  const repo = new UiRepo(join(tmp, 'ui'));
  repo.write('README.md', 'a chat UI, soon\n');
  repo.commit('plan <i>the</i> UI');
  repo.tag('v0.9<b>');
  repo.addReferenceUi();
  repo.commit('healthy chat UI');
  repo.tag('v1.0', { annotated: true });
  repo.edit('style.css', (s) => `${s}\n/* wider sidebar */\n`);
  repo.commit('style: wider sidebar');
  repo.tag('v1.1');
  repo.switchOn('leak-on-switch');
  repo.commit('<script>alert(1)</script> refactor: session switching');
  repo.tag('v1.2');
  repo.edit('index.html', (s) => s.replace('</body>', '<!-- footer -->\n</body>'));
  repo.commit('footer comment');
  repo.tag('v1.10');
  return repo;
}

test('a row per release in history order, each cell linking its run; the checkout untouched', async () => {
  const made = await runCli(['validate', 'scenarios/switch-return.yaml']);
  const repo = history(made.tmp);
  const before = repo.state();
  const r = await runCli([
    'sweep',
    'scenarios/switch-return.yaml',
    '--repo',
    repo.dir,
    '--refs',
    'v1.0..v1.10:every:2',
    '-w',
    '1',
    '-o',
    'TMP/sweep',
  ]);
  expect(r.code, r.explain()).toBe(0);
  // The table: one row per ref, oldest first, a column per scenario·browser.
  const table = r.stdout.slice(0, r.stdout.indexOf('history:')).trim().split('\n');
  expect(table[0]).toMatch(/^ref\s+switch-return·chromium$/);
  // A cell that failed otherwise is spelled out below the table: r.explain() shows it, with each run's digest.
  expect(
    table.slice(2, 5).map((l) => l.split(/\s+/)),
    r.explain(),
  ).toEqual([
    ['v1.0', 'PASS'],
    ['v1.2', 'FAIL(liveStreams)'],
    ['v1.10', 'FAIL(liveStreams)'],
  ]);
  expect(r.stdout).toContain('3 refs × 1 cell: 1 pass, 2 fail, 0 errors');
  // Progress per ref on stderr.
  expect(r.stderr).toMatch(/\[1\/3\] v1\.0 \([0-9a-f]{10}, 2026-01-01\): healthy chat UI/);
  expect(r.stderr).toMatch(/\[3\/3\] v1\.10 · switch-return · chromium → FAIL\(liveStreams\)/);
  // The user's checkout as it was, no worktree left registered, no temp folder left.
  expect(repo.state()).toEqual(before);
  expect(leftoverTempDirs(r.tmp)).toEqual([]);

  const dir = join(r.tmp, 'sweep');
  const summary = JSON.parse(readFileSync(join(dir, 'sweep.json'), 'utf8')) as SweepSummary;
  expect(summary).toMatchObject({
    kind: 'sweep',
    complete: true,
    refs: 'v1.0..v1.10:every:2',
    totals: { refs: 3, cells: 3, passed: 1, failed: 2, errors: 0 },
  });
  expect(summary.rows.map((row) => [row.label, row.commit, row.cells[0]!.verdict])).toEqual([
    ['v1.0', repo.commits[1], 'pass'],
    ['v1.2', repo.commits[3], 'fail'],
    ['v1.10', repo.commits[4], 'fail'],
  ]);
  // Each ref's run is an ordinary report in <dir>/<ref>/, and each cell links its own section of it.
  const html = readFileSync(join(dir, 'sweep.html'), 'utf8');
  for (const row of summary.rows) {
    expect(row.dir).toBe(row.label);
    const report = reportSchema.parse(JSON.parse(readFileSync(join(dir, row.report!), 'utf8')));
    expect(report.results).toHaveLength(1);
    expect(report.results[0]!.verdict).toBe(row.cells[0]!.verdict);
    const [file, anchor] = row.cells[0]!.report!.split('#');
    expect(file).toBe(row.report!.replace(/\.json$/, '.html'));
    expect(anchor).toBe('r0');
    expect(existsSync(join(dir, file!))).toBe(true);
    expect(html).toContain(
      `<a href="${row.cells[0]!.report}">${row.cells[0]!.verdict === 'pass' ? 'PASS' : 'FAIL(liveStreams)'}</a>`,
    );
  }
  // A commit subject is text, never markup.
  expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62; refactor');
  expect(html).not.toContain('<script>alert');
});

test('a release the harness cannot serve is an ERROR cell naming why, exit 2; names never become markup', async () => {
  const made = await runCli(['validate', 'scenarios/switch-return.yaml']);
  const repo = history(made.tmp);
  const r = await runCli([
    'sweep',
    'scenarios/switch-return.yaml',
    '--repo',
    repo.dir,
    '--refs',
    'v0.9<b>',
    '-o',
    'TMP/sweep',
  ]);
  expect(r.code, r.explain()).toBe(2);
  expect(r.stdout).toMatch(/v0\.9<b>\s+ERROR/);
  expect(r.stdout).toContain(
    `v0.9<b> · switch-return · chromium: ERROR cannot serve the UI at ${repo.commits[0]!.slice(0, 10)}: --app-dir ${repo.commits[0]!.slice(0, 10)}:.: no index.html there`,
  );
  const summary = JSON.parse(readFileSync(join(r.tmp, 'sweep', 'sweep.json'), 'utf8')) as SweepSummary;
  expect(summary.totals).toMatchObject({ refs: 1, errors: 1 });
  expect(summary.rows[0]!.dir).toBe('v0.9_b_');
  expect(existsSync(join(r.tmp, 'sweep', 'v0.9_b_', 'latest.json'))).toBe(true);
  const html = readFileSync(join(r.tmp, 'sweep', 'sweep.html'), 'utf8');
  expect(html).toContain('v0.9&#60;b&#62;');
  expect(html).toContain('plan &#60;i&#62;the&#60;/i&#62; UI');
  expect(html).not.toMatch(/v0\.9<b>|<i>the/);
  expect(repo.state().worktrees).toBe(1);
});

test('Ctrl-C mid-sweep: worktrees and temp folders gone, the history so far written as incomplete', async () => {
  const made = await runCli(['validate', 'scenarios/switch-return.yaml']);
  const repo = history(made.tmp);
  const before = repo.state();
  // A run that lasts far longer than the test waits, so the sweep is surely mid-run when it is stopped, however fast
  // or slow the machine.
  const long = join(made.tmp, 'long.yaml');
  writeFileSync(
    long,
    'name: long\nstreams:\n  s: [{ tokens: { count: 5, rate: 10 } }]\nsteps:\n  - open\n  - wait: 120000\n',
  );
  const cli = startCli(['sweep', long, '--repo', repo.dir, '--refs', 'v1.0,v1.2', '-o', 'TMP/sweep']);
  await cli.waitFor(/\[1\/2\] v1\.0 \(/);
  // The first ref's worktree is checked out while its run goes on, and the next ref's beside it.
  await expect.poll(() => repo.state().worktrees, { timeout: 10_000 }).toBe(3);
  cli.child.kill('SIGINT');
  const { code } = await cli.exited;
  expect(code).toBe(130);
  expect(repo.state()).toEqual(before);
  expect(leftoverTempDirs(cli.tmp)).toEqual([]);
  const summary = JSON.parse(readFileSync(join(cli.tmp, 'sweep', 'sweep.json'), 'utf8')) as SweepSummary;
  expect(summary.complete).toBe(false);
  expect(summary.interruptedBy).toBe('SIGINT');
  expect(summary.rows.map((row) => row.label)).toEqual(['v1.0', 'v1.2']);
  expect(cli.stderr()).not.toMatch(/\n\s+at /);
});

test('--resume after Ctrl-C: refs the sweep finished are kept, the rest run, each ref once', async () => {
  const made = await runCli(['validate', 'scenarios/switch-return.yaml']);
  const repo = history(made.tmp);
  const args = ['sweep', 'scenarios/switch-return.yaml', '--repo', repo.dir, '--refs', 'v1.0,v1.2', '-w', '1'];
  const cli = startCli([...args, '-o', 'TMP/sweep']);
  const out = join(cli.tmp, 'sweep');
  // Stopped once the first ref is done (the second begins as soon as the first's runs have all started).
  await cli.waitFor(/\[1\/2\] v1\.0: 1 pass/);
  cli.child.kill('SIGINT');
  expect((await cli.exited).code).toBe(130);
  expect(cli.stderr()).toContain('the same command with --resume goes on from there');

  // Another sweep's file is not taken for this one's.
  const other = await runCli([...args, '-b', 'chromium,webkit', '-o', out, '--resume']);
  expect(other.code).toBe(2);
  expect(other.stderr).toMatch(
    /--resume: .*sweep\.json is another sweep \(it ran browsers chromium, not chromium,webkit\)/,
  );

  const r = await runCli([...args, '-o', out, '--resume']);
  expect(r.code, r.explain()).toBe(0);
  expect(r.stderr).toContain('[1/2] v1.0: kept from the earlier sweep: 1 pass, 0 fail');
  expect(r.stderr).not.toContain('[1/2] v1.0 · switch-return');
  expect(r.stderr).toMatch(/\[2\/2\] v1\.2 · switch-return · chromium → FAIL\(liveStreams\)/);
  const summary = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8')) as SweepSummary;
  expect(summary).toMatchObject({
    complete: true,
    totals: { refs: 2, cells: 2, passed: 1, failed: 1, errors: 0, notRun: 0 },
  });
  // The kept row still links the report its run wrote.
  expect(existsSync(join(out, summary.rows[0]!.report!))).toBe(true);
});

test('--transport: every ref streams over it, the sweep says so, and a resume over another is refused', async () => {
  const made = await runCli(['validate', 'scenarios/switch-return.yaml']);
  const repo = history(made.tmp);
  const args = ['sweep', 'scenarios/switch-return.yaml', '--repo', repo.dir, '--refs', 'v1.0,v1.2', '-w', '1'];
  const r = await runCli([...args, '--transport', 'fetch-stream', '-o', 'TMP/sweep']);
  expect(r.code, r.explain()).toBe(0);
  expect(r.stderr).toContain('against target "reference" over fetch-stream');
  const dir = join(r.tmp, 'sweep');
  const summary = JSON.parse(readFileSync(join(dir, 'sweep.json'), 'utf8')) as SweepSummary;
  expect(summary).toMatchObject({ transport: 'fetch-stream', totals: { passed: 1, failed: 1 } });
  expect(readFileSync(join(dir, 'sweep.html'), 'utf8')).toContain('over fetch-stream');
  for (const row of summary.rows) {
    const [run] = reportSchema.parse(JSON.parse(readFileSync(join(dir, row.report!), 'utf8'))).results;
    expect(run!.transport).toBe('fetch-stream');
    // The UI did stream over fetch at that ref: the page's streams are fetch streams, and none is an EventSource.
    const opened = run!.timeline.flatMap((e) => (e.kind === 'page-open' ? [e.transport ?? 'eventsource'] : []));
    expect(opened.length).toBeGreaterThan(0);
    expect(new Set(opened)).toEqual(new Set(['fetch-stream']));
  }
  const other = await runCli([...args, '-o', dir, '--resume']);
  expect(other.code).toBe(2);
  expect(other.stderr).toMatch(/--resume: .*is another sweep \(it ran over fetch-stream, not over the target's own/);
});
