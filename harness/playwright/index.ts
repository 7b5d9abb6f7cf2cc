// Playwright-native use: write your own Playwright tests with the harness's mock backend, probes and chat actions,
// and assert with its matchers. Import { test, expect } from here instead of from '@playwright/test'.
//
//   test('switching away closes the stream', async ({ sse }) => {
//     await sse.open();
//     await sse.newChat();
//     await sse.send('Tell me a story', [{ tokens: { count: 200, rate: 40 } }]);
//     await sse.newChat();
//     await expect(sse.streams).toHaveNoLeaks();
//   });
import { test as base, expect as baseExpect, type Page, type TestInfo } from '@playwright/test';
import { MockBackend } from '../mock/backend.ts';
import { Timeline, type TimelineEvent } from '../timeline.ts';
import { targetFor } from '../targets/index.ts';
import type { Target } from '../targets/types.ts';
import { emulatedLifecycle, playwrightActions } from '../driver/common.ts';
import type { BrowserPage } from '../driver/types.ts';
import type { StreamItem } from '../scenario/schema.ts';
import { oneLine } from '../printable.ts';
import { probeScripts } from '../probe/page-probe-client.ts';

export const ATTACHMENT = 'sse-harness-run';

/** A Playwright page seen through the harness's driver interface, so targets perform their actions on it. */
function asBrowserPage(page: Page): BrowserPage {
  const browser = page.context().browser()?.browserType().name() === 'webkit' ? 'webkit' : 'chromium';
  const actions = playwrightActions(page);
  return {
    browser,
    engine: `${page.context().browser()?.browserType().name() ?? 'browser'} ${page.context().browser()?.version() ?? ''} (Playwright test)`,
    ...actions,
    ...emulatedLifecycle((js) => actions.evaluate(js)),
    setOffline: async (offline) => {
      await page.context().setOffline(offline);
      return 'real';
    },
    close: async () => {},
  };
}

export interface StreamCounts {
  /** Open chat-stream sockets at the mock backend. */
  server: number;
  /** EventSources OPEN in the page (in-page probe). */
  page: number;
  /** Streams the user may legitimately have open: 1 when the viewed session is still streaming, else 0. */
  allowed: number;
  viewed: string | null;
}

/** The witnesses, as the matchers read them. */
export class Streams {
  constructor(readonly sse: Sse) {}
  async counts(): Promise<StreamCounts> {
    const viewed = await this.sse.viewed();
    const page = (await this.sse.page.evaluate(probeScripts.openChatStreams)) as number;
    const run = viewed ? this.sse.backend.runFor(viewed) : undefined;
    return { server: this.sse.backend.ledger.openChatStreams().length, page, allowed: run?.active ? 1 : 0, viewed };
  }
}

/** What a test did and found, attached to the test for the harness reporter. */
export interface RecordedRun {
  target: string;
  targetVersion: string;
  engine: string;
  browser: string;
  sessions: Record<string, string>;
  verdicts: { oracle: string; pass: boolean; summary: string; evidence: Record<string, unknown> }[];
  timeline: TimelineEvent[];
}

/** The `sse` fixture: a mock backend on a real socket serving the target UI, and chat actions on the test's page. */
export class Sse {
  readonly timeline = new Timeline();
  readonly backend: MockBackend;
  readonly streams: Streams;
  readonly verdicts: RecordedRun['verdicts'] = [];
  private readonly driverPage: BrowserPage;
  private chats = 0;
  constructor(
    readonly page: Page,
    readonly target: Target,
  ) {
    this.backend = new MockBackend(target.backend(), this.timeline);
    this.driverPage = asBrowserPage(page);
    this.streams = new Streams(this);
  }

  get url(): string {
    return this.backend.url;
  }

  /** Loads the chat UI (query: extra parameters, e.g. { regress: 'leak-on-switch' } on the reference UI). */
  async open(opts: { regress?: string[]; query?: Record<string, string>; poll?: number; reconnectMs?: number } = {}): Promise<void> {
    const entry = this.target.entry({ regress: opts.regress ?? [], ui: { poll: opts.poll, reconnectMs: opts.reconnectMs }, query: opts.query });
    await this.page.goto(this.backend.url + entry, { waitUntil: 'domcontentloaded' });
    await baseExpect.poll(() => this.page.evaluate(this.target.readyExpression), { message: 'the chat UI to be ready', timeout: 15_000 }).toBe(true);
  }

  async viewed(): Promise<string | null> {
    return (await this.page.evaluate(this.target.viewedSessionExpression)) as string | null;
  }

  /** Starts a new chat; returns its session id. */
  async newChat(): Promise<string> {
    const before = await this.viewed();
    await this.target.newChat(this.driverPage);
    await baseExpect.poll(() => this.viewed(), { message: 'the new chat to be shown', timeout: 10_000 }).not.toBe(before);
    return (await this.viewed())!;
  }

  /** Sends a message in the viewed chat; the backend answers with the given stream script. */
  async send(text: string, script: StreamItem[] = [{ tokens: { count: 60, rate: 40 } }]): Promise<void> {
    const viewed = await this.viewed();
    this.backend.arm(viewed ?? '*', `stream-${++this.chats}`, script);
    await this.target.send(this.driverPage, text);
    await baseExpect.poll(() => (viewed ? !!this.backend.runFor(viewed) : true), { message: 'the chat to start at the backend', timeout: 10_000 }).toBe(true);
    // Sent means streaming: the page has opened the answer's stream (a test that moves on sooner races the UI).
    const run = viewed ? this.backend.runFor(viewed) : undefined;
    if (run) {
      await baseExpect
        .poll(() => this.backend.ledger.sse.some((r) => r.streamId === run.streamId), { message: "the page to open the answer's stream", timeout: 10_000 })
        .toBe(true);
    }
  }

  async switchTo(sessionId: string): Promise<void> {
    await this.target.switchTo(this.driverPage, sessionId);
    await baseExpect.poll(() => this.viewed(), { message: `the UI to show session ${sessionId}`, timeout: 10_000 }).toBe(sessionId);
  }

  /** The page goes to the background and back (emulated in the page, in every browser). */
  async background(): Promise<void> {
    await this.driverPage.hide();
    this.timeline.add({ kind: 'visibility', t: this.timeline.now(), hidden: true, frozen: false, how: 'emulated' });
  }
  async foreground(): Promise<void> {
    this.timeline.add({ kind: 'visibility', t: this.timeline.now(), hidden: false, frozen: false, how: 'emulated' });
    await this.driverPage.show();
  }

  /** The answer text the UI shows for the viewed session. */
  async answerText(): Promise<string | null> {
    return (await this.page.evaluate(this.target.answerTextExpression)) as string | null;
  }

  record(): RecordedRun {
    return {
      target: this.target.name,
      targetVersion: this.target.version,
      engine: this.driverPage.engine,
      browser: this.driverPage.browser,
      sessions: Object.fromEntries([...this.backend.sessions.keys()].map((id, i) => [`chat${i + 1}`, id])),
      verdicts: this.verdicts,
      timeline: this.timeline.ordered(),
    };
  }
}

export interface SseOptions {
  /** Target UI (default: the built-in reference chat UI). */
  sseTarget: string;
  /** Checkout of the UI for targets that read one. */
  sseAppDir: string | undefined;
}

export const test = base.extend<SseOptions & { sse: Sse }>({
  sseTarget: ['reference', { option: true }],
  sseAppDir: [undefined, { option: true }],
  sse: async ({ page, sseTarget, sseAppDir }, use, testInfo: TestInfo) => {
    const sse = new Sse(page, targetFor(sseTarget, { appDir: sseAppDir }));
    await sse.backend.start();
    try {
      await use(sse);
    } finally {
      await testInfo.attach(ATTACHMENT, { body: JSON.stringify(sse.record()), contentType: 'application/json' });
      await sse.backend.stop();
    }
  },
});

const DEFAULT_TIMEOUT = 3_000;

/** Polls until ok or the deadline; returns the last value. */
async function settle<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeout: number): Promise<{ value: T; pass: boolean }> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await read();
    if (ok(value)) return { value, pass: true };
    if (Date.now() >= deadline) return { value, pass: false };
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const expect = baseExpect.extend({
  /** No more open chat streams than the user may have open (the viewed session, while it streams), by every witness. */
  async toHaveNoLeaks(streams: Streams, opts: { timeout?: number } = {}) {
    const sse = streams.sse;
    const { value: c, pass } = await settle(() => streams.counts(), (c) => c.server <= c.allowed && c.page <= c.allowed, opts.timeout ?? DEFAULT_TIMEOUT);
    const summary = `${c.server} chat stream${c.server === 1 ? '' : 's'} open at the server, ${c.page} EventSource${c.page === 1 ? '' : 's'} open in the page; allowed ${c.allowed} (viewed session ${oneLine(c.viewed ?? 'none', 200)}${c.allowed ? ', streaming' : ''})`;
    sse.verdicts.push({ oracle: 'toHaveNoLeaks', pass: pass !== this.isNot, summary, evidence: { ...c } });
    return {
      pass,
      name: 'toHaveNoLeaks',
      message: () => (pass ? `expected a leak, but ${summary}` : `leaked streams: ${summary}`),
    };
  },

  /** After returning to a still-streaming session: a new chat stream for it opens and new tokens render within ms. */
  async toReattachWithin(streams: Streams, ms: number) {
    const sse = streams.sse;
    const since = sse.timeline.now();
    const viewed = await sse.viewed();
    const startLen = (await sse.answerText())?.length ?? 0;
    const read = async () => {
      const opened = sse.backend.ledger.sse.some((r) => r.session === viewed && r.path.startsWith('/api/chat/stream') && r.closedAt === null && r.openedAt >= since - 5_000);
      const len = (await sse.answerText())?.length ?? 0;
      return { opened, grew: len > startLen, len };
    };
    const { value, pass } = await settle(read, (v) => v.opened && v.grew, ms);
    const summary = `within ${ms} ms of the return to ${oneLine(viewed ?? 'no session', 200)}: ${value.opened ? 'a chat stream is open' : 'no chat stream opened'}, ${value.grew ? `answer grew ${startLen}→${value.len} chars` : `answer stuck at ${value.len} chars`}`;
    sse.verdicts.push({ oracle: 'toReattachWithin', pass: pass !== this.isNot, summary, evidence: { ms, ...value, startLen } });
    return { pass, name: 'toReattachWithin', message: () => (pass ? `expected no reattach, but ${summary}` : `did not reattach: ${summary}`) };
  },
});

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace PlaywrightTest {
    interface Matchers<R> {
      toHaveNoLeaks(opts?: { timeout?: number }): Promise<R>;
      toReattachWithin(ms: number): Promise<R>;
    }
  }
}
