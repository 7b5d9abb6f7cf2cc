// The shape of a sweep's sweep.json (history/sweep.ts writes it), in zod: merge-reports reads shards' sweep.json
// files as untrusted input and validates them with this before anything in them is used.
import { z } from '../deps.ts';

const cellSchema = z
  .object({
    scenario: z.string(),
    browser: z.string(),
    verdict: z.enum(['pass', 'fail', 'error', 'not run']),
    failing: z.array(z.string()),
    detail: z.string().optional(),
    durationMs: z.number().optional(),
    report: z.string().optional(),
  })
  .strict();

const rowSchema = z
  .object({
    label: z.string(),
    commit: z.string().regex(/^[0-9a-f]{40,64}$/),
    subject: z.string(),
    date: z.string(),
    dir: z.string(),
    report: z.string().optional(),
    targetVersion: z.string().optional(),
    cells: z.array(cellSchema),
  })
  .strict();

const count = z.number().int().nonnegative();

export const sweepSummarySchema = z
  .object({
    sweepVersion: z.literal(1),
    tool: z.literal('sse-harness'),
    kind: z.literal('sweep'),
    startedAt: z.string(),
    finishedAt: z.string(),
    complete: z.boolean(),
    interruptedBy: z.string().optional(),
    command: z.array(z.string()),
    repo: z.string(),
    refs: z.string(),
    target: z.string(),
    appSubdir: z.string(),
    browsers: z.array(z.string()),
    scenarios: z.array(z.string()),
    shard: z.object({ index: z.number().int(), total: z.number().int() }).strict().optional(),
    backend: z.literal('real').optional().describe('the runs were played against the real server (--backend real); absent: the mock'),
    columns: z.array(z.object({ scenario: z.string(), browser: z.string() }).strict()),
    rows: z.array(rowSchema),
    totals: z.object({ refs: count, cells: count, passed: count, failed: count, errors: count, notRun: count }).strict(),
  })
  .strict();
