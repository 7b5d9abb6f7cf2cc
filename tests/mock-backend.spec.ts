// The mock backend over a real loopback socket: journal replay, live follow, drops, and the connection ledger.
import { test, expect } from '@playwright/test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockBackend } from '../harness/mock/backend.ts';
import { scriptedAnswer } from '../harness/mock/player.ts';
import { Timeline } from '../harness/timeline.ts';
import { SseReader, until } from './support/sse-client.ts';

let backend: MockBackend;
let timeline: Timeline;
let root: string;

test.beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), 'sse-harness-test-ui-'));
  writeFileSync(
    join(root, 'index.html'),
    '<!doctype html><html><head><title>t</title><script src="app.js"></script></head><body></body></html>',
  );
  timeline = new Timeline();
  backend = new MockBackend({ root, heartbeatMs: 200 }, timeline);
  await backend.start();
});

test.afterEach(async () => {
  await backend.stop();
  rmSync(root, { recursive: true, force: true });
});

async function startChat(script: Parameters<MockBackend['arm']>[2]): Promise<{ session: string; stream: string }> {
  const s = (await (await fetch(`${backend.url}/api/session/new`, { method: 'POST', body: '{}' })).json()) as {
    session: { session_id: string };
  };
  backend.arm(s.session.session_id, 'test', script);
  const r = await fetch(`${backend.url}/api/chat/start`, {
    method: 'POST',
    body: JSON.stringify({ session_id: s.session.session_id, message: 'hi' }),
  });
  const j = (await r.json()) as { stream_id: string };
  return { session: s.session.session_id, stream: j.stream_id };
}

test('injects the in-page probe before the page scripts', async () => {
  const html = await (await fetch(`${backend.url}/`)).text();
  expect(html.indexOf('/__harness/probe.js')).toBeGreaterThan(-1);
  expect(html.indexOf('/__harness/probe.js')).toBeLessThan(html.indexOf('app.js'));
  const probe = await fetch(`${backend.url}/__harness/probe.js`);
  expect(probe.headers.get('content-type')).toContain('javascript');
});

test('streams a run, then closes it with stream_end, and the ledger says the server closed it', async () => {
  const script = [{ tokens: { count: 5, rate: 200 } }];
  const { stream } = await startChat(script);
  const reader = new SseReader(`${backend.url}/api/chat/stream?stream_id=${stream}`);
  await reader.ended;
  const tokens = reader.events.filter((e) => e.event === 'token').map((e) => JSON.parse(e.data).text);
  expect(tokens.join('')).toBe(scriptedAnswer(script).join(''));
  expect(reader.events.at(-1)?.event).toBe('stream_end');
  expect(reader.events.map((e) => e.id)).toEqual(reader.events.map((_, i) => `${stream}:${i + 1}`));
  await until(() => backend.ledger.sse.length === 1 && backend.ledger.sse[0]!.closedBy === 'server');
  expect(backend.ledger.sse[0]!.events).toBe(reader.events.length);
});

test('replays the journal after after_seq and follows live, with nothing lost or doubled', async () => {
  const script = [{ tokens: { count: 40, rate: 100 } }];
  const { stream } = await startChat(script);
  const first = new SseReader(`${backend.url}/api/chat/stream?stream_id=${stream}`);
  await until(() => first.events.length >= 10);
  first.close();
  const seen = Number(first.events.at(-1)!.id.split(':')[1]);
  await until(() => backend.ledger.sse[0]?.closedBy === 'client');
  const second = new SseReader(`${backend.url}/api/chat/stream?stream_id=${stream}&after_seq=${seen}`);
  await second.ended;
  const text = [...first.events, ...second.events]
    .filter((e) => e.event === 'token')
    .map((e) => JSON.parse(e.data).text)
    .join('');
  expect(text).toBe(scriptedAnswer(script).join(''));
  expect(backend.ledger.sse.map((r) => r.closedBy)).toEqual(['client', 'server']);
});

test('a scripted drop destroys the socket while the run goes on', async () => {
  // The wait lets the reader subscribe before the drop on a loaded machine.
  const { stream } = await startChat([
    { tokens: { count: 3, rate: 100 } },
    { wait: 500 },
    { drop: true },
    { tokens: { count: 3, rate: 100 } },
  ]);
  const reader = new SseReader(`${backend.url}/api/chat/stream?stream_id=${stream}`);
  await reader.ended;
  expect(reader.failed).toBe(true);
  expect(reader.events.filter((e) => e.event === 'token')).toHaveLength(3);
  await until(() => !backend.runs.get(stream)!.active);
  expect(backend.runs.get(stream)!.journal.length).toBe(3 + 3 + 2);
  expect(timeline.of('server-drop')).toHaveLength(1);
});

test('hurry() sends the rest of a slow answer at once, the same answer, mid-wait and mid-stall', async () => {
  // 20 s of tokens, a 30 s wait and a 30 s stall: played at their pace this takes over a minute.
  const script = [
    { tokens: { count: 400, rate: 20 } },
    { wait: 30_000 },
    { stall: 30_000 },
    { tokens: { count: 5, rate: 1 } },
  ];
  const { stream } = await startChat(script);
  const reader = new SseReader(`${backend.url}/api/chat/stream?stream_id=${stream}`);
  await until(() => reader.events.filter((e) => e.event === 'token').length >= 3);
  backend.runs.get(stream)!.hurry();
  await until(() => reader.events.at(-1)?.event === 'stream_end', 10_000);
  const tokens = reader.events.filter((e) => e.event === 'token').map((e) => JSON.parse(e.data).text);
  expect(tokens.join('')).toBe(scriptedAnswer(script).join(''));
  expect(reader.events.at(-1)?.event).toBe('stream_end');
});

test('sends heartbeats as comments, and none during a stall', async () => {
  const { stream } = await startChat([
    { tokens: { count: 1 } },
    { stall: 700 },
    { wait: 700 },
    { tokens: { count: 1 } },
  ]);
  const reader = new SseReader(`${backend.url}/api/chat/stream?stream_id=${stream}`);
  await reader.ended;
  const tokenTimes = reader.comments.filter((c) => c.text === 'heartbeat').map((c) => c.t);
  const firstToken = reader.events.find((e) => e.event === 'token')!.t;
  // Heartbeats come every 200 ms, but not in the 700 ms stall right after the first token.
  expect(tokenTimes.filter((t) => t > firstToken + 100 && t < firstToken + 600)).toHaveLength(0);
  expect(tokenTimes.filter((t) => t > firstToken + 750)).not.toHaveLength(0);
});

test('answers 409 while a run is active and 404 with a message for unknown routes', async () => {
  const { session } = await startChat([{ tokens: { count: 50, rate: 20 } }]);
  const again = await fetch(`${backend.url}/api/chat/start`, {
    method: 'POST',
    body: JSON.stringify({ session_id: session, message: 'x' }),
  });
  expect(again.status).toBe(409);
  const unknown = await fetch(`${backend.url}/api/not/a/route`);
  expect(unknown.status).toBe(404);
  expect(((await unknown.json()) as { error: string }).error).toContain('no route for GET /api/not/a/route');
  await until(() => timeline.of('request').some((r) => r.path === '/api/not/a/route' && r.status === 404));
});
