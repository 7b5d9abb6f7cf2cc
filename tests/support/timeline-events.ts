// Hand-built timelines for oracle tests: server-side stream opens and closes, and a run record around them.
import type { RunRecord } from '../../harness/oracles/types.ts';
import type { Scenario } from '../../harness/scenario/schema.ts';
import { Timeline, type TimelineEvent } from '../../harness/timeline.ts';

export const sseOpen = (t: number, socket: number, session: string, path = '/api/chat/stream'): TimelineEvent => ({
  kind: 'sse-open',
  t,
  socket,
  streamId: `run-${session}`,
  session,
  path,
  afterSeq: 0,
});

export const sseClose = (t: number, socket: number, session: string): TimelineEvent => ({
  kind: 'sse-close',
  t,
  socket,
  streamId: `run-${session}`,
  session,
  by: 'client',
  events: 1,
  bytes: 1,
});

/** A finished run of sessions a (id A) and b (id B) with these events. */
export function runRecord(events: TimelineEvent[], endedAt: number): RunRecord {
  const timeline = new Timeline(0);
  for (const e of events) timeline.add(e);
  return { scenario: {} as Scenario, timeline, sessions: { a: 'A', b: 'B' }, scripted: {}, endedAt, cycles: [] };
}
