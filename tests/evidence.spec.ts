// Evidence that points, without a browser: each kind of divergence reaches the transcript verdict by the runner's own
// route (textEvent, then the oracle), leaked streams are named by their creation site (parsed from Chromium's and
// WebKit's stack formats), and the HTML and Markdown reports show both with the UI's text escaped.
import { expect, test } from '@playwright/test';
import { textEvent, type OtherScript } from '../harness/oracles/divergence.ts';
import { liveStreamsOracle } from '../harness/oracles/liveStreams.ts';
import { socketCreations } from '../harness/timeline-queries.ts';
import { transcriptOracle } from '../harness/oracles/streaming.ts';
import type { RunRecord } from '../harness/oracles/types.ts';
import { tokenTexts } from '../harness/mock/player.ts';
import { creationSite } from '../harness/probe/creationSite.ts';
import { buildReport } from '../harness/report/model.ts';
import { renderHtml } from '../harness/report/html.ts';
import { renderMarkdown } from '../harness/report/markdown.ts';
import { reportSchema } from '../harness/report/schema.ts';
import type { ScenarioResult } from '../harness/runner/run.ts';
import type { Scenario } from '../harness/scenario/schema.ts';
import { Timeline, type CreationSite, type TimelineEvent } from '../harness/timeline.ts';
import { codeSpans, markdownProse } from './support/markdown.ts';

const tokens = (from: number, to: number) => tokenTexts({ count: to - from }, from).join('');
const SCRIPT_A = tokens(0, 60);
const SCRIPT_B = tokens(0, 5);

function record(
  events: TimelineEvent[],
  endedAt: number,
  scripted: Record<string, string> = { A: SCRIPT_A, B: SCRIPT_B },
): RunRecord {
  const timeline = new Timeline(0);
  for (const e of events) timeline.add(e);
  return { scenario: {} as Scenario, timeline, sessions: { a: 'A', b: 'B' }, scripted, endedAt, cycles: [] };
}

/** What the runner records for session `sid` showing `shown` (its script and the other sessions' as in the run). */
const shows = (t: number, sid: 'A' | 'B', shown: string, scripts = { A: SCRIPT_A, B: SCRIPT_B }): TimelineEvent => {
  const others: OtherScript[] = (['A', 'B'] as const)
    .filter((s) => s !== sid)
    .map((s) => ({ session: s.toLowerCase(), text: scripts[s] }));
  return textEvent(t, sid, shown, scripts[sid], () => others);
};

/**
 * Session a streams; the user views it; the UI shows `texts` at t = 100, 200, …, the last one read twice: a read that
 * contradicts the script is judged once the next read confirms it (the runner records every such read).
 */
function transcriptRun(texts: string[], sid: 'A' | 'B' = 'A'): RunRecord {
  texts = [...texts, texts.at(-1)!];
  const events: TimelineEvent[] = [
    { kind: 'run-start', t: 0, streamId: 'run-A', session: 'A', script: 'long' },
    { kind: 'run-start', t: 0, streamId: 'run-B', session: 'B', script: 'short' },
    { kind: 'view', t: 0, session: sid, alias: sid.toLowerCase() },
    { kind: 'step-start', t: 50, index: 1, path: 'steps[3]', step: 'waitFor' },
    ...texts.map((s, i) => shows(100 * (i + 1), sid, s)),
  ];
  return record(events, 100 * (texts.length + 1));
}

const KINDS: { kind: string; phrase: string; texts: string[]; sid?: 'A' | 'B'; offset: number }[] = [
  {
    kind: 'doubled',
    phrase: 'doubled text',
    texts: [tokens(0, 19), tokens(0, 19) + tokens(0, 6)],
    offset: tokens(0, 19).length,
  },
  {
    kind: 'lost',
    phrase: 'lost text',
    texts: [tokens(0, 10), tokens(0, 10) + tokens(14, 20)],
    offset: tokens(0, 10).length,
  },
  {
    kind: 'reordered',
    phrase: 'reordered text',
    texts: [tokens(0, 10) + tokens(12, 14) + tokens(10, 12) + tokens(14, 20)],
    offset: tokens(0, 10).length,
  },
  { kind: 'foreign', phrase: "another session's text", texts: [tokens(0, 25)], sid: 'B', offset: SCRIPT_B.length },
  {
    kind: 'changed',
    phrase: 'changed text',
    texts: [tokens(0, 4) + 'DOLOR' + tokens(5, 10)],
    offset: tokens(0, 4).length,
  },
  {
    kind: 'extra',
    phrase: 'extra text',
    texts: [tokens(0, 4) + '<b>!</b> ' + tokens(4, 10)],
    offset: tokens(0, 4).length,
  },
];

for (const c of KINDS) {
  test(`a transcript that shows ${c.kind} text fails naming the kind, the offset and both texts around it`, () => {
    const v = transcriptOracle(transcriptRun(c.texts, c.sid), {});
    expect(v.pass).toBe(false);
    expect(v.definite).toBe(true);
    expect(v.step).toBe('steps[3] waitFor');
    const d = v.evidence.divergence as Record<string, unknown>;
    expect(d).toMatchObject({ kind: c.kind, offset: c.offset });
    expect(v.summary).toMatch(
      new RegExp(
        `^session ${(c.sid ?? 'A').toLowerCase()}: ${c.phrase} at char ${c.offset}: shown "[^"]+", expected "[^"]+" \\(.+\\)$`,
      ),
    );
    expect(v.summary).toContain(`(${d.detail})`);
  });
}

test('a shrink points at where the shown answer now ends, against the text that vanished', () => {
  const v = transcriptOracle(transcriptRun([tokens(0, 20), tokens(0, 4)]), { final: false });
  expect(v.pass).toBe(false);
  const offset = tokens(0, 4).length;
  expect(v.summary).toBe(
    `session a: shown answer shrank from ${tokens(0, 20).trimEnd().length} to ${offset} chars (already-rendered text vanished) at char ${offset}: shown "…um1 dolor2 sit3 ", expected "…um1 dolor2 sit3 amet4 tempor5 magna6 ali…"`,
  );
  expect(v.evidence.divergence).toMatchObject({ kind: 'truncated', offset, from: 0, shown: tokens(0, 4) });
});

test('a final answer cut short points at where it stops', () => {
  const v = transcriptOracle(transcriptRun([tokens(0, 10), tokens(0, 50)]), {});
  expect(v.pass).toBe(false);
  expect(v.summary).toMatch(
    new RegExp(
      `^final answer of session a has ${tokens(0, 50).length} of ${SCRIPT_A.length} scripted chars: the answer stops short at char ${tokens(0, 50).length}: shown "…[^"]+", expected "…[^"]+"$`,
    ),
  );
  expect(v.evidence.divergence).toMatchObject({ kind: 'truncated', offset: tokens(0, 50).length });
});

test('a sample that is a prefix carries no divergence; one that is not carries it on the timeline event', () => {
  expect(shows(1, 'A', tokens(0, 5))).toEqual({
    kind: 'text',
    t: 1,
    session: 'A',
    length: tokens(0, 5).length,
    scripted: SCRIPT_A.length,
    prefixOk: true,
  });
  const e = shows(1, 'A', tokens(0, 5) + tokens(0, 2));
  expect(e.kind === 'text' && e.divergence?.kind).toBe('doubled');
});

// ---------------------------------------------------------------------------------------------- creation sites

const ORIGIN = 'http://127.0.0.1:41234';
const PROBE_URL = `${ORIGIN}/__harness/probe.js?chat=%2Fapi%2Fchat%2Fstream`;

test('the creation site from a Chromium stack: the first frame past the probe, its file as a path on the page origin', () => {
  const stack = [
    'Error',
    `    at new EventSource (${PROBE_URL}:103:17)`,
    `    at openStream (${ORIGIN}/app.js:88:14)`,
    `    at reattach (${ORIGIN}/app.js:200:5)`,
  ].join('\n');
  expect(creationSite(stack, ORIGIN)).toEqual({ file: '/app.js', line: 88, column: 14, function: 'openStream' });
  // Top-level code, an async caller, a method, a script on another origin (query strings dropped).
  expect(
    creationSite(`Error\n    at new EventSource (${PROBE_URL}:1:2)\n    at ${ORIGIN}/boot.js?v=3:7:1`, ORIGIN),
  ).toEqual({ file: '/boot.js', line: 7, column: 1 });
  expect(
    creationSite(
      `Error\n    at new EventSource (${PROBE_URL}:1:2)\n    at async Chat.attach (https://cdn.example/ui.js:12:30)`,
      ORIGIN,
    ),
  ).toEqual({ file: 'https://cdn.example/ui.js', line: 12, column: 30, function: 'Chat.attach' });
  // Code run by eval (a devtools console, a test's page.evaluate) is named as V8 names it.
  expect(
    creationSite(
      `Error\n    at new EventSource (${PROBE_URL}:1:2)\n    at leakHere (eval at evaluate (:370:30), <anonymous>:1:36)`,
      ORIGIN,
    ),
  ).toEqual({ file: '<anonymous>', line: 1, column: 36, function: 'leakHere' });
  // A probe injected without a URL (an init script) is still known by its wrapper's name.
  expect(
    creationSite(
      `Error\n    at new EventSource (<anonymous>:96:20)\n    at startStream (${ORIGIN}/static/messages.js:1402:9)`,
      ORIGIN,
    ),
  ).toMatchObject({ file: '/static/messages.js', line: 1402, function: 'startStream' });
});

test('the creation site from a WebKit (JSC) stack: fn@url:line:col, no header line', () => {
  const stack = [
    `EventSource@${PROBE_URL}:103:30`,
    `openStream@${ORIGIN}/app.js:88:22`,
    `@${ORIGIN}/app.js:300:3`,
  ].join('\n');
  expect(creationSite(stack, ORIGIN)).toEqual({ file: '/app.js', line: 88, column: 22, function: 'openStream' });
  expect(creationSite(`EventSource@${PROBE_URL}:1:2\nglobal code@${ORIGIN}/app.js:5:9`, ORIGIN)).toEqual({
    file: '/app.js',
    line: 5,
    column: 9,
  });
  expect(creationSite(`EventSource@${PROBE_URL}:1:2\nforEach@[native code]\n@${ORIGIN}/app.js:5:9`, ORIGIN)).toEqual({
    file: '/app.js',
    line: 5,
    column: 9,
  });
});

test('no site from an empty or frame-less stack; a hostile function name is escaped and bounded', () => {
  expect(creationSite(undefined)).toBeNull();
  expect(creationSite('Error\n    at new EventSource (<anonymous>:1:1)')).toBeNull();
  const site = creationSite(
    `Error\n    at new EventSource (<anonymous>:1:1)\n    at ${'\u001b[2J'}evil${'x'.repeat(1000)} (${ORIGIN}/a.js:1:1)`,
    ORIGIN,
  )!;
  // eslint-disable-next-line no-control-regex -- no control character may reach the name
  expect(site.function).not.toMatch(/[\u0000-\u001f]/);
  expect(site.function!.startsWith('\\u001b[2Jevil')).toBe(true);
  expect(site.function!.length).toBeLessThanOrEqual(300);
});

const SITE: CreationSite = { file: '/app.js', line: 88, column: 14, function: 'openStream' };
const pageOpen = (t: number, session: string, afterSeq = 0, site: CreationSite | null = SITE): TimelineEvent => ({
  kind: 'page-open',
  t,
  streamId: `run-${session}`,
  afterSeq,
  ...(site ? { site } : {}),
});
const sseOpen = (t: number, socket: number, session: string, afterSeq = 0): TimelineEvent => ({
  kind: 'sse-open',
  t,
  socket,
  streamId: `run-${session}`,
  session,
  path: '/api/chat/stream',
  afterSeq,
});

/** a and b stream; the user views a, then switches to b at 1000; a's stream is never closed. */
function leakRun(aSite: CreationSite | null): RunRecord {
  return record(
    [
      { kind: 'run-start', t: 0, streamId: 'run-A', session: 'A', script: 'long' },
      { kind: 'run-start', t: 0, streamId: 'run-B', session: 'B', script: 'long' },
      { kind: 'view', t: 0, session: 'A', alias: 'a' },
      pageOpen(5, 'A', 0, aSite),
      sseOpen(10, 1, 'A'),
      { kind: 'view', t: 1000, session: 'B', alias: 'b', shown: 1050 },
      pageOpen(1040, 'B', 0, { file: '/app.js', line: 88, column: 14, function: 'openStream' }),
      sseOpen(1045, 2, 'B'),
      { kind: 'sse-close', t: 4990, socket: 1, streamId: 'run-A', session: 'A', by: 'server', events: 9, bytes: 99 },
      { kind: 'sse-close', t: 4990, socket: 2, streamId: 'run-B', session: 'B', by: 'server', events: 9, bytes: 99 },
      { kind: 'run-end', t: 5000, streamId: 'run-A', session: 'A', reason: 'complete' },
      { kind: 'run-end', t: 5000, streamId: 'run-B', session: 'B', reason: 'complete' },
    ],
    6000,
  );
}

test('a leak names where each leaked stream was created; the viewed stream is not listed', () => {
  const v = liveStreamsOracle(leakRun({ file: '/app.js', line: 200, column: 5, function: 'reattach' }), {
    graceMs: 750,
  });
  expect(v.pass).toBe(false);
  expect(v.summary).toMatch(
    /^2 chat streams open \(sessions a, b\) while the user views 1 streaming session, for \d+ ms; peak 2; leaked streams created at \/app\.js:200 in reattach \(×1\)$/,
  );
  expect(v.evidence.leaked).toEqual([
    {
      session: 'a',
      socket: 1,
      streamId: 'run-A',
      openedAt: 10,
      site: { file: '/app.js', line: 200, column: 5, function: 'reattach' },
    },
  ]);
  // Without the page's word (no probe) the leak is still a leak, with no site claimed.
  const blind = liveStreamsOracle(leakRun(null), { graceMs: 750 });
  expect(blind.pass).toBe(false);
  expect(blind.summary).not.toContain('created at');
  expect(blind.evidence.leaked).toEqual([{ session: 'a', socket: 1, streamId: 'run-A', openedAt: 10 }]);
});

test("sockets are matched to the page's EventSources by stream and replay point, else by stream (the browser's own reconnect)", () => {
  const events = [
    pageOpen(0, 'A', 0, { ...SITE, line: 1 }),
    pageOpen(5, 'A', 40, { ...SITE, line: 2 }),
    sseOpen(6, 1, 'A', 40),
    sseOpen(7, 2, 'A', 0),
    sseOpen(9, 3, 'A', 77),
  ];
  const m = socketCreations(events);
  expect([1, 2, 3].map((s) => m.get(s)?.site?.line)).toEqual([2, 1, 2]);
});

// ---------------------------------------------------------------------------------------------- reports

const HOSTILE = '```` [a](http://evil.example) <img src=x onerror=alert(1)> **bold** \u001b[2J';

function reportWith(verdicts: ScenarioResult['verdicts'], timeline: TimelineEvent[] = []) {
  const result: ScenarioResult = {
    scenario: 'return-reattach',
    file: 'scenarios/return-reattach.yaml',
    catches: [],
    browser: 'chromium',
    engine: 'test',
    target: 'reference',
    targetVersion: 'test',
    regress: [],
    verdict: 'fail',
    verdicts,
    stepFailures: [],
    findings: [],
    witnesses: ['server', 'page'],
    durationMs: 1000,
    sessions: { a: 'A', b: 'B' },
    timeline,
  };
  return buildReport({
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:01.000Z',
    complete: true,
    command: ['run'],
    target: 'reference',
    browsers: ['chromium'],
    regress: [],
    results: [result],
  });
}

test("HTML and Markdown show expected vs shown with the divergence marked, and the UI's text never becomes markup", () => {
  const shown = tokens(0, 6) + HOSTILE + tokens(6, 12);
  const events = [
    { kind: 'run-start', t: 0, streamId: 'run-A', session: 'A', script: 'long' } as TimelineEvent,
    { kind: 'view', t: 0, session: 'A', alias: 'a' } as TimelineEvent,
    shows(100, 'A', shown),
  ];
  const v = transcriptOracle(record(events, 200), {});
  expect(v.evidence.divergence).toMatchObject({ kind: 'extra', offset: tokens(0, 6).length });
  const leak = liveStreamsOracle(leakRun({ file: '/app.js', line: 9, column: 1, function: '<script>x</script>' }), {
    graceMs: 750,
  });
  const report = reportWith([v, leak], events);
  expect(reportSchema.safeParse(JSON.parse(JSON.stringify(report))).success).toBe(true);

  const html = renderHtml(report);
  expect(html).not.toContain('<img');
  expect(html).not.toContain('<script>x');
  expect(html).not.toContain('\u001b');
  // The shown line: the text before the divergence, then the rest marked.
  const at = tokens(0, 6).length - (v.evidence.divergence as { from: number }).from;
  const before = shown.slice(Math.max(0, tokens(0, 6).length - 40), tokens(0, 6).length);
  expect(at).toBe(before.length);
  expect(html).toContain(
    `<tr><th>shown</th><td><code>${before}<mark>${'`'.repeat(4)} [a](http://evil.example) &#60;img src=x</mark>`,
  );
  expect(html).toContain(`<tr><th>expected</th><td><code>${before}<mark>magna6 aliqua7`);
  expect(html).toContain('<code>/app.js:9:1</code> in <code>&#60;script&#62;x&#60;/script&#62;</code>');

  const md = renderMarkdown(report);
  expect(md).not.toContain('\u001b');
  // The evidence block's fence outlasts any run of backticks in the UI's text, so the text stays inside it.
  const lines = md.split('\n');
  const fence = lines.find((l) => /^`{3,}$/.test(l))!;
  expect(fence.length).toBeGreaterThan(4);
  const [outside, inside] = [lines.slice(0, lines.indexOf(fence)), lines.slice(lines.indexOf(fence) + 1)];
  expect(inside.filter((l) => l === fence)).toHaveLength(1);
  // Outside the block the UI's text is in code spans it cannot close: no tag, link or emphasis comes of it.
  const prose = markdownProse([...outside, ...inside.slice(inside.indexOf(fence) + 1)].join('\n'));
  expect(prose).not.toMatch(/<img|<script|\]\(http|\*\*bold|evil/);
  expect(md.split('\n').flatMap(codeSpans)).toContainEqual(
    expect.stringContaining('shown "…3 amet4 tempor5 ```` [a](http://evil.exa…"'),
  );
  const shownLine = lines.find((l) => l.startsWith('  shown:    '))!;
  const caret = lines[lines.indexOf(shownLine) + 1]!;
  expect(caret.indexOf('^')).toBe('  shown:    '.length + before.length);
  expect(shownLine.slice(caret.indexOf('^'))).toMatch(/^```` \[a\]\(http/);
  expect(md).toContain('transcript: extra at char');
  expect(md).toContain('session a, socket 1, opened at 10 ms: created at /app.js:9:1 in <script>x</script>');
});
