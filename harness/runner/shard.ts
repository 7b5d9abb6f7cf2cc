// --shard i/n: which part of a run (or sweep) one CI machine takes. The split depends only on the jobs themselves,
// never on the order they were named in or on the machine: every job has a key made of what it is (scenario,
// project, browser, regressions, repetition), the jobs are sorted by scripted time and key, and each goes to the
// shard with the least scripted time so far (the lowest-numbered on a tie). Every job lands in exactly one shard,
// and shards take about equal time even when one scenario scripts far longer than the rest. A sweep deals whole
// refs instead (dealRefs), each about as long as another.
import { scriptedMs } from '../scenario/scripted.ts';
import type { Scenario } from '../scenario/schema.ts';

export interface Shard {
  /** 1-based. */
  index: number;
  total: number;
}

/** Most shards a run may be split into (a CI matrix has far fewer jobs). */
export const MAX_SHARDS = 1000;

/** Parses "i/n"; returns the reason it is not one, for the option's error line. */
export function parseShard(v: string): Shard | string {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(v);
  if (!m) return `expected i/n, the shard to run and how many there are, like 1/4`;
  const index = Number(m[1]);
  const total = Number(m[2]);
  if (total < 1 || total > MAX_SHARDS) return `expected from 1 to ${MAX_SHARDS} shards, got ${m[2]}`;
  if (index < 1 || index > total) return `expected a shard from 1 to ${total}, got ${m[1]}`;
  return { index, total };
}

export const shardLabel = (s: Shard) => `${s.index}/${s.total}`;

/** What a job is, as far as sharding and merging are concerned. */
export interface ShardJob {
  scenario: Pick<Scenario, 'name' | 'file'>;
  browser: string;
  /** The config project, where there are projects. */
  project?: string;
  /** The streaming transport asked for (--transport), where one was. */
  transport?: string;
  regress: string[];
  /** Which repetition (--repeat-until-fail), from 0. */
  repeat: number;
}

/**
 * One key per job, unique in the list. Normally scenario name, project, browser, transport, regressions and repetition; two
 * files with the same scenario name add their paths, and a file named twice its occurrence (such jobs are the same
 * run).
 */
export function jobKeys(jobs: ShardJob[]): string[] {
  const base = jobs.map(
    (j) =>
      `${j.scenario.name} · ${j.project ? `${j.project} · ` : ''}${j.browser}${j.transport ? ` · ${j.transport}` : ''}${j.regress.length ? ` · regress ${j.regress.join(',')}` : ''}${j.repeat ? ` · repeat ${j.repeat + 1}` : ''}`,
  );
  const files = new Map<string, Set<string>>();
  base.forEach((k, i) => files.set(k, (files.get(k) ?? new Set()).add(jobs[i]!.scenario.file)));
  const withFile = base.map((k, i) => (files.get(k)!.size > 1 ? `${k} · ${jobs[i]!.scenario.file}` : k));
  const seen = new Map<string, number>();
  return withFile.map((k) => {
    const n = (seen.get(k) ?? 0) + 1;
    seen.set(k, n);
    return n > 1 ? `${k} #${n}` : k;
  });
}

/** A job's expected length for balancing: its scripted time; a regression run usually stops once caught (half). */
export const jobWeight = (j: { scenario: Scenario; expect?: 'pass' | 'catch' }): number =>
  Math.round(scriptedMs(j.scenario) * (j.expect === 'catch' ? 0.5 : 1));

/**
 * The shard (1-based) of each item, index for index: longest first (then by key), each to the shard with the least
 * weight so far. Depends only on the set of (key, weight) pairs, not on their order.
 */
export function assignShards(items: { key: string; weight: number }[], total: number): number[] {
  const order = items
    .map((_, i) => i)
    .sort(
      (a, b) =>
        items[b]!.weight - items[a]!.weight ||
        (items[a]!.key < items[b]!.key ? -1 : items[a]!.key > items[b]!.key ? 1 : 0),
    );
  const load = new Array<number>(total).fill(0);
  const shardOf = new Array<number>(items.length);
  for (const i of order) {
    let best = 0;
    for (let s = 1; s < total; s++) if (load[s]! < load[best]!) best = s;
    load[best]! += Math.max(0, items[i]!.weight);
    shardOf[i] = best + 1;
  }
  return shardOf;
}

/** A sweep's refs by shard: sorted by commit, dealt round-robin (refs cost about the same). 1-based, index for index. */
export function dealRefs(commits: string[], total: number): number[] {
  const order = commits
    .map((_, i) => i)
    .sort((a, b) => (commits[a]! < commits[b]! ? -1 : commits[a]! > commits[b]! ? 1 : 0));
  const shardOf = new Array<number>(commits.length);
  order.forEach((i, k) => (shardOf[i] = (k % total) + 1));
  return shardOf;
}

/** A job of the whole run with what sharding knows of it. */
export interface Planned<J> {
  job: J;
  repeat: number;
  key: string;
  weight: number;
  /** The shard it falls to (1 without sharding). */
  shard: number;
}

/** Every job of `rounds` repetitions of `round`, in the order an unsharded run has them, each with its shard. */
export function planJobs<
  J extends {
    scenario: Scenario;
    browser: string;
    project?: string;
    transport?: string;
    regress: string[];
    expect?: 'pass' | 'catch';
  },
>(round: J[], rounds: number, total = 1): Planned<J>[] {
  const all = Array.from({ length: rounds }, (_, repeat) => round.map((job) => ({ job, repeat }))).flat();
  const keys = jobKeys(
    all.map(({ job, repeat }) => ({
      scenario: job.scenario,
      browser: job.browser,
      project: job.project,
      transport: job.transport,
      regress: job.regress,
      repeat,
    })),
  );
  const weights = all.map(({ job }) => jobWeight(job));
  const shards = assignShards(
    keys.map((key, i) => ({ key, weight: weights[i]! })),
    total,
  );
  return all.map(({ job, repeat }, i) => ({ job, repeat, key: keys[i]!, weight: weights[i]!, shard: shards[i]! }));
}
