// ConnectionLedger: the server's witness. Every SSE socket and every request, on the run's timeline.
import type { Timeline } from '../timeline.ts';

export interface SseRecord {
  socket: number;
  path: string;
  streamId: string | null;
  session: string | null;
  afterSeq: number;
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

  open(info: { path: string; streamId: string | null; session: string | null; afterSeq: number }): SseRecord {
    const rec: SseRecord = {
      socket: this.nextSocket++,
      ...info,
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

  /** Recorded when the response is done, stamped with the time the request arrived. */
  request(method: string, path: string, status: number, t: number): void {
    this.timeline.add({ kind: 'request', t, method, path, status });
  }

  /** Chat-stream sockets open right now (side streams such as approval feeds are not counted). */
  openChatStreams(): SseRecord[] {
    return this.sse.filter((r) => r.closedAt === null && r.streamId !== null);
  }
}
