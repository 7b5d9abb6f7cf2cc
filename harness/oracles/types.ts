// What an oracle receives (one finished run) and what it returns (a verdict a person can check). The verdict is
// declared once, as the zod schema the JSON report validates it with; its type is derived from it.
import type { z as Z } from 'zod';
import { z } from '../deps.ts';
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

/** What a known-findings entry says of a failing verdict (runner/known.ts). */
export const knownMarkSchema = z
  .object({
    reason: z.string(),
    source: z.string().describe('file:line of the entry'),
    expires: z.string().optional(),
    expired: z.boolean().describe('past its date: listed, but the failure is no longer excused'),
  })
  .strict();

/** What an oracle returns: a verdict a person can check, with its evidence. The JSON report holds these as they are. */
export const verdictSchema = z
  .object({
    oracle: z
      .string()
      .describe(
        'liveStreams, reattach, transcript, noBackgroundReconnect, hiddenPolling, stallBudget, lockRecovery, reconnectRate, steps or baseline',
      ),
    pass: z.boolean(),
    summary: z.string().describe('one sentence with the numbers'),
    step: z.string().optional().describe('the step during which the problem started'),
    /** Time on the run clock (ms) the problem started, if any. */
    t: z.number().optional(),
    definite: z
      .boolean()
      .optional()
      .describe('a failure nothing later in the run could undo (a leak past its grace, a background reconnect)'),
    notJudged: z
      .string()
      .optional()
      .describe(
        'why the oracle had nothing it could fairly judge (the user cut every recovery window short); such a verdict passes',
      ),
    evidence: z.record(z.string(), z.unknown()).describe("the oracle's numbers; shape per oracle, see docs/report.md"),
    /** A failure a known-findings entry lists (set by the CLI with --known): its reason, and whether it still excuses. */
    known: knownMarkSchema.optional().describe('a failing verdict a known-findings entry lists (--known)'),
  })
  .strict();

export type Verdict = Z.infer<typeof verdictSchema>;
export type KnownMark = Z.infer<typeof knownMarkSchema>;

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
