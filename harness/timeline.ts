// One ordered record of a scenario run: steps, witness samples and events on a single clock. The events are declared
// once, as zod schemas (the JSON report validates timelines with them); their types are derived from the schemas.
import type { z as Z } from 'zod';
import { z } from './deps.ts';

/** Milliseconds since the run started (Date.now()-based, shared by Node and the page). */
export type Ms = number;

const ms = z.number().describe('milliseconds on the run clock (0 = run start)');

/**
 * How a long-lived chat stream travels: an EventSource, a fetch whose response body is read as a stream, an XHR
 * read while LOADING, or a WebSocket.
 */
export const STREAM_TRANSPORTS = ['eventsource', 'fetch-stream', 'xhr-stream', 'websocket'] as const;
export const streamTransportSchema = z.enum(STREAM_TRANSPORTS);

const transportCountsSchema = z
  .object(
    Object.fromEntries(STREAM_TRANSPORTS.map((k) => [k, z.number().int().nonnegative().optional()])) as Record<
      (typeof STREAM_TRANSPORTS)[number],
      Z.ZodOptional<Z.ZodNumber>
    >,
  )
  .strict();

/** Open chat-stream connections as each witness sees them at one moment. */
export const witnessCountsSchema = z
  .object({
    server: z
      .number()
      .int()
      .nonnegative()
      .optional()
      .describe('open chat-stream sockets at the mock backend (connection ledger); absent in watch --attach reports'),
    serverDraining: z
      .number()
      .int()
      .nonnegative()
      .optional()
      .describe('of server: sockets whose EventSource the page already closed, the browser still reading the response'),
    page: z.number().int().nonnegative().optional().describe('EventSources in readyState OPEN (in-page probe)'),
    pageConnecting: z
      .number()
      .int()
      .nonnegative()
      .optional()
      .describe('EventSources in readyState CONNECTING (in-page probe)'),
    cdp: z
      .number()
      .int()
      .nonnegative()
      .optional()
      .describe('EventSource requests answered and not ended (CDP Network)'),
    cdpQueued: z
      .number()
      .int()
      .nonnegative()
      .optional()
      .describe('EventSource requests waiting for a socket in the pool (CDP Network)'),
    cdpObjects: z
      .number()
      .int()
      .nonnegative()
      .optional()
      .describe('live OPEN EventSource and WebSocket objects on the JS heap (CDP Runtime.queryObjects)'),
    transports: z
      .object({ server: transportCountsSchema, page: transportCountsSchema, cdp: transportCountsSchema })
      .partial()
      .strict()
      .optional()
      .describe(
        'the open counts of server, page and cdp split by transport; absent when every open stream is an EventSource',
      ),
  })
  .strict();

/** The first place a shown answer differs from its script, with both texts around it (see oracles/divergence.ts). */
export const divergenceSchema = z
  .object({
    kind: z
      .enum(['lost', 'doubled', 'foreign', 'reordered', 'extra', 'changed', 'truncated'])
      .describe(
        "lost: scripted text skipped; doubled: shown text repeated; foreign: another session's script; reordered: the right pieces in another order; extra: text in no script put in, or past the end of the script; changed: text in no script; truncated: the shown text stops short of the script",
      ),
    offset: z.number().int().nonnegative().describe('chars before the first one that differs'),
    from: z.number().int().nonnegative().describe('where both windows start (offset minus up to 40)'),
    expected: z.string().describe('the script from `from` to 40 chars past offset'),
    shown: z.string().describe("the shown text from `from` to 40 chars past offset (the UI's text: untrusted)"),
    detail: z.string().describe('what is missing, repeated or foreign, with offsets in the script'),
  })
  .strict();

/** Where the UI's code created an EventSource: the first stack frame outside the harness's probe. */
export const creationSiteSchema = z
  .object({
    file: z.string().describe("the script's URL path on the page's origin, else its whole URL"),
    line: z.number().int(),
    column: z.number().int(),
    function: z.string().optional().describe('the calling function as the browser names it; absent for top-level code'),
  })
  .strict();

const ev = <K extends string, S extends Z.ZodRawShape>(kind: K, shape: S) =>
  z.object({ kind: z.literal(kind), t: ms, ...shape }).strict();

/** The first tab of a run: views and visibility changes that name no tab are its. */
export const FIRST_TAB = 'main';

/** Every kind of event a timeline holds; the JSON report's timelines are validated with it. */
export const timelineEventSchema = z.discriminatedUnion('kind', [
  ev('step-start', { index: z.number().int(), path: z.string(), step: z.string(), detail: z.string().optional() }),
  ev('step-end', {
    index: z.number().int(),
    path: z.string(),
    step: z.string(),
    ok: z.boolean(),
    error: z.string().optional(),
  }),
  /** The user turns to a session at t; a switch is over once the UI shows it (shown), which under load takes a while. */
  ev('view', {
    session: z.string().nullable(),
    alias: z.string().nullable(),
    shown: z
      .number()
      .optional()
      .describe('when the UI showed the session; from t until then the UI was still switching'),
    tab: z
      .string()
      .optional()
      .describe('the tab whose view this is, once a scenario opened tabs (absent: the first tab, "main")'),
  }),
  /** The page hidden or shown; with a tab, only that tab, sent to the background or brought forward by switchTab. */
  ev('visibility', {
    hidden: z.boolean(),
    frozen: z.boolean(),
    how: z.string(),
    tab: z.string().optional().describe('the tab a switchTab hid or showed; absent: the page the user has in front'),
  }),
  ev('run-start', { streamId: z.string(), session: z.string(), script: z.string() }),
  /** The user sent a message in a session (the send step), before the UI had a chance to request anything. */
  ev('turn-sent', { session: z.string() }),
  /** The server got a request that starts a turn (a chat start, an AI SDK chat POST), accepted or refused. */
  ev('turn-request', {
    session: z.string().nullable(),
    path: z.string(),
    status: z.number().int().describe('what the server answered: 2xx started a run, 409 found one running'),
  }),
  ev('run-end', { streamId: z.string(), session: z.string(), reason: z.enum(['complete', 'cancel']) }),
  ev('sse-open', {
    socket: z.number().int(),
    streamId: z.string().nullable(),
    session: z.string().nullable(),
    path: z.string(),
    afterSeq: z.number(),
    transport: streamTransportSchema
      .optional()
      .describe('how the stream travels, as the request shows it (absent in older timelines: an EventSource)'),
  }),
  /**
   * The page called close() on a chat-stream EventSource (in-page probe): the UI let go of it, even while the server
   * still sees the socket (Chromium reads the rest of a cancelled response for a while to reuse the connection).
   */
  ev('page-close', {
    streamId: z.string().nullable(),
    afterSeq: z.number(),
    path: z
      .string()
      .optional()
      .describe(
        "the stream's URL path, for a stream other than an EventSource: matches it to its socket when the URL names no stream_id",
      ),
  }),
  /**
   * The user reloaded the page or navigated it elsewhere: the document that held the chat streams is going away, so
   * every stream open now is let go of by the page, whatever the server still sees while the browser drains them.
   */
  ev('page-unload', {
    how: z
      .enum(['reload', 'navigate'])
      .describe('the user reloaded the page, or opened the UI again over it; every chat stream then open is let go of'),
  }),
  /** The page created a chat-stream EventSource (in-page probe), and where in the UI's source it did. */
  ev('page-open', {
    streamId: z.string().nullable(),
    afterSeq: z.number(),
    transport: streamTransportSchema.optional().describe('absent in older timelines: an EventSource'),
    site: creationSiteSchema
      .optional()
      .describe("where the UI's code created the EventSource (first stack frame outside the probe)"),
  }),
  ev('sse-close', {
    socket: z.number().int(),
    streamId: z.string().nullable(),
    session: z.string().nullable(),
    by: z.enum(['client', 'server']),
    events: z.number().int(),
    bytes: z.number().int(),
  }),
  ev('server-drop', { streamId: z.string(), sockets: z.number().int(), why: z.string() }),
  ev('request', { method: z.string(), path: z.string(), status: z.number().int() }),
  ev('sample', {
    step: z.string(),
    witnesses: witnessCountsSchema,
    /** A periodic sample between steps (cheap witnesses only), not a step's settled sample. */
    tick: z.boolean().optional(),
    /** CDP Memory.getDOMCounters and Performance.getMetrics at a step's end (Chromium). */
    dom: z.object({ nodes: z.number(), listeners: z.number(), documents: z.number() }).strict().optional(),
    taskMs: z.number().optional(),
    heapBytes: z.number().optional(),
  }),
  /** Witnesses that still disagree after a step settled: the pool is exhausted, or one witness sees what others do not. */
  ev('finding', {
    step: z.string(),
    finding: z.enum(['pool-exhaustion', 'witness-disagreement']),
    summary: z.string(),
    witnesses: witnessCountsSchema,
  }),
  /** The harness itself held the page's main thread (a CDP heap census); stalls inside are not the page's. */
  ev('probe-pause', { duration: z.number(), what: z.string() }),
  ev('stall', { duration: z.number(), source: z.enum(['heartbeat', 'longtask', 'loaf', 'cdp', 'unresponsive']) }),
  /**
   * What the UI shows as the answer of the viewed session; prefixOk: a prefix of the scripted answer. When it is not,
   * divergence says where it first differs and how (excerpt: the first chars, in reports of older versions).
   */
  ev('text', {
    session: z.string(),
    length: z.number().int(),
    scripted: z.number().int(),
    prefixOk: z.boolean(),
    excerpt: z.string().optional().describe('older reports: the first chars of a text that was not a prefix'),
    divergence: divergenceSchema
      .optional()
      .describe('when prefixOk is false: where and how the text first left its script'),
  }),
  ev('hidden-request', { path: z.string() }),
  ev('page-error', { message: z.string() }),
  ev('note', { message: z.string() }),
]);

export type TimelineEvent = Z.infer<typeof timelineEventSchema>;
export type EventKind = TimelineEvent['kind'];
export type WitnessCounts = Z.infer<typeof witnessCountsSchema>;
export type StreamTransport = Z.infer<typeof streamTransportSchema>;
/** Open streams of each transport; a transport with none may be absent. */
export type TransportCounts = Z.infer<typeof transportCountsSchema>;
export type Divergence = Z.infer<typeof divergenceSchema>;
/** How a shown answer left its script (see oracles/divergence.ts). */
export type DivergenceKind = Divergence['kind'];
export type CreationSite = Z.infer<typeof creationSiteSchema>;

export class Timeline {
  readonly t0: number;
  readonly events: TimelineEvent[] = [];

  constructor(t0 = Date.now()) {
    this.t0 = t0;
  }

  now(): Ms {
    return Date.now() - this.t0;
  }

  /** Converts an epoch timestamp (e.g. from the page) onto this clock. */
  fromEpoch(epochMs: number): Ms {
    return epochMs - this.t0;
  }

  add<E extends TimelineEvent>(event: E): E {
    this.events.push(event);
    return event;
  }

  /** Events sorted by time (page events arrive late, so insertion order is not time order). */
  ordered(): TimelineEvent[] {
    return [...this.events].sort((a, b) => a.t - b.t);
  }

  of<K extends EventKind>(kind: K): Extract<TimelineEvent, { kind: K }>[] {
    return this.ordered().filter((e): e is Extract<TimelineEvent, { kind: K }> => e.kind === kind);
  }
}
