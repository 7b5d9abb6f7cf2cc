// The step runner: plays a scenario's steps in a real browser against the mock backend and records the timeline.
import { MockBackend } from '../mock/backend.ts';
import type { ChatBackend } from '../mock/chat-backend.ts';
import { RealBackend } from '../mock/real-backend.ts';
import { scriptedAnswer } from '../mock/player.ts';
import { summarizeServerModel } from '../mock/server-model.ts';
import { judge } from '../oracles/index.ts';
import type { RunRecord, Verdict } from '../oracles/types.ts';
import type { Scenario, Step } from '../scenario/schema.ts';
import { PageUnresponsiveError, type BrowserLauncher, type BrowserPage, type LaunchOptions } from '../driver/types.ts';
import type { Target } from '../targets/types.ts';
import { Timeline, type TimelineEvent } from '../timeline.ts';
import { settlesWithin } from '../driver/common.ts';
import { holdAt, onCleanup } from '../driver/reaper.ts';
import { CdpProbe } from '../probe/cdp.ts';
import type { PageProbeClient } from '../probe/page-probe-client.ts';
import { TextRecorder } from './page-events.ts';
import { WitnessSampler } from './witness-sampler.ts';
import { shownOf, type PageCounts, type PageRead } from './page-read.ts';
import { BootFailure, RunStopped, StepFailure, untilDeadline, type Check } from './run-errors.ts';
import { perform } from './step-table.ts';
import type { ScenarioResultJson } from './result.ts';
import { stepHandlers, type RunState } from './steps.ts';
import { AllTabsCdp, RunTabs, type Tab } from './tabs.ts';

export { BootFailure } from './run-errors.ts';

export interface RunOptions {
  target: Target;
  launcher: BrowserLauncher;
  regress: string[];
  launch?: LaunchOptions;
  /** Called with one line of progress at each step. */
  progress?: (line: string) => void;
  /** Fixed port for the mock backend (default: ephemeral). */
  port?: number;
  /** mock (default): the harness plays the server; real: the target's own server behind the harness (target.realBackend). */
  backend?: 'mock' | 'real';
  /**
   * Stop the run once this holds for the failures judged so far that nothing later can undo (Verdict.definite):
   * a caught regression needs no more steps. The oracles not yet decided are then reported as not judged.
   */
  stopWhen?: (definiteFailures: Verdict[]) => boolean;
  /** How long the UI gets to become ready at the first open before the run is a boot failure (default 15 s). */
  bootTimeoutMs?: number;
  /** Given what the oracles judged at the end of the run (recorded timelines for oracle tests are made with it). */
  onRecord?: (record: RunRecord) => void;
  /** On a failing verdict, keep the browser and backend up (and say where) until this promise settles. */
  keepOpenOnFailure?: (where: { backend: string; cdpPort?: number }) => Promise<void>;
}

/** A run's result: what the JSON report holds for it (its type is the report schema's, runner/result.ts). */
export type ScenarioResult = ScenarioResultJson;
export type { Comparison } from './result.ts';

/** How long a UI gets to boot; a loaded 2-core runner boots a 90k-line frontend in well under this. */
const BOOT_MS = 15_000;

/**
 * Records every "page did not answer" on the timeline and turns it into a step failure instead of a harness error;
 * so is an action the page did not take in time (a click or key press on a page too busy to handle input).
 */
function watchResponsiveness(page: BrowserPage, record: (e: PageUnresponsiveError) => void): BrowserPage {
  const unresponsive = (e: PageUnresponsiveError) => {
    record(e);
    return new StepFailure(e.message.replace(/^sse-harness: /, ''));
  };
  const evaluate = page.evaluate.bind(page);
  page.evaluate = async <T>(expression: string): Promise<T> => {
    try {
      return await evaluate<T>(expression);
    } catch (e) {
      if (!(e instanceof PageUnresponsiveError)) throw e;
      throw unresponsive(e);
    }
  };
  for (const action of ['click', 'type', 'press'] as const) {
    const act = (page[action] as (...a: unknown[]) => Promise<void>).bind(page);
    (page[action] as (...a: unknown[]) => Promise<void>) = async (...args: unknown[]) => {
      try {
        await act(...args);
      } catch (e) {
        if (e instanceof PageUnresponsiveError) throw unresponsive(e);
        // Playwright's action timeout: the element was there but the page did not take the input in time.
        if ((e as Error).name === 'TimeoutError')
          throw new StepFailure(`${action} ${String(args[0])}: ${(e as Error).message.split('\n')[0]}`);
        throw e;
      }
    };
  }
  return page;
}

/** Page probe drain and text sampling period; the probe buffers events in between, so nothing is lost. */
export const SAMPLE_MS = 200;

/** The target's own server behind the harness's front, for --backend real. */
function realBackend(target: Target, timeline: Timeline, port: number | undefined): ChatBackend {
  if (!target.realBackend)
    throw new Error(
      `sse-harness: --backend real needs a target that can start its own server (hermes-webui); ${target.name} cannot. Leave out --backend, or use -t hermes-webui.`,
    );
  return new RealBackend({ ...target.realBackend(), port }, timeline);
}

export async function runScenario(scenario: Scenario, opts: RunOptions): Promise<ScenarioResult> {
  const started = Date.now();
  const timeline = new Timeline(started);
  const { target, regress } = opts;
  const backend: ChatBackend =
    opts.backend === 'real'
      ? realBackend(target, timeline, opts.port)
      : new MockBackend(
          {
            ...target.backend(),
            heartbeatMs: scenario.server?.heartbeatMs,
            retryMs: scenario.server?.retryMs,
            port: opts.port,
          },
          timeline,
        );
  const sessions: Record<string, string> = {};
  const cycles: RunRecord['cycles'] = [];
  const stepFailures: ScenarioResult['stepFailures'] = [];
  let page: BrowserPage | undefined;
  const state: RunState = {
    viewed: null,
    frozen: false,
    switching: false,
    showing: false,
    opened: false,
    pageHung: false,
  };
  let sampling: NodeJS.Timeout | undefined;
  let sampleBusy = false;
  let cdp: AllTabsCdp | undefined;
  /** The scenario's tabs (set once the page is up): the steps drive the current one, the witnesses read them all. */
  let tabs: RunTabs | undefined;
  /** The in-page probe, over the page's evaluate (set once the page is up). */
  let probe: PageProbeClient | undefined;
  let unresponsiveUntil = 0;
  const say = (s: string) => opts.progress?.(s);
  const stopper = new AbortController();
  let stoppedBy: { t: number; verdict: Verdict } | undefined;
  const until = <T>(what: string, timeoutMs: number, check: Check<T>) =>
    untilDeadline(what, timeoutMs, check, stopper.signal);
  /** What the oracles judge: the run so far (mid-run, for stopWhen) or, at the end, all of it. */
  const recordSoFar = (): RunRecord => ({
    scenario,
    timeline,
    sessions,
    scripted: Object.fromEntries(Object.values(sessions).map((id) => [id, backend.runFor(id)?.answer.join('') ?? ''])),
    endedAt: timeline.now(),
    cycles,
  });
  /** Judges what happened so far; stops the run when opts.stopWhen holds for the definite failures. */
  const checkStop = () => {
    if (!opts.stopWhen || stopper.signal.aborted || state.switching || state.showing) return;
    const definite = judge(recordSoFar(), scenario.expect).filter((v) => !v.pass && v.definite);
    if (definite.length && opts.stopWhen(definite)) {
      stoppedBy = { t: timeline.now(), verdict: definite[0]! };
      timeline.add({
        kind: 'note',
        t: stoppedBy.t,
        message: `stopped early: ${definite.map((v) => v.oracle).join(', ')} failed for good (${definite[0]!.summary})`,
      });
      say(`  stopping early: ${definite.map((v) => v.oracle).join(', ')} failed for good`);
      stopper.abort();
    }
  };

  /** Rejects with RunStopped once the run is stopped at a definite failure. */
  const stoppedPromise = new Promise<never>((_, reject) =>
    stopper.signal.addEventListener('abort', () => reject(new RunStopped()), { once: true }),
  );
  stoppedPromise.catch(() => {});
  /**
   * The page's last events and text. Once the run is stopped the page may be the reason (blocked behind a command
   * still under way): its events are taken if they come within a second, and the run does not wait longer.
   * Returns the page's stream counts read with them (null once stopped): the next sample starts from them.
   */
  const drainStopped = async () => {
    if (!stopper.signal.aborted) return await drainPage(true);
    await settlesWithin(drainPage(true), 1_000);
    return null;
  };

  const result = (partial: Partial<ScenarioResult>): ScenarioResult => ({
    scenario: scenario.name,
    file: scenario.file,
    description: scenario.description,
    catches: scenario.catches ?? [],
    timeScale: scenario.timeScale,
    browser: opts.launcher.browser,
    engine: page?.engine ?? opts.launcher.describe(),
    emulation: emulationNotes(),
    target: target.name,
    targetVersion: target.version,
    transport: target.transport,
    readySignal: target.readySignal,
    mock: backend.model ? summarizeServerModel(backend.model, target.backendModel?.why) : undefined,
    backend: backend.describe,
    regress,
    verdict: 'error',
    verdicts: [],
    stepFailures,
    findings: timeline
      .ordered()
      .flatMap((e) =>
        e.kind === 'finding'
          ? [{ t: e.t, step: e.step, finding: e.finding, summary: e.summary, witnesses: e.witnesses }]
          : [],
      ),
    witnesses: [
      'server' as const,
      ...(page ? (['page'] as const) : []),
      ...(cdp?.status().attached ? (['cdp'] as const) : []),
    ],
    durationMs: Date.now() - started,
    sessions,
    timeline: timeline.ordered(),
    ...partial,
  });

  /** What was emulated rather than real: the device profile, and page lifecycle the driver could not control. */
  const emulationNotes = (): string[] => {
    const notes = [...(page?.emulation ?? [])];
    const how = timeline.events.flatMap((e) => (e.kind === 'visibility' && e.how.includes('emulated') ? [e.how] : []));
    if (how.length)
      notes.push(
        'page visibility and freezing emulated in the page by the probe (document.hidden, visibilitychange, timers paused), not by the browser',
      );
    if (timeline.events.some((e) => e.kind === 'note' && e.message.startsWith('offline (emulated')))
      notes.push('offline emulated in the page (fetch and EventSource fail), not by the browser');
    return notes;
  };

  const texts = new TextRecorder(timeline, backend, sessions);
  const witnesses = new WitnessSampler({
    timeline,
    backend,
    target,
    state,
    texts,
    page: () => tabs?.page,
    probe: () => probe,
    cdp: () => cdp,
  });
  const drainPage = (withText = false) => witnesses.drainPage(withText);
  const sample = (step: string, pageCounts?: PageCounts | null) => witnesses.sample(step, pageCounts);

  const stopCleanup = onCleanup(async () => {
    clearInterval(sampling);
    await cdp?.close().catch(() => {});
    await page?.close().catch(() => {});
    await backend.stop().catch(() => {});
  });

  try {
    await backend.start();
    say(`  backend ${backend.url}`);
    await holdAt('launch');
    const setupStart = timeline.now();
    const unresponsive = (e: PageUnresponsiveError) => {
      // One window per blockage: commands queued behind the unanswered one overlap it.
      if (e.waitedMs === 0 || e.since < unresponsiveUntil) return;
      unresponsiveUntil = e.since + e.waitedMs;
      state.pageHung = true;
      timeline.add({ kind: 'stall', t: timeline.fromEpoch(e.since), duration: e.waitedMs, source: 'unresponsive' });
      timeline.add({ kind: 'note', t: timeline.now(), message: e.message.replace(/^sse-harness: /, '') });
    };
    page = watchResponsiveness(await opts.launcher.launch(opts.launch), unresponsive);
    say(`  browser ${page.engine}`);
    tabs = new RunTabs(page);
    probe = tabs.probe;
    const cdpStart = timeline.now();
    if (page.cdpPort) {
      // Attached before the first navigation: requests started earlier are invisible to the Network domain.
      const probe = new AllTabsCdp({ messageEvents: false });
      await probe
        .attach({ port: page.cdpPort, targetId: page.cdpTargetId })
        .then(() => (cdp = probe))
        .catch((e) =>
          timeline.add({
            kind: 'note',
            t: timeline.now(),
            message: `CDP probe unavailable, verdicts rest on the server ledger and the page probe: ${(e as Error).message}`,
          }),
        );
    }
    // What the run cost before its first step (a new tab in Chromium; a browser start on a worker's first run or after a hung page).
    timeline.add({
      kind: 'note',
      t: timeline.now(),
      message: `setup: backend ${setupStart} ms, browser page ${cdpStart - setupStart} ms${page.cdpPort ? `, CDP probe ${timeline.now() - cdpStart} ms` : ''}`,
    });
    sampling = setInterval(() => {
      if (sampleBusy) return;
      sampleBusy = true;
      void witnesses.tick(checkStop).finally(() => (sampleBusy = false));
    }, SAMPLE_MS);

    const setViewed = (id: string | null) => {
      state.viewed = tabs!.current.viewed = id;
      const alias = Object.entries(sessions).find(([, s]) => s === id)?.[0] ?? null;
      const e = {
        kind: 'view' as const,
        t: timeline.now(),
        session: id,
        alias,
        // Once there are tabs, each view is of one: every tab's chat is the user's (see viewMarks).
        ...(tabs!.all.length > 1 ? { tab: tabs!.current.name } : {}),
        shown: undefined as number | undefined,
      };
      timeline.add(e);
      return e;
    };
    const sessionId = (alias: string | undefined): string => {
      if (alias === undefined) {
        if (!state.viewed) throw new StepFailure('no session is being viewed; name one with session:');
        return state.viewed;
      }
      const id = sessions[alias];
      if (!id) throw new StepFailure(`session "${alias}" does not exist yet`);
      return id;
    };

    const runStep = async (step: Step, path: string): Promise<void> => {
      const name = Object.keys(step)[0]!;
      const arg = (step as Record<string, unknown>)[name];
      const detail =
        typeof arg === 'string' || typeof arg === 'number'
          ? String(arg)
          : name === 'send'
            ? (arg as { stream: string }).stream
            : undefined;
      if (name === 'repeat') {
        const r = (step as { repeat: { times: number; steps: Step[] } }).repeat;
        for (let i = 0; i < r.times; i++) {
          const start = timeline.now();
          say(`  ${path} repeat ${i + 1}/${r.times}`);
          for (let j = 0; j < r.steps.length; j++) await runStep(r.steps[j]!, `${path}#${i + 1}.steps[${j}]`);
          cycles.push({ path: `${path}#${i + 1}`, start, end: timeline.now() });
        }
        return;
      }
      const index = timeline.events.length;
      timeline.add({ kind: 'step-start', t: timeline.now(), index, path, step: name, detail });
      say(`  ${path} ${name}${detail ? ` ${detail}` : ''}`);
      let ok = true;
      let error: string | undefined;
      let read: PageRead | undefined;
      try {
        // A run stopped at a definite failure stops waiting for the step too: a click or a script sent to a blocked
        // page would hold the run until its own deadline (10 s for an action) although the verdict is in.
        const acting = perform(steps, step);
        acting.catch(() => {});
        read = await Promise.race([acting, stoppedPromise]);
      } catch (e) {
        if (e instanceof RunStopped) throw e;
        ok = false;
        error = (e as Error).message.split('\n')[0];
        if (!(e instanceof StepFailure)) throw e;
        throw new StepFailure(`${path} ${name}: ${error}`);
      } finally {
        timeline.add({ kind: 'step-end', t: timeline.now(), index, path, step: name, ok, error });
        // A step that ended on a read of the page (the UI showed what it waited for) starts its sample from that
        // read: a round trip less. The others read the page now.
        let pageCounts: PageCounts | null;
        if (read?.counts && !stopper.signal.aborted) {
          const both = shownOf(read);
          if (both) texts.record(both);
          pageCounts = read.counts;
        } else pageCounts = await drainStopped();
        if (!stopper.signal.aborted) await sample(`${path} ${name}`, pageCounts);
        checkStop();
      }
      if (stopper.signal.aborted) throw new RunStopped();
    };

    // Hidden time starts once the page is hidden, and ends the moment the harness starts showing it again:
    // a request the page sends while becoming visible is not a hidden-time request.
    const visibility = (hidden: boolean, how: string, t = timeline.now(), tab?: string) =>
      timeline.add({ kind: 'visibility', t, hidden, frozen: state.frozen, how, ...(tab ? { tab } : {}) });
    /** Another tab of the browser, with its witnesses (CDP attached before its first navigation, as the first's). */
    const newTab = async (name: string): Promise<Tab> => {
      const main = tabs!.main.page;
      if (!main.openTab)
        throw new StepFailure(
          `${main.engine} cannot open another tab (its driver has no openTab); run this scenario in chromium or webkit`,
        );
      const opened = watchResponsiveness(await main.openTab(), unresponsive);
      if (cdp && opened.cdpPort && opened.cdpTargetId) {
        const one = new CdpProbe({ messageEvents: false });
        await one
          .attach({ port: opened.cdpPort, targetId: opened.cdpTargetId })
          .then(() => cdp!.add(one))
          .catch(async (e) => {
            // A CDP witness of some tabs only would count fewer streams than the others: it stops for the run.
            timeline.add({
              kind: 'note',
              t: timeline.now(),
              message: `CDP probe could not attach to tab ${name}, verdicts rest on the server ledger and the page probe from here: ${(e as Error).message}`,
            });
            await cdp?.close().catch(() => {});
            cdp = undefined;
          });
      }
      return tabs!.add(name, opened);
    };
    const dropSockets = (why: string) => {
      const n = backend.dropAllStreams(why);
      timeline.add({
        kind: 'note',
        t: timeline.now(),
        message: `${why}: ${n} SSE socket${n === 1 ? '' : 's'} dropped`,
      });
    };
    /** Ready once the target's page expression holds and the backend has answered what the target needs (since `since`). */
    const answered = (path: string, since: number) =>
      timeline.events.some(
        (e) => e.kind === 'request' && e.path === path && e.t >= since && e.status >= 200 && e.status < 300,
      );
    const bootMs = opts.bootTimeoutMs ?? BOOT_MS;
    const waitReady = async (since: number, first: boolean) => {
      let pageReady = false as boolean | string;
      try {
        await until('the UI to be ready', bootMs, async () => {
          pageReady = await tabs!.page
            .evaluate<boolean>(target.readyExpression)
            .catch((e: Error) => `threw ${e.message.split('\n')[0]}`);
          return pageReady === true && (target.readyRequests ?? []).every((p) => answered(p, since));
        });
      } catch (e) {
        if (!first || !(e instanceof StepFailure)) throw e;
        // Say what held and what did not, and what the page threw: that is where a boot went wrong.
        const parts = [
          `the page's ready expression ${pageReady === true ? 'held' : pageReady === false ? 'never held' : String(pageReady)}`,
        ];
        for (const p of target.readyRequests ?? []) {
          const got = timeline.events.filter(
            (x): x is Extract<TimelineEvent, { kind: 'request' }> =>
              x.kind === 'request' && x.path === p && x.t >= since,
          );
          parts.push(
            got.length ? `GET ${p} answered ${got.map((x) => x.status).join(', ')}` : `GET ${p} never requested`,
          );
        }
        await drainPage();
        const errors = timeline.events.flatMap((x) => (x.kind === 'page-error' ? [x.message.slice(0, 200)] : []));
        if (errors.length) parts.push(`page errors: ${errors.slice(0, 3).join(' | ')}`);
        throw new BootFailure(
          `sse-harness: ${target.version} did not boot in ${opts.launcher.browser} within ${bootMs / 1000} s${target.readySignal ? ` (ready signal ${target.readySignal})` : ''}: ${parts.join('; ')}`,
        );
      }
    };

    const steps = stepHandlers({
      scenario,
      target,
      regress,
      timeline,
      backend,
      page: tabs.page,
      tabs,
      newTab,
      sessions,
      state,
      stop: stopper.signal,
      until,
      setViewed,
      sessionId,
      shownInUi: (need) => witnesses.shownInUi(need),
      drainPage: () => drainPage(),
      waitReady,
      pageUnloaded: (how, t) => {
        timeline.add({ kind: 'page-unload', t, how });
        witnesses.pageLetGo();
      },
      forgetText: () => texts.forget(),
      visibility,
      dropSockets,
    });

    for (let i = 0; i < scenario.steps.length; i++) {
      try {
        await runStep(scenario.steps[i]!, `steps[${i}]`);
      } catch (e) {
        if (e instanceof RunStopped) break;
        if (!(e instanceof StepFailure)) throw e;
        stepFailures.push({ step: e.message.split(':')[0]!, t: timeline.now(), error: e.message });
        say(`  ✗ ${e.message}`);
        break;
      }
    }

    // Settle: let every run finish and the sockets drain, so the baseline check means something.
    // (A page that stopped answering will not read its streams: no point waiting for them.)
    // A run stopped at a definite failure does not wait for the rest: its verdict is in.
    const stopped = stopper.signal.aborted;
    // Stopped early, what every witness sees at the stop goes on record, before anything drains: the failure was
    // judged on the ledger, and the samples taken while it built up may have missed its last moment.
    if (stopped) await sample('stopped', await drainStopped());
    if (scenario.settle === 'fast' && !stopped) for (const r of backend.runs.values()) r.hurry();
    const longest = stopped
      ? 0
      : Math.max(0, ...[...backend.runs.values()].map((r) => (r.active ? (state.pageHung ? 2_000 : 60_000) : 0)));
    if (longest) {
      say('  settling: waiting for every run to end');
      await until('every run to end', longest, () => [...backend.runs.values()].every((r) => !r.active)).catch(
        () => {},
      );
    }
    await until('open chat streams to drain', 2_000, () => backend.ledger.openChatStreams().length === 0).catch(
      () => {},
    );
    // Give the viewed session's final answer time to render before the last text sample (a hurried answer arrives
    // as one burst: a UI that re-renders per token may take seconds over it on a loaded machine).
    if (state.viewed && backend.runFor(state.viewed) && !state.frozen && !state.pageHung) {
      const want = backend.runFor(state.viewed)!.answer.join('');
      await until(
        'the final answer to render',
        10_000,
        async () => (await tabs!.page.evaluate<string | null>(target.answerTextExpression)) === want,
      ).catch(() => {});
    }
    const pageCounts = await drainStopped();
    if (!stopped) await sample('settled', pageCounts);
    const record = recordSoFar(); // the whole run, now that it is over
    opts.onRecord?.(record);
    let verdicts: Verdict[] = judge(record, scenario.expect);
    let stoppedEarly: ScenarioResult['stoppedEarly'];
    if (stoppedBy) {
      // Cut short: only what had failed for good stands; the rest was not given the whole run to show.
      const notJudged = verdicts.filter((v) => v.pass || !v.definite).map((v) => v.oracle);
      verdicts = verdicts.filter((v) => !v.pass && v.definite);
      if (!verdicts.length) verdicts = [stoppedBy.verdict];
      stoppedEarly = { t: stoppedBy.t, oracle: stoppedBy.verdict.oracle, notJudged };
    }
    for (const f of stepFailures) {
      verdicts.push({ oracle: 'steps', pass: false, summary: f.error, step: f.step, t: f.t, evidence: {} });
    }
    const pass = verdicts.every((v) => v.pass);
    const done = result({ verdict: pass ? 'pass' : 'fail', verdicts, stoppedEarly });
    if (!pass && opts.keepOpenOnFailure) {
      clearInterval(sampling);
      await opts.keepOpenOnFailure({ backend: backend.url, cdpPort: page?.cdpPort });
    }
    return done;
  } catch (e) {
    return result({ verdict: 'error', error: (e as Error).message, bootFailed: e instanceof BootFailure || undefined });
  } finally {
    clearInterval(sampling);
    stopCleanup();
    await cdp?.close().catch(() => {});
    await page?.close().catch(() => {});
    await backend.stop().catch(() => {});
  }
}

/** Total scripted answer length per stream, for progress lines. */
export const answerTokens = (scenario: Scenario, stream: string) =>
  scriptedAnswer(scenario.streams[stream] ?? []).length;
