// The WebSocket profile over a real loopback socket and the real `ws` client: start and resume, one JSON message per
// event, the ledger's websocket sockets closed by client or server, drops, bad messages; and the ledger's transport
// for HTTP streams (EventSource or read by script).
import { test, expect } from '@playwright/test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { MockBackend } from '../harness/mock/backend.ts';
import { scriptedAnswer } from '../harness/mock/player.ts';
import { WS_CHAT_PATH, websocketProfile } from '../harness/mock/profiles/websocket.ts';
import { Timeline } from '../harness/timeline.ts';
import { SseReader, until } from './support/sse-client.ts';

let backend: MockBackend;
let timeline: Timeline;
let root: string;

test.beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), 'sse-harness-test-ws-'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><html><head></head><body></body></html>');
  timeline = new Timeline();
  backend = new MockBackend({ root, heartbeatMs: 200, profile: websocketProfile() }, timeline);
  await backend.start();
});

test.afterEach(async () => {
  await backend.stop();
  rmSync(root, { recursive: true, force: true });
});

interface Message {
  type?: string;
  seq?: number;
  event?: string;
  data?: { text?: string };
  stream_id?: string;
  message?: string;
}

/** A client socket that keeps every message it gets. */
async function connect(): Promise<{ ws: WebSocket; got: Message[]; closed: Promise<number> }> {
  const ws = new WebSocket(`${backend.url.replace('http', 'ws')}${WS_CHAT_PATH}`);
  const got: Message[] = [];
  ws.on('message', (m) => got.push(JSON.parse(String(m)) as Message));
  const closed = new Promise<number>((ok) => ws.on('close', (code) => ok(code)));
  await new Promise<void>((ok, fail) => {
    ws.on('open', () => ok());
    ws.on('error', fail);
  });
  return { ws, got, closed };
}

async function newSession(script: Parameters<MockBackend['arm']>[2]): Promise<string> {
  const s = (await (await fetch(`${backend.url}/api/session/new`, { method: 'POST', body: '{}' })).json()) as {
    session: { session_id: string };
  };
  backend.arm(s.session.session_id, 'test', script);
  return s.session.session_id;
}

const tokens = (got: Message[]) =>
  got
    .filter((m) => m.event === 'token')
    .map((m) => m.data!.text)
    .join('');

test('start: one JSON message per event, then the server closes the socket and the ledger says so', async () => {
  const script = [{ tokens: { count: 6, rate: 200 } }];
  const session = await newSession(script);
  const c = await connect();
  c.ws.send(JSON.stringify({ type: 'start', session_id: session, message: 'hi' }));
  expect(await c.closed).toBe(1000);
  expect(c.got[0]).toMatchObject({ type: 'started', session_id: session });
  const events = c.got.slice(1);
  expect(events.map((m) => m.seq)).toEqual(events.map((_, i) => i + 1));
  expect(tokens(events)).toBe(scriptedAnswer(script).join(''));
  expect(events.at(-1)?.event).toBe('stream_end');
  const [rec] = backend.ledger.sse;
  expect(rec).toMatchObject({ transport: 'websocket', path: WS_CHAT_PATH, closedBy: 'server', session });
  // A start is a turn request, as a POST that starts a turn is.
  expect(timeline.of('turn-request')).toEqual([expect.objectContaining({ session, path: WS_CHAT_PATH, status: 200 })]);
});

test('resume after a client close: the ledger says the client closed it, and after_seq picks up the journal', async () => {
  const script = [{ tokens: { count: 4, rate: 200 } }, { wait: 400 }, { tokens: { count: 4, rate: 200 } }];
  const session = await newSession(script);
  const a = await connect();
  a.ws.send(JSON.stringify({ type: 'start', session_id: session, message: 'hi' }));
  await until(() => a.got.filter((m) => m.event === 'token').length >= 2);
  const stream = a.got[0]!.stream_id!;
  a.ws.close();
  await a.closed;
  await until(() => backend.ledger.sse[0]!.closedAt !== null);
  expect(backend.ledger.sse[0]).toMatchObject({ transport: 'websocket', closedBy: 'client' });
  expect(backend.ledger.openChatStreams()).toEqual([]);

  const b = await connect();
  b.ws.send(JSON.stringify({ type: 'resume', stream_id: stream, after_seq: 0 }));
  await b.closed;
  expect(tokens(b.got)).toBe(scriptedAnswer(script).join(''));
  expect(backend.ledger.sse[1]).toMatchObject({ transport: 'websocket', closedBy: 'server', afterSeq: 0 });
});

test('a lock drops the socket without a close frame; the socket counts as closed by the server', async () => {
  const session = await newSession([{ tokens: { count: 50, rate: 20 } }]);
  const c = await connect();
  c.ws.send(JSON.stringify({ type: 'start', session_id: session, message: 'hi' }));
  await until(() => backend.ledger.openChatStreams().length === 1);
  expect(backend.dropAllStreams('lock')).toBe(1);
  // 1006: the connection went without a close frame.
  expect(await c.closed).toBe(1006);
  expect(backend.ledger.sse[0]).toMatchObject({ transport: 'websocket', closedBy: 'server' });
});

test('bad messages get one error each and leave the socket unsubscribed; other paths are refused', async () => {
  const c = await connect();
  c.ws.send('not json');
  c.ws.send(JSON.stringify({ type: 'start' }));
  c.ws.send(JSON.stringify({ type: 'resume', stream_id: 'nope' }));
  c.ws.send(JSON.stringify({ type: 'start', session_id: 'nope', message: 'x' }));
  await until(() => c.got.length === 4);
  expect(c.got.map((m) => m.message)).toEqual([
    'a message must be JSON',
    'start needs a string session_id',
    'unknown stream_id',
    'unknown session_id',
  ]);
  expect(backend.ledger.sse).toEqual([]);
  expect(timeline.of('turn-request').map((e) => [e.session, e.status])).toEqual([[null, 404]]);
  c.ws.close();
  const other = new WebSocket(`${backend.url.replace('http', 'ws')}/api/elsewhere`);
  const refused = await new Promise<string>((ok) => other.on('error', (e) => ok(String(e))));
  expect(refused).toMatch(/404/);
});

test("the ledger's transport: an EventSource's request, and a stream read by script", async () => {
  const session = await newSession([{ tokens: { count: 40, rate: 40 } }]);
  const r = (await (
    await fetch(`${backend.url}/api/chat/start`, {
      method: 'POST',
      body: JSON.stringify({ session_id: session, message: 'hi' }),
    })
  ).json()) as { stream_id: string };
  const es = new SseReader(`${backend.url}/api/chat/stream?stream_id=${r.stream_id}`);
  const abort = new AbortController();
  const res = await fetch(`${backend.url}/api/chat/stream?stream_id=${r.stream_id}`, { signal: abort.signal });
  await until(() => backend.ledger.openChatStreams().length === 2);
  expect(backend.ledger.sse.map((s) => s.transport).sort()).toEqual(['eventsource', 'fetch-stream']);
  abort.abort();
  await res.body?.cancel().catch(() => {});
  es.close();
});
