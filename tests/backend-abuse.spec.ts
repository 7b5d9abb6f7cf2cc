// The mock backend under abuse, over raw loopback sockets: clients vanishing mid-stream, half-closed sockets,
// malformed requests. It must keep serving, record what happened, and hold nothing for the dead.
import { test, expect } from '@playwright/test';
import { connect, type Socket } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockBackend } from '../harness/mock/backend.ts';
import { Timeline } from '../harness/timeline.ts';
import { SseReader, until } from './support/sse-client.ts';

let backend: MockBackend;
let root: string;
let port: number;
/** The backend's own Host: it refuses any other (DNS rebinding; see host-header.spec.ts). */
const own = () => `127.0.0.1:${port}`;

test.beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), 'sse-harness-test-ui-'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><html><head></head><body></body></html>');
  backend = new MockBackend({ root, heartbeatMs: 100 }, new Timeline());
  await backend.start();
  port = Number(new URL(backend.url).port);
});

test.afterEach(async () => {
  await backend.stop();
  rmSync(root, { recursive: true, force: true });
});

async function startChat(tokens = 400, rate = 200): Promise<string> {
  const s = (await (await fetch(`${backend.url}/api/session/new`, { method: 'POST', body: '{}' })).json()) as {
    session: { session_id: string };
  };
  backend.arm(s.session.session_id, 'abuse', [{ tokens: { count: tokens, rate } }]);
  const r = await fetch(`${backend.url}/api/chat/start`, {
    method: 'POST',
    body: JSON.stringify({ session_id: s.session.session_id, message: 'x' }),
  });
  return ((await r.json()) as { stream_id: string }).stream_id;
}

/** Sends raw bytes and collects whatever comes back until the server closes or `until` matches. */
function raw(bytes: string, opts: { end?: boolean; until?: RegExp } = {}): Promise<{ data: string; socket: Socket }> {
  return new Promise((ok, fail) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.setEncoding('latin1');
    socket.on('data', (d) => {
      data += d;
      if (opts.until?.test(data)) ok({ data, socket });
    });
    socket.on('close', () => ok({ data, socket }));
    socket.on('error', fail);
    socket.write(bytes, () => opts.end && socket.end());
  });
}

async function healthy(): Promise<void> {
  const r = await fetch(`${backend.url}/api/health`);
  expect(r.status).toBe(200);
  expect(((await r.json()) as { ok: boolean }).ok).toBe(true);
}

test('clients vanishing mid-stream are closed as "client" in the ledger and stop being written to', async () => {
  const stream = await startChat();
  const sockets: Socket[] = [];
  for (let i = 0; i < 20; i++) {
    const { socket } = await raw(
      `GET /api/chat/stream?stream_id=${stream}&after_seq=0 HTTP/1.1\r\nHost: ${own()}\r\nAccept: text/event-stream\r\n\r\n`,
      { until: /event: token/ },
    );
    sockets.push(socket);
  }
  await until(() => backend.ledger.openChatStreams().length === 20);
  for (const s of sockets) s.destroy();
  await until(() => backend.ledger.openChatStreams().length === 0);
  const closed = backend.ledger.sse.filter((r) => r.closedAt !== null);
  expect(closed).toHaveLength(20);
  expect(closed.every((r) => r.closedBy === 'client')).toBe(true);
  const run = backend.runs.get(stream)!;
  expect(run.subscribers.size).toBe(0);
  await healthy();
});

test('a half-closed client (FIN right after the request) is answered, then released; the run goes on', async () => {
  const stream = await startChat(200, 400);
  const { data } = await raw(`GET /api/chat/stream?stream_id=${stream} HTTP/1.1\r\nHost: ${own()}\r\n\r\n`, {
    end: true,
  });
  expect(data).toMatch(/^HTTP\/1\.1 200/);
  expect(data).toContain('event: token');
  // Node ends the response when the client's side ends; the ledger must say so and hold nothing open.
  await until(() => backend.ledger.openChatStreams().length === 0);
  expect(backend.ledger.sse[0]!.closedAt).not.toBeNull();
  // The run itself keeps playing for a reader that comes back (from the start of the journal).
  const again = new SseReader(`${backend.url}/api/chat/stream?stream_id=${stream}&after_seq=0`);
  await again.ended;
  expect(again.events.filter((e) => e.event === 'token')).toHaveLength(200);
  await healthy();
});

test('malformed requests get 4xx answers (or a closed socket), never a crash', async () => {
  const cases = [
    'GARBAGE\r\n\r\n',
    `GET /api/chat/stream HTTP/1.1\r\nHost: ${own()}\r\nConnection: close\r\n\r\n`,
    `GET /api/chat/stream?stream_id=nope HTTP/1.1\r\nHost: ${own()}\r\nConnection: close\r\n\r\n`,
    `POST /api/chat/start HTTP/1.1\r\nHost: ${own()}\r\nContent-Length: 5\r\nConnection: close\r\n\r\n{oops`,
    `POST /api/chat/start HTTP/1.1\r\nHost: ${own()}\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{"session_id":`,
    `GET /%E0%A4%A HTTP/1.1\r\nHost: ${own()}\r\nConnection: close\r\n\r\n`,
    `GET /../../etc/passwd HTTP/1.1\r\nHost: ${own()}\r\nConnection: close\r\n\r\n`,
    `GET /api/session?session_id=${'x'.repeat(20000)} HTTP/1.1\r\nHost: ${own()}\r\nConnection: close\r\n\r\n`,
    `GET / HTTP/1.1\r\nHost: ${own()}\r\nContent-Length: -1\r\n\r\n`,
  ];
  for (const c of cases) {
    const pending = raw(c, { end: c.includes('Content-Length: 100') });
    const { data } = await pending;
    const status = /^HTTP\/1\.1 (\d{3})/.exec(data)?.[1];
    if (status)
      expect(Number(status), `${JSON.stringify(c.slice(0, 60))} → ${data.slice(0, 80)}`).toBeGreaterThanOrEqual(400);
    await healthy();
  }
  expect(data404(await fetch(`${backend.url}/../../etc/passwd`))).toBeTruthy();
});

function data404(r: Response): boolean {
  return r.status === 404 || r.status === 403;
}

test('a reader that never reads (full socket buffers) does not stop the run or other readers', async () => {
  const stream = await startChat(3000, 3000);
  // Connects, sends the request and never reads: the kernel buffers fill and writes back up.
  const stalled = connect(port, '127.0.0.1');
  stalled.pause();
  stalled.write(`GET /api/chat/stream?stream_id=${stream} HTTP/1.1\r\nHost: ${own()}\r\n\r\n`);
  const reader = new SseReader(`${backend.url}/api/chat/stream?stream_id=${stream}&after_seq=0`);
  await reader.ended;
  expect(reader.events.filter((e) => e.event === 'token')).toHaveLength(3000);
  stalled.destroy();
  await until(() => backend.ledger.openChatStreams().length === 0);
  await healthy();
});
