// Flake budget: the detection matrix, run again and again; every miss and every false alarm is counted and named.
import { launcherFor } from './driver/index.ts';
import type { BrowserName } from './driver/types.ts';
import { wasInterrupted } from './driver/reaper.ts';
import { caughtBy, matrixJobs, stopWhenFor, type Job } from './runner/matrix.ts';
import { planJobs, type Shard } from './runner/shard.ts';
import { runScenario, type ScenarioResult } from './runner/run.ts';
import { runSuite } from './runner/suite.ts';
import type { Scenario } from './scenario/schema.ts';
import { oneLine } from './printable.ts';
import type { RegressionClass } from './scenario/classes.ts';
import type { Target } from './targets/types.ts';

export interface StressOptions {
  /** The UI whose switchable regressions make the matrix (Target.regressions; none: nothing to stress). */
  target: Target;
  runs: number;
  browsers: BrowserName[];
  workers: number;
  log: (line: string) => void;
  /** Only this shard's part of each round (counts of the shards add up to the whole's). */
  shard?: Shard;
}

export interface StressOutcome {
  rounds: number;
  jobs: number;
  misses: { round: number; label: string; why: string }[];
  falseAlarms: { round: number; label: string; why: string }[];
  errors: { round: number; label: string; why: string }[];
  wallMs: number;
}

const label = (j: Job) => `${j.scenario.name} · ${j.browser}${j.klass ? ` · ${j.klass}` : ' · healthy'}`;
const why = (r: ScenarioResult) =>
  r.error ??
  (r.verdicts
    .filter((v) => !v.pass)
    .map((v) => `${v.oracle}: ${v.summary}`)
    .join('; ') ||
    'all oracles held');

export async function stress(scenarios: Scenario[], opts: StressOptions): Promise<StressOutcome> {
  const started = Date.now();
  const out: StressOutcome = { rounds: 0, jobs: 0, misses: [], falseAlarms: [], errors: [], wallMs: 0 };
  const shard = opts.shard;
  const classes = opts.target.regressions as readonly RegressionClass[];
  const jobs = planJobs(matrixJobs(scenarios, opts.browsers, classes), 1, shard?.total)
    .filter((p) => !shard || p.shard === shard.index)
    .map((p) => p.job);
  if (!jobs.length) return out;
  for (let round = 1; round <= opts.runs && !wasInterrupted(); round++) {
    const t = Date.now();
    const bad = { miss: 0, alarm: 0, error: 0 };
    const suite = await runSuite({
      jobs,
      browsers: { workers: opts.workers, launcherFor },
      run: (job, _i, browsers) =>
        runScenario(job.scenario, {
          target: opts.target,
          launcher: browsers.get(job.browser),
          regress: job.regress,
          stopWhen: stopWhenFor(job),
        }),
      onResult: (r, job) => {
        out.jobs++;
        const entry = { round, label: label(job), why: why(r) };
        if (r.verdict === 'error') {
          out.errors.push(entry);
          bad.error++;
        } else if (job.expect === 'pass' && r.verdict !== 'pass') {
          out.falseAlarms.push(entry);
          bad.alarm++;
        } else if (job.expect === 'catch' && !caughtBy(r, job.klass!)) {
          out.misses.push(entry);
          bad.miss++;
        }
      },
      onBootFailure: ({ browser, skipped }) => {
        if (!skipped.length) return;
        out.errors.push({
          round,
          label: `${skipped.length} more run${skipped.length === 1 ? '' : 's'} in ${browser}`,
          why: 'not started: the UI did not boot there',
        });
        bad.error++;
      },
    });
    await suite.closed;
    out.rounds = round;
    opts.log(
      `round ${round}/${opts.runs}: ${jobs.length} runs in ${((Date.now() - t) / 1000).toFixed(0)} s · ${bad.miss} miss${bad.miss === 1 ? '' : 'es'}, ${bad.alarm} false alarm${bad.alarm === 1 ? '' : 's'}${bad.error ? `, ${bad.error} harness error${bad.error === 1 ? '' : 's'}` : ''}`,
    );
  }
  out.wallMs = Date.now() - started;
  return out;
}

export function stressSummary(o: StressOutcome): string {
  const lines = [
    `${o.rounds} round${o.rounds === 1 ? '' : 's'} of the detection matrix, ${o.jobs} runs in ${(o.wallMs / 1000).toFixed(0)} s: ${o.misses.length} misses, ${o.falseAlarms.length} false alarms, ${o.errors.length} harness errors`,
  ];
  for (const [name, list] of [
    ['miss', o.misses],
    ['false alarm', o.falseAlarms],
    ['error', o.errors],
  ] as const) {
    for (const e of list) lines.push(oneLine(`  ${name} in round ${e.round}: ${e.label}: ${e.why}`));
  }
  return lines.join('\n');
}
