// `sse-harness sweep`: the same scenarios at each ref of a UI's history (each in a temporary worktree), in the
// browsers asked for, browsers kept across refs. Every ref gets an ordinary report in <report-dir>/<ref>/, and the
// sweep a summary (sweep.json) and a history page (sweep.html) with a cell per ref, scenario and browser.
import { renameSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { onCleanup, wasInterrupted } from '../driver/reaper.ts';
import { BrowserPool, WorkerBrowsers } from '../driver/reuse.ts';
import type { BrowserLauncher, LaunchOptions } from '../driver/types.ts';
import { makeDir } from '../destination.ts';
import { writeBlob } from '../report/blob.ts';
import { cellMark, renderSweepHtml } from '../report/sweep.ts';
import { SWEEP_VERSION, type SweepCell, type SweepRow, type SweepSummary } from '../report/sweep-schema.ts';
import { oneLine } from '../report/terminal.ts';
import type { ScenarioResult } from '../runner/run.ts';
import { dealRefs, shardLabel, type Shard } from '../runner/shard.ts';
import type { Scenario } from '../scenario/schema.ts';
import { runAtRef, writeRefReport, type RefJob } from './at-ref.ts';
import { Worktrees } from './git.ts';
import type { ResolvedRef } from './refs.ts';

export interface SweepOptions {
  repo: string;
  refsSpec: string;
  refs: ResolvedRef[];
  scenarios: Scenario[];
  browsers: string[];
  target: string;
  appSubdir: string;
  reportDir: string;
  workers: number;
  launcherFor: (name: string) => BrowserLauncher;
  launch?: LaunchOptions;
  /** RunOptions.bootTimeoutMs. */
  bootTimeoutMs?: number;
  command: string[];
  log: (line: string) => void;
  /** An earlier, interrupted sweep of the same scenarios and browsers: refs it finished are kept, not run again. */
  resume?: SweepSummary;
  /** Run only the refs dealt to this shard (runner/shard.ts), and leave a blob for merge-reports. */
  shard?: Shard;
  /** Play the runs against the mock (default) or the UI's own server (RunOptions.backend). */
  backend?: 'mock' | 'real';
  /** The streaming transport the UI must use at every ref (as --transport); absent: the target's own. */
  transport?: string;
}

/** The refs a shard runs, in history order (all of them without a shard). */
export function refsOfShard<R extends { commit: string }>(refs: R[], shard: Shard | undefined): R[] {
  if (!shard) return refs;
  const dealt = dealRefs(
    refs.map((r) => r.commit),
    shard.total,
  );
  return refs.filter((_, i) => dealt[i] === shard.index);
}

/** A row whose every cell ran, so a resumed sweep keeps it. */
const finished = (r: SweepRow, columns: number) =>
  r.cells.length === columns && r.report !== undefined && r.cells.every((c) => c.verdict !== 'not run');

/** Why an earlier sweep cannot be resumed by this one (other scenarios, browsers, target), or null when it can. */
export function resumeMismatch(
  prev: SweepSummary,
  o: Pick<SweepOptions, 'target' | 'appSubdir' | 'browsers' | 'scenarios' | 'shard' | 'backend' | 'transport'>,
): string | null {
  const names = o.scenarios.map((s) => s.name);
  if ((prev.backend ?? 'mock') !== (o.backend ?? 'mock'))
    return `it ran on the ${prev.backend ?? 'mock'} backend, not the ${o.backend ?? 'mock'} one`;
  const shard = (s: Shard | undefined) => (s ? `shard ${shardLabel(s)}` : 'no shard');
  if (shard(prev.shard) !== shard(o.shard)) return `it ran ${shard(prev.shard)}, not ${shard(o.shard)}`;
  if (prev.target !== o.target) return `it ran target "${prev.target}", not "${o.target}"`;
  const over = (t: string | undefined) => (t ? `over ${t}` : "over the target's own transport");
  if (prev.transport !== o.transport) return `it ran ${over(prev.transport)}, not ${over(o.transport)}`;
  if (prev.appSubdir !== o.appSubdir) return `it ran --app-subdir ${prev.appSubdir}, not ${o.appSubdir}`;
  if (prev.browsers.join(',') !== o.browsers.join(','))
    return `it ran browsers ${prev.browsers.join(',')}, not ${o.browsers.join(',')}`;
  if (prev.scenarios.join(',') !== names.join(','))
    return `it ran scenarios ${prev.scenarios.join(', ')}, not ${names.join(', ')}`;
  return null;
}

/** A folder name for a ref: its label with anything but letters, digits, dot, dash and underscore made "_". */
function folderFor(label: string, commit: string, taken: Set<string>): string {
  let name = label.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_') || commit.slice(0, 10);
  if (taken.has(name)) name = `${name}-${commit.slice(0, 10)}`;
  taken.add(name);
  return name;
}

function cellOf(r: ScenarioResult): Omit<SweepCell, 'report'> {
  const failing = r.verdicts.filter((v) => !v.pass);
  return {
    scenario: r.scenario,
    browser: r.browser,
    verdict: r.verdict,
    failing: failing.map((v) => v.oracle),
    detail:
      r.verdict === 'error'
        ? r.error
        : failing.length
          ? failing.map((v) => `${v.oracle}: ${v.summary}`).join(' · ')
          : undefined,
    durationMs: r.durationMs,
  };
}

export function totalsOf(rows: SweepRow[]): SweepSummary['totals'] {
  const cells = rows.flatMap((r) => r.cells);
  const n = (v: SweepCell['verdict']) => cells.filter((c) => c.verdict === v).length;
  return {
    refs: rows.length,
    cells: cells.length,
    passed: n('pass'),
    failed: n('fail'),
    errors: n('error'),
    notRun: n('not run'),
  };
}

/** Writes sweep.json and sweep.html, each atomically; returns the JSON's path. */
export function writeSweep(dir: string, s: SweepSummary): string {
  makeDir(dir, `sweep folder ${dir}`);
  const json = join(dir, 'sweep.json');
  for (const [f, body] of [
    [json, JSON.stringify(s, null, 2)],
    [join(dir, 'sweep.html'), renderSweepHtml(s)],
  ] as const) {
    writeFileSync(`${f}.tmp`, body);
    renameSync(`${f}.tmp`, f);
  }
  return json;
}

export async function sweep(o: SweepOptions): Promise<{ summary: SweepSummary; file: string }> {
  const dir = resolve(o.reportDir);
  const columns = o.scenarios.flatMap((s) => o.browsers.map((browser) => ({ scenario: s.name, browser })));
  const jobs: RefJob[] = columns.map((c) => ({
    scenario: o.scenarios.find((s) => s.name === c.scenario)!,
    browser: c.browser,
    regress: [],
    expect: 'pass',
    ...(o.transport ? { transport: o.transport } : {}),
  }));
  const kept = new Map((o.resume?.rows ?? []).filter((r) => finished(r, columns.length)).map((r) => [r.commit, r]));
  const taken = new Set([...kept.values()].map((r) => r.dir));
  const summary: SweepSummary = {
    sweepVersion: SWEEP_VERSION,
    tool: 'sse-harness',
    kind: 'sweep',
    startedAt: new Date().toISOString(),
    finishedAt: new Date().toISOString(),
    complete: false,
    command: o.command,
    repo: o.repo,
    refs: o.refsSpec,
    target: o.target,
    appSubdir: o.appSubdir,
    browsers: o.browsers,
    scenarios: o.scenarios.map((s) => s.name),
    ...(o.shard ? { shard: o.shard } : {}),
    ...(o.backend === 'real' ? { backend: 'real' as const } : {}),
    ...(o.transport ? { transport: o.transport } : {}),
    columns,
    // Folders are named over every ref of the sweep, so shards merged into one folder never name two refs alike.
    rows: refsOfShard(
      o.refs.map(
        (r) =>
          kept.get(r.commit) ?? {
            ...r,
            dir: folderFor(r.label, r.commit, taken),
            cells: columns.map((c) => ({ ...c, verdict: 'not run' as const, failing: [] })),
          },
      ),
      o.shard,
    ),
    totals: { refs: 0, cells: 0, passed: 0, failed: 0, errors: 0, notRun: 0 },
  };
  const save = () => {
    summary.finishedAt = new Date().toISOString();
    summary.totals = totalsOf(summary.rows);
    return writeSweep(dir, summary);
  };
  if (o.shard) {
    const head = {
      blobVersion: 1 as const,
      tool: 'sse-harness' as const,
      kind: 'sweep' as const,
      shard: o.shard,
      startedAt: summary.startedAt,
      finishedAt: summary.startedAt,
      command: o.command,
    };
    writeBlob(dir, { ...head, refs: o.refs.map((r) => ({ commit: r.commit, label: r.label })) });
  }
  // On Ctrl-C the history so far is still written, marked incomplete.
  const dropPartial = onCleanup(() => {
    summary.interruptedBy = wasInterrupted() ?? undefined;
    const file = save();
    process.stderr.write(
      `sse-harness: partial sweep (incomplete) written to ${file}; the same command with --resume goes on from there\n`,
    );
  });
  const worktrees = new Worktrees(o.repo, 'sweep');
  const browsers = Array.from({ length: Math.max(1, o.workers) }, () => new WorkerBrowsers(o.launcherFor));
  // The next ref's worktree is checked out while this ref's runs go on.
  const toRun = summary.rows.filter((r) => !kept.has(r.commit));
  const worktreeOf = new Map<string, Promise<string>>();
  const prepare = (row: SweepRow | undefined) => {
    if (!row || worktreeOf.has(row.commit)) return;
    const p = worktrees.addLater(row.commit);
    p.catch(() => {}); // runAtRef reports a failed checkout in the row
    worktreeOf.set(row.commit, p);
  };
  const pool = new BrowserPool(browsers);
  /** Runs one ref; resolves when its row is written. `drained` fires once all its runs have started. */
  const runRow = async (row: SweepRow, tag: string, drained: () => void) => {
    const startedAt = new Date().toISOString();
    prepare(row);
    prepare(toRun[toRun.indexOf(row) + 1]);
    const results = await runAtRef({
      worktrees,
      commit: row.commit,
      worktree: worktreeOf.get(row.commit),
      appSubdir: o.appSubdir,
      target: o.target,
      jobs,
      browsers: pool,
      onDrained: drained,
      launch: o.launch,
      bootTimeoutMs: o.bootTimeoutMs,
      backend: o.backend,
      onResult: (job, r) =>
        o.log(
          `${tag} · ${oneLine(job.scenario.name)} · ${job.browser} → ${oneLine(cellMark(cellOf(r)))}${r.durationMs ? ` in ${(r.durationMs / 1000).toFixed(1)} s` : ''}${r.verdict === 'error' ? `: ${oneLine(r.error ?? '').slice(0, 200)}` : ''}`,
        ),
    });
    if (wasInterrupted()) return;
    const ran = results.filter((r): r is ScenarioResult => r !== undefined);
    const file = writeRefReport(
      join(dir, row.dir),
      { startedAt, command: o.command, target: o.target, browsers: o.browsers, regress: [], jobs: jobs.length },
      results,
    );
    const html = `${relative(dir, file).replace(/\.json$/, '.html')}`;
    row.report = relative(dir, file);
    row.targetVersion = ran.find((r) => r.targetVersion !== 'unknown')?.targetVersion;
    row.cells = results.map((r, k) =>
      r ? { ...cellOf(r), report: `${html}#r${ran.indexOf(r)}` } : { ...columns[k]!, verdict: 'not run', failing: [] },
    );
    const t = totalsOf([row]);
    o.log(
      `${tag}: ${t.passed} pass, ${t.failed} fail${t.errors ? `, ${t.errors} error` : ''} (report ${basename(dir)}/${row.report})`,
    );
    save();
  };
  const running: Promise<void>[] = [];
  try {
    for (const [i, row] of summary.rows.entries()) {
      if (wasInterrupted()) break;
      const tag = `[${i + 1}/${summary.rows.length}] ${oneLine(row.label)}`;
      if (kept.has(row.commit)) {
        const t = totalsOf([row]);
        o.log(
          `${tag}: kept from the earlier sweep: ${t.passed} pass, ${t.failed} fail${t.errors ? `, ${t.errors} error` : ''}`,
        );
        continue;
      }
      o.log(`${tag} (${row.commit.slice(0, 10)}, ${row.date.slice(0, 10)}): ${oneLine(row.subject).slice(0, 100)}`);
      // The next ref starts as soon as every run of this one has started: a worker with nothing left here goes on
      // to the next ref instead of waiting for this ref's last run.
      let drained!: () => void;
      const started = new Promise<void>((r) => (drained = r));
      const done = runRow(row, tag, drained);
      running.push(done);
      await Promise.race([started, done]);
    }
    await Promise.all(running);
    if (wasInterrupted()) return await new Promise(() => {}); // the signal handler writes the partial sweep and exits
    summary.complete = true;
    dropPartial();
    return { summary, file: save() };
  } finally {
    await Promise.all(browsers.map((b) => b.dispose()));
    worktrees.dispose();
  }
}
