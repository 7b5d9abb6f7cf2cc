// Detection: each scenario flags its regression class in a real browser, and the healthy reference UI passes.
import { test, expect } from '@playwright/test';
import { join } from 'node:path';
import { loadScenarioFile } from '../harness/scenario/loader.ts';
import { runScenario } from '../harness/runner/run.ts';
import { launcherFor } from '../harness/driver/index.ts';
import { referenceTarget } from '../harness/targets/reference.ts';
import { ROOT } from './support/cli.ts';

const scenario = (name: string) => loadScenarioFile(join(ROOT, 'scenarios', `${name}.yaml`));

test.describe('switch-return in chromium', () => {
  test('passes the healthy reference UI', async () => {
    const r = await runScenario(scenario('switch-return'), { target: referenceTarget, launcher: launcherFor('chromium'), regress: [] });
    expect(r.error).toBeUndefined();
    expect(r.verdicts.filter((v) => !v.pass), JSON.stringify(r.verdicts.filter((v) => !v.pass), null, 1)).toEqual([]);
    expect(r.verdict).toBe('pass');
    const live = r.verdicts.find((v) => v.oracle === 'liveStreams')!;
    expect(live.evidence.peakOpen).toBe(1);
    // The page witness agrees with the server at every step.
    for (const s of r.timeline.filter((e) => e.kind === 'sample')) {
      if (s.kind === 'sample' && s.witnesses.page !== undefined) expect(s.witnesses.page, s.step).toBe(s.witnesses.server);
    }
  });

  test('flags leak-on-switch with the live-streams oracle, naming step and counts', async () => {
    const r = await runScenario(scenario('switch-return'), { target: referenceTarget, launcher: launcherFor('chromium'), regress: ['leak-on-switch'] });
    expect(r.error).toBeUndefined();
    expect(r.verdict).toBe('fail');
    const live = r.verdicts.find((v) => v.oracle === 'liveStreams')!;
    expect(live.pass).toBe(false);
    expect(live.step).toMatch(/^steps\[\d+\]/);
    expect(live.summary).toMatch(/\d+ chat streams open .* while the user views 1 streaming session/);
    expect(live.evidence.peakOpen as number).toBeGreaterThanOrEqual(2);
  });
});
