// A target given as a module path (--target ./my-target.ts): loaded, checked field by field, and every failure one
// sentence naming the file and the fix. No browser: the commands here stop before one would start.
import { expect, test } from '@playwright/test';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTargetModule } from '../harness/targets/module.ts';
import { resolveTarget, targetFor, useTarget } from '../harness/targets/index.ts';
import { ROOT, runCli } from './support/cli.ts';

let dir: string;
test.beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sse-harness-target-module-'));
});
test.afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FIELDS = `name: 'mine', version: '1', regressions: [], backend: () => ({ root: '/nowhere/' }), entry: () => '/',
  readyExpression: 'true', viewedSessionExpression: 'null', answerTextExpression: 'null',
  async newChat() {}, async send() {}, async switchTo() {}`;

/** Writes a module into the test's folder; returns its path. */
function mod(name: string, body: string): string {
  const file = join(dir, name);
  writeFileSync(file, body);
  return file;
}

test('a transport is honoured or refused in one sentence naming the transports the target has', async () => {
  const none = await useTarget(mod('transport-none.mjs', `export default { ${FIELDS} };`));
  expect(() => targetFor(none, { transport: 'eventsource' })).toThrow(
    /^sse-harness: --transport eventsource: the mine target cannot stream over that: it does not say which transports it has \(a target lists them in transports\)\. Give one of those, or leave --transport out\.$/,
  );
  expect(targetFor(none, {}).transport).toBeUndefined();
  // A target asked for its default honours it without reading the option; for another it must say it was made so.
  const ws = await useTarget(mod('transport-ws.mjs', `export default { ${FIELDS}, transports: ['websocket'] };`));
  expect(targetFor(ws, { transport: 'websocket' }).name).toBe('mine');
  expect(() => targetFor(ws, { transport: 'fetch-stream' })).toThrow(/it streams over websocket\./);
  const factory = await useTarget(
    mod(
      'transport-factory.mjs',
      `export default (opts) => ({ ${FIELDS}, transports: ['eventsource', 'fetch-stream'], transport: opts.transport });`,
    ),
  );
  expect(targetFor(factory, { transport: 'fetch-stream' }).transport).toBe('fetch-stream');
  expect(() => targetFor(factory, { transport: 'xhr-stream' })).toThrow(
    /it streams over eventsource or fetch-stream\./,
  );
  // The reference UI: its query carries the transport, after any the scenario gives, so the report names what ran.
  const ref = targetFor('reference', { transport: 'fetch-stream' });
  expect(ref.transport).toBe('fetch-stream');
  expect(ref.entry({ regress: ['leak-on-switch'], ui: {}, query: { transport: 'eventsource' } })).toBe(
    '/?regress=leak-on-switch&transport=fetch-stream',
  );
  expect(targetFor('reference', {}).entry({ regress: [], ui: {} })).toBe('/');
  expect(() => targetFor('reference', { transport: 'websocket' })).toThrow(
    /it streams over eventsource or fetch-stream\./,
  );
});

test('a module whose default export is a target loads as that target, by path', async () => {
  const file = mod('good.mjs', `export default { ${FIELDS} };`);
  const loaded = await loadTargetModule(file);
  expect(loaded.file).toBe(file);
  expect(loaded.make({}).name).toBe('mine');
  // Registered under its path: every command (a sweep builds it per ref) then finds it by that name.
  const name = await useTarget(file);
  expect(targetFor(name).name).toBe('mine');
});

test('a factory gets the command options, the app dir made absolute, and what it returns is checked', async () => {
  const file = mod('factory.mjs', `export default (o) => ({ ${FIELDS}, version: o.appDir });`);
  const loaded = await loadTargetModule(file, '--target', dir);
  expect(loaded.make({ appDir: 'ui' }).version).toBe(join(dir, 'ui'));
  const bad = await loadTargetModule(mod('factory-bad.mjs', `export default () => ({ ${FIELDS}, send: 'Enter' });`));
  expect(() => bad.make({})).toThrow(
    /factory-bad\.mjs: its factory returned not a target: send: expected a function\./,
  );
  const throws = await loadTargetModule(
    mod('factory-throws.mjs', `export default () => { throw new Error('no ui here\\nat line 2'); };`),
  );
  expect(() => throws.make({})).toThrow(/factory-throws\.mjs: its factory threw: no ui here\.$/);
});

test('each way a module is not a target is one sentence naming the file and the fix', async () => {
  const cases: [string, string, RegExp][] = [
    [
      'no-default.mjs',
      'export const target = 1;',
      /no-default\.mjs: no default export\. Write `export default defineTarget\(\{ … \}\)`/,
    ],
    [
      'throws.mjs',
      'throw new Error("boom\\nsecond line");',
      /throws\.mjs: it threw while loading: boom\. Fix the module so that it loads\.$/,
    ],
    ['number.mjs', 'export default 42;', /number\.mjs: its default export is number, not a target\./],
    [
      'no-switch.mjs',
      `export default { ${FIELDS.replace('async switchTo() {}', '')} };`,
      /no-switch\.mjs: its default export is not a target: it has no switchTo\./,
    ],
    [
      'bad-name.mjs',
      `export default { ${FIELDS}, name: 5 };`,
      /bad-name\.mjs: its default export is not a target: name: expected string, received number\./,
    ],
    [
      'bad-model.mjs',
      `export default { ${FIELDS}, backendModel: { resume: 'sometimes', why: '' } };`,
      /bad-model\.mjs: its default export is not a target: backendModel\.resume: /,
    ],
  ];
  for (const [name, body, message] of cases) {
    const e = await loadTargetModule(mod(name, body)).catch((x: Error) => x);
    expect(e, name).toBeInstanceOf(Error);
    expect((e as Error).message, name).toMatch(message);
    expect((e as Error).message, name).not.toContain('\n');
  }
  await expect(loadTargetModule(join(dir, 'absent.ts'))).rejects.toThrow(
    /absent\.ts: no such file\. Give the path of a target module/,
  );
  mkdirSync(join(dir, 'folder.ts'), { recursive: true });
  await expect(loadTargetModule(join(dir, 'folder.ts'))).rejects.toThrow(/folder\.ts: not a file\./);
});

test('the command line loads a TypeScript target module for validate, run and sweep, and refuses a bad one', async () => {
  const good = mod(
    'good-target.ts',
    `import type { Target } from '${join(ROOT, 'harness', 'index.ts')}';\nconst t: Target = { ${FIELDS} };\nexport default t;\n`,
  );
  const checked = await runCli(['validate', 'scenarios/switch-return.yaml', '--target', good]);
  expect(checked.code, checked.explain()).toBe(0);
  const broken = mod('broken-target.ts', 'export default {');
  for (const args of [
    ['validate', 'scenarios/switch-return.yaml'],
    ['run', 'scenarios/switch-return.yaml'],
    ['sweep', 'scenarios/switch-return.yaml', '--repo', '.', '--refs', 'HEAD', '--dry-run'],
  ]) {
    const r = await runCli([...args, '--target', broken]);
    expect(r.code, `${args[0]}: ${r.explain()}`).toBe(2);
    expect(r.stderr.trim(), args[0]).toMatch(
      /^sse-harness: --target \S*broken-target\.ts: it threw while loading: Transform failed with 1 error: \S+broken-target\.ts:\d+:\d+: ERROR: .*\. Fix the module so that it loads\.$/,
    );
  }
  const swept = await runCli([
    'sweep',
    'scenarios/switch-return.yaml',
    '--repo',
    '.',
    '--refs',
    'HEAD',
    '--dry-run',
    '--target',
    good,
  ]);
  expect(swept.code, swept.explain()).toBe(0);
});

test('a config entry names a target module, relative to the config, and validate checks it', async () => {
  const project = join(dir, 'project');
  mkdirSync(project, { recursive: true });
  writeFileSync(join(project, 'mine.mjs'), `export default { ${FIELDS} };`);
  writeFileSync(join(project, 'broken.mjs'), `export default { ${FIELDS}, readyExpression: '' };`);
  const scenario = join(ROOT, 'scenarios', 'switch-return.yaml');
  writeFileSync(join(project, 'sse-harness.config.mjs'), `export default { target: './mine.mjs' };\n`);
  const good = await runCli(['validate', scenario], {}, project);
  expect(good.code, good.explain()).toBe(0);
  writeFileSync(join(project, 'sse-harness.config.mjs'), `export default { target: './broken.mjs' };\n`);
  const bad = await runCli(['validate', scenario], {}, project);
  expect(bad.code, bad.explain()).toBe(2);
  expect(bad.stderr).toContain(
    `sse-harness: config target ${join(project, 'broken.mjs')}: its default export is not a target: readyExpression: `,
  );
});

test('stress takes a target; one without switchable regressions is one line and exit 2, before any browser', async () => {
  const none = mod('no-regressions.mjs', `export default { ${FIELDS}, name: 'mine\\u001b[31m' };`);
  const why =
    /^sse-harness stress: the mine\S* target has no switchable regressions; stress needs a target with switchable regressions \(-t reference, or a target module that lists its regressions\)\.$/;
  // "-b nosuch" would be refused too: the target is judged first, before any browser is looked for.
  const r = await runCli(['stress', '--target', none, '-b', 'nosuch']);
  expect(r.code, r.explain()).toBe(2);
  expect(r.stderr.trim()).toMatch(why);
  expect(r.stderr).not.toContain('\u001b');
  // The same from a config's target.
  const project = join(dir, 'stress-project');
  mkdirSync(project, { recursive: true });
  writeFileSync(join(project, 'sse-harness.config.mjs'), `export default { target: ${JSON.stringify(none)} };\n`);
  const configured = await runCli(['stress', '-b', 'nosuch'], {}, project);
  expect(configured.code, configured.explain()).toBe(2);
  expect(configured.stderr.trim().split('\n').pop()).toMatch(why);
  // A built-in target takes its --app-dir, checked the same way as run's.
  const hermes = await runCli(['stress', '-t', 'hermes-webui', '-b', 'nosuch']);
  expect(hermes.code, hermes.explain()).toBe(2);
  expect(hermes.stderr.trim()).toMatch(
    /^sse-harness: --target hermes-webui needs --app-dir <path to a hermes-webui checkout>/,
  );
});

test('code gives a target by name, by a path relative to its folder, or as a value checked as a module is', async () => {
  mod('relative.mjs', `export default { ${FIELDS}, name: 'relative' };`);
  expect((await resolveTarget('./relative.mjs', {}, 'sseTarget', dir)).name).toBe('relative');
  expect((await resolveTarget('reference', {}, 'sseTarget')).name).toBe('reference');
  await expect(resolveTarget('./relative.mjs', {}, 'sseTarget', join(dir, 'elsewhere'))).rejects.toThrow(
    /^sse-harness: sseTarget \.\/relative\.mjs: no such file\./,
  );
  const value = (await loadTargetModule(mod('value.mjs', `export default { ${FIELDS} };`))).make({});
  expect(await resolveTarget(value, {}, 'sseTarget')).toBe(value);
  await expect(resolveTarget({ ...value, switchTo: undefined } as never, {}, 'sseTarget')).rejects.toThrow(
    /^sse-harness: sseTarget: the value given is not a target: it has no switchTo\. /,
  );
});
