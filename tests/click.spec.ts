// The driver's click on a Playwright page: at once when the element can take it, and otherwise as Playwright's click
// does, waiting until it can. A click that went at once to an element not ready for it would be lost (disabled) or
// land on something else (covered), and the step after it would fail for a reason the UI is not to blame for.
import { expect, test } from '@playwright/test';
import { playwrightActions } from '../harness/driver/common.ts';

/** A page whose buttons record the clicks they get: where, and whether the browser's input made them. */
const PAGE = `<!doctype html><body style="margin:0">
<button id="ready" style="position:absolute;left:100px;top:50px;width:120px;height:40px">ready</button>
<button id="later" disabled style="position:absolute;left:100px;top:120px;width:120px;height:40px">later</button>
<button id="covered" style="position:absolute;left:100px;top:190px;width:120px;height:40px">covered</button>
<div id="cover" style="position:absolute;left:0;top:180px;width:400px;height:60px;background:#0003"></div>
<div style="height:3000px"></div>
<button id="far">far</button>
<script>
  window.clicks = [];
  document.addEventListener('click', (e) => clicks.push({ id: e.target.id, trusted: e.isTrusted, x: e.clientX, y: e.clientY }));
  window.later = (f, ms) => setTimeout(f, ms);
</script>`;

test.beforeEach(async ({ page }) => {
  await page.setContent(PAGE);
});

const clicks = (page: import('@playwright/test').Page) =>
  page.evaluate(
    () => (window as unknown as { clicks: { id: string; trusted: boolean; x: number; y: number }[] }).clicks,
  );

test('a visible, enabled element is clicked with the mouse at its centre', async ({ page }) => {
  await playwrightActions(page).click('#ready');
  expect(await clicks(page)).toEqual([{ id: 'ready', trusted: true, x: 160, y: 70 }]);
});

test('a disabled element is clicked once it is enabled, not before', async ({ page }) => {
  await page.evaluate(() => setTimeout(() => document.querySelector('#later')!.removeAttribute('disabled'), 300));
  await playwrightActions(page).click('#later');
  expect((await clicks(page)).map((c) => c.id)).toEqual(['later']);
});

test('a covered element is clicked once uncovered: the cover never gets the click', async ({ page }) => {
  await page.evaluate(() => setTimeout(() => document.querySelector('#cover')!.remove(), 300));
  await playwrightActions(page).click('#covered');
  expect((await clicks(page)).map((c) => c.id)).toEqual(['covered']);
});

test('an element out of view is scrolled to and clicked', async ({ page }) => {
  await playwrightActions(page).click('#far');
  expect(await clicks(page)).toMatchObject([{ id: 'far', trusted: true }]);
});

test('an element that appears later is waited for', async ({ page }) => {
  await page.evaluate(() =>
    setTimeout(
      () =>
        document.body.insertAdjacentHTML(
          'afterbegin',
          '<button id="new" style="position:absolute;left:300px;top:50px">new</button>',
        ),
      300,
    ),
  );
  await playwrightActions(page).click('#new');
  expect(await clicks(page)).toMatchObject([{ id: 'new', trusted: true }]);
});

test("Playwright's own selectors still work", async ({ page }) => {
  await playwrightActions(page).click('role=button[name="ready"]');
  expect(await clicks(page)).toMatchObject([{ id: 'ready', trusted: true }]);
});
