// Baselines: a gate that fails when a metric gets worse than a recorded healthy run, not only on absolute budgets.
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import { makeDir } from '../destination.ts';
import { dirname } from 'node:path';
import type { Verdict } from '../oracles/types.ts';
import type { ScenarioResult } from './run.ts';

export const BASELINE_VERSION = 1;

/** Lower is better for every metric. */
export type Metrics = Record<string, number>;

export interface BaselineFile {
  baselineVersion: number;
  recordedAt: string;
  /** "scenario · browser" (and " · project" with projects) → metrics of that healthy run. */
  runs: Record<string, Metrics>;
}

export interface Tolerance {
  /** Allowed growth as a fraction of the baseline value (0.5 = 50 % worse). */
  ratio: number;
}

/** Absolute slack per metric on top of the ratio: timings on a loaded 2-core box jitter by tens of ms. */
const SLACK: Record<string, number> = {
  peakOpen: 0,
  finalOpen: 0,
  longestStallMs: 100,
  totalBlockedMs: 150,
  slowestReattachMs: 500,
  slowestUnlockMs: 500,
  hiddenRequests: 0,
  witnessFindings: 0,
};

/** The most a metric may reach against a recorded value before it counts as worse: the ratio plus the metric's slack. */
export const limitOf = (metric: string, was: number, ratio: number) =>
  Math.round(was * (1 + ratio) + (SLACK[metric] ?? 0));

const ev = (vs: Verdict[], oracle: string) => vs.find((v) => v.oracle === oracle)?.evidence;
const slowest = (e: Record<string, unknown> | undefined) => {
  const checks = (e?.checks ?? []) as { sseOpenAfterMs: number | null; grewAfterMs: number | null }[];
  const vals = checks.flatMap((c) => [c.sseOpenAfterMs ?? NaN, c.grewAfterMs ?? NaN]).filter((n) => Number.isFinite(n));
  return vals.length ? Math.max(...vals) : undefined;
};

/** The comparable numbers of one run, from its oracles' evidence. */
export function metricsOf(r: ScenarioResult): Metrics {
  const m: Metrics = {};
  const live = ev(r.verdicts, 'liveStreams');
  if (live) {
    m.peakOpen = live.peakOpen as number;
    m.finalOpen = live.finalOpen as number;
  }
  const stall = ev(r.verdicts, 'stallBudget');
  if (stall) {
    m.longestStallMs = stall.longestMs as number;
    m.totalBlockedMs = stall.totalBlockedMs as number;
  }
  const re = slowest(ev(r.verdicts, 'reattach'));
  if (re !== undefined) m.slowestReattachMs = re;
  const lock = slowest(ev(r.verdicts, 'lockRecovery'));
  if (lock !== undefined) m.slowestUnlockMs = lock;
  const hidden = ev(r.verdicts, 'hiddenPolling');
  if (hidden)
    m.hiddenRequests = Object.values((hidden.serverCounts ?? {}) as Record<string, number>).reduce((a, b) => a + b, 0);
  m.witnessFindings = (r.findings ?? []).length;
  return m;
}

export const keyOf = (r: Pick<ScenarioResult, 'scenario' | 'browser' | 'project'>) =>
  `${r.scenario} · ${r.browser}${r.project ? ` · ${r.project}` : ''}`;

export function readBaseline(file: string): BaselineFile {
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`sse-harness: no baseline file at ${file}; record one with --update-baseline ${file}`);
  }
  let data: BaselineFile;
  try {
    data = JSON.parse(raw) as BaselineFile;
  } catch (e) {
    throw new Error(
      `sse-harness: ${file} is not JSON (${(e as Error).message}); record it again with --update-baseline ${file}`,
      { cause: e },
    );
  }
  if (data?.baselineVersion !== BASELINE_VERSION || typeof data.runs !== 'object') {
    throw new Error(
      `sse-harness: ${file} is not a baseline file of version ${BASELINE_VERSION}; record it again with --update-baseline ${file}`,
    );
  }
  return data;
}

/** Records the healthy runs' metrics (runs with regressions switched on are not a baseline). */
export function writeBaseline(file: string, results: ScenarioResult[], previous?: BaselineFile): BaselineFile {
  const runs: Record<string, Metrics> = { ...(previous?.runs ?? {}) };
  for (const r of results) if (!r.regress.length && r.verdict === 'pass') runs[keyOf(r)] = metricsOf(r);
  const data: BaselineFile = { baselineVersion: BASELINE_VERSION, recordedAt: new Date().toISOString(), runs };
  makeDir(dirname(file), `baseline ${file}`);
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(data, null, 2)}\n`);
  renameSync(tmp, file);
  return data;
}

/** A 'baseline' verdict for one run: every metric within baseline × (1 + ratio) + slack. */
export function compareToBaseline(r: ScenarioResult, base: BaselineFile, tol: Tolerance): Verdict | null {
  const was = base.runs[keyOf(r)];
  if (!was) return null;
  const now = metricsOf(r);
  const rows = Object.entries(now)
    .filter(([k]) => was[k] !== undefined)
    .map(([k, v]) => {
      const limit = limitOf(k, was[k]!, tol.ratio);
      return { metric: k, baseline: was[k]!, now: v, limit, worse: v > limit };
    });
  const worse = rows.filter((x) => x.worse);
  const evidence = { tolerance: tol.ratio, slack: SLACK, metrics: rows, recordedAt: base.recordedAt };
  if (worse.length) {
    return {
      oracle: 'baseline',
      pass: false,
      summary: `worse than the baseline of ${base.recordedAt.slice(0, 10)}: ${worse.map((x) => `${x.metric} ${x.now} (baseline ${x.baseline}, limit ${x.limit})`).join(', ')}`,
      evidence,
    };
  }
  return {
    oracle: 'baseline',
    pass: true,
    summary: `${rows.length} metrics within ${Math.round(tol.ratio * 100)} % of the baseline`,
    evidence,
  };
}
