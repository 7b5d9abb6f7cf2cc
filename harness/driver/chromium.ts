// Chromium through Playwright over CDP: we start the browser ourselves so freezing works and other probes can attach.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Browser, CDPSession, Frame, Page } from 'playwright';
import { removeTempDir, shortTempDir, spawnTracked, stopTracked, tempDir } from './reaper.ts';
import { SHORT_FOLDER_PREFIX } from './owner.ts';
import { playwright, PlaywrightDrivenPage } from './common.ts';
import {
  pageWithOwnBrowser,
  type BrowserHost,
  type BrowserLauncher,
  type BrowserPage,
  type LaunchOptions,
  type LifecycleMode,
} from './types.ts';

export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-sync',
  '--disable-quic',
  // Hidden pages must keep their normal timer behaviour only when the scenario says so; the
  // defaults below stop Chromium from throttling the page for reasons of its own (occlusion, etc.).
  // Chromium 156 also preloads the omnibox's WebUI popups in headless mode: two more renderers at every start.
  '--disable-features=CalculateNativeWinOcclusion,MediaRouter,OptimizationHints,WebUIOmniboxPopup,WebUIOmniboxAimPopup',
];

/** A run's tab gets this long to be reset and blanked for the next run, else it is closed. */
const HANDOVER_MS = 5_000;

const SYSTEM_CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
];

/**
 * Where Playwright keeps its browsers (its documented defaults and PLAYWRIGHT_BROWSERS_PATH; "0" means inside
 * playwright-core). Looked at before Playwright is loaded: loading it takes half a second, which a run on the
 * system's Chromium need not wait for.
 */
function playwrightBrowsersDir(): string {
  const set = process.env.PLAYWRIGHT_BROWSERS_PATH;
  if (set === '0') return join(dirname(require.resolve('playwright-core/package.json')), '.local-browsers');
  if (set) return set;
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Caches', 'ms-playwright');
  if (process.platform === 'win32')
    return join(process.env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'), 'ms-playwright');
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'ms-playwright');
}

/** Whether Playwright may have a Chromium of its own here (a chromium-* folder where it keeps browsers). */
function mayHavePlaywrightChromium(): boolean {
  try {
    return readdirSync(playwrightBrowsersDir()).some((n) => n.startsWith('chromium'));
  } catch {
    return false;
  }
}

const require = createRequire(import.meta.url);

let found: ReturnType<typeof lookUpChromium> | undefined;
/** Playwright's own Chromium when it is installed, else the system's (looked up once). */
export function findChromium(): { path: string; source: 'playwright' | 'system' } | null {
  return (found ??= lookUpChromium());
}

function lookUpChromium(): { path: string; source: 'playwright' | 'system' } | null {
  const fromEnv = process.env.SSE_HARNESS_CHROMIUM;
  if (fromEnv) return existsSync(fromEnv) ? { path: fromEnv, source: 'system' } : null;
  if (mayHavePlaywrightChromium()) {
    try {
      const own = playwright().chromium.executablePath();
      if (own && existsSync(own)) return { path: own, source: 'playwright' };
    } catch {
      /* Playwright has no browser registry entry here */
    }
  }
  const sys = SYSTEM_CANDIDATES.find((p) => existsSync(p));
  return sys ? { path: sys, source: 'system' } : null;
}

async function waitForDevToolsPort(
  dir: string,
  child: ReturnType<typeof spawnTracked>,
  stderr: () => string,
): Promise<{ port: number; path: string }> {
  const file = join(dir, 'DevToolsActivePort');
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `sse-harness: Chromium exited at start (${child.signalCode ?? `code ${child.exitCode}`}). Its last words:\n${stderr().slice(-1500)}`,
      );
    }
    if (existsSync(file)) {
      const [port, path] = readFileSync(file, 'utf8').split('\n');
      if (port && path) return { port: Number(port), path };
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(
    `sse-harness: Chromium did not open its DevTools port within 20 s. Its last words:\n${stderr().slice(-1500)}`,
  );
}

/** Minimizes or restores the window that holds the session's tab. */
async function setWindowState(cdp: CDPSession, windowState: 'minimized' | 'normal'): Promise<void> {
  const { windowId } = await cdp.send('Browser.getWindowForTarget');
  await cdp.send('Browser.setWindowBounds', { windowId, bounds: { windowState } });
}

class ChromiumPage extends PlaywrightDrivenPage implements BrowserPage {
  readonly browser = 'chromium' as const;
  private hidden = false;
  constructor(
    readonly engine: string,
    readonly cdpPort: number,
    readonly cdpTargetId: string,
    private readonly page: Page,
    private readonly cdp: CDPSession,
    private readonly shutdown: () => Promise<void>,
  ) {
    super(page);
  }

  /** The tabs this page opened for its run: closed before it, so the tab handed to the next run is the only one. */
  private readonly tabs: ChromiumPage[] = [];

  /** A tab in the same (default) context: the same profile, so the same storage and connection pool per origin. */
  async openTab(): Promise<BrowserPage> {
    // In a window of its own: headless Chromium shows every tab of a window, and a window is what hide() minimizes
    // (freezing a tab instead stalls its fetch streams).
    const context = this.page.context();
    const browser = context.browser();
    if (!browser) throw new Error('sse-harness: this Chromium page has no browser to open a tab in');
    const opened = context.waitForEvent('page');
    const session = await browser.newBrowserCDPSession();
    try {
      await session.send('Target.createTarget', { url: 'about:blank', newWindow: true });
    } finally {
      await session.detach().catch(() => {});
    }
    const page = await opened;
    try {
      const cdp = await context.newCDPSession(page);
      await cdp.send('Page.enable');
      const { targetInfo } = await cdp.send('Target.getTargetInfo');
      const tab = new ChromiumPage(this.engine, this.cdpPort, targetInfo.targetId, page, cdp, async () => {
        await cdp.detach().catch(() => {});
        await page.close().catch(() => {});
      });
      this.tabs.push(tab);
      return tab;
    } catch (e) {
      await page.close().catch(() => {});
      throw e;
    }
  }

  /** Set while hide() has the page's window minimized: show() restores it. */
  private minimized = false;

  // A page is hidden by minimizing its window (each tab has one), as a user's switching away hides it. Freezing hides
  // a page too (leaving the frozen state keeps it hidden until focus emulation is back on), but a fetch body that
  // receives bytes while its page is frozen may get none of them after, until the response ends: a stream would
  // read as stalled for the whole hidden time and after. It stays the fallback for a page a minimized window leaves
  // visible.
  async hide(): Promise<LifecycleMode> {
    if (this.hidden) return 'real';
    await this.cdp.send('Emulation.setFocusEmulationEnabled', { enabled: false });
    await setWindowState(this.cdp, 'minimized');
    if (await this.becomesHidden()) {
      this.minimized = true;
      this.hidden = true;
      return 'real';
    }
    await setWindowState(this.cdp, 'normal');
    await this.cdp.send('Page.setWebLifecycleState', { state: 'frozen' });
    await this.cdp.send('Page.setWebLifecycleState', { state: 'active' });
    this.hidden = true;
    return 'real';
  }
  /** Whether the page reports itself hidden within a second (a minimized window hides it a moment later). */
  private async becomesHidden(): Promise<boolean> {
    const deadline = Date.now() + 1000;
    for (;;) {
      if ((await this.evaluate<string>('document.visibilityState').catch(() => '')) === 'hidden') return true;
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  async show(): Promise<LifecycleMode> {
    if (this.minimized) await setWindowState(this.cdp, 'normal');
    this.minimized = false;
    await this.cdp.send('Page.setWebLifecycleState', { state: 'active' });
    await this.cdp.send('Emulation.setFocusEmulationEnabled', { enabled: true });
    this.hidden = false;
    return 'real';
  }
  async freeze(): Promise<LifecycleMode> {
    await this.cdp.send('Emulation.setFocusEmulationEnabled', { enabled: false });
    await this.cdp.send('Page.setWebLifecycleState', { state: 'frozen' });
    this.hidden = true;
    return 'real';
  }
  async unfreeze(): Promise<LifecycleMode> {
    await this.cdp.send('Page.setWebLifecycleState', { state: 'active' });
    return 'real';
  }
  /** Set once the page's network conditions were emulated: the tab's next run must get them back to normal. */
  networkEmulated = false;
  async setOffline(offline: boolean): Promise<LifecycleMode> {
    this.networkEmulated = true;
    await this.cdp.send('Network.enable');
    await this.cdp.send('Network.emulateNetworkConditions', {
      offline,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });
    return 'real';
  }
  async close(): Promise<void> {
    for (const tab of this.tabs.splice(0)) {
      // A tab whose renderer stopped answering may share this page's renderer (same site): not handed over either.
      if (tab.state.hung) this.state.hung = true;
      await tab.close().catch(() => {});
    }
    await this.shutdown();
  }
}

/** One Chromium process serving one run's tab after another. */
class ChromiumHost implements BrowserHost {
  private alive = true;
  constructor(
    private readonly pw: Browser,
    private readonly port: number,
    private readonly engine: string,
    private readonly child: ReturnType<typeof spawnTracked>,
    private readonly shutdown: () => Promise<void>,
  ) {
    pw.on('disconnected', () => (this.alive = false));
  }

  healthy(): boolean {
    return this.alive && this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * The tab the last run handed back, blank and reset: the next run's page. A new tab costs a renderer process,
   * Playwright's page setup and a CDP session; handing an open one over costs almost nothing.
   */
  private idle: { page: Page; cdp: CDPSession } | null = null;

  async newPage(): Promise<BrowserPage> {
    // A tab per run in the browser's default context. Playwright's own contexts set up emulation defaults under which
    // Page.setWebLifecycleState no longer freezes or hides the page (measured), so a run does not get a context of
    // its own; it gets a new origin instead (each run's backend listens on a new port: storage, cache and the
    // connection pool are per origin), and the run's end wipes what it stored and every cookie.
    const context = this.pw.contexts()[0]!;
    const kept = this.idle && !this.idle.page.isClosed() ? this.idle : null;
    this.idle = null;
    const page = kept?.page ?? (await context.newPage());
    // The tab Chromium opened at start (or one a crashed run left): one page in the browser, as a user has it.
    for (const other of context.pages()) if (other !== page) await other.close().catch(() => {});
    const origins = new Set<string>();
    const navigated = (f: Frame) => {
      if (f === page.mainFrame() && /^https?:/.test(f.url())) origins.add(new URL(f.url()).origin);
    };
    page.on('framenavigated', navigated);
    try {
      const cdp = kept?.cdp ?? (await context.newCDPSession(page));
      if (!kept) await cdp.send('Page.enable');
      const { targetInfo } = await cdp.send('Target.getTargetInfo');
      const p: ChromiumPage = new ChromiumPage(this.engine, this.port, targetInfo.targetId, page, cdp, async () => {
        page.off('framenavigated', navigated);
        // A tab whose main thread stayed blocked could hold up the next tab (same site, same renderer): its renderer
        // is killed and the browser kept (restarting it costs seconds); if that cannot be done, the browser goes.
        if (p.state.hung && !(await this.killRenderers().catch(() => false))) this.alive = false;
        // Unloading the page first ends its streams and timers, so nothing writes to storage after it is wiped.
        const blank = !p.state.hung && this.alive && (await this.handOver(p, page, cdp));
        // A later run may get the same port back: nothing of this one may be waiting for it.
        for (const origin of origins)
          await cdp.send('Storage.clearDataForOrigin', { origin, storageTypes: 'all' }).catch(() => {});
        await context.clearCookies().catch(() => {});
        if (blank) this.idle = { page, cdp };
        else await page.close().catch(() => {});
      });
      return p;
    } catch (e) {
      page.off('framenavigated', navigated);
      await page.close().catch(() => {});
      throw e;
    }
  }

  /**
   * Readies a run's tab for the next: visible, focused, online, on about:blank (which unloads the page with every
   * stream and timer it held). False when that did not happen within 5 s: the tab is closed instead.
   */
  private async handOver(p: ChromiumPage, page: Page, cdp: CDPSession): Promise<boolean> {
    const reset = async () => {
      await setWindowState(cdp, 'normal');
      await cdp.send('Page.setWebLifecycleState', { state: 'active' });
      await cdp.send('Emulation.setFocusEmulationEnabled', { enabled: true });
      if (p.networkEmulated)
        await cdp.send('Network.emulateNetworkConditions', {
          offline: false,
          latency: 0,
          downloadThroughput: -1,
          uploadThroughput: -1,
        });
      // Asked of the page itself: a blank document of the same origin stays in the tab's renderer (a navigation the
      // browser starts to about:blank moves the tab to a new renderer process, and the next run's page back).
      // Session storage belongs to the tab, and Storage.clearDataForOrigin does not cover it: the page clears it.
      await Promise.all([
        page.waitForURL('about:blank', { timeout: HANDOVER_MS }),
        page.evaluate(`try { sessionStorage.clear(); } catch (e) {} location.replace('about:blank')`),
      ]);
      return true;
    };
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), HANDOVER_MS)));
    try {
      return await Promise.race([reset().catch(() => false), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Kills every renderer of the browser (one run's tab at a time lives in it); false when there was none to kill. */
  private async killRenderers(): Promise<boolean> {
    const session = await this.pw.newBrowserCDPSession();
    try {
      const { processInfo } = (await session.send('SystemInfo.getProcessInfo' as never)) as {
        processInfo: { type: string; id: number }[];
      };
      const renderers = processInfo.filter((p) => p.type === 'renderer');
      for (const r of renderers) process.kill(r.id, 'SIGKILL');
      return renderers.length > 0;
    } finally {
      await session.detach().catch(() => {});
    }
  }

  async close(): Promise<void> {
    this.alive = false;
    await this.shutdown();
  }
}

export class ChromiumLauncher implements BrowserLauncher {
  readonly browser = 'chromium' as const;

  missing(): string | null {
    return findChromium()
      ? null
      : 'Chromium not found. Install Playwright\'s build with "npx playwright install chromium", or Debian\'s with "apt-get install chromium" (or set SSE_HARNESS_CHROMIUM to a Chrome/Chromium binary).';
  }

  describe(): string {
    const c = findChromium();
    return c
      ? `Chromium (${c.source === 'playwright' ? "Playwright's build" : 'system'}: ${c.path}) via Playwright over CDP`
      : 'Chromium: not found';
  }

  async launch(opts: LaunchOptions = {}): Promise<BrowserPage> {
    return pageWithOwnBrowser(await this.start(opts));
  }

  async start(opts: LaunchOptions = {}): Promise<BrowserHost> {
    const found = findChromium();
    if (!found) throw new Error(`sse-harness: ${this.missing()}`);
    const dir = tempDir('chromium');
    // Chromium's own temp files (its Singleton* folder) go inside a folder of ours too, so a killed browser leaves
    // nothing. Its socket path must stay under the 108-byte Unix limit: a deep TMPDIR gets a short folder in /tmp.
    const tmp = dir.length <= 60 ? dir : shortTempDir(SHORT_FOLDER_PREFIX);
    const args = [
      ...CHROMIUM_FLAGS,
      '--remote-debugging-port=0',
      '--remote-debugging-address=127.0.0.1',
      `--user-data-dir=${dir}`,
    ];
    if (!opts.headed) args.push('--headless');
    if (opts.device === 'iphone') args.push('--window-size=390,844');
    args.push('about:blank');
    const child = spawnTracked(found.path, args, { env: { ...process.env, TMPDIR: tmp } });
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-8000)));
    child.stdout?.resume();
    // The process goes first: its profile is a throwaway, so nothing needs the graceful close Playwright would ask
    // for over CDP (tabs unloaded one by one, the profile flushed), which holds the command's end up.
    const shutdown = async () => {
      await stopTracked(child);
      await pw?.close().catch(() => {});
      removeTempDir(dir);
      if (tmp !== dir) removeTempDir(tmp);
    };
    let pw: Browser | undefined;
    try {
      // Loaded while Chromium starts, not before: both take about half a second.
      const { chromium } = playwright();
      const { port, path } = await waitForDevToolsPort(dir, child, () => err);
      pw = await chromium.connectOverCDP(`ws://127.0.0.1:${port}${path}`, {
        noDefaults: true,
        slowMo: opts.slowMo,
      } as Record<string, unknown>);
      const engine = `Chromium ${pw.version()} (${found.source === 'playwright' ? "Playwright's build" : found.path}) via Playwright/CDP`;
      return new ChromiumHost(pw, port, engine, child, shutdown);
    } catch (e) {
      await shutdown();
      throw e;
    }
  }
}
