// Records what the oracles judge (timeline, sessions, scripted answers) from real browser runs, as fixtures the
// oracle tests judge again without a browser (tests/recorded-timelines.spec.ts).
//
//   npm run record:timelines                       the reference UI: every built-in scenario healthy and with each
//                                                  class it catches, in Chromium and WebKit
//   npm run record:timelines -- --target hermes-webui --app-dir /tmp/hw-v0.51.200 \
//     --scenario scenarios/lock-unlock.yaml --browser chromium --name lock-unlock-v0.51.200 --note "why it fails"
//                                                  one run of a real UI, kept with the reason its verdict is right
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { launcherFor } from '../harness/driver/index.ts';
import type { RunRecord } from '../harness/oracles/types.ts';
import { runScenario } from '../harness/runner/run.ts';
import { loadScenarioFile } from '../harness/scenario/loader.ts';
import type { Scenario } from '../harness/scenario/schema.ts';
import { targetFor, useTarget } from '../harness/targets/index.ts';
import { recordedTimelineSchema, type RecordedTimeline } from '../tests/support/recorded.ts';

const ROOT = resolve(import.meta.dirname, '..');
const { values: o } = parseArgs({
  options: {
    target: { type: 'string', default: 'reference' },
    'app-dir': { type: 'string' },
    scenario: { type: 'string', multiple: true },
    browser: { type: 'string', default: 'chromium,webkit' },
    regress: { type: 'string' },
    name: { type: 'string' },
    note: { type: 'string' },
    out: { type: 'string', default: join(ROOT, 'tests', 'timelines') },
  },
});

const fail = (why: string): never => {
  process.stderr.write(`record-timelines: ${why}\n`);
  process.exit(2);
};

const reference = o.target === 'reference';
if (!reference && (!o.name || !o.note || o.scenario?.length !== 1))
  fail('a real UI is recorded one run at a time: give --scenario <file>, --name <fixture name> and --note <why>');
const targetName = await useTarget(o.target!);
const target = targetFor(targetName, { appDir: o['app-dir'] && resolve(o['app-dir']) });
const scenarioDir = join(ROOT, 'scenarios');
const scenarios: Scenario[] = (
  o.scenario ??
  readdirSync(scenarioDir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => join(scenarioDir, f))
).map((f) => loadScenarioFile(resolve(f)));
const browsers = o.browser!.split(',');

for (const browser of browsers) {
  const launcher = launcherFor(browser);
  const missing = launcher.missing();
  if (missing) fail(missing);
  for (const scenario of scenarios) {
    const variants: string[][] = reference
      ? [[], ...(scenario.catches ?? []).map((k) => [k])]
      : [o.regress ? o.regress.split(',') : []];
    for (const regress of variants) {
      let record: RunRecord | undefined;
      const r = await runScenario(scenario, { target, launcher, regress, onRecord: (x) => (record = x) });
      if (!record) fail(`${scenario.name} · ${browser}: no record (${r.error ?? r.verdict})`);
      const fixture: RecordedTimeline = recordedTimelineSchema.parse({
        scenario: relative(ROOT, scenario.file),
        target: target.name,
        targetVersion: r.targetVersion,
        browser,
        engine: r.engine,
        regress,
        recordedAt: new Date().toISOString(),
        ...(o.note ? { note: o.note } : {}),
        sessions: record!.sessions,
        scripted: record!.scripted,
        endedAt: record!.endedAt,
        cycles: record!.cycles,
        events: record!.timeline.events,
        verdicts: r.verdicts
          .filter((v) => v.oracle !== 'steps')
          .map((v) => ({ oracle: v.oracle, pass: v.pass, ...(v.step ? { step: v.step } : {}) })),
      });
      const dir = reference ? join(o.out!, 'reference', browser) : join(o.out!, basename(target.name));
      const name = reference ? `${scenario.name}${regress.length ? `+${regress.join('+')}` : ''}` : o.name!;
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(fixture)}\n`);
      const failing = fixture.verdicts.filter((v) => !v.pass).map((v) => v.oracle);
      process.stdout.write(
        `${relative(ROOT, join(dir, `${name}.json`))}: ${r.verdict}${failing.length ? ` (${failing.join(', ')})` : ''}\n`,
      );
    }
  }
}
