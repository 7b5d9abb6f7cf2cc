// switch-return's switch for tools that drive Chromium through Puppeteer (fuite, memlab): two streaming chats in the
// reference UI, and the user switching between them, each switch waiting until the chat on screen streams again.
// The selectors and page expressions are the reference target's (harness/targets/reference.ts).

const STEP_TIMEOUT_MS = 15_000;
const POLL_MS = 50;
/** switch-return: waitFor { tokens: 10 } after each send, { moreTokens: 5 } after each switch. */
const FIRST_TOKENS = 10;
const MORE_TOKENS = 5;

/** The two chats of each page, by name: a page opens its own pair in setup. */
const chatsOf = new WeakMap();

const wait = (page, fn, ...args) => page.waitForFunction(fn, { timeout: STEP_TIMEOUT_MS, polling: POLL_MS }, ...args);
/**
 * A real click on the element the selector finds. The sidebar is re-rendered as answers stream, so the element found
 * can be replaced before the click lands: then it is found again. (Puppeteer's locators retry too, but the handles
 * they leave behind keep the replaced elements alive, which memlab then reports as the page's leak.)
 */
async function click(page, selector) {
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  for (;;) {
    try {
      return await page.click(selector);
    } catch (e) {
      if (Date.now() > deadline || !/detached|not clickable|No element found/i.test(String(e && e.message))) throw e;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }
}

/**
 * Answer tokens rendered in the chat on screen (the mock's tokens are one word each), or whether there are at least
 * `atLeast`. The count to reach is an argument, never part of the source: Puppeteer keeps one page-side function per
 * distinct source, which a tool would then count as the page's own growth.
 */
const renderedTokens = (atLeast) => {
  const m = [...document.querySelectorAll('#messages .msg[data-role="assistant"]')].pop();
  const b = m && m.querySelector('.body');
  const n = b ? b.textContent.split(/\s+/).filter(Boolean).length : 0;
  return atLeast === undefined ? n : n >= atLeast;
};
const viewedChat = () => (document.querySelector('#messages') || { dataset: {} }).dataset.sid || null;

export async function isReady(page) {
  return page.evaluate(() => !!document.body && document.body.dataset.ready === '1');
}

export async function untilReady(page) {
  await wait(page, () => !!document.body && document.body.dataset.ready === '1');
}

async function newChat(page) {
  const before = await page.evaluate(viewedChat);
  await click(page, '#newChat');
  await wait(
    page,
    (prev) => {
      const sid = (document.querySelector('#messages') || { dataset: {} }).dataset.sid || null;
      return sid !== null && sid !== prev;
    },
    before,
  );
  return page.evaluate(viewedChat);
}

async function send(page, text) {
  await page.type('#composer', text);
  await page.keyboard.press('Enter');
  await wait(page, renderedTokens, FIRST_TOKENS);
}

/** newChat a, send, newChat b, send: both answers streaming, b on screen. */
export async function openTwoChats(page) {
  await untilReady(page);
  const a = await newChat(page);
  await send(page, 'Tell me a long story');
  const b = await newChat(page);
  await send(page, 'Another long story');
  chatsOf.set(page, { a, b });
}

/** Clicks the chat in the sidebar and waits until it is on screen and MORE_TOKENS more tokens have rendered there. */
export async function switchTo(page, name) {
  const sid = chatsOf.get(page)?.[name];
  if (!sid) throw new Error(`switch-chats: chat ${name} was not opened on this page (setup did not run)`);
  await click(page, `#sessions .session[data-sid="${sid}"]`);
  await wait(
    page,
    (want) => ((document.querySelector('#messages') || { dataset: {} }).dataset.sid || null) === want,
    sid,
  );
  const shown = await page.evaluate(renderedTokens);
  await wait(page, renderedTokens, shown + MORE_TOKENS);
}
