// The JSON report's schema (version REPORT_SCHEMA_VERSION), in zod: the tests validate every report against it and
// schemas/report.schema.json is generated from it (`sse-harness schema --report`). Documented in docs/report.md.
import type { z as Z } from 'zod';
import { z } from '../deps.ts';
import { RESUME_BEHAVIOURS } from '../mock/server-model.ts';

const ms = z.number().describe('milliseconds on the run clock (0 = run start)');

export const witnessCountsSchema = z
  .object({
    server: z.number().int().nonnegative().optional().describe('open chat-stream sockets at the mock backend (connection ledger); absent in watch --attach reports'),
    serverDraining: z.number().int().nonnegative().optional().describe('of server: sockets whose EventSource the page already closed, the browser still reading the response'),
    page: z.number().int().nonnegative().optional().describe('EventSources in readyState OPEN (in-page probe)'),
    pageConnecting: z.number().int().nonnegative().optional().describe('EventSources in readyState CONNECTING (in-page probe)'),
    cdp: z.number().int().nonnegative().optional().describe('EventSource requests answered and not ended (CDP Network)'),
    cdpQueued: z.number().int().nonnegative().optional().describe('EventSource requests waiting for a socket in the pool (CDP Network)'),
    cdpObjects: z.number().int().nonnegative().optional().describe('live OPEN EventSource objects on the JS heap (CDP Runtime.queryObjects)'),
  })
  .strict();

export const divergenceSchema = z
  .object({
    kind: z.enum(['lost', 'doubled', 'foreign', 'reordered', 'extra', 'changed', 'truncated']).describe('lost: scripted text skipped; doubled: shown text repeated; foreign: another session\'s script; reordered: the right pieces in another order; extra: text in no script put in, or past the end of the script; changed: text in no script; truncated: the shown text stops short of the script'),
    offset: z.number().int().nonnegative().describe('chars before the first one that differs'),
    from: z.number().int().nonnegative().describe('where both windows start (offset minus up to 40)'),
    expected: z.string().describe('the script from `from` to 40 chars past offset'),
    shown: z.string().describe('the shown text from `from` to 40 chars past offset (the UI\'s text: untrusted)'),
    detail: z.string().describe('what is missing, repeated or foreign, with offsets in the script'),
  })
  .strict();

export const creationSiteSchema = z
  .object({
    file: z.string().describe('the script\'s URL path on the page\'s origin, else its whole URL'),
    line: z.number().int(),
    column: z.number().int(),
    function: z.string().optional().describe('the calling function as the browser names it; absent for top-level code'),
  })
  .strict();

const ev = <K extends string, S extends Z.ZodRawShape>(kind: K, shape: S) => z.object({ kind: z.literal(kind), t: ms, ...shape }).strict();

export const timelineEventSchema = z.discriminatedUnion('kind', [
  ev('step-start', { index: z.number().int(), path: z.string(), step: z.string(), detail: z.string().optional() }),
  ev('step-end', { index: z.number().int(), path: z.string(), step: z.string(), ok: z.boolean(), error: z.string().optional() }),
  ev('view', { session: z.string().nullable(), alias: z.string().nullable(), shown: z.number().optional().describe('when the UI showed the session; from t until then the UI was still switching') }),
  ev('visibility', { hidden: z.boolean(), frozen: z.boolean(), how: z.string() }),
  ev('run-start', { streamId: z.string(), session: z.string(), script: z.string() }),
  ev('run-end', { streamId: z.string(), session: z.string(), reason: z.enum(['complete', 'cancel']) }),
  ev('sse-open', { socket: z.number().int(), streamId: z.string().nullable(), session: z.string().nullable(), path: z.string(), afterSeq: z.number() }),
  ev('page-close', { streamId: z.string().nullable(), afterSeq: z.number() }),
  ev('page-unload', { how: z.enum(['reload', 'navigate']).describe('the user reloaded the page, or opened the UI again over it; every chat stream then open is let go of') }),
  ev('page-open', { streamId: z.string().nullable(), afterSeq: z.number(), site: creationSiteSchema.optional().describe('where the UI\'s code created the EventSource (first stack frame outside the probe)') }),
  ev('sse-close', { socket: z.number().int(), streamId: z.string().nullable(), session: z.string().nullable(), by: z.enum(['client', 'server']), events: z.number().int(), bytes: z.number().int() }),
  ev('server-drop', { streamId: z.string(), sockets: z.number().int(), why: z.string() }),
  ev('request', { method: z.string(), path: z.string(), status: z.number().int() }),
  ev('sample', {
    step: z.string(),
    witnesses: witnessCountsSchema,
    tick: z.boolean().optional(),
    dom: z.object({ nodes: z.number(), listeners: z.number(), documents: z.number() }).strict().optional(),
    taskMs: z.number().optional(),
    heapBytes: z.number().optional(),
  }),
  ev('finding', { step: z.string(), finding: z.enum(['pool-exhaustion', 'witness-disagreement']), summary: z.string(), witnesses: witnessCountsSchema }),
  ev('probe-pause', { duration: z.number(), what: z.string() }),
  ev('stall', { duration: z.number(), source: z.enum(['heartbeat', 'longtask', 'loaf', 'cdp', 'unresponsive']) }),
  ev('text', {
    session: z.string(),
    length: z.number().int(),
    scripted: z.number().int(),
    prefixOk: z.boolean(),
    excerpt: z.string().optional().describe('older reports: the first chars of a text that was not a prefix'),
    divergence: divergenceSchema.optional().describe('when prefixOk is false: where and how the text first left its script'),
  }),
  ev('hidden-request', { path: z.string() }),
  ev('page-error', { message: z.string() }),
  ev('note', { message: z.string() }),
]);

export const verdictSchema = z
  .object({
    oracle: z.string().describe('liveStreams, reattach, transcript, noBackgroundReconnect, hiddenPolling, stallBudget, lockRecovery, reconnectRate, steps or baseline'),
    pass: z.boolean(),
    summary: z.string().describe('one sentence with the numbers'),
    step: z.string().optional().describe('the step during which the problem started'),
    t: z.number().optional(),
    definite: z.boolean().optional().describe('a failure nothing later in the run could undo (a leak past its grace, a background reconnect)'),
    notJudged: z.string().optional().describe('why the oracle had nothing it could fairly judge (the user cut every recovery window short); such a verdict passes'),
    evidence: z.record(z.string(), z.unknown()).describe("the oracle's numbers; shape per oracle, see docs/report.md"),
    known: z
      .object({
        reason: z.string(),
        source: z.string().describe('file:line of the entry'),
        expires: z.string().optional(),
        expired: z.boolean().describe('past its date: listed, but the failure is no longer excused'),
      })
      .strict()
      .optional()
      .describe('a failing verdict a known-findings entry lists (--known)'),
  })
  .strict();

const OUTCOMES = ['pass', 'fail', 'error', 'flaky', 'known'] as const;

/** One attempt of a run: every field of a result but the outcome and the earlier attempts. */
const attemptSchema = z
  .object({
    scenario: z.string(),
    file: z.string(),
    description: z.string().optional(),
    catches: z.array(z.string()),
    timeScale: z.number().optional().describe("the stream time scale the scenario's streams were played at (absent: 1)"),
    browser: z.string(),
    engine: z.string().describe('browser binary, version and protocol'),
    emulation: z.array(z.string()).optional().describe('what was emulated rather than real (device profile, page lifecycle on WebDriver)'),
    target: z.string(),
    targetVersion: z.string(),
    readySignal: z.string().optional().describe('the readiness signal the target used, for targets that pick one per version of the UI'),
    bootFailed: z.boolean().optional().describe('the UI never became ready at the first open: the checkout cannot be judged in this browser'),
    mock: z
      .object({
        resume: z.enum(RESUME_BEHAVIOURS).describe("journal: a usable resume cursor gets the run's journal after it; buffer: cursors are ignored for a live run; replay: the whole journal to every subscriber (docs/protocol.md#resume)"),
        why: z.string().describe('what decided the behaviour (the target reading its checkout, or the default)'),
        offlineBufferCap: z.number().int().nullable().describe('most events buffered while no client is subscribed (null: no limit)'),
        lastEventId: z.boolean().describe('the Last-Event-ID request header counts as a resume cursor'),
        headers: z.record(z.string(), z.string()).describe("the chat-stream reply's response headers"),
      })
      .strict()
      .optional()
      .describe('the server behaviour the mock played for chat streams'),
    backend: z.string().optional().describe('the real server the run was played against, in place of the mock (--backend real)'),
    regress: z.array(z.string()),
    expected: z.enum(['pass', 'catch']).optional().describe('what the run was for: a healthy run must pass, a regression run must be caught'),
    verdict: z.enum(['pass', 'fail', 'error']),
    verdicts: z.array(verdictSchema),
    stepFailures: z.array(z.object({ step: z.string(), t: z.number(), error: z.string() }).strict()),
    findings: z.array(z.object({ t: z.number(), step: z.string(), finding: z.string(), summary: z.string(), witnesses: witnessCountsSchema }).strict()),
    witnesses: z.array(z.enum(['server', 'page', 'cdp'])).describe('the witnesses the verdicts rest on'),
    error: z.string().optional(),
    stoppedEarly: z
      .object({ t: z.number(), oracle: z.string(), notJudged: z.array(z.string()) })
      .strict()
      .optional()
      .describe('the run stopped at its first failure that nothing later could undo (--fail-fast, the detection matrix); verdicts then hold only such failures, and notJudged names the oracles not given the whole run'),
    durationMs: z.number(),
    sessions: z.record(z.string(), z.string()).describe('scenario alias → session id'),
    timeline: z.array(timelineEventSchema),
    compare: z
      .object({
        base: z.string().describe('the base ref as given to --compare'),
        baseCommit: z.string(),
        baseVerdict: z.enum(['pass', 'fail', 'error', 'not run']),
        baseFailing: z.array(z.string()).describe('oracles that failed at the base'),
        baseReport: z.string().optional().describe("the base run's section in the base report, relative to this report's folder"),
        status: z.enum(['new', 'worse', 'pre-existing', 'fixed', 'ok', 'error']).describe('new and worse fail the gate; pre-existing does not; fixed and ok passed; error could not run'),
        oracles: z.array(z.object({ oracle: z.string(), status: z.enum(['new', 'worse', 'pre-existing']), detail: z.string() }).strict()).describe('each oracle failing in this run, and why it counts as it does'),
      })
      .strict()
      .optional()
      .describe('run --compare: the same run at the base ref beside this one'),
  })
  .strict();

export const resultSchema = attemptSchema
  .extend({
    outcome: z
      .enum(OUTCOMES)
      .optional()
      .describe(
        'what the run amounts to for the gate: its verdict, or flaky (what the run was for failed in an earlier attempt and held in the last; --retries), or known (it failed only as known findings allow; --known)',
      ),
    attempts: z.array(attemptSchema).optional().describe('the earlier attempts of a retried run, oldest first; the result itself is the last attempt'),
  })
  .strict();

export const reportSchema = z
  .object({
    schemaVersion: z.literal(1),
    tool: z.literal('sse-harness'),
    startedAt: z.string(),
    finishedAt: z.string(),
    complete: z.boolean().describe('false when the run was interrupted before every scenario finished'),
    interruptedBy: z.string().optional(),
    command: z.array(z.string()),
    target: z.string(),
    browsers: z.array(z.string()),
    regress: z.array(z.string()),
    summary: z
      .object({
        total: z.number().int(),
        passed: z.number().int(),
        failed: z.number().int(),
        errors: z.number().int(),
        flaky: z.number().int().optional(),
        known: z.number().int().optional(),
      })
      .strict()
      .describe('runs by outcome'),
    gate: z
      .object({
        retries: z.number().int().nonnegative().describe('attempts allowed after the first (--retries)'),
        flaky: z.enum(['pass', 'fail']).describe('whether a flaky run passes or fails the gate (--flaky)'),
        known: z
          .object({
            file: z.string(),
            entries: z.array(
              z
                .object({
                  scenario: z.string(),
                  browser: z.string().optional(),
                  oracle: z.string(),
                  match: z.string().optional(),
                  reason: z.string(),
                  expires: z.string().optional(),
                  source: z.string(),
                  status: z.enum(['excused', 'expired', 'stale', 'unjudged']),
                  matched: z.number().int().nonnegative(),
                })
                .strict(),
            ),
          })
          .strict()
          .optional()
          .describe('the known-findings file and what became of each entry (--known)'),
      })
      .strict()
      .optional()
      .describe('how the gate judged the runs'),
    results: z.array(resultSchema),
    matrix: z
      .array(z.object({ klass: z.string(), browser: z.string(), ok: z.boolean(), detail: z.string(), scenarios: z.array(z.string()) }).strict())
      .optional()
      .describe('present when the run was a detection matrix'),
  })
  .strict();

export function reportJsonSchema(): Record<string, unknown> {
  return { title: 'sse-harness report', ...(z.toJSONSchema(reportSchema, { unrepresentable: 'any' }) as Record<string, unknown>) };
}
