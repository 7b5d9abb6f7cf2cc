// WebKit, two ways: Playwright's own WebKit build where it is installed, else WebKitGTK's MiniBrowser through
// W3C WebDriver (WebKitWebDriver, under Xvfb when there is no display). The same WebDriver code reaches Safari
// on macOS through `safaridriver --enable` (untested here). WebDriver cannot freeze a page, hide it or take its
// network away, so those are emulated in the page by the probe, and the report says so.
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright';
import {
  emulatedLifecycle,
  FIELD_TEXT,
  FOCUS_FIELD,
  playwright,
  PlaywrightDrivenPage,
  SCRIPT_DEADLINE_MS,
  settlesWithin,
} from './common.ts';
import { spawnTracked, stopTracked } from './reaper.ts';
import { markedEnv } from './owner.ts';
import {
  pageWithOwnBrowser,
  PageUnresponsiveError,
  type BrowserHost,
  type BrowserLauncher,
  type BrowserPage,
  type LaunchOptions,
  type LifecycleMode,
} from './types.ts';
import { oneLine } from '../printable.ts';
import { probeScripts } from '../probe/page-probe-client.ts';

const MINIBROWSER_DIRS = [
  '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1',
  '/usr/lib/aarch64-linux-gnu/webkit2gtk-4.1',
  '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.0',
  '/usr/libexec/webkit2gtk-4.1',
];
const DRIVER_PATHS = ['/usr/bin/WebKitWebDriver', '/usr/local/bin/WebKitWebDriver'];
const XVFB_PATHS = ['/usr/bin/Xvfb', '/usr/local/bin/Xvfb'];
/** A WebDriver command that has not answered by then never will: the run fails with a clear error instead of hanging. */
const COMMAND_TIMEOUT_MS = 30_000;
/** A page script not done by then means a blocked main thread (our scripts take milliseconds). */
const SCRIPT_TIMEOUT_MS = SCRIPT_DEADLINE_MS;
/**
 * WebKitWebDriver answers "script timeout" only once the page's main thread is free again: a blocked page gets no
 * answer at all. Past the script timeout and this much slack, the harness stops waiting (as it does in Chromium).
 */
const SCRIPT_ANSWER_SLACK_MS = 500;
/** How long each step of handing a kept MiniBrowser's window to the next run may take. */
const HANDOVER_STEP_MS = 5_000;
/** What an iPhone 14 browser says it is; WebKitGTK can send it, it cannot become one. */
const IPHONE_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1';

export interface WebKitFound {
  kind: 'playwright' | 'webkitgtk';
  path: string;
  driver?: string;
  xvfb?: string | null;
}

function playwrightWebKit(): string | null {
  try {
    const p = playwright().webkit.executablePath();
    return p && existsSync(p) ? p : null;
  } catch {
    return null;
  }
}

export function findWebKit(): WebKitFound | null {
  const pw = playwrightWebKit();
  if (pw) return { kind: 'playwright', path: pw };
  const mini = MINIBROWSER_DIRS.map((d) => `${d}/MiniBrowser`).find((p) => existsSync(p));
  const driver = DRIVER_PATHS.find((p) => existsSync(p));
  if (!mini || !driver) return null;
  return { kind: 'webkitgtk', path: mini, driver, xvfb: XVFB_PATHS.find((p) => existsSync(p)) ?? null };
}

export const WEBKIT_INSTALL_HINT =
  'WebKit not found. Install Playwright\'s build with "npx playwright install webkit", or WebKitGTK with "apt-get install webkit2gtk-driver xvfb" (Debian/Ubuntu; npm run setup does this when run as root).';

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });
}

async function until<T>(what: string, ms: number, check: () => Promise<T | null> | T | null): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== null) return v;
    if (Date.now() > deadline) throw new Error(`sse-harness: timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

// ------------------------------------------------------------------------------------------ WebDriver (WebKitGTK)

class WebDriverError extends Error {}

/**
 * type(): once the field (arguments[0]) is ready (see FOCUS_FIELD), replaces its text with arguments[1] as one
 * insertion (beforeinput and input events, as Playwright's fill does). Answers { el } with the element (a WebDriver
 * reference) and whether the field took the text, or {} while the field is not ready.
 */
const FILL_SCRIPT = `const [selector, text] = arguments;
const el = (${FOCUS_FIELD})(selector);
if (!el) return {};
const current = ${FIELD_TEXT};
if (current(el) !== text) document.execCommand(text ? 'insertText' : 'delete', false, text);
if (current(el) !== text && !el.isContentEditable) {
  el.value = text;
  el.dispatchEvent(new InputEvent('input', { bubbles: true, inputType: 'insertText', data: text }));
}
return { el, filled: current(el) === text };`;

/**
 * One WebDriver session's commands, one at a time (WebKitWebDriver deadlocks a navigation when a script is sent while
 * it loads), and the window they go to: the session's pages (tabs) share both.
 */
interface SessionChannel {
  queue: Promise<unknown>;
  /** The window handle commands go to now; null when unknown (the current window was closed). */
  current: string | null;
}

class WebDriverPage implements BrowserPage {
  readonly browser = 'webkit' as const;
  readonly cdpPort = undefined;
  constructor(
    readonly engine: string,
    private readonly base: string,
    /** What the iPhone profile could and could not emulate, for the report. */
    readonly emulation: string[],
    private readonly shutdown: () => Promise<void>,
    private readonly channel: SessionChannel = { queue: Promise.resolve(), current: null },
    /** This page's window; null while it is the session's only one (never switched away from). */
    private handle: string | null = null,
  ) {}

  /** The page stopped answering a script: its MiniBrowser is not reused. */
  hung = false;
  /** The tabs this page opened for its run: closed before it, so the window handed to the next run is the only one. */
  private readonly tabs: WebDriverPage[] = [];

  /** One WebDriver command on this page's window, after those before it; timeoutMs overrides the default deadline. */
  cmd<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, timeoutMs?: number): Promise<T> {
    return this.inTurn(async () => {
      await this.focus();
      return this.send<T>(method, path, body, timeoutMs);
    });
  }

  /** Work on the session after the commands before it. */
  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    const run = this.channel.queue.then(work);
    this.channel.queue = run.catch(() => {});
    return run;
  }

  /** WebDriver commands go to the session's current window: this page's is made current when another one was. */
  private async focus(): Promise<void> {
    if (this.handle === null || this.channel.current === this.handle) return;
    this.channel.current = null;
    await this.send('POST', '/window', { handle: this.handle });
    this.channel.current = this.handle;
  }

  /**
   * Another window of the same MiniBrowser (its storage and connection pool), driven through its own window handle.
   * A window, not a tab: a MiniBrowser tab opened by WebDriver stays behind the first, hidden for real, and switching
   * to its handle does not bring it forward; the harness hides and shows each page itself (emulated, as always here).
   */
  async openTab(): Promise<BrowserPage> {
    const handle = await this.inTurn(async () => {
      await this.focus();
      if (this.handle === null) this.channel.current = this.handle = await this.send<string>('GET', '/window');
      // The new window gets this one's size: a device profile's viewport is its window size here.
      const { width, height } = await this.send<{ width: number; height: number }>('GET', '/window/rect');
      const opened = (await this.send<{ handle: string }>('POST', '/window/new', { type: 'window' })).handle;
      await this.send('POST', '/window', { handle: opened });
      this.channel.current = opened;
      await this.send('POST', '/window/rect', { width, height }).catch(() => {});
      return opened;
    });
    const tab: WebDriverPage = new WebDriverPage(
      this.engine,
      this.base,
      this.emulation,
      async () => {
        // A blocked tab would not close either: its MiniBrowser is not reused (see close()).
        if (tab.hung) return;
        await tab.cmd('DELETE', '/window', undefined, HANDOVER_STEP_MS);
        this.channel.current = null;
      },
      this.channel,
      handle,
    );
    this.tabs.push(tab);
    return tab;
  }

  /** One command; with SSE_HARNESS_DEBUG_WEBDRIVER set, each is logged to stderr with its time and outcome. */
  private async send<T>(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    body?: unknown,
    timeoutMs?: number,
  ): Promise<T> {
    if (!process.env.SSE_HARNESS_DEBUG_WEBDRIVER) return this.exchange<T>(method, path, body, timeoutMs);
    const sent = Date.now();
    let outcome = 'ok';
    try {
      return await this.exchange<T>(method, path, body, timeoutMs);
    } catch (e) {
      outcome = (e as Error).message.replace(/^sse-harness: /, '');
      throw e;
    } finally {
      process.stderr.write(
        `${oneLine(`webdriver ${new Date(sent).toISOString().slice(11, 23)} +${Date.now() - sent} ms ${method} ${path} ${body === undefined ? '' : JSON.stringify(body).slice(0, 100)} → ${outcome}`)}\n`,
      );
    }
  }

  private async exchange<T>(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    body?: unknown,
    timeoutMs?: number,
  ): Promise<T> {
    const shown = `${method} ${path || '/'}`;
    let res: Response;
    const sent = Date.now();
    const isScript = path.startsWith('/execute');
    // Once a page stopped answering, scripts queued behind it are not sent: each would wait out its own deadline.
    if (isScript && this.hung)
      throw new PageUnresponsiveError(
        `sse-harness: the page stopped answering earlier (WebDriver ${shown} not sent)`,
        sent,
        0,
      );
    const unresponsive = () => {
      this.hung = true;
      return new PageUnresponsiveError(
        `sse-harness: the page did not answer for ${((Date.now() - sent) / 1000).toFixed(1)} s (WebDriver ${shown}): its main thread is blocked`,
        sent,
        Date.now() - sent,
      );
    };
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers: body === undefined ? undefined : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(
          timeoutMs ?? (isScript ? SCRIPT_TIMEOUT_MS + SCRIPT_ANSWER_SLACK_MS : COMMAND_TIMEOUT_MS),
        ),
      });
    } catch (e) {
      if ((e as Error).name === 'TimeoutError' && isScript) throw unresponsive();
      const why =
        (e as Error).name === 'TimeoutError'
          ? `no answer within ${((Date.now() - sent) / 1000) | 0} s`
          : `the driver is gone (${(e as Error).message})`;
      throw new WebDriverError(`sse-harness: WebDriver ${shown}: ${why}`);
    }
    const data = (await res.json().catch(() => ({}))) as { value?: unknown };
    const v = data.value as { error?: string; message?: string } | undefined;
    if (isScript && v && typeof v === 'object' && v.error === 'script timeout') throw unresponsive();
    if (!res.ok || (v && typeof v === 'object' && 'error' in v && v.error)) {
      throw new WebDriverError(
        `sse-harness: WebDriver ${shown} failed: ${v?.error ?? res.status}${v?.message ? ` (${v.message})` : ''}`,
      );
    }
    return data.value as T;
  }

  async goto(url: string): Promise<void> {
    await this.cmd('POST', '/url', { url });
  }

  async evaluate<T>(expression: string): Promise<T> {
    // Same contract as Playwright's evaluate: an expression, awaited if it is a promise, returned as JSON.
    const script = `const done = arguments[arguments.length - 1];
Promise.resolve().then(() => (${expression})).then(
  (v) => done({ ok: v === undefined ? null : v }),
  (e) => done({ err: String((e && e.stack) || e) }));`;
    const r = await this.cmd<{ ok?: T; err?: string }>('POST', '/execute/async', { script, args: [] });
    if (r && typeof r === 'object' && 'err' in r && r.err !== undefined)
      throw new Error(`sse-harness: page script failed: ${r.err.split('\n')[0]}`);
    return (r as { ok: T }).ok;
  }

  private async element(selector: string): Promise<string> {
    const found = await until(`element ${selector}`, 10_000, async () => {
      try {
        const v = await this.cmd<Record<string, string>>('POST', '/element', {
          using: 'css selector',
          value: selector,
        });
        return Object.values(v)[0] ?? null;
      } catch (e) {
        // Not there yet, or replaced while WebKitWebDriver was looking it up (a sidebar re-rendering): look again.
        if (e instanceof WebDriverError && /no such element|stale element reference/.test(e.message)) return null;
        throw e;
      }
    });
    return found;
  }

  async click(selector: string): Promise<void> {
    const id = await this.element(selector);
    try {
      await this.cmd('POST', `/element/${id}/click`, {});
    } catch (e) {
      // Off-screen or covered (small mobile viewport): a DOM click is what a tap does to this UI.
      if (!(e instanceof WebDriverError)) throw e;
      await this.evaluate(`(document.querySelector(${JSON.stringify(selector)}).click(), null)`);
    }
  }

  /** The element type() last filled, reused by a press() on the same selector (one lookup less per send). */
  private filled?: { selector: string; id: string };

  async type(selector: string, text: string): Promise<void> {
    // Filled as Playwright's fill does it in Chromium: focused, its text replaced by one insertion with its input
    // events, in one page script: key by key would cost a WebDriver round trip per character.
    const got = await until(`element ${selector} to be visible, enabled and editable`, 10_000, async () => {
      const r = await this.cmd<{ el?: Record<string, string>; filled?: boolean }>('POST', '/execute/sync', {
        script: FILL_SCRIPT,
        args: [selector, text],
      });
      return r && r.el ? r : null;
    });
    if (!got.filled) throw new Error(`sse-harness: could not fill ${selector}: it did not take the text`);
    this.filled = { selector, id: Object.values(got.el!)[0]! };
  }

  async press(selector: string, key: 'Enter'): Promise<void> {
    const keys = { text: key === 'Enter' ? '\uE007' : key };
    const kept = this.filled?.selector === selector ? this.filled.id : undefined;
    this.filled = undefined;
    if (kept) {
      try {
        return void (await this.cmd('POST', `/element/${kept}/value`, keys));
      } catch (e) {
        // Re-rendered since it was filled: look it up again.
        if (!(e instanceof WebDriverError && /stale element reference|no such element/.test(e.message))) throw e;
      }
    }
    await this.cmd('POST', `/element/${await this.element(selector)}/value`, keys);
  }

  async reload(): Promise<void> {
    await this.cmd('POST', '/refresh', {});
  }

  // WebDriver has no page lifecycle control: the probe emulates visibility and connectivity in the page.
  private readonly lifecycle = emulatedLifecycle((js) => this.evaluate(js));
  hide = () => this.lifecycle.hide();
  show = () => this.lifecycle.show();
  freeze = () => this.lifecycle.freeze();
  unfreeze = () => this.lifecycle.unfreeze();
  async setOffline(offline: boolean): Promise<LifecycleMode> {
    await this.evaluate(probeScripts.setOffline(offline));
    return 'emulated';
  }
  async close(): Promise<void> {
    // After any command still under way (a sample the run's end overtook): the window is not changed under it. One
    // that takes over a second is waiting on a blocked page (a run stopped at its verdict does not wait for it):
    // the page counts as stopped answering, and its MiniBrowser is not reused.
    for (const tab of this.tabs.splice(0)) {
      // One MiniBrowser answers all its tabs' commands in turn: a tab that stopped answering holds up this one too.
      await tab.close().catch(() => (tab.hung = true));
      if (tab.hung) this.hung = true;
    }
    if (!(await settlesWithin(this.channel.queue, 1_000))) this.hung = true;
    await this.shutdown();
  }
}

/** Starts Xvfb on a free display; resolves with its DISPLAY. */
async function startXvfb(path: string): Promise<{ display: string; child: ReturnType<typeof spawnTracked> }> {
  const child = spawnTracked(path, ['-displayfd', '3', '-screen', '0', '1280x900x24', '-nolisten', 'tcp'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  const fd3 = child.stdio[3] as NodeJS.ReadableStream;
  let out = '';
  fd3.on('data', (d: Buffer) => (out += d.toString()));
  const n = await until('Xvfb to pick a display', 10_000, () => {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`sse-harness: Xvfb exited at start: ${err.trim().split('\n').slice(-3).join(' ')}`);
    const m = /^(\d+)\n/.exec(out);
    return m ? m[1]! : null;
  });
  return { display: `:${n}`, child };
}

export class WebKitGtkLauncher implements BrowserLauncher {
  readonly browser = 'webkit' as const;
  constructor(private readonly found: WebKitFound) {}

  missing(): string | null {
    if (!this.found.xvfb)
      return 'WebKitGTK is installed but Xvfb is not: install it with "apt-get install xvfb" (headless WebKitGTK runs in a private X server).';
    return null;
  }

  describe(): string {
    return `WebKitGTK MiniBrowser (${this.found.path}) via WebDriver (${this.found.driver})${process.env.DISPLAY ? '' : ' under Xvfb'}`;
  }

  async launch(opts: LaunchOptions = {}): Promise<BrowserPage> {
    return pageWithOwnBrowser(await this.start(opts));
  }

  /** Xvfb, WebKitWebDriver and a MiniBrowser (WebDriver session), kept; each page is its window, wiped and blanked in between. */
  async start(opts: LaunchOptions = {}): Promise<BrowserHost> {
    const stops: (() => Promise<void>)[] = [];
    const shutdown = async () => {
      for (const s of stops.reverse()) await s().catch(() => {});
      stops.length = 0;
    };
    try {
      // Headless runs go to a private Xvfb even on a desktop (no windows popping up); --headed uses the real display.
      let display = process.env.DISPLAY;
      let underXvfb = false;
      const children: ReturnType<typeof spawnTracked>[] = [];
      if (!(opts.headed && display)) {
        if (!this.found.xvfb)
          throw new Error(
            'sse-harness: WebKitGTK needs a display for headless runs: install Xvfb ("apt-get install xvfb").',
          );
        const x = await startXvfb(this.found.xvfb!);
        stops.push(() => stopTracked(x.child));
        children.push(x.child);
        display = x.display;
        underXvfb = true;
      }
      const port = await freePort();
      const driver = spawnTracked(this.found.driver!, [`--port=${port}`], {
        env: { ...process.env, DISPLAY: display },
      });
      stops.push(() => stopTracked(driver));
      children.push(driver);
      let err = '';
      driver.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
      driver.stdout?.resume();
      const base = `http://127.0.0.1:${port}`;
      await until('WebKitWebDriver to listen', 10_000, async () => {
        if (driver.exitCode !== null || driver.signalCode !== null)
          throw new Error(`sse-harness: WebKitWebDriver exited at start: ${err.trim().slice(-500)}`);
        const ok = await fetch(`${base}/status`).then(
          (r) => r.ok,
          () => false,
        );
        return ok ? true : null;
      });
      return new WebKitGtkHost(this.found, opts, base, underXvfb, children, shutdown);
    } catch (e) {
      await shutdown();
      throw e;
    }
  }
}

class WebKitGtkHost implements BrowserHost {
  private broken = false;
  constructor(
    private readonly found: WebKitFound,
    private readonly opts: LaunchOptions,
    private readonly base: string,
    private readonly underXvfb: boolean,
    private readonly children: ReturnType<typeof spawnTracked>[],
    private readonly shutdown: () => Promise<void>,
  ) {}

  healthy(): boolean {
    return !this.broken && this.children.every((c) => c.exitCode === null && c.signalCode === null);
  }

  /** The kept MiniBrowser (a WebDriver session); each run gets its window, blanked and wiped after the run before. */
  private session: { url: string; engine: string; emulation: string[] } | null = null;

  /** A MiniBrowser as a new WebDriver session (about a second, more on a loaded machine): once per worker. */
  private async startSession(): Promise<NonNullable<WebKitGtkHost['session']>> {
    const { opts, base } = this;
    const emulation: string[] = [];
    const args = ['--automation'];
    if (opts.device === 'iphone') {
      args.push(`--user-agent=${IPHONE_UA}`);
      emulation.push('viewport 390×844 (window size)', 'iPhone user agent');
      emulation.push('not emulated: touch events, device scale factor 3 (WebDriver cannot set them on WebKitGTK)');
    }
    const res = await fetch(`${base}/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        capabilities: {
          alwaysMatch: {
            browserName: 'MiniBrowser',
            pageLoadStrategy: 'normal',
            timeouts: { pageLoad: 20_000, script: SCRIPT_TIMEOUT_MS, implicit: 0 },
            'webkitgtk:browserOptions': { binary: this.found.path, args },
          },
        },
      }),
      signal: AbortSignal.timeout(COMMAND_TIMEOUT_MS),
    }).catch((e) => {
      this.broken = true;
      throw new Error(`sse-harness: WebKitWebDriver did not answer a new session: ${(e as Error).message}`);
    });
    const created = (await res.json()) as {
      value: { sessionId?: string; error?: string; message?: string; capabilities?: { browserVersion?: string } };
    };
    if (!created.value.sessionId) {
      this.broken = true;
      throw new Error(
        `sse-harness: WebKitWebDriver could not start MiniBrowser: ${created.value.error ?? res.status} ${created.value.message ?? ''}`.trim(),
      );
    }
    const engine = `WebKitGTK ${created.value.capabilities?.browserVersion ?? '?'} (MiniBrowser) via WebDriver${this.underXvfb ? ' under Xvfb' : ''}${opts.device ? ` · ${opts.device} profile (emulated: ${emulation.filter((e) => !e.startsWith('not')).join(', ')})` : ''}`;
    return { url: `${base}/session/${created.value.sessionId}`, engine, emulation };
  }

  /**
   * Ends a run's page and readies the window for the next one: wipes what the page's origin stored (a later run may
   * get the same port back), then loads about:blank, which unloads the page with every stream and timer it held
   * (measured: the server sees its EventSource close within 40 ms, its polling stops). A fresh window would cost a
   * new web process each run (0.4-1.6 s on a loaded machine); the blank page costs 30-160 ms.
   */
  private async handOver(page: WebDriverPage): Promise<void> {
    // Each step gets 5 s: a window that takes longer is not handed over, its MiniBrowser is ended instead.
    await page.cmd('DELETE', '/cookie', undefined, HANDOVER_STEP_MS).catch(() => {});
    await page
      .cmd(
        'POST',
        '/execute/async',
        {
          script: `const done = arguments[arguments.length - 1];
try { localStorage.clear(); sessionStorage.clear(); } catch (e) {}
const dbs = (window.indexedDB && indexedDB.databases) ? indexedDB.databases().then((l) => l.forEach((d) => indexedDB.deleteDatabase(d.name))) : null;
const cs = window.caches ? caches.keys().then((k) => Promise.all(k.map((n) => caches.delete(n)))) : null;
const sw = navigator.serviceWorker ? navigator.serviceWorker.getRegistrations().then((r) => Promise.all(r.map((x) => x.unregister()))) : null;
Promise.all([dbs, cs, sw].map((p) => p && p.catch(() => {}))).then(() => done(null), () => done(null));`,
          args: [],
        },
        HANDOVER_STEP_MS,
      )
      .catch(() => {});
    await page.cmd('POST', '/url', { url: 'about:blank' }, HANDOVER_STEP_MS);
  }

  async newPage(): Promise<BrowserPage> {
    if (!this.session) this.session = await this.startSession();
    const { url: session, engine, emulation } = this.session;
    const page: WebDriverPage = new WebDriverPage(engine, session, emulation, async () => {
      // A page that stopped answering, or one that would not unload, may hold on to its streams: its MiniBrowser is
      // ended and the next run gets a new one. Otherwise the next run gets the same window, blank.
      const handedOver =
        !page.hung &&
        (await this.handOver(page).then(
          () => true,
          () => false,
        ));
      if (handedOver) return;
      this.session = null;
      // WebKitWebDriver answers a session's commands in turn: behind a script the blocked page never finishes, ending
      // the session would wait out its timeout. The whole host is replaced instead (in the background, see reuse.ts).
      if (page.hung) return void (this.broken = true);
      const ended = await fetch(session, { method: 'DELETE', signal: AbortSignal.timeout(5_000) }).then(
        (r) => r.ok,
        () => false,
      );
      if (!ended) this.broken = true;
    });
    if (this.opts.device === 'iphone')
      await page.cmd('POST', '/window/rect', { width: 390, height: 844 }).catch(() => {});
    return page;
  }

  async close(): Promise<void> {
    this.broken = true;
    const session = this.session;
    this.session = null;
    if (session) await fetch(session.url, { method: 'DELETE', signal: AbortSignal.timeout(5_000) }).catch(() => {});
    await this.shutdown();
  }
}

// ------------------------------------------------------------------------------------------ Playwright's WebKit

class PlaywrightWebKitPage extends PlaywrightDrivenPage implements BrowserPage {
  readonly browser = 'webkit' as const;
  readonly cdpPort = undefined;
  constructor(
    readonly engine: string,
    private readonly context: BrowserContext,
    page: Page,
    readonly emulation: string[],
  ) {
    super(page);
  }
  private readonly lifecycle = emulatedLifecycle((js) => this.evaluate(js));
  hide = () => this.lifecycle.hide();
  show = () => this.lifecycle.show();
  freeze = () => this.lifecycle.freeze();
  unfreeze = () => this.lifecycle.unfreeze();
  async setOffline(offline: boolean): Promise<LifecycleMode> {
    await this.context.setOffline(offline);
    return 'real';
  }
  /** A tab in the same context (its storage and connection pool); closed with the context, the run's page's close. */
  async openTab(): Promise<BrowserPage> {
    const page = await this.context.newPage();
    const tab = new PlaywrightWebKitPage(this.engine, this.context, page, this.emulation);
    tab.close = () => page.close().catch(() => {});
    return tab;
  }
  async close(): Promise<void> {
    await this.context.close().catch(() => {});
  }
}

/** Playwright's WebKit: one browser, a fresh context per page. */
class PlaywrightWebKitHost implements BrowserHost {
  constructor(
    private readonly b: Browser,
    private readonly opts: LaunchOptions,
  ) {}
  healthy(): boolean {
    return this.b.isConnected();
  }
  async newPage(): Promise<BrowserPage> {
    const device = this.opts.device === 'iphone' ? playwright().devices['iPhone 14'] : undefined;
    const context = await this.b.newContext(device ? { ...device } : {});
    try {
      const page = await context.newPage();
      const emulation = device
        ? [
            `Playwright device "iPhone 14": viewport ${device.viewport.width}×${device.viewport.height}, scale ${device.deviceScaleFactor}, touch, mobile user agent`,
          ]
        : [];
      return new PlaywrightWebKitPage(
        `WebKit ${this.b.version()} (Playwright)${device ? ' · iPhone 14 profile' : ''}`,
        context,
        page,
        emulation,
      );
    } catch (e) {
      await context.close().catch(() => {});
      throw e;
    }
  }
  async close(): Promise<void> {
    await this.b.close().catch(() => {});
  }
}

export class PlaywrightWebKitLauncher implements BrowserLauncher {
  readonly browser = 'webkit' as const;
  constructor(private readonly found: WebKitFound) {}
  missing(): string | null {
    return null;
  }
  describe(): string {
    return `WebKit (Playwright's build: ${this.found.path})`;
  }
  async launch(opts: LaunchOptions = {}): Promise<BrowserPage> {
    return pageWithOwnBrowser(await this.start(opts));
  }
  async start(opts: LaunchOptions = {}): Promise<BrowserHost> {
    return new PlaywrightWebKitHost(
      await playwright().webkit.launch({
        headless: !opts.headed,
        slowMo: opts.slowMo,
        env: markedEnv() as Record<string, string>,
      }),
      opts,
    );
  }
}

/** Playwright's WebKit when installed, else WebKitGTK through WebDriver; a launcher that explains when neither is here. */
export function webkitLauncher(): BrowserLauncher {
  const found = findWebKit();
  if (found?.kind === 'playwright') return new PlaywrightWebKitLauncher(found);
  if (found) return new WebKitGtkLauncher(found);
  return {
    browser: 'webkit',
    missing: () => WEBKIT_INSTALL_HINT,
    describe: () => 'WebKit: not found',
    launch: async () => {
      throw new Error(`sse-harness: ${WEBKIT_INSTALL_HINT}`);
    },
  };
}
