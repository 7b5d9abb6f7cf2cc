// A recorded timeline: what the oracles judged at the end of one real browser run (scripts/record-timelines.ts),
// and the verdicts they gave, so oracle changes are checked against real runs without a browser.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { z as Z } from 'zod';
import { z } from '../../harness/deps.ts';
import { timelineEventSchema } from '../../harness/timeline.ts';

export const recordedTimelineSchema = z
  .object({
    scenario: z.string().describe('the scenario file, relative to the repository'),
    target: z.string(),
    targetVersion: z.string(),
    browser: z.string(),
    engine: z.string(),
    regress: z.array(z.string()),
    recordedAt: z.string(),
    note: z.string().optional().describe('for a real UI: why its verdict is right, from its own code'),
    sessions: z.record(z.string(), z.string()),
    scripted: z.record(z.string(), z.string()),
    endedAt: z.number(),
    cycles: z.array(z.object({ path: z.string(), start: z.number(), end: z.number() }).strict()),
    events: z.array(timelineEventSchema),
    verdicts: z.array(z.object({ oracle: z.string(), pass: z.boolean(), step: z.string().optional() }).strict()),
  })
  .strict();

export type RecordedTimeline = Z.infer<typeof recordedTimelineSchema>;

/** Every fixture under dir, by its path relative to dir. */
export function recordedTimelines(dir: string): { name: string; fixture: RecordedTimeline }[] {
  const out: { name: string; fixture: RecordedTimeline }[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.json'))
        out.push({
          name: relative(dir, p),
          fixture: recordedTimelineSchema.parse(JSON.parse(readFileSync(p, 'utf8'))),
        });
    }
  };
  walk(dir);
  return out;
}
