// The `sse` fixture drives a UI of the user's own: sseTarget names a target module as --target does, here the
// custom-target example's target (Pocket chat) given by a path relative to the Playwright config's folder.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { test, expect } from '../harness/playwright/index.ts';
import { ROOT } from './support/cli.ts';

const EXAMPLE = join(ROOT, 'examples', 'custom-target');

test.use({
  // The example's target.ts imports 'sse-harness', which resolves where the package is installed: this copy imports
  // the harness of this checkout instead, and is otherwise the example's own.
  // eslint-disable-next-line no-empty-pattern -- Playwright reads a fixture's dependencies from this pattern
  sseTarget: async ({}, use, testInfo) => {
    const file = testInfo.outputPath('pocket-target.ts');
    mkdirSync(dirname(file), { recursive: true });
    const source = readFileSync(join(EXAMPLE, 'target.ts'), 'utf8');
    writeFileSync(file, source.replace("from 'sse-harness'", `from '${join(ROOT, 'harness', 'index.ts')}'`));
    await use(relative(ROOT, file));
  },
  sseAppDir: relative(ROOT, join(EXAMPLE, 'ui')),
});

test('sseTarget takes a target module path: the fixture serves and drives that UI', async ({ sse }) => {
  await sse.open();
  const a = await sse.newChat();
  await sse.send('Tell me a story', [{ tokens: { count: 120, rate: 40 } }]);
  await sse.newChat();
  await expect(sse.streams).toHaveNoLeaks();
  await sse.switchTo(a);
  await expect(sse.streams).toReattachWithin(3_000);
  const run = sse.record();
  expect([run.target, run.targetVersion]).toEqual(['pocket-chat', 'pocket-chat@1']);
  expect(Object.keys(run.sessions)).toEqual(['chat1', 'chat2']);
});
