// Detection on the iPhone profile: the switch-return scenario passes the healthy reference UI and flags
// leak-on-switch, with every witness agreeing. (Chromium and WebKit get the same checks in the matrix spec.)
import { test, expect } from '@playwright/test';
import { join } from 'node:path';
import { loadScenarioFile } from '../harness/scenario/loader.ts';
import { runScenario } from '../harness/runner/run.ts';
import { launcherOrSkip } from './support/browser.ts';
import { referenceTarget } from '../harness/targets/reference.ts';
import { ROOT } from './support/cli.ts';
import { expectLeakSeenByEveryWitness, expectWitnessesAgree } from './support/witness-checks.ts';

const scenario = (name: string) => loadScenarioFile(join(ROOT, 'scenarios', `${name}.yaml`));

test.describe('switch-return', () => {
  test('passes the healthy reference UI', async () => {
    const { launcher, launch } = launcherOrSkip();
    const r = await runScenario(scenario('switch-return'), { target: referenceTarget, launcher, launch, regress: [] });
    expect(r.error).toBeUndefined();
    const failing = r.verdicts.filter((v) => !v.pass);
    expect(failing, JSON.stringify(failing, null, 1)).toEqual([]);
    expect(r.verdict).toBe('pass');
    expectWitnessesAgree(r);
  });

  test('flags leak-on-switch with the live-streams oracle, naming step and counts', async () => {
    const { launcher, launch } = launcherOrSkip();
    const regress = ['leak-on-switch'];
    const r = await runScenario(scenario('switch-return'), { target: referenceTarget, launcher, launch, regress });
    expect(r.error).toBeUndefined();
    expect(r.verdict).toBe('fail');
    expectLeakSeenByEveryWitness(r);
  });
});
