// A scenario result for report and gate tests that need no browser: every required field, overridden as a test needs.
import type { ScenarioResult } from '../../harness/runner/run.ts';

export function scenarioResult(over: Partial<ScenarioResult> = {}): ScenarioResult {
  return {
    scenario: 'switch-return',
    file: 'x.yaml',
    catches: [],
    browser: 'chromium',
    engine: '',
    target: 'reference',
    targetVersion: 'x',
    regress: [],
    verdict: 'pass',
    verdicts: [],
    stepFailures: [],
    findings: [],
    witnesses: ['server'],
    durationMs: 1,
    sessions: {},
    timeline: [],
    ...over,
  };
}
