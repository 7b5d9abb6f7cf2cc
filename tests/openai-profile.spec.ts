// The OpenAI-compatible profile over a real socket: a streamed completion carries the scripted answer as deltas and
// ends with [DONE]; the ledger sees its socket; a second request while one streams is refused and noted as a turn.
import { test, expect } from '@playwright/test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockBackend } from '../harness/mock/backend.ts';
import { scriptedAnswer } from '../harness/mock/player.ts';
import { OPENAI_PATH, OPENAI_SESSION_HEADER, openaiProfile } from '../harness/mock/profiles/openai.ts';
import { Timeline } from '../harness/timeline.ts';

let backend: MockBackend;
let timeline: Timeline;
let root: string;

test.beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), 'sse-harness-test-ui-'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><html><head></head><body></body></html>');
  timeline = new Timeline();
  backend = new MockBackend({ root, heartbeatMs: 200, profile: openaiProfile }, timeline);
  await backend.start();
});

test.afterEach(async () => {
  await backend.stop();
  rmSync(root, { recursive: true, force: true });
});

const post = (body: unknown, session = 'chat-1') =>
  fetch(`${backend.url}${OPENAI_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [OPENAI_SESSION_HEADER]: session },
    body: JSON.stringify(body),
  });

/** The `data:` payloads of an SSE body, comments left out. */
const dataLines = (text: string) =>
  text
    .split('\n\n')
    .map((f) =>
      f
        .split('\n')
        .find((l) => l.startsWith('data: '))
        ?.slice(6),
    )
    .filter((d): d is string => d !== undefined);

test('a streamed completion carries the scripted answer as deltas, then [DONE]', async () => {
  const script = [{ reasoning: 'thinking' }, { tokens: { count: 6, rate: 400 } }];
  backend.arm('chat-1', 'test', script);
  const res = await post({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/event-stream');
  const data = dataLines(await res.text());
  expect(data.at(-1)).toBe('[DONE]');
  const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
  expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.model === 'm')).toBe(true);
  expect(chunks[0].choices[0].delta.role).toBe('assistant');
  expect(chunks[0].choices[0].delta.reasoning_content).toBe('thinking');
  const text = chunks.map((c) => c.choices[0].delta.content ?? '').join('');
  expect(text).toBe(scriptedAnswer(script).join(''));
  expect(chunks.at(-1).choices[0].finish_reason).toBe('stop');
  const [rec] = backend.ledger.sse;
  expect(rec).toMatchObject({ path: OPENAI_PATH, session: 'chat-1', closedBy: 'server' });
  expect(timeline.of('turn-request')).toMatchObject([{ session: 'chat-1', status: 200 }]);
});

test('a request while the session streams is refused, and both are noted as turn requests', async () => {
  backend.arm('chat-1', 'slow', [{ tokens: { count: 50, rate: 20 } }]);
  const first = await post({ stream: true, messages: [{ role: 'user', content: 'hi' }] });
  const again = await post({ stream: true, messages: [{ role: 'user', content: 'hi' }] });
  expect(again.status).toBe(409);
  await first.body?.cancel();
  expect(timeline.of('turn-request').map((e) => e.status)).toEqual([200, 409]);
});

test('a request without stream: true is refused with the fix', async () => {
  const res = await post({ messages: [] });
  expect(res.status).toBe(400);
  expect(((await res.json()) as { error: { message: string } }).error.message).toContain('send "stream": true');
});
