// The chat stream's resume rules as the server models have them, over a real socket: one test per row of the table in
// docs/protocol.md#resume and per server behaviour, each checking every stream state (live with no other subscriber,
// live with another, finished, unknown); then the offline buffer's cap, the frames' ids, the reply's headers, and a
// browser EventSource's own reconnect with Last-Event-ID.
import { test, expect } from '@playwright/test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { msw } from '../harness/deps.ts';
import { MockBackend, type BackendOptions } from '../harness/mock/backend.ts';
import type { Run } from '../harness/mock/player.ts';
import type { ServerModel } from '../harness/mock/server-model.ts';
import { Timeline } from '../harness/timeline.ts';
import { SseReader, until, type Frame } from './support/sse-client.ts';

/** Four bursts of three tokens (seq 1-3, 4-6, 7-9, 10-12), each after a wait the test ends; then done (13), stream_end (14). */
const HOUR = 3_600_000;
const SCRIPT = [
  { burst: { count: 3 } },
  { wait: HOUR },
  { burst: { count: 3 } },
  { wait: HOUR },
  { burst: { count: 3 } },
  { wait: HOUR },
  { burst: { count: 3 } },
];
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

const cleanups: (() => Promise<void>)[] = [];
test.afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function backendWith(server: Partial<ServerModel>, extra: Partial<BackendOptions> = {}): Promise<MockBackend> {
  const root = mkdtempSync(join(tmpdir(), 'sse-harness-resume-'));
  writeFileSync(
    join(root, 'index.html'),
    '<!doctype html><html><head><title>resume</title></head><body></body></html>',
  );
  const backend = new MockBackend({ root, heartbeatMs: 60_000, server, ...extra }, new Timeline());
  await backend.start();
  cleanups.push(async () => {
    await backend.stop();
    rmSync(root, { recursive: true, force: true });
  });
  return backend;
}

async function startRun(backend: MockBackend): Promise<Run> {
  const s = (await (await fetch(`${backend.url}/api/session/new`, { method: 'POST', body: '{}' })).json()) as {
    session: { session_id: string };
  };
  backend.arm(s.session.session_id, 'resume', SCRIPT);
  const r = (await (
    await fetch(`${backend.url}/api/chat/start`, {
      method: 'POST',
      body: JSON.stringify({ session_id: s.session.session_id, message: 'hi' }),
    })
  ).json()) as { stream_id: string };
  return backend.runs.get(r.stream_id)!;
}

/** Lets the run go on to its next burst and waits until it has emitted it. */
async function next(run: Run, lastSeq: number): Promise<void> {
  run.wake();
  await until(() => run.lastSeq >= lastSeq);
}

const url = (backend: MockBackend, run: Run, query = '') =>
  `${backend.url}/api/chat/stream?stream_id=${run.streamId}${query}`;
const seqs = (frames: Frame[]) => frames.map((f) => Number(f.id.slice(f.id.lastIndexOf(':') + 1)));
const reader = (backend: MockBackend, run: Run, form: Form) => {
  const r = new SseReader(url(backend, run, form.query), form.headers);
  cleanups.push(async () => r.close());
  return r;
};

interface Form {
  query: string;
  headers?: Record<string, string>;
}

/**
 * Live, no other subscriber: a first client read seq 1-6 and left, 7-9 came while nobody listened; the request is
 * answered, then the run goes on (10-14). Returns the seqs the request got before the run went on, and after.
 */
async function liveAlone(
  backend: MockBackend,
  form: (run: string) => Form,
): Promise<{ first: number[]; all: number[] }> {
  const run = await startRun(backend);
  const a = reader(backend, run, { query: '&after_seq=0' });
  await until(() => run.subscribers.size === 1);
  await next(run, 6);
  await until(() => seqs(a.events).at(-1) === 6);
  a.close();
  await until(() => run.subscribers.size === 0);
  // The server has noticed the client gone (a heartbeat failed to reach it) before the run goes on.
  run.heartbeatNow();
  await next(run, 9);
  return follow(backend, run, form(run.streamId));
}

/** Live with another subscriber: B has read seq 1-6 and stays; the request is answered, then the run goes on (7-14). */
async function liveShared(
  backend: MockBackend,
  form: (run: string) => Form,
): Promise<{ first: number[]; all: number[] }> {
  const run = await startRun(backend);
  const b = reader(backend, run, { query: '&after_seq=0' });
  await until(() => run.subscribers.size === 1);
  await next(run, 6);
  await until(() => seqs(b.events).at(-1) === 6);
  return follow(backend, run, form(run.streamId));
}

/** Reads what a request gets at once (up to the server's sign that it has subscribed), then lets the run finish. */
async function follow(backend: MockBackend, run: Run, form: Form): Promise<{ first: number[]; all: number[] }> {
  const subscribers = run.subscribers.size;
  const r = reader(backend, run, form);
  // The backlog is written in one piece before the subscriber joins the run.
  await until(() => run.subscribers.size === subscribers + 1);
  await until(() => backend.ledger.sse.at(-1)!.events === r.events.length);
  const first = seqs(r.events);
  run.hurry();
  await r.ended;
  return { first, all: seqs(r.events) };
}

/** Finished: the whole run was played with nobody listening; the request is answered and the response ends. */
async function finished(backend: MockBackend, form: (run: string) => Form): Promise<{ status: number; all: number[] }> {
  const run = await startRun(backend);
  run.hurry();
  await until(() => !run.active);
  const r = reader(backend, run, form(run.streamId));
  await r.ended;
  return { status: r.status, all: seqs(r.events) };
}

/** Unknown stream id: 404 with a JSON error, whatever the cursor. */
async function unknown(backend: MockBackend, form: (run: string) => Form): Promise<void> {
  const f = form('run404');
  const res = await fetch(`${backend.url}/api/chat/stream?stream_id=run404${f.query}`, {
    headers: { accept: 'text/event-stream', ...f.headers },
  });
  expect(res.status).toBe(404);
  expect(res.headers.get('content-type')).toContain('application/json');
  expect(((await res.json()) as { error?: string }).error).toBeTruthy();
}

const older: Partial<ServerModel> = { resume: 'buffer', lastEventId: false, offlineBufferCap: null };
const newer: Partial<ServerModel> = { resume: 'journal' };
/** Journal resume before the Last-Event-ID fix (hermes-webui v0.51.294 to exp-v0.52.243). */
const journalBeforeFix: Partial<ServerModel> = { resume: 'journal', lastEventId: false };

interface Row {
  form: (run: string) => Form;
  /** Per server model: what the request gets first while live (alone, shared), and from a finished run. */
  expect: { model: string; server: Partial<ServerModel>; alone: number[]; shared: number[]; finished: number[] }[];
}

const ALL = range(1, 14);
const ROWS: Record<string, Row> = {
  'no cursor': {
    form: () => ({ query: '' }),
    expect: [
      { model: 'buffer', server: older, alone: range(7, 9), shared: [], finished: ALL },
      { model: 'journal', server: newer, alone: range(7, 9), shared: [], finished: ALL },
    ],
  },
  'after_seq=N': {
    form: () => ({ query: '&after_seq=4' }),
    expect: [
      { model: 'buffer', server: older, alone: range(7, 9), shared: [], finished: range(5, 14) },
      { model: 'journal', server: newer, alone: range(5, 9), shared: [5, 6], finished: range(5, 14) },
    ],
  },
  'after_event_id=<run>:N': {
    form: (run) => ({ query: `&after_event_id=${run}:4` }),
    expect: [
      { model: 'buffer', server: older, alone: range(7, 9), shared: [], finished: range(5, 14) },
      { model: 'journal', server: newer, alone: range(5, 9), shared: [5, 6], finished: range(5, 14) },
    ],
  },
  'replay=1': {
    form: () => ({ query: '&replay=1' }),
    expect: [
      { model: 'buffer', server: older, alone: range(7, 9), shared: [], finished: ALL },
      { model: 'journal', server: newer, alone: range(1, 9), shared: range(1, 6), finished: ALL },
    ],
  },
  'Last-Event-ID: <run>:N': {
    form: (run) => ({ query: '', headers: { 'last-event-id': `${run}:4` } }),
    expect: [
      { model: 'buffer', server: older, alone: range(7, 9), shared: [], finished: ALL },
      { model: 'journal', server: newer, alone: range(5, 9), shared: [5, 6], finished: range(5, 14) },
      {
        model: 'journal before the Last-Event-ID fix',
        server: journalBeforeFix,
        alone: range(7, 9),
        shared: [],
        finished: ALL,
      },
    ],
  },
  'an unusable cursor (another run, not a number)': {
    form: () => ({ query: '&after_event_id=run999:2&after_seq=4' }),
    expect: [
      { model: 'buffer', server: older, alone: range(7, 9), shared: [], finished: ALL },
      { model: 'journal', server: newer, alone: range(1, 9), shared: range(1, 6), finished: ALL },
    ],
  },
  'a cursor ahead of the run': {
    form: () => ({ query: '&after_seq=99' }),
    expect: [
      { model: 'buffer', server: older, alone: range(7, 9), shared: [], finished: [] },
      { model: 'journal', server: newer, alone: range(1, 9), shared: range(1, 6), finished: ALL },
      { model: 'journal before the Last-Event-ID fix', server: journalBeforeFix, alone: [], shared: [], finished: [] },
    ],
  },
};

for (const [row, { form, expect: cases }] of Object.entries(ROWS)) {
  for (const c of cases) {
    test(`${row} · ${c.model}: live alone, live shared, finished, unknown`, async () => {
      const backend = await backendWith(c.server);
      const alone = await liveAlone(backend, form);
      expect(alone.first, 'live, no other subscriber: sent first').toEqual(c.alone);
      expect(alone.all, 'live, no other subscriber: then the live events').toEqual([...c.alone, ...range(10, 14)]);
      const shared = await liveShared(backend, form);
      expect(shared.first, 'live, another subscriber: sent first').toEqual(c.shared);
      expect(shared.all, 'live, another subscriber: then the live events').toEqual([...c.shared, ...range(7, 14)]);
      const done = await finished(backend, form);
      expect(done.status).toBe(200);
      expect(done.all, 'finished: the journal after the cursor, then the end').toEqual(c.finished);
      await unknown(backend, form);
    });
  }
}

test('the unusable cursor forms: another run, no number after the colon, a bare number, replay alone, a word as after_seq', async () => {
  const backend = await backendWith(newer);
  for (const query of [
    '&after_event_id=run999:4',
    '&after_event_id=RUN:x',
    '&replay=yes',
    '&after_seq=abc',
    '&after_seq=-3',
  ]) {
    const alone = await liveAlone(backend, (run) => ({ query: query.replace('RUN', run) }));
    expect(alone.first, query).toEqual(range(1, 9));
  }
  // A bare number in after_event_id names no run: the server goes on to after_seq, here 6.
  const bare = await liveAlone(backend, () => ({ query: '&after_event_id=4&after_seq=6' }));
  expect(bare.first).toEqual(range(7, 9));
  // A query cursor wins over the header, even an unusable one.
  const both = await liveAlone(backend, (run) => ({ query: '&replay=1', headers: { 'last-event-id': `${run}:6` } }));
  expect(both.first).toEqual(range(1, 9));
  // A header naming another run, or no number, is unusable too.
  for (const h of ['run999:4', 'garbage', '7']) {
    const header = await liveAlone(backend, () => ({ query: '', headers: { 'last-event-id': h } }));
    expect(header.first, `Last-Event-ID: ${h}`).toEqual(range(1, 9));
  }
});

test('the offline buffer keeps its newest events up to the cap; a cursor is served from the journal whatever the cap', async () => {
  for (const server of [
    { ...older, offlineBufferCap: 2 },
    { ...newer, offlineBufferCap: 2 },
  ]) {
    const backend = await backendWith(server);
    expect((await liveAlone(backend, () => ({ query: '' }))).first, server.resume).toEqual([8, 9]);
    expect((await liveAlone(backend, () => ({ query: '&after_seq=4' }))).first, server.resume).toEqual(
      server.resume === 'journal' ? range(5, 9) : [8, 9],
    );
  }
  const unbounded = await backendWith({ ...newer, offlineBufferCap: null });
  expect((await liveAlone(unbounded, () => ({ query: '' }))).first).toEqual(range(7, 9));
});

test('the offline buffer empties only when an event reaches a subscriber: one who came and went, noticed gone before the next event, leaves it whole', async () => {
  const backend = await backendWith(newer);
  const run = await startRun(backend);
  const a = reader(backend, run, { query: '' });
  await until(() => a.events.length === 3);
  a.close();
  await until(() => run.subscribers.size === 0);
  run.heartbeatNow();
  await next(run, 6);
  expect((await follow(backend, run, { query: '' })).first).toEqual(range(1, 6));
});

test('a client gone but not yet noticed takes the next event with it: lost to a reconnect without a cursor, not to one with', async () => {
  for (const drop of [false, true]) {
    const backend = await backendWith(newer);
    const run = await startRun(backend);
    const a = reader(backend, run, { query: '&after_seq=0' });
    await until(() => seqs(a.events).at(-1) === 3);
    // The client closes its stream, or the OS kills its socket (a lock): the server learns it only by writing.
    if (drop) run.drop('lock');
    else a.close();
    await until(() => run.subscribers.size === 0);
    await next(run, 6);
    // Event 4 went to the gone client; the offline buffer was cleared for it and kept 5-6.
    expect((await follow(backend, run, { query: '' })).first, drop ? 'after a drop' : 'after a close').toEqual([5, 6]);
  }
  const backend = await backendWith(newer);
  const run = await startRun(backend);
  const a = reader(backend, run, { query: '&after_seq=0' });
  await until(() => seqs(a.events).at(-1) === 3);
  a.close();
  await until(() => run.subscribers.size === 0);
  await next(run, 6);
  expect((await follow(backend, run, { query: '&after_seq=3' })).first, 'a cursor is served from the journal').toEqual([
    4, 5, 6,
  ]);
});

test('frame ids: their own, the latest at the time of writing (older servers), or none; without a kept journal a finished run is 404', async () => {
  const latest = await backendWith({ ...older, frameIds: 'latest' });
  const run = await startRun(latest);
  await next(run, 6);
  const r = reader(latest, run, { query: '' });
  await until(() => r.events.length === 6);
  // The buffered tail goes out under the newest id, and so does a live burst (its events reach the writer together).
  expect(r.events.map((f) => f.id)).toEqual(range(1, 6).map(() => `${run.streamId}:6`));
  await next(run, 9);
  await until(() => r.events.length === 9);
  expect(r.events.slice(6).map((f) => f.id)).toEqual(range(7, 9).map(() => `${run.streamId}:9`));
  // Frames of a server that stamps their own ids are each their own, in a burst too.
  const own = await backendWith({ frameIds: 'own' });
  const run3 = await startRun(own);
  const r3 = reader(own, run3, { query: '' });
  await until(() => r3.events.length === 3);
  expect(r3.events.map((f) => f.id)).toEqual(range(1, 3).map((n) => `${run3.streamId}:${n}`));

  const gone = await backendWith({ ...older, frameIds: 'none', journalKept: false });
  const run2 = await startRun(gone);
  const r2 = reader(gone, run2, { query: '' });
  await until(() => r2.events.length === 3);
  run2.hurry();
  await r2.ended;
  expect(r2.events.map((f) => f.id)).toEqual(range(1, 14).map(() => ''));
  expect(r2.events.at(-1)!.event).toBe('stream_end');
  expect((await fetch(url(gone, run2))).status).toBe(404);
  // Its status says only whether it is active: no replay_available, as the servers before the journal answered.
  expect(await (await fetch(`${gone.url}/api/chat/stream/status?stream_id=${run2.streamId}`)).json()).toEqual({
    active: false,
    stream_id: run2.streamId,
  });
});

test("a finished run's replay reads after_event_id only where the model says so (hermes-webui before v0.51.170: after_seq alone)", async () => {
  for (const [finishedEventId, after3] of [
    [undefined, range(4, 14)],
    [false, range(1, 14)],
  ] as const) {
    const b = await backendWith({ frameIds: 'own', finishedEventId });
    const run = await startRun(b);
    run.hurry();
    await until(() => !run.active);
    const byId = reader(b, run, { query: `&after_event_id=${run.streamId}:3` });
    await byId.ended;
    expect(seqs(byId.events), `finishedEventId ${finishedEventId}`).toEqual(after3);
    const bySeq = reader(b, run, { query: '&after_seq=3' });
    await bySeq.ended;
    expect(seqs(bySeq.events)).toEqual(range(4, 14));
  }
});

/** A chat-stream reply's response head and body, read to its end. */
function rawStream(target: string): Promise<{ head: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(target, (res) => {
      const head = Object.entries(res.headers)
        .map(([k, v]) => `${k}: ${String(v)}`)
        .join('\n');
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ head, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test("the chat stream's reply carries the model's headers; Connection: close ends the body by closing the socket, not by chunks", async () => {
  const headers = {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'x-accel-buffering': 'no',
    connection: 'close',
  };
  const closing = await backendWith({ ...newer, sseHeaders: headers });
  const run = await startRun(closing);
  const got = rawStream(url(closing, run, '&after_seq=0'));
  await until(() => run.subscribers.size === 1);
  run.hurry();
  const r = await got;
  expect(r.head).toContain('content-type: text/event-stream; charset=utf-8');
  expect(r.head).toContain('x-accel-buffering: no');
  expect(r.head).toContain('connection: close');
  // No length and no chunks: the body ran until the server closed the socket, and it is whole.
  expect(r.head).not.toMatch(/transfer-encoding|content-length/);
  expect(r.body).toContain('event: stream_end');

  const keeping = await backendWith(newer);
  const run2 = await startRun(keeping);
  const got2 = rawStream(url(keeping, run2, '&after_seq=0'));
  await until(() => run2.subscribers.size === 1);
  run2.hurry();
  const r2 = await got2;
  expect(r2.head).toContain('connection: keep-alive');
  expect(r2.head).toContain('transfer-encoding: chunked');
});

test("a browser EventSource's own reconnect sends Last-Event-ID, and the page gets every event exactly once", async ({
  page,
}) => {
  const lastEventIds: (string | null)[] = [];
  // Notes each chat-stream request's Last-Event-ID and lets the mock's own route answer it.
  const spy = msw().http.get(
    '*/api/chat/stream',
    ({ request }) => void lastEventIds.push(request.headers.get('last-event-id')),
  );
  const backend = await backendWith(newer, { retryMs: 100, handlers: [spy] });
  const run = await startRun(backend);
  await page.goto(`${backend.url}/`);
  // Cursor-less, as a fresh subscribe: the first response drains the offline buffer (seq 1-3) and is never emptied,
  // so a reconnect without a cursor would get 1-3 again.
  await page.evaluate((src) => {
    const w = window as unknown as { got: string[]; es: EventSource };
    w.got = [];
    w.es = new EventSource(src);
    w.es.addEventListener('token', (e) =>
      w.got.push(`${(e as MessageEvent).lastEventId} ${JSON.parse((e as MessageEvent).data).text}`),
    );
    w.es.addEventListener('stream_end', () => w.es.close());
  }, `/api/chat/stream?stream_id=${run.streamId}`);
  const got = () => page.evaluate(() => (window as unknown as { got: string[] }).got);
  await expect.poll(got).toHaveLength(3);
  expect(run.drop('test: socket lost')).toBe(1);
  await next(run, 6);
  await expect.poll(() => lastEventIds.length).toBe(2);
  await until(() => run.subscribers.size === 1);
  run.hurry();
  await expect.poll(() => page.evaluate(() => (window as unknown as { es: EventSource }).es.readyState)).toBe(2);
  expect(lastEventIds).toEqual([null, `${run.streamId}:3`]);
  expect(await got()).toEqual(run.answer.map((text, i) => `${run.streamId}:${i + 1} ${text}`));
});
