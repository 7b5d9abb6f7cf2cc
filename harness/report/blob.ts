// A shard's blob: what one `--shard i/n` run leaves for `merge-reports`, beside its own reports, as
// blob-<i>-of-<n>.json. A run's blob holds its results whole (timelines and attempts, as in the JSON report) and the
// whole run's job list, so the merge can rebuild every report of the whole in the order an unsharded run has and
// name a shard that is missing; a sweep's blob holds the whole sweep's refs, its results being the shard's
// sweep.json and ref folders beside it. Documented in docs/report.md ("Shard blobs").
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { z as Z } from 'zod';
import { z } from '../deps.ts';
import { makeDir } from '../destination.ts';
import type { ScenarioResult } from '../runner/run.ts';
import { MAX_SHARDS, type Shard } from '../runner/shard.ts';
import { resultSchema } from '../runner/result.ts';
import { reportSchema } from './schema.ts';

export const BLOB_VERSION = 1;

/** A blob's file name in its report folder. */
export const blobName = (s: Shard) => `blob-${s.index}-of-${s.total}.json`;
export const BLOB_NAME = /^blob-(\d{1,4})-of-(\d{1,4})\.json$/;

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

const shardSchema = z
  .object({
    index: z.number().int().min(1).max(MAX_SHARDS).describe('this shard, from 1'),
    total: z.number().int().min(1).max(MAX_SHARDS).describe('how many shards the whole was split into'),
  })
  .strict()
  .refine((s) => s.index <= s.total, { message: 'shard index past the number of shards' });

export const blobJobSchema = z
  .object({
    key: z
      .string()
      .min(1)
      .describe(
        'the job\'s key: scenario name, browser, regressions and repetition ("switch-return · chromium · regress leak-on-switch"), unique in the run',
      ),
    scenario: z.string(),
    file: z.string(),
    browser: z.string(),
    transport: z.string().optional().describe('the streaming transport asked for (--transport), where one was'),
    regress: z.array(z.string()),
    expect: z.enum(['pass', 'catch']),
    klass: z.string().optional().describe('the regression class a detection-matrix run switches on'),
    repeat: z.number().int().nonnegative().describe('the repetition (--repeat-until-fail), from 0'),
    weight: z.number().nonnegative().describe('scripted ms the split balanced on'),
  })
  .strict();

const blobHead = {
  blobVersion: z.literal(BLOB_VERSION),
  tool: z.literal('sse-harness'),
  shard: shardSchema,
  // The merged report's file name is made from startedAt: a timestamp, nothing that could name another path.
  startedAt: z.string().regex(ISO_TIME, 'expected an ISO time like 2026-01-31T10:00:00.000Z'),
  finishedAt: z.string().regex(ISO_TIME, 'expected an ISO time like 2026-01-31T10:00:00.000Z'),
  command: z.array(z.string()).describe("this shard's command line"),
};

export const runBlobSchema = z
  .object({
    ...blobHead,
    kind: z.literal('run'),
    complete: z.boolean().describe('false when this shard was interrupted'),
    interruptedBy: z.string().optional(),
    target: z.string(),
    browsers: z.array(z.string()),
    regress: z.array(z.string()),
    gate: reportSchema.shape.gate,
    matrix: z
      .object({ classes: z.array(z.string()) })
      .strict()
      .optional()
      .describe('a detection-matrix run: the classes its cells cover'),
    jobs: z.array(blobJobSchema).describe('every job of the whole run, in the order an unsharded run has them'),
    results: z
      .array(z.object({ key: z.string(), result: resultSchema }).strict())
      .describe("this shard's results, each with its job's key"),
  })
  .strict();

export const sweepBlobSchema = z
  .object({
    ...blobHead,
    kind: z.literal('sweep'),
    refs: z
      .array(z.object({ commit: z.string().regex(/^[0-9a-f]{40,64}$/), label: z.string() }).strict())
      .describe(
        "every ref of the whole sweep, in history order; this shard's results are its sweep.json beside the blob",
      ),
  })
  .strict();

export const blobSchema = z.discriminatedUnion('kind', [runBlobSchema, sweepBlobSchema]);

/** Results as the runner types them (the schema checks the same fields, with looser string types in places). */
export type RunBlob = Omit<Z.infer<typeof runBlobSchema>, 'results'> & {
  results: { key: string; result: ScenarioResult }[];
};
export type SweepBlob = Z.infer<typeof sweepBlobSchema>;
export type Blob = RunBlob | SweepBlob;
export type BlobJob = Z.infer<typeof blobJobSchema>;

/** Writes the blob into the report folder, atomically; returns its path. */
export function writeBlob(dir: string, blob: Blob): string {
  makeDir(dir, `report folder ${dir}`);
  const file = join(dir, blobName(blob.shard));
  writeFileSync(`${file}.tmp`, JSON.stringify(blob));
  renameSync(`${file}.tmp`, file);
  return file;
}

export function blobJsonSchema(): Record<string, unknown> {
  return {
    title: 'sse-harness shard blob',
    ...(z.toJSONSchema(blobSchema, { unrepresentable: 'any' }) as Record<string, unknown>),
  };
}
