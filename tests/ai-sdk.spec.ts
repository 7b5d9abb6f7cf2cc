// The ai-sdk target: the mock's UI message stream profile on a real socket (raw HTTP, and the SDK's own transport
// reading it), the --sdk-version flag's bad input, and one healthy run of the real useChat app in Chromium.
import { test, expect } from '@playwright/test';
import { request as httpRequest } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MockBackend } from '../harness/mock/backend.ts';
import { scriptedAnswer } from '../harness/mock/player.ts';
import { AI_SDK_SERVER_MODEL, aiSdkProfile } from '../harness/mock/profiles/ai-sdk.ts';
import { DEFAULT_SDK_VERSION, installSdk } from '../harness/targets/ai-sdk-build.ts';
import type { StreamItem } from '../harness/scenario/schema.ts';
import { Timeline } from '../harness/timeline.ts';
import { runCli } from './support/cli.ts';
import { until } from './support/sse-client.ts';

/** One response read over node:http: status, headers, and its SSE `data:` payloads as they come. */
class Reply {
  status = 0;
  headers: Record<string, string | string[] | undefined> = {};
  readonly data: string[] = [];
  readonly ended: Promise<void>;
  private destroy = () => {};

  constructor(url: string, method: 'GET' | 'POST', body?: unknown) {
    let buf = '';
    this.ended = new Promise((resolve) => {
      const req = httpRequest(
        url,
        { method, headers: body === undefined ? {} : { 'content-type': 'application/json' } },
        (res) => {
          this.status = res.statusCode ?? 0;
          this.headers = res.headers;
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            buf += chunk;
            for (let i; (i = buf.indexOf('\n\n')) >= 0; buf = buf.slice(i + 2)) {
              const frame = buf.slice(0, i);
              if (frame.startsWith('data: ')) this.data.push(frame.slice(6));
            }
          });
          res.on('end', resolve);
          res.on('error', () => resolve());
        },
      );
      req.on('error', () => resolve());
      this.destroy = () => req.destroy();
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  }

  /** The chunks' types, `[DONE]` as itself. */
  types(): string[] {
    return this.data.map((d) => (d === '[DONE]' ? d : (JSON.parse(d) as { type: string }).type));
  }

  text(): string {
    return this.data
      .filter((d) => d !== '[DONE]')
      .map((d) => JSON.parse(d) as { type: string; delta?: string })
      .filter((c) => c.type === 'text-delta')
      .map((c) => c.delta)
      .join('');
  }

  close(): void {
    this.destroy();
  }
}

const userMessage = (text: string) => ({ id: 'u1', role: 'user', parts: [{ type: 'text', text }] });

test.describe('the AI SDK UI message stream profile', () => {
  let backend: MockBackend;
  let timeline: Timeline;
  let root: string;

  test.beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'sse-harness-aisdk-'));
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>t</title>');
    timeline = new Timeline();
    backend = new MockBackend({ root, profile: aiSdkProfile, server: AI_SDK_SERVER_MODEL }, timeline);
    await backend.start();
  });

  test.afterEach(async () => {
    await backend.stop();
    rmSync(root, { recursive: true, force: true });
  });

  const chat = async () =>
    ((await (await fetch(`${backend.url}/api/chats`, { method: 'POST' })).json()) as { id: string }).id;
  const post = (id: string, text = 'hi') =>
    new Reply(`${backend.url}/api/chat`, 'POST', {
      id,
      messages: [userMessage(text)],
      trigger: 'submit-message',
      messageId: null,
    });

  test('POST /api/chat answers with the header and the chunk sequence of a generation', async () => {
    const script: StreamItem[] = [
      { reasoning: 'thinking' },
      { tokens: { count: 3, rate: 500 } },
      { tool: { name: 'search', preview: 'q', duration: 10 } },
      { tokens: { count: 2, rate: 500 } },
    ];
    const id = await chat();
    backend.arm(id, 'test', script);
    const r = post(id, 'Tell me');
    await r.ended;
    expect(r.status).toBe(200);
    expect(r.headers['x-vercel-ai-ui-message-stream']).toBe('v1');
    expect(r.headers['content-type']).toBe('text/event-stream');
    expect(r.types()).toEqual([
      'start',
      'start-step',
      'reasoning-start',
      'reasoning-delta',
      'reasoning-end',
      'text-start',
      'text-delta',
      'text-delta',
      'text-delta',
      'text-end',
      'tool-input-start',
      'tool-input-available',
      'tool-output-available',
      'finish-step',
      'start-step',
      'text-start',
      'text-delta',
      'text-delta',
      'text-end',
      'finish-step',
      'finish',
      '[DONE]',
    ]);
    expect(r.text()).toBe(scriptedAnswer(script).join(''));
    const starts = r.data.filter((d) => d.includes('"text-start"')).map((d) => JSON.parse(d).id as string);
    expect(new Set(starts).size).toBe(2);
    // The chat keeps the user's message and, once done, the answer: what the app loads when it mounts the chat.
    const stored = (await (await fetch(`${backend.url}/api/chats/${id}`)).json()) as {
      messages: { role: string; parts: { text: string }[] }[];
    };
    expect(stored.messages.map((m) => [m.role, m.parts[0]!.text])).toEqual([
      ['user', 'Tell me'],
      ['assistant', scriptedAnswer(script).join('')],
    ]);
    await until(() => backend.ledger.sse.length === 1 && backend.ledger.sse[0]!.closedBy === 'server');
    expect(backend.ledger.sse[0]!.path).toBe('/api/chat');
  });

  test('the resume route answers 204 when idle, and the whole active generation from its start when not', async () => {
    const script: StreamItem[] = [{ tokens: { count: 30, rate: 100 } }];
    const id = await chat();
    const idle = new Reply(`${backend.url}/api/chat/${id}/stream`, 'GET');
    await idle.ended;
    expect(idle.status).toBe(204);
    expect(idle.data).toEqual([]);

    backend.arm(id, 'test', script);
    const first = post(id);
    await until(() => first.types().filter((t) => t === 'text-delta').length >= 5);
    first.close();
    await until(() => backend.ledger.sse[0]?.closedBy === 'client');
    const resumed = new Reply(`${backend.url}/api/chat/${id}/stream`, 'GET');
    await resumed.ended;
    expect(resumed.status).toBe(200);
    expect(resumed.headers['x-vercel-ai-ui-message-stream']).toBe('v1');
    // resumable-stream replays what the generation sent so far: the same message id, every delta from the first.
    expect(resumed.types().slice(0, 3)).toEqual(['start', 'start-step', 'text-start']);
    expect(JSON.parse(resumed.data[0]!).messageId).toBe(JSON.parse(first.data[0]!).messageId);
    expect(resumed.text()).toBe(scriptedAnswer(script).join(''));
    expect(resumed.types().slice(-2)).toEqual(['finish', '[DONE]']);
    expect(backend.ledger.sse.map((r) => [r.path, r.closedBy])).toEqual([
      ['/api/chat', 'client'],
      [`/api/chat/${id}/stream`, 'server'],
    ]);

    const after = new Reply(`${backend.url}/api/chat/${id}/stream`, 'GET');
    await after.ended;
    expect(after.status).toBe(204);
  });

  test('bad requests get one clear error each', async () => {
    const id = await chat();
    const send = (body: string) =>
      fetch(`${backend.url}/api/chat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const notJson = await send('{');
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { error: string }).error).toMatch(/JSON/);
    const badId = await send(JSON.stringify({ id: '../x', messages: [userMessage('hi')] }));
    expect(badId.status).toBe(400);
    const noUser = await send(JSON.stringify({ id, messages: [] }));
    expect(noUser.status).toBe(400);
    const badResume = await fetch(`${backend.url}/api/chat/${encodeURIComponent('a b<x>')}/stream`);
    expect(badResume.status).toBe(400);
    backend.arm(id, 'test', [{ tokens: { count: 50, rate: 20 } }]);
    const running = post(id);
    await until(() => running.data.length > 0);
    const twice = await send(JSON.stringify({ id, messages: [userMessage('again')] }));
    expect(twice.status).toBe(409);
    running.close();
    // Both POSTs that asked for a turn are noted for oneRequestPerTurn, the refused one too.
    expect(timeline.of('turn-request').map((e) => [e.session, e.path, e.status])).toEqual([
      [id, '/api/chat', 200],
      [id, '/api/chat', 409],
    ]);
  });

  test("the SDK's own DefaultChatTransport reads the POST stream and a resume into the scripted answer", async () => {
    test.setTimeout(240_000);
    const dir = installSdk(DEFAULT_SDK_VERSION);
    const ai = (await import(pathToFileURL(join(dir, 'node_modules', 'ai', 'dist', 'index.js')).href)) as {
      DefaultChatTransport: new (o: { api: string }) => {
        sendMessages(o: object): Promise<ReadableStream<unknown>>;
        reconnectToStream(o: object): Promise<ReadableStream<unknown> | null>;
      };
      readUIMessageStream(o: { stream: ReadableStream<unknown> }): AsyncIterable<{ id: string; parts: object[] }>;
    };
    const transport = new ai.DefaultChatTransport({ api: `${backend.url}/api/chat` });
    const textOf = async (stream: ReadableStream<unknown>) => {
      let last: { id: string; parts: object[] } | undefined;
      for await (const m of ai.readUIMessageStream({ stream })) last = m;
      const parts = (last?.parts ?? []) as { type: string; text?: string }[];
      return { id: last?.id, text: parts.map((p) => (p.type === 'text' ? p.text : '')).join('') };
    };
    const script: StreamItem[] = [{ reasoning: 'r' }, { tokens: { count: 20, rate: 40 } }];
    const id = await chat();
    expect(await transport.reconnectToStream({ chatId: id })).toBeNull();
    backend.arm(id, 'test', script);
    const sent = transport.sendMessages({
      chatId: id,
      messages: [userMessage('hi')],
      trigger: 'submit-message',
      messageId: undefined,
      abortSignal: undefined,
    });
    const resumed = await until(() => backend.runFor(id) !== undefined).then(() =>
      transport.reconnectToStream({ chatId: id }),
    );
    const [a, b] = await Promise.all([textOf(await sent), textOf(resumed!)]);
    expect(a.text).toBe(scriptedAnswer(script).join(''));
    expect(b).toEqual(a);
  });
});

test('--sdk-version: a wrong value, a version before 2, one npm does not have, another target: exit 2, one line', async () => {
  test.setTimeout(120_000);
  for (const [args, want] of [
    [['--sdk-version', 'latest'], /^sse-harness: --sdk-version "latest" is not a version: give an exact/],
    [['--sdk-version', '1.2.12'], /^sse-harness: --sdk-version 1\.2\.12: @ai-sdk\/react before 2\.0\.0 speaks/],
    [['--sdk-version', '2.0.999'], /^sse-harness: --sdk-version 2\.0\.999: npm has no @ai-sdk\/react@2\.0\.999\./],
  ] as const) {
    const r = await runCli(['run', '-t', 'ai-sdk', ...args, 'scenarios/switch-return.yaml', '-o', 'TMP/r']);
    expect(r.code, r.explain()).toBe(2);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(want);
  }
  const other = await runCli(['run', '--sdk-version', DEFAULT_SDK_VERSION, 'scenarios/switch-return.yaml']);
  expect(other.code, other.explain()).toBe(2);
  expect(other.stderr.trim()).toBe(
    'sse-harness: --sdk-version is for the ai-sdk target, not reference. Add -t ai-sdk, or leave --sdk-version out.',
  );
});

test('the real useChat app on the default SDK version passes a healthy return in Chromium', async () => {
  test.setTimeout(240_000);
  const dir = mkdtempSync(join(tmpdir(), 'sse-harness-aisdk-scenario-'));
  try {
    // Leave a streaming chat for another and come back: the app remounts the chat, useChat resumes it on mount.
    writeFileSync(
      join(dir, 'return.yaml'),
      [
        'name: ai-sdk-return',
        'description: leave a streaming chat and come back to it',
        'settle: fast',
        'streams:',
        '  long:',
        '    - reasoning: "Thinking"',
        '    - tokens: { count: 300, rate: 30 }',
        '  short:',
        '    - tokens: { count: 5, rate: 50 }',
        'steps:',
        '  - open',
        '  - newChat: a',
        '  - send: { stream: long }',
        '  - waitFor: { tokens: 10 }',
        '  - newChat: b',
        '  - send: { stream: short }',
        '  - waitFor: { complete: true }',
        '  - switchTo: a',
        '  - waitFor: { moreTokens: 5 }',
        'expect:',
        '  reattach: { withinMs: 3000 }',
        '  transcript: {}',
        '  liveStreams: {}',
        '',
      ].join('\n'),
    );
    const r = await runCli([
      'run',
      '-t',
      'ai-sdk',
      '-b',
      'chromium',
      '--workers',
      '1',
      join(dir, 'return.yaml'),
      '-o',
      'TMP/r',
    ]);
    expect(r.code, r.explain()).toBe(0);
    expect(r.stdout).toMatch(/ai-sdk-return\s+chromium\s+PASS\s+reattach, transcript, liveStreams hold/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
