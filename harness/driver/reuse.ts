// One browser per worker: starting Chromium or WebKit costs about a second each time, more than many scenarios'
// own steps. A reused browser opens each run in a fresh page (the last run's tab in Chromium and the kept
// MiniBrowser's window on WebKitGTK, each reset, blanked and its origin's storage and cookies wiped; a new context in
// Playwright's WebKit; each run's mock backend is a new origin as well), and is replaced when it died or a page in it
// stopped answering.
import type { BrowserHost, BrowserLauncher, BrowserName, BrowserPage, LaunchOptions } from './types.ts';

export class ReusedBrowser implements BrowserLauncher {
  readonly browser: BrowserName;
  private host: BrowserHost | null = null;
  private hostKey = '';

  constructor(private readonly inner: BrowserLauncher) {
    this.browser = inner.browser;
  }

  missing(): string | null {
    return this.inner.missing();
  }

  describe(): string {
    return this.inner.describe();
  }

  private starting: Promise<void> | null = null;

  /**
   * Starts the browser in the background when none is running, so a later launch() finds it ready (a worker about to
   * move to this browser warms it during its last run on the other). A failed start is left to launch() to repeat
   * and report.
   */
  warm(opts: LaunchOptions = {}): void {
    if (!this.inner.start || this.host || this.starting) return;
    this.starting = this.inner
      .start(opts)
      .then((host) => {
        this.host = host;
        this.hostKey = JSON.stringify(opts);
      })
      .catch(() => {})
      .finally(() => (this.starting = null));
  }

  async launch(opts: LaunchOptions = {}): Promise<BrowserPage> {
    if (!this.inner.start) return this.inner.launch(opts);
    if (this.starting) await this.starting;
    const key = JSON.stringify(opts);
    // A browser that is done for is stopped in the background while the next one starts (a Chromium whose tab hung
    // takes seconds to close); dispose() waits for it.
    if (this.host && (!this.host.healthy() || key !== this.hostKey)) this.retire();
    for (let attempt = 1; ; attempt++) {
      if (!this.host) {
        this.host = await this.inner.start(opts);
        this.hostKey = key;
      }
      try {
        return await this.host.newPage();
      } catch (e) {
        // The kept browser went away between runs: one fresh start, then the error stands.
        await this.dispose();
        if (attempt >= 2) throw e;
      }
    }
  }

  private readonly retiring: Promise<void>[] = [];

  private retire(): void {
    const h = this.host;
    this.host = null;
    if (h) this.retiring.push(h.close().catch(() => {}));
  }

  /** Stops the kept browser and any still closing (end of a worker); safe to call twice. */
  async dispose(): Promise<void> {
    if (this.starting) await this.starting;
    this.retire();
    await Promise.all(this.retiring.splice(0));
  }
}

/** Reused browsers for one worker, by browser name. */
export class WorkerBrowsers {
  private readonly kept = new Map<string, ReusedBrowser>();
  /** The browser of this worker's last run: its next run prefers the same one (already running). */
  last: string | undefined;
  constructor(private readonly launcherFor: (name: string) => BrowserLauncher) {}
  get(name: string): ReusedBrowser {
    let b = this.kept.get(name);
    if (!b) this.kept.set(name, (b = new ReusedBrowser(this.launcherFor(name))));
    return b;
  }
  async dispose(): Promise<void> {
    await Promise.all([...this.kept.values()].map((b) => b.dispose()));
    this.kept.clear();
  }
}

/**
 * The workers' browsers, lent out one set at a time: a sweep's next ref takes a worker's set as soon as that worker
 * finds nothing left to run at the current ref, instead of waiting for the ref's last run.
 */
export class BrowserPool {
  private readonly idle: WorkerBrowsers[];
  private readonly waiting: ((b: WorkerBrowsers) => void)[] = [];
  constructor(readonly all: WorkerBrowsers[]) {
    this.idle = [...all];
  }
  get size(): number {
    return this.all.length;
  }
  acquire(): Promise<WorkerBrowsers> {
    const b = this.idle.shift();
    return b ? Promise.resolve(b) : new Promise((r) => this.waiting.push(r));
  }
  release(b: WorkerBrowsers): void {
    const next = this.waiting.shift();
    if (next) next(b);
    else this.idle.push(b);
  }
}
