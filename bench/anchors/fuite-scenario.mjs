// fuite scenario (`fuite --scenario`): switch-return's switch. Setup opens two streaming chats on each fresh page;
// one iteration switches to the first and back to the second, as one round of switch-return's repeat.
import { openTwoChats, switchTo, untilReady } from './switch-chats.mjs';

export async function setup(page) {
  await openTwoChats(page);
}

export async function iteration(page) {
  await switchTo(page, 'a');
  await switchTo(page, 'b');
}

// fuite's own idle wait includes network idle, which a page holding SSE streams never reaches (it would wait out its
// 30-second timeout at every step): idle here is the UI ready and the main thread idle.
export async function waitForIdle(page) {
  await untilReady(page);
  await page.evaluate(() => new Promise((done) => requestIdleCallback(() => done())));
}
