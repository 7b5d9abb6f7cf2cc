// The lint rules that keep the harness's layers one-way bite, no browser: an import from a higher layer into a lower
// one is an error (type-only imports too), an import downwards is not, a circle of imports is an error, and every
// module of the harness sits in exactly one layer of eslint.config.js.
import { expect, test } from '@playwright/test';
import { ESLint } from 'eslint';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './support/cli.ts';

const CONFIG = join(ROOT, 'eslint.config.js');

/** The findings of one rule for a file that is not on disk, linted as if it were at `path` (relative to the root). */
async function findings(path: string, code: string, rule: string): Promise<string[]> {
  const [result] = await new ESLint({ cwd: ROOT }).lintText(code, { filePath: join(ROOT, path) });
  return result!.messages.filter((m) => m.ruleId === rule).map((m) => m.message);
}

test('a lower layer importing a higher one is an error, type-only imports too; importing downwards is not', async () => {
  const rule = 'import-x/no-restricted-paths';
  // The mock (layer 2) reaching up into the runner (layer 5) and the report (layer 6).
  const up = await findings(
    'harness/mock/layering-probe.ts',
    [
      "import { runScenario } from '../runner/run.ts';",
      "import type { HarnessReport } from '../report/model.ts';",
      'export const x: [typeof runScenario, HarnessReport?] = [runScenario];',
    ].join('\n'),
    rule,
  );
  expect(up).toHaveLength(2);
  expect(up[0]).toContain('"../runner/run.ts" imported in restricted zone');
  expect(up[0]).toContain('Layer 2 (mock) imports only from its own layer or below');
  expect(up[1]).toContain('"../report/model.ts" imported in restricted zone');
  // The base layer may import nothing of the harness above it.
  expect(
    await findings(
      'harness/timeline.ts',
      "import { Timeline } from './timeline.ts';\nimport type { Scenario } from './scenario/schema.ts';\nexport type X = [Timeline, Scenario];",
      rule,
    ),
  ).toEqual([expect.stringContaining('"./scenario/schema.ts" imported in restricted zone')]);
  // The report (layer 6) reading the runner, the oracles and the timeline below it: allowed.
  const down = await findings(
    'harness/report/layering-probe.ts',
    [
      "import type { ScenarioResult } from '../runner/run.ts';",
      "import { stepAt } from '../oracles/types.ts';",
      "import { Timeline } from '../timeline.ts';",
      'export type X = [ScenarioResult, typeof stepAt, Timeline];',
    ].join('\n'),
    rule,
  );
  expect(down).toEqual([]);
});

test('a circle of imports is an error, also one closed by a type-only import', async () => {
  // Modules on disk that import each other, linted with the project's config from a folder of their own, so nothing
  // is written into the harness.
  const dir = mkdtempSync(join(tmpdir(), 'sse-harness-cycle-'));
  try {
    const files = {
      'a.ts': "import { b } from './b.ts';\nexport const a = () => b();\n",
      'b.ts': "import { a } from './a.ts';\nexport const b = (): unknown => a;\n",
      'c.ts': "import { a } from './a.ts';\nexport const c = a;\n",
      // As report/json.ts and its renderers were: a value import one way, a type-only import back.
      'model.ts':
        "import { render } from './render.ts';\nexport type Model = { n: number };\nexport const write = (m: Model) => render(m);\n",
      'render.ts': "import type { Model } from './model.ts';\nexport const render = (m: Model) => String(m.n);\n",
    };
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    const results = await new ESLint({ cwd: dir, overrideConfigFile: CONFIG }).lintFiles(Object.keys(files));
    const cycles = Object.fromEntries(
      results.map((r) => [
        relative(dir, r.filePath),
        r.messages.filter((m) => m.ruleId === 'harness/no-import-cycle').map((m) => m.message),
      ]),
    );
    expect(cycles).toEqual({
      'a.ts': ['Import cycle: a.ts → b.ts → a.ts.'],
      'b.ts': ['Import cycle: b.ts → a.ts → b.ts.'],
      'c.ts': [],
      'model.ts': ['Import cycle: model.ts → render.ts → model.ts.'],
      'render.ts': ['Import cycle: render.ts → model.ts → render.ts.'],
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every module of the harness is in exactly one layer', async () => {
  const { LAYERS } = (await import(pathToFileURL(CONFIG).href)) as { LAYERS: { name: string; paths: string[] }[] };
  const modules = readdirSync(join(ROOT, 'harness'), { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.(ts|js)$/.test(f))
    .map((f) => `harness/${f}`);
  const layersOf = (file: string) =>
    LAYERS.filter((l) => l.paths.some((p) => file === p || file.startsWith(`${p}/`))).map((l) => l.name);
  const unplaced = modules
    .filter((f) => layersOf(f).length !== 1)
    .map((f) => `${f}: ${layersOf(f).join(', ') || 'no layer'}`);
  expect(unplaced).toEqual([]);
  expect(modules.length).toBeGreaterThan(50);
});
