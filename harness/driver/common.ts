// What every driver shares: the page actions Playwright performs the same way for every browser, and the page
// lifecycle emulated through the in-page probe where a driver cannot control it.
import { createRequire } from 'node:module';
import type { Page } from 'playwright';
import { probeScripts } from '../probe/page-probe-client.ts';
import { PageUnresponsiveError, type BrowserPage, type LifecycleMode } from './types.ts';

/** Playwright, loaded on first use (≈ 1 s): `--help`, `validate`, `schema` and bad input answer without it. */
const require = createRequire(import.meta.url);
export const playwright = (): typeof import('playwright') => require('playwright');

/** Actions wait this long for their element before the step fails. */
export const ACTION_TIMEOUT_MS = 10_000;
/** A page script not answered by then means a blocked main thread (the harness's scripts take milliseconds). */
export const SCRIPT_DEADLINE_MS = 5_000;

/** Whether the promise settles (either way) within ms; it is left to run on when it does not. */
export async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)));
  try {
    return await Promise.race([
      p.then(
        () => true,
        () => true,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A page script: finds a CSS selector's element and says where a click on it would land, in the page's CSS pixels,
 * when the click can go at once: the element is there, has a box, is visible and enabled, and is what the page
 * would hit at its centre (scrolled into view first). Null when any of that fails or the selector is not plain CSS.
 * (Kept as text: a compiled function may call helpers the page does not have.)
 */
const CLICK_POINT = `(selector) => {
  let el;
  try { el = document.querySelector(selector); } catch { return null; }
  if (!el || !el.isConnected) return null;
  if (el.matches(':disabled') || el.closest('[aria-disabled="true"], [inert]')) return null;
  const style = getComputedStyle(el);
  if (style.visibility !== 'visible' || style.pointerEvents === 'none') return null;
  const centre = () => { const r = el.getBoundingClientRect(); return r.width < 1 || r.height < 1 ? null : { x: r.left + r.width / 2, y: r.top + r.height / 2 }; };
  const inView = (p) => p && p.x >= 0 && p.y >= 0 && p.x < innerWidth && p.y < innerHeight;
  let p = centre();
  if (!p) return null;
  if (!inView(p)) { el.scrollIntoView({ block: 'center', inline: 'center' }); p = centre(); if (!inView(p)) return null; }
  const hit = document.elementFromPoint(p.x, p.y);
  return hit && (hit === el || el.contains(hit)) ? p : null;
}`;

/**
 * A page script: finds a CSS selector's text field (an input, a textarea or a contenteditable element) and, when it
 * is there, visible, enabled and editable, focuses it with all its text selected, so what is typed next replaces
 * it. Returns the element, or null while it is not ready (or the selector is not plain CSS).
 */
export const FOCUS_FIELD = `(selector) => {
  let el;
  try { el = document.querySelector(selector); } catch { return null; }
  if (!el || !el.isConnected || !el.getClientRects().length || getComputedStyle(el).visibility !== 'visible') return null;
  const editable = el.isContentEditable;
  if (!editable && (!el.matches('input, textarea') || el.disabled || el.readOnly)) return null;
  if (el.closest('[inert]')) return null;
  el.focus();
  if (document.activeElement !== el) return null;
  if (editable) { const r = document.createRange(); r.selectNodeContents(el); const s = getSelection(); s.removeAllRanges(); s.addRange(r); }
  else el.select();
  return el;
}`;

/** The text a field holds: its value, or a contenteditable element's text. */
export const FIELD_TEXT = `(el) => (el.isContentEditable ? el.textContent : el.value)`;

/** The actions of the driver interface on a Playwright page (Chromium over CDP, Playwright's WebKit, a Playwright test's page). */
export function playwrightActions(
  page: Page,
  state: { hung: boolean } = { hung: false },
): Pick<BrowserPage, 'goto' | 'evaluate' | 'click' | 'type' | 'press' | 'reload'> {
  // Playwright's evaluate waits as long as the page is busy; a blocked page would hold the run for as long as it is
  // blocked (the reference UI's flood-stall blocks it for most of a run). Past the deadline the page counts as
  // unresponsive, as on WebDriver.
  // Scripts waiting on the page when it is found blocked all fail at once: none of them will be answered sooner.
  const pending = new Set<(e: PageUnresponsiveError) => void>();
  const evaluate = async <T>(expression: string): Promise<T> => {
    const sent = Date.now();
    if (state.hung)
      throw new PageUnresponsiveError('sse-harness: the page stopped answering earlier (script not sent)', sent, 0);
    let timer: NodeJS.Timeout | undefined;
    let giveUp!: (e: PageUnresponsiveError) => void;
    const deadline = new Promise<never>((_, fail) => {
      giveUp = fail;
      timer = setTimeout(() => {
        state.hung = true;
        fail(
          new PageUnresponsiveError(
            `sse-harness: the page did not answer a script for ${((Date.now() - sent) / 1000).toFixed(1)} s: its main thread is blocked`,
            sent,
            Date.now() - sent,
          ),
        );
        for (const other of pending)
          other(new PageUnresponsiveError('sse-harness: the page stopped answering (script abandoned)', Date.now(), 0));
      }, SCRIPT_DEADLINE_MS);
    });
    pending.add(giveUp);
    try {
      return await Promise.race([page.evaluate(expression) as Promise<T>, deadline]);
    } finally {
      clearTimeout(timer);
      pending.delete(giveUp);
    }
  };
  return {
    goto: async (url) => void (await page.goto(url, { waitUntil: 'domcontentloaded' })),
    evaluate,
    // Playwright's click first checks over two animation frames that the element stands still (most of a switch
    // step's time in headless Chromium). An element found, visible, enabled and hit at its centre in
    // one script is clicked there with the mouse at once, as a WebDriver click does; any other goes to Playwright's
    // click, which waits for it to become clickable.
    click: async (selector) => {
      // Through the deadline-bound evaluate: a blocked page holds no click past it, and Playwright's click then waits
      // out its own timeout as before.
      const at = state.hung
        ? null
        : await evaluate<{ x: number; y: number } | null>(`(${CLICK_POINT})(${JSON.stringify(selector)})`).catch(
            () => null,
          );
      if (at) await page.mouse.click(at.x, at.y);
      else await page.click(selector, { timeout: ACTION_TIMEOUT_MS });
    },
    // Playwright's fill and press load its selector engine into each new document first (≈ 0.1 s for a run's first
    // send). A field ready at once is focused and selected by one script and filled as fill does (one insertion,
    // with its input events); a key goes to the field when it has the focus. Anything else goes to fill and press.
    type: async (selector, text) => {
      const sel = JSON.stringify(selector);
      const ready =
        text !== '' && !state.hung && (await evaluate<boolean>(`!!(${FOCUS_FIELD})(${sel})`).catch(() => false));
      if (ready) {
        await page.keyboard.insertText(text);
        if (
          await evaluate<boolean>(
            `(() => { const el = document.querySelector(${sel}); return !!el && (${FIELD_TEXT})(el) === ${JSON.stringify(text)}; })()`,
          ).catch(() => false)
        )
          return;
      }
      await page.fill(selector, text, { timeout: ACTION_TIMEOUT_MS });
    },
    press: async (selector, key) => {
      const focused =
        !state.hung &&
        (await evaluate<boolean>(
          `(() => { const el = document.querySelector(${JSON.stringify(selector)}); return !!el && document.activeElement === el; })()`,
        ).catch(() => false));
      if (focused) await page.keyboard.press(key);
      else await page.press(selector, key, { timeout: ACTION_TIMEOUT_MS });
    },
    reload: async () => void (await page.reload({ waitUntil: 'domcontentloaded' })),
  };
}

/** A page driven through Playwright: its actions, declared once for every driver class that has them. */
export abstract class PlaywrightDrivenPage {
  readonly goto: BrowserPage['goto'];
  readonly evaluate: BrowserPage['evaluate'];
  readonly click: BrowserPage['click'];
  readonly type: BrowserPage['type'];
  readonly press: BrowserPage['press'];
  readonly reload: BrowserPage['reload'];
  /** Set when a script went unanswered: the page's main thread is blocked. */
  readonly state = { hung: false };
  constructor(page: Page) {
    ({
      goto: this.goto,
      evaluate: this.evaluate,
      click: this.click,
      type: this.type,
      press: this.press,
      reload: this.reload,
    } = playwrightActions(page, this.state));
  }
}

/**
 * Page lifecycle where the driver cannot control it (WebDriver; Playwright's WebKit has no freezing): the in-page
 * probe emulates visibility (document.hidden, visibilitychange) and the report says so.
 */
export function emulatedLifecycle(
  evaluate: (js: string) => Promise<unknown>,
): Pick<BrowserPage, 'hide' | 'show' | 'freeze' | 'unfreeze'> {
  const hide = async (): Promise<LifecycleMode> => {
    await evaluate(probeScripts.setHidden(true));
    return 'emulated';
  };
  return {
    hide,
    show: async () => {
      await evaluate(probeScripts.setHidden(false));
      return 'emulated';
    },
    freeze: hide,
    unfreeze: async () => 'emulated',
  };
}
