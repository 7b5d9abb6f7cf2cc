// CDP probe: the Chromium witness — live EventSource and WebSocket objects, every chat stream's network lifecycle
// (EventSource, fetch and XHR streams, WebSockets), DOM counters, main-thread time and long tasks.
import CDP from 'chrome-remote-interface';
import type { StreamTransport, TransportCounts } from '../timeline.ts';
import { matchesStreamRoute } from './stream-routes.ts';
// The protocol's own types, through the package @types/chrome-remote-interface already builds on.
import type { ProtocolMapping } from 'devtools-protocol/types/protocol-mapping.js';

/** Every reading says whether it is fresh; a stale one is the last good value, kept because the page did not answer. */
export interface CdpReading {
  /** True when this call failed (main thread busy past the deadline, navigating, detached) and the values are the last known. */
  stale: boolean;
  /** Epoch ms at which the values were measured. */
  at: number;
  /** Why the last call failed, when stale. */
  error?: string;
}

export interface CdpCensus extends CdpReading {
  /** Epoch ms the census began: the page's main thread was held for much of [startedAt, at] by the heap walk. */
  startedAt: number;
  open: number;
  connecting: number;
  closed: number;
  total: number;
  /** Open ones by transport: EventSources, and WebSockets once the network has shown one. */
  transports: TransportCounts;
  sources: { url: string; readyState: number; transport?: StreamTransport }[];
}

export interface CdpDomCounters extends CdpReading {
  documents: number;
  nodes: number;
  jsEventListeners: number;
}

export interface CdpMetrics extends CdpReading {
  taskDurationMs: number;
  scriptDurationMs: number;
  layoutDurationMs: number;
  recalcStyleDurationMs: number;
  jsHeapUsedBytes: number;
}

export interface CdpLongTask {
  /** Epoch ms at which the task started. */
  t: number;
  duration: number;
}

/** A chat stream's network events; `transport` is absent for an EventSource. */
export type CdpNetworkEvent = (
  | { kind: 'es-request'; t: number; requestId: string; url: string }
  /** Response headers arrived: the request left the HTTP/1.1 pool's queue and holds a socket. */
  | { kind: 'es-response'; t: number; requestId: string; url: string; status: number }
  | { kind: 'es-message'; t: number; requestId: string; url: string; eventName: string; eventId: string; bytes: number }
  | {
      kind: 'es-end';
      t: number;
      requestId: string;
      url: string;
      reason: 'canceled' | 'finished' | `failed: ${string}`;
    }
) & { transport?: Exclude<StreamTransport, 'eventsource'> };

/**
 * One chat stream as the Network domain shows it: an EventSource request; a Fetch or XHR request answered with a
 * stream (text/event-stream, or a body on a named stream route); a WebSocket (created, handshake answered, closed).
 */
export interface CdpEventSourceRequest {
  requestId: string;
  url: string;
  transport: StreamTransport;
  startedAt: number;
  respondedAt: number | null;
  /** The protocol it was answered over (http/1.1, h2…): the 6-per-host pool limits HTTP/1.1 only. */
  protocol?: string;
  status: number | null;
  endedAt: number | null;
  endReason: string | null;
  messages: number;
}

export interface CdpProbeStatus {
  attached: boolean;
  targetId: string | null;
  attachedUrl: string | null;
  /** Calls that hit their deadline since attach: a page that keeps timing out is choking (a frozen page still answers). */
  timeouts: number;
  lastError: string | null;
  /** Network events dropped because nobody drained them (buffer cap). */
  droppedNetworkEvents: number;
  /** Long tasks the page-side buffer dropped because nobody drained them. */
  droppedLongTasks: number;
  /** Null when the long-task observer runs, else why it could not be installed. */
  longTaskError: string | null;
}

export interface CdpAttachOptions {
  port: number;
  host?: string;
  /** Pick the page whose URL contains this; waits for it up to attachTimeoutMs (the page may still be navigating). */
  urlIncludes?: string;
  /** Attach to exactly this target (watch attaches to every page of a browser). */
  targetId?: string;
  attachTimeoutMs?: number;
}

type Client = CDP.Client;
type Commands = ProtocolMapping.Commands;

class Deadline extends Error {}

const EVENT_CAP = 50_000;
// Ended requests kept for networkRequests(); a soak that reconnects every few seconds must not grow without bound.
const ENDED_CAP = 5_000;
/** Unanswered non-EventSource requests kept at most (the oldest go first): a page never answered stays bounded. */
const UNANSWERED_CAP = 1_000;
const WORLD = 'sse-harness-cdp';

// Walks up from whatever `EventSource` is now to the interface prototype that owns the native readyState
// getter: the in-page probe swaps the constructor but keeps that prototype, and an app's `class extends
// EventSource` puts its own prototype in front of it. Instances of either chain through the native one.
// The same for WebSocket, which the page probe wraps the same way.
const NATIVE_PROTO = (ctor: 'EventSource' | 'WebSocket') => `(() => {
  let p = typeof ${ctor} === 'function' ? ${ctor}.prototype : null;
  while (p && !Object.getOwnPropertyDescriptor(p, 'readyState')) p = Object.getPrototypeOf(p);
  return p;
})()`;

// queryObjects also returns prototype objects of subclasses; the native getter rejects those (illegal invocation).
const READ_STATES = `function (proto) {
  const get = Object.getOwnPropertyDescriptor(proto, 'readyState').get;
  const urlGet = Object.getOwnPropertyDescriptor(proto, 'url').get;
  const out = [];
  for (const es of this) {
    try { out.push({ url: urlGet.call(es), readyState: get.call(es) }); } catch (e) { /* not an instance */ }
  }
  return out;
}`;

// Entries carry a sequence number and leave the page only when the next drain acknowledges them, so an answer
// lost on the way (connection trouble, a navigation racing the drain) is sent again.
const LONG_TASKS = (ack: number) => `((ack) => {
  const K = '__sseHarnessCdpLongTasks';
  let s = globalThis[K];
  if (!s) {
    s = globalThis[K] = { seq: 0, entries: [], dropped: 0, error: null };
    try {
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) s.entries.push({ seq: ++s.seq, t: performance.timeOrigin + e.startTime, duration: e.duration });
        if (s.entries.length > 5000) s.dropped += s.entries.splice(0, s.entries.length - 5000).length;
      }).observe({ type: 'longtask', buffered: true });
    } catch (e) {
      s.error = String(e && e.message || e);
    }
  }
  s.entries = s.entries.filter((e) => e.seq > ack);
  return { entries: s.entries, dropped: s.dropped, error: s.error };
})(${ack})`;

const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export class CdpProbe {
  /** Milliseconds each CDP call may take before the probe gives up on it and answers with last known values. */
  readonly deadlineMs: number;
  private client: Client | null = null;
  private target: CDP.Target | null = null;
  private attached = false;
  private timeouts = 0;
  private lastError: string | null = null;

  private lastCensus: CdpCensus | null = null;
  private lastDom: CdpDomCounters | null = null;
  private lastMetrics: CdpMetrics | null = null;

  private readonly requests = new Map<string, CdpEventSourceRequest>();
  /**
   * Requests of every other kind (fetch, XHR, documents, scripts) sent and not yet answered with headers: a request
   * that waits while its origin's six connections are held by EventSources is how a full pool shows.
   */
  private readonly unanswered = new Map<string, { url: string; startedAt: number }>();
  /** requestId → the document (loaderId) that opened it. */
  private readonly loaders = new Map<string, string>();
  private events: CdpNetworkEvent[] = [];
  private droppedEvents = 0;
  private endedCount = 0;
  private readonly messageEvents: boolean;
  /** Epoch ms minus CDP monotonic ms, learned from requestWillBeSent's wallTime. */
  private clockOffset: number | null = null;
  /** The chat stream routes the mock backend names in the page probe's URL; null: every EventSource counts. */
  private chatRoutes: string[] | null = null;
  /**
   * Fetch and XHR requests not yet known to stream: a response with a stream makes one a chat stream. One on a named
   * stream route is counted at once, as waiting for a socket, and dropped if its answer does not stream.
   */
  private readonly candidates = new Map<
    string,
    { url: string; startedAt: number; transport: 'fetch-stream' | 'xhr-stream'; loaderId: string }
  >();
  /** A WebSocket was seen: the heap census then counts WebSocket objects too (one more heap walk). */
  private sawWebSocket = false;

  private worldContext: number | null = null;
  private longTaskAck = 0;
  private pendingLongTasks: CdpLongTask[] = [];
  private readonly inflight = new Map<string, Promise<unknown>>();
  private droppedLongTasks = 0;
  private longTaskError: string | null = null;
  private groupSeq = 0;

  /** messageEvents: false keeps es-message out of networkEvents() (counts per request still kept) for floods. */
  constructor(opts: { deadlineMs?: number; messageEvents?: boolean } = {}) {
    this.deadlineMs = opts.deadlineMs ?? 2000;
    this.messageEvents = opts.messageEvents ?? true;
  }

  async attach(opts: CdpAttachOptions): Promise<this> {
    if (this.client) throw new Error('sse-harness: this CDP probe is already attached; close it first.');
    const host = opts.host ?? '127.0.0.1';
    const until = Date.now() + (opts.attachTimeoutMs ?? 5000);
    let seen: CDP.Target[];
    for (;;) {
      seen = await this.within(CDP.List({ host, port: opts.port }), 'listing DevTools targets').catch((e) => {
        throw new Error(
          `sse-harness: cannot list DevTools targets on ${host}:${opts.port} (${errText(e)}); was the browser started with --remote-debugging-port?`,
        );
      });
      const pick = opts.targetId
        ? seen.find((t) => t.id === opts.targetId)
        : seen.find(
            (t) =>
              t.type === 'page' &&
              !t.url.startsWith('devtools://') &&
              (opts.urlIncludes === undefined || t.url.includes(opts.urlIncludes)),
          );
      if (pick) {
        this.target = pick;
        break;
      }
      if (Date.now() >= until) {
        const what =
          opts.urlIncludes === undefined ? 'a page target' : `a page target whose URL contains "${opts.urlIncludes}"`;
        throw new Error(
          `sse-harness: no ${what} on DevTools port ${opts.port}; targets: ${seen.map((t) => `${t.type} ${t.url}`).join(', ') || 'none'}.`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const client = await this.within(
      CDP({ host, port: opts.port, target: this.target, local: true }),
      'connecting to the page target',
    ).catch((e) => {
      throw new Error(
        `sse-harness: cannot attach to page ${this.target?.url} on DevTools port ${opts.port}: ${errText(e)}.`,
      );
    });
    this.client = client;
    this.attached = true;
    client.on('disconnect', () => {
      this.attached = false;
      this.lastError = 'sse-harness: the DevTools connection closed (browser gone or page closed).';
    });
    this.listen(client);
    try {
      // Small devtools body buffers: SSE responses never end, and a soak must not grow the renderer on our behalf.
      await this.guarded('Network.enable', () =>
        this.send('Network.enable', { maxTotalBufferSize: 1 << 20, maxResourceBufferSize: 64 << 10 }),
      );
      await this.guarded('Performance.enable', () => this.send('Performance.enable'));
    } catch (e) {
      await this.close();
      throw new Error(
        `sse-harness: attached to ${this.target.url} but could not enable Network/Performance: ${errText(e)}.`,
        { cause: e },
      );
    }
    // Installing early lets buffered:true catch tasks from page start; a failure here is retried on every drain.
    await this.longTasks().catch(() => {});
    return this;
  }

  status(): CdpProbeStatus {
    return {
      attached: this.attached,
      targetId: this.target?.id ?? null,
      attachedUrl: this.target?.url ?? null,
      timeouts: this.timeouts,
      lastError: this.lastError,
      droppedNetworkEvents: this.droppedEvents,
      droppedLongTasks: this.droppedLongTasks,
      longTaskError: this.longTaskError,
    };
  }

  /**
   * Live EventSource objects in the page's main world, by readyState. Costly: queryObjects walks the whole JS heap
   * on the page's main thread, for longer the bigger the heap, and the page sees that as a stall.
   */
  async census(): Promise<CdpCensus | null> {
    try {
      return (this.lastCensus = await this.guarded('census', () => this.takeCensus()));
    } catch (e) {
      return this.stale(this.lastCensus, e);
    }
  }

  private async takeCensus(): Promise<CdpCensus> {
    const group = `sse-harness-census-${++this.groupSeq}`;
    const startedAt = Date.now();
    try {
      const c: CdpCensus = {
        open: 0,
        connecting: 0,
        closed: 0,
        total: 0,
        transports: {},
        sources: [],
        stale: false,
        at: 0,
        startedAt,
      };
      const kinds = [
        ['EventSource', 'eventsource'] as const,
        ...(this.sawWebSocket ? [['WebSocket', 'websocket'] as const] : []),
      ];
      for (const [ctor, transport] of kinds) {
        const found = await this.liveObjects(ctor, group);
        for (const s of found) {
          c.sources.push(transport === 'eventsource' ? s : { ...s, transport });
          if (!this.isChat(s.url)) continue;
          c.total++;
          if (s.readyState === 0) c.connecting++;
          else if (s.readyState === 1) {
            c.open++;
            c.transports[transport] = (c.transports[transport] ?? 0) + 1;
          } else c.closed++;
        }
      }
      c.at = Date.now();
      return c;
    } finally {
      // Not awaited: the group dies with the document anyway, and a dead page must not hold the census up.
      this.send('Runtime.releaseObjectGroup', { objectGroup: group }).catch(() => {});
    }
  }

  /** The live objects of one constructor in the page's main world, with their URL and readyState. */
  private async liveObjects(
    ctor: 'EventSource' | 'WebSocket',
    group: string,
  ): Promise<{ url: string; readyState: number }[]> {
    const proto = await this.send('Runtime.evaluate', {
      expression: NATIVE_PROTO(ctor),
      objectGroup: group,
      silent: true,
    });
    if (proto.exceptionDetails)
      throw new Error(`sse-harness: finding ${ctor}.prototype threw: ${proto.exceptionDetails.text}`);
    if (!proto.result.objectId) return [];
    const found = await this.send('Runtime.queryObjects', {
      prototypeObjectId: proto.result.objectId,
      objectGroup: group,
    });
    if (!found.objects.objectId) throw new Error('sse-harness: Runtime.queryObjects returned no array.');
    const read = await this.send('Runtime.callFunctionOn', {
      objectId: found.objects.objectId,
      functionDeclaration: READ_STATES,
      arguments: [{ objectId: proto.result.objectId }],
      returnByValue: true,
      silent: true,
    });
    if (read.exceptionDetails) throw new Error(`sse-harness: reading readyState threw: ${read.exceptionDetails.text}`);
    return (read.result.value ?? []) as { url: string; readyState: number }[];
  }

  /** Chat streams only, as at the server, once the page probe's URL has named their routes (a UI's side feeds are not). */
  private isChat(url: string): boolean {
    if (this.chatRoutes === null) return true;
    try {
      return matchesStreamRoute(new URL(url).pathname, this.chatRoutes);
    } catch {
      return false;
    }
  }

  /**
   * Whether a tracked request is a chat stream: an EventSource or WebSocket on a named route; a fetch or XHR stream
   * wherever it is, as the page probe counts it (it is tracked only on a named route or for a text/event-stream
   * answer).
   */
  private counted(r: CdpEventSourceRequest): boolean {
    return r.transport === 'fetch-stream' || r.transport === 'xhr-stream' || this.isChat(r.url);
  }

  /** On a named stream route (false while none are named: then only a text/event-stream answer makes a stream). */
  private onRoute(url: string): boolean {
    return this.chatRoutes !== null && this.isChat(url);
  }

  /** Chat streams the browser started and has not ended (answered or still queued for a socket), every transport. */
  networkOpen(): number {
    let n = 0;
    for (const r of this.requests.values()) if (r.endedAt === null && this.counted(r)) n++;
    return n;
  }

  /** Of networkOpen, the answered ones by transport (a WebSocket once its handshake is answered). */
  networkOpenByTransport(): TransportCounts {
    const out: TransportCounts = {};
    for (const r of this.requests.values())
      if (r.endedAt === null && r.respondedAt !== null && this.counted(r))
        out[r.transport] = (out[r.transport] ?? 0) + 1;
    return out;
  }

  /**
   * Chat-stream requests over HTTP started and not ended that have no response yet: in practice, waiting for a
   * socket in the 6-per-host HTTP/1.1 pool (a server that is slow to send headers looks the same). A WebSocket's
   * handshake waits in no such pool and is not counted.
   */
  networkQueued(): number {
    let n = 0;
    for (const r of this.requests.values())
      if (r.endedAt === null && r.respondedAt === null && r.transport !== 'websocket' && this.counted(r)) n++;
    return n;
  }

  /** Requests other than chat streams sent at least minAgeMs ago and still without response headers. */
  waitingRequests(minAgeMs: number): { url: string; startedAt: number }[] {
    const before = Date.now() - minAgeMs;
    return [...this.unanswered.values()].filter((r) => r.startedAt <= before).map((r) => ({ ...r }));
  }

  /** Every chat-stream request seen since attach, every transport (requests started before attach are invisible). */
  networkRequests(): CdpEventSourceRequest[] {
    return [...this.requests.values()].map((r) => ({ ...r }));
  }

  /** Network-level chat-stream events since the last call. */
  networkEvents(): CdpNetworkEvent[] {
    const out = this.events;
    this.events = [];
    return out;
  }

  async domCounters(): Promise<CdpDomCounters | null> {
    try {
      const d = await this.guarded('Memory.getDOMCounters', () => this.send('Memory.getDOMCounters'));
      return (this.lastDom = {
        documents: d.documents,
        nodes: d.nodes,
        jsEventListeners: d.jsEventListeners,
        stale: false,
        at: Date.now(),
      });
    } catch (e) {
      return this.stale(this.lastDom, e);
    }
  }

  /** Cumulative main-thread time of the renderer since it started (not since attach): diff two readings. */
  async metrics(): Promise<CdpMetrics | null> {
    try {
      const { metrics } = await this.guarded('Performance.getMetrics', () => this.send('Performance.getMetrics'));
      const v = (name: string) => metrics.find((m) => m.name === name)?.value ?? 0;
      return (this.lastMetrics = {
        taskDurationMs: v('TaskDuration') * 1000,
        scriptDurationMs: v('ScriptDuration') * 1000,
        layoutDurationMs: v('LayoutDuration') * 1000,
        recalcStyleDurationMs: v('RecalcStyleDuration') * 1000,
        jsHeapUsedBytes: v('JSHeapUsedSize'),
        stale: false,
        at: Date.now(),
      });
    } catch (e) {
      return this.stale(this.lastMetrics, e);
    }
  }

  /**
   * Long tasks (≥ 50 ms) since the last call, from a `longtask` PerformanceObserver the probe keeps in an isolated
   * world of the main frame, so the app can neither see nor break it. When the page does not answer in time the
   * call returns what it has and the rest comes with a later call. Tasks of a document that navigated away before
   * a drain are lost; a new document's early ones arrive through buffered:true, one drain after installation.
   */
  async longTasks(): Promise<CdpLongTask[]> {
    await this.guarded('longTasks', () => this.drainLongTasks()).catch((e) => this.note(e));
    const out = this.pendingLongTasks;
    this.pendingLongTasks = [];
    return out;
  }

  // Results land in pendingLongTasks, not in the return value: a caller that gave up at its deadline must not take them along.
  private async drainLongTasks(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        if (this.worldContext === null) {
          const { frameTree } = await this.send('Page.getFrameTree');
          const world = await this.send('Page.createIsolatedWorld', { frameId: frameTree.frame.id, worldName: WORLD });
          this.worldContext = world.executionContextId;
        }
        const r = await this.send('Runtime.evaluate', {
          expression: LONG_TASKS(this.longTaskAck),
          contextId: this.worldContext,
          returnByValue: true,
          silent: true,
        });
        if (r.exceptionDetails) throw new Error(`sse-harness: the long-task drain threw: ${r.exceptionDetails.text}`);
        const v = r.result.value as {
          entries: { seq: number; t: number; duration: number }[];
          dropped: number;
          error: string | null;
        };
        this.longTaskError = v.error;
        this.droppedLongTasks = v.dropped;
        const fresh = v.entries.filter((e) => e.seq > this.longTaskAck);
        const last = fresh[fresh.length - 1];
        if (last) this.longTaskAck = last.seq;
        for (const e of fresh) this.pendingLongTasks.push({ t: Math.round(e.t), duration: Math.round(e.duration) });
        return;
      } catch (e) {
        // A navigation destroys the world and its context id stops resolving: recreate it once.
        if (attempt >= 1 || !this.attached) throw e;
        this.worldContext = null;
        this.longTaskAck = 0;
      }
    }
  }

  /** Full GC in the page (HeapProfiler.collectGarbage); false when the page did not answer in time. */
  async collectGarbage(): Promise<boolean> {
    try {
      await this.guarded('HeapProfiler.collectGarbage', () => this.send('HeapProfiler.collectGarbage'));
      return true;
    } catch (e) {
      this.note(e);
      return false;
    }
  }

  /** The raw client, for one-off commands in tests and investigations; null when detached. */
  get raw(): Client | null {
    return this.client;
  }

  /** Detaches; the browser and the page stay as they are. */
  async close(): Promise<void> {
    const c = this.client;
    this.client = null;
    this.attached = false;
    this.worldContext = null;
    this.inflight.clear();
    if (c) await this.within(c.close(), 'closing the DevTools connection').catch(() => {});
  }

  private listen(client: Client): void {
    const epoch = (monotonicSec: number) =>
      this.clockOffset === null ? Date.now() : Math.round(this.clockOffset + monotonicSec * 1000);
    const push = (e: CdpNetworkEvent) => this.pushEvent(e);
    client.on('Network.requestWillBeSent', (p) => {
      // A new main-frame document: the old document's streams die with it, but Chromium reports no end for them.
      if (
        p.type === 'Document' &&
        (p.frameId === this.target?.id || p.frameId === undefined) &&
        p.redirectResponse === undefined
      ) {
        for (const [id, r] of this.requests)
          if (r.endedAt === null && this.loaders.get(id) !== p.loaderId) end(id, p.timestamp, 'canceled');
      }
      if (p.type === 'Script' && p.request.url.includes('/__harness/probe.js?')) {
        const named = new URL(p.request.url).searchParams.getAll('chat');
        if (named.length) this.chatRoutes = named;
      }
      this.clockOffset ??= p.wallTime * 1000 - p.timestamp * 1000;
      const scripted =
        p.type === 'Fetch' ? ('fetch-stream' as const) : p.type === 'XHR' ? ('xhr-stream' as const) : null;
      if (scripted && !this.requests.has(p.requestId)) {
        const c = { url: p.request.url, startedAt: epoch(p.timestamp), transport: scripted, loaderId: p.loaderId };
        if (this.onRoute(c.url)) {
          this.loaders.set(p.requestId, p.loaderId);
          this.track(p.requestId, c.url, c.startedAt, scripted);
        } else {
          if (this.candidates.size >= UNANSWERED_CAP) this.candidates.delete(this.candidates.keys().next().value!);
          this.candidates.set(p.requestId, c);
        }
      }
      if (p.type !== 'EventSource') {
        if (/^https?:/.test(p.request.url) && !this.unanswered.has(p.requestId) && !this.requests.has(p.requestId)) {
          if (this.unanswered.size >= UNANSWERED_CAP) this.unanswered.delete(this.unanswered.keys().next().value!);
          this.unanswered.set(p.requestId, { url: p.request.url, startedAt: epoch(p.timestamp) });
        }
        return;
      }
      this.loaders.set(p.requestId, p.loaderId);
      this.clockOffset = p.wallTime * 1000 - p.timestamp * 1000;
      // A redirect reuses the requestId: same connection attempt, new URL.
      const known = this.requests.get(p.requestId);
      if (known) {
        known.url = p.request.url;
        return;
      }
      this.track(p.requestId, p.request.url, epoch(p.timestamp), 'eventsource');
    });
    client.on('Network.responseReceived', (p) => {
      this.unanswered.delete(p.requestId);
      const candidate = this.candidates.get(p.requestId);
      this.candidates.delete(p.requestId);
      let r = this.requests.get(p.requestId);
      if (r && r.transport !== 'eventsource' && r.respondedAt === null && !streams(p.response, true)) {
        // On a stream route, but answered without a stream (an error, nothing to resume): no stream after all.
        this.requests.delete(p.requestId);
        this.loaders.delete(p.requestId);
        return;
      }
      if (!r && candidate && streams(p.response, false)) {
        this.loaders.set(p.requestId, candidate.loaderId);
        r = this.track(p.requestId, candidate.url, candidate.startedAt, candidate.transport);
      }
      if (!r || r.respondedAt !== null) return;
      r.respondedAt = epoch(p.timestamp);
      r.status = p.response.status;
      if (p.response.protocol) r.protocol = p.response.protocol;
      push({ kind: 'es-response', t: r.respondedAt, requestId: r.requestId, url: r.url, status: r.status, ...tag(r) });
    });
    // A response streams when it is text/event-stream, or has a body on a named stream route that is not JSON.
    const streams = (res: { mimeType: string; status: number }, onRoute: boolean) =>
      /^text\/event-stream/i.test(res.mimeType) ||
      (onRoute && res.status >= 200 && res.status < 300 && res.status !== 204 && !/json/i.test(res.mimeType));
    const tag = (r: CdpEventSourceRequest) => (r.transport === 'eventsource' ? {} : { transport: r.transport });
    client.on('Network.webSocketCreated', (p) => {
      this.sawWebSocket = true;
      this.track(p.requestId, p.url, Date.now(), 'websocket');
    });
    client.on('Network.webSocketHandshakeResponseReceived', (p) => {
      const r = this.requests.get(p.requestId);
      if (!r || r.respondedAt !== null) return;
      r.respondedAt = epoch(p.timestamp);
      r.status = p.response.status;
      push({ kind: 'es-response', t: r.respondedAt, requestId: r.requestId, url: r.url, status: r.status, ...tag(r) });
    });
    client.on('Network.webSocketFrameReceived', (p) => {
      const r = this.requests.get(p.requestId);
      if (r) r.messages++;
    });
    client.on('Network.webSocketClosed', (p) => end(p.requestId, p.timestamp, 'finished'));
    client.on('Network.eventSourceMessageReceived', (p) => {
      const r = this.requests.get(p.requestId);
      if (!r) return;
      r.messages++;
      if (this.messageEvents)
        push({
          kind: 'es-message',
          t: epoch(p.timestamp),
          requestId: r.requestId,
          url: r.url,
          eventName: p.eventName,
          eventId: p.eventId,
          bytes: p.data.length,
        });
    });
    const end = (requestId: string, timestamp: number, reason: 'canceled' | 'finished' | `failed: ${string}`) => {
      const r = this.requests.get(requestId);
      if (!r || r.endedAt !== null) return;
      r.endedAt = epoch(timestamp);
      r.endReason = reason;
      push({ kind: 'es-end', t: r.endedAt, requestId, url: r.url, reason, ...tag(r) });
      if (++this.endedCount > ENDED_CAP) {
        for (const [id, old] of this.requests) {
          if (old.endedAt === null) continue;
          this.requests.delete(id);
          this.loaders.delete(id);
          if (--this.endedCount <= ENDED_CAP) break;
        }
      }
    };
    client.on('Network.loadingFailed', (p) => {
      this.unanswered.delete(p.requestId);
      this.candidates.delete(p.requestId);
      end(p.requestId, p.timestamp, p.canceled ? 'canceled' : `failed: ${p.errorText}`);
    });
    client.on('Network.loadingFinished', (p) => {
      this.unanswered.delete(p.requestId);
      this.candidates.delete(p.requestId);
      end(p.requestId, p.timestamp, 'finished');
    });
  }

  /** A chat-stream request from now on; its es-request event goes out. */
  private track(requestId: string, url: string, t: number, transport: StreamTransport): CdpEventSourceRequest {
    const r: CdpEventSourceRequest = {
      requestId,
      url,
      transport,
      startedAt: t,
      respondedAt: null,
      status: null,
      endedAt: null,
      endReason: null,
      messages: 0,
    };
    this.requests.set(requestId, r);
    this.pushEvent({ kind: 'es-request', t, requestId, url, ...(transport === 'eventsource' ? {} : { transport }) });
    return r;
  }

  private pushEvent(e: CdpNetworkEvent): void {
    this.events.push(e);
    if (this.events.length > EVENT_CAP)
      this.droppedEvents += this.events.splice(0, this.events.length - EVENT_CAP).length;
  }

  private stale<T extends CdpReading>(last: T | null, e: unknown): T | null {
    this.note(e);
    return last ? { ...last, stale: true, error: errText(e) } : null;
  }

  private note(e: unknown): void {
    if (e instanceof Deadline) this.timeouts++;
    this.lastError = errText(e);
  }

  // No deadline here: callers go through guarded(), which puts one on the whole exchange.
  private send<M extends keyof Commands>(
    method: M,
    ...params: Commands[M]['paramsType']
  ): Promise<Commands[M]['returnType']> {
    const c = this.client;
    if (!c || !this.attached) return Promise.reject(new Error('sse-harness: the CDP probe is not attached.'));
    return c.send(method, ...(params as [])) as Promise<Commands[M]['returnType']>;
  }

  // One exchange per kind at a time: a caller that arrives while the last one is still unanswered (page busy)
  // waits on that one instead of queueing another heap walk behind it, and gets its answer if it lands in time.
  private guarded<T>(key: string, work: () => Promise<T>): Promise<T> {
    let p = this.inflight.get(key) as Promise<T> | undefined;
    if (!p) {
      p = work().finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return this.within(p, key);
  }

  private within<T>(p: Promise<T>, what: string, ms = this.deadlineMs): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Deadline(
              `sse-harness: ${what} got no answer within ${ms} ms (main thread busy, page navigating, or browser gone).`,
            ),
          ),
        ms,
      );
    });
    // The losing promise may still reject later; swallow it so it is not an unhandled rejection.
    p.catch(() => {});
    return Promise.race([p, late]).finally(() => clearTimeout(timer));
  }
}
