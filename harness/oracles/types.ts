// What an oracle receives (one finished run) and what it returns (a verdict a person can check).
import type { Scenario } from '../scenario/schema.ts';
import type { Timeline, TimelineEvent } from '../timeline.ts';

export interface RunRecord {
  scenario: Scenario;
  timeline: Timeline;
  /** Alias → session id. */
  sessions: Record<string, string>;
  /** Session id → the full answer the backend scripted for its latest run. */
  scripted: Record<string, string>;
  /** When the settle phase ended (all runs finished, sockets drained). */
  endedAt: number;
  /** Repeat cycles: [start, end] ms for each iteration of the outermost repeat. */
  cycles: { path: string; start: number; end: number }[];
}

export interface Verdict {
  oracle: string;
  pass: boolean;
  /** One sentence with the numbers. */
  summary: string;
  /** The step during which the problem started, if any. */
  step?: string;
  /** Time on the run clock (ms) the problem started, if any. */
  t?: number;
  /** A failure nothing later in the run can undo (a leak past its grace, a reconnect in the background): a run may stop here. */
  definite?: boolean;
  /** Set when the oracle had nothing it could fairly judge (the user cut every window short): why. Passes the gate. */
  notJudged?: string;
  evidence: Record<string, unknown>;
  /** A failure a known-findings entry lists (set by the CLI with --known): its reason, and whether it still excuses. */
  known?: KnownMark;
}

export interface KnownMark {
  reason: string;
  /** Where the entry is: file:line. */
  source: string;
  expires?: string;
  /** Past its expiry date: listed, but no longer excusing the failure. */
  expired: boolean;
}

export type Oracle<Config> = (run: RunRecord, config: Config) => Verdict;

/** The step that was running at time t (its path and name), for evidence. */
export function stepAt(events: TimelineEvent[], t: number): string | undefined {
  let found: string | undefined;
  for (const e of events) {
    if (e.t > t) break;
    if (e.kind === 'step-start') found = `${e.path} ${e.step}${e.detail ? ` ${e.detail}` : ''}`;
  }
  return found;
}
