// Your own streaming checks, written as Playwright tests with the harness's fixture and matchers.
import { test, expect } from 'sse-harness/playwright';

const story = [{ reasoning: 'Planning the story' }, { tokens: { count: 300, rate: 40 } }];

test('switching chats closes the stream left behind', async ({ sse }) => {
  await sse.open();
  await sse.newChat();
  await sse.send('Tell me a long story', story);
  await sse.newChat();
  await sse.send('And another', story);
  await expect(sse.streams).toHaveNoLeaks();
});

test('returning to a streaming chat reattaches and keeps rendering', async ({ sse }) => {
  await sse.open();
  const first = await sse.newChat();
  await sse.send('Tell me a long story', story);
  await sse.newChat();
  await sse.switchTo(first);
  await expect(sse.streams).toReattachWithin(3_000);
});

test('a hidden tab does not poll', async ({ sse }) => {
  await sse.open({ poll: 500 });
  await sse.background();
  const hiddenAt = sse.timeline.now();
  await sse.page.waitForTimeout(3_000); // the user is away for 3 s: this is the scenario, not a synchronisation wait
  const polled = sse.timeline.of('request').filter((r) => r.t > hiddenAt + 300 && r.path.startsWith('/api/sessions'));
  await sse.foreground();
  expect(polled).toHaveLength(0);
});
