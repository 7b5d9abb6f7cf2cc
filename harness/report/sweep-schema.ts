// The shape of a sweep's sweep.json (history/sweep.ts writes it), in zod, and its types, derived from the schema so
// the two cannot drift. merge-reports reads shards' sweep.json files as untrusted input and validates them with this
// before anything in them is used.
import type { z as Z } from 'zod';
import { z } from '../deps.ts';

export const SWEEP_VERSION = 1;

export const sweepCellSchema = z
  .object({
    scenario: z.string(),
    browser: z.string(),
    verdict: z
      .enum(['pass', 'fail', 'error', 'not run'])
      .describe("a run's verdict; not run: the sweep was interrupted before this run"),
    failing: z.array(z.string()).describe('oracles that failed'),
    detail: z.string().optional().describe("each failing oracle's sentence, or the error"),
    durationMs: z.number().optional(),
    report: z
      .string()
      .optional()
      .describe("that run's section in the ref's HTML report, relative to the sweep's folder"),
  })
  .strict();

export const sweepRowSchema = z
  .object({
    label: z.string(),
    commit: z.string().regex(/^[0-9a-f]{40,64}$/),
    subject: z.string(),
    date: z.string(),
    dir: z.string().describe("the ref's report folder, relative to the sweep's folder"),
    report: z
      .string()
      .optional()
      .describe("the ref's JSON report, relative to the sweep's folder (absent until the ref has run)"),
    targetVersion: z.string().optional().describe('the version the target named (git describe at the ref)'),
    cells: z.array(sweepCellSchema),
  })
  .strict();

const count = z.number().int().nonnegative();

export const sweepSummarySchema = z
  .object({
    sweepVersion: z.literal(SWEEP_VERSION),
    tool: z.literal('sse-harness'),
    kind: z.literal('sweep'),
    startedAt: z.string(),
    finishedAt: z.string(),
    complete: z.boolean().describe('false while the sweep runs and when it was interrupted'),
    interruptedBy: z.string().optional(),
    command: z.array(z.string()),
    repo: z.string(),
    refs: z.string(),
    target: z.string(),
    appSubdir: z.string(),
    browsers: z.array(z.string()),
    scenarios: z.array(z.string()),
    shard: z
      .object({ index: z.number().int(), total: z.number().int() })
      .strict()
      .optional()
      .describe('--shard: this sweep ran the refs dealt to this shard (rows hold only those)'),
    backend: z
      .literal('real')
      .optional()
      .describe('the runs were played against the real server (--backend real); absent: the mock'),
    transport: z
      .string()
      .optional()
      .describe("the streaming transport the UI was asked to use at every ref (--transport); absent: the target's own"),
    columns: z
      .array(z.object({ scenario: z.string(), browser: z.string() }).strict())
      .describe('the cells of every row, in this order'),
    rows: z.array(sweepRowSchema),
    totals: z
      .object({ refs: count, cells: count, passed: count, failed: count, errors: count, notRun: count })
      .strict(),
  })
  .strict();

/** One run of a sweep: a scenario in a browser at one ref. */
export type SweepCell = Z.infer<typeof sweepCellSchema>;
/** One ref of a sweep and its cells. */
export type SweepRow = Z.infer<typeof sweepRowSchema>;
/** sweep.json. */
export type SweepSummary = Z.infer<typeof sweepSummarySchema>;
