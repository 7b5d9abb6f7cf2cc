// Untrusted text on its way to a terminal or a Markdown summary, without a browser: scenario values, the UI's words
// and a target's output carry escape sequences, carriage returns, bidi overrides, zero-width characters and Markdown;
// none of it reaches the terminal as itself or renders on GitHub, and a long value is cut with a count.
import { expect, test } from '@playwright/test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { oneLine, printable } from '../harness/printable.ts';
import { verdictTable } from '../harness/cli.ts';
import { buildReport } from '../harness/report/model.ts';
import { renderMarkdown } from '../harness/report/markdown.ts';
import { mdCode, mdText } from '../harness/report/markdown-text.ts';
import type { ScenarioResult } from '../harness/runner/run.ts';
import { runCli } from './support/cli.ts';
import { codeSpans, markdownProse } from './support/markdown.ts';

/** Clears the screen, prints red "ALL TESTS PASSED", rewrites the line, reverses the rest, hides a character. */
export const HOSTILE = '\u001b[2J\u001b[31mALL TESTS PASSED\u001b[0m\rok \u202egnp.exe\u200bX\u0007\u0008';
/** Every character that acts instead of showing, outside a line feed. */
// eslint-disable-next-line no-control-regex -- these characters are the ones looked for
const ACTING = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/u;

test('printable() shows each acting character as an escape and keeps the rest', () => {
  expect(printable(HOSTILE)).toBe(
    '\\u001b[2J\\u001b[31mALL TESTS PASSED\\u001b[0m\\rok \\u202egnp.exe\\u200bX\\u0007\\u0008',
  );
  const cases: [string, string][] = [
    ['\u202a\u202b\u202c\u202d\u202e', '\\u202a\\u202b\\u202c\\u202d\\u202e'],
    ['\u2066\u2067\u2068\u2069', '\\u2066\\u2067\\u2068\\u2069'],
    ['\u200e\u200f\u061c', '\\u200e\\u200f\\u061c'],
    ['\u200b\u200c\u200d\u2060\ufeff', '\\u200b\\u200c\\u200d\\u2060\\ufeff'],
    ['\u0085\u009b\u007f', '\\u0085\\u009b\\u007f'],
    ['\u2028\u2029', '\\u2028\\u2029'],
    // Tag characters spell invisible ASCII; they are above U+FFFF.
    ['a\u{e0041}b', 'a\\u{e0041}b'],
    ['line\nnext\ttab', 'line\\nnext\\ttab'],
    ['café 日本 👍 — “quotes”', 'café 日本 👍 — “quotes”'],
  ];
  for (const [raw, shown] of cases) expect(printable(raw)).toBe(shown);
  expect(printable('a\nb\u001b', { keepNewlines: true })).toBe('a\nb\\u001b');
  expect(oneLine('a\n\tb\r\nc')).toBe('a b\\r c');
});

test('long text is cut with a count of what was left out, never split inside a character', () => {
  const long = 'x'.repeat(200_000);
  expect(printable(long)).toBe(`${'x'.repeat(2000)}… (198000 more characters)`);
  expect(oneLine(long, 80)).toBe(`${'x'.repeat(80)}… (199920 more characters)`);
  expect(printable('👍'.repeat(5), { max: 3 })).toBe('👍👍👍… (2 more characters)');
  expect(printable('short', { max: 5 })).toBe('short');
});

function hostileResult(verdict: 'fail' | 'error'): ScenarioResult {
  return {
    scenario: `evil${HOSTILE}`,
    file: 'evil.yaml',
    catches: [],
    browser: 'chromium',
    engine: 'test',
    target: 'reference',
    targetVersion: 'test',
    regress: [],
    verdict,
    error: verdict === 'error' ? `sse-harness: page script failed: ${HOSTILE}\nsecond line` : undefined,
    verdicts:
      verdict === 'fail'
        ? [
            {
              oracle: 'transcript',
              pass: false,
              summary: `shown "${HOSTILE}" is not the script`,
              step: `steps[2] send ${HOSTILE}`,
              t: 10,
              evidence: {},
            },
            { oracle: 'liveStreams', pass: false, summary: `session ${HOSTILE}`, evidence: {} },
          ]
        : [],
    stepFailures: [],
    findings: [{ t: 1, step: 'steps[1]', finding: 'witness-disagreement', summary: HOSTILE, witnesses: {} }],
    witnesses: ['server'],
    durationMs: 1,
    sessions: {},
    timeline: [],
  } as ScenarioResult;
}

test('the verdict table shows hostile scenario names, UI text, errors and findings escaped, one line each', () => {
  const table = verdictTable([hostileResult('fail'), hostileResult('error')]);
  expect(table).not.toMatch(ACTING);
  expect(table).toContain(
    'shown "\\u001b[2J\\u001b[31mALL TESTS PASSED\\u001b[0m\\rok \\u202egnp.exe\\u200bX\\u0007\\u0008" is not the script',
  );
  expect(table).toContain('at steps[2] send \\u001b[2J');
  expect(table).toContain('liveStreams: session \\u001b[2J');
  expect(table).toContain('⚠ witness-disagreement after steps[1]: \\u001b[2J');
  // The error's own line break does not make a line of its own in the table.
  expect(table).toContain(
    'page script failed: \\u001b[2J\\u001b[31mALL TESTS PASSED\\u001b[0m\\rok \\u202egnp.exe\\u200bX\\u0007\\u0008 second line',
  );
  const lines = table.split('\n');
  expect(lines[1]!.startsWith('evil\\u001b[2J\\u001b[31mAL… chromium')).toBe(true);
  expect(lines.filter((l) => /^evil/.test(l))).toHaveLength(2);
  // A 200 KB summary is cut with a count.
  const long = hostileResult('fail');
  long.verdicts[0]!.summary = 'y'.repeat(200_000);
  expect(verdictTable([long]).split('\n')[1]).toMatch(/transcript: y{900,1000}… \(\d+ more characters\)$/);
});

test('error lines quoting a scenario value or a path are escaped and cut: validate and a usage error', async () => {
  const r0 = await runCli(['validate', 'no/such/dir']);
  const file = join(r0.tmp, 'evil.yaml');
  writeFileSync(
    file,
    `name: evil\nstreams:\n  s:\n    - tokens: { count: 3 }\nsteps:\n  - open\n  - newChat: a\n  - send: { stream: ${JSON.stringify(`${HOSTILE}${'z'.repeat(5000)}`)} }\n`,
  );
  const v = await runCli(['validate', file]);
  expect(v.code, v.explain()).toBe(2);
  expect(v.stderr).not.toMatch(ACTING);
  const lines = v.stderr.trim().split('\n');
  expect(lines, v.explain()).toHaveLength(1);
  expect(lines[0]).toContain('\\u001b[2J\\u001b[31mALL TESTS PASSED');
  expect(lines[0]).toContain('\\u202egnp.exe\\u200bX');
  // However the loader quotes the value, the line is cut with a count.
  expect(lines[0]).toMatch(/^\S*evil\.yaml:8:\d+: .*…"? \(\d+ more characters\)/);
  expect(lines[0]!.length).toBeLessThan(2100);

  const u = await runCli(['run', `no/such/${HOSTILE}.yaml`]);
  expect(u.code, u.explain()).toBe(2);
  expect(u.stderr).not.toMatch(ACTING);
  expect(u.stderr).toContain(
    'no such scenario file or folder: no/such/\\u001b[2J\\u001b[31mALL TESTS PASSED\\u001b[0m\\rok \\u202egnp.exe\\u200bX\\u0007\\u0008.yaml',
  );
});

// ---------------------------------------------------------------------------------------------- Markdown

/** Everything GitHub would render from text: raw HTML, a closing </details>, links, images, emphasis, headings, cells. */
const MD_HOSTILE = [
  '`` ``` </details> <img src=x onerror=alert(1)> [a](http://evil.example) ![i](http://evil.example/i.png)',
  '**b** _i_ ~~s~~ | pipe https://evil.example www.evil.example a@b.example @octocat #123 :+1: $x^2$ &amp; &lt;',
  '\n# heading\n- list\n> quote\n</details>\n<script>alert(1)</script>',
  HOSTILE,
].join(' ');
/** What must not be read as Markdown, HTML or a GitHub reference anywhere outside code. */
const RENDERED =
  // eslint-disable-next-line no-control-regex -- ESC is one of the characters looked for
  /<img|<script|\]\(|!\[|https?:|www\.|@|#1|:\+1:|\$x|~~|_i_|\*\*b\*\*|&amp;|&lt;|evil|octocat|\u001b|\u202e|\u200b/;

function hostileReport() {
  const r = {
    ...hostileResult('fail'),
    scenario: `s ${MD_HOSTILE}`,
    mock: { resume: 'buffer', why: MD_HOSTILE, offlineBufferCap: null, lastEventId: false, headers: {} },
    verdicts: [
      {
        oracle: 'transcript',
        pass: false,
        summary: `shown "${MD_HOSTILE}"`,
        step: `steps[1] ${MD_HOSTILE}`,
        evidence: {},
      },
    ],
    findings: [{ t: 1, step: MD_HOSTILE, finding: 'witness-disagreement', summary: MD_HOSTILE, witnesses: {} }],
    compare: { base: MD_HOSTILE, baseCommit: 'abcdef1234567', baseVerdict: 'pass', status: 'new', oracles: [] },
    attempts: [{ ...hostileResult('error'), error: MD_HOSTILE }],
  } as unknown as ScenarioResult;
  const e = { ...hostileResult('error'), error: MD_HOSTILE, findings: [] } as ScenarioResult;
  return buildReport({
    startedAt: 'a',
    finishedAt: 'b',
    complete: true,
    command: [],
    target: 'reference',
    browsers: ['chromium'],
    regress: [],
    results: [r, e],
    matrix: [{ klass: 'healthy', browser: 'chromium', ok: false, detail: MD_HOSTILE, scenarios: [] }],
    gate: {
      retries: 0,
      flaky: 'pass',
      known: {
        file: `k</summary></details>${MD_HOSTILE}.yaml`,
        entries: [
          {
            status: 'excused',
            matched: 1,
            reason: MD_HOSTILE,
            source: `k.yaml:1 ${MD_HOSTILE}`,
            scenario: MD_HOSTILE,
            oracle: 'transcript',
          },
        ],
      },
    },
  } as Parameters<typeof buildReport>[0]);
}

test('Markdown shows hostile UI text, scenario values and ref names as code no text can close, and nothing else of it', () => {
  const md = renderMarkdown(hostileReport(), { html: `r/${MD_HOSTILE}.html`, json: 'r/x.json' });
  // (The <summary>'s <code> element is raw HTML, checked below.)
  const prose = markdownProse(md).replace(/<code>[^<]*<\/code>/g, ' ');
  expect(prose).not.toMatch(RENDERED);
  // The harness's own HTML only: one <details> per section, closed by its own </details> alone on a line.
  expect(prose.match(/<\/?details\b/g)).toEqual([
    '<details',
    '</details',
    '<details',
    '</details',
    '<details',
    '</details',
  ]);
  // The one place raw HTML is read (the <summary>): entities, inside <code>, so no mention or link comes of it either.
  const summary = md.split('\n').find((l) => l.includes('<summary>Known findings'))!;
  expect(summary).toMatch(
    /^<details><summary>Known findings \(<code>k&lt;\/summary&gt;&lt;\/details&gt;[^<>]*<\/code>\)<\/summary>$/,
  );
  // Every table row has exactly its columns: the text's pipes are escaped, in code spans too.
  for (const row of md.split('\n').filter((l) => l.startsWith('| '))) {
    const cells = row.replace(/\\\|/g, '').split('|').length - 2;
    expect([2, 4, 5], row).toContain(cells);
  }
  // The text is all there, inside code (a table cell's \| reads as |), acting characters escaped.
  const shown = md
    .split('\n')
    .flatMap(codeSpans)
    .map((s) => s.replace(/\\\|/g, '|'));
  const escaped = printable(MD_HOSTILE);
  for (const want of [
    escaped,
    `s ${escaped}`,
    `shown "${escaped}"`,
    `steps[1] ${escaped}`,
    `k.yaml:1 ${escaped}`,
    `r/${escaped}.html`,
  ])
    expect(shown).toContain(want);
  // The evidence block keeps the text's line breaks inside a fence longer than any backtick run in it.
  const fence = md.split('\n').find((l) => /^`{3,}$/.test(l))!;
  expect(fence.length).toBeGreaterThan(3);
  expect(md).toContain(`${fence}\ntranscript: shown "\`\` \`\`\` </details>`);
});

test('Markdown leaves plain words plain: names, counts and sentences without characters GitHub reads', () => {
  const plain = 'session a: 6 chat streams open (a, b), peak 6 → 4; 3.5 s, “quoted” 100 %';
  expect(mdText(plain)).toBe(plain);
  for (const risky of [
    'a.b@c.de',
    'see https://x.example',
    'www.x.example',
    ':+1:',
    '#12',
    '@me',
    'a_b_c',
    'x*y*',
    '[a]',
    '<b>',
    'a|b',
    '$x$',
    'a\u202eb',
  ])
    expect(mdText(risky), risky).toMatch(/^`[^`].*`$/);
  // A span's fence outlasts the text's own backticks, padded where the text starts or ends with one.
  expect(mdCode('a`b')).toBe('``a`b``');
  expect(mdCode('`a`')).toBe('`` `a` ``');
  expect(mdCode('x ``` y')).toBe('````x ``` y````');
  expect(codeSpans(`| ${mdCode('`a`')} |`)).toEqual(['`a`']);
});
