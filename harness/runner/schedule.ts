// Which run a free worker takes next. The longest first, so no long run starts last and holds the whole suite up;
// and never two runs that judge main-thread stalls at the same time: on a small machine each would load the CPU the
// other's stall budget is measured on (a flood next to a flood-stall regression reads as a stalled page).
import type { Scenario } from '../scenario/schema.ts';
import { scriptedMs } from '../scenario/scripted.ts';

export interface Schedulable {
  scenario: Scenario;
  regress: string[];
  expect?: 'pass' | 'catch';
}

/** Runs that measure main-thread stalls (or load the CPU on purpose): one at a time. */
export const stallSensitive = (j: Schedulable) => j.scenario.expect.stallBudget !== undefined || j.regress.includes('flood-stall');

export class JobQueue<J extends Schedulable> {
  private readonly pending: number[];
  private sensitiveRunning = false;
  private wake: (() => void)[] = [];

  /** `group(i)` keeps groups in order (repetitions of a round); within a group the longest run goes first. */
  constructor(
    private readonly jobs: J[],
    group: (i: number) => number = () => 0,
  ) {
    // A regression run usually stops once it is caught: count it at half its scripted time.
    const estimate = (j: J) => scriptedMs(j.scenario) * (j.expect === 'catch' ? 0.5 : 1);
    this.pending = jobs.map((_, i) => i).sort((a, b) => group(a) - group(b) || estimate(jobs[b]!) - estimate(jobs[a]!) || a - b);
  }

  get remaining(): number {
    return this.pending.length;
  }

  /** The next run for a worker (its index in the job list), waiting while only stall-sensitive runs are left and one is running; null when none is left. */
  async take(): Promise<{ index: number; job: J; done: () => void } | null> {
    for (;;) {
      if (!this.pending.length) return null;
      const at = this.pending.findIndex((i) => !this.sensitiveRunning || !stallSensitive(this.jobs[i]!));
      if (at >= 0) {
        const index = this.pending.splice(at, 1)[0]!;
        const job = this.jobs[index]!;
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

  /** Drops every run not yet taken (interrupted, or a repetition failed). */
  clear(): void {
    this.pending.length = 0;
    for (const w of this.wake.splice(0)) w();
  }
}
