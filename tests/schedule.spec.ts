// Which run a free worker takes next: longest first, stall-budget runs one at a time, a worker stays with the browser
// it has running, repetitions stay in order. Workers here are simulated: take() and done() in a fixed order.
import { expect, test } from '@playwright/test';
import { JobQueue, stallSensitive } from '../harness/runner/schedule.ts';
import type { Scenario } from '../harness/scenario/schema.ts';

/** A scenario scripted to last `ms` (one wait step); `stall` gives it a stall budget. */
const scenario = (name: string, ms: number, stall = false): Scenario => ({
  name,
  file: `${name}.yaml`,
  streams: {},
  steps: [{ open: {} }, { wait: ms }],
  expect: stall ? { stallBudget: { longestMs: 600 } } : {},
});

const job = (name: string, ms: number, browser: string, stall = false) => ({
  scenario: scenario(name, ms, stall),
  regress: [] as string[],
  expect: 'pass' as const,
  browser,
});

const names = (taken: { job: { scenario: Scenario; browser?: string } } | null) =>
  taken ? `${taken.job.scenario.name}@${taken.job.browser}` : null;

test('the longest run goes first; two workers begin on different browsers', async () => {
  const q = new JobQueue([
    job('short', 1000, 'chromium'),
    job('long', 5000, 'chromium'),
    job('longer', 4500, 'chromium'),
    job('mid', 3000, 'webkit'),
  ]);
  expect(names(await q.take())).toBe('long@chromium');
  // The second worker starts the other browser rather than a second Chromium.
  expect(names(await q.take())).toBe('mid@webkit');
});

test('a worker stays with its browser while that browser has runs left, then takes the longest other', async () => {
  const q = new JobQueue([
    job('a', 9000, 'webkit'),
    job('b', 8000, 'webkit'),
    job('c', 3000, 'chromium'),
    job('d', 2000, 'chromium'),
    job('e', 1000, 'webkit'),
  ]);
  const seen: string[] = [];
  for (let t = await q.take('chromium'); t; t = await q.take(t.job.browser)) {
    seen.push(names(t)!);
    t.done();
  }
  // Without the preference the 9 s and 8 s WebKit runs would come first.
  expect(seen).toEqual(['c@chromium', 'd@chromium', 'a@webkit', 'b@webkit', 'e@webkit']);
});

test('never two stall-budget runs at once, even for the browser a worker prefers', async () => {
  const q = new JobQueue([
    job('flood', 6000, 'chromium', true),
    job('flood', 6000, 'webkit', true),
    job('calm', 2000, 'webkit'),
  ]);
  expect(stallSensitive(q['jobs'][0]!)).toBe(true);
  const first = await q.take('chromium');
  expect(names(first)).toBe('flood@chromium');
  // The other worker prefers WebKit, whose flood must wait: it gets the calm run instead.
  const second = await q.take('webkit');
  expect(names(second)).toBe('calm@webkit');
  second!.done();
  // With only the WebKit flood left, a take waits until the running flood is done.
  let third: Awaited<ReturnType<typeof q.take>> | undefined;
  const waiting = q.take('webkit').then((t) => (third = t));
  await new Promise((r) => setImmediate(r));
  expect(third).toBeUndefined();
  first!.done();
  await waiting;
  expect(names(third!)).toBe('flood@webkit');
});

test('repetitions stay in order: a preferred browser does not pull a run from a later round', async () => {
  const round = [job('x', 5000, 'chromium'), job('y', 1000, 'webkit')];
  const q = new JobQueue([...round, ...round], (i) => Math.floor(i / round.length));
  expect(names(await q.take('webkit'))).toBe('y@webkit');
  // Round 1's WebKit run is waiting, but round 0's Chromium run comes first.
  expect(names(await q.take('webkit'))).toBe('x@chromium');
  expect(names(await q.take('webkit'))).toBe('y@webkit');
  expect(names(await q.take('webkit'))).toBe('x@chromium');
  expect(await q.take('webkit')).toBeNull();
});

test('the browser a worker moves to is named once no run of its own browser is left', async () => {
  const q = new JobQueue([job('a', 3000, 'chromium'), job('b', 2000, 'webkit'), job('c', 1000, 'chromium')]);
  expect(names(await q.take('chromium'))).toBe('a@chromium');
  expect(q.nextBrowserAfter('chromium')).toBeNull();
  expect(names(await q.take('chromium'))).toBe('c@chromium');
  expect(q.nextBrowserAfter('chromium')).toBe('webkit');
  expect(q.nextBrowserAfter('webkit')).toBeNull();
  await q.take('chromium');
  expect(q.nextBrowserAfter('chromium')).toBeNull();
});

test("the next browser is warmed during a worker's last run on its own, not during a run that judges stalls", async () => {
  const q = new JobQueue([job('flood', 6000, 'chromium', true), job('a', 3000, 'chromium'), job('b', 2000, 'webkit')]);
  const warmed: string[] = [];
  const first = (await q.take('chromium'))!;
  q.warmAfter(first.job, (b) => warmed.push(b));
  expect(warmed).toEqual([]); // Chromium runs are still waiting
  first.done();
  const second = (await q.take('chromium'))!;
  expect(names(second)).toBe('a@chromium');
  q.warmAfter(second.job, (b) => warmed.push(b));
  expect(warmed).toEqual(['webkit']);

  const q2 = new JobQueue([job('flood', 6000, 'chromium', true), job('b', 2000, 'webkit')]);
  const only = (await q2.take('chromium'))!;
  q2.warmAfter(only.job, (b) => warmed.push(b));
  expect(warmed).toEqual(['webkit']); // not beside the flood
});
