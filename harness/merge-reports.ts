// `sse-harness merge-reports`: the shards of one run (or sweep), each run on its own CI machine with --shard i/n,
// put back together into the reports an unsharded run writes. Blobs and sweep.json files come from other machines
// and are untrusted: each is read with a size limit, validated against its schema, and checked against the others
// (same job list, same split, no shard twice, none missing) before anything in it is used; a problem is one line
// naming the file.
import {
  closeSync,
  constants,
  copyFileSync,
  existsSync,
  fstatSync,
  lstatSync,
  openSync,
  readdirSync,
  readSync,
  realpathSync,
  statSync,
  type Stats,
} from 'node:fs';
import { join, resolve } from 'node:path';
import type { z as Z } from 'zod';
import { makeDir } from './destination.ts';
import { newSinceBase } from './history/compare.ts';
import { totalsOf, writeSweep } from './history/sweep.ts';
import { BLOB_NAME, BLOB_VERSION, blobSchema, type RunBlob, type SweepBlob } from './report/blob.ts';
import { buildReport, type HarnessReport } from './report/model.ts';
import { sweepSummarySchema, type SweepSummary } from './report/sweep-schema.ts';
import { excusedByMarks, type KnownStatus } from './runner/known.ts';
import { matrixCells, type MatrixCell, type MatrixJob } from './runner/matrix.ts';
import { asExpected, failsGate, outcomeOf, type Judgement } from './runner/retry.ts';
import type { ScenarioResult } from './runner/run.ts';
import { assignShards, dealRefs, type Shard } from './runner/shard.ts';
import type { RegressionClass } from './scenario/classes.ts';
import { oneLine } from './printable.ts';

/** Bad input to merge-reports: one line naming the file and what is wrong. */
export class MergeError extends Error {}

/** Largest blob read (a run's results with every timeline), and all blobs together. */
export const MAX_BLOB_BYTES = 256 * 1024 * 1024;
export const MAX_TOTAL_BYTES = 1024 * 1024 * 1024;
/** Largest sweep.json read. */
export const MAX_SWEEP_BYTES = 64 * 1024 * 1024;

const shown = (p: string) => oneLine(p, 300);

const kindOf = (st: Stats) =>
  st.isDirectory()
    ? 'a folder'
    : st.isFIFO()
      ? 'a named pipe'
      : st.isSocket()
        ? 'a socket'
        : st.isCharacterDevice() || st.isBlockDevice()
          ? 'a device'
          : 'not a regular file';

/**
 * The JSON in `file`, read as untrusted: a regular file (a pipe is never opened for reading), at most `max` bytes,
 * UTF-8 JSON. Nothing of it may be used before a schema has parsed it.
 */
export function readUntrustedJson(file: string, max: number, what: string): unknown {
  const fail = (why: string): never => {
    throw new MergeError(`sse-harness merge-reports: ${shown(file)}: ${why}`);
  };
  const code = (e: unknown) => (e as NodeJS.ErrnoException).code ?? String(e);
  const regular = (st: Stats) => {
    if (!st.isFile()) fail(`${kindOf(st)}, not ${what}`);
    if (st.size > max) fail(`${st.size} bytes, more than ${what} may have (${max})`);
  };
  let st: Stats;
  try {
    st = statSync(file);
  } catch (e) {
    return fail(`cannot read it (${code(e)})`);
  }
  regular(st);
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    return fail(`cannot read it (${code(e)})`);
  }
  let text: string;
  try {
    regular(fstatSync(fd));
    const buf = Buffer.alloc(Math.min(fstatSync(fd).size, max) + 1);
    let n = 0;
    for (let r = 1; r > 0 && n < buf.length; n += r) r = readSync(fd, buf, n, buf.length - n, null);
    if (n > max) fail(`more than ${max} bytes, more than ${what} may have`);
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(0, n));
    } catch {
      return fail(`not UTF-8 text, not ${what}`);
    }
  } finally {
    closeSync(fd);
  }
  try {
    // A "__proto__" key stays an own property here; the schemas' parse drops it (zod never copies one).
    return JSON.parse(text);
  } catch (e) {
    return fail(`not JSON (${oneLine((e as Error).message, 120)}), not ${what}`);
  }
}

/** A zod error as a few words: where in the file, and what. */
function schemaProblem(e: Z.ZodError): string {
  const first = e.issues[0];
  if (!first) return 'does not match the schema';
  const path = first.path
    .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
    .join('')
    .replace(/^\./, '');
  return `${path ? `${oneLine(path, 120)}: ` : ''}${oneLine(first.message, 200)}`;
}

export interface FoundBlob<B = RunBlob | SweepBlob> {
  file: string;
  /** The folder it is in (a sweep's sweep.json and ref folders are beside it). */
  dir: string;
  blob: B;
}

/** The blobs in the given folders (every blob-<i>-of-<n>.json in each) and files, read and validated. */
export function findBlobs(inputs: string[]): FoundBlob[] {
  const files: string[] = [];
  for (const input of inputs) {
    let st: Stats;
    try {
      st = statSync(input);
    } catch {
      throw new MergeError(
        `sse-harness merge-reports: ${shown(input)}: no such folder or file. Give the report folders of the shards (each has a blob-<i>-of-<n>.json).`,
      );
    }
    if (st.isDirectory()) {
      let names: string[];
      try {
        names = readdirSync(input);
      } catch (e) {
        throw new MergeError(
          `sse-harness merge-reports: ${shown(input)}: cannot read the folder (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
        );
      }
      const blobs = names.filter((n) => BLOB_NAME.test(n)).sort();
      if (!blobs.length)
        throw new MergeError(
          `sse-harness merge-reports: ${shown(input)}: no shard blob (blob-<i>-of-<n>.json) in it. Give the --report-dir of a run or sweep made with --shard.`,
        );
      files.push(...blobs.map((n) => join(input, n)));
    } else files.push(input);
  }
  let total = 0;
  return files.map((file) => {
    total += statSync(file).size;
    if (total > MAX_TOTAL_BYTES)
      throw new MergeError(
        `sse-harness merge-reports: ${shown(file)}: the blobs come to more than ${MAX_TOTAL_BYTES} bytes together; merge fewer shards at a time`,
      );
    const data = readUntrustedJson(file, MAX_BLOB_BYTES, 'a shard blob');
    const version = (data as { blobVersion?: unknown } | null)?.blobVersion;
    if (
      typeof data !== 'object' ||
      data === null ||
      (data as { tool?: unknown }).tool !== 'sse-harness' ||
      version === undefined
    ) {
      throw new MergeError(
        `sse-harness merge-reports: ${shown(file)}: not a shard blob (the blob-<i>-of-<n>.json a run with --shard leaves in its report folder)`,
      );
    }
    if (version !== BLOB_VERSION)
      throw new MergeError(
        `sse-harness merge-reports: ${shown(file)}: blob format ${oneLine(String(version), 20)}, this sse-harness reads format ${BLOB_VERSION}; merge with the version that ran the shards`,
      );
    const parsed = blobSchema.safeParse(data);
    if (!parsed.success)
      throw new MergeError(
        `sse-harness merge-reports: ${shown(file)}: not a valid shard blob: ${schemaProblem(parsed.error)}`,
      );
    return { file, dir: resolve(file, '..'), blob: parsed.data as RunBlob | SweepBlob };
  });
}

/** Shards in order of their index; refuses shards of different splits, a shard twice, and (unless allowed) a gap. */
function orderShards<B extends { shard: Shard }>(
  found: FoundBlob<B>[],
  allowPartial: boolean,
): { sorted: FoundBlob<B>[]; total: number; missing: number[] } {
  const first = found[0]!;
  const total = first.blob.shard.total;
  for (const f of found) {
    if (f.blob.shard.total !== total)
      throw new MergeError(
        `sse-harness merge-reports: ${shown(f.file)} is shard ${f.blob.shard.index}/${f.blob.shard.total}, ${shown(first.file)} shard ${first.blob.shard.index}/${total}: shards of different splits do not merge`,
      );
  }
  const sorted = [...found].sort((a, b) => a.blob.shard.index - b.blob.shard.index);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.blob.shard.index === sorted[i - 1]!.blob.shard.index) {
      throw new MergeError(
        `sse-harness merge-reports: shard ${sorted[i]!.blob.shard.index}/${total} given twice: ${shown(sorted[i - 1]!.file)} and ${shown(sorted[i]!.file)}`,
      );
    }
  }
  const have = new Set(sorted.map((f) => f.blob.shard.index));
  const missing = Array.from({ length: total }, (_, i) => i + 1).filter((i) => !have.has(i));
  if (missing.length && !allowPartial) {
    const names = missing
      .slice(0, 10)
      .map((i) => `${i}/${total}`)
      .join(', ');
    throw new MergeError(
      `sse-harness merge-reports: shard${missing.length === 1 ? '' : 's'} ${names}${missing.length > 10 ? ` and ${missing.length - 10} more` : ''} missing (no blob-${missing[0]}-of-${total}.json among the folders given). Give every shard's report folder, or --allow-partial to merge what there is.`,
    );
  }
  return { sorted, total, missing };
}

/** The command of the whole: a shard's, without its --shard. */
const withoutShard = (argv: string[]) =>
  argv.filter((a, i) => !(a === '--shard' || a.startsWith('--shard=') || argv[i - 1] === '--shard'));

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Why two run blobs are not shards of the same run, or null when they are. */
function runMismatch(a: RunBlob, b: RunBlob): string | null {
  if (a.target !== b.target) return `target ${oneLine(a.target, 60)} and ${oneLine(b.target, 60)}`;
  if (!same(a.browsers, b.browsers))
    return `browsers ${oneLine(a.browsers.join(','), 80)} and ${oneLine(b.browsers.join(','), 80)}`;
  if (!same(a.regress, b.regress))
    return `--regress ${oneLine(a.regress.join(','), 80) || 'none'} and ${oneLine(b.regress.join(','), 80) || 'none'}`;
  if (!same(a.matrix, b.matrix))
    return `${a.matrix ? 'a detection matrix' : 'no matrix'} and ${b.matrix ? 'a detection matrix' : 'no matrix'}`;
  if (a.gate?.retries !== b.gate?.retries || a.gate?.flaky !== b.gate?.flaky)
    return `--retries/--flaky ${a.gate?.retries}/${a.gate?.flaky} and ${b.gate?.retries}/${b.gate?.flaky}`;
  const known = (g: RunBlob['gate']) => (g?.known ? [g.known.file, g.known.entries.map((e) => e.source)] : null);
  if (!same(known(a.gate), known(b.gate))) return 'other known findings (--known)';
  const jobs = (x: RunBlob) => new Map(x.jobs.map((j) => [j.key, JSON.stringify(j)]));
  const ja = jobs(a);
  const jb = jobs(b);
  for (const [k, v] of ja) {
    if (!jb.has(k)) return `the run "${oneLine(k, 120)}" in one only`;
    if (jb.get(k) !== v)
      return `the run "${oneLine(k, 120)}" differs (its scenario file, expectation or scripted time)`;
  }
  for (const k of jb.keys()) if (!ja.has(k)) return `the run "${oneLine(k, 120)}" in one only`;
  return null;
}

/** Each known-findings entry over every shard: matches add up; stale only when no shard matched it. */
function mergeKnown(blobs: RunBlob[]): NonNullable<RunBlob['gate']>['known'] {
  const first = blobs[0]!.gate?.known;
  if (!first) return undefined;
  const entries = first.entries.map((e, k): KnownStatus => {
    const all = blobs.map((b) => b.gate!.known!.entries[k]!);
    const matched = all.reduce((n, x) => n + x.matched, 0);
    const statuses = all.map((x) => x.status);
    const status: KnownStatus['status'] = matched
      ? statuses.includes('expired')
        ? 'expired'
        : 'excused'
      : statuses.includes('stale')
        ? 'stale'
        : 'unjudged';
    return { ...e, status, matched };
  });
  return { file: first.file, entries };
}

export interface MergedRun {
  report: HarnessReport;
  /** The whole run's jobs and its results, index for index (undefined: a missing shard's, or not run). */
  jobs: (MatrixJob & { expect: 'pass' | 'catch' })[];
  slots: (ScenarioResult | undefined)[];
  cells?: MatrixCell[];
  missing: number[];
  total: number;
}

/** The report of the whole run from its shards' blobs, results in the order an unsharded run has them. */
export function mergeRuns(found: FoundBlob<RunBlob>[], allowPartial: boolean): MergedRun {
  const { sorted, total, missing } = orderShards(found, allowPartial);
  const head = sorted[0]!;
  const keys = new Set<string>();
  for (const j of head.blob.jobs) {
    if (keys.has(j.key))
      throw new MergeError(
        `sse-harness merge-reports: ${shown(head.file)}: the run "${oneLine(j.key, 120)}" is listed twice in its job list`,
      );
    keys.add(j.key);
  }
  for (const f of sorted.slice(1)) {
    const why = runMismatch(head.blob, f.blob);
    if (why)
      throw new MergeError(
        `sse-harness merge-reports: ${shown(head.file)} and ${shown(f.file)} are shards of different runs (${why}). Merge the shards of one command.`,
      );
  }
  const jobs = head.blob.jobs;
  const shardOf = assignShards(jobs, total);
  const index = new Map(jobs.map((j, i) => [j.key, i]));
  const slots: (ScenarioResult | undefined)[] = new Array(jobs.length).fill(undefined);
  for (const f of sorted) {
    for (const { key, result } of f.blob.results) {
      const i = index.get(key);
      const where = `sse-harness merge-reports: ${shown(f.file)}: the result of "${oneLine(key, 120)}"`;
      if (i === undefined) throw new MergeError(`${where} is of no run in the job list`);
      if (shardOf[i] !== f.blob.shard.index)
        throw new MergeError(`${where} belongs to shard ${shardOf[i]}/${total}, not ${f.blob.shard.index}/${total}`);
      if (slots[i]) throw new MergeError(`${where} is there twice`);
      slots[i] = result;
    }
  }
  const matrixJobs = jobs.map((j) => ({
    scenario: { name: j.scenario },
    browser: j.browser,
    ...(j.transport ? { transport: j.transport } : {}),
    expect: j.expect,
    ...(j.klass ? { klass: j.klass as RegressionClass } : {}),
  }));
  const flaky = head.blob.gate?.flaky ?? 'pass';
  const cells = head.blob.matrix
    ? matrixCells(
        matrixJobs,
        slots as ScenarioResult[],
        head.blob.browsers,
        head.blob.matrix.classes as RegressionClass[],
        flaky,
      )
    : undefined;
  const blobs = sorted.map((f) => f.blob);
  const times = blobs.map((b) => [b.startedAt, b.finishedAt]);
  const report = buildReport({
    startedAt: times.map((t) => t[0]!).sort()[0]!,
    finishedAt: times
      .map((t) => t[1]!)
      .sort()
      .at(-1)!,
    complete: !missing.length && blobs.every((b) => b.complete),
    interruptedBy: blobs.find((b) => b.interruptedBy)?.interruptedBy,
    command: withoutShard(head.blob.command),
    target: head.blob.target,
    browsers: head.blob.browsers,
    regress: head.blob.regress,
    results: slots.filter((r): r is ScenarioResult => r !== undefined),
    matrix: cells,
    gate: head.blob.gate
      ? { retries: head.blob.gate.retries, flaky, ...(head.blob.gate.known ? { known: mergeKnown(blobs) } : {}) }
      : undefined,
  });
  return { report, jobs: matrixJobs, slots, cells, missing, total };
}

/** The merged run's exit, as `run` decides it: error, regression (a failure that fails the gate) or ok. */
export function mergedOutcome(m: MergedRun): 'ok' | 'regression' | 'error' {
  const inMatrix = !!m.cells;
  const flaky = m.report.gate?.flaky ?? 'pass';
  // Known findings were judged on the shard: a failure they excuse carries their mark (runner/known.ts).
  const judge = (job: MergedRun['jobs'][number], r: ScenarioResult): Judgement =>
    asExpected(job, r, inMatrix)
      ? 'ok'
      : !(inMatrix && job.expect === 'catch') && excusedByMarks(r)
        ? 'excused'
        : 'bad';
  const pairs = m.jobs
    .map((job, i) => ({ job, r: m.slots[i] }))
    .filter((p): p is { job: MergedRun['jobs'][number]; r: ScenarioResult } => p.r !== undefined);
  if (m.cells) {
    if (pairs.some((p) => p.job.expect === 'pass' && outcomeOf(p.r) === 'error')) return 'error';
    return m.cells.every((c) => c.ok) ? 'ok' : 'regression';
  }
  if (pairs.some((p) => outcomeOf(p.r) === 'error')) return 'error';
  return pairs.some((p) => failsGate(p.r, (x) => judge(p.job, x), flaky) && newSinceBase(p.r)) ? 'regression' : 'ok';
}

/** A ref folder's name as sweep gives it (letters, digits, dot, dash, underscore; no leading dot). */
const SAFE_DIR = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,200}$/;
const SAFE_FILE = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,200}$/;
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Refuses links and folders in a shard's sweep.json that would leave its ref's folder or be anything but a path. */
function checkRowPaths(file: string, s: SweepSummary): void {
  for (const r of s.rows) {
    const bad = (what: string) =>
      new MergeError(
        `sse-harness merge-reports: ${shown(file)}: ref ${oneLine(r.label, 60)}: ${what} is not a report in the ref's own folder`,
      );
    if (!SAFE_DIR.test(r.dir)) throw bad(`its folder "${oneLine(r.dir, 80)}"`);
    const inDir = escapeRe(r.dir);
    if (r.report !== undefined && !new RegExp(`^${inDir}/[A-Za-z0-9_-][A-Za-z0-9._-]{0,200}\\.json$`).test(r.report))
      throw bad(`its report "${oneLine(r.report, 80)}"`);
    for (const c of r.cells)
      if (
        c.report !== undefined &&
        !new RegExp(`^${inDir}/[A-Za-z0-9_-][A-Za-z0-9._-]{0,200}\\.html#r\\d{1,6}$`).test(c.report)
      )
        throw bad(`a cell's link "${oneLine(c.report, 80)}"`);
    if (
      r.cells.length !== s.columns.length ||
      r.cells.some((c, i) => c.scenario !== s.columns[i]!.scenario || c.browser !== s.columns[i]!.browser)
    ) {
      throw new MergeError(
        `sse-harness merge-reports: ${shown(file)}: ref ${oneLine(r.label, 60)}: its cells are not the sweep's columns`,
      );
    }
  }
}

/** Copies a ref's report files (regular files only: never a link, never a subfolder) into the merged folder. */
function copyRefFolder(from: string, to: string): void {
  let st: Stats;
  try {
    st = lstatSync(from);
  } catch {
    return;
  }
  if (!st.isDirectory()) return;
  makeDir(to, `ref folder ${to}`);
  if (realpathSync(from) === realpathSync(to)) return;
  for (const name of readdirSync(from)) {
    if (!SAFE_FILE.test(name)) continue;
    const src = join(from, name);
    if (!lstatSync(src).isFile()) continue;
    copyFileSync(src, join(to, name));
  }
}

export interface MergedSweep {
  summary: SweepSummary;
  file: string;
  missing: number[];
  total: number;
}

/** The sweep of every ref from its shards: each shard's sweep.json and ref folders, rows in history order. */
export function mergeSweeps(
  found: FoundBlob<SweepBlob>[],
  outDir: string,
  allowPartial: boolean,
  checkDestination: () => void = () => {},
): MergedSweep {
  const { sorted, total, missing } = orderShards(found, allowPartial);
  const head = sorted[0]!;
  const refs = head.blob.refs;
  for (const f of sorted.slice(1)) {
    if (!same(f.blob.refs, refs))
      throw new MergeError(
        `sse-harness merge-reports: ${shown(head.file)} and ${shown(f.file)} are shards of different sweeps (their refs differ). Merge the shards of one command.`,
      );
  }
  const dealt = dealRefs(
    refs.map((r) => r.commit),
    total,
  );
  const sweeps = sorted.map((f) => {
    const file = join(f.dir, 'sweep.json');
    if (!existsSync(file))
      throw new MergeError(
        `sse-harness merge-reports: ${shown(f.dir)}: no sweep.json beside ${shown(f.file)}. Give the whole --report-dir of each sweep shard.`,
      );
    const parsed = sweepSummarySchema.safeParse(readUntrustedJson(file, MAX_SWEEP_BYTES, 'a sweep summary'));
    if (!parsed.success)
      throw new MergeError(
        `sse-harness merge-reports: ${shown(file)}: not a valid sweep summary: ${schemaProblem(parsed.error)}`,
      );
    const s = parsed.data;
    if (!s.shard || s.shard.index !== f.blob.shard.index || s.shard.total !== total)
      throw new MergeError(
        `sse-harness merge-reports: ${shown(file)}: not the sweep of shard ${f.blob.shard.index}/${total} (the blob beside it)`,
      );
    const want = refs.filter((_, i) => dealt[i] === f.blob.shard.index).map((r) => r.commit);
    if (!same([...s.rows.map((r) => r.commit)].sort(), [...want].sort()))
      throw new MergeError(
        `sse-harness merge-reports: ${shown(file)}: its refs are not those dealt to shard ${f.blob.shard.index}/${total}`,
      );
    checkRowPaths(file, s);
    return { file, dir: f.dir, s };
  });
  const first = sweeps[0]!;
  for (const x of sweeps.slice(1)) {
    const why =
      x.s.target !== first.s.target
        ? 'target'
        : x.s.appSubdir !== first.s.appSubdir
          ? '--app-subdir'
          : x.s.transport !== first.s.transport
            ? '--transport'
            : !same(x.s.columns, first.s.columns)
              ? 'scenarios or browsers'
              : x.s.refs !== first.s.refs
                ? '--refs'
                : null;
    if (why)
      throw new MergeError(
        `sse-harness merge-reports: ${shown(first.file)} and ${shown(x.file)} are sweeps of different ${why}. Merge the shards of one command.`,
      );
  }
  const byCommit = new Map(sweeps.flatMap((x) => x.s.rows.map((r) => [r.commit, { row: r, dir: x.dir }] as const)));
  const dirs = new Set<string>();
  const rows = refs.flatMap((r) => {
    const got = byCommit.get(r.commit);
    if (!got) return [];
    if (dirs.has(got.row.dir))
      throw new MergeError(
        `sse-harness merge-reports: two refs share the folder ${oneLine(got.row.dir, 80)}; shards of one sweep never do`,
      );
    dirs.add(got.row.dir);
    return [got];
  });
  checkDestination();
  const out = makeDir(outDir, `--report-dir ${outDir}`);
  for (const { row, dir } of rows) copyRefFolder(join(dir, row.dir), join(out, row.dir));
  const all = sweeps.map((x) => x.s);
  const { shard: _shard, ...rest } = first.s;
  const summary: SweepSummary = {
    ...rest,
    startedAt: all.map((s) => s.startedAt).sort()[0]!,
    finishedAt: all
      .map((s) => s.finishedAt)
      .sort()
      .at(-1)!,
    complete: !missing.length && all.every((s) => s.complete),
    interruptedBy: all.find((s) => s.interruptedBy)?.interruptedBy,
    command: withoutShard(first.s.command),
    rows: rows.map((x) => x.row),
    totals: totalsOf(rows.map((x) => x.row)),
  };
  if (summary.interruptedBy === undefined) delete summary.interruptedBy;
  return { summary, file: writeSweep(out, summary), missing, total };
}

/** The blobs as shards of runs or of sweeps; one of each is refused. */
export function byKind(
  found: FoundBlob[],
): { kind: 'run'; runs: FoundBlob<RunBlob>[] } | { kind: 'sweep'; sweeps: FoundBlob<SweepBlob>[] } {
  const run = found.find((f) => f.blob.kind === 'run');
  const sweep = found.find((f) => f.blob.kind === 'sweep');
  if (run && sweep)
    throw new MergeError(
      `sse-harness merge-reports: ${shown(run.file)} is a shard of a run, ${shown(sweep.file)} of a sweep: merge the shards of one command`,
    );
  return run
    ? { kind: 'run', runs: found as FoundBlob<RunBlob>[] }
    : { kind: 'sweep', sweeps: found as FoundBlob<SweepBlob>[] };
}
