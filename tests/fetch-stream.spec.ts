// The reference UI's fetch-stream mode (?transport=fetch-stream): its chat streams are fetch() response bodies, not
// EventSources, and its regression switches bite there as they do over EventSource. Counted at the page (the UI's
// own constructors, wrapped before it loads) and at the server's ledger, which sees every chat-stream socket.
import { test, expect } from '../harness/playwright/index.ts';
import type { Page } from '@playwright/test';

const long = [{ tokens: { count: 400, rate: 40 } }];
const FETCH = { transport: 'fetch-stream' };

/** Counts, before the UI's scripts run, every EventSource it creates and every fetch of a chat stream it makes. */
async function countStreams(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { __made: { eventSources: number; streamFetches: number } };
    w.__made = { eventSources: 0, streamFetches: 0 };
    const NativeES = window.EventSource;
    window.EventSource = class extends NativeES {
      constructor(url: string | URL, init?: EventSourceInit) {
        super(url, init);
        w.__made.eventSources++;
      }
    };
    const nativeFetch = window.fetch.bind(window);
    window.fetch = (input: RequestInfo | URL, init?: RequestInit) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      if (/\/api\/chat\/stream\?/.test(url)) w.__made.streamFetches++;
      return nativeFetch(input, init);
    };
  });
}
const made = (page: Page) =>
  page.evaluate(() => (window as unknown as { __made: { eventSources: number; streamFetches: number } }).__made);

test('in fetch-stream mode the UI streams over fetch and creates no EventSource', async ({ sse, page }) => {
  await countStreams(page);
  await sse.open({ query: FETCH });
  expect(sse.target.transport, 'a transport given as a query only').toBeUndefined();
  expect(await page.evaluate(() => document.body.dataset.transport)).toBe('fetch-stream');
  await sse.newChat();
  await sse.send('Hello', [{ tokens: { count: 20, rate: 40 } }]);
  await expect
    .poll(() => page.evaluate(sse.target.answerTextExpression), { message: 'the whole answer to be shown' })
    .toMatch(/\S/);
  await expect.poll(() => sse.backend.ledger.openChatStreams().length, { message: 'the stream to end' }).toBe(0);
  const n = await made(page);
  expect(n.eventSources, 'EventSources the UI created').toBe(0);
  expect(n.streamFetches, 'chat streams the UI fetched').toBeGreaterThan(0);
  // Every chat stream the server saw was one of those fetches.
  expect(sse.backend.ledger.sse.length).toBe(n.streamFetches);
});

test('without a transport the UI still streams over EventSource', async ({ sse, page }) => {
  await countStreams(page);
  await sse.open();
  await sse.newChat();
  await sse.send('Hello', [{ tokens: { count: 20, rate: 40 } }]);
  await expect.poll(() => sse.backend.ledger.openChatStreams().length, { message: 'the stream to end' }).toBe(0);
  const n = await made(page);
  expect(n.streamFetches).toBe(0);
  expect(n.eventSources).toBe(sse.backend.ledger.sse.length);
});

test.describe('with the sseTransport option', () => {
  test.use({ sseTransport: 'fetch-stream' });
  test('the fixture makes the target for that transport', async ({ sse, page }) => {
    await countStreams(page);
    expect(sse.target.transport).toBe('fetch-stream');
    await sse.open();
    expect(await page.evaluate(() => document.body.dataset.transport)).toBe('fetch-stream');
    await sse.newChat();
    await sse.send('Hello', [{ tokens: { count: 5, rate: 40 } }]);
    await expect.poll(() => sse.backend.ledger.openChatStreams().length, { message: 'the stream to end' }).toBe(0);
    expect(await made(page)).toEqual({ eventSources: 0, streamFetches: sse.backend.ledger.sse.length });
  });
});

for (const regress of [[], ['leak-on-switch']]) {
  const leaky = regress.length > 0;
  test(`fetch-stream mode${leaky ? ' with leak-on-switch leaves a reader open per switch' : ' closes the stream it leaves'}`, async ({
    sse,
    page,
  }) => {
    await countStreams(page);
    await sse.open({ query: FETCH, regress, reconnectMs: 300 });
    const a = await sse.newChat();
    await sse.send('Tell me a long story', long);
    const b = await sse.newChat();
    await sse.send('Another one', long);
    const switches = 4;
    for (let i = 0; i < switches; i++) {
      const to = i % 2 === 0 ? a : b;
      const streamsOf = () => sse.backend.ledger.sse.filter((r) => r.session === to).length;
      const before = streamsOf();
      await sse.switchTo(to);
      // Back on a streaming chat, the UI reattaches: a new stream of that session opens at the server.
      await expect.poll(streamsOf, { message: `a stream of ${to} to open again` }).toBe(before + 1);
    }
    const open = () => sse.backend.ledger.openChatStreams().length;
    if (leaky) {
      // Each stream ever opened stays open (sse-open without sse-close): the two sends' and one per switch.
      await expect.poll(open, { message: 'open chat streams at the server' }).toBe(2 + switches);
      const byClient = sse.backend.ledger.sse.filter((r) => r.closedBy === 'client');
      expect(byClient, 'streams the page closed').toEqual([]);
    } else {
      // Only the viewed chat's stream is open; every one left was aborted by the page.
      await expect.poll(open, { message: 'open chat streams at the server' }).toBe(1);
      expect(sse.backend.ledger.sse.filter((r) => r.closedBy === 'client').length).toBe(1 + switches);
    }
    expect((await made(page)).eventSources).toBe(0);
  });
}

test('in fetch-stream mode a dropped stream is reattached with after_seq and no text is lost or doubled', async ({
  sse,
  page,
}) => {
  await sse.open({ query: FETCH, reconnectMs: 300 });
  await sse.newChat();
  const first = 'one two three four five six seven eight';
  const rest = 'nine ten eleven twelve';
  await sse.send('Go', [
    { tokens: { text: first, rate: 40 } },
    { drop: true },
    { wait: 500 },
    { tokens: { text: rest, rate: 40 } },
  ]);
  await expect
    .poll(() => page.evaluate(sse.target.answerTextExpression), { message: 'the whole answer, once' })
    .toBe(`${first}${rest}`);
  const streams = sse.backend.ledger.sse;
  expect(streams.length, 'the first stream and the reattached one').toBe(2);
  expect(streams[0]!.closedBy, 'the drop').toBe('server');
  expect(streams[1]!.afterSeq, 'the reattach asks for what came after the drop').toBeGreaterThan(0);
});

test.describe('the fetch-stream parser, fed chunks as a network splits them', () => {
  interface Source extends EventTarget {
    readyState: number;
    close(): void;
  }
  type Made = new (url: string, response: Promise<Response>, abort: AbortController) => Source;
  const load = async (): Promise<Made> => {
    // The page's own module, run here as in the page (it reads location.origin for its events).
    (globalThis as unknown as { location?: { origin: string } }).location ??= { origin: 'http://127.0.0.1' };
    const file = '../fixtures/chat-ui/fetch-stream.js';
    return ((await import(file)) as { FetchEventSource: Made }).FetchEventSource;
  };
  /** Plays the chunks as a response body; resolves with the events seen once the source has failed or closed. */
  async function play(chunks: string[], opts: { type?: string; status?: number; closeOn?: string } = {}) {
    const FetchEventSource = await load();
    const bytes = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        for (const chunk of chunks) c.enqueue(bytes.encode(chunk));
        c.close();
      },
    });
    const res = new Response(body, {
      status: opts.status ?? 200,
      headers: { 'content-type': opts.type ?? 'text/event-stream; charset=utf-8' },
    });
    const abort = new AbortController();
    const es = new FetchEventSource('/s', Promise.resolve(res), abort);
    const seen: string[] = [];
    const done = new Promise<void>((ok) => {
      const note = (e: Event) => {
        const m = e as MessageEvent;
        seen.push(e.type === 'error' ? 'error' : `${e.type} ${JSON.stringify(m.data)} id=${m.lastEventId}`);
        if (e.type === 'error') ok();
        if (e.type === opts.closeOn) {
          es.close();
          ok();
        }
      };
      for (const t of ['message', 'token', 'stream_end', 'error']) es.addEventListener(t, note);
    });
    await done;
    return { seen, aborted: abort.signal.aborted };
  }

  test('fields, comments, multi-line data, ids and line ends split anywhere', async () => {
    const { seen } = await play([
      '\uFEFF: keep-alive\r\n',
      'event: token\r',
      '\nid: r:1\ndata: {"text":"a"}\r\n\r',
      '\n',
      'data: one\ndata:two\n\n',
      'event: token\ndata\nid: r:2\n\n',
      'id: bad\u0000id\nevent: token\ndata: x\n\n',
      'event: nothing\nid: r:3\n\n',
      'retry: 10\nevent: token\ndata: y',
    ]);
    expect(seen).toEqual([
      'token "{\\"text\\":\\"a\\"}" id=r:1',
      'message "one\\ntwo" id=r:1',
      'token "" id=r:2',
      'token "x" id=r:2',
      // An event with no data is not dispatched (its id still counts); one cut off by the end is dropped.
      'error',
    ]);
  });

  test('a body that ends without the stream being closed is a drop: one error, and the request let go', async () => {
    const { seen, aborted } = await play(['event: token\nid: r:1\ndata: {}\n\n']);
    expect(seen).toEqual(['token "{}" id=r:1', 'error']);
    expect(aborted).toBe(true);
  });

  test('a listener that closes the stream gets nothing more, and no error', async () => {
    const { seen } = await play(['event: stream_end\ndata: {}\n\nevent: token\ndata: late\n\n'], {
      closeOn: 'stream_end',
    });
    // Give the rest of the chunk its chance to be (wrongly) delivered.
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual(['stream_end "{}" id=']);
  });

  test('anything but a 200 event stream fails at once, as an EventSource does', async () => {
    expect((await play(['data: x\n\n'], { status: 404 })).seen).toEqual(['error']);
    expect((await play(['data: x\n\n'], { type: 'application/json' })).seen).toEqual(['error']);
  });
});
