// The witnesses, sampled: between steps a cheap tick (server ledger, page probe, CDP network, long tasks), at the
// end of each step a settled sample (the witnesses given a moment to agree, then a heap census where a count is
// suspect), a lasting disagreement recorded as a finding. Reads of the page go through the typed probe client; what
// the page showed is recorded as text on the way.
import type { ChatBackend } from '../mock/chat-backend.ts';
import type { BrowserPage } from '../driver/types.ts';
import type { CdpProbe } from '../probe/cdp.ts';
import { agree, crossCheck } from '../probe/crosscheck.ts';
import { byTransport } from '../mock/ledger.ts';
import type { PageProbeClient } from '../probe/page-probe-client.ts';
import type { Target } from '../targets/types.ts';
import type { Timeline, WitnessCounts } from '../timeline.ts';
import { pageReleases } from '../timeline-queries.ts';
import { recordProbeEvents, type TextRecorder } from './page-events.ts';
import { shownOf, type PageCounts, type PageRead } from './page-read.ts';
import type { RunState } from './steps.ts';

/** How long a step's witnesses get to agree before a disagreement is a finding. */
const SETTLE_MS = 1000;

export interface SamplerParts {
  timeline: Timeline;
  backend: ChatBackend;
  target: Target;
  state: RunState;
  texts: TextRecorder;
  /** Set once the page is up (the probe client and CDP come with it). */
  page(): BrowserPage | undefined;
  probe(): PageProbeClient | undefined;
  cdp(): CdpProbe | undefined;
}

export class WitnessSampler {
  /** Server sockets whose EventSource the page closed (see pageReleases), kept up to date by readPage. */
  private released = new Map<number, number>();
  private ticks = 0;

  constructor(private readonly p: SamplerParts) {}

  /**
   * Drains the page probe's events onto the timeline and returns its EventSource counts (null without a probe);
   * withText also reads the session the UI shows and its answer, in the same round trip (one script per tick, not
   * two), and steps that wait on the UI poll with it: their last read starts the step's sample. Throws what the
   * page script threw (a page that stopped answering); an expression of the target that threw is returned. Only
   * the witnesses' own reads record the text: a step polls mid-switch, where a UI may show the new session's id
   * over the old one's answer for a moment.
   */
  async readPage(withText: boolean, recordShown = withText): Promise<PageRead> {
    const { timeline, backend, target } = this.p;
    const got = await this.p
      .probe()!
      .read(withText ? { sid: target.viewedSessionExpression, text: target.answerTextExpression } : undefined);
    const closes = recordProbeEvents(timeline, got.events, backend.url);
    // Which server sockets the page has let go of changes only with a new close(): matched once here, not per sample.
    if (closes) this.pageLetGo();
    const { events: _events, open, connecting, transports, ...shown } = got;
    const read: PageRead = {
      counts: open === undefined ? null : { open, connecting: connecting ?? 0, ...(transports ? { transports } : {}) },
      ...shown,
    };
    const both = shownOf(read);
    if (both && recordShown) this.p.texts.record(both);
    return read;
  }

  /** readPage for the witnesses: null when frozen, gone or not answering. */
  async drainPage(withText = false): Promise<PageCounts | null> {
    const { state } = this.p;
    if (!this.p.page() || state.frozen || state.pageHung) return null;
    return (await this.readPage(withText).catch(() => null))?.counts ?? null;
  }

  /**
   * What the UI shows, for a step waiting on it (the session it views, or the answer): read with the page's events
   * and counts while the page can be asked (the read that ends the step starts its sample), else by the expression
   * alone. The step fails if the expression it needs throws.
   */
  async shownInUi(need: 'sid' | 'text'): Promise<PageRead> {
    const { state, target } = this.p;
    if (state.frozen || state.pageHung) {
      const v = await this.p
        .page()!
        .evaluate<string | null>(need === 'sid' ? target.viewedSessionExpression : target.answerTextExpression);
      return { counts: null, [need]: v };
    }
    const r = await this.readPage(true, false);
    const error = need === 'sid' ? r.sidError : r.textError;
    if (error !== undefined) throw new Error(`sse-harness: page script failed: ${error.split('\n')[0]}`);
    return r;
  }

  /** The page's streams were let go of (a close, or the page went away): the server's draining count follows. */
  pageLetGo(): void {
    this.released = pageReleases(this.p.timeline.ordered()).bySocket;
  }

  /**
   * Every witness's count: the server's and the network's read now, the page's as drained from its probe; split by
   * transport as soon as any witness sees a stream other than an EventSource.
   */
  counts(page: PageCounts | null): WitnessCounts {
    const open = this.p.backend.ledger.openChatStreams();
    const draining = open.filter((r) => this.released.has(r.socket)).length;
    const cdp = this.p.cdp();
    const attached = cdp?.status().attached === true;
    const queued = attached ? cdp!.networkQueued() : 0;
    const transports = {
      server: byTransport(open),
      ...(page?.transports ? { page: page.transports } : {}),
      ...(attached ? { cdp: cdp!.networkOpenByTransport() } : {}),
    };
    const onlyEventSources = Object.values(transports).every((c) =>
      Object.entries(c).every(([k, n]) => k === 'eventsource' || !n),
    );
    return {
      ...(draining ? { server: open.length, serverDraining: draining } : { server: open.length }),
      page: page?.open,
      pageConnecting: page?.connecting,
      ...(attached ? { cdp: cdp!.networkOpen() - queued, cdpQueued: queued } : {}),
      ...(onlyEventSources ? {} : { transports }),
    };
  }

  /**
   * Cheap witnesses between steps: server ledger, page probe counts, CDP network counts, CDP long tasks. `judged` is
   * called after each read (a run that stops at its first definite failure is judged at every tick).
   */
  async tick(judged: () => void): Promise<void> {
    const { timeline, state } = this.p;
    this.ticks++;
    const census = await this.drainPage(true);
    judged();
    if (this.ticks % 2 === 0) {
      timeline.add({ kind: 'sample', t: timeline.now(), step: 'tick', tick: true, witnesses: this.counts(census) });
    }
    const cdp = this.p.cdp();
    if (cdp && this.ticks % 3 === 0 && !state.frozen && !state.pageHung) {
      for (const lt of await cdp.longTasks())
        timeline.add({ kind: 'stall', t: timeline.fromEpoch(lt.t), duration: lt.duration, source: 'cdp' });
    }
  }

  /**
   * A step's settled sample: waits (up to SETTLE_MS) for the witnesses to agree, then records each one's count,
   * a CDP heap census and DOM counters; a lasting disagreement becomes a finding.
   */
  async sample(step: string, pageCounts?: PageCounts | null): Promise<void> {
    const { timeline, state } = this.p;
    const read = async () => this.counts(await this.drainPage());
    // The page's counts just drained with its events save a second script when the sample starts from them.
    let w = pageCounts ? this.counts(pageCounts) : await read();
    const deadline = Date.now() + (state.frozen || state.pageHung ? 0 : SETTLE_MS);
    while (!agree(w) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
      w = await read();
    }
    const extra: {
      dom?: { nodes: number; listeners: number; documents: number };
      taskMs?: number;
      heapBytes?: number;
    } = {};
    const cdp = this.p.cdp();
    // Heap, DOM and metrics calls run on the page's main thread: not asked of a page that stopped answering.
    if (cdp?.status().attached && !state.frozen && !state.pageHung) {
      // The heap census forces a full garbage collection in the page, most of a Chromium run's fixed cost when taken
      // at every step. It corroborates a suspect count: it is taken when a witness sees more than one chat stream
      // open, or when they still disagree after the wait above. One stream or none, on which server, page probe and
      // network agree, leaves it nothing to confirm: an open EventSource holds a socket the server sees, a
      // connecting one a request the network sees.
      const due = Math.max(w.server ?? 0, w.page ?? 0, w.cdp ?? 0) >= 2 || !agree(w);
      const heap = due ? await cdp.census() : null;
      if (heap && !heap.stale) {
        w.cdpObjects = heap.open;
        timeline.add({
          kind: 'probe-pause',
          t: timeline.fromEpoch(heap.startedAt),
          duration: heap.at - heap.startedAt,
          what: 'CDP heap census (Runtime.queryObjects)',
        });
      }
      const [dom, m] = await Promise.all([cdp.domCounters(), cdp.metrics()]);
      if (dom && !dom.stale)
        extra.dom = { nodes: dom.nodes, listeners: dom.jsEventListeners, documents: dom.documents };
      if (m && !m.stale) Object.assign(extra, { taskMs: Math.round(m.taskDurationMs), heapBytes: m.jsHeapUsedBytes });
    }
    // The heap census takes time; if the streams moved meanwhile (one ended, one opened), its count is not comparable.
    let judged = w;
    if (w.cdpObjects !== undefined) {
      const after = await read();
      if (after.server !== w.server || after.page !== w.page) {
        const { cdpObjects: _moved, ...rest } = w;
        judged = rest;
      }
    }
    const t = timeline.now();
    timeline.add({ kind: 'sample', t, step, witnesses: w, ...extra });
    // A frozen page learns of its dropped sockets only when it thaws: no verdict on its witnesses until then.
    // A blocked page cannot read its sockets either: what the witnesses then disagree on is the blockage, already
    // recorded.
    const f = state.frozen || state.pageHung ? null : crossCheck(judged);
    if (f) timeline.add({ kind: 'finding', t, step, ...f, witnesses: w });
  }
}
