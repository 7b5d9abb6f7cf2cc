// The scripted time a run's harness overhead is measured against: waits add up, waitFor jumps to the moment the
// script would have sent what it waits for, and settle: fast ends the clock at the last step.
import { expect, test } from '@playwright/test';
import { scriptedMs } from '../harness/scenario/scripted.ts';
import type { Scenario } from '../harness/scenario/schema.ts';

const lockUnlock = (settle?: 'fast'): Scenario => ({
  name: 'lock',
  file: 'lock.yaml',
  settle,
  streams: { long: [{ tokens: { count: 800, rate: 40 } }] },
  steps: [
    { open: {} },
    { newChat: 'a' },
    { send: { stream: 'long' } },
    { waitFor: { tokens: 15 } },
    { lock: {} },
    { wait: 1500 },
    { unlock: {} },
    { waitFor: { moreTokens: 10 } },
  ],
  expect: {},
});

test('moreTokens waits for N tokens past those the script had sent when the step began', () => {
  // 15 tokens at 40/s: 375 ms; the lock lasts 1500 ms, by 1875 ms 75 tokens are out; 85 are out at 2125 ms.
  expect(scriptedMs(lockUnlock('fast'))).toBe(2125);
});

test('without settle: fast the clock runs on to the end of every answer', () => {
  expect(scriptedMs(lockUnlock())).toBe(20_000);
});
