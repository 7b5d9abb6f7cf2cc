// What each scenario step does to the page and the backend: one handler per step kind, in the typed table of
// step-table.ts. The runner owns the run (its state, witnesses and verdicts); the steps reach it through StepContext.
import type { BrowserPage } from '../driver/types.ts';
import type { ChatBackend } from '../mock/chat-backend.ts';
import type { Scenario } from '../scenario/schema.ts';
import type { Target } from '../targets/types.ts';
import type { Timeline } from '../timeline.ts';
import type { PageCounts, PageRead } from './page-read.ts';
import { transportsPhrase } from '../probe/stream-routes.ts';
import { StepFailure, type Check } from './run-errors.ts';
import type { StepTable } from './step-table.ts';
import type { RunTabs, Tab } from './tabs.ts';

/** How long an answer that diverged from the script must stand still, after its run ended, to fail a waitFor. */
const DIVERGED_MS = 2000;
/** Deadline of a step's own waits (a new chat at the backend, the UI showing a session) unless the step sets one. */
const STEP_MS = 10_000;
/** A switch's click is tried again after this long without the UI showing the session. */
const RECLICK_MS = 3_000;

/** The run's state the steps change and the witnesses read; the runner owns it. */
export interface RunState {
  /** The session the user views in the current tab (its backend id), null before the first; each tab's in RunTabs. */
  viewed: string | null;
  /** The page is frozen for real: no script runs in it until it thaws. */
  frozen: boolean;
  /** A switch under way is not judged: until the UI shows the session, the view's end is unknown. */
  switching: boolean;
  /**
   * A page being shown is not judged: its hidden time ends when the harness starts showing it, but that end is on the
   * timeline only once the browser is done; judged in between, the page's first requests back would count as made
   * while hidden.
   */
  showing: boolean;
  /** The UI has been opened once: a later open or reload that never gets ready is a finding, not a boot failure. */
  opened: boolean;
  /** The page stopped answering the driver: the run ends on server-side evidence, without asking it again. */
  pageHung: boolean;
}

/** What the steps may use of the run. */
export interface StepContext {
  readonly scenario: Scenario;
  readonly target: Target;
  readonly regress: string[];
  readonly timeline: Timeline;
  readonly backend: ChatBackend;
  /** The current tab's page. */
  readonly page: BrowserPage;
  /** The scenario's tabs, and which is current. */
  readonly tabs: RunTabs;
  /** Opens another tab of the browser, with its witnesses; it is not current yet. */
  newTab(name: string): Promise<Tab>;
  /** Session aliases of the scenario to backend ids. */
  readonly sessions: Record<string, string>;
  readonly state: RunState;
  /** Aborted once the run is stopped at a definite failure. */
  readonly stop: AbortSignal;
  until<T>(what: string, timeoutMs: number, check: Check<T>): Promise<T>;
  /** The user now views this session (a view mark on the timeline); its `shown` is set once the UI shows it. */
  setViewed(id: string | null): { shown?: number };
  /** A session's backend id by alias, or the viewed one's. */
  sessionId(alias: string | undefined): string;
  /** What the UI shows, read with the probe's counts while the page can be asked. Throws if the expression did. */
  shownInUi(need: 'sid' | 'text'): Promise<PageRead>;
  /** Drains the probe's events onto the timeline; its counts, or null when the page cannot be asked. */
  drainPage(): Promise<PageCounts | null>;
  /** Waits for the UI to be ready after a load; at the first open a page that never is fails the boot. */
  waitReady(since: number, first: boolean): Promise<void>;
  /** The page goes away (a reload, or an open over it): the streams it had open count as let go of. */
  pageUnloaded(how: 'reload' | 'navigate', t: number): void;
  /** The UI's text starts anew (a reload): what it showed before is no baseline for what it shows next. */
  forgetText(): void;
  /** Records the page's visibility (hidden time starts and ends here), or with a tab, that tab's. */
  visibility(hidden: boolean, how: string, t?: number, tab?: string): void;
  /** The server side drops every open chat stream socket, noted with why. */
  dropSockets(why: string): void;
}

export function stepHandlers(ctx: StepContext): StepTable<PageRead | undefined> {
  const { scenario, target, timeline, backend, page, sessions, state } = ctx;
  const answerFor = (id: string) => backend.runFor(id)?.answer ?? [];

  /** The query of the last open: a new tab opens the UI as it was opened. */
  let openQuery: Record<string, string> | undefined;

  /** Loads the UI in the current tab; a fresh tab has no page to unload. */
  const load = async (how: 'open' | 'reload', query?: Record<string, string>, freshTab = false): Promise<PageRead> => {
    const since = timeline.now();
    const first = !state.opened;
    state.opened = true;
    if (!first && !freshTab) ctx.pageUnloaded(how === 'reload' ? 'reload' : 'navigate', since);
    if (how === 'open')
      await page.goto(backend.url + target.entry({ regress: ctx.regress, ui: scenario.ui ?? {}, query }));
    else {
      ctx.forgetText();
      await page.reload();
    }
    await ctx.waitReady(since, first && how === 'open');
    const read = await ctx.shownInUi('sid');
    ctx.setViewed(read.sid ?? null);
    return read;
  };

  /**
   * The user turns from the current tab to another: as in a browser, the tab left goes to the background (hidden,
   * still running) and the one chosen comes forward. The steps that follow act on it.
   */
  const bringForward = async (tab: Tab) => {
    const left = ctx.tabs.current;
    ctx.visibility(true, `tab ${left.name} to the background (${await left.page.hide()})`, undefined, left.name);
    left.hidden = true;
    ctx.tabs.current = tab;
    state.viewed = tab.viewed;
    if (!tab.hidden) return;
    await showing(async () => `tab ${tab.name} to the front (${await tab.page.show()})`, tab.name);
    tab.hidden = false;
  };

  /** Shows a page: its hidden time ends now, as the harness starts showing it (see RunState.showing). */
  const showing = async (show: () => Promise<string>, tab?: string) => {
    const t = timeline.now();
    state.showing = true;
    try {
      ctx.visibility(false, await show(), t, tab);
    } finally {
      state.showing = false;
    }
  };

  const table: StepTable<PageRead | undefined> = {
    open: (arg) => ((openQuery = arg.query), load('open', arg.query)),
    reload: () => load('reload'),

    async openTab(name) {
      await bringForward(await ctx.newTab(name));
      return load('open', openQuery, true);
    },
    async switchTab(name) {
      const tab = ctx.tabs.get(name);
      // The loader let no unknown tab through; a repeat may switch to the tab already in front.
      if (!tab) throw new StepFailure(`tab "${name}" is not open; add "- openTab: ${name}" before this step`);
      if (tab === ctx.tabs.current) return undefined;
      await bringForward(tab);
      // What the user looks at now is what this tab shows.
      ctx.setViewed(tab.viewed);
      return undefined;
    },

    async background() {
      ctx.visibility(true, await page.hide());
      return undefined;
    },
    async foreground() {
      await showing(() => page.show());
      return undefined;
    },
    async lock(arg) {
      await ctx.drainPage();
      const how = arg.freeze === false ? await page.hide() : await page.freeze();
      state.frozen = arg.freeze !== false && how === 'real';
      ctx.visibility(true, `lock (${how}${state.frozen ? ', frozen' : ''})`);
      if (arg.dropSockets !== false) ctx.dropSockets('lock');
      return undefined;
    },
    async unlock() {
      await showing(async () => {
        const how = await page.unfreeze();
        state.frozen = false;
        await page.show();
        return `unlock (${how})`;
      });
      return undefined;
    },
    async freeze() {
      await ctx.drainPage();
      const how = await page.freeze();
      state.frozen = how === 'real';
      ctx.visibility(true, `freeze (${how})`);
      return undefined;
    },
    async unfreeze() {
      await page.unfreeze();
      state.frozen = false;
      timeline.add({ kind: 'note', t: timeline.now(), message: 'unfrozen (still hidden until foreground/unlock)' });
      return undefined;
    },
    async dropSockets() {
      ctx.dropSockets('dropSockets step');
      return undefined;
    },
    async offline() {
      const how = await page.setOffline(true);
      ctx.dropSockets(`offline (${how})`);
      return undefined;
    },
    async online() {
      await page.setOffline(false);
      return undefined;
    },

    async newChat(alias) {
      const before = new Set(backend.sessions.keys());
      await target.newChat(page);
      const id = await ctx.until('the new chat to be created at the backend', STEP_MS, () =>
        [...backend.sessions.keys()].find((k) => !before.has(k)),
      );
      sessions[alias] = id;
      let read: PageRead | undefined;
      await ctx.until(
        `the UI to show session ${alias}`,
        STEP_MS,
        async () => (read = await ctx.shownInUi('sid')).sid === id,
      );
      ctx.setViewed(id);
      return read;
    },

    async send(arg) {
      const id = ctx.sessionId(arg.session);
      if (state.viewed !== id) await table.switchTo(Object.entries(sessions).find(([, s]) => s === id)![0]);
      const before = backend.runFor(id);
      backend.arm(id, arg.stream, scenario.streams[arg.stream]!);
      timeline.add({ kind: 'turn-sent', t: timeline.now(), session: id });
      await target.send(page, arg.text ?? `Please answer with stream ${arg.stream}`);
      await ctx.until('the chat to start at the backend', STEP_MS, () => {
        const r = backend.runFor(id);
        return r && r !== before ? r : null;
      });
      return undefined;
    },

    async switchTo(alias) {
      const id = ctx.sessionId(alias);
      const view = ctx.setViewed(id);
      state.switching = true;
      // A sidebar that re-renders between finding the row and clicking it can take the click elsewhere (a native
      // WebDriver click lands on coordinates); like a person, click again, up to three times in all.
      for (let attempt = 1; ; attempt++) {
        await target.switchTo(page, id);
        try {
          let read: PageRead | undefined;
          await ctx.until(
            `the UI to show session ${alias}`,
            attempt < 3 ? RECLICK_MS : STEP_MS,
            async () => (read = await ctx.shownInUi('sid')).sid === id,
          );
          view.shown = timeline.now();
          state.switching = false;
          return read;
        } catch (e) {
          if (attempt >= 3 || !(e instanceof StepFailure) || state.pageHung) throw e;
          timeline.add({
            kind: 'note',
            t: timeline.now(),
            message: `switchTo ${alias}: the click did not switch within ${RECLICK_MS / 1000} s, clicking again`,
          });
        }
      }
    },

    async stop() {
      if (!target.stop)
        throw new StepFailure(
          `the ${target.name} target has no stop button to press; remove the stop step or give the target a stop()`,
        );
      await target.stop(page);
      return undefined;
    },

    async waitFor(w) {
      const timeout = w.timeout ?? STEP_MS;
      if (w.connections !== undefined) {
        await ctx.until(
          `${w.connections} open chat streams at the server`,
          timeout,
          () => backend.ledger.openChatStreams().length === w.connections,
        );
        return undefined;
      }
      const id = ctx.sessionId(w.session);
      if (w.runEnded) {
        await ctx.until(
          'the run to end at the backend',
          timeout,
          () => backend.runFor(id) && !backend.runFor(id)!.active,
        );
        return undefined;
      }
      let tokens = w.tokens;
      if (w.moreTokens) {
        // Counted from what the UI shows now: the tokens whose answer prefix fits in the shown text, plus N.
        const now = (await ctx.shownInUi('text')).text ?? '';
        const answer = answerFor(id);
        let [shownTokens, len] = [0, 0];
        while (shownTokens < answer.length && len + answer[shownTokens]!.length <= now.length)
          len += answer[shownTokens++]!.length;
        tokens = shownTokens + w.moreTokens;
      }
      const want = w.complete ? answerFor(id).join('') : answerFor(id).slice(0, tokens).join('');
      const what = w.complete
        ? 'the whole scripted answer to render'
        : w.moreTokens
          ? `${w.moreTokens} more tokens to render (${tokens} in all)`
          : `${tokens} tokens to render`;
      // A shown answer that left the script (lost its start, doubled a token) after the run ended cannot come right
      // by waiting: once it has stood still for DIVERGED_MS the step fails instead of sitting out its timeout.
      let shown: string | null = null;
      let shownSince = Date.now();
      // A timeout says what each side had got to, so a red CI log shows where the answer stopped.
      const whereItStopped = async () => {
        const run = backend.runFor(id);
        const sockets = backend.ledger.sse.filter((r) => r.session === id && r.streamId !== null);
        const census = await ctx.drainPage();
        const parts = [
          `the UI shows ${shown === null ? 'no answer' : `${shown.length} of ${want.length} chars`}`,
          run
            ? `the server ${run.active ? 'has sent' : 'sent all'} ${run.lastSeq} events of the run`
            : 'no run started for the session',
          `${sockets.filter((r) => r.closedAt === null).length} of its ${sockets.length} stream sockets open (${sockets.reduce((n, r) => n + r.events, 0)} events written)`,
        ];
        if (census)
          parts.push(
            `the page holds ${(census.transports && transportsPhrase(census.transports)) ?? `${census.open} streams`} open, ${census.connecting} connecting`,
          );
        // What the UI believes of the page (a UI holds its stream back while hidden or offline).
        const pageState = await page
          .evaluate<string>(`document.visibilityState + (navigator.onLine ? ', online' : ', offline')`)
          .catch(() => null);
        if (pageState) parts.push(`the page is ${pageState}`);
        return parts.join('; ');
      };
      let read: PageRead | undefined;
      await ctx
        .until(what, timeout, async () => {
          if (state.viewed !== id)
            throw new StepFailure(`waitFor on session ${w.session} while viewing another session; switch to it first`);
          const text = (read = await ctx.shownInUi('text')).text ?? null;
          if (text !== shown) [shown, shownSince] = [text, Date.now()];
          const run = backend.runFor(id);
          if (
            w.complete &&
            text !== null &&
            text !== want &&
            !want.startsWith(text) &&
            run &&
            !run.active &&
            Date.now() - shownSince >= DIVERGED_MS
          ) {
            throw new StepFailure(
              `the answer shown (${text.length} chars) is not the scripted one (${want.length} chars), the run has ended and it has not changed for ${DIVERGED_MS / 1000} s`,
            );
          }
          return text !== null && (w.complete ? text === want : text.length >= want.length);
        })
        .catch(async (e: unknown) => {
          if (e instanceof StepFailure && e.message.startsWith('timed out'))
            throw new StepFailure(
              `${e.message} (${await whereItStopped().catch(() => 'no more detail: the page did not answer')})`,
            );
          throw e;
        });
      return read;
    },

    async wait(ms) {
      // Scripted time passing; a stopped run stops waiting.
      await new Promise<void>((r) => {
        const done = () => (clearTimeout(timer), r());
        const timer = setTimeout(done, ms);
        ctx.stop.addEventListener('abort', done, { once: true });
      });
      return undefined;
    },
  };
  return table;
}
