// The WebSocket profile: a chat's turn streams over one WebSocket, one JSON message per event. Sessions are made and
// listed through the built-in hermes-webui routes; the socket starts a turn or resumes a run, then carries its events
// (docs/protocol.md#websocket-profile).
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Subscriber } from '../player.ts';
import type { ProfileHost, ProtocolProfile } from '../profile.ts';
import type { ResumeCursor } from '../server-model.ts';
import type { Wire } from '../wire.ts';
import { CHAT_STREAM_PATH } from '../backend.ts';

/** The route a UI opens its chat WebSocket on. */
export const WS_CHAT_PATH = '/api/chat/ws';
/** The largest message the mock reads from a client: a start carries one user message. */
const MAX_CLIENT_MESSAGE = 64 * 1024;

/** One JSON text message per event: `{seq, event, data}` with data as the event's JSON. No hello, no heartbeat. */
export function websocketWire(): Wire {
  return {
    hello: () => [],
    event: (e) => [`{"seq":${e.seq},"event":${JSON.stringify(e.event)},"data":${e.data}}`],
    heartbeat: () => [],
  };
}

type ClientMessage =
  { type: 'start'; session_id: string; message: string } | { type: 'resume'; stream_id: string; after_seq: number };

/** A client's message, or what is wrong with it. */
function parse(raw: RawData, binary: boolean): ClientMessage | string {
  if (binary) return 'messages must be text (JSON)';
  let m: unknown;
  try {
    m = JSON.parse(String(raw));
  } catch {
    return 'a message must be JSON';
  }
  const o = (typeof m === 'object' && m !== null ? m : {}) as Record<string, unknown>;
  if (o.type === 'start') {
    if (typeof o.session_id !== 'string') return 'start needs a string session_id';
    return { type: 'start', session_id: o.session_id, message: typeof o.message === 'string' ? o.message : '' };
  }
  if (o.type === 'resume') {
    if (typeof o.stream_id !== 'string') return 'resume needs a string stream_id';
    const after = Number(o.after_seq ?? 0);
    return {
      type: 'resume',
      stream_id: o.stream_id,
      after_seq: Number.isFinite(after) && after > 0 ? Math.floor(after) : 0,
    };
  }
  return 'type must be "start" or "resume"';
}

export function websocketProfile(): ProtocolProfile & { close(): void } {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_MESSAGE });

  /** One stream per socket: the first start or resume subscribes it; the run's end closes it. */
  function serve(host: ProfileHost, ws: WebSocket, path: string): void {
    let sub: Subscriber | null = null;
    let unsubscribe = () => {};
    const fail = (message: string) => ws.send(JSON.stringify({ type: 'error', message }));
    ws.on('message', (raw, binary) => {
      const m = parse(raw, binary);
      if (typeof m === 'string') return fail(m);
      if (sub) return fail('this socket already carries a stream; open another for the next one');
      let run;
      let cursor: ResumeCursor;
      let afterSeq = 0;
      if (m.type === 'start') {
        const s = host.sessions.get(m.session_id);
        // A start is a turn request like a POST to start one, refused or not (the one-request-per-turn oracle).
        const started = host.startTurn(s, m.message, path);
        if (started === 404) return fail('unknown session_id');
        if (started === 409) return fail(`a stream is active: ${s!.active_stream_id}`);
        run = started;
        cursor = { kind: 'none' };
        ws.send(JSON.stringify({ type: 'started', stream_id: run.streamId, session_id: run.session }));
      } else {
        run = host.runs.get(m.stream_id);
        // Without a kept journal a finished run is gone from the server, like one it never had.
        if (!run || (!run.active && !host.model.journalKept)) return fail('unknown stream_id');
        afterSeq = m.after_seq;
        cursor = { kind: 'seq', afterSeq };
      }
      const r = run;
      const s: Subscriber = {
        rec: host.ledger.open({ path, streamId: r.streamId, session: r.session, afterSeq, transport: 'websocket' }),
        wire: websocketWire(),
        write: (chunks) => {
          if (ws.readyState === ws.OPEN) for (const c of chunks) ws.send(c);
        },
        end: () => ws.close(1000, 'stream end'),
        // The OS killing the socket: no close frame, the TCP connection just goes.
        destroy: () => ws.terminate(),
      };
      sub = s;
      unsubscribe = () => {
        if (r.subscribers.has(s)) r.unsubscribe(s, 'client');
      };
      r.subscribe(s, cursor);
    });
    ws.on('close', () => unsubscribe());
    ws.on('error', () => ws.terminate());
  }

  return {
    name: 'websocket',
    // The built-in hermes-webui stream route stays open to it: a UI may mix the two.
    streamRoutes: [CHAT_STREAM_PATH, WS_CHAT_PATH],
    handlers: () => [],
    upgrade(host: ProfileHost, req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
      const path = (req.url ?? '/').split('?')[0]!;
      if (path !== WS_CHAT_PATH) return false;
      const t = host.ledger.now();
      wss.handleUpgrade(req, socket, head, (ws) => {
        host.ledger.request('GET', path, 101, t);
        serve(host, ws, path);
      });
      return true;
    },
    /** Every socket it holds is destroyed: a new run (or the server's stop) starts with none. */
    close(): void {
      for (const ws of wss.clients) ws.terminate();
    },
  };
}
