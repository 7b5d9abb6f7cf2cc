// DNS rebinding: a page of another site whose name is re-pointed at 127.0.0.1 while a run is up reaches the mock
// backend's port, but its requests carry that site's name as Host. The backend answers only its own address and
// port; the refusals are on the ledger and noted on the timeline. Raw loopback sockets, no browser.
import { test, expect } from '@playwright/test';
import { connect } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockBackend } from '../harness/mock/backend.ts';
import { ownHosts } from '../harness/mock/own-host.ts';
import { Timeline } from '../harness/timeline.ts';

let backend: MockBackend;
let timeline: Timeline;
let root: string;
let port: number;

test.beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), 'sse-harness-test-ui-'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><html><head></head><body>the UI</body></html>');
  timeline = new Timeline();
  backend = new MockBackend({ root, heartbeatMs: 100 }, timeline);
  await backend.start();
  port = Number(new URL(backend.url).port);
});

test.afterEach(async () => {
  await backend.stop();
  rmSync(root, { recursive: true, force: true });
});

/** One request over a raw socket with the given request line and headers; the status and body that come back. */
function raw(head: string): Promise<{ status: number; body: string }> {
  return new Promise((ok, fail) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.setEncoding('latin1');
    socket.on('data', (d) => (data += d));
    socket.on('close', () =>
      ok({
        status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(data)?.[1] ?? 0),
        body: data.slice(data.indexOf('\r\n\r\n') + 4),
      }),
    );
    socket.on('error', fail);
    socket.setTimeout(5_000, () => socket.destroy(new Error(`no answer to ${JSON.stringify(head)}`)));
    socket.write(`${head}\r\nConnection: close\r\n\r\n`);
  });
}

test('requests naming another host are refused with 421 and a short body; its own names are answered', async () => {
  const s = (await (await fetch(`${backend.url}/api/session/new`, { method: 'POST', body: '{}' })).json()) as {
    session: { session_id: string };
  };
  for (const host of [
    'evil.example',
    `evil.example:${port}`,
    `127.0.0.1:${port + 1}`,
    `[::1]:${port}`,
    `127.0.0.1.evil.example:${port}`,
    '127.0.0.1',
    `localhost.:${port}`,
  ]) {
    for (const path of [
      '/',
      '/api/sessions',
      `/api/session?session_id=${s.session.session_id}`,
      '/__harness/probe.js',
      '/api/chat/stream?stream_id=run1',
    ]) {
      const r = await raw(`GET ${path} HTTP/1.1\r\nHost: ${host}`);
      expect(r.status, `${host} ${path}`).toBe(421);
      expect(r.body).toBe(`sse-harness mock backend: this server answers only requests for ${backend.url}\n`);
    }
  }
  // No Host at all (HTTP/1.0), and a proxy-style absolute URL under its own Host name.
  expect((await raw('GET / HTTP/1.0')).status).toBe(421);
  expect((await raw(`GET http://evil.example/ HTTP/1.1\r\nHost: 127.0.0.1:${port}`)).status).toBe(421);
  // Nothing was served to them: no stream opened, no session leaked.
  expect(backend.ledger.sse).toHaveLength(0);

  for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LocalHost:${port}`]) {
    const page = await raw(`GET / HTTP/1.1\r\nHost: ${host}`);
    expect(page.status, host).toBe(200);
    expect(page.body).toContain('the UI');
    const list = await raw(`GET /api/sessions HTTP/1.1\r\nHost: ${host}`);
    expect(list.status).toBe(200);
    expect(list.body).toContain(s.session.session_id);
  }
  // A client given the harness's URL (a browser, fetch) sends that Host.
  expect((await fetch(`${backend.url}/api/health`)).status).toBe(200);
});

test('refusals are on the ledger, and each foreign host is noted once on the timeline', async () => {
  for (let i = 0; i < 3; i++) await raw(`GET /api/sessions HTTP/1.1\r\nHost: evil.example`);
  await raw(`GET /index.html HTTP/1.1\r\nHost: rebound.example:${port}`);
  // Node's parser refuses control characters in a header itself (400); bytes above ASCII get through.
  expect((await raw(`GET / HTTP/1.1\r\nHost: \u001b[2Jx`)).status).toBe(400);
  await raw(`GET / HTTP/1.1\r\nHost: \u202eevil`);
  const refused = timeline.of('request').filter((r) => r.status === 421);
  expect(refused.map((r) => r.path)).toEqual(['/api/sessions', '/api/sessions', '/api/sessions', '/index.html', '/']);
  const notes = timeline.of('note').map((n) => n.message);
  expect(notes).toHaveLength(3);
  expect(notes[0]).toBe(
    `refused GET "/api/sessions" with Host "evil.example" (421): the mock backend answers only requests for its own address (127.0.0.1:${port}, localhost:${port}); another site's page reaching it by DNS rebinding is turned away`,
  );
  expect(notes[1]).toContain(`with Host "rebound.example:${port}"`);
  // The foreign name is the attacker's text: noted escaped (Node reads header bytes as Latin-1: U+202E is â, U+0080, ®).
  expect(notes[2]).toContain('with Host "â\\u0080®evil"');
});

test("a server's own Host names follow its address and port", () => {
  expect([...ownHosts('127.0.0.1', 4100)]).toEqual(['127.0.0.1:4100', 'localhost:4100']);
  expect([...ownHosts('::1', 4100)]).toEqual(['[::1]:4100', 'localhost:4100']);
  expect([...ownHosts('127.0.0.1', 80)]).toEqual(['127.0.0.1:80', 'localhost:80', '127.0.0.1', 'localhost']);
});
