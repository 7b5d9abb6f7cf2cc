// One ordered record of a scenario run: steps, witness samples and events on a single clock.

/** Milliseconds since the run started (Date.now()-based, shared by Node and the page). */
export type Ms = number;

export type TimelineEvent =
  | { kind: 'step-start'; t: Ms; index: number; path: string; step: string; detail?: string }
  | { kind: 'step-end'; t: Ms; index: number; path: string; step: string; ok: boolean; error?: string }
  /** The user turns to a session at t; a switch is over once the UI shows it (shown), which under load takes a while. */
  | { kind: 'view'; t: Ms; session: string | null; alias: string | null; shown?: Ms }
  | { kind: 'visibility'; t: Ms; hidden: boolean; frozen: boolean; how: string }
  | { kind: 'run-start'; t: Ms; streamId: string; session: string; script: string }
  | { kind: 'run-end'; t: Ms; streamId: string; session: string; reason: 'complete' | 'cancel' }
  | {
      kind: 'sse-open';
      t: Ms;
      socket: number;
      streamId: string | null;
      session: string | null;
      path: string;
      afterSeq: number;
    }
  | {
      kind: 'sse-close';
      t: Ms;
      socket: number;
      streamId: string | null;
      session: string | null;
      by: 'client' | 'server';
      events: number;
      bytes: number;
    }
  /**
   * The page called close() on a chat-stream EventSource (in-page probe): the UI let go of it, even while the server
   * still sees the socket (Chromium reads the rest of a cancelled response for a while to reuse the connection).
   */
  | { kind: 'page-close'; t: Ms; streamId: string | null; afterSeq: number }
  /**
   * The user reloaded the page or navigated it elsewhere: the document that held the chat streams is going away, so
   * every stream open now is let go of by the page, whatever the server still sees while the browser drains them.
   */
  | { kind: 'page-unload'; t: Ms; how: 'reload' | 'navigate' }
  /** The page created a chat-stream EventSource (in-page probe), and where in the UI's source it did. */
  | { kind: 'page-open'; t: Ms; streamId: string | null; afterSeq: number; site?: CreationSite }
  | { kind: 'server-drop'; t: Ms; streamId: string; sockets: number; why: string }
  | { kind: 'request'; t: Ms; method: string; path: string; status: number }
  | {
      kind: 'sample';
      t: Ms;
      step: string;
      witnesses: WitnessCounts;
      /** A periodic sample between steps (cheap witnesses only), not a step's settled sample. */
      tick?: boolean;
      /** CDP Memory.getDOMCounters and Performance.getMetrics at a step's end (Chromium). */
      dom?: { nodes: number; listeners: number; documents: number };
      taskMs?: number;
      heapBytes?: number;
    }
  /** Witnesses that still disagree after a step settled: the pool is exhausted, or one witness sees what others do not. */
  | { kind: 'finding'; t: Ms; step: string; finding: 'pool-exhaustion' | 'witness-disagreement'; summary: string; witnesses: WitnessCounts }
  /** The harness itself held the page's main thread (a CDP heap census); stalls inside are not the page's. */
  | { kind: 'probe-pause'; t: Ms; duration: Ms; what: string }
  | { kind: 'stall'; t: Ms; duration: Ms; source: 'heartbeat' | 'longtask' | 'loaf' | 'cdp' | 'unresponsive' }
  /**
   * What the UI shows as the answer of the viewed session; prefixOk: a prefix of the scripted answer. When it is not,
   * divergence says where it first differs and how (excerpt: the first chars, in reports of older versions).
   */
  | { kind: 'text'; t: Ms; session: string; length: number; scripted: number; prefixOk: boolean; excerpt?: string; divergence?: Divergence }
  | { kind: 'hidden-request'; t: Ms; path: string }
  | { kind: 'page-error'; t: Ms; message: string }
  | { kind: 'note'; t: Ms; message: string };

/** How a shown answer left its script (see oracles/divergence.ts). */
export type DivergenceKind = 'lost' | 'doubled' | 'foreign' | 'reordered' | 'extra' | 'changed' | 'truncated';

/** The first place a shown answer differs from its script, with both texts around it. */
export interface Divergence {
  kind: DivergenceKind;
  /** Chars of the shown text (and of the script) before the first one that differs. */
  offset: number;
  /** Where both windows start: up to 40 chars before offset. */
  from: number;
  /** The script from `from`, to 40 chars past offset. */
  expected: string;
  /** The shown text from `from`, to 40 chars past offset. */
  shown: string;
  /** One phrase: what is missing, repeated or foreign, with the script's offsets. */
  detail: string;
}

/** Where the UI's code created an EventSource: the first stack frame outside the harness's probe. */
export interface CreationSite {
  /** The script's URL path when it is the page's origin (e.g. /static/app.js), else its whole URL. */
  file: string;
  line: number;
  column: number;
  /** The calling function as the browser names it; absent for top-level code. */
  function?: string;
}

export type EventKind = TimelineEvent['kind'];

/** Open chat-stream connections as each witness sees them at one moment. */
export interface WitnessCounts {
  /** Open chat-stream sockets at the mock backend (connection ledger); absent when there is no mock (watch --attach). */
  server?: number;
  /** EventSources in readyState OPEN (in-page probe). */
  page?: number;
  /** EventSources in readyState CONNECTING: waiting for a socket, or reconnecting (in-page probe). */
  pageConnecting?: number;
  /** EventSource requests answered and not ended (CDP Network domain). */
  cdp?: number;
  /** EventSource requests started but not answered: queued for a socket in the browser's pool (CDP). */
  cdpQueued?: number;
  /** Of `server`: sockets whose EventSource the page already closed, the browser still reading the response. */
  serverDraining?: number;
  /** Live EventSource objects in readyState OPEN on the JS heap (CDP Runtime.queryObjects, at step ends). */
  cdpObjects?: number;
}

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
