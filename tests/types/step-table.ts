// Type-level checks, judged by `tsc` (npm run typecheck): a step table must handle every step kind of the schema.
import type { StepTable } from '../../harness/runner/step-table.ts';

declare const full: StepTable<void>;
const { online: _online, ...withoutOnline } = full;
// @ts-expect-error a table without a handler for one step kind is not a step table
export const missing: StepTable<void> = withoutOnline;
export const complete: StepTable<void> = full;
