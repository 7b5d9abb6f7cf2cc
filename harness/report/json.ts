// The JSON report: the report model as it is, validated by schema.ts in the tests.
import type { HarnessReport } from './model.ts';

export const renderJson = (report: HarnessReport): string => JSON.stringify(report, null, 2);
