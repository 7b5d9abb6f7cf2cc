// Which server the mock plays for a hermes-webui checkout, read from the checkout's own server files: small synthetic
// checkouts (always), real releases under /tmp when they are there, the target's wiring, and the report's header line.
import { test, expect } from '@playwright/test';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hermesServerModel } from '../harness/targets/hermes-server.ts';
import { hermesTarget } from '../harness/targets/hermes.ts';
import { MockBackend } from '../harness/mock/backend.ts';
import { DEFAULT_SERVER_MODEL } from '../harness/mock/server-model.ts';
import { buildReport } from '../harness/report/model.ts';
import { renderHtml } from '../harness/report/html.ts';
import { renderMarkdown } from '../harness/report/markdown.ts';
import { reportSchema } from '../harness/report/schema.ts';
import { Timeline } from '../harness/timeline.ts';
import { scenarioResult } from './support/results.ts';

const dirs: string[] = [];
test.afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A checkout made of the given files (path → text), with the static/index.html every checkout has. */
function checkout(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'sse-harness-hermes-'));
  dirs.push(dir);
  for (const [path, text] of Object.entries({
    'static/index.html': '<!doctype html><html><head></head><body></body></html>',
    ...files,
  })) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

// Synthetic server files: just the names and strings the detection reads, in the layout a Python module has.
const BUFFER_ROUTES = `import queue

def _sse(handler, event, data):
    pass

def _handle_sse_stream(handler, parsed):
    stream = STREAMS.get(stream_id)
    if stream is None:
        return j(handler, {"error": "stream not found"}, status=404)
    subscriber = stream.subscribe()
    handler.send_response(200)
    handler.send_header("Content-Type", "text/event-stream; charset=utf-8")
    handler.send_header("Connection", "keep-alive")
    handler.end_headers()
    _sse(handler, event, data)
    return True

def _handle_session_events_stream(handler):
    handler.send_header('Content-Type', 'text/event-stream; charset=utf-8')
    handler.send_header('Connection', 'close')

def route(handler, parsed):
    if parsed.path == '/api/sessions/events':
        return _handle_session_events_stream(handler)
`;
const BUFFER_CONFIG = `class StreamChannel:
    def __init__(self):
        self._offline_buffer: list = []

STREAMS = {}
`;

const JOURNAL_ROUTES = `def _resume_cursor(handler, qs):
    raw = handler.headers.get("Last-Event-ID")
    return raw

def _handle_sse_stream(handler, parsed):
    cursor = _resume_cursor(handler, qs)
    stream = STREAMS.get(stream_id)
    if stream is None:
        if not find_run_summary(stream_id):
            return j(handler, {"error": "stream not found"}, status=404)
        handler.send_header("X-Finished", "yes")
        _replay_finished(handler, stream_id, qs.get("after_event_id"))
        return True
    subscriber, snapshot = stream.subscribe_with_snapshot()
    handler.send_header("Content-Type", "text/event-stream; charset=utf-8")
    handler.send_header("Cache-Control", "no-cache")
    handler.send_header("Connection", "close")
    replay_cutoff_seq = cursor
    queued_event_id = None
    _sse_with_id(handler, event, data, queued_event_id)
    return True
`;
const JOURNAL_CONFIG = `import collections

class StreamChannel:
    _OFFLINE_BUFFER_MAXLEN = 1_024

    def __init__(self):
        self._offline_buffer: collections.deque = collections.deque(
            maxlen=self._OFFLINE_BUFFER_MAXLEN
        )
`;

test('a server that ignores cursors for a live run and buffers without a cap is played as "buffer"', () => {
  const m = hermesServerModel(checkout({ 'api/routes.py': BUFFER_ROUTES, 'api/config.py': BUFFER_CONFIG }));
  expect(m.model).toEqual({
    resume: 'buffer',
    offlineBufferCap: null,
    lastEventId: false,
    journalKept: false,
    frameIds: 'none',
    sseHeaders: { 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive' },
  });
  expect(m.why).toBe(
    'api/routes.py: _handle_sse_stream has no cursor path for a live run (cursors ignored); StreamChannel keeps its offline buffer without a cap; a finished run is gone (no run journal: 404)',
  );
  expect(m.sideFeedHeaders).toEqual({
    '/api/sessions/events': { 'content-type': 'text/event-stream; charset=utf-8', connection: 'close' },
  });
});

test("a finished run's replay that reads only after_seq (v0.51.71 to v0.51.169) is played with finishedEventId false", () => {
  const older = JOURNAL_ROUTES.replace('qs.get("after_event_id")', 'qs.get("after_seq")');
  expect(
    hermesServerModel(checkout({ 'api/routes.py': older, 'api/config.py': JOURNAL_CONFIG })).model.finishedEventId,
  ).toBe(false);
  // The read may sit in a helper the finished path calls.
  const helper =
    JOURNAL_ROUTES.replace(
      '_replay_finished(handler, stream_id, qs.get("after_event_id"))',
      '_replay_finished(handler, stream_id, _after(qs))',
    ) + '\ndef _after(qs):\n    return qs.get("after_event_id")\n';
  expect(
    hermesServerModel(checkout({ 'api/routes.py': helper, 'api/config.py': JOURNAL_CONFIG })).model.finishedEventId,
  ).toBeUndefined();
});

test('a server that replays the journal after a cursor, reads Last-Event-ID and caps its buffer is played as "journal"', () => {
  const m = hermesServerModel(checkout({ 'api/routes.py': JOURNAL_ROUTES, 'api/config.py': JOURNAL_CONFIG }));
  expect(m.model).toEqual({
    resume: 'journal',
    offlineBufferCap: 1024,
    lastEventId: true,
    journalKept: true,
    frameIds: 'own',
    // The live path's headers, not the finished path's.
    sseHeaders: {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'close',
    },
  });
  expect(m.why).toBe(
    'api/routes.py: _handle_sse_stream replays the run journal after a cursor for a live run and reads Last-Event-ID; StreamChannel caps its offline buffer at 1024 events',
  );
  expect(m.sideFeedHeaders).toEqual({});
});

test('Last-Event-ID only in a comment is not read; a literal maxlen is a cap; a channel without one has none', () => {
  const commentOnly = JOURNAL_ROUTES.replace(
    'raw = handler.headers.get("Last-Event-ID")',
    '# the Last-Event-ID header is not read here\n    raw = None',
  );
  const literal = JOURNAL_CONFIG.replace('maxlen=self._OFFLINE_BUFFER_MAXLEN', 'maxlen=64');
  const m = hermesServerModel(checkout({ 'api/routes.py': commentOnly, 'api/config.py': literal }));
  expect([m.model.resume, m.model.lastEventId, m.model.offlineBufferCap]).toEqual(['journal', false, 64]);
  expect(m.why).toContain('(Last-Event-ID not read)');
  const noCap = hermesServerModel(
    checkout({
      'api/routes.py': JOURNAL_ROUTES,
      'api/other.py': JOURNAL_CONFIG.replace(/maxlen=self\._OFFLINE_BUFFER_MAXLEN/, ''),
    }),
  );
  expect(noCap.model.offlineBufferCap).toBeNull();
  // One queue per run and no StreamChannel at all: played as an unbounded buffer, and the reason says so.
  const queue = hermesServerModel(
    checkout({ 'api/routes.py': BUFFER_ROUTES.replace('subscriber = stream.subscribe()', 'q = stream') }),
  );
  expect(queue.model.resume).toBe('buffer');
  expect(queue.why).toContain('no StreamChannel: one queue per run');
});

test('a checkout without the server files is played as the newest server, and the reason says why', () => {
  const none = hermesServerModel(checkout({}));
  expect(none.model.resume).toBe('journal');
  expect(none.model.lastEventId).toBe(true);
  expect(none.model.offlineBufferCap).toBe(DEFAULT_SERVER_MODEL.offlineBufferCap);
  expect(none.model.sseHeaders.connection).toBe('close');
  expect(none.why).toMatch(/^the checkout has no api\/routes\.py: the newest server's rules are assumed/);
  const other = hermesServerModel(checkout({ 'api/routes.py': 'def something_else():\n    pass\n' }));
  expect(other.why).toMatch(/^api\/routes\.py has no _handle_sse_stream: /);
});

test('the hermes-webui target plays the model its checkout shows, in the backend and its side feeds', async () => {
  const dir = checkout({ 'api/routes.py': BUFFER_ROUTES, 'api/config.py': BUFFER_CONFIG });
  const target = hermesTarget(dir);
  expect(target.backendModel?.resume).toBe('buffer');
  expect(target.backendModel?.why).toContain('cursors ignored');
  const backend = new MockBackend(target.backend(), new Timeline());
  await backend.start();
  try {
    expect(backend.model.resume).toBe('buffer');
    const ctl = new AbortController();
    const feed = await fetch(`${backend.url}/api/sessions/events`, { signal: ctl.signal });
    expect(feed.headers.get('connection')).toBe('close');
    expect(feed.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    ctl.abort();
  } finally {
    await backend.stop();
  }
});

const RELEASES: Record<
  string,
  { resume: string; cap: number | null; lastEventId: boolean; journalKept: boolean; connection: string }
> = {
  '/tmp/hw-v0.50.0': { resume: 'buffer', cap: null, lastEventId: false, journalKept: false, connection: 'keep-alive' },
  '/tmp/hw-v0.51.0': { resume: 'buffer', cap: null, lastEventId: false, journalKept: false, connection: 'keep-alive' },
  '/tmp/hw-v0.51.500': { resume: 'journal', cap: null, lastEventId: false, journalKept: true, connection: 'close' },
  '/tmp/hw-exp-v0.52.262': { resume: 'journal', cap: 8192, lastEventId: true, journalKept: true, connection: 'close' },
};

for (const [dir, want] of Object.entries(RELEASES)) {
  test(`the release checked out at ${dir} is played as "${want.resume}"`, () => {
    test.skip(
      !existsSync(join(dir, 'api', 'routes.py')),
      `${dir} is not there (a worktree of that hermes-webui release)`,
    );
    const m = hermesServerModel(dir);
    expect(
      {
        resume: m.model.resume,
        cap: m.model.offlineBufferCap,
        lastEventId: m.model.lastEventId,
        journalKept: m.model.journalKept,
        connection: m.model.sseHeaders.connection,
      },
      m.why,
    ).toEqual(want);
  });
}

test('the Markdown and HTML headers name the server behaviour the mock played, with the reason, as plain text', () => {
  const hostile = 'api/routes.py: `x` <img src=x onerror=alert(1)> **bold** | cell \u001b[31mred';
  const result = scenarioResult({
    scenario: 's',
    file: 's.yaml',
    engine: 'e',
    target: 'hermes-webui',
    targetVersion: 'v',
    mock: {
      resume: 'buffer',
      why: hostile,
      offlineBufferCap: null,
      lastEventId: false,
      headers: { connection: 'close' },
    },
  });
  const report = buildReport({
    startedAt: 'a',
    finishedAt: 'b',
    complete: true,
    command: [],
    target: 'hermes-webui',
    browsers: ['chromium'],
    regress: [],
    results: [result],
  });
  expect(reportSchema.safeParse(JSON.parse(JSON.stringify(report))).success).toBe(true);
  const md = renderMarkdown(report);
  const line = md.split('\n').find((l) => l.startsWith('Mock server: '));
  // The reason quotes the checkout: shown as code, which no backtick inside can close.
  expect(line).toBe(
    'Mock server: resume `buffer` (``api/routes.py: `x` <img src=x onerror=alert(1)> **bold** | cell \\u001b[31mred``)',
  );
  const html = renderHtml(report);
  expect(html).toContain(
    'mock server: resume buffer (api/routes.py: `x` &#60;img src=x onerror=alert(1)&#62; **bold** | cell  [31mred)',
  );
  expect(html).not.toContain('<img src=x');
});
