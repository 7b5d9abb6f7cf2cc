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
import { dirname, resolve } from 'node:path';
import { test as base, expect as baseExpect, type Page, type TestInfo } from '@playwright/test';
import { MockBackend } from '../mock/backend.ts';
import { Timeline, type TimelineEvent } from '../timeline.ts';
import { resolveTarget } from '../targets/index.ts';
import type { Target } from '../targets/types.ts';
import { emulatedLifecycle, playwrightActions } from '../driver/common.ts';
import type { BrowserPage } from '../driver/types.ts';
import type { StreamItem } from '../scenario/schema.ts';
import { PageProbeClient, probeScripts } from '../probe/page-probe-client.ts';
import { liveStreamsOracle } from '../oracles/liveStreams.ts';
import { reattachOracle } from '../oracles/streaming.ts';
import type { RunRecord, Verdict } from '../oracles/types.ts';
import { recordProbeEvents, TextRecorder } from '../runner/page-events.ts';
import { SAMPLE_MS } from '../runner/run.ts';

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
  /** The chats the test started, by alias (chat1, chat2…): the sessions the oracles name. */
  readonly sessions: Record<string, string> = {};
  private readonly driverPage: BrowserPage;
  private readonly probe: PageProbeClient;
  private readonly texts: TextRecorder;
  private chats = 0;
  private steps = 0;
  private ticker: NodeJS.Timeout | undefined;
  private sampling: Promise<void> | undefined;
  constructor(
    readonly page: Page,
    readonly target: Target,
  ) {
    this.backend = new MockBackend(target.backend(), this.timeline);
    this.driverPage = asBrowserPage(page);
    this.probe = new PageProbeClient((js) => this.driverPage.evaluate(js));
    this.texts = new TextRecorder(this.timeline, this.backend, this.sessions);
    this.streams = new Streams(this);
  }

  /** An action of the test, marked on the timeline as a scenario step is, so the oracles can tell when it happened. */
  private async step<T>(step: string, detail: string | undefined, act: () => Promise<T>): Promise<T> {
    const index = this.steps++;
    const path = `sse.${step}#${index + 1}`;
    this.timeline.add({
      kind: 'step-start',
      t: this.timeline.now(),
      index,
      path,
      step,
      ...(detail !== undefined ? { detail } : {}),
    });
    let ok = false;
    try {
      const r = await act();
      ok = true;
      return r;
    } finally {
      this.timeline.add({ kind: 'step-end', t: this.timeline.now(), index, path, step, ok });
    }
  }

  private aliasOf(id: string | null): string | null {
    return Object.entries(this.sessions).find(([, s]) => s === id)?.[0] ?? null;
  }

  /** The user turns to a session: a view mark, whose end (shown) is set once the UI shows it. */
  private view(id: string | null): Extract<TimelineEvent, { kind: 'view' }> {
    const e = {
      kind: 'view' as const,
      t: this.timeline.now(),
      session: id,
      alias: this.aliasOf(id),
      shown: undefined as number | undefined,
    };
    this.timeline.add(e);
    return e;
  }

  /**
   * Reads the page as the runner's witnesses do, at the runner's pace, from the first open until the test ends: what
   * the UI showed before an action is the baseline the oracles judge the action against.
   */
  private startSampling(): void {
    this.ticker ??= setInterval(() => {
      this.sampling ??= this.sample().finally(() => (this.sampling = undefined));
    }, SAMPLE_MS);
  }

  /** Stops sampling (the fixture does it when the test ends). */
  async stop(): Promise<void> {
    clearInterval(this.ticker);
    await this.sampling;
  }

  /** Reads the page once: the probe's events and the viewed session's answer onto the timeline. */
  async sample(): Promise<void> {
    const r = await this.probe
      .read({ sid: this.target.viewedSessionExpression, text: this.target.answerTextExpression })
      .catch(() => null);
    if (!r) return;
    recordProbeEvents(this.timeline, r.events, this.backend.url);
    // The two witnesses a Playwright test has: the server's sockets and the page's EventSources.
    if (r.open !== undefined)
      this.timeline.add({
        kind: 'sample',
        t: this.timeline.now(),
        step: 'tick',
        tick: true,
        witnesses: { server: this.backend.ledger.openChatStreams().length, page: r.open },
      });
    if (r.sidError === undefined && r.textError === undefined && r.sid !== undefined && r.text !== undefined)
      this.texts.record({ sid: r.sid, text: r.text });
  }

  /** The test so far as the oracles judge a run: its timeline up to now, its chats and their scripted answers. */
  runRecord(testFile = ''): RunRecord {
    return {
      scenario: { name: 'playwright test', file: testFile, streams: {}, steps: [], expect: {} },
      timeline: this.timeline,
      sessions: { ...this.sessions },
      scripted: Object.fromEntries(
        Object.values(this.sessions).map((id) => [id, this.backend.runFor(id)?.answer.join('') ?? '']),
      ),
      endedAt: this.timeline.now(),
      cycles: [],
    };
  }

  get url(): string {
    return this.backend.url;
  }

  /** Loads the chat UI (query: extra parameters, e.g. { regress: 'leak-on-switch' } on the reference UI). */
  async open(
    opts: { regress?: string[]; query?: Record<string, string>; poll?: number; reconnectMs?: number } = {},
  ): Promise<void> {
    const entry = this.target.entry({
      regress: opts.regress ?? [],
      ui: { poll: opts.poll, reconnectMs: opts.reconnectMs },
      query: opts.query,
    });
    await this.step('open', undefined, async () => {
      await this.page.goto(this.backend.url + entry, { waitUntil: 'domcontentloaded' });
      await baseExpect
        .poll(() => this.page.evaluate(this.target.readyExpression), {
          message: 'the chat UI to be ready',
          timeout: 15_000,
        })
        .toBe(true);
      this.view(await this.viewed());
      this.startSampling();
    });
  }

  async viewed(): Promise<string | null> {
    return (await this.page.evaluate(this.target.viewedSessionExpression)) as string | null;
  }

  /** Starts a new chat; returns its session id. */
  async newChat(): Promise<string> {
    const alias = `chat${Object.keys(this.sessions).length + 1}`;
    return this.step('newChat', alias, async () => {
      const before = await this.viewed();
      await this.target.newChat(this.driverPage);
      await baseExpect
        .poll(() => this.viewed(), { message: 'the new chat to be shown', timeout: 10_000 })
        .not.toBe(before);
      const id = (await this.viewed())!;
      this.sessions[alias] = id;
      this.view(id);
      return id;
    });
  }

  /** Sends a message in the viewed chat; the backend answers with the given stream script. */
  async send(text: string, script: StreamItem[] = [{ tokens: { count: 60, rate: 40 } }]): Promise<void> {
    await this.step('send', `stream-${this.chats + 1}`, () => this.sendNow(text, script));
  }

  private async sendNow(text: string, script: StreamItem[]): Promise<void> {
    const viewed = await this.viewed();
    this.backend.arm(viewed ?? '*', `stream-${++this.chats}`, script);
    await this.target.send(this.driverPage, text);
    await baseExpect
      .poll(() => (viewed ? !!this.backend.runFor(viewed) : true), {
        message: 'the chat to start at the backend',
        timeout: 10_000,
      })
      .toBe(true);
    // Sent means streaming: the page has opened the answer's stream (a test that moves on sooner races the UI).
    const run = viewed ? this.backend.runFor(viewed) : undefined;
    if (run) {
      await baseExpect
        .poll(() => this.backend.ledger.sse.some((r) => r.streamId === run.streamId), {
          message: "the page to open the answer's stream",
          timeout: 10_000,
        })
        .toBe(true);
    }
  }

  async switchTo(sessionId: string): Promise<void> {
    await this.step('switchTo', this.aliasOf(sessionId) ?? sessionId, async () => {
      const view = this.view(sessionId);
      await this.target.switchTo(this.driverPage, sessionId);
      await baseExpect
        .poll(() => this.viewed(), { message: `the UI to show session ${sessionId}`, timeout: 10_000 })
        .toBe(sessionId);
      view.shown = this.timeline.now();
    });
  }

  /** The page goes to the background and back (emulated in the page, in every browser). */
  async background(): Promise<void> {
    await this.step('background', undefined, async () => {
      await this.driverPage.hide();
      this.timeline.add({ kind: 'visibility', t: this.timeline.now(), hidden: true, frozen: false, how: 'emulated' });
    });
  }
  async foreground(): Promise<void> {
    await this.step('foreground', undefined, async () => {
      this.timeline.add({ kind: 'visibility', t: this.timeline.now(), hidden: false, frozen: false, how: 'emulated' });
      await this.driverPage.show();
    });
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
      sessions: { ...this.sessions },
      verdicts: this.verdicts,
      timeline: this.timeline.ordered(),
    };
  }
}

export interface SseOptions {
  /**
   * Target UI (default: the built-in reference chat UI): a built-in target's name, the path of a target module
   * (relative to the Playwright config's folder), or a target made with defineTarget. (A factory, being a function,
   * would be taken for a fixture: give what it makes.)
   */
  sseTarget: string | Target;
  /** Checkout of the UI for targets that read one (relative to the Playwright config's folder). */
  sseAppDir: string | undefined;
  /** The streaming transport the UI must use (as --transport; default: the target's own). */
  sseTransport: string | undefined;
}

export const test = base.extend<SseOptions & { sse: Sse }>({
  sseTarget: ['reference', { option: true }],
  sseAppDir: [undefined, { option: true }],
  sseTransport: [undefined, { option: true }],
  sse: async ({ page, sseTarget, sseAppDir, sseTransport }, use, testInfo: TestInfo) => {
    // Paths in the options read as Playwright's own paths in a config do: from the config's folder.
    const base = testInfo.config.configFile ? dirname(testInfo.config.configFile) : process.cwd();
    const appDir = sseAppDir === undefined ? undefined : resolve(base, sseAppDir);
    const opts = { appDir, ...(sseTransport !== undefined ? { transport: sseTransport } : {}) };
    const sse = new Sse(page, await resolveTarget(sseTarget, opts, 'sseTarget', base));
    await sse.backend.start();
    try {
      await use(sse);
    } finally {
      await sse.stop();
      await testInfo.attach(ATTACHMENT, { body: JSON.stringify(sse.record()), contentType: 'application/json' });
      await sse.backend.stop();
    }
  },
});

/** The grace a stream left open gets, as in a scenario's liveStreams (the oracle's default). */
const DEFAULT_GRACE_MS = 750;

/**
 * The matchers judge with the CLI's oracles over the test's timeline: the same events, the same code, the same
 * sentences. A matcher samples the page as the runner's witnesses do until the oracle's verdict can no longer change
 * by waiting (it failed for good, or held once the window it needs has passed), or until its timeout.
 */
async function judgeUntil(
  sse: Sse,
  oracle: (record: RunRecord) => Verdict,
  decided: (v: Verdict) => boolean,
  timeout: number,
): Promise<Verdict> {
  const deadline = Date.now() + timeout;
  for (;;) {
    await sse.sample();
    const v = oracle(sse.runRecord());
    if ((!v.pass && v.definite) || decided(v) || Date.now() >= deadline) return v;
    await new Promise((r) => setTimeout(r, SAMPLE_MS));
  }
}

function settle(sse: Sse, v: Verdict, isNot: boolean, name: string) {
  sse.verdicts.push({ oracle: v.oracle, pass: v.pass !== isNot, summary: v.summary, evidence: v.evidence });
  return { pass: v.pass, name, message: () => `${v.oracle}: ${v.summary}` };
}

export const expect = baseExpect.extend({
  /**
   * The liveStreams oracle on the test so far: no more chat streams open than the user may have open (the viewed
   * session, while it streams) for longer than graceMs. Holds once graceMs has passed since the open streams last
   * changed; timeout (default graceMs + 3 s) bounds the wait.
   */
  async toHaveNoLeaks(streams: Streams, opts: { graceMs?: number; timeout?: number } = {}) {
    const graceMs = opts.graceMs ?? DEFAULT_GRACE_MS;
    const sse = streams.sse;
    const v = await judgeUntil(
      sse,
      (record) => liveStreamsOracle(record, { graceMs }),
      (v) => {
        const series = (v.evidence as { series?: [number, number, number][] }).series ?? [];
        return sse.timeline.now() - (series.at(-1)?.[0] ?? 0) > graceMs + SAMPLE_MS;
      },
      opts.timeout ?? graceMs + 3_000,
    );
    return settle(sse, v, this.isNot, 'toHaveNoLeaks');
  },

  /**
   * The reattach oracle on the test so far: after each return (switchTo) to a session still streaming, a chat stream
   * for it opens and new tokens render within ms. Waits until that is shown or the window has passed.
   */
  async toReattachWithin(streams: Streams, ms: number) {
    const sse = streams.sse;
    const v = await judgeUntil(
      sse,
      (record) => reattachOracle(record, { withinMs: ms }),
      (v) => v.pass && !v.notJudged,
      ms + 1_000,
    );
    return settle(sse, v, this.isNot, 'toReattachWithin');
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
