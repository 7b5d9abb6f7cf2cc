// The ai-sdk target: a small chat app of the harness's own (fixtures/ai-sdk-app) on the real @ai-sdk/react useChat,
// installed and bundled at run time for the version asked (ai-sdk-build.ts), against the mock playing the SDK's UI
// message stream (mock/profiles/ai-sdk.ts). Several chats, a list to switch, resume on mount, stop. docs/ai-sdk.md.
import { oneLine } from '../printable.ts';
import { aiSdkProfile } from '../mock/profiles/ai-sdk.ts';
import { DEFAULT_SDK_VERSION, bundleApp, installSdk, installedVersion, sdkCacheRoot } from './ai-sdk-build.ts';
import type { Target, TargetOptions } from './types.ts';

export { DEFAULT_SDK_VERSION };

/** Makes the target for one SDK version, installing and bundling first when the cache does not have them yet. */
export function aiSdkTarget(opts: TargetOptions = {}, root = sdkCacheRoot()): Target {
  const wanted = opts.sdkVersion ?? DEFAULT_SDK_VERSION;
  const dir = installSdk(wanted, root, (s) => process.stderr.write(`${oneLine(s, 300)}\n`));
  const www = `${bundleApp(dir)}/`;
  const ai = installedVersion(dir, 'ai');
  return {
    name: 'ai-sdk',
    version: `ai-sdk-app@1 (@ai-sdk/react ${installedVersion(dir, '@ai-sdk/react')}, ai ${ai})`,
    regressions: [],
    // DefaultChatTransport reads each answer as a fetch response's body: the SDK's only HTTP transport for useChat.
    transports: ['fetch-stream'],
    backend: () => ({ root: www, profile: aiSdkProfile }),
    backendModel: {
      resume: 'replay',
      why: "the AI SDK's resumable-stream recipe: a resume replays the generation from its first chunk, then follows it",
    },
    entry: () => '/',
    readyExpression: `document.body && document.body.dataset.ready === '1'`,
    // The chat view carries its chat id and is mounted with that chat's messages: both change in one render.
    viewedSessionExpression: `(() => { const m = document.querySelector('#messages'); return m ? m.dataset.chatId || null : null; })()`,
    answerTextExpression: `(() => { const m = [...document.querySelectorAll('#messages .msg[data-role="assistant"]')].pop(); const b = m && m.querySelector('.body'); return b ? b.textContent : null; })()`,
    async newChat(page) {
      await page.click('#newChat');
    },
    async send(page, text) {
      await page.type('#composer', text);
      await page.press('#composer', 'Enter');
    },
    // The hook's stop(): it aborts the request the chat is reading; the generation goes on at the server.
    async stop(page) {
      await page.click('#stop');
    },
    async switchTo(page, chatId) {
      await page.click(`#chats .chat[data-chat-id="${chatId}"]`);
    },
  };
}
