// The SSE player: each chat run is a server-side timeline that plays its script whether or not anyone listens.
import { DEFAULT_TOKEN_RATE, type StreamItem } from '../scenario/schema.ts';
import type { Timeline } from '../timeline.ts';
import type { ConnectionLedger, SseRecord } from './ledger.ts';
import type { ResumeCursor, ServerModel } from './server-model.ts';
import type { JournalEntry, Wire } from './wire.ts';

export type { JournalEntry } from './wire.ts';

const WORDS = [
  'lorem',
  'ipsum',
  'dolor',
  'sit',
  'amet',
  'tempor',
  'magna',
  'aliqua',
  'veniam',
  'nostrud',
  'ullamco',
  'laboris',
];

/** Token texts for a tokens/burst item; generated words carry their index so loss and doubling are visible. */
export function tokenTexts(arg: { count?: number; text?: string }, startIndex: number): string[] {
  if (arg.text !== undefined) return arg.text.split(/(?<=\s)/).filter((t) => t.length > 0);
  return Array.from(
    { length: arg.count ?? 0 },
    (_, i) => `${WORDS[(startIndex + i) % WORDS.length]}${startIndex + i} `,
  );
}

/** The whole answer a script produces, for the transcript oracle and waitFor. */
export function scriptedAnswer(script: StreamItem[]): string[] {
  const tokens: string[] = [];
  for (const item of script) {
    // A loop, not push(...spread): a burst of 200k tokens would overflow the call stack.
    const texts =
      'tokens' in item
        ? tokenTexts(item.tokens, tokens.length)
        : 'burst' in item
          ? tokenTexts(item.burst, tokens.length)
          : [];
    for (const t of texts) tokens.push(t);
  }
  return tokens;
}

export interface Subscriber {
  rec: SseRecord;
  /** How this connection carries events (the target's protocol profile). */
  wire: Wire;
  /** Chunks written together: an SSE response sends them as one write, a WebSocket as one message each. */
  write(chunks: string[]): void;
  /** Graceful end of the response (server finished). */
  end(): void;
  /** Abrupt socket loss (scripted drop, OS killing the socket on lock). */
  destroy(): void;
}

export interface PlayerOptions {
  heartbeatMs: number;
  retryMs?: number;
  /** How the run answers a (re)subscribe and stamps its frames. */
  server: Pick<ServerModel, 'resume' | 'offlineBufferCap' | 'lastEventId' | 'frameIds'>;
}

export class Run {
  readonly journal: JournalEntry[] = [];
  readonly subscribers = new Set<Subscriber>();
  /**
   * Events emitted while no client was subscribed, handed to the next subscriber. Emptied only when an event goes
   * out to a subscriber: a client that subscribes and leaves before the next event leaves it as it was.
   */
  readonly offlineBuffer: JournalEntry[] = [];
  /**
   * A client went away (closed its stream, or lost its socket) and the server has not noticed yet: a server thread
   * learns it only when a write to the client fails. Until then it stays subscribed, so the next event is handed to
   * it and lost, and the offline buffer is cleared as if that event had been delivered (hermes-webui's
   * _handle_sse_stream with StreamChannel.put_nowait, every release; docs/protocol.md#resume). A heartbeat written
   * meanwhile finds out instead.
   */
  private unnoticed = false;
  readonly answer: string[];
  active = true;
  private stalledUntil = 0;
  private hurried = false;
  private timers = new Map<NodeJS.Timeout, () => void>();
  private heartbeat: NodeJS.Timeout;

  constructor(
    readonly streamId: string,
    readonly session: string,
    readonly scriptName: string,
    private readonly script: StreamItem[],
    private readonly opts: PlayerOptions,
    private readonly ledger: ConnectionLedger,
    private readonly timeline: Timeline,
    /** Settles the session at the server; what it returns is the session `done` carries (answer included). */
    private readonly onEnd: (run: Run) => Record<string, unknown> | void,
  ) {
    this.answer = scriptedAnswer(script);
    this.heartbeat = setInterval(() => {
      if (Date.now() < this.stalledUntil) return;
      this.heartbeatNow();
    }, opts.heartbeatMs);
    this.heartbeat.unref();
    timeline.add({ kind: 'run-start', t: timeline.now(), streamId, session, script: scriptName });
    void this.play();
  }

  get lastSeq(): number {
    return this.journal.length;
  }

  /**
   * Sends a new subscriber what the server model gives it first (docs/protocol.md#resume), then follows it live, or
   * ends the response when the run is over.
   */
  subscribe(sub: Subscriber, cursor: ResumeCursor): void {
    this.send(sub, sub.wire.hello(this.opts.retryMs), 0);
    const first = this.active ? this.liveBacklog(cursor) : this.journalAfter(cursor);
    if (first.entries.length) this.send(sub, this.frames(sub, first.entries, first.id), first.entries.length);
    if (!this.active) {
      sub.end();
      this.ledger.close(sub.rec, 'server');
      return;
    }
    this.subscribers.add(sub);
  }

  /** A live run: the offline buffer, unless the model serves a cursor from the journal. */
  private liveBacklog(cursor: ResumeCursor): { entries: JournalEntry[]; id: 'own' | 'latest' } {
    if (this.opts.server.resume === 'replay') return { entries: [...this.journal], id: 'own' };
    if (this.opts.server.resume === 'journal' && cursor.kind !== 'none')
      return { entries: this.journalAfter(cursor).entries, id: 'own' };
    // Older servers stamped each buffered frame from the run's latest id as they wrote it.
    return { entries: [...this.offlineBuffer], id: 'latest' };
  }

  /** The journal after a cursor; a cursor the server cannot use gets it all, one ahead of the run all or nothing. */
  private journalAfter(cursor: ResumeCursor): { entries: JournalEntry[]; id: 'own' } {
    let after = 0;
    if (cursor.kind === 'seq')
      after = cursor.afterSeq <= this.lastSeq || !this.opts.server.lastEventId ? cursor.afterSeq : 0;
    return { entries: this.journal.slice(Math.min(after, this.journal.length)), id: 'own' };
  }

  private frames(sub: Subscriber, entries: JournalEntry[], id: 'own' | 'latest'): string[] {
    const ids = this.opts.server.frameIds;
    return entries.flatMap((e) => {
      const seq = ids === 'latest' && id === 'latest' ? this.lastSeq : e.seq;
      return sub.wire.event(e, ids === 'none' ? null : `${this.streamId}:${seq}`);
    });
  }

  /** `lost`: the client went away (its close, a drop) rather than the server ending its reply. */
  unsubscribe(sub: Subscriber, by: 'client' | 'server', lost = by === 'client'): void {
    this.subscribers.delete(sub);
    this.ledger.close(sub.rec, by);
    if (lost && this.active) this.unnoticed = true;
  }

  /** Writes a heartbeat to every subscriber now, as the interval does; a client that went away is noticed here. */
  heartbeatNow(): void {
    this.unnoticed = false;
    for (const s of this.subscribers) {
      const beat = s.wire.heartbeat();
      if (beat.length) this.send(s, beat, 0);
    }
  }

  /** Drops every client socket abruptly; the run goes on. */
  drop(why: string): number {
    const n = this.subscribers.size;
    for (const s of [...this.subscribers]) {
      this.unsubscribe(s, 'server', true);
      s.destroy();
    }
    this.timeline.add({ kind: 'server-drop', t: this.timeline.now(), streamId: this.streamId, sockets: n, why });
    return n;
  }

  cancel(): void {
    if (!this.active) return;
    this.emit('cancel', { message: 'cancelled' });
    this.finish('cancel');
  }

  /** Plays the rest of the script at once: no more token intervals, waits, stalls or tool durations. Same answer. */
  hurry(): void {
    if (!this.active || this.hurried) return;
    this.hurried = true;
    this.stalledUntil = 0;
    this.wake();
  }

  /** Ends the wait the script is in now (a wait, a tool's duration, a token interval); it goes on at its pace after. */
  wake(): void {
    for (const [t, wake] of this.timers) {
      clearTimeout(t);
      wake();
    }
    this.timers.clear();
  }

  stop(): void {
    for (const t of this.timers.keys()) clearTimeout(t);
    clearInterval(this.heartbeat);
    this.active = false;
  }

  private send(sub: Subscriber, chunks: string[], events: number): void {
    sub.write(chunks);
    let bytes = 0;
    for (const c of chunks) bytes += Buffer.byteLength(c);
    this.ledger.sent(sub.rec, bytes, events);
  }

  private emit(event: string, data: unknown): void {
    this.emitMany([[event, data]]);
  }

  /** Journals the events, then broadcasts them, or keeps them in the offline buffer while nobody is subscribed. */
  private emitMany(events: [string, unknown][]): void {
    let entries = events.map(([event, data]) => {
      const e: JournalEntry = { seq: this.journal.length + 1, event, data: JSON.stringify(data) };
      this.journal.push(e);
      return e;
    });
    if (this.unnoticed) {
      // The gone client's thread takes the first event and fails writing it; the events after find it unsubscribed.
      this.unnoticed = false;
      if (!this.subscribers.size) {
        this.offlineBuffer.length = 0;
        entries = entries.slice(1);
        if (!entries.length) return;
      }
    }
    if (!this.subscribers.size) {
      const cap = this.opts.server.offlineBufferCap;
      for (const e of entries) this.offlineBuffer.push(e);
      if (cap !== null && this.offlineBuffer.length > cap)
        this.offlineBuffer.splice(0, this.offlineBuffer.length - cap);
      return;
    }
    this.offlineBuffer.length = 0;
    // Events emitted together (a burst) reach the server's writer together: a server that stamps frames from the
    // run's newest id ('latest') gives them all the last one.
    for (const s of this.subscribers) this.send(s, this.frames(s, entries, 'latest'), entries.length);
  }

  private sleep(ms: number): Promise<void> {
    if (this.hurried) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.set(t, resolve);
    });
  }

  private async play(): Promise<void> {
    let tokenIndex = 0;
    for (const item of this.script) {
      if (!this.active) return;
      if ('tokens' in item) {
        const texts = tokenTexts(item.tokens, tokenIndex);
        tokenIndex += texts.length;
        const interval = 1000 / (item.tokens.rate ?? DEFAULT_TOKEN_RATE);
        const start = Date.now();
        let sent = 0;
        // Emit every token that is due, then sleep until the next one: keeps the rate at high speeds.
        while (sent < texts.length && this.active) {
          const due = this.hurried
            ? texts.length
            : Math.min(texts.length, Math.floor((Date.now() - start) / interval) + 1);
          if (due > sent) {
            this.emitMany(texts.slice(sent, due).map((text) => ['token', { text }]));
            sent = due;
          }
          if (sent < texts.length) await this.sleep(Math.max(0, start + sent * interval - Date.now()));
        }
      } else if ('burst' in item) {
        const texts = tokenTexts(item.burst, tokenIndex);
        tokenIndex += texts.length;
        this.emitMany(texts.map((text) => ['token', { text }]));
      } else if ('reasoning' in item) {
        this.emit('reasoning', { text: item.reasoning });
      } else if ('tool' in item) {
        const tid = `t${this.journal.length + 1}`;
        this.emit('tool', { name: item.tool.name, preview: item.tool.preview ?? '', tid });
        if (item.tool.duration) await this.sleep(item.tool.duration);
        this.emit('tool_complete', {
          name: item.tool.name,
          preview: item.tool.preview ?? '',
          tid,
          is_error: false,
          duration: (item.tool.duration ?? 0) / 1000,
        });
      } else if ('wait' in item) {
        await this.sleep(item.wait);
      } else if ('stall' in item) {
        this.stalledUntil = Date.now() + item.stall;
        await this.sleep(item.stall);
      } else if ('drop' in item) {
        this.drop('scripted drop');
      } else if ('event' in item) {
        this.emit(item.event.name, item.event.data ?? {});
      } else if ('apperror' in item) {
        this.emit('apperror', { type: 'error', message: item.apperror.message });
      }
    }
    if (this.active) this.finish('complete');
  }

  private finish(reason: 'complete' | 'cancel'): void {
    // Settled before `done` goes out: a client may take done.session as the truth (hermes-webui replaces its
    // messages with it), so it must already hold the final answer.
    const session = this.onEnd(this) ?? { session_id: this.session, message_count: 2 };
    this.emit('done', { session });
    this.emit('stream_end', { session_id: this.session });
    this.stop();
    for (const s of [...this.subscribers]) {
      this.unsubscribe(s, 'server');
      s.end();
    }
    this.timeline.add({
      kind: 'run-end',
      t: this.timeline.now(),
      streamId: this.streamId,
      session: this.session,
      reason,
    });
  }
}
