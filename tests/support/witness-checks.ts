// What the witness cross-check promises on the switch-return scenario (tests/detection.spec.ts, in each browser): on
// the healthy UI every witness agrees with the server at every step; with leak-on-switch every witness sees the
// extra streams, and the verdict names them.
import { expect } from '@playwright/test';
import type { ScenarioResult } from '../../harness/runner/run.ts';

const witnessesOf = (browser: string) => (browser === 'chromium' ? ['server', 'page', 'cdp'] : ['server', 'page']);

export function expectWitnessesAgree(r: ScenarioResult): void {
  const cdp = r.browser === 'chromium';
  const live = r.verdicts.find((v) => v.oracle === 'liveStreams')!;
  expect(live.evidence.peakOpen).toBe(1);
  expect(r.witnesses).toEqual(witnessesOf(r.browser));
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
}

export function expectLeakSeenByEveryWitness(r: ScenarioResult): void {
  const cdp = r.browser === 'chromium';
  const live = r.verdicts.find((v) => v.oracle === 'liveStreams')!;
  expect(live.pass).toBe(false);
  expect(live.step).toMatch(/^steps\[\d+\]/);
  expect(live.summary).toMatch(/\d+ chat streams open .* while the user views 1 streaming session/);
  expect(live.evidence.peakOpen as number).toBeGreaterThanOrEqual(2);
  // Confirmed by every witness: each saw more open streams than the one session the user views.
  const peaks = live.evidence.witnessPeaks as Record<string, number>;
  const all = cdp ? [...witnessesOf(r.browser), 'cdpObjects'] : witnessesOf(r.browser);
  for (const w of all) expect(peaks[w], w).toBeGreaterThanOrEqual(2);
  expect(live.summary).toMatch(
    cdp ? /peaks by witness: server \d, page \d, CDP network \d, CDP heap \d/ : /peaks by witness: server \d, page \d/,
  );
  // The report shows each witness's count per step.
  const switchSample = r.timeline.find((e) => e.kind === 'sample' && !e.tick && /switchTo/.test(e.step));
  expect(switchSample && switchSample.kind === 'sample' && Object.keys(switchSample.witnesses)).toEqual(
    expect.arrayContaining(all),
  );
}
