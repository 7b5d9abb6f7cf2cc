// A controlled page and a never-ending SSE endpoint on loopback, counting the sockets the browser holds, for the CDP probe's tests.
import { readFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface CdpTestServer {
  url: string;
  /** Sockets currently carrying an SSE response the server has not seen closed. */
  sseSockets(): number;
  /** All TCP connections to the server that are still open (SSE, idle keep-alive, anything). */
  sockets(): number;
  /** True once the page has requested /busy-started: how a test knows a scripted busy task is running. */
  busyStarted(): boolean;
  /** Sends one SSE message to every open stream. */
  broadcast(data: string): void;
  close(): Promise<void>;
}

const PAGE_PROBE = new URL('../../harness/probe/page-probe.js', import.meta.url);

/** withPageProbe: inject the harness's in-page probe first, as the mock backend does, so EventSource is wrapped. */
export async function startCdpTestServer(opts: { withPageProbe?: boolean } = {}): Promise<CdpTestServer> {
  const probe = opts.withPageProbe ? `<script>${readFileSync(PAGE_PROBE, 'utf8')}</script>` : '';
  // The data: icon keeps the favicon request from taking a pooled socket in the middle of a test.
  const html = `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">${probe}</head><body><p>cdp probe test page</p></body></html>`;
  const streams = new Set<ServerResponse>();
  const conns = new Set<Socket>();
  let busy = false;
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/sse') {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      // Headers and a first message right away: the browser counts the stream as answered only once headers arrive.
      res.write('retry: 60000\ndata: hello\n\n');
      streams.add(res);
      res.on('close', () => streams.delete(res));
      return;
    }
    if (path === '/busy-started') {
      busy = true;
      res.writeHead(204).end();
      return;
    }
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(html);
      return;
    }
    res.writeHead(404).end();
  });
  server.on('connection', (s) => {
    conns.add(s);
    s.on('close', () => conns.delete(s));
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    sseSockets: () => streams.size,
    sockets: () => conns.size,
    busyStarted: () => busy,
    broadcast: (data) => {
      for (const s of streams) s.write(`data: ${data}\n\n`);
    },
    close: async () => {
      for (const s of conns) s.destroy();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}

/** Polls a condition until it holds or the deadline passes; the message names what was awaited and the last value seen. */
export async function waitFor<T>(
  what: string,
  read: () => T | Promise<T>,
  ok: (v: T) => boolean,
  timeoutMs = 10_000,
  everyMs = 50,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await read();
    if (ok(last)) return last;
    if (Date.now() >= until)
      throw new Error(`sse-harness: waited ${timeoutMs} ms for ${what}; last seen: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
