// Which run a free worker takes next. The longest first, so no long run starts last and holds the whole suite up;
// never two runs that judge main-thread stalls at the same time: on a small machine each would load the CPU the
// other's stall budget is measured on (a flood next to a flood-stall regression reads as a stalled page); and a
// worker stays with the browser it already has running while that browser has runs left (each worker keeps its
// browsers; a second one costs a browser start), workers starting on different browsers.
import type { Scenario } from '../scenario/schema.ts';
import { scriptedMs } from '../scenario/scripted.ts';

export interface Schedulable {
  scenario: Scenario;
  regress: string[];
  expect?: 'pass' | 'catch';
  browser?: string;
}

/** Runs that measure main-thread stalls (or load the CPU on purpose): one at a time. */
export const stallSensitive = (j: Schedulable) =>
  j.scenario.expect.stallBudget !== undefined || j.regress.includes('flood-stall');

export class JobQueue<J extends Schedulable> {
  private readonly pending: number[];
  private sensitiveRunning = false;
  /** Browsers some worker began with: the next worker to begin prefers another. */
  private readonly begun = new Set<string>();
  private wake: (() => void)[] = [];

  /** `group(i)` keeps groups in order (repetitions of a round); within a group the longest run goes first. */
  constructor(
    private readonly jobs: readonly J[],
    private readonly group: (i: number) => number = () => 0,
  ) {
    // A regression run usually stops once it is caught: count it at half its scripted time.
    const estimate = (j: J) => scriptedMs(j.scenario) * (j.expect === 'catch' ? 0.5 : 1);
    this.pending = jobs
      .map((_, i) => i)
      .sort((a, b) => group(a) - group(b) || estimate(jobs[b]!) - estimate(jobs[a]!) || a - b);
  }

  get remaining(): number {
    return this.pending.length;
  }

  /**
   * The next run for a worker (its index in the job list), waiting while only stall-sensitive runs are left and one is
   * running; null when none is left. `browser` is the one the worker ran last: its runs come first.
   */
  async take(browser?: string): Promise<{ index: number; job: J; done: () => void } | null> {
    for (;;) {
      if (!this.pending.length) return null;
      // Only the earliest group's runs are eligible for the browser preference (repetitions stay in order).
      const first = this.group(this.pending[0]!);
      const eligible = this.pending.filter((i) => !this.sensitiveRunning || !stallSensitive(this.jobs[i]!));
      const sameGroup = eligible.filter((i) => this.group(i) === first);
      const want =
        browser ?? sameGroup.map((i) => this.jobs[i]!.browser).find((b) => b !== undefined && !this.begun.has(b));
      const index = sameGroup.find((i) => want !== undefined && this.jobs[i]!.browser === want) ?? eligible[0];
      if (index !== undefined) {
        this.pending.splice(this.pending.indexOf(index), 1);
        const job = this.jobs[index]!;
        if (browser === undefined && job.browser !== undefined) this.begun.add(job.browser);
        const sensitive = stallSensitive(job);
        if (sensitive) this.sensitiveRunning = true;
        let released = false;
        const done = () => {
          if (released) return;
          released = true;
          if (sensitive) this.sensitiveRunning = false;
          for (const w of this.wake.splice(0)) w();
        };
        return { index, job, done };
      }
      await new Promise<void>((r) => this.wake.push(r));
    }
  }

  /**
   * The browser a worker that ran `browser` will move to, once no run of `browser` is left to take: the next waiting
   * run's. Null while runs of `browser` wait, or when none is left.
   */
  nextBrowserAfter(browser: string | undefined): string | null {
    return this.nextJobAfter(browser)?.browser ?? null;
  }

  /** The first run not yet taken in the browser nextBrowserAfter names (its launch options may be its own). */
  private nextJobAfter(browser: string | undefined): J | null {
    if (browser === undefined || this.pending.some((i) => this.jobs[i]!.browser === browser)) return null;
    const i = this.pending.find((i) => this.jobs[i]!.browser !== undefined);
    return i === undefined ? null : this.jobs[i]!;
  }

  /**
   * Calls warm(browser) with the browser a worker moves to when `job` is its last run on its own: that browser can
   * start meanwhile. Not during a run that judges stalls (a browser start beside it loads the CPU its budget is
   * measured on).
   */
  warmAfter(job: J, warm: (browser: string, next: J) => void): void {
    const next = this.nextJobAfter(job.browser);
    if (next?.browser && !stallSensitive(job)) warm(next.browser, next);
  }

  /** Drops the runs not yet taken that `which` picks (a browser the UI cannot boot in); returns their indexes. */
  drop(which: (job: J) => boolean): number[] {
    const gone = this.pending.filter((i) => which(this.jobs[i]!));
    for (const i of gone) this.pending.splice(this.pending.indexOf(i), 1);
    for (const w of this.wake.splice(0)) w();
    return gone;
  }

  /** Drops every run not yet taken (interrupted, or a repetition failed). */
  clear(): void {
    this.pending.length = 0;
    for (const w of this.wake.splice(0)) w();
  }
}
