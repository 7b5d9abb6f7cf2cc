// Queries over a run's timeline that the oracles, the runner and the reports share: which sessions the user views
// when, which server sockets the page let go of, which EventSource made each socket, and the open-stream series.
import { FIRST_TAB, type CreationSite, type StreamTransport, type TimelineEvent } from './timeline.ts';

/**
 * Which sessions the user views, at every change: while a switch is under way (from the click until the UI shows
 * the session) both the one left and the one chosen count as viewed, so a UI slow to react under load is not taken
 * for a leak. Once the UI shows the session, only it does. With tabs, the session each tab shows counts, once per tab
 * (a background tab's chat is still the user's): a session shown in two tabs may have a stream in each.
 */
export function viewMarks(events: TimelineEvent[]): { t: number; viewed: (string | null)[] }[] {
  const marks: { t: number; viewed: (string | null)[] }[] = [];
  const byTab = new Map<string, string | null>();
  for (const e of events) {
    if (e.kind !== 'view') continue;
    const tab = e.tab ?? FIRST_TAB;
    const prev = byTab.get(tab) ?? null;
    byTab.set(tab, e.session);
    const others = [...byTab].flatMap(([k, s]) => (k === tab ? [] : [s]));
    if (e.shown !== undefined && e.shown > e.t) {
      marks.push({ t: e.t, viewed: [...others, ...(prev === e.session ? [] : [prev]), e.session] });
      marks.push({ t: e.shown, viewed: [...others, e.session] });
    } else marks.push({ t: e.t, viewed: [...others, e.session] });
  }
  return marks.sort((a, b) => a.t - b.t);
}

/** The sessions counted as viewed at time t (see viewMarks). */
/** The session the user viewed at time t (events in time order), null before the first view. */
export function viewedAt(events: TimelineEvent[], t: number): string | null {
  let viewed: string | null = null;
  for (const e of events) {
    if (e.t > t) break;
    if (e.kind === 'view') viewed = e.session;
  }
  return viewed;
}

export function viewedSetAt(marks: ReturnType<typeof viewMarks>, t: number): (string | null)[] {
  let v: (string | null)[] = [null];
  for (const m of marks) {
    if (m.t > t) break;
    v = m.viewed;
  }
  return v;
}

/**
 * Server sockets the page already let go of: each page-close (the UI called close() on an EventSource) is matched to
 * the open socket of the same stream and replay point (the earliest, if several). From then on the stream is the
 * browser's to wind down, not the UI's leak: Chromium keeps reading a cancelled response for a while (up to
 * seconds) to reuse the connection, and the server sees the socket end only then. A close() with no such socket
 * open matches nothing: a request cancelled before its response began ends at the server at once, and an
 * EventSource closed while emulated offline never reached it. A page-unload (reload, or navigation away) lets go of
 * every socket open then: the document that held them is gone, and Chromium drains those responses as it does a
 * closed one. A stream whose URL names no stream (a POST that starts a turn, a WebSocket) is matched by its path,
 * when exactly one socket no close matched yet is open there. `bySocket`: when each matched socket was let go;
 * `byClose`: the sockets each page-close or page-unload let go of. Events in time order.
 */
export function pageReleases(events: TimelineEvent[]): {
  bySocket: Map<number, number>;
  byClose: Map<TimelineEvent, number[]>;
} {
  const bySocket = new Map<number, number>();
  const byClose = new Map<TimelineEvent, number[]>();
  const openByKey = new Map<string, number[]>();
  const keyOf = (streamId: string | null, afterSeq: number) => `${streamId}@${afterSeq}`;
  const pathOf = new Map<number, string>();
  for (const e of events) {
    if (e.kind === 'sse-open' && e.streamId) {
      const key = keyOf(e.streamId, e.afterSeq);
      openByKey.set(key, [...(openByKey.get(key) ?? []), e.socket]);
      pathOf.set(e.socket, e.path);
    } else if (e.kind === 'sse-close') {
      for (const [key, sockets] of openByKey)
        openByKey.set(
          key,
          sockets.filter((s) => s !== e.socket),
        );
    } else if (e.kind === 'page-close' && e.streamId === null && e.path) {
      const open = [...openByKey.entries()].flatMap(([key, sockets]) => sockets.map((s) => [key, s] as const));
      const there = open.filter(([, s]) => pathOf.get(s) === e.path);
      // Which of several it was is not known: matching one of them could hide another's leak, so none is matched.
      if (there.length !== 1) continue;
      const [key, socket] = there[0]!;
      openByKey.set(
        key,
        openByKey.get(key)!.filter((s) => s !== socket),
      );
      bySocket.set(socket, e.t);
      byClose.set(e, [socket]);
    } else if (e.kind === 'page-close') {
      const key = keyOf(e.streamId, e.afterSeq);
      const [socket, ...rest] = openByKey.get(key) ?? [];
      if (socket === undefined) continue;
      openByKey.set(key, rest);
      bySocket.set(socket, e.t);
      byClose.set(e, [socket]);
    } else if (e.kind === 'page-unload') {
      const sockets = [...openByKey.values()].flat();
      for (const socket of sockets) bySocket.set(socket, e.t);
      byClose.set(e, sockets);
      openByKey.clear();
    }
  }
  return { bySocket, byClose };
}

/**
 * The open sockets beyond what the user may have open: each viewed streaming session keeps its newest stream (one
 * per tab that views it); every other stream (of a session not viewed, or an older one of a viewed session) is excess.
 */
function excessSockets(open: Map<number, { session: string | null }>, allowed: string[]): number[] {
  const quota = new Map<string, number>();
  for (const s of allowed) quota.set(s, (quota.get(s) ?? 0) + 1);
  const keep = new Set<number>();
  for (const [socket, o] of [...open].reverse()) {
    const left = o.session === null ? 0 : (quota.get(o.session) ?? 0);
    if (left === 0) continue;
    keep.add(socket);
    quota.set(o.session!, left - 1);
  }
  return [...open.keys()].filter((s) => !keep.has(s));
}

/**
 * The EventSource the page created for each server socket (page-open, with its creation site): the latest creation of
 * the same stream and replay point not yet matched, else (the browser's own reconnect reuses its EventSource, with a
 * new replay point) the latest creation of the same stream. Events in time order.
 */
export function socketCreations(events: TimelineEvent[]): Map<number, Extract<TimelineEvent, { kind: 'page-open' }>> {
  const bySocket = new Map<number, Extract<TimelineEvent, { kind: 'page-open' }>>();
  const unmatched = new Map<string, Extract<TimelineEvent, { kind: 'page-open' }>[]>();
  const latest = new Map<string, Extract<TimelineEvent, { kind: 'page-open' }>>();
  for (const e of events) {
    if (e.kind === 'page-open' && e.streamId) {
      const key = `${e.streamId}@${e.afterSeq}`;
      unmatched.set(key, [...(unmatched.get(key) ?? []), e]);
      latest.set(e.streamId, e);
    } else if (e.kind === 'sse-open' && e.streamId) {
      const match = unmatched.get(`${e.streamId}@${e.afterSeq}`)?.pop() ?? latest.get(e.streamId);
      if (match) bySocket.set(e.socket, match);
    }
  }
  return bySocket;
}

/**
 * How each server socket travels: as the page that created it says (the page probe tells a fetch from an
 * EventSource), else as its request showed the server (a fetch that sends an EventSource's request looks like one
 * there), else as an EventSource (a timeline from before transports were recorded).
 */
export function socketTransports(events: TimelineEvent[]): Map<number, StreamTransport> {
  const creations = socketCreations(events);
  const out = new Map<number, StreamTransport>();
  for (const e of events)
    if (e.kind === 'sse-open') out.set(e.socket, creations.get(e.socket)?.transport ?? e.transport ?? 'eventsource');
  return out;
}

/** `/app.js:88 in openStream`, for one-line summaries. */
export function formatSite(s: CreationSite): string {
  return `${s.file}:${s.line}${s.function ? ` in ${s.function}` : ''}`;
}

/** A stream left open, and where the UI created it (absent: the page probe did not say). */
export interface LeakedStream {
  session: string;
  socket: number;
  streamId: string | null;
  /** When the server saw it open (run clock, ms). */
  openedAt: number;
  site?: CreationSite;
  /** How it travels, when not as an EventSource. */
  transport?: Exclude<StreamTransport, 'eventsource'>;
}

/** The leaked sockets as evidence, with their creation sites. */
export function leakedStreams(
  events: TimelineEvent[],
  sockets: number[],
  label: (id: string | null) => string,
): LeakedStream[] {
  const creations = socketCreations(events);
  const transports = socketTransports(events);
  const opens = new Map(events.flatMap((e) => (e.kind === 'sse-open' ? [[e.socket, e] as const] : [])));
  return sockets.map((socket) => {
    const o = opens.get(socket);
    const site = creations.get(socket)?.site;
    const transport = transports.get(socket);
    return {
      session: label(o?.session ?? null),
      socket,
      streamId: o?.streamId ?? null,
      openedAt: o?.t ?? 0,
      ...(site ? { site } : {}),
      ...(transport && transport !== 'eventsource' ? { transport } : {}),
    };
  });
}

/**
 * Open chat-stream count and allowed count at every change point: the server ledger's sockets, each counted closed
 * from the moment the page closed its EventSource if that came first (see pageReleases).
 */
export function liveStreamSeries(events: TimelineEvent[]) {
  const released = pageReleases(events);
  const open = new Map<number, { session: string | null; streamId: string | null }>();
  const activeRuns = new Map<string, string>(); // streamId -> session
  let viewed: (string | null)[] = [null];
  /** sockets: the open ones, oldest first; excess: those beyond what is allowed (see excessSockets). */
  const series: {
    t: number;
    open: number;
    allowed: number;
    sessions: (string | null)[];
    sockets: number[];
    excess: number[];
  }[] = [];
  // The view changes merged into the events, in time order (a switch's end comes after the events that led to it).
  const marks = viewMarks(events).map((m) => ({ kind: 'view-mark' as const, ...m }));
  const merged: (TimelineEvent | (typeof marks)[number])[] = [];
  let i = 0;
  for (const e of events) {
    if (e.kind === 'view') continue;
    while (i < marks.length && marks[i]!.t <= e.t) merged.push(marks[i++]!);
    merged.push(e);
  }
  merged.push(...marks.slice(i));
  for (const e of merged) {
    if (e.kind === 'sse-open' && e.streamId) open.set(e.socket, { session: e.session, streamId: e.streamId });
    else if (e.kind === 'sse-close') open.delete(e.socket);
    else if (e.kind === 'page-close' || e.kind === 'page-unload') {
      let closed = false;
      for (const socket of released.byClose.get(e) ?? []) closed = open.delete(socket) || closed;
      if (!closed) continue;
    } else if (e.kind === 'view-mark') viewed = e.viewed;
    else if (e.kind === 'run-start') activeRuns.set(e.streamId, e.session);
    else if (e.kind === 'run-end') activeRuns.delete(e.streamId);
    else continue;
    const running = new Set(activeRuns.values());
    const allowedSessions = viewed.filter((v): v is string => v !== null && running.has(v));
    series.push({
      t: e.t,
      open: open.size,
      allowed: allowedSessions.length,
      sessions: [...open.values()].map((o) => o.session),
      sockets: [...open.keys()],
      excess: excessSockets(open, allowedSessions),
    });
  }
  return series;
}
