// --shard i/n and merge-reports: the split is deterministic and complete, whatever order the inputs come in; shards
// merge into the reports of the whole, in an unsharded run's order, valid against the report schema; merge refuses
// a missing shard, shards of different runs and hostile blobs with one line naming the file; the example workflow's
// commands exist. Most of it without a browser: blobs are built from results shaped as the runner makes them.
import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { buildProgram } from '../harness/cli.ts';
import { byKind, findBlobs, MergeError, mergedOutcome, mergeRuns } from '../harness/merge-reports.ts';
import type { SweepSummary } from '../harness/report/sweep-schema.ts';
import { blobName, blobSchema, type RunBlob } from '../harness/report/blob.ts';
import { reportSchema } from '../harness/report/schema.ts';
import { matrixCells, matrixJobs, shardCells, type Job } from '../harness/runner/matrix.ts';
import type { ScenarioResult } from '../harness/runner/run.ts';
import { assignShards, dealRefs, jobKeys, parseShard, planJobs, type Planned } from '../harness/runner/shard.ts';
import { loadScenarioFile } from '../harness/scenario/loader.ts';
import { CLASS_ORACLE } from '../harness/oracles/classes.ts';
import { REGRESSION_CLASSES } from '../harness/scenario/classes.ts';
import { expectUsageErrors, ROOT, runCli } from './support/cli.ts';
import { UiRepo } from './support/ui-repo.ts';

const scenarios = readdirSync(join(ROOT, 'scenarios'))
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => loadScenarioFile(join(ROOT, 'scenarios', f), ROOT));

/** A deterministic shuffle (no flakiness from Math.random). */
function shuffled<T>(xs: T[], seed: number): T[] {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** key → shard for a run of `round` repeated `rounds` times in `total` shards. */
const split = (round: Job[], rounds: number, total: number) =>
  new Map(planJobs(round, rounds, total).map((p) => [p.key, p.shard]));

test('the split: every job in exactly one shard, the same one whatever the order of inputs, shards balanced', () => {
  const lists: [string, Job[], number][] = [
    ['one scenario', [{ scenario: scenarios[0]!, browser: 'chromium', regress: [], expect: 'pass' }], 1],
    [
      'all scenarios × two browsers',
      ['chromium', 'webkit'].flatMap((browser) =>
        scenarios.map((scenario) => ({ scenario, browser, regress: [], expect: 'pass' as const })),
      ),
      1,
    ],
    ['the detection matrix', matrixJobs(scenarios, ['chromium', 'webkit'], REGRESSION_CLASSES), 1],
    [
      'three repetitions',
      scenarios.map((scenario) => ({
        scenario,
        browser: 'chromium',
        regress: ['leak-on-switch'],
        expect: 'catch' as const,
      })),
      3,
    ],
  ];
  for (const [what, round, rounds] of lists) {
    for (const total of [1, 2, 3, 4, 7, 1000]) {
      const plan = planJobs(round, rounds, total);
      const keys = plan.map((p) => p.key);
      expect(new Set(keys).size, `${what}: keys are unique`).toBe(keys.length);
      // Complete: the shards' parts together are the whole, each job once.
      const parts = Array.from({ length: total }, (_, i) => plan.filter((p) => p.shard === i + 1).map((p) => p.key));
      expect(parts.flat().sort(), `${what} in ${total}`).toEqual([...keys].sort());
      // Deterministic: the same shard for every job, whatever order the scenarios (and browsers) were named in.
      const want = split(round, rounds, total);
      for (const seed of [1, 2, 3])
        expect(split(shuffled(round, seed), rounds, total), `${what} in ${total}, order ${seed}`).toEqual(want);
      // Balanced: no shard has more scripted time than another plus the longest job.
      const load = parts.map((p) => p.reduce((n, k) => n + plan.find((x) => x.key === k)!.weight, 0));
      expect(Math.max(...load) - Math.min(...load), `${what} in ${total}`).toBeLessThanOrEqual(
        Math.max(...plan.map((p) => p.weight)),
      );
    }
  }
  // Jobs that differ only in a scenario file get its path; the same file named twice is told apart by occurrence.
  const same = { ...scenarios[0]!, file: 'elsewhere/x.yaml' };
  expect(
    jobKeys(
      [0, 0].map((repeat, i) => ({ scenario: i ? same : scenarios[0]!, browser: 'chromium', regress: [], repeat })),
    ),
  ).toEqual([
    `${scenarios[0]!.name} · chromium · ${scenarios[0]!.file}`,
    `${scenarios[0]!.name} · chromium · elsewhere/x.yaml`,
  ]);
  expect(
    jobKeys([0, 0].map((repeat) => ({ scenario: scenarios[0]!, browser: 'chromium', regress: [], repeat }))),
  ).toEqual([`${scenarios[0]!.name} · chromium`, `${scenarios[0]!.name} · chromium #2`]);
  // Equal weights: the key alone decides, in any order.
  const items = Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, weight: 100 }));
  const byKey = (xs: typeof items) => Object.fromEntries(assignShards(xs, 7).map((s, i) => [xs[i]!.key, s]));
  expect(byKey(shuffled(items, 9))).toEqual(byKey(items));
  expect(Object.values(byKey(items)).filter((s) => s === 1)).toHaveLength(8);
});

test('a sweep deals whole refs: sorted by commit, round-robin, the same in any order', () => {
  const commits = Array.from({ length: 25 }, (_, i) => execHash(i));
  for (const total of [1, 2, 4, 25, 30]) {
    const dealt = dealRefs(commits, total);
    const of = (cs: string[]) => Object.fromEntries(dealRefs(cs, total).map((s, i) => [cs[i], s]));
    expect(of(shuffled(commits, 4)), `${total}`).toEqual(of(commits));
    const sizes = Array.from({ length: total }, (_, i) => dealt.filter((s) => s === i + 1).length);
    expect(sizes.reduce((a, b) => a + b)).toBe(25);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
  }
});

const execHash = (i: number) => (BigInt(i + 1) * 0x9e3779b97f4a7c15n).toString(16).padStart(40, '0').slice(-40);

test('--shard must be i/n with 1 ≤ i ≤ n ≤ 1000: one line, exit 2, before anything starts', async () => {
  expect(parseShard('2/4')).toEqual({ index: 2, total: 4 });
  const run = ['run', 'scenarios/switch-return.yaml'];
  const cases: [string[], RegExp][] = [
    [[...run, '--shard', '0/2'], /--shard <i\/n>' argument '0\/2' is invalid\. expected a shard from 1 to 2, got 0/],
    [[...run, '--shard', '3/2'], /argument '3\/2' is invalid\. expected a shard from 1 to 2, got 3/],
    [[...run, '--shard', '1/1001'], /argument '1\/1001' is invalid\. expected from 1 to 1000 shards, got 1001/],
    [[...run, '--shard', '1/0'], /expected from 1 to 1000 shards, got 0/],
    [
      [...run, '--shard', '1.5/2'],
      /argument '1\.5\/2' is invalid\. expected i\/n, the shard to run and how many there are, like 1\/4/,
    ],
    [[...run, '--shard', '2'], /expected i\/n/],
    [['stress', '--shard', '5/4'], /--shard <i\/n>' argument '5\/4' is invalid\. expected a shard from 1 to 4, got 5/],
    [
      ['sweep', 'scenarios/switch-return.yaml', '--repo', '.', '--refs', 'HEAD', '--shard', '1/-1'],
      /--shard <i\/n>' argument '1\/-1' is invalid\. expected i\/n/,
    ],
  ];
  for (const bad of ['0/2', '3/2', '1/1001', '1/0', '1.5/2', '2', '', '1/2/3', ' 1 / 2x'])
    expect(typeof parseShard(bad), bad).toBe('string');
  await expectUsageErrors(cases);
});

/** A result as the runner makes one (the fields every report needs, an empty timeline). */
function result(
  scenario: string,
  browser: string,
  verdict: 'pass' | 'fail' | 'error',
  extra: Partial<ScenarioResult> = {},
): ScenarioResult {
  return {
    scenario,
    file: `scenarios/${scenario}.yaml`,
    catches: [],
    browser,
    engine: 'Chromium 1 (recorded)',
    target: 'reference',
    targetVersion: 'reference',
    regress: [],
    expected: 'pass',
    verdict,
    verdicts: [
      {
        oracle: 'liveStreams',
        pass: verdict !== 'fail',
        summary: verdict === 'fail' ? 'liveStreams: 6 chat streams open' : 'at most 1 stream open',
        evidence: {},
      },
    ],
    stepFailures: [],
    findings: [],
    witnesses: ['server', 'page'],
    ...(verdict === 'error' ? { error: 'the browser died' } : {}),
    durationMs: 1234,
    sessions: { a: 's1' },
    timeline: [{ kind: 'note', t: 0, message: 'recorded' }],
    ...extra,
  } as ScenarioResult;
}

/** Blobs of a run of these scenarios in chromium and webkit, split in `total` shards; `verdict` says how each ran. */
function runBlobs(
  total: number,
  verdict: (key: string) => 'pass' | 'fail' | 'error' = () => 'pass',
  names = ['switch-return', 'lock-unlock', 'hidden-polling'],
): RunBlob[] {
  const round = ['chromium', 'webkit'].flatMap((browser) =>
    names.map((n) => ({
      scenario: scenarios.find((s) => s.name === n)!,
      browser,
      regress: [],
      expect: 'pass' as const,
    })),
  );
  return blobsOf(round, total, (p) => result(p.job.scenario.name, p.job.browser, verdict(p.key)));
}

/** Blobs of a run of `round` split in `total` shards, each result made by `make`. */
function blobsOf(round: Job[], total: number, make: (p: Planned<Job>) => ScenarioResult): RunBlob[] {
  const plan = planJobs(round, 1, total);
  const names = [...new Set(round.map((j) => j.scenario.name))];
  return Array.from({ length: total }, (_, i) => ({
    blobVersion: 1 as const,
    tool: 'sse-harness' as const,
    kind: 'run' as const,
    shard: { index: i + 1, total },
    startedAt: `2026-01-0${i + 1}T10:00:00.000Z`,
    finishedAt: `2026-01-0${i + 1}T10:01:00.000Z`,
    complete: true,
    command: [
      'run',
      ...names.map((n) => `scenarios/${n}.yaml`),
      '-b',
      'chromium,webkit',
      '--shard',
      `${i + 1}/${total}`,
    ],
    target: 'reference',
    browsers: [...new Set(round.map((j) => j.browser))],
    regress: [],
    gate: { retries: 0, flaky: 'pass' as const },
    jobs: plan.map((p) => ({
      key: p.key,
      scenario: p.job.scenario.name,
      file: p.job.scenario.file,
      browser: p.job.browser,
      regress: p.job.regress,
      expect: p.job.expect,
      ...(p.job.klass ? { klass: p.job.klass } : {}),
      repeat: 0,
      weight: p.weight,
    })),
    results: plan.filter((p) => p.shard === i + 1).map((p) => ({ key: p.key, result: make(p) })),
  }));
}

/** Why merge-reports refuses these folders (in this process), or 'accepted'. */
function refusal(dirs: string[]): string {
  try {
    const f = byKind(findBlobs(dirs));
    if (f.kind === 'run') mergeRuns(f.runs, false);
  } catch (e) {
    if (e instanceof MergeError) return e.message;
    throw e;
  }
  return 'accepted';
}

const found = (blobs: RunBlob[]) =>
  blobs.map((blob, i) => ({ file: `shard-${i + 1}/${blobName(blob.shard)}`, dir: `shard-${i + 1}`, blob }));

test('a detection matrix and known findings merge as the whole run judges them', () => {
  const two = scenarios.filter((s) => ['switch-return', 'lock-unlock'].includes(s.name));
  const classes = ['leak-on-switch', 'lock-drop', 'flood-stall'] as const;
  const round = matrixJobs(two, ['chromium'], classes);
  const make = (missed?: string) => (p: Planned<Job>) => {
    const caught = p.job.klass && p.key !== missed;
    return result(p.job.scenario.name, p.job.browser, caught ? 'fail' : 'pass', {
      regress: p.job.regress,
      expected: p.job.expect,
      verdicts: [
        {
          oracle: p.job.klass ? CLASS_ORACLE[p.job.klass] : 'liveStreams',
          pass: !caught,
          summary: caught ? 'caught' : 'held',
          evidence: {},
        },
      ],
    });
  };
  const blobs = blobsOf(round, 3, make()).map((b) => ({ ...b, matrix: { classes: [...classes] } }));
  const whole = planJobs(round, 1, 1);
  const m = mergeRuns(found(blobs), false);
  // The cells of the whole, as an unsharded run computes them from every job (flood-stall: no scenario catches it).
  expect(m.report.matrix).toEqual(matrixCells(round, whole.map(make()), ['chromium'], classes));
  expect(m.report.matrix!.filter((c) => !c.ok).map((c) => c.klass)).toEqual(['flood-stall']);
  // A shard's own cells: those it ran, and the class no scenario catches (a miss everywhere).
  for (const b of blobs) {
    const mine = planJobs(round, 1, 3).filter((p) => p.shard === b.shard.index);
    const cells = shardCells(
      matrixCells(
        mine.map((p) => p.job),
        mine.map(make()),
        ['chromium'],
        classes,
      ),
      mine.map((p) => p.job),
      round,
    );
    const has = (k: string) => mine.some((p) => (k === 'healthy' ? !p.job.klass : p.job.klass === k));
    expect(
      cells.map((c) => c.klass),
      `shard ${b.shard.index}`,
    ).toEqual(['healthy', ...classes].filter((k) => has(k) || k === 'flood-stall'));
  }
  const ok = (cs: string[]) => classes.filter((k) => !cs.includes(k));
  expect(
    mergedOutcome(
      mergeRuns(
        found(blobsOf(round, 3, make()).map((b) => ({ ...b, matrix: { classes: ok(['flood-stall']) } }))),
        false,
      ),
    ),
  ).toBe('ok');
  const missed = blobsOf(round, 3, make('switch-return · chromium · regress leak-on-switch')).map((b) => ({
    ...b,
    matrix: { classes: ok(['flood-stall']) },
  }));
  const mm = mergeRuns(found(missed), false);
  expect(mm.cells!.find((c) => c.klass === 'leak-on-switch')!.detail).toBe('MISS in switch-return');
  expect(mergedOutcome(mm)).toBe('regression');

  // Known findings: an entry matched in one shard is excused in the whole; stale only when no shard matched it.
  const plain = ['chromium', 'webkit'].flatMap((browser) =>
    two.map((scenario) => ({ scenario, browser, regress: [], expect: 'pass' as const })),
  );
  const entry = (oracle: string, line: number) => ({
    scenario: 'lock-unlock',
    browser: 'webkit',
    oracle,
    reason: 'known since 1.0',
    source: `known.yaml:${line}`,
  });
  const knownBlobs = (expired: boolean) =>
    blobsOf(plain, 2, (p) =>
      p.key === 'lock-unlock · webkit'
        ? result('lock-unlock', 'webkit', 'fail', {
            verdicts: [
              {
                oracle: 'lockRecovery',
                pass: false,
                summary: 'no reattach',
                evidence: {},
                known: { reason: 'known since 1.0', source: 'known.yaml:2', expired },
              },
            ],
          })
        : result(p.job.scenario.name, p.job.browser, 'pass'),
    ).map((b) => {
      const here = b.results.some((r) => r.key === 'lock-unlock · webkit');
      const status = (s: 'excused' | 'stale'): 'excused' | 'expired' | 'stale' | 'unjudged' =>
        here ? (s === 'excused' && expired ? 'expired' : s) : 'unjudged';
      return {
        ...b,
        gate: {
          retries: 0,
          flaky: 'pass' as const,
          known: {
            file: 'known.yaml',
            entries: [
              { ...entry('lockRecovery', 2), status: status('excused'), matched: here ? 1 : 0 },
              { ...entry('liveStreams', 7), status: status('stale'), matched: 0 },
            ],
          },
        },
      };
    });
  const k = mergeRuns(found(knownBlobs(false)), false);
  expect(k.report.gate!.known!.entries.map((e) => [e.oracle, e.status, e.matched])).toEqual([
    ['lockRecovery', 'excused', 1],
    ['liveStreams', 'stale', 0],
  ]);
  expect(mergedOutcome(k)).toBe('ok');
  const expired = mergeRuns(found(knownBlobs(true)), false);
  expect(expired.report.gate!.known!.entries[0]!.status).toBe('expired');
  expect(mergedOutcome(expired)).toBe('regression');
});

/** Writes each blob into its own folder under dir (as CI artifacts arrive); returns the folders. */
function writeShards(dir: string, blobs: unknown[]): string[] {
  return blobs.map((b, i) => {
    const d = join(dir, `shard-${i + 1}`);
    mkdirSync(d, { recursive: true });
    const blob = b as RunBlob;
    writeFileSync(
      join(d, blob.shard ? blobName(blob.shard) : `blob-${i + 1}-of-${blobs.length}.json`),
      JSON.stringify(b),
    );
    return d;
  });
}

test("recorded shards merge into the reports of the whole: schema-valid, in an unsharded run's order, exit as run", async () => {
  const made = await runCli(['validate', 'scenarios/switch-return.yaml']);
  const blobs = runBlobs(4);
  for (const b of blobs) expect(blobSchema.safeParse(JSON.parse(JSON.stringify(b))).success).toBe(true);
  const dirs = writeShards(join(made.tmp, 'a'), blobs);
  // Given in any order.
  const r = await runCli(['merge-reports', dirs[2]!, dirs[0]!, dirs[3]!, dirs[1]!, '-o', 'TMP/merged']);
  expect(r.code, r.explain()).toBe(0);
  const out = join(r.tmp, 'merged');
  const report = reportSchema.parse(JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8')));
  // The order an unsharded run has: browsers in --browser order, scenarios in the order named.
  expect(report.results.map((x) => `${x.scenario} · ${x.browser}`)).toEqual(blobs[0]!.jobs.map((j) => j.key));
  expect(report).toMatchObject({
    complete: true,
    startedAt: '2026-01-01T10:00:00.000Z',
    finishedAt: '2026-01-04T10:01:00.000Z',
    summary: { total: 6, passed: 6 },
  });
  expect(report.command).not.toContain('--shard');
  expect(readdirSync(out).sort()).toEqual(
    [
      'latest.html',
      'latest.json',
      'latest.junit.xml',
      'latest.md',
      ...['html', 'json', 'junit.xml', 'md'].map((x) => `run-2026-01-01T10-00-00-000Z.${x}`),
    ].sort(),
  );
  expect(readFileSync(join(out, 'latest.junit.xml'), 'utf8')).toContain('tests="3"');
  expect(r.stdout).toMatch(/switch-return\s+chromium\s+PASS/);

  // A failure in one shard fails the whole (1); a run the harness could not judge makes it 2.
  const failing = writeShards(
    join(made.tmp, 'b'),
    runBlobs(2, (k) => (k === 'lock-unlock · webkit' ? 'fail' : 'pass')),
  );
  const f = await runCli(['merge-reports', ...failing, '-o', 'TMP/m']);
  expect(f.code, f.explain()).toBe(1);
  expect(f.stdout).toMatch(/lock-unlock\s+webkit\s+FAIL\s+liveStreams: liveStreams: 6 chat streams open/);
  const erring = writeShards(
    join(made.tmp, 'c'),
    runBlobs(2, (k) => (k === 'switch-return · chromium' ? 'error' : 'pass')),
  );
  expect((await runCli(['merge-reports', ...erring, '-o', 'TMP/m'])).code).toBe(2);
});

test('merge refuses a missing shard (unless --allow-partial), shards of different runs, a shard twice', async () => {
  const made = await runCli(['validate', 'scenarios/switch-return.yaml']);
  const four = writeShards(join(made.tmp, 'four'), runBlobs(4));
  const other = writeShards(join(made.tmp, 'other'), runBlobs(2, undefined, ['switch-return', 'lock-unlock']));
  const three = writeShards(join(made.tmp, 'three'), runBlobs(3));
  const cases: [string[], RegExp][] = [
    [
      ['merge-reports', four[0]!, four[1]!, four[3]!],
      /^sse-harness merge-reports: shard 3\/4 missing \(no blob-3-of-4\.json among the folders given\)\. Give every shard's report folder, or --allow-partial to merge what there is\.$/,
    ],
    [['merge-reports', four[0]!], /shards 2\/4, 3\/4, 4\/4 missing/],
    [
      ['merge-reports', four[0]!, three[1]!],
      /shard-2.*blob-2-of-3\.json is shard 2\/3, .*shard-1.*blob-1-of-4\.json shard 1\/4: shards of different splits do not merge/,
    ],
    [
      ['merge-reports', four[0]!, four[1]!, four[1]!, four[2]!, four[3]!],
      /shard 2\/4 given twice: .*four\/shard-2\/blob-2-of-4\.json and .*four\/shard-2\/blob-2-of-4\.json/,
    ],
    [['merge-reports', other[0]!, ...four.slice(1, 2)], /shards of different splits/],
    [
      ['merge-reports', join(made.tmp, 'nowhere')],
      /nowhere: no such folder or file\. Give the report folders of the shards/,
    ],
    [
      ['merge-reports', made.tmp],
      /: no shard blob \(blob-<i>-of-<n>\.json\) in it\. Give the --report-dir of a run or sweep made with --shard\./,
    ],
  ];
  // Two shards of 2 whose job lists differ (other scenarios): named, not merged.
  const twoA = writeShards(join(made.tmp, 'twoA'), runBlobs(2));
  cases.push([
    ['merge-reports', twoA[0]!, other[1]!],
    /twoA\/shard-1\/blob-1-of-2\.json and .*other\/shard-2\/blob-2-of-2\.json are shards of different runs \(the run "hidden-polling · chromium" in one only\)\. Merge the shards of one command\./,
  ]);
  for (const [args, message] of cases) expect(refusal(args.slice(1)), args.join(' ')).toMatch(message);
  for (const [args, message] of [cases[0]!, cases.at(-1)!]) {
    const r = await runCli([...args, '--report-dir', 'TMP/reports']);
    expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(2);
    expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    expect(r.stderr.trim(), args.join(' ')).toMatch(message);
    expect(existsSync(join(r.tmp, 'reports')), args.join(' ')).toBe(false);
  }
  // --allow-partial: what there is, marked incomplete.
  const p = await runCli(['merge-reports', four[0]!, four[1]!, four[3]!, '--allow-partial', '-o', 'TMP/p']);
  expect(p.code, p.explain()).toBe(0);
  expect(p.stderr).toContain('shard 3/4 missing (--allow-partial): the merged report is incomplete');
  const report = reportSchema.parse(JSON.parse(readFileSync(join(p.tmp, 'p', 'latest.json'), 'utf8')));
  expect(report.complete).toBe(false);
  expect(report.results.length).toBe(
    runBlobs(4)
      .filter((b) => b.shard.index !== 3)
      .flatMap((b) => b.results).length,
  );
});

test('a blob is untrusted: size, kind of file, JSON, schema, paths and markup are checked; one line naming the file', async () => {
  const made = await runCli(['validate', 'scenarios/switch-return.yaml']);
  const dir = (name: string, text: string | Buffer | null) => {
    const d = join(made.tmp, name);
    mkdirSync(d, { recursive: true });
    if (text !== null) writeFileSync(join(d, 'blob-1-of-1.json'), text);
    return d;
  };
  const [good] = runBlobs(1);
  const withResult = (change: (b: RunBlob) => void) => {
    const b = JSON.parse(JSON.stringify(good)) as RunBlob;
    change(b);
    return JSON.stringify(b);
  };
  const huge = dir('huge', '');
  truncateSync(join(huge, 'blob-1-of-1.json'), 257 * 1024 * 1024); // sparse: nothing of it is read
  const fifo = dir('fifo', null);
  execFileSync('mkfifo', [join(fifo, 'blob-1-of-1.json')]);
  const cases: [string, RegExp][] = [
    [huge, /huge\/blob-1-of-1\.json: 269484032 bytes, more than a shard blob may have \(268435456\)$/],
    [fifo, /fifo\/blob-1-of-1\.json: a named pipe, not a shard blob$/],
    [dir('notjson', '{"blobVersion": 1, '), /notjson\/blob-1-of-1\.json: not JSON \(.*\), not a shard blob$/],
    [
      dir('latin1', Buffer.from([0x7b, 0xff, 0xfe, 0x7d])),
      /latin1\/blob-1-of-1\.json: not UTF-8 text, not a shard blob$/,
    ],
    [
      dir('array', '[1,2]'),
      /array\/blob-1-of-1\.json: not a shard blob \(the blob-<i>-of-<n>\.json a run with --shard leaves in its report folder\)$/,
    ],
    [
      dir('v2', JSON.stringify({ ...good, blobVersion: 2 })),
      /v2\/blob-1-of-1\.json: blob format 2, this sse-harness reads format 1; merge with the version that ran the shards$/,
    ],
    // startedAt names the merged report's file: nothing but a timestamp.
    [
      dir('path', JSON.stringify({ ...good, startedAt: '../../../tmp/evil' })),
      /path\/blob-1-of-1\.json: not a valid shard blob: startedAt: expected an ISO time like 2026-01-31T10:00:00\.000Z$/,
    ],
    [
      dir(
        'shape',
        withResult((b) => ((b.results[0]!.result as unknown as { verdicts: unknown }).verdicts = 'all good')),
      ),
      /shape\/blob-1-of-1\.json: not a valid shard blob: results\[0\]\.result\.verdicts: /,
    ],
    [
      dir(
        'extra',
        withResult((b) => ((b.results[0]!.result as unknown as Record<string, unknown>).surprise = 1)),
      ),
      /extra\/blob-1-of-1\.json: not a valid shard blob: results\[0\]\.result: /,
    ],
    [
      dir(
        'stray',
        withResult((b) => (b.results[0]!.key = 'nothing · chromium')),
      ),
      /stray\/blob-1-of-1\.json: the result of "nothing · chromium" is of no run in the job list$/,
    ],
    [
      dir(
        'twice',
        withResult((b) => b.results.push(b.results[0]!)),
      ),
      /twice\/blob-1-of-1\.json: the result of ".*" is there twice$/,
    ],
    [
      dir(
        'shard',
        withResult((b) => (b.shard = { index: 3, total: 2 })),
      ),
      /shard\/blob-1-of-1\.json: not a valid shard blob: shard: shard index past the number of shards$/,
    ],
  ];
  // Each is refused by the reader (in this process, for speed) ...
  for (const [d, message] of cases) {
    expect(refusal([d]), d).toMatch(message);
    expect(refusal([d]).split('\n'), d).toHaveLength(1);
  }
  // ... and on the command line is one line on stderr, exit 2, nothing written.
  for (const [d, message] of [cases[1]!, cases[6]!, cases[9]!]) {
    const r = await runCli(['merge-reports', d, '--report-dir', 'TMP/reports']);
    expect(r.code, `${d}\n${r.stderr}`).toBe(2);
    expect(r.stderr.trim().split('\n'), d).toHaveLength(1);
    expect(r.stderr.trim(), d).toMatch(message);
    expect(r.stderr, d).not.toMatch(/\n\s+at |internal error/);
    expect(existsSync(join(r.tmp, 'reports')), d).toBe(false);
  }
  // A __proto__ key is dropped, not followed; the UI's and scenario's text stays text in every report.
  const hostile = withResult((b) => {
    const r = b.results[0]!.result;
    r.scenario = '<img src=x onerror=alert(1)>';
    r.verdicts[0]!.summary = '\u001b[31mred\u001b[0m </td><script>alert(2)</script>';
    b.jobs.find((j) => j.key === b.results[0]!.key)!.scenario = r.scenario;
  }).replace('"evidence":{}', '"evidence":{"__proto__":{"polluted":true}}');
  const evidence = (findBlobs([dir('hostile', hostile)])[0]!.blob as RunBlob).results[0]!.result.verdicts[0]!.evidence;
  expect(Object.getPrototypeOf(evidence)).toBe(Object.prototype);
  expect(Object.keys(evidence)).toEqual([]);
  const h = await runCli(['merge-reports', join(made.tmp, 'hostile'), '-o', 'TMP/h']);
  expect(h.code, h.explain()).toBe(0);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  const html = readFileSync(join(h.tmp, 'h', 'latest.html'), 'utf8');
  expect(html).not.toContain('<img src=x');
  expect(html).not.toContain('<script>alert(2)');
  expect(h.stdout).not.toContain('\u001b[31m');
  expect(JSON.parse(readFileSync(join(h.tmp, 'h', 'latest.json'), 'utf8')).results[0].verdicts[0].evidence).toEqual({});
});

test('the example workflows: a sharded sweep in a GitHub Actions matrix, merged in a last job; every flag exists', () => {
  const program = buildProgram();
  const files = readdirSync(join(ROOT, 'examples'))
    .filter((f) => f.endsWith('.yml'))
    .map((f) => join('examples', f));
  files.push(...readdirSync(join(ROOT, 'examples', 'workflows')).map((f) => join('examples', 'workflows', f)));
  let sharded = 0;
  for (const file of files) {
    const wf = parseYaml(readFileSync(join(ROOT, file), 'utf8')) as {
      jobs: Record<
        string,
        { needs?: string | string[]; strategy?: { matrix?: { shard?: number[] } }; steps: { run?: string }[] }
      >;
    };
    for (const [name, job] of Object.entries(wf.jobs)) {
      for (const step of job.steps) {
        for (const m of (step.run ?? '').matchAll(
          /(?:bin\/sse-harness\.js|npx sse-harness)[ \t]+([a-z-]+)([^\n]*(?:\n(?!\S)[^\n]*)*)/g,
        )) {
          const cmd = program.commands.find((c) => c.name() === m[1]);
          expect(cmd, `${file}: ${name}: sse-harness ${m[1]}`).toBeDefined();
          const flags = new Set(cmd!.options.flatMap((o) => [o.long, o.short]).filter(Boolean));
          for (const flag of m[2]!.match(/(?<=\s)--?[a-z][a-z-]*/g) ?? [])
            expect(flags.has(flag), `${file}: ${name}: sse-harness ${m[1]} ${flag}`).toBe(true);
        }
      }
      const shards = job.strategy?.matrix?.shard;
      if (!shards) continue;
      sharded++;
      // The matrix's shards are 1..n, the command runs --shard <its shard>/n, a later job merges them.
      const n = shards.length;
      expect(shards, file).toEqual(Array.from({ length: n }, (_, i) => i + 1));
      expect(job.steps.map((s) => s.run ?? '').join('\n'), file).toContain(`--shard \${{ matrix.shard }}/${n}`);
      const merger = Object.values(wf.jobs).find((j) => [j.needs].flat().includes(name));
      expect(merger?.steps.map((s) => s.run ?? '').join('\n'), file).toMatch(/sse-harness\.js merge-reports /);
    }
  }
  expect(sharded).toBeGreaterThan(0);
});

test("real shards of a run (Chromium) merge into the unsharded run's report, verdict for verdict; an empty shard exits 0", async () => {
  const files = ['scenarios/offline-reload.yaml', 'scenarios/lock-unlock.yaml'];
  const whole = await runCli(['run', ...files, '-w', '1', '-q', '-o', 'TMP/whole']);
  expect(whole.code, whole.explain()).toBe(0);
  // The same shards whatever order the files are named in.
  const s1 = await runCli(['run', ...files, '--shard', '1/2', '-w', '1', '-q', '-o', 'TMP/s']);
  expect(s1.code, s1.explain()).toBe(0);
  const s2 = await runCli(['run', ...[...files].reverse(), '--shard', '2/2', '-w', '1', '-q', '-o', 'TMP/s']);
  expect(s2.code, s2.explain()).toBe(0);
  // More shards than runs: the third has none.
  const s3 = await runCli(['run', ...files, '--shard', '3/3', '-o', 'TMP/s3']);
  expect(s3.code, s3.explain()).toBe(0);
  expect(s3.stdout).toMatch(
    /^sse-harness: shard 3\/3: none of the 2 runs falls to this shard; nothing to run\nblob: .*blob-3-of-3\.json\n$/,
  );
  expect(blobSchema.parse(JSON.parse(readFileSync(join(s3.tmp, 's3', 'blob-3-of-3.json'), 'utf8')))).toMatchObject({
    results: [],
  });

  const m = await runCli(['merge-reports', join(s2.tmp, 's'), join(s1.tmp, 's'), '-o', 'TMP/merged']);
  expect(m.code, m.explain()).toBe(0);
  const read = (dir: string) => reportSchema.parse(JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')));
  const merged = read(join(m.tmp, 'merged'));
  const unsharded = read(join(whole.tmp, 'whole'));
  const verdicts = (r: typeof merged) =>
    r.results.map((x) => [x.scenario, x.browser, x.verdict, x.verdicts.map((v) => [v.oracle, v.pass])]);
  expect(verdicts(merged)).toEqual(verdicts(unsharded));
  expect(merged.summary).toEqual(unsharded.summary);
  expect(merged.complete).toBe(true);
  for (const f of ['latest.html', 'latest.junit.xml', 'latest.md'])
    expect(existsSync(join(m.tmp, 'merged', f)), f).toBe(true);
  // Each shard ran one of the two, and its own report says only that.
  expect([read(join(s1.tmp, 's')), read(join(s2.tmp, 's'))].map((r) => r.results.length)).toEqual([1, 1]);
});

test('real shards of a sweep (whole refs) merge into the sweep of every ref, in history order, ref folders with it', async () => {
  const made = await runCli(['validate', 'scenarios/switch-return.yaml']);
  const repo = new UiRepo(join(made.tmp, 'ui'));
  repo.write('README.md', 'a chat UI, soon\n');
  repo.commit('plan <i>the</i> UI');
  repo.tag('v0.9<b>');
  repo.addReferenceUi();
  repo.commit('healthy chat UI');
  repo.tag('v1.0');
  const args = ['sweep', 'scenarios/switch-return.yaml', '--repo', repo.dir, '--refs', 'v0.9<b>,v1.0', '-w', '1'];
  // Two refs in three shards: one each for two of them (one cannot serve the UI: an ERROR cell, no browser), none for the third.
  const shards = [];
  for (const i of [1, 2, 3]) shards.push(await runCli([...args, '--shard', `${i}/3`, '-o', `TMP/shard-${i}`]));
  const dirs = shards.map((s, i) => join(s.tmp, `shard-${i + 1}`));
  const parts = dirs.map((d) => JSON.parse(readFileSync(join(d, 'sweep.json'), 'utf8')) as SweepSummary);
  expect(parts.map((p) => p.rows.length).sort()).toEqual([0, 1, 1]);
  expect(parts.map((p) => p.shard)).toEqual([1, 2, 3].map((index) => ({ index, total: 3 })));
  expect(shards[2]!.stdout).toContain('sse-harness: shard 3/3: none of the 2 refs falls to this shard; nothing to run');
  expect(shards[2]!.code).toBe(0);

  const m = await runCli(['merge-reports', ...[...dirs].reverse(), '-o', 'TMP/sweep']);
  expect(m.code, m.explain()).toBe(2); // as the sweep: a cell it could not judge
  const out = join(m.tmp, 'sweep');
  const summary = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8')) as SweepSummary;
  expect(summary.shard).toBeUndefined();
  expect(summary.complete).toBe(true);
  expect(summary.command).not.toContain('--shard');
  expect(summary.rows.map((r) => [r.label, r.cells[0]!.verdict])).toEqual([
    ['v0.9<b>', 'error'],
    ['v1.0', 'pass'],
  ]);
  expect(summary.totals).toMatchObject({ refs: 2, cells: 2, passed: 1, errors: 1 });
  // Every cell's link resolves in the merged folder; its report is valid.
  for (const row of summary.rows) {
    expect(existsSync(join(out, row.cells[0]!.report!.split('#')[0]!)), row.label).toBe(true);
    reportSchema.parse(JSON.parse(readFileSync(join(out, row.report!), 'utf8')));
  }
  const html = readFileSync(join(out, 'sweep.html'), 'utf8');
  expect(html).toContain('v0.9&#60;b&#62;');
  expect(html).not.toMatch(/v0\.9<b>/);
  expect(m.stdout).toMatch(/v1\.0\s+PASS/);

  // A shard's sweep.json whose links would leave its ref's folder is refused, naming it.
  const tampered = parts.findIndex((p) => p.rows.length === 1);
  const bad = {
    ...parts[tampered]!,
    rows: parts[tampered]!.rows.map((r) => ({
      ...r,
      cells: r.cells.map((c) => ({ ...c, report: 'javascript:alert(1)' })),
    })),
  };
  writeFileSync(join(dirs[tampered]!, 'sweep.json'), JSON.stringify(bad));
  const t = await runCli(['merge-reports', ...dirs, '-o', 'TMP/t']);
  expect(t.code).toBe(2);
  expect(t.stderr.trim()).toMatch(
    /sweep\.json: ref .*: a cell's link "javascript:alert\(1\)" is not a report in the ref's own folder$/,
  );
});
