// The harness's target for Pocket chat (ui/): where its files are, how a user acts in it, how to read what it shows.
// A factory, because the UI is read from the checkout given with --app-dir.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defineTarget } from 'sse-harness';

export default defineTarget(({ appDir }) => {
  if (!appDir || !existsSync(join(appDir, 'index.html')))
    throw new Error('give --app-dir, the folder with index.html and pocket.js');
  return {
    name: 'pocket-chat',
    version: 'pocket-chat@1',
    // Real UIs carry their own bugs: nothing to switch on.
    regressions: [],
    backend: () => ({ root: `${appDir}/` }),
    entry: () => '/',
    readyExpression: `document.body.dataset.ready === 'yes'`,
    viewedSessionExpression: `document.querySelector('#conversation').dataset.session || null`,
    answerTextExpression: `(() => { const a = [...document.querySelectorAll('#log .assistant')].pop(); return a ? a.textContent : null; })()`,
    async newChat(page) {
      await page.click('#start');
    },
    async send(page, text) {
      await page.type('#question', text);
      await page.press('#question', 'Enter');
    },
    async switchTo(page, sessionId) {
      await page.click(`#threads li[data-session="${sessionId}"]`);
    },
  };
});
