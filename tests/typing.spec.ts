// The driver's typing, on a Playwright page and on WebDriver (WebKitGTK): a field ready at once is filled by one
// page script, as Playwright's fill does; one that is not ready yet is waited for. A fill that went into a field not
// ready for it would be lost (disabled), and the send after it would fail for a reason the UI is not to blame for.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, test } from '@playwright/test';
import { launcherFor } from '../harness/driver/index.ts';
import type { BrowserPage } from '../harness/driver/types.ts';

/** A page whose fields record what they get: input events (their type and whether the browser made them) and keys. */
const PAGE = `<!doctype html><body>
<input id="name" value="old text">
<textarea id="later" disabled></textarea>
<div id="rich" contenteditable="true">old</div>
<button id="elsewhere">elsewhere</button>
<script>
  window.got = [];
  const log = (e) => got.push(e.type === 'input' ? { id: e.target.id, type: e.type, inputType: e.inputType, trusted: e.isTrusted, enabled: !e.target.disabled } : { id: e.target.id, type: e.type, key: e.key, trusted: e.isTrusted });
  document.addEventListener('input', log);
  document.addEventListener('keydown', (e) => e.key === 'Enter' && log(e));
</script>`;

type Actions = Pick<BrowserPage, 'type' | 'press' | 'evaluate'>;
type Got = { id: string; type: string; inputType?: string; key?: string; trusted: boolean; enabled?: boolean }[];

let server: Server;
let url = '';
test.beforeAll(async () => {
  server = createServer((_, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
test.afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** Where the page is not ready yet: a later change the test schedules in it. */
const later = (p: Actions, js: string) => p.evaluate(`(setTimeout(() => { ${js} }, 300), null)`);
const got = (p: Actions) => p.evaluate<Got>('window.got');
test.describe.configure({ mode: 'serial' });
const value = (p: Actions, selector: string) =>
  p.evaluate<string>(
    `(() => { const el = document.querySelector(${JSON.stringify(selector)}); return el.isContentEditable ? el.textContent : el.value; })()`,
  );

// Each driver as the harness runs it: its own browser, the page loaded afresh for each test.
for (const browser of ['chromium', 'webkit'] as const) {
  test.describe(`${browser} driver`, () => {
    let page: BrowserPage | undefined;
    test.beforeAll(async () => {
      const launcher = launcherFor(browser);
      if (launcher.missing() === null) page = await launcher.launch();
    });
    test.afterAll(async () => page?.close());
    const open = async (): Promise<Actions> => {
      test.skip(!page, `${browser} is not installed here (see: npx sse-harness doctor)`);
      await page!.goto(url);
      return page!;
    };

    test("type replaces the field's text in one insertion, with its input event", async () => {
      const p = await open();
      await p.type('#name', 'Tell me a long story');
      expect(await value(p, '#name')).toBe('Tell me a long story');
      expect(await got(p)).toEqual([
        { id: 'name', type: 'input', inputType: 'insertText', trusted: true, enabled: true },
      ]);
    });

    test('a disabled field is typed into once it is enabled, not before', async () => {
      const p = await open();
      await later(p, `document.querySelector('#later').disabled = false`);
      await p.type('#later', 'hello');
      expect(await value(p, '#later')).toBe('hello');
      expect(await got(p)).toMatchObject([{ id: 'later', enabled: true }]);
    });

    test('a field that appears later is waited for', async () => {
      const p = await open();
      await later(p, `document.body.insertAdjacentHTML('afterbegin', '<input id="new">')`);
      await p.type('#new', 'hello');
      expect(await value(p, '#new')).toBe('hello');
    });

    test('Enter after typing reaches the field, as a key the browser made', async () => {
      const p = await open();
      await p.type('#name', 'send this');
      await p.press('#name', 'Enter');
      expect((await got(p)).filter((g) => g.type === 'keydown')).toEqual([
        { id: 'name', type: 'keydown', key: 'Enter', trusted: true },
      ]);
    });

    test('Enter reaches the field when the focus went elsewhere after typing', async () => {
      const p = await open();
      await p.type('#name', 'send this');
      await p.evaluate(`(document.querySelector('#elsewhere').focus(), null)`);
      await p.press('#name', 'Enter');
      expect((await got(p)).filter((g) => g.type === 'keydown').map((g) => g.id)).toEqual(['name']);
    });

    test('a contenteditable field is filled too', async () => {
      const p = await open();
      await p.type('#rich', 'new words');
      expect(await value(p, '#rich')).toBe('new words');
    });
  });
}
