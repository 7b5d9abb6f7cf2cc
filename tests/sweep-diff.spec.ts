// sweep-diff: two sweeps of the same history compared cell by cell, from their sweep.json files (no browser).
import { test, expect } from '@playwright/test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diffSweeps } from '../harness/history/sweep-diff.ts';
import { SWEEP_VERSION, type SweepCell, type SweepSummary } from '../harness/report/sweep-schema.ts';
import { runCli } from './support/cli.ts';

type Cell = [verdict: SweepCell['verdict'], ...failing: string[]];

/** A sweep of refs r1, r2 × scenarios s1, s2 in chromium; cells given row by row. */
function sweepOf(cells: Cell[][], commits = ['c1', 'c2']): SweepSummary {
  const columns = [
    { scenario: 's1', browser: 'chromium' },
    { scenario: 's2', browser: 'chromium' },
  ];
  return {
    sweepVersion: SWEEP_VERSION,
    tool: 'sse-harness',
    kind: 'sweep',
    startedAt: '2026-12-02T00:00:00Z',
    finishedAt: '2026-12-02T00:10:00Z',
    complete: true,
    command: [],
    repo: '/repo',
    refs: 'r1,r2',
    target: 'reference',
    appSubdir: '.',
    browsers: ['chromium'],
    scenarios: ['s1', 's2'],
    columns,
    rows: cells.map((row, i) => ({
      label: `r${i + 1}<b>`,
      commit: commits[i]!,
      subject: 'x',
      date: '2026-01-01',
      dir: `r${i + 1}`,
      cells: row.map(([verdict, ...failing], k) => ({ ...columns[k]!, verdict, failing })),
    })),
    totals: { refs: 2, cells: 4, passed: 0, failed: 0, errors: 0, notRun: 0 },
  };
}

const A = sweepOf([
  [['pass'], ['fail', 'liveStreams', 'transcript']],
  [['fail', 'hiddenPolling'], ['pass']],
]);

test('identical sweeps agree; the order of failing oracles does not matter', () => {
  const B = sweepOf([
    [['pass'], ['fail', 'transcript', 'liveStreams']],
    [['fail', 'hiddenPolling'], ['pass']],
  ]);
  expect(diffSweeps(A, B)).toEqual({ compared: 4, sameVerdict: 4, sameOracles: 4, differing: [], unmatched: 0 });
});

test('a changed verdict and a changed oracle set are told apart; not-run cells are not compared', () => {
  const B = sweepOf([
    [
      ['fail', 'reattach'],
      ['fail', 'liveStreams'],
    ],
    [['not run'], ['pass']],
  ]);
  const d = diffSweeps(A, B);
  expect(d).toMatchObject({ compared: 3, sameVerdict: 2, sameOracles: 1, unmatched: 1 });
  expect(d.differing.map((p) => [p.ref, p.scenario, p.differs])).toEqual([
    ['r1<b>', 's1', 'verdict'],
    ['r1<b>', 's2', 'oracles'],
  ]);
});

test('cells are matched by commit, not by label or position', () => {
  const B = sweepOf(
    [
      [['fail', 'hiddenPolling'], ['pass']],
      [['pass'], ['fail', 'liveStreams', 'transcript']],
    ],
    ['c2', 'c1'],
  );
  expect(diffSweeps(A, B)).toMatchObject({ compared: 4, sameOracles: 4 });
  expect(
    diffSweeps(
      A,
      sweepOf(
        A.rows.map((r) => r.cells.map((c) => [c.verdict, ...c.failing] as Cell)),
        ['c3', 'c4'],
      ),
    ),
  ).toMatchObject({ compared: 0, unmatched: 8 });
});

test('the command: exit 0 when verdicts agree, 1 when one differs (or, with --strict, an oracle set), 2 on a bad file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sse-harness-sweepdiff-'));
  try {
    const file = (name: string, body: unknown) => {
      const f = join(dir, name);
      writeFileSync(f, typeof body === 'string' ? body : JSON.stringify(body));
      return f;
    };
    const a = file('a.json', A);
    const sameVerdicts = file(
      'b.json',
      sweepOf([
        [['pass'], ['fail', 'liveStreams']],
        [['fail', 'hiddenPolling'], ['pass']],
      ]),
    );
    const otherVerdict = file(
      'c.json',
      sweepOf([
        [['pass'], ['fail', 'liveStreams', 'transcript']],
        [['pass'], ['pass']],
      ]),
    );

    const same = await runCli(['sweep-diff', a, sameVerdicts]);
    expect(same.code, same.explain()).toBe(0);
    expect(same.stdout).toContain('4 cells in both: 4 same verdict, 3 same verdict and failing oracles');
    expect(same.stdout).toContain(
      'r1<b> · s2 · chromium: A FAIL(liveStreams,transcript), B FAIL(liveStreams) (same verdict)',
    );

    const strict = await runCli(['sweep-diff', a, sameVerdicts, '--strict']);
    expect(strict.code, strict.explain()).toBe(1);

    const differ = await runCli(['sweep-diff', a, otherVerdict]);
    expect(differ.code, differ.explain()).toBe(1);
    expect(differ.stdout).toContain('r2<b> · s1 · chromium: A FAIL(hiddenPolling), B PASS');

    const notSweep = await runCli(['sweep-diff', a, file('report.json', { tool: 'sse-harness', results: [] })]);
    expect(notSweep.code).toBe(2);
    expect(notSweep.stderr).toContain('report.json: not a sweep summary');
    expect(notSweep.stderr).not.toMatch(/\n\s+at /);
    const broken = await runCli(['sweep-diff', file('broken.json', '{"kind": "sweep",'), a]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain('broken.json: cannot read a sweep summary');
    const missing = await runCli(['sweep-diff', join(dir, 'nope.json'), a]);
    expect(missing.stderr).toContain('nope.json: cannot read a sweep summary (no such file)');
    const disjoint = await runCli([
      'sweep-diff',
      a,
      file(
        'd.json',
        sweepOf(
          [
            [['pass'], ['pass']],
            [['pass'], ['pass']],
          ],
          ['c8', 'c9'],
        ),
      ),
    ]);
    expect(disjoint.code).toBe(2);
    expect(disjoint.stderr).toContain('no cell was run in both');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
