// The JSON report's schema (version REPORT_SCHEMA_VERSION), in zod: the tests validate every report against it and
// schemas/report.schema.json is generated from it (`sse-harness schema --report`). Documented in docs/report.md.
import { z } from '../deps.ts';
import { knownStatusSchema } from '../runner/known.ts';
import { matrixCellSchema } from '../runner/matrix.ts';
import { resultSchema } from '../runner/result.ts';
import { FLAKY_POLICIES } from '../runner/retry.ts';

export const REPORT_SCHEMA_VERSION = 1;

export const reportSchema = z
  .object({
    schemaVersion: z.literal(REPORT_SCHEMA_VERSION),
    tool: z.literal('sse-harness'),
    startedAt: z.string(),
    finishedAt: z.string(),
    complete: z.boolean().describe('false when the run was interrupted before every scenario finished'),
    interruptedBy: z.string().optional(),
    command: z.array(z.string()),
    target: z.string(),
    browsers: z.array(z.string()),
    transports: z
      .array(z.string())
      .optional()
      .describe('the streaming transports the UI was asked to use (--transport; absent: each target its default)'),
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
        flaky: z.enum(FLAKY_POLICIES).describe('whether a flaky run passes or fails the gate (--flaky)'),
        known: z
          .object({
            file: z.string(),
            entries: z.array(knownStatusSchema),
          })
          .strict()
          .optional()
          .describe('the known-findings file and what became of each entry (--known)'),
      })
      .strict()
      .optional()
      .describe('how the gate judged the runs'),
    results: z.array(resultSchema),
    matrix: z.array(matrixCellSchema).optional().describe('present when the run was a detection matrix'),
  })
  .strict();

export function reportJsonSchema(): Record<string, unknown> {
  return {
    title: 'sse-harness report',
    ...(z.toJSONSchema(reportSchema, { unrepresentable: 'any' }) as Record<string, unknown>),
  };
}
