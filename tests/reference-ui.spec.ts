// The healthy reference UI must be healthy under quick hands too: the detection suite trusts it not to leak.
import { test, expect } from '../harness/playwright/index.ts';

const long = [{ tokens: { count: 400, rate: 40 } }];

test('a return whose stream status comes back after the user left again does not open that stream', async ({
  sse,
  page,
}) => {
  await sse.open({ poll: 1000, reconnectMs: 300 });
  const a = await sse.newChat();
  await sse.send('Tell me a long story', long);
  const b = await sse.newChat();
  await sse.send('Another one', long);

  // Coming back to a, the UI asks whether a's answer still streams before reattaching; that reply is held back
  // until the user has gone to b again.
  let asked = false;
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let answered = false;
  await page.route('**/api/chat/stream/status**', async (route) => {
    asked = true;
    await held;
    await route.continue();
    answered = true;
  });
  await sse.switchTo(a);
  await expect.poll(() => asked, { message: "a's return to ask for its stream status" }).toBe(true);
  // From here on no stream of a may open: its status reply is held until the user has left it again.
  const since = sse.backend.ledger.sse.length;
  await sse.switchTo(b);
  release();
  await expect.poll(() => answered, { message: 'the held status reply to be sent' }).toBe(true);
  // The page's next poll of the session list comes after it has read that reply.
  await page.waitForRequest(/\/api\/sessions(\?|$)/, { timeout: 5_000 });

  expect(
    sse.backend.runFor(a)?.active,
    "a's answer is still streaming at the backend (the UI had a stream to open)",
  ).toBe(true);
  // b's stream is back (on a loaded machine it may take a moment longer than the poll), and it is the only one.
  await expect.poll(() => sse.backend.ledger.openChatStreams().map((r) => r.session), { timeout: 10_000 }).toEqual([b]);
  expect(sse.backend.ledger.sse.slice(since).filter((r) => r.session === a)).toEqual([]);
  await expect(sse.streams).toHaveNoLeaks();
});
