// The driver interface: what the step runner, probes and oracles may ask of a browser, whatever protocol serves it.

export type BrowserName = 'chromium' | 'webkit';

export interface LaunchOptions {
  headed?: boolean;
  slowMo?: number;
  /** Mobile emulation where the driver supports it. */
  device?: 'iphone';
}

/** How a visibility change was achieved: for real by the browser, or emulated in the page by the probe. */
export type LifecycleMode = 'real' | 'emulated';

export interface BrowserPage {
  readonly browser: BrowserName;
  /** Human-readable: which binary and protocol. */
  readonly engine: string;
  /** DevTools port when the browser speaks CDP (Chromium), for the CDP probe. */
  readonly cdpPort?: number;
  /** The page's DevTools target: one browser serves many pages when it is reused across runs. */
  readonly cdpTargetId?: string;
  /** What a device profile could and could not emulate on this driver, for the report. */
  readonly emulation?: string[];
  goto(url: string): Promise<void>;
  /** Evaluates a JavaScript expression in the page (a promise is awaited) and returns its JSON value. */
  evaluate<T>(expression: string): Promise<T>;
  click(selector: string): Promise<void>;
  type(selector: string, text: string): Promise<void>;
  press(selector: string, key: 'Enter'): Promise<void>;
  reload(): Promise<void>;
  /** Page hidden, timers still running (app in background). */
  hide(): Promise<LifecycleMode>;
  show(): Promise<LifecycleMode>;
  /** Page frozen: hidden and no tasks run (locked screen). */
  freeze(): Promise<LifecycleMode>;
  unfreeze(): Promise<LifecycleMode>;
  /** Network gone / back. */
  setOffline(offline: boolean): Promise<LifecycleMode>;
  /**
   * Another tab of the same browser and profile (one connection pool and storage per origin), blank, for the same
   * run: closed with this page at the latest. Absent where the driver cannot open one.
   */
  openTab?(): Promise<BrowserPage>;
  close(): Promise<void>;
}

export interface BrowserLauncher {
  readonly browser: BrowserName;
  /** Null when usable, else a sentence on what is missing and how to install it. */
  missing(): string | null;
  describe(): string;
  /** A browser of its own for one page: closing the page stops the browser. */
  launch(opts?: LaunchOptions): Promise<BrowserPage>;
  /** A browser that serves many pages one after another, each fresh (see ReusedBrowser). */
  start?(opts?: LaunchOptions): Promise<BrowserHost>;
}

/** A running browser (with its driver and display) that opens fresh pages: no cookies or storage carried over from the last. */
export interface BrowserHost {
  newPage(): Promise<BrowserPage>;
  /** False once the browser died or one of its pages stopped answering: it is not trusted with another run. */
  healthy(): boolean;
  close(): Promise<void>;
}

/** A launcher for hosts: launch() is a host with one page, closed with it. */
export async function pageWithOwnBrowser(host: BrowserHost): Promise<BrowserPage> {
  try {
    const page = await host.newPage();
    const close = page.close.bind(page);
    page.close = async () => {
      await close().catch(() => {});
      await host.close();
    };
    return page;
  } catch (e) {
    await host.close();
    throw e;
  }
}

/**
 * The page did not answer a driver command in time: its main thread is blocked (or starved by queued events).
 * The runner records the window as a main-thread stall the harness itself observed, and fails the step.
 */
export class PageUnresponsiveError extends Error {
  constructor(
    message: string,
    /** When the unanswered command was sent (epoch ms). */
    readonly since: number,
    readonly waitedMs: number,
  ) {
    super(message);
    this.name = 'PageUnresponsiveError';
  }
}
