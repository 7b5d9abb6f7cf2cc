// The detection matrix: every regression class is flagged by its own oracle, and the healthy reference UI passes
// every built-in scenario, repeated, in this project's browser. Zero misses and zero false alarms.
import { expect } from '@playwright/test';
import { loadScenarioFile } from '../harness/scenario/loader.ts';
import { readdirSync } from 'node:fs';
import { runScenario } from '../harness/runner/run.ts';
import { caughtBy, stopWhenFor } from '../harness/runner/matrix.ts';
import { CLASS_ORACLE } from '../harness/oracles/classes.ts';
import { REGRESSION_CLASSES } from '../harness/scenario/classes.ts';
import { referenceTarget } from '../harness/targets/reference.ts';
import { join } from 'node:path';
import { ROOT } from './support/cli.ts';
import { test } from './support/browser.ts';
import { expectLeakSeenByEveryWitness, expectWitnessesAgree } from './support/witness-checks.ts';

// The default suite: scenarios/*.yaml (the nightly soak lives in scenarios/nightly/).
const dir = join(ROOT, 'scenarios');
const scenarios = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((f) => loadScenarioFile(join(dir, f)));
/** The healthy UI runs each scenario this many times: a harness that cries wolf once in three is not a gate. */
const HEALTHY_REPEATS = Number(process.env.SSE_HARNESS_HEALTHY_REPEATS ?? 1);

test.describe.configure({ mode: 'parallel' });

const failed = (r: Awaited<ReturnType<typeof runScenario>>) =>
  r.error ??
  r.verdicts
    .filter((v) => !v.pass)
    .map((v) => `${v.oracle}: ${v.summary}${v.step ? ` at ${v.step}` : ''}`)
    .join('\n');

for (const klass of REGRESSION_CLASSES) {
  const built = scenarios.filter((s) => s.catches?.includes(klass));
  test(`${klass} is caught by ${CLASS_ORACLE[klass]}`, async ({ kept: { launcher, launch } }) => {
    expect(built.length, `a built-in scenario declares catches: [${klass}]`).toBeGreaterThan(0);
    for (const scenario of built) {
      // Stopped at the catch, as the CLI's matrix is: what the rest of the run would show is not this test's question.
      const stopWhen = stopWhenFor({ expect: 'catch', klass });
      const r = await runScenario(scenario, { target: referenceTarget, launcher, launch, regress: [klass], stopWhen });
      expect(r.verdict, `${scenario.name}: ${failed(r)}`).toBe('fail');
      expect(caughtBy(r, klass), `${scenario.name} must be flagged by ${CLASS_ORACLE[klass]}, got: ${failed(r)}`).toBe(
        true,
      );
      const v = r.verdicts.find((x) => x.oracle === CLASS_ORACLE[klass] && !x.pass)!;
      // The verdict says where it happened and what was seen.
      expect(v.summary.length).toBeGreaterThan(20);
      // The switch leak, the witness cross-check's own case: every witness sees it.
      if (klass === 'leak-on-switch' && scenario.name === 'switch-return') expectLeakSeenByEveryWitness(r);
    }
  });
}

for (const scenario of scenarios) {
  for (let i = 1; i <= HEALTHY_REPEATS; i++) {
    test(`healthy UI passes ${scenario.name} (run ${i}/${HEALTHY_REPEATS})`, async ({ kept: { launcher, launch } }) => {
      const r = await runScenario(scenario, { target: referenceTarget, launcher, launch, regress: [] });
      expect(r.verdict, failed(r)).toBe('pass');
      expect(r.findings, JSON.stringify(r.findings)).toEqual([]);
      if (scenario.name === 'switch-return') expectWitnessesAgree(r);
    });
  }
}
