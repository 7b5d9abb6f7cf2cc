// ServerModel: how the server behind a chat UI answers a (re)subscribe to a run's stream, per release of that server.
// The mock plays one model per backend; docs/protocol.md#resume has the table of what each model sends.
import type { z as Z } from 'zod';
import { z } from '../deps.ts';

/**
 * What a live run sends to a new subscriber.
 * - `journal`: a usable resume cursor gets the run's journal after it, then live events; no cursor gets the offline
 *   buffer, then live events (hermes-webui from v0.51.294).
 * - `buffer`: cursors are ignored for a live run: the offline buffer, then live events (hermes-webui v0.50.292 to
 *   v0.51.293; before it one queue per run, which behaves the same for a single subscriber).
 * - `replay`: every subscriber of a live run gets the whole journal from its start, whatever it asks, then live
 *   events: what an AI SDK server built on `resumable-stream` sends (the ai-sdk profile). No hermes-webui release
 *   does this; played to a hermes UI it doubles the text of one that keeps what it rendered, which is how
 *   `conformance --mock-resume replay` shows a wrong model.
 */
export const RESUME_BEHAVIOURS = ['buffer', 'journal', 'replay'] as const;
export type ResumeBehaviour = (typeof RESUME_BEHAVIOURS)[number];

export interface ServerModel {
  resume: ResumeBehaviour;
  /**
   * Most events the offline buffer keeps while no client is subscribed, the oldest dropped first; null: no limit.
   * Only a request without a cursor can see the loss: a cursor is served from the journal.
   */
  offlineBufferCap: number | null;
  /**
   * The resume fix of hermes-webui exp-v0.52.244: the `Last-Event-ID` request header counts as a cursor when no query
   * cursor is given, and a cursor ahead of the run replays from the start instead of skipping to live events.
   */
  lastEventId: boolean;
  /** A finished run's journal stays readable (replayed after the cursor, then the response ends); false: 404. */
  journalKept: boolean;
  /**
   * A finished run's replay reads `after_event_id` (hermes-webui from v0.51.170); false: only `after_seq` decides,
   * and a request with `after_event_id` alone gets the whole journal. Absent: true.
   */
  finishedEventId?: boolean;
  /**
   * The `id:` a frame carries: its own `<run>:<seq>`; the run's latest one at the time it is written (older servers
   * stamped frames from one shared slot, so a buffered tail goes out under the newest id); or none.
   */
  frameIds: 'own' | 'latest' | 'none';
  /** Response headers of the chat-stream reply (names in lower case). */
  sseHeaders: Record<string, string>;
}

/** The mock's chat-stream headers before server models existed; the reference UI is judged with them. */
export const MOCK_SSE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
};

/** The newest hermes-webui server's resume rules, with the mock's own headers: the default of every backend. */
export const DEFAULT_SERVER_MODEL: Readonly<ServerModel> = {
  resume: 'journal',
  offlineBufferCap: 8192,
  lastEventId: true,
  journalKept: true,
  frameIds: 'own',
  sseHeaders: MOCK_SSE_HEADERS,
};

export function serverModel(partial: Partial<ServerModel> = {}): ServerModel {
  const m = { ...DEFAULT_SERVER_MODEL, ...partial };
  if (!RESUME_BEHAVIOURS.includes(m.resume))
    throw new Error(
      `sse-harness: unknown resume behaviour "${String(m.resume)}". Use one of: ${RESUME_BEHAVIOURS.join(', ')}.`,
    );
  if (m.offlineBufferCap !== null && !(Number.isInteger(m.offlineBufferCap) && m.offlineBufferCap >= 0)) {
    throw new Error(
      `sse-harness: offlineBufferCap must be a whole number of events or null (no limit), not ${String(m.offlineBufferCap)}.`,
    );
  }
  return { ...m, sseHeaders: Object.fromEntries(Object.entries(m.sseHeaders).map(([k, v]) => [k.toLowerCase(), v])) };
}

/**
 * Where a request asks to resume: nowhere (a fresh subscribe), after a sequence number of this run, or somewhere the
 * server cannot use (another run's event id, an unparseable value, `replay=1` alone), which it serves from the start.
 */
export type ResumeCursor = { kind: 'none' } | { kind: 'seq'; afterSeq: number } | { kind: 'unusable'; raw: string };

/** Python's int() on a query value, as the server parses it: surrounding blanks and a sign allowed. */
function intOf(raw: string): number | null {
  return /^\s*[+-]?\d+\s*$/.test(raw) ? Number(raw) : null;
}

/** `<run>:<seq>` → its run (null without a colon) and seq (null when the tail is not a number). */
function eventIdParts(raw: string): { run: string | null; seq: number | null } {
  const i = raw.lastIndexOf(':');
  const run = i >= 0 ? raw.slice(0, i) || null : null;
  const n = intOf(i >= 0 ? raw.slice(i + 1) : raw);
  return { run, seq: n === null ? null : Math.max(0, n) };
}

/**
 * The cursor a chat-stream request carries, read as the model's server reads it. Query cursors (`after_event_id`,
 * `after_seq`, `replay`) win by presence, even when unusable; the `Last-Event-ID` header counts only when the model
 * reads it and no query cursor is there. An empty query value counts as absent.
 */
export function resumeCursor(
  params: URLSearchParams,
  lastEventIdHeader: string | null,
  streamId: string,
  model: Pick<ServerModel, 'lastEventId'>,
): ResumeCursor {
  const q = (name: string) => params.get(name) || null;
  const afterSeq = q('after_seq');
  const afterEventId = q('after_event_id');
  const replay = q('replay');
  if (afterSeq !== null || afterEventId !== null || replay !== null) {
    const raw = afterEventId ?? afterSeq ?? `replay=${replay}`;
    if (afterEventId !== null) {
      const { run, seq } = eventIdParts(afterEventId);
      // An id naming a run decides alone: this run's seq, or unusable (another run, or no number after the colon).
      if (run !== null)
        return run === streamId && seq !== null ? { kind: 'seq', afterSeq: seq } : { kind: 'unusable', raw };
    }
    if (afterSeq === null) return { kind: 'unusable', raw };
    // A value that is not a number reads as 0: the whole journal, which is also what an unusable cursor gets.
    return { kind: 'seq', afterSeq: Math.max(0, intOf(afterSeq) ?? 0) };
  }
  const header = model.lastEventId ? (lastEventIdHeader ?? '').trim() : '';
  if (!header) return { kind: 'none' };
  const { run, seq } = eventIdParts(header);
  return run === streamId && seq !== null ? { kind: 'seq', afterSeq: seq } : { kind: 'unusable', raw: header };
}

/** What a report says about the server model a run was played against (the JSON report's `mock`). */
export const serverModelSummarySchema = z
  .object({
    resume: z
      .enum(RESUME_BEHAVIOURS)
      .describe(
        "journal: a usable resume cursor gets the run's journal after it; buffer: cursors are ignored for a live run; replay: the whole journal to every subscriber (docs/protocol.md#resume)",
      ),
    why: z.string().describe('what decided the behaviour (the target reading its checkout, or the default)'),
    offlineBufferCap: z
      .number()
      .int()
      .nullable()
      .describe('most events buffered while no client is subscribed (null: no limit)'),
    lastEventId: z.boolean().describe('the Last-Event-ID request header counts as a resume cursor'),
    headers: z.record(z.string(), z.string()).describe("the chat-stream reply's response headers"),
  })
  .strict();
export type ServerModelSummary = Z.infer<typeof serverModelSummarySchema>;

export const DEFAULT_MODEL_WHY = "the mock's default: the newest hermes-webui server's resume rules";

export function summarizeServerModel(model: ServerModel, why = DEFAULT_MODEL_WHY): ServerModelSummary {
  return {
    resume: model.resume,
    why,
    offlineBufferCap: model.offlineBufferCap,
    lastEventId: model.lastEventId,
    headers: { ...model.sseHeaders },
  };
}
