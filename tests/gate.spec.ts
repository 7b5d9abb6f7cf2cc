// The gate's rules without a browser: retries and the flaky outcome (Playwright's model), known findings (excused,
// expired, stale), and how JSON, JUnit, Markdown and HTML show them.
import { test, expect } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { runWithRetries, asExpected, failsGate, type Judgement } from '../harness/runner/retry.ts';
import { KnownFindings, knownJsonSchema, parseKnown, type KnownEntry } from '../harness/runner/known.ts';
import { matrixCells, matrixTable, type Job } from '../harness/runner/matrix.ts';
import type { ScenarioResult } from '../harness/runner/run.ts';
import type { Verdict } from '../harness/oracles/types.ts';
import type { Scenario } from '../harness/scenario/schema.ts';
import { buildReport } from '../harness/report/model.ts';
import { reportSchema } from '../harness/report/schema.ts';
import { renderJUnit } from '../harness/report/junit.ts';
import { renderMarkdown } from '../harness/report/markdown.ts';
import { renderHtml } from '../harness/report/html.ts';
import { ROOT } from './support/cli.ts';
import { scenarioResult } from './support/results.ts';

// Parsed XML of any shape, read field by field in the assertions.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;
const asList = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

const fails = (oracle: string, summary = `${oracle} went wrong`): Verdict => ({
  oracle,
  pass: false,
  summary,
  evidence: {},
});
const holds = (oracle: string): Verdict => ({ oracle, pass: true, summary: `${oracle} held`, evidence: {} });

function result(
  verdict: ScenarioResult['verdict'],
  verdicts: Verdict[],
  over: Partial<ScenarioResult> = {},
): ScenarioResult {
  return scenarioResult({
    file: 'scenarios/switch-return.yaml',
    engine: 'test',
    targetVersion: 'reference-ui@1',
    expected: 'pass',
    verdict,
    verdicts,
    durationMs: 1000,
    ...(verdict === 'error' ? { error: 'browser crashed' } : {}),
    ...over,
  });
}
const passing = () => result('pass', [holds('liveStreams')]);
const failing = (oracle = 'liveStreams') => result('fail', [fails(oracle)]);

/** Plays the given attempts in order through runWithRetries. */
async function attempts(
  list: ScenarioResult[],
  retries: number,
  judge: (r: ScenarioResult) => Judgement = (r) => (r.verdict === 'pass' ? 'ok' : 'bad'),
  stop?: () => boolean,
) {
  let n = 0;
  const r = await runWithRetries(async () => list[n++]!, { retries, judge, stop });
  return { r, ran: n };
}

test('a run that fails, then passes on a retry, is flaky, with the failed attempt kept; never a plain pass', async () => {
  const { r, ran } = await attempts([failing(), passing()], 2);
  expect(ran).toBe(2);
  expect(r.outcome).toBe('flaky');
  expect(r.verdict).toBe('pass');
  expect(r.attempts?.map((a) => a.verdict)).toEqual(['fail']);
  // A harness error retries too, and error-then-pass is flaky as well.
  expect((await attempts([result('error', []), passing()], 1)).r.outcome).toBe('flaky');
});

test('retries stop at the first pass, at the limit, and when told to stop; without retries nothing reruns', async () => {
  expect(await attempts([passing(), failing()], 3).then((x) => [x.ran, x.r.outcome, x.r.attempts])).toEqual([
    1,
    'pass',
    undefined,
  ]);
  const all = await attempts([failing(), failing(), failing(), passing()], 2);
  expect([all.ran, all.r.outcome, all.r.attempts?.length]).toEqual([3, 'fail', 2]);
  expect((await attempts([failing(), passing()], 0)).ran).toBe(1);
  expect((await attempts([failing(), passing()], 2, undefined, () => true)).r.outcome).toBe('fail');
  expect((await attempts([result('error', []), result('error', [])], 1)).r.outcome).toBe('error');
});

test('a failure known findings excuse is not retried and is "known"; one that follows a real failure is flaky', async () => {
  const judge = (r: ScenarioResult): Judgement =>
    r.verdict === 'pass' ? 'ok' : r.verdicts.every((v) => v.pass || v.oracle === 'hiddenPolling') ? 'excused' : 'bad';
  const known = await attempts([failing('hiddenPolling'), passing()], 2, judge);
  expect([known.ran, known.r.outcome]).toEqual([1, 'known']);
  const after = await attempts([failing('transcript'), failing('hiddenPolling')], 2, judge);
  expect([after.ran, after.r.outcome]).toEqual([2, 'flaky']);
});

test('in the detection matrix a run is what it was for: healthy passes, a regression is caught by its own oracle', () => {
  const catchJob = { expect: 'catch' as const, klass: 'leak-on-switch' as const };
  expect(asExpected(catchJob, failing('liveStreams'), true)).toBe(true);
  expect(asExpected(catchJob, failing('transcript'), true)).toBe(false);
  expect(asExpected(catchJob, passing(), true)).toBe(false);
  // Outside the matrix a run with --regress is judged as any run: it fails the gate when it fails.
  expect(asExpected(catchJob, failing('liveStreams'), false)).toBe(false);
  expect(asExpected({ expect: 'pass' }, result('error', []), false)).toBe(false);
  const flaky = { ...passing(), outcome: 'flaky' as const, attempts: [failing()] };
  const judge = (r: ScenarioResult): Judgement => (r.verdict === 'pass' ? 'ok' : 'bad');
  expect(failsGate(flaky, judge, 'pass')).toBe(false);
  expect(failsGate(flaky, judge, 'fail')).toBe(true);
});

test('matrix cells name flaky runs, and count them as false alarms or misses only when flaky runs fail the gate', () => {
  const scenario = { name: 'switch-return' } as Scenario;
  const jobs: Job[] = [
    { scenario, browser: 'chromium', regress: [], expect: 'pass' },
    { scenario, browser: 'chromium', regress: ['leak-on-switch'], expect: 'catch', klass: 'leak-on-switch' },
  ];
  const healthy = { ...passing(), outcome: 'flaky' as const, attempts: [failing()] };
  const caught = {
    ...failing('liveStreams'),
    expected: 'catch' as const,
    regress: ['leak-on-switch'],
    outcome: 'flaky' as const,
    attempts: [{ ...passing(), expected: 'catch' as const }],
  };
  const pass = matrixCells(jobs, [healthy, caught], ['chromium'], ['leak-on-switch'], 'pass');
  expect(pass.map((c) => [c.ok, c.detail])).toEqual([
    [true, 'pass 1/1, flaky 1: switch-return'],
    [true, 'caught · liveStreams (flaky in switch-return)'],
  ]);
  const strict = matrixCells(jobs, [healthy, caught], ['chromium'], ['leak-on-switch'], 'fail');
  expect(strict.map((c) => [c.ok, c.detail])).toEqual([
    [false, 'FALSE ALARM 1/1: switch-return (flaky)'],
    [false, 'MISS in switch-return (flaky: caught only on a retry)'],
  ]);
});

test("with transports the matrix has a column per browser and transport, and a miss in one is that column's", () => {
  const scenario = { name: 'switch-return' } as Scenario;
  const jobs: Job[] = ['eventsource', 'fetch-stream'].flatMap((transport) => [
    { scenario, browser: 'chromium', regress: [], expect: 'pass' as const, transport },
    {
      scenario,
      browser: 'chromium',
      regress: ['leak-on-switch'],
      expect: 'catch' as const,
      klass: 'leak-on-switch' as const,
      transport,
    },
  ]);
  const caught = { ...failing('liveStreams'), expected: 'catch' as const, regress: ['leak-on-switch'] };
  const missed = { ...passing(), expected: 'catch' as const, regress: ['leak-on-switch'] };
  const cells = matrixCells(jobs, [passing(), caught, passing(), missed], ['chromium'], ['leak-on-switch']);
  expect(cells.map((c) => [c.klass, c.browser, c.transport, c.ok])).toEqual([
    ['healthy', 'chromium', 'eventsource', true],
    ['leak-on-switch', 'chromium', 'eventsource', true],
    ['healthy', 'chromium', 'fetch-stream', true],
    ['leak-on-switch', 'chromium', 'fetch-stream', false],
  ]);
  const table = matrixTable(cells, ['chromium']);
  expect(table.split('\n')[0]).toMatch(/^regression class\s+chromium · eventsource\s+chromium · fetch-stream\s*$/);
  expect(table).toContain('  leak-on-switch · chromium · fetch-stream: MISS in switch-return');
  // Browsers may have different transports (projects): each has its own columns, none made up.
  const mixed = matrixCells(
    [...jobs, { scenario, browser: 'webkit', regress: [], expect: 'pass' as const }],
    [passing(), caught, passing(), missed, passing()],
    ['chromium', 'webkit'],
    [],
  );
  expect(mixed.map((c) => `${c.browser} ${c.transport ?? '-'} ${c.ok}`)).toEqual([
    'chromium eventsource true',
    'chromium fetch-stream true',
    'webkit - true',
  ]);
  // Without transports the columns are the browsers, as before.
  const plain = matrixCells(
    jobs.slice(0, 2).map(({ transport: _, ...j }) => j),
    [passing(), caught],
    ['chromium'],
    ['leak-on-switch'],
  );
  expect(plain.map((c) => [c.browser, 'transport' in c])).toEqual([
    ['chromium', false],
    ['chromium', false],
  ]);
});

const KNOWN_YAML = `known:
  - scenario: hidden-polling
    browser: chromium
    oracle: hiddenPolling
    reason: polls approval while hidden (issue 1234)
    expires: 2027-01-31
  - { scenario: switch-return, oracle: liveStreams, match: "(sessions a, b)", reason: leaks on switch (issue 7) }
  - { scenario: lock-unlock, oracle: lockRecovery, reason: old entry, expires: 2026-06-30 }
  - { scenario: return-reattach, oracle: reattach, reason: fixed since }
  - { scenario: offline-reload, oracle: transcript, reason: not run today }
`;

test('a known-findings file: entries with their line; a listed failure in force is excused, an expired one is not', () => {
  const entries = parseKnown(KNOWN_YAML, 'known.yaml');
  expect(entries.map((e) => e.source)).toEqual([
    'known.yaml:2',
    'known.yaml:7',
    'known.yaml:8',
    'known.yaml:9',
    'known.yaml:10',
  ]);
  const known = new KnownFindings('known.yaml', entries, '2026-12-02');
  const hidden = result('fail', [fails('hiddenPolling', '3 requests while hidden'), holds('transcript')], {
    scenario: 'hidden-polling',
  });
  expect(known.excuses(hidden)).toBe(true);
  // Another browser, another oracle failing beside it, or a harness error: not excused.
  expect(known.excuses({ ...hidden, browser: 'webkit' })).toBe(false);
  expect(known.excuses({ ...hidden, verdicts: [...hidden.verdicts, fails('transcript')] })).toBe(false);
  expect(known.excuses(result('error', [], { scenario: 'hidden-polling' }))).toBe(false);
  // match: only the finding whose sentence contains the text.
  expect(known.excuses(result('fail', [fails('liveStreams', '4 chat streams open (sessions a, b, a, b)')]))).toBe(
    false,
  );
  expect(
    known.excuses(result('fail', [fails('liveStreams', '2 chat streams open (sessions a, b) while the user views 1')])),
  ).toBe(true);
  // Expired the day after its date, not on it.
  const lock = result('fail', [fails('lockRecovery')], { scenario: 'lock-unlock' });
  expect(new KnownFindings('known.yaml', entries, '2026-06-30').excuses(lock)).toBe(true);
  expect(known.excuses(lock)).toBe(false);
  known.annotate(lock);
  expect(lock.verdicts[0]!.known).toEqual({
    reason: 'old entry',
    source: 'known.yaml:8',
    expires: '2026-06-30',
    expired: true,
  });
  known.annotate(hidden);
  const reattach = result('pass', [holds('reattach')], { scenario: 'return-reattach' });
  expect(known.statuses([hidden, lock, reattach]).map((s) => [s.source, s.status, s.matched])).toEqual([
    ['known.yaml:2', 'excused', 1],
    ['known.yaml:7', 'unjudged', 0],
    ['known.yaml:8', 'expired', 1],
    ['known.yaml:9', 'stale', 0],
    ['known.yaml:10', 'unjudged', 0],
  ]);
});

test('a bad known-findings file is one sentence with file:line:col and the fix', () => {
  const cases: [string, string][] = [
    [
      '',
      'sse-harness: k.yaml:1:1: the file is empty: it needs a list of entries under "known:" (hint: start with "known:" and one "- { scenario, oracle, reason }" per line)',
    ],
    [
      '- a\n',
      'sse-harness: k.yaml:1:1: a known-findings file is a mapping with a list under "known:" (hint: start with "known:" and one "- { scenario, oracle, reason }" per line)',
    ],
    [
      'known:\n  - { scenario: x, oracle: hiddenPoling, reason: r }\n',
      'sse-harness: k.yaml:2:20: known[0].oracle: unknown oracle "hiddenPoling" (hint: did you mean "hiddenPolling"?)',
    ],
    [
      'known:\n  - { scenario: x, oracle: steps, reason: r, browser: chromum }\n',
      'sse-harness: k.yaml:2:46: known[0].browser: unknown browser "chromum" (hint: did you mean "chromium"? Leave browser out for any browser)',
    ],
    [
      'known:\n  - { scenario: x, oracle: steps }\n',
      'sse-harness: k.yaml:2:5: known[0].reason: missing "reason" (a string expected) (hint: add "reason:" under known[0])',
    ],
    [
      'known:\n  - { scenario: x, oracle: steps, reason: r, expires: 2027-02-30 }\n',
      'sse-harness: k.yaml:2:46: known[0].expires: 2027-02-30 is not a date (hint: write the last day the entry holds, like 2027-01-31)',
    ],
    [
      'known:\n  - { scenario: x, oracle: steps, reason: r, expires: 31.1.2027 }\n',
      'sse-harness: k.yaml:2:46: known[0].expires: a date like 2027-01-31, got "31.1.2027"',
    ],
    [
      'known:\n  - { scenario: x, oracle: steps, reason: r, until: 2027-01-01 }\n',
      'sse-harness: k.yaml:2:46: known[0].until: unknown key "until" (hint: allowed here: scenario, browser, oracle, match, reason, expires)',
    ],
    [
      'known:\n  - { scenario: x\n',
      'sse-harness: k.yaml:3:1: YAML syntax error: Flow map in block collection must be sufficiently indented and end with a } (hint: check indentation and quoting; YAML uses spaces, not tabs)',
    ],
  ];
  // The scenario reader's YAML guard holds here too: dangling aliases, alias bombs, a second document.
  cases.push(
    ['known:\n  - *entry\n', 'sse-harness: k.yaml:2:5: known[0]: alias *entry has no anchor &entry before it'],
    [
      `a: &a [x, x, x, x, x, x, x, x, x, x]\n${Array.from(
        { length: 8 },
        (_, i) =>
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10)
            .fill(`*${String.fromCharCode(97 + i)}`)
            .join(', ')}]`,
      ).join('\n')}\nknown: []\n`,
      'sse-harness: k.yaml:',
    ],
    ['known: []\n---\nknown: []\n', 'sse-harness: k.yaml:2:1: a second YAML document starts here'],
  );
  for (const [text, message] of cases) expect(() => parseKnown(text, 'k.yaml'), text).toThrow(message);
  // JSON is YAML too.
  expect(parseKnown('{"known": [{"scenario": "x", "oracle": "steps", "reason": "r"}]}', 'k.json')).toHaveLength(1);
});

test('the checked-in known-findings schema is the one the code generates', () => {
  const onDisk = JSON.parse(readFileSync(join(ROOT, 'schemas', 'known.schema.json'), 'utf8'));
  expect(onDisk, 'run: node bin/sse-harness.js schema --known > schemas/known.schema.json').toEqual(knownJsonSchema());
});

/** A report with a flaky run, a run that failed every attempt, and a known finding. */
function gateReport(flaky: 'pass' | 'fail') {
  const entries: KnownEntry[] = parseKnown(KNOWN_YAML, 'known.yaml');
  const known = new KnownFindings('known.yaml', entries, '2026-12-02');
  const hidden = {
    ...result('fail', [fails('hiddenPolling', '3 requests while hidden')], { scenario: 'hidden-polling' }),
    outcome: 'known' as const,
  };
  known.annotate(hidden);
  const results: ScenarioResult[] = [
    { ...passing(), outcome: 'flaky', attempts: [failing('liveStreams')] },
    {
      ...failing('reattach'),
      scenario: 'return-reattach',
      outcome: 'fail',
      attempts: [failing('reattach'), result('error', [], { scenario: 'return-reattach' })],
    },
    hidden,
  ];
  return buildReport({
    startedAt: '2026-12-02T00:00:00.000Z',
    finishedAt: '2026-12-02T00:01:00.000Z',
    complete: true,
    command: ['run'],
    target: 'reference',
    browsers: ['chromium'],
    regress: [],
    results,
    gate: { retries: 2, flaky, known: { file: 'known.yaml', entries: known.statuses(results) } },
  });
}

test('JSON: outcomes, every attempt, the known marks and the gate, valid against the schema', () => {
  const report = gateReport('pass');
  const parsed = reportSchema.safeParse(JSON.parse(JSON.stringify(report)));
  expect(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues.slice(0, 3))).toBe(true);
  expect(report.summary).toEqual({ total: 3, passed: 0, failed: 1, errors: 0, flaky: 1, known: 1 });
  expect(report.results.map((r) => [r.outcome, r.attempts?.length ?? 0])).toEqual([
    ['flaky', 1],
    ['fail', 2],
    ['known', 0],
  ]);
  expect(report.results[2]!.verdicts[0]!.known).toMatchObject({
    reason: 'polls approval while hidden (issue 1234)',
    expired: false,
  });
});

test('JUnit: flaky as a passing case with <flakyFailure>, reruns as <rerunFailure>/<rerunError>, known as <skipped>', () => {
  const parse = (flaky: 'pass' | 'fail') =>
    new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(renderJUnit(gateReport(flaky))) as Json;
  const junit = parse('pass');
  expect([
    junit.testsuites.tests,
    junit.testsuites.failures,
    junit.testsuites.errors,
    junit.testsuites.skipped,
  ]).toEqual(['3', '1', '0', '1']);
  const [flaky, failed, known] = asList(junit.testsuites.testsuite).flatMap((s: Json) => asList(s.testcase));
  expect(flaky.failure).toBeUndefined();
  expect(flaky.flakyFailure.message).toBe('attempt 1: liveStreams: liveStreams went wrong');
  expect(flaky.flakyFailure.stackTrace).toBe('liveStreams: liveStreams went wrong');
  expect(failed.failure.message).toBe('reattach: reattach went wrong');
  expect(failed.rerunFailure.message).toBe('attempt 1: reattach: reattach went wrong');
  expect(failed.rerunError.message).toBe('attempt 2: harness error: browser crashed');
  expect(known.skipped.message).toBe(
    'known finding: hiddenPolling: polls approval while hidden (issue 1234) (known.yaml:2)',
  );
  // With --flaky fail the flaky case is red, its failed attempt still listed.
  const strict = asList(parse('fail').testsuites.testsuite).flatMap((s: Json) => asList(s.testcase))[0];
  expect(strict.failure.type).toBe('flaky');
  expect(strict.failure.message).toBe(
    'flaky: held on attempt 2 of 2 after attempt 1: liveStreams: liveStreams went wrong',
  );
  expect(strict.flakyFailure).toBeDefined();
});

test('Markdown and HTML show flaky and known runs apart, with every attempt and the known-findings entries', () => {
  const md = renderMarkdown(gateReport('pass'));
  expect(md).toContain('### ❌ **sse-harness: 1 of 3 runs failed**');
  expect(md).toContain(
    '| switch-return | chromium | ⚠️ flaky | liveStreams hold<br>attempt 1 of 2: FAIL liveStreams: liveStreams went wrong<br>attempt 2 of 2: PASS all oracles held |',
  );
  expect(md).toContain(
    '| hidden-polling | chromium | ☑️ known | **hiddenPolling**: 3 requests while hidden (known: polls approval while hidden (issue 1234), until 2027-01-31) |',
  );
  expect(md).toContain(
    '- `known.yaml:9` return-reattach · any browser · reattach: ⚠️ stale: matched no failure; remove it if the finding is fixed',
  );
  expect(renderMarkdown(gateReport('fail'))).toContain('| switch-return | chromium | ❌ flaky |');
  const html = renderHtml(gateReport('pass'));
  expect(html).toContain('<section id="r0" class="result flaky">');
  expect(html).toContain('<section id="r0a1" class="result fail attempt">');
  expect(html).toContain('<section id="r1a2" class="result error attempt">');
  expect(html).toContain('<section id="r2" class="result known">');
  expect(html.match(/class="chart" data-result="\d+"/g)).toHaveLength(6);
  expect(html).toContain('1 flaky (passing the gate), 1 known · up to 2 retries per run');
  expect(html).toContain('stale: matched no failure (fixed? remove it)');
});
