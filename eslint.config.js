// ESLint for the harness, its tests, benches and bin: rules that find real problems, and the harness's layers.
// Layout is Prettier's (.prettierrc.json, `npm run format`); rules that only judge style are off here.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import noImportCycle from './eslint-rules/no-import-cycle.js';

/**
 * The harness's layers, bottom up. A module imports only from its own layer or layers below it; type-only imports
 * count too. Paths are relative to this file.
 *
 *   0  base         harness/{printable,paths,deps,confined,destination,timeline}.ts
 *   1  driver       harness/driver/, harness/probe/
 *   2  mock         harness/mock/, harness/scenario/
 *   3  targets      harness/targets/
 *   4  oracles      harness/oracles/
 *   5  runner       harness/runner/, harness/conformance/
 *   6  report       harness/report/
 *   7  commands     harness/history/, harness/playwright/, harness/{merge-reports,stress,watch,bisect,doctor}.ts
 *   8  cli          harness/cli.ts
 *
 * tests/, bench/ and bin/ stand above every layer.
 */
export const LAYERS = [
  {
    name: 'base',
    paths: [
      'harness/printable.ts',
      'harness/paths.ts',
      'harness/deps.ts',
      'harness/confined.ts',
      'harness/destination.ts',
      'harness/timeline.ts',
      'harness/timeline-queries.ts',
    ],
  },
  { name: 'driver', paths: ['harness/driver', 'harness/probe'] },
  { name: 'mock', paths: ['harness/mock', 'harness/scenario'] },
  { name: 'targets', paths: ['harness/targets'] },
  { name: 'oracles', paths: ['harness/oracles'] },
  { name: 'runner', paths: ['harness/runner', 'harness/conformance'] },
  { name: 'report', paths: ['harness/report'] },
  {
    name: 'commands',
    paths: [
      'harness/history',
      'harness/playwright',
      'harness/merge-reports.ts',
      'harness/stress.ts',
      'harness/watch.ts',
      'harness/bisect.ts',
      'harness/doctor.ts',
      'harness/config.ts',
      'harness/projects.ts',
    ],
  },
  { name: 'cli', paths: ['harness/cli.ts', 'harness/index.ts'] },
];

/** One zone per layer: its files may import nothing from the layers above it. */
export const layerZones = (layers = LAYERS) =>
  layers.slice(0, -1).map((layer, i) => ({
    target: layer.paths,
    from: layers.slice(i + 1).flatMap((l) => l.paths),
    message: `Layer ${i} (${layer.name}) imports only from its own layer or below (${layers
      .slice(0, i + 1)
      .map((l) => l.name)
      .join(', ')}): see LAYERS in eslint.config.js.`,
  }));

export default defineConfig(
  {
    ignores: [
      'node_modules/',
      'fixtures/',
      'examples/',
      'stub-agents/',
      'reports/',
      'schemas/',
      '.build/',
      'dist/',
      '.scratch/',
      'test-results/',
      'playwright-report/',
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    plugins: { 'import-x': importX, harness: { rules: { 'no-import-cycle': noImportCycle } } },
    settings: {
      // Without these, import-x's rules that read the modules imported (no-cycle, named…) silently skip TypeScript.
      'import-x/extensions': ['.ts', '.js', '.mjs', '.cjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/external-module-folders': ['node_modules', 'node_modules/@types'],
      'import-x/resolver-next': [createNodeResolver()],
    },
    languageOptions: { globals: globals.node },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      'import-x/no-restricted-paths': ['error', { basePath: import.meta.dirname, zones: layerZones() }],
      // Circles of imports. Not import-x/no-cycle: it skips type-only imports, so a circle closed by `import type`
      // passes it; harness/no-import-cycle follows every import.
      'harness/no-import-cycle': 'error',
      'import-x/no-self-import': 'error',
      'import-x/no-duplicates': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      // Style only.
      'no-regex-spaces': 'off',
    },
  },
  {
    // The in-page probe runs in the page, in plain ES2017.
    files: ['harness/probe/page-probe.js'],
    languageOptions: { globals: globals.browser, sourceType: 'script', ecmaVersion: 2017 },
  },
  {
    // Puppeteer scenarios for the anchor tools: Node modules whose page callbacks run in the page.
    files: ['bench/anchors/*.mjs', 'bench/anchors/*.cjs'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
  },
);
