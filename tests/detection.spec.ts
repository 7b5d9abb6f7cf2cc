// Detection: each scenario flags its regression class in a real browser, and the healthy reference UI passes.
import { test, expect } from '@playwright/test';
import { join } from 'node:path';
import { loadScenarioFile } from '../harness/scenario/loader.ts';
import { runScenario } from '../harness/runner/run.ts';
import { launcherOrSkip } from './support/browser.ts';
import { referenceTarget } from '../harness/targets/reference.ts';
import { ROOT } from './support/cli.ts';

const scenario = (name: string) => loadScenarioFile(join(ROOT, 'scenarios', `${name}.yaml`));

test.describe('switch-return', () => {
  test('passes the healthy reference UI', async () => {
    const { launcher, launch } = launcherOrSkip();
    const r = await runScenario(scenario('switch-return'), { target: referenceTarget, launcher, launch, regress: [] });
    expect(r.error).toBeUndefined();
    expect(
      r.verdicts.filter((v) => !v.pass),
      JSON.stringify(
        r.verdicts.filter((v) => !v.pass),
        null,
        1,
      ),
    ).toEqual([]);
    expect(r.verdict).toBe('pass');
    const live = r.verdicts.find((v) => v.oracle === 'liveStreams')!;
    expect(live.evidence.peakOpen).toBe(1);
    // All three witnesses agree with the server at every step's settled sample, and nothing is a finding.
    const cdp = launcher.browser === 'chromium';
    expect(r.witnesses).toEqual(cdp ? ['server', 'page', 'cdp'] : ['server', 'page']);
    const steps = r.timeline.filter((e) => e.kind === 'sample' && !e.tick);
    expect(steps.length).toBeGreaterThan(10);
    for (const s of steps) {
      if (s.kind !== 'sample') continue;
      // A stream the page closed may still be read by Chromium for a while (it drains the response to reuse the
      // connection): the server counts it as draining, and the page and the network count it as closed.
      const server = s.witnesses.server! - (s.witnesses.serverDraining ?? 0);
      expect(s.witnesses.page, s.step).toBe(server);
      if (cdp) expect(s.witnesses.cdp, s.step).toBe(server);
    }
    expect(r.findings).toEqual([]);
  });

  test('flags leak-on-switch with the live-streams oracle, naming step and counts', async () => {
    const { launcher, launch } = launcherOrSkip();
    const r = await runScenario(scenario('switch-return'), {
      target: referenceTarget,
      launcher,
      launch,
      regress: ['leak-on-switch'],
    });
    expect(r.error).toBeUndefined();
    expect(r.verdict).toBe('fail');
    const live = r.verdicts.find((v) => v.oracle === 'liveStreams')!;
    expect(live.pass).toBe(false);
    expect(live.step).toMatch(/^steps\[\d+\]/);
    expect(live.summary).toMatch(/\d+ chat streams open .* while the user views 1 streaming session/);
    expect(live.evidence.peakOpen as number).toBeGreaterThanOrEqual(2);
    // Confirmed by every witness: each saw more open streams than the one session the user views.
    const peaks = live.evidence.witnessPeaks as Record<string, number>;
    const cdp = launcher.browser === 'chromium';
    for (const w of cdp ? ['server', 'page', 'cdp', 'cdpObjects'] : ['server', 'page'])
      expect(peaks[w], w).toBeGreaterThanOrEqual(2);
    expect(live.summary).toMatch(
      cdp
        ? /peaks by witness: server \d, page \d, CDP network \d, CDP heap \d/
        : /peaks by witness: server \d, page \d/,
    );
    // The report shows each witness's count per step.
    const switchSample = r.timeline.find((e) => e.kind === 'sample' && !e.tick && /switchTo/.test(e.step));
    expect(switchSample && switchSample.kind === 'sample' && Object.keys(switchSample.witnesses)).toEqual(
      expect.arrayContaining(cdp ? ['server', 'page', 'cdp', 'cdpObjects'] : ['server', 'page']),
    );
  });
});
