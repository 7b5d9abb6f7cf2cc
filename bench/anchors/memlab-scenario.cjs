// memlab scenario (`memlab run --scenario`): switch-return's switch. Setup opens two streaming chats; the action
// switches to the first, back switches to the second; two extra rounds make switch-return's three.
// The page to load comes from the environment: the bench serves it on a free port for each run.
const chats = () => import('./switch-chats.mjs');

module.exports = {
  url: () => process.env.SSE_HARNESS_ANCHOR_URL,
  setup: async (page) => (await chats()).openTwoChats(page),
  action: async (page) => (await chats()).switchTo(page, 'a'),
  back: async (page) => (await chats()).switchTo(page, 'b'),
  repeat: () => 2,
  // memlab's own load check waits for no network connection for 500 ms, which a page holding SSE streams never has.
  isPageLoaded: async (page) => (await chats()).isReady(page),
};
