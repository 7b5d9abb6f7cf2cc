// The wire-level cases behind the resume table (docs/protocol.md#resume): each asks a chat server one thing a UI
// asks it (connect, reconnect with or without a cursor, a second tab, a finished run, an unknown id, the status
// route, the headers) and reduces the reply to what a UI acts on, so the mock's answer and the real server's can be
// compared as text. Timing is the mock's choice and is not compared: a case reads until the script's next pause.
import type { ChatBackend } from '../mock/chat-backend.ts';
import type { StreamItem } from '../scenario/schema.ts';
import { jsonRequest, WireStream, type Frame } from './wire.ts';

/**
 * Every case's run: a pause, 5 tokens, a long pause, 5 more, a longer pause, 5 more (pauses with heartbeats, as the
 * real server sends them whatever its agent does). A case reads in the pauses, so what it got does not depend on how
 * fast either server is. The first pause lets the first subscriber attach before
 * anything is sent. The second outlasts two of the real server's 5 s heartbeats: a server thread learns that its
 * client left only when a write fails, and until then takes the events meant for it (docs/protocol.md#resume); a
 * reconnect is asked once the server has let the first subscriber go.
 */
export const CASE_SCRIPT: StreamItem[] = [
  { wait: 1_000 },
  { burst: { count: 5 } },
  { wait: 11_500 },
  { burst: { count: 5 } },
  { wait: 60_000 },
  { burst: { count: 5 } },
];
/** From the chat's start until the second burst has surely been played (both pauses, and a margin). */
const AFTER_SECOND_BURST_MS = 14_000;
/** How long a case reads for what a request brings at once. */
const READ_MS = 1_000;
/** The longest a case waits for the first burst, or for a hurried run to end. */
const DEADLINE_MS = 10_000;

export interface CaseContext {
  readonly backend: ChatBackend;
  /** The body the server's chat/start wants beside session_id and message (model, workspace...). */
  readonly startBody: Record<string, unknown>;
}

export interface Case {
  name: string;
  /** What the case asks, in a few words, for the table. */
  asks: string;
  run(c: CaseContext): Promise<string>;
}

/** The token indices in a stream's token events, as the scripts number them (`lorem3 `). */
function tokenIndices(frames: Frame[]): number[] {
  const out: number[] = [];
  for (const f of frames) {
    if (f.event !== 'token') continue;
    let text: string;
    try {
      text = String((JSON.parse(f.data) as { text?: unknown }).text ?? '');
    } catch {
      continue;
    }
    for (const m of text.matchAll(/[a-z]+(\d+)\s/g)) out.push(Number(m[1]));
  }
  return out;
}

/** `0-4,5-9` for runs of consecutive indices; repeats show as a new run (`0-4,2-4`). */
export function ranges(ix: number[]): string {
  if (!ix.length) return 'none';
  const parts: string[] = [];
  let [from, to] = [ix[0]!, ix[0]!];
  for (const i of ix.slice(1)) {
    if (i === to + 1) to = i;
    else {
      parts.push(from === to ? `${from}` : `${from}-${to}`);
      [from, to] = [i, i];
    }
  }
  parts.push(from === to ? `${from}` : `${from}-${to}`);
  return parts.join(',');
}

/** What a UI acts on in a stream reply: status, the tokens in order, whether the server ended it. */
function streamAnswer(s: WireStream): string {
  if (s.status !== 200) return `${s.status} ${bareType(s.headers['content-type'])}`;
  const terminal = s.frames
    .filter((f) => ['done', 'stream_end', 'cancel', 'error', 'apperror'].includes(f.event))
    .map((f) => f.event);
  return `200 tokens ${ranges(tokenIndices(s.frames))}${terminal.length ? `; ${terminal.join(', ')}` : ''}; ${s.ended ? 'ended' : 'still open'}`;
}

const bareType = (t: string | undefined) => (t ?? 'no content-type').split(';')[0]!.trim();

/** The seq of an event id, `<run>:<seq>` or a bare number. */
const seqOf = (id: string | null) => (id === null ? null : Number(/(\d+)\s*$/.exec(id)?.[1] ?? NaN));

interface Chat {
  session: string;
  streamId: string;
  started: number;
}

async function newChat(c: CaseContext, name: string): Promise<Chat> {
  const origin = c.backend.url;
  const made = await jsonRequest(origin, 'POST', '/api/session/new', {});
  const session = (made.body as { session?: { session_id?: unknown } })?.session?.session_id;
  if (made.status !== 200 || typeof session !== 'string')
    throw new Error(`POST /api/session/new answered ${made.status}: ${JSON.stringify(made.body).slice(0, 200)}`);
  c.backend.arm(session, name, CASE_SCRIPT);
  const started = Date.now();
  const start = await jsonRequest(origin, 'POST', '/api/chat/start', {
    ...c.startBody,
    session_id: session,
    message: `conformance case ${name}`,
  });
  const streamId = (start.body as { stream_id?: unknown })?.stream_id;
  if (start.status !== 200 || typeof streamId !== 'string')
    throw new Error(`POST /api/chat/start answered ${start.status}: ${JSON.stringify(start.body).slice(0, 200)}`);
  return { session, streamId, started };
}

const streamPath = (chat: Chat, query = '') =>
  `/api/chat/stream?stream_id=${encodeURIComponent(chat.streamId)}${query}`;

/**
 * Reads the first burst on a first subscriber; returns it (still open) and the ids of token 2's and token 4's events.
 * Token 4 ends the burst: a server that stamps frames from the run's newest id (older releases) may give token 2
 * any id of the burst, depending on when its writer ran, but never gives token 4 an id past the burst.
 */
async function firstBurst(
  c: CaseContext,
  chat: Chat,
): Promise<{ a: WireStream; idOf2: string | null; idOf4: string | null }> {
  const a = new WireStream(c.backend.url, streamPath(chat));
  await a.until(() => tokenIndices(a.frames).length >= 5, DEADLINE_MS);
  // A server that puts no id on its frames (before v0.51.71) leaves a client its own count: the event's place in the
  // stream, which is its seq for a subscriber there from the start.
  const idOf = (i: number) => {
    const at = a.frames.findIndex((f) => f.event === 'token' && tokenIndices([f]).includes(i));
    return at < 0 ? null : (a.frames[at]!.id ?? `${chat.streamId}:${at + 1}`);
  };
  return { a, idOf2: idOf(2), idOf4: idOf(4) };
}

async function untilSecondBurst(chat: Chat): Promise<void> {
  const left = chat.started + AFTER_SECOND_BURST_MS - Date.now();
  if (left > 0) await new Promise((ok) => setTimeout(ok, left));
}

/**
 * Ends the case's run at once and waits until the server says it ended: the agent's last event is not the server's
 * end of the run (it still writes the session, and a request meanwhile is served as live).
 */
async function finish(c: CaseContext, chat: Chat): Promise<void> {
  c.backend.runFor(chat.session)?.hurry();
  const deadline = Date.now() + DEADLINE_MS;
  const ended = async () => {
    if (c.backend.runFor(chat.session)?.active) return false;
    const r = await jsonRequest(
      c.backend.url,
      'GET',
      `/api/chat/stream/status?stream_id=${encodeURIComponent(chat.streamId)}`,
    );
    return (r.body as { active?: unknown } | null)?.active !== true;
  };
  while (!(await ended()) && Date.now() < deadline) await new Promise((ok) => setTimeout(ok, 50));
}

/** A reconnect after the first subscriber left, with the cursor `query` builds from token 2's event id. */
function reconnectCase(
  name: string,
  asks: string,
  cursor: (id: string) => { query?: string; headers?: Record<string, string> },
): Case {
  return {
    name,
    asks,
    async run(c) {
      const chat = await newChat(c, name);
      try {
        const { a, idOf2 } = await firstBurst(c, chat);
        a.close();
        if (idOf2 === null) return 'no id on the token events: no cursor to send';
        await untilSecondBurst(chat);
        const ask = cursor(idOf2);
        const b = await new WireStream(c.backend.url, streamPath(chat, ask.query ?? ''), ask.headers).readFor(READ_MS);
        b.close();
        return streamAnswer(b);
      } finally {
        await finish(c, chat);
      }
    },
  };
}

/** A request after the run ended (the journal), with the cursor `query` builds from token 4's event id. */
function finishedCase(name: string, asks: string, cursor: (id: string) => string): Case {
  return {
    name,
    asks,
    async run(c) {
      const chat = await newChat(c, name);
      const { a, idOf4 } = await firstBurst(c, chat);
      a.close();
      await finish(c, chat);
      const b = await new WireStream(c.backend.url, streamPath(chat, idOf4 === null ? '' : cursor(idOf4))).readFor(
        READ_MS,
      );
      b.close();
      return streamAnswer(b);
    },
  };
}

export const CASES: Case[] = [
  {
    name: 'connect',
    asks: 'first subscriber of a live run, no cursor',
    async run(c) {
      const chat = await newChat(c, 'connect');
      try {
        const { a } = await firstBurst(c, chat);
        await a.readFor(300);
        a.close();
        return streamAnswer(a);
      } finally {
        await finish(c, chat);
      }
    },
  },
  reconnectCase('reconnect', 'reconnect to a live run, no cursor', () => ({})),
  reconnectCase('after-seq', 'reconnect, after_seq = token 2', (id) => ({ query: `&after_seq=${seqOf(id)}` })),
  reconnectCase('after-event-id', 'reconnect, after_event_id = token 2', (id) => ({
    query: `&after_event_id=${encodeURIComponent(id)}`,
  })),
  reconnectCase('last-event-id', 'reconnect, Last-Event-ID header = token 2', (id) => ({
    headers: { 'last-event-id': id },
  })),
  reconnectCase('replay', 'reconnect, replay=1', () => ({ query: '&replay=1' })),
  reconnectCase('foreign-cursor', 'reconnect, after_event_id of another run', () => ({
    query: `&after_event_id=${encodeURIComponent('no-such-run:2')}`,
  })),
  reconnectCase('cursor-ahead', 'reconnect, after_seq past the run', () => ({ query: '&after_seq=999999' })),
  {
    name: 'second-subscriber',
    asks: 'a second tab joins while the first reads',
    async run(c) {
      const chat = await newChat(c, 'second-subscriber');
      try {
        const { a } = await firstBurst(c, chat);
        const b = new WireStream(c.backend.url, streamPath(chat));
        await untilSecondBurst(chat);
        await b.readFor(READ_MS / 2);
        a.close();
        b.close();
        return `second: ${streamAnswer(b)}; first: ${streamAnswer(a)}`;
      } finally {
        await finish(c, chat);
      }
    },
  },
  finishedCase('finished', 'the run has ended, no cursor', () => ''),
  finishedCase(
    'finished-cursor',
    'the run has ended, after_event_id = token 4',
    (id) => `&after_event_id=${encodeURIComponent(id)}`,
  ),
  {
    name: 'unknown-id',
    asks: 'a stream id the server never gave',
    async run(c) {
      const s = await new WireStream(c.backend.url, '/api/chat/stream?stream_id=no-such-stream').readFor(READ_MS);
      s.close();
      return streamAnswer(s);
    },
  },
  {
    name: 'status',
    asks: 'status of a live run, an ended one, an unknown one',
    async run(c) {
      const chat = await newChat(c, 'status');
      const ask = async (id: string) => {
        const r = await jsonRequest(
          c.backend.url,
          'GET',
          `/api/chat/stream/status?stream_id=${encodeURIComponent(id)}`,
        );
        const b = (r.body ?? {}) as Record<string, unknown>;
        return `${r.status} active=${String(b.active)} replay_available=${String(b.replay_available)}`;
      };
      const { a } = await firstBurst(c, chat);
      a.close();
      const live = await ask(chat.streamId);
      await finish(c, chat);
      return `live: ${live}; ended: ${await ask(chat.streamId)}; unknown: ${await ask('no-such-stream')}`;
    },
  },
  {
    name: 'headers',
    asks: "the chat stream reply's headers",
    async run(c) {
      const chat = await newChat(c, 'headers');
      try {
        const s = new WireStream(c.backend.url, streamPath(chat));
        await s.opened();
        s.close();
        return ['content-type', 'cache-control', 'x-accel-buffering', 'connection']
          .map((h) => `${h}: ${s.headers[h] ?? '-'}`)
          .join('; ');
      } finally {
        await finish(c, chat);
      }
    },
  },
];
