// Two sweeps of the same history, cell by cell: did they agree? A verdict that changes between two sweeps of
// unchanged code is the harness's own noise (load, a race in the UI, a budget too tight), which a gate must not
// carry; this is how a sweep is repeated and checked before its table is trusted.
import { readFileSync } from 'node:fs';
import type { CellPair, SweepDiff } from '../report/sweep.ts';
import { SWEEP_VERSION, type SweepCell, type SweepSummary } from '../report/sweep-schema.ts';

export class SweepFileError extends Error {}

/** Reads a sweep.json; a file that is not one is a usage error naming the file and what to pass instead. */
export function readSweep(file: string): SweepSummary {
  let s: Partial<SweepSummary>;
  try {
    s = JSON.parse(readFileSync(file, 'utf8')) as Partial<SweepSummary>;
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message.split('\n')[0];
    throw new SweepFileError(
      `${file}: cannot read a sweep summary (${why}). Pass the sweep.json a sweep wrote into its --report-dir.`,
    );
  }
  if (s?.kind !== 'sweep' || s.tool !== 'sse-harness' || !Array.isArray(s.rows) || !Array.isArray(s.columns)) {
    throw new SweepFileError(`${file}: not a sweep summary (expected the sweep.json an "sse-harness sweep" wrote).`);
  }
  if (s.sweepVersion !== SWEEP_VERSION)
    throw new SweepFileError(
      `${file}: sweep format ${String(s.sweepVersion)}, this sse-harness reads format ${SWEEP_VERSION}.`,
    );
  return s as SweepSummary;
}

function sameSet(x: string[], y: string[]): boolean {
  const ys = [...y].sort();
  return x.length === y.length && [...x].sort().every((v, i) => v === ys[i]);
}

export function diffSweeps(a: SweepSummary, b: SweepSummary): SweepDiff {
  const key = (commit: string, c: Pick<SweepCell, 'scenario' | 'browser'>) =>
    `${commit}\u0000${c.scenario}\u0000${c.browser}`;
  const inB = new Map<string, { label: string; cell: SweepCell }>();
  for (const r of b.rows)
    for (const c of r.cells) if (c.verdict !== 'not run') inB.set(key(r.commit, c), { label: r.label, cell: c });
  const out: SweepDiff = { compared: 0, sameVerdict: 0, sameOracles: 0, differing: [], unmatched: 0 };
  const matched = new Set<string>();
  for (const r of a.rows) {
    for (const ca of r.cells) {
      if (ca.verdict === 'not run') continue;
      const k = key(r.commit, ca);
      const cb = inB.get(k)?.cell;
      if (!cb) {
        out.unmatched++;
        continue;
      }
      matched.add(k);
      out.compared++;
      const pair: CellPair = {
        ref: r.label,
        commit: r.commit,
        scenario: ca.scenario,
        browser: ca.browser,
        a: { verdict: ca.verdict, failing: ca.failing },
        b: { verdict: cb.verdict, failing: cb.failing },
        reports: { a: ca.report, b: cb.report },
      };
      if (ca.verdict !== cb.verdict) pair.differs = 'verdict';
      else if (!sameSet(ca.failing, cb.failing)) pair.differs = 'oracles';
      if (pair.differs !== 'verdict') out.sameVerdict++;
      if (!pair.differs) out.sameOracles++;
      else out.differing.push(pair);
    }
  }
  out.unmatched += [...inB.keys()].filter((k) => !matched.has(k)).length;
  return out;
}
