// The oracles on timelines recorded from real browser runs (tests/timelines/, made by `npm run record:timelines`):
// the reference UI healthy and with each regression class in Chromium and WebKit, and real UIs' failures. No
// browser: an oracle change that would turn a real run's verdict is caught here in milliseconds.
import { expect, test } from '@playwright/test';
import { join } from 'node:path';
import { judge } from '../harness/oracles/index.ts';
import { CLASS_ORACLE } from '../harness/oracles/classes.ts';
import { loadScenarioFile } from '../harness/scenario/loader.ts';
import type { RegressionClass } from '../harness/scenario/classes.ts';
import { Timeline } from '../harness/timeline.ts';
import { ROOT } from './support/cli.ts';
import { recordedTimelines } from './support/recorded.ts';

const fixtures = recordedTimelines(join(ROOT, 'tests', 'timelines'));

test('there are recorded timelines of the reference UI in both browsers and of a real UI', () => {
  const reference = fixtures.filter((f) => f.fixture.target === 'reference');
  expect(new Set(reference.map((f) => f.fixture.browser))).toEqual(new Set(['chromium', 'webkit']));
  expect(reference.filter((f) => f.fixture.regress.length === 0).length).toBeGreaterThan(0);
  expect(fixtures.some((f) => f.fixture.target !== 'reference')).toBe(true);
});

for (const { name, fixture } of fixtures) {
  test(`${name}: the oracles judge the recorded run as they did`, () => {
    const scenario = loadScenarioFile(join(ROOT, fixture.scenario));
    const timeline = new Timeline(0);
    for (const e of fixture.events) timeline.add(e);
    const verdicts = judge(
      {
        scenario,
        timeline,
        sessions: fixture.sessions,
        scripted: fixture.scripted,
        endedAt: fixture.endedAt,
        cycles: fixture.cycles,
      },
      // The oracles it was judged by when recorded: one added to the scenario since has no events of its own there.
      Object.fromEntries(Object.entries(scenario.expect).filter(([k]) => fixture.verdicts.some((v) => v.oracle === k))),
    );
    const shape = (vs: { oracle: string; pass: boolean; step?: string }[]) =>
      vs.map((v) => `${v.oracle} ${v.pass ? 'pass' : 'FAIL'}${v.step && !v.pass ? ` at ${v.step}` : ''}`);
    const why = verdicts.filter((v) => !v.pass).map((v) => `${v.oracle}: ${v.summary}`);
    expect(shape(verdicts), why.join('\n')).toEqual(shape(fixture.verdicts));
    // And what the run was for: the healthy reference UI passes; a switched-on class fails its own oracle.
    if (fixture.target !== 'reference') return;
    if (!fixture.regress.length) expect(why).toEqual([]);
    for (const k of fixture.regress)
      expect(
        verdicts.some((v) => v.oracle === CLASS_ORACLE[k as RegressionClass] && !v.pass),
        `${k} is caught by ${CLASS_ORACLE[k as RegressionClass]}`,
      ).toBe(true);
  });
}
