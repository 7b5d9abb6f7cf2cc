// What a run of a scenario returns, as the JSON report holds it: declared once, in zod, so the report's schema and
// the result's type cannot drift apart. report/schema.ts puts these results into the report's schema.
import type { z as Z } from 'zod';
import { z } from '../deps.ts';
import { serverModelSummarySchema } from '../mock/server-model.ts';
import { verdictSchema } from '../oracles/types.ts';
import { timelineEventSchema, witnessCountsSchema } from '../timeline.ts';

/** A run beside the same run (scenario, browser, regressions) at a base ref (history/compare.ts). */
export const comparisonSchema = z
  .object({
    base: z.string().describe('the base ref as given to --compare'),
    baseCommit: z.string(),
    baseVerdict: z.enum(['pass', 'fail', 'error', 'not run']),
    baseFailing: z.array(z.string()).describe('oracles that failed at the base'),
    baseReport: z
      .string()
      .optional()
      .describe("the base run's section in the base report, relative to this report's folder"),
    status: z
      .enum(['new', 'worse', 'pre-existing', 'fixed', 'ok', 'error'])
      .describe('new and worse fail the gate; pre-existing does not; fixed and ok passed; error could not run'),
    oracles: z
      .array(
        z.object({ oracle: z.string(), status: z.enum(['new', 'worse', 'pre-existing']), detail: z.string() }).strict(),
      )
      .describe('each oracle failing in this run, and why it counts as it does'),
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
    timeScale: z
      .number()
      .optional()
      .describe("the stream time scale the scenario's streams were played at (absent: 1)"),
    browser: z.string(),
    project: z.string().optional().describe('the config project the run belongs to (absent without projects)'),
    engine: z.string().describe('browser binary, version and protocol'),
    emulation: z
      .array(z.string())
      .optional()
      .describe('what was emulated rather than real (device profile, page lifecycle on WebDriver)'),
    target: z.string(),
    targetVersion: z.string(),
    transport: z
      .string()
      .optional()
      .describe('the streaming transport the UI was asked to use (--transport; absent: its default)'),
    readySignal: z
      .string()
      .optional()
      .describe('the readiness signal the target used, for targets that pick one per version of the UI'),
    bootFailed: z
      .boolean()
      .optional()
      .describe('the UI never became ready at the first open: the checkout cannot be judged in this browser'),
    mock: serverModelSummarySchema.optional().describe('the server behaviour the mock played for chat streams'),
    backend: z
      .string()
      .optional()
      .describe('the real server the run was played against, in place of the mock (--backend real)'),
    regress: z.array(z.string()),
    expected: z
      .enum(['pass', 'catch'])
      .optional()
      .describe('what the run was for: a healthy run must pass, a regression run must be caught'),
    verdict: z.enum(['pass', 'fail', 'error']),
    verdicts: z.array(verdictSchema),
    stepFailures: z.array(z.object({ step: z.string(), t: z.number(), error: z.string() }).strict()),
    findings: z.array(
      z
        .object({
          t: z.number(),
          step: z.string(),
          finding: z.string(),
          summary: z.string(),
          witnesses: witnessCountsSchema,
        })
        .strict(),
    ),
    witnesses: z.array(z.enum(['server', 'page', 'cdp'])).describe('the witnesses the verdicts rest on'),
    error: z.string().optional(),
    stoppedEarly: z
      .object({ t: z.number(), oracle: z.string(), notJudged: z.array(z.string()) })
      .strict()
      .optional()
      .describe(
        'the run stopped at its first failure that nothing later could undo (--fail-fast, the detection matrix); verdicts then hold only such failures, and notJudged names the oracles not given the whole run',
      ),
    durationMs: z.number(),
    sessions: z.record(z.string(), z.string()).describe('scenario alias → session id'),
    timeline: z.array(timelineEventSchema),
    compare: comparisonSchema.optional().describe('run --compare: the same run at the base ref beside this one'),
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
    attempts: z
      .array(attemptSchema)
      .optional()
      .describe('the earlier attempts of a retried run, oldest first; the result itself is the last attempt'),
  })
  .strict();

/** A run's result as the JSON report holds it. */
export type ScenarioResultJson = Z.infer<typeof resultSchema>;
export type Comparison = Z.infer<typeof comparisonSchema>;
