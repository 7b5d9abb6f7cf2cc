// The harness's front before a real server (--backend real), over real loopback sockets. The server behind it here
// is the mock backend with its probe off, standing in for a UI's own server: what is checked is the front (the probe
// in pages, the ledger of chat streams, drops, the Host check), not the server. tests/hermes-real.spec.ts puts the
// real hermes-webui server behind it when HERMES_WEBUI_DIR is set.
import { test, expect } from '@playwright/test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WireStream } from '../harness/conformance/wire.ts';
import { MockBackend } from '../harness/mock/backend.ts';
import { RealBackend, type AgentControl, type AgentEvent } from '../harness/mock/real-backend.ts';
import { Timeline } from '../harness/timeline.ts';

let server: MockBackend;
let front: RealBackend;
let timeline: Timeline;
let root: string;
const listeners: ((e: AgentEvent) => void)[] = [];

test.beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), 'sse-harness-test-ui-'));
  writeFileSync(
    join(root, 'index.html'),
    '<!doctype html><html><head><title>t</title><script src="app.js"></script></head><body></body></html>',
  );
  timeline = new Timeline();
  server = new MockBackend({ root, heartbeatMs: 200, probe: false }, new Timeline());
  listeners.length = 0;
  const control: AgentControl = {
    url: 'http://127.0.0.1:1/unused',
    start: async () => 'http://127.0.0.1:1/unused',
    stop: async () => {},
    arm: (session, script) => server.arm(session, script.name, script.items),
    hurry: (session) => server.runFor(session)?.hurry(),
    onEvent: (l) => void listeners.push(l),
  };
  front = new RealBackend(
    {
      control,
      describe: 'a test server',
      startServer: async () => ({ origin: await server.start(), stop: () => server.stop() }),
    },
    timeline,
  );
  await front.start();
});

test.afterEach(async () => {
  await front.stop();
  rmSync(root, { recursive: true, force: true });
});

async function startChat(script: Parameters<MockBackend['arm']>[2]): Promise<{ session: string; stream: string }> {
  const s = (await (await fetch(`${front.url}/api/session/new`, { method: 'POST', body: '{}' })).json()) as {
    session: { session_id: string };
  };
  front.arm(s.session.session_id, 'test', script);
  const r = await fetch(`${front.url}/api/chat/start`, {
    method: 'POST',
    body: JSON.stringify({ session_id: s.session.session_id, message: 'hi' }),
  });
  const j = (await r.json()) as { stream_id: string };
  return { session: s.session.session_id, stream: j.stream_id };
}

test("puts the probe into the server's pages, once, before their scripts", async () => {
  const res = await fetch(`${front.url}/`);
  const html = await res.text();
  expect(html.split('/__harness/probe.js').length - 1).toBe(1);
  expect(html.indexOf('/__harness/probe.js')).toBeLessThan(html.indexOf('app.js'));
  expect(Number(res.headers.get('content-length'))).toBe(Buffer.byteLength(html));
  expect((await fetch(`${front.url}/__harness/probe.js`)).status).toBe(200);
});

test('learns sessions and runs from the replies, and the script armed for a session is the one its run plays', async () => {
  const chat = await startChat([{ tokens: { count: 6, rate: 200 } }]);
  expect(front.sessions.has(chat.session)).toBe(true);
  const run = front.runFor(chat.session)!;
  expect(run.streamId).toBe(chat.stream);
  expect(run.answer.join('')).toBe(server.runFor(chat.session)!.answer.join(''));
  expect(
    timeline.events.some((e) => e.kind === 'run-start' && e.streamId === chat.stream && e.session === chat.session),
  ).toBe(true);
  // The run ends when the agent says so.
  for (const l of listeners) l({ kind: 'run-end', session: chat.session, reason: 'complete' });
  expect(front.runFor(chat.session)!.active).toBe(false);
});

test('a chat stream is on the ledger from its reply to its close, with who closed it', async () => {
  const chat = await startChat([
    { tokens: { count: 5, rate: 100 } },
    { stall: 30_000 },
    { tokens: { count: 5, rate: 100 } },
  ]);
  const a = new WireStream(front.url, `/api/chat/stream?stream_id=${chat.stream}`);
  expect(await a.until(() => a.frames.filter((f) => f.event === 'token').length >= 5, 5_000)).toBe(true);
  const [rec] = front.ledger.openChatStreams();
  expect(rec).toMatchObject({ streamId: chat.stream, session: chat.session, closedAt: null });
  expect(rec!.events).toBeGreaterThanOrEqual(5);
  expect(front.runFor(chat.session)!.lastSeq).toBeGreaterThanOrEqual(5);
  a.close();
  await expect.poll(() => rec!.closedBy, { timeout: 5_000 }).toBe('client');
  // The server ends the next one: closed by the server.
  front.runFor(chat.session)!.hurry();
  const b = new WireStream(front.url, `/api/chat/stream?stream_id=${chat.stream}`);
  expect(await b.until(() => b.ended, 5_000)).toBe(true);
  await expect.poll(() => front.ledger.sse.at(-1)!.closedBy, { timeout: 5_000 }).toBe('server');
  expect(front.ledger.openChatStreams()).toHaveLength(0);
});

test('a drop cuts the client socket and the server sees its subscriber go', async () => {
  const chat = await startChat([{ tokens: { count: 3, rate: 100 } }, { stall: 30_000 }]);
  const a = new WireStream(front.url, `/api/chat/stream?stream_id=${chat.stream}`);
  expect(await a.until(() => a.frames.filter((f) => f.event === 'token').length >= 3, 5_000)).toBe(true);
  expect(front.dropAllStreams('test drop')).toBe(1);
  expect(await a.until(() => a.cut, 5_000)).toBe(true);
  expect(a.ended).toBe(false);
  expect(front.ledger.sse[0]!.closedBy).toBe('server');
  expect(timeline.events.find((e) => e.kind === 'server-drop')).toMatchObject({
    streamId: chat.stream,
    sockets: 1,
    why: 'test drop',
  });
  // The server behind lost its subscriber too.
  await expect.poll(() => server.ledger.openChatStreams().length, { timeout: 5_000 }).toBe(0);
  expect(front.dropAllStreams('again')).toBe(0);
});

test('answers only requests for its own address (DNS rebinding)', async () => {
  const status = await new Promise<number>((ok, fail) => {
    const u = new URL(front.url);
    const req = request({ host: u.hostname, port: u.port, path: '/', headers: { host: 'evil.example:80' } }, (res) => {
      res.resume();
      ok(res.statusCode ?? 0);
    });
    req.on('error', fail);
    req.end();
  });
  expect(status).toBe(421);
});
