// The witness cross-check in each browser project (Chromium, WebKit, the iPhone profile): switch-return passes the
// healthy reference UI with every witness agreeing with the server at every step, and flags leak-on-switch with
// every witness seeing the extra streams. The whole detection matrix (every class, every scenario) is loaded.spec.
import { expect } from '@playwright/test';
import { join } from 'node:path';
import { loadScenarioFile } from '../harness/scenario/loader.ts';
import { runScenario } from '../harness/runner/run.ts';
import { test } from './support/browser.ts';
import { referenceTarget } from '../harness/targets/reference.ts';
import { ROOT } from './support/cli.ts';
import { expectLeakSeenByEveryWitness, expectWitnessesAgree } from './support/witness-checks.ts';

const scenario = loadScenarioFile(join(ROOT, 'scenarios', 'switch-return.yaml'));

test.describe.configure({ mode: 'parallel' });

test('switch-return passes the healthy reference UI, every witness agreeing', async ({
  kept: { launcher, launch },
}) => {
  const r = await runScenario(scenario, { target: referenceTarget, launcher, launch, regress: [] });
  expect(r.error).toBeUndefined();
  const failing = r.verdicts.filter((v) => !v.pass);
  expect(failing, JSON.stringify(failing, null, 1)).toEqual([]);
  expect(r.verdict).toBe('pass');
  expectWitnessesAgree(r);
});

test('switch-return flags leak-on-switch, naming step and counts, seen by every witness', async ({ kept }) => {
  const { launcher, launch } = kept;
  const r = await runScenario(scenario, { target: referenceTarget, launcher, launch, regress: ['leak-on-switch'] });
  expect(r.error).toBeUndefined();
  expect(r.verdict).toBe('fail');
  expectLeakSeenByEveryWitness(r);
});
