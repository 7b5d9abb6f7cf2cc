// ConnectionLedger: the server's witness. Every chat-stream socket (SSE response or WebSocket) and every request, on
// the run's timeline.
import type { StreamTransport, Timeline, TransportCounts } from '../timeline.ts';

export interface SseRecord {
  socket: number;
  path: string;
  streamId: string | null;
  session: string | null;
  afterSeq: number;
  transport: StreamTransport;
  openedAt: number;
  closedAt: number | null;
  closedBy: 'client' | 'server' | null;
  events: number;
  bytes: number;
}

export class ConnectionLedger {
  private nextSocket = 1;
  readonly sse: SseRecord[] = [];
  private timeline: Timeline;

  constructor(timeline: Timeline) {
    this.timeline = timeline;
  }

  /** A new scenario run starts a new timeline; the ledger follows it. */
  reset(timeline: Timeline): void {
    this.timeline = timeline;
    this.sse.length = 0;
  }

  open(info: {
    path: string;
    streamId: string | null;
    session: string | null;
    afterSeq: number;
    transport?: StreamTransport;
  }): SseRecord {
    const rec: SseRecord = {
      socket: this.nextSocket++,
      ...info,
      transport: info.transport ?? 'eventsource',
      openedAt: this.timeline.now(),
      closedAt: null,
      closedBy: null,
      events: 0,
      bytes: 0,
    };
    this.sse.push(rec);
    this.timeline.add({
      kind: 'sse-open',
      t: rec.openedAt,
      socket: rec.socket,
      streamId: rec.streamId,
      session: rec.session,
      path: rec.path,
      afterSeq: rec.afterSeq,
      transport: rec.transport,
    });
    return rec;
  }

  sent(rec: SseRecord, bytes: number, events: number): void {
    rec.bytes += bytes;
    rec.events += events;
  }

  close(rec: SseRecord, by: 'client' | 'server'): void {
    if (rec.closedAt !== null) return;
    rec.closedAt = this.timeline.now();
    rec.closedBy = by;
    this.timeline.add({
      kind: 'sse-close',
      t: rec.closedAt,
      socket: rec.socket,
      streamId: rec.streamId,
      session: rec.session,
      by,
      events: rec.events,
      bytes: rec.bytes,
    });
  }

  /** The run clock, for a request noted later with the time it arrived. */
  now(): number {
    return this.timeline.now();
  }

  /** Recorded when the response is done, stamped with the time the request arrived. */
  request(method: string, path: string, status: number, t: number): void {
    this.timeline.add({ kind: 'request', t, method, path, status });
  }

  /** Chat-stream sockets open right now (side streams such as approval feeds are not counted). */
  openChatStreams(): SseRecord[] {
    return this.sse.filter((r) => r.closedAt === null && r.streamId !== null);
  }
}

/** Open streams by transport, with the transports none of them use left out. */
export function byTransport(records: readonly { transport: StreamTransport }[]): TransportCounts {
  const out: TransportCounts = {};
  for (const r of records) out[r.transport] = (out[r.transport] ?? 0) + 1;
  return out;
}

/**
 * How an HTTP chat stream travels, as far as its request shows: an EventSource sends a GET with
 * `Accept: text/event-stream` and no body, and cannot do otherwise; anything else answered with a stream is read by
 * script (fetch or XHR, which look the same on the wire: both are counted as `fetch-stream`). A fetch that mimics an
 * EventSource's request (GET, that Accept header) is counted as an EventSource: the page probe and CDP tell them apart.
 */
export function httpStreamTransport(request: {
  method: string;
  headers: { get(name: string): string | null };
}): StreamTransport {
  const accept = (request.headers.get('accept') ?? '').trim().toLowerCase();
  const body = Number(request.headers.get('content-length') ?? 0) > 0 || request.headers.get('transfer-encoding');
  return request.method === 'GET' && accept === 'text/event-stream' && !body ? 'eventsource' : 'fetch-stream';
}
