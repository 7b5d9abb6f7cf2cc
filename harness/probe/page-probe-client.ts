// The in-page probe's API, typed: page-probe.js installs it in every page as window.__sseHarness, and this is the
// only module that names it. Each call is one script, so a caller can send it by whatever channel it has (Playwright,
// WebDriver, a CDP Runtime.evaluate); a page without the probe answers as if nothing were open.
import type { StreamTransport, TransportCounts } from '../timeline.ts';

/** An event the probe buffered in the page, drained with the next read. Times are epoch ms. */
export interface ProbeEvent {
  kind:
    | 'es-create'
    | 'es-open'
    | 'es-error'
    | 'es-close'
    | 'stream-create'
    | 'stream-close'
    | 'stall'
    | 'page-error'
    | 'hidden-request'
    | 'visibility'
    | 'lifecycle'
    | (string & {});
  t: number;
  duration?: number;
  source?: 'heartbeat' | 'longtask' | 'loaf';
  message?: string;
  path?: string;
  url?: string;
  /** es-create: a chat stream (counted like the server counts), and its creation stack. */
  chat?: boolean;
  stack?: string;
  /** stream-create, stream-close: a fetch stream, an XHR stream or a WebSocket (es-create is an EventSource). */
  transport?: StreamTransport;
}

/** An open chat stream and the stack that created it. */
export interface OpenStack {
  url: string;
  stack: string;
  /** Absent from probes older than the transports: an EventSource. */
  transport?: StreamTransport;
}

/**
 * One round trip: the probe's buffered events and its chat-stream counts (absent without a probe), and, when given,
 * the target's expressions for the session the UI shows and its answer (or what each threw).
 */
export interface ProbeRead {
  events: ProbeEvent[];
  open?: number;
  connecting?: number;
  /** Of open, by transport (absent from a probe older than the transports). */
  transports?: TransportCounts;
  sid?: string | null;
  text?: string | null;
  sidError?: string;
  textError?: string;
}

const H = 'window.__sseHarness';

/** The scripts, for a caller with its own way to run one (they are expressions; each returns JSON-able data). */
export const probeScripts = {
  /** ProbeRead; `shown` holds the target's expressions for the viewed session and its answer. */
  read(shown?: { sid: string; text: string }): string {
    const text = shown
      ? `try { r.sid = ${shown.sid}; } catch (e) { r.sidError = String(e); } try { r.text = ${shown.text}; } catch (e) { r.textError = String(e); }`
      : '';
    return `(() => { const h = ${H}; const r = { events: [] }; if (h) { const c = h.census(); r.events = h.drain(); r.open = c.open; r.connecting = c.connecting; r.transports = c.transports; } ${text} return r; })()`;
  },
  /** The number of open chat streams, every transport (0 without a probe). */
  openChatStreams: `(() => { const h = ${H}; return h ? h.census().open : 0; })()`,
  /** OpenStack[], or null from a probe too old to record stacks (or none). */
  openStacks: `(() => { const h = ${H}; return h && h.openStacks ? h.openStacks() : null; })()`,
  setHidden: (hidden: boolean) => `${H} && ${H}.setHidden(${hidden === true})`,
  setOffline: (offline: boolean) => `${H} && ${H}.setOffline(${offline === true})`,
} as const;

type Evaluate = <T>(expression: string) => Promise<T>;

/** The probe's API over a page's evaluate. */
export class PageProbeClient {
  constructor(private readonly evaluate: Evaluate) {}
  read(shown?: { sid: string; text: string }): Promise<ProbeRead> {
    return this.evaluate<ProbeRead>(probeScripts.read(shown));
  }
  openChatStreams(): Promise<number> {
    return this.evaluate<number>(probeScripts.openChatStreams);
  }
  /** Emulated visibility (document.hidden, visibilitychange), where the driver cannot hide the page for real. */
  async setHidden(hidden: boolean): Promise<void> {
    await this.evaluate(probeScripts.setHidden(hidden));
  }
  /** Emulated network loss (navigator.onLine, offline/online events), where the driver cannot take it away. */
  async setOffline(offline: boolean): Promise<void> {
    await this.evaluate(probeScripts.setOffline(offline));
  }
}
