// `sse-harness watch --attach <port|ws-url>`: attach to a Chromium the user started with --remote-debugging-port and
// show, live, what its pages hold: open chat streams per page and origin (EventSources, fetch and XHR streams of
// text/event-stream, WebSockets), pool exhaustion, stalls, listeners and nodes. Ctrl-C (or --duration) ends it and writes the recorded timeline as a normal report.
import { readFileSync } from 'node:fs';
import { PAGE_PROBE_FILE } from './paths.ts';
import CDP from 'chrome-remote-interface';
import { CdpProbe } from './probe/cdp.ts';
import { creationSite } from './probe/creationSite.ts';
import { probeScripts, type OpenStack } from './probe/page-probe-client.ts';
import { POOL_PER_HOST } from './probe/crosscheck.ts';
import { countOf, transportsPhrase } from './probe/stream-routes.ts';
import { oneLine, printable } from './printable.ts';
import { terminalText } from './report/terminal.ts';
import { STREAM_TRANSPORTS, Timeline, type StreamTransport, type TransportCounts } from './timeline.ts';
import { buildReport } from './report/model.ts';
import { writeReport } from './report/write.ts';
import type { ScenarioResult } from './runner/run.ts';

const PROBE_SOURCE = () => readFileSync(PAGE_PROBE_FILE, 'utf8');

export interface WatchOptions {
  /** A DevTools port, host:port, or ws:// URL of the browser or a page. */
  attach: string;
  intervalMs: number;
  /** Stop by itself after this long (else at Ctrl-C). */
  durationMs?: number;
  reportDir: string;
  /** Record creation stacks: installs the in-page probe in documents loaded from now on (reload the page). */
  stacks?: boolean;
  /** One line per page per refresh instead of redrawing the screen (default when stdout is not a terminal). */
  plain?: boolean;
  out?: (s: string) => void;
}

export function parseEndpoint(v: string): { host: string; port: number } {
  const m = /^(?:wss?:\/\/)?(?:([\w.-]+):)?(\d{2,5})(?:\/.*)?$/.exec(v.trim());
  if (!m)
    throw new Error(
      `sse-harness: --attach ${v}: expected a DevTools port (9222), host:port, or a ws:// URL (ws://127.0.0.1:9222/devtools/browser/…)`,
    );
  return { host: m[1] ?? '127.0.0.1', port: Number(m[2]) };
}

interface Watched {
  id: string;
  url: string;
  probe: CdpProbe;
  timeline: Timeline;
  peakOpen: number;
  longestStall: number;
  poolFull: boolean;
  /** Transports other than EventSource seen open at some refresh: the words then name each. */
  others: Set<StreamTransport>;
  findings: ScenarioResult['findings'];
  stacks: string[];
}

/** How long a request goes without response headers before it counts as waiting for a connection. */
const WAITING_MS = 1000;

const origin = (u: string) => {
  try {
    return new URL(u).origin;
  } catch {
    return u;
  }
};

export async function watch(opts: WatchOptions): Promise<{ report: string; peaks: Record<string, number> }> {
  const out = opts.out ?? ((s: string) => process.stdout.write(s));
  const { host, port } = parseEndpoint(opts.attach);
  try {
    await CDP.Version({ host, port });
  } catch (e) {
    throw new Error(
      `sse-harness: nothing answers DevTools on ${host}:${port} (${(e as Error).message}). Start Chromium with --remote-debugging-port=${port} and try again.`,
      { cause: e },
    );
  }
  const startedAt = new Date().toISOString();
  const t0 = Date.now();
  const pages = new Map<string, Watched>();
  let stop = false;
  const onSignal = () => (stop = true);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const plain = opts.plain ?? !process.stdout.isTTY;

  const attachNew = async () => {
    const targets = await CDP.List({ host, port }).catch(() => [] as CDP.Target[]);
    for (const t of targets) {
      if (t.type !== 'page' || t.url.startsWith('devtools://') || pages.has(t.id)) continue;
      const probe = new CdpProbe({ messageEvents: false });
      try {
        await probe.attach({ port, host, targetId: t.id, attachTimeoutMs: 2000 });
      } catch {
        continue; // gone already, or not attachable yet: the next refresh tries again
      }
      pages.set(t.id, fresh(t, probe));
      const w = pages.get(t.id)!;
      // The script runs in documents loaded from now on only once the Page domain is enabled on this connection.
      if (opts.stacks) {
        await w.probe.raw?.send('Page.enable').catch(() => {});
        await w.probe.raw?.send('Page.addScriptToEvaluateOnNewDocument', { source: PROBE_SOURCE() }).catch(() => {});
      }
    }
    for (const [id, w] of pages) {
      if (!targets.some((t) => t.id === id) || !w.probe.status().attached) {
        w.timeline.add({ kind: 'note', t: w.timeline.now(), message: 'page closed or detached' });
        if (w.probe.status().attached) await w.probe.close();
      }
    }
  };
  const fresh = (t: CDP.Target, probe: CdpProbe): Watched => {
    const timeline = new Timeline(t0);
    timeline.add({ kind: 'note', t: timeline.now(), message: `attached to ${t.url}` });
    return {
      id: t.id,
      url: t.url,
      probe,
      timeline,
      peakOpen: 0,
      longestStall: 0,
      poolFull: false,
      others: new Set(),
      findings: [],
      stacks: [],
    };
  };

  const refresh = async () => {
    await attachNew();
    const lines: string[] = [];
    for (const w of pages.values()) {
      if (!w.probe.status().attached) continue;
      const heap = await w.probe.census();
      const reqs = w.probe.networkRequests().filter((r) => r.endedAt === null);
      const dom = await w.probe.domCounters();
      for (const lt of await w.probe.longTasks()) {
        w.longestStall = Math.max(w.longestStall, lt.duration);
        w.timeline.add({ kind: 'stall', t: w.timeline.fromEpoch(lt.t), duration: lt.duration, source: 'cdp' });
      }
      // EventSources and WebSockets as the heap counts them (the network's count when the census is stale), fetch and
      // XHR streams as the network does: no heap object stands for those.
      const net = w.probe.networkOpenByTransport();
      const fresh = heap && !heap.stale ? heap.transports : null;
      const byTransport: TransportCounts = {};
      for (const k of STREAM_TRANSPORTS) {
        const n = (k === 'eventsource' || k === 'websocket') && fresh ? (fresh[k] ?? 0) : (net[k] ?? 0);
        if (n) byTransport[k] = n;
        if (n && k !== 'eventsource') w.others.add(k);
      }
      const open = countOf(byTransport, ...STREAM_TRANSPORTS);
      // A WebSocket handshake waits in no pool of six.
      const queued = reqs.filter((r) => r.respondedAt === null && r.transport !== 'websocket').length;
      w.peakOpen = Math.max(w.peakOpen, open);
      const t = w.timeline.now();
      w.timeline.add({
        kind: 'sample',
        t,
        step: 'watch',
        tick: true,
        witnesses: {
          cdp: reqs.length - queued,
          cdpQueued: queued,
          ...(heap && !heap.stale ? { cdpObjects: heap.open } : {}),
          ...(w.others.size ? { transports: { cdp: byTransport } } : {}),
        },
        ...(dom && !dom.stale
          ? { dom: { nodes: dom.nodes, listeners: dom.jsEventListeners, documents: dom.documents } }
          : {}),
      });
      // Per origin: a full pool with requests waiting is the freeze users report. EventSources, fetch and XHR streams
      // hold the pool's sockets; WebSockets do not.
      const byOrigin = new Map<string, { open: number; queued: number; held: TransportCounts }>();
      const holding = (url: string, k: StreamTransport) => {
        const o = byOrigin.get(origin(url)) ?? { open: 0, queued: 0, held: {} };
        o.open++;
        o.held[k] = (o.held[k] ?? 0) + 1;
        byOrigin.set(origin(url), o);
      };
      for (const s of heap && !heap.stale ? heap.sources.filter((s) => s.readyState === 1 && !s.transport) : [])
        holding(s.url, 'eventsource');
      for (const r of reqs)
        if (r.respondedAt !== null && (r.transport === 'fetch-stream' || r.transport === 'xhr-stream'))
          holding(r.url, r.transport);
      // Waiting: an EventSource not yet answered, or any other request (the UI's polls, its fetches) sent at least a
      // refresh ago and still without response headers. Either one, while the origin's six are held, is queued.
      const waiting = [
        ...reqs.filter((r) => r.respondedAt === null && r.transport !== 'websocket').map((r) => r.url),
        ...w.probe.waitingRequests(Math.max(WAITING_MS, opts.intervalMs)).map((r) => r.url),
      ];
      for (const url of waiting) {
        const o = byOrigin.get(origin(url)) ?? { open: 0, queued: 0, held: {} };
        o.queued++;
        byOrigin.set(origin(url), o);
      }
      // Over HTTP/2 or later an origin's streams share one connection: no pool of six to run out of.
      const multiplexed = new Set(
        reqs.filter((r) => r.protocol && !/^http\/1/i.test(r.protocol)).map((r) => origin(r.url)),
      );
      const full = [...byOrigin].filter(([o, c]) => c.open >= POOL_PER_HOST && c.queued > 0 && !multiplexed.has(o));
      if (full.length && !w.poolFull) {
        const summary = full
          .map(
            ([o, c]) =>
              `${o}: ${transportsPhrase(c.held) ?? `${c.open} streams`} hold the browser's ${POOL_PER_HOST}-per-host pool, ${c.queued} request${c.queued === 1 ? '' : 's'} queued`,
          )
          .join('; ');
        w.findings.push({
          t,
          step: 'watch',
          finding: 'pool-exhaustion',
          summary,
          witnesses: { cdp: reqs.length - queued, cdpQueued: queued, cdpObjects: open },
        });
        w.timeline.add({
          kind: 'finding',
          t,
          step: 'watch',
          finding: 'pool-exhaustion',
          summary,
          witnesses: { cdp: reqs.length - queued, cdpQueued: queued, cdpObjects: open },
        });
      }
      w.poolFull = full.length > 0;
      if (opts.stacks) w.stacks = await creationStacks(w.probe);
      const perOrigin = [...byOrigin]
        .map(([o, c]) => `${o} ${c.open}${c.queued ? ` (+${c.queued} queued)` : ''}`)
        .join(', ');
      // The words of an EventSource-only page stay as they were; once another transport shows, each is named.
      const counted = w.others.size
        ? `chat streams open ${open} [${transportsPhrase(byTransport) ?? 'none'}]`
        : `EventSources open ${open}`;
      lines.push(
        `t=${(t / 1000).toFixed(1)}s ${oneLine(w.url, 80)} · ${counted} (peak ${w.peakOpen})${queued ? `, ${queued} queued` : ''}${w.poolFull ? ' · POOL EXHAUSTED' : ''} · longest stall ${w.longestStall} ms${dom && !dom.stale ? ` · listeners ${dom.jsEventListeners} · nodes ${dom.nodes}` : ''}${perOrigin ? ` · by origin: ${perOrigin}` : ''}`,
      );
      for (const s of w.stacks) lines.push(`    created at ${s}`);
    }
    if (!pages.size) lines.push(`t=${((Date.now() - t0) / 1000).toFixed(1)}s no page targets on ${host}:${port} yet`);
    // The pages' URLs and origins are the page's own text: escaped, so only the harness's redraw moves the cursor.
    const body = terminalText(lines.join('\n'));
    out(
      plain
        ? `${body}\n`
        : `\u001b[2J\u001b[H sse-harness watch ${host}:${port} · Ctrl-C writes the report\n\n${body}\n`,
    );
  };

  try {
    while (!stop && (opts.durationMs === undefined || Date.now() - t0 < opts.durationMs)) {
      await refresh();
      const next = Date.now() + opts.intervalMs;
      while (!stop && Date.now() < next) await new Promise((r) => setTimeout(r, Math.min(50, opts.intervalMs)));
    }
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  const results: ScenarioResult[] = [...pages.values()].map((w) => ({
    scenario: 'watch',
    file: w.url,
    description: `watched ${w.url} on ${host}:${port}`,
    catches: [],
    browser: 'chromium',
    engine: `attached over DevTools at ${host}:${port}`,
    target: 'attached',
    targetVersion: 'n/a',
    regress: [],
    verdict: w.findings.length ? 'fail' : 'pass',
    verdicts: [
      {
        oracle: 'poolExhaustion',
        pass: !w.findings.length,
        summary: w.findings.length
          ? w.findings[0]!.summary
          : `peak ${w.peakOpen} open ${w.others.size ? 'chat streams' : 'EventSources'}, the pool never ran out`,
        evidence: { peakOpen: w.peakOpen },
      },
      {
        oracle: 'watch',
        pass: true,
        summary: `peak ${w.peakOpen} open ${w.others.size ? 'chat streams' : 'EventSources'}; longest stall ${w.longestStall} ms`,
        evidence: { peakOpen: w.peakOpen, longestStallMs: w.longestStall },
      },
    ],
    stepFailures: [],
    findings: w.findings,
    witnesses: ['cdp'],
    durationMs: Date.now() - t0,
    sessions: {},
    timeline: w.timeline.ordered(),
  }));
  for (const w of pages.values()) await w.probe.close().catch(() => {});
  const report = writeReport(
    opts.reportDir,
    buildReport({
      startedAt,
      finishedAt: new Date().toISOString(),
      complete: true,
      command: ['watch', '--attach', opts.attach],
      target: 'attached',
      browsers: ['chromium'],
      regress: [],
      results,
    }),
  );
  return { report, peaks: Object.fromEntries([...pages.values()].map((w) => [w.url, w.peakOpen])) };
}

/** Where each open chat stream was created, from the in-page probe (present after a reload with --stacks). */
async function creationStacks(probe: CdpProbe): Promise<string[]> {
  const r = await probe.raw
    ?.send('Runtime.evaluate', {
      expression: probeScripts.openStacks,
      returnByValue: true,
      silent: true,
    })
    .catch(() => null);
  const v = r?.result?.value as OpenStack[] | null | undefined;
  if (v === null) return ['(no creation stacks yet: reload the page so the probe records them)'];
  const counts = new Map<string, number>();
  for (const { url, stack, transport } of v ?? []) {
    const site = creationSite(stack, url);
    const s = `${transport && transport !== 'eventsource' ? `${transport} ` : ''}${printable(url)} ← ${site ? `${site.file}:${site.line}:${site.column}${site.function ? ` in ${site.function}` : ''}` : 'unknown site'}`;
    counts.set(s, (counts.get(s) ?? 0) + 1);
  }
  return [...counts].map(([s, n]) => `${n}× ${s}`);
}
