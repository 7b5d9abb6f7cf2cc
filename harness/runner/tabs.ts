// A run's tabs: the pages of one browser a scenario opened (the first is "main"), which one the user has in front, and
// what each shows. Steps act on the current tab through `page`; the witnesses read every tab, as the connection pool
// they judge is the origin's, shared by all of them.
import type { BrowserPage } from '../driver/types.ts';
import { CdpProbe, type CdpCensus, type CdpLongTask, type CdpNetworkEvent } from '../probe/cdp.ts';
import { PageProbeClient, type ProbeRead } from '../probe/page-probe-client.ts';
import { FIRST_TAB, type TransportCounts } from '../timeline.ts';

export interface Tab {
  readonly name: string;
  readonly page: BrowserPage;
  readonly probe: PageProbeClient;
  /** The session the tab shows (its backend id), null before the first. */
  viewed: string | null;
  /** Sent to the background by a switch to another tab. */
  hidden: boolean;
}

export class RunTabs {
  private readonly byName = new Map<string, Tab>();
  current: Tab;
  /** The current tab's page: what the steps drive. */
  readonly page: BrowserPage;
  /** Every tab's probe as one: the current tab's read, with the other tabs' events and stream counts added. */
  readonly probe: PageProbeClient;

  constructor(main: BrowserPage) {
    this.current = this.add(FIRST_TAB, main);
    this.page = currentPage(this);
    this.probe = new AllTabsProbe(this);
  }

  add(name: string, page: BrowserPage): Tab {
    const tab: Tab = { name, page, probe: new PageProbeClient((e) => page.evaluate(e)), viewed: null, hidden: false };
    this.byName.set(name, tab);
    return tab;
  }

  get(name: string): Tab | undefined {
    return this.byName.get(name);
  }

  get all(): Tab[] {
    return [...this.byName.values()];
  }

  /** The first tab: the run's page, which closes the others with it. */
  get main(): Tab {
    return this.byName.get(FIRST_TAB)!;
  }
}

/** A page that forwards every call to the tab current at the time of the call. */
function currentPage(tabs: RunTabs): BrowserPage {
  const on = () => tabs.current.page;
  return {
    get browser() {
      return on().browser;
    },
    get engine() {
      return on().engine;
    },
    get cdpPort() {
      return on().cdpPort;
    },
    get cdpTargetId() {
      return on().cdpTargetId;
    },
    get emulation() {
      return on().emulation;
    },
    goto: (url) => on().goto(url),
    evaluate: <T>(expression: string) => on().evaluate<T>(expression),
    click: (selector) => on().click(selector),
    type: (selector, text) => on().type(selector, text),
    press: (selector, key) => on().press(selector, key),
    reload: () => on().reload(),
    hide: () => on().hide(),
    show: () => on().show(),
    freeze: () => on().freeze(),
    unfreeze: () => on().unfreeze(),
    setOffline: (offline) => on().setOffline(offline),
    close: () => on().close(),
  };
}

/** What a read says of the UI: the current tab's alone. */
const SHOWN = new Set(['events', 'sid', 'text', 'sidError', 'textError']);

/** Adds every count of `from` (numbers, and objects of numbers) to `into`: streams of every tab share the pool. */
function addCounts(into: Record<string, unknown>, from: Record<string, unknown>, top = true): void {
  for (const [k, v] of Object.entries(from)) {
    if (top && SHOWN.has(k)) continue;
    if (typeof v === 'number') into[k] = (typeof into[k] === 'number' ? (into[k] as number) : 0) + v;
    else if (v && typeof v === 'object' && !Array.isArray(v)) {
      const sub = into[k] && typeof into[k] === 'object' ? (into[k] as Record<string, unknown>) : (into[k] = {});
      addCounts(sub as Record<string, unknown>, v as Record<string, unknown>, false);
    }
  }
}

class AllTabsProbe extends PageProbeClient {
  constructor(private readonly tabs: RunTabs) {
    super(<T>(e: string) => tabs.current.page.evaluate<T>(e));
  }

  override async read(shown?: { sid: string; text: string }): Promise<ProbeRead> {
    const here = await this.tabs.current.probe.read(shown);
    const others = this.tabs.all.filter((t) => t !== this.tabs.current);
    if (!others.length) return here;
    const merged: ProbeRead = { ...here, events: [...here.events] };
    for (const tab of others) {
      const r = await tab.probe.read();
      merged.events.push(...r.events);
      addCounts(merged as unknown as Record<string, unknown>, r as unknown as Record<string, unknown>);
    }
    return merged;
  }
}

/**
 * The CDP witness of every tab (Chromium): the first tab's probe, with each other tab's network and heap counts added.
 * DOM counters and metrics stay the first tab's.
 */
export class AllTabsCdp extends CdpProbe {
  private readonly others: CdpProbe[] = [];

  add(probe: CdpProbe): void {
    this.others.push(probe);
  }

  override networkOpen(): number {
    return this.others.reduce((n, p) => n + p.networkOpen(), super.networkOpen());
  }

  override networkQueued(): number {
    return this.others.reduce((n, p) => n + p.networkQueued(), super.networkQueued());
  }

  override networkOpenByTransport(): TransportCounts {
    const sum = super.networkOpenByTransport();
    for (const p of this.others) addCounts(sum as Record<string, unknown>, p.networkOpenByTransport());
    return sum;
  }

  override waitingRequests(minAgeMs: number): { url: string; startedAt: number }[] {
    return [super.waitingRequests(minAgeMs), ...this.others.map((p) => p.waitingRequests(minAgeMs))].flat();
  }

  override networkRequests(): ReturnType<CdpProbe['networkRequests']> {
    return [super.networkRequests(), ...this.others.map((p) => p.networkRequests())].flat();
  }

  override networkEvents(): CdpNetworkEvent[] {
    return [super.networkEvents(), ...this.others.map((p) => p.networkEvents())].flat();
  }

  override async census(): Promise<CdpCensus | null> {
    const first = await super.census();
    if (!first) return null;
    const sum = { ...first, transports: { ...first.transports }, sources: [...first.sources] };
    for (const p of this.others) {
      const c = await p.census();
      if (!c) return null;
      sum.open += c.open;
      addCounts(sum.transports as Record<string, unknown>, c.transports);
      sum.connecting += c.connecting;
      sum.closed += c.closed;
      sum.total += c.total;
      sum.sources.push(...c.sources);
      sum.stale ||= c.stale;
      sum.startedAt = Math.min(sum.startedAt, c.startedAt);
      sum.at = Math.max(sum.at, c.at);
    }
    return sum;
  }

  override async longTasks(): Promise<CdpLongTask[]> {
    const all = [await super.longTasks()];
    for (const p of this.others) all.push(await p.longTasks());
    return all.flat();
  }

  override async close(): Promise<void> {
    for (const p of this.others.splice(0)) await p.close().catch(() => {});
    await super.close();
  }
}
