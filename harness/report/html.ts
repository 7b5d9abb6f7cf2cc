// The HTML report: one self-contained file (uPlot inlined) with a timeline chart and the evidence for every run.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { HarnessReport } from './model.ts';
import type { ScenarioResult } from '../runner/run.ts';
import type { Divergence } from '../oracles/divergence.ts';
import { liveStreamSeries, socketTransports, type LeakedStream } from '../timeline-queries.ts';
import { printable } from '../printable.ts';
import { transportsPhrase } from '../probe/stream-routes.ts';
import { STREAM_TRANSPORTS, type StreamTransport, type WitnessCounts } from '../timeline.ts';
import { attemptLines, knownNote, outcomeOf } from './outcome.ts';
import { columnLabel, matrixColumns } from '../runner/matrix.ts';

const require = createRequire(import.meta.url);
const asset = (p: string) => readFileSync(require.resolve(`uplot/dist/${p}`), 'utf8');

const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The server behaviours the mock played, each with what decided it; and the real servers runs were played against. */
const mockLine = (report: HarnessReport) => {
  // eslint-disable-next-line no-control-regex -- control characters flattened to spaces on purpose
  const flat = (s: string) => s.replace(/[\u0000-\u001f\u007f]/g, ' ');
  const models = [
    ...new Set(report.results.flatMap((r) => (r.mock ? [`resume ${r.mock.resume} (${flat(r.mock.why)})`] : []))),
  ];
  const real = [...new Set(report.results.flatMap((r) => (r.backend ? [flat(r.backend)] : [])))];
  return `${models.length ? `<br>mock server: ${esc(models.join('; '))}` : ''}${real.length ? `<br>real server: ${esc(real.join('; '))}` : ''}`;
};

const TRANSPORT_WORDS: Record<StreamTransport, string> = {
  eventsource: 'EventSources',
  'fetch-stream': 'fetch streams',
  'xhr-stream': 'XHR streams',
  websocket: 'WebSockets',
};
const TRANSPORT_COLORS: Record<StreamTransport, string> = {
  eventsource: '#e77',
  'fetch-stream': '#b50',
  'xhr-stream': '#850',
  websocket: '#707',
};

/**
 * Chart data for one run: aligned x axis (seconds) and one series per witness, plus step markers and stall bands.
 * A run with streams other than EventSources also gets the server's count of each transport.
 */
export function chartData(r: ScenarioResult) {
  const tl = r.timeline;
  const server = liveStreamSeries(tl);
  const samples = tl.filter((e): e is Extract<typeof e, { kind: 'sample' }> => e.kind === 'sample');
  const texts = tl.filter((e): e is Extract<typeof e, { kind: 'text' }> => e.kind === 'text');
  const sessions = [...new Set(texts.map((t) => t.session))];
  const xs = [...new Set([0, ...server.map((p) => p.t), ...samples.map((s) => s.t), ...texts.map((t) => t.t)])].sort(
    (a, b) => a - b,
  );
  // The server's streams by transport, once a run has any but EventSources: one stepped line per transport.
  const transportOf = socketTransports(tl);
  const transports = STREAM_TRANSPORTS.filter((k) => [...transportOf.values()].includes(k));
  const split = transports.some((k) => k !== 'eventsource');
  let si = 0;
  let cur = 0;
  let allowed = 0;
  let curBy: number[] = transports.map(() => 0);
  const serverY: number[] = [];
  const allowedY: number[] = [];
  const byY: number[][] = transports.map(() => []);
  for (const x of xs) {
    while (si < server.length && server[si]!.t <= x) {
      cur = server[si]!.open;
      allowed = server[si]!.allowed;
      const sockets = server[si]!.sockets;
      curBy = transports.map((k) => sockets.filter((s) => (transportOf.get(s) ?? 'eventsource') === k).length);
      si++;
    }
    serverY.push(cur);
    allowedY.push(allowed);
    curBy.forEach((n, i) => byY[i]!.push(n));
  }
  const at = <T>(points: { t: number; v: T }[]) => {
    const m = new Map(points.map((p) => [p.t, p.v]));
    return xs.map((x) => (m.has(x) ? m.get(x)! : null));
  };
  const pageY = at(
    samples.filter((s) => s.witnesses.page !== undefined).map((s) => ({ t: s.t, v: s.witnesses.page! })),
  );
  const cdpY = at(samples.filter((s) => s.witnesses.cdp !== undefined).map((s) => ({ t: s.t, v: s.witnesses.cdp! })));
  const textY = sessions.map((sid) => at(texts.filter((t) => t.session === sid).map((t) => ({ t: t.t, v: t.length }))));
  const alias = (sid: string) => Object.entries(r.sessions).find(([, id]) => id === sid)?.[0] ?? sid;
  return {
    x: xs.map((x) => x / 1000),
    series: [
      { label: 'server: open chat streams', values: serverY, axis: 'conn', color: '#d33' },
      { label: 'allowed (viewed & streaming)', values: allowedY, axis: 'conn', color: '#999', dash: true },
      ...(split
        ? transports.map((k, i) => ({
            label: `server: ${TRANSPORT_WORDS[k]}`,
            values: byY[i]!,
            axis: 'conn',
            color: TRANSPORT_COLORS[k],
            dash: true,
          }))
        : []),
      { label: `page: open ${split ? 'chat streams' : 'EventSources'}`, values: pageY, axis: 'conn', color: '#36c' },
      { label: `cdp: open ${split ? 'chat streams' : 'EventSources'}`, values: cdpY, axis: 'conn', color: '#093' },
      ...sessions.map((sid, i) => ({
        label: `answer chars · ${alias(sid)}`,
        values: textY[i]!,
        axis: 'chars',
        color: ['#a6c', '#c80', '#0aa', '#666'][i % 4]!,
      })),
    ],
    steps: tl
      .filter((e) => e.kind === 'step-start')
      .map((e) => ({
        t: e.t / 1000,
        label: e.kind === 'step-start' ? `${e.step}${e.detail ? ` ${e.detail}` : ''}` : '',
      })),
    stalls: tl
      .filter((e) => e.kind === 'stall')
      .map((e) => (e.kind === 'stall' ? [e.t / 1000, (e.t + e.duration) / 1000] : [0, 0])),
    // The page hidden, not a tab sent behind another of the app's.
    hidden: tl
      .filter((e) => e.kind === 'visibility' && e.tab === undefined)
      .map((e) => (e.kind === 'visibility' ? [e.t / 1000, e.hidden ? 1 : 0] : [0, 0])),
    failAt: r.verdicts.filter((v) => !v.pass && v.t !== undefined).map((v) => v.t! / 1000),
  };
}

/** Expected and shown text around a divergence, the text from the divergence on marked; every char escaped. */
function divergenceBlock(d: Divergence): string {
  const at = d.offset - d.from;
  const line = (label: string, text: string) =>
    `<tr><th>${label}</th><td><code>${d.from > 0 ? '…' : ''}${esc(printable(text.slice(0, at)))}<mark>${esc(printable(text.slice(at))) || '&#8203;'}</mark></code></td></tr>`;
  return `<div class="divergence"><b>${esc(d.kind)}</b> at char ${d.offset}: ${esc(d.detail)}<table>${line('expected', d.expected)}${line('shown', d.shown)}</table></div>`;
}

/** Each leaked stream and where the UI created it. */
function leakedBlock(leaked: LeakedStream[]): string {
  const rows = leaked
    .map(
      (l) =>
        `<tr><td>${esc(l.session)}</td><td>${l.socket}${l.transport ? ` <small>${esc(TRANSPORT_WORDS[l.transport])}</small>` : ''}</td><td>${l.openedAt}</td><td>${l.site ? `<code>${esc(`${l.site.file}:${l.site.line}:${l.site.column}`)}</code>${l.site.function ? ` in <code>${esc(l.site.function)}</code>` : ''}` : 'not recorded'}</td></tr>`,
    )
    .join('');
  return `<table class="leaked"><tr><th>session</th><th>socket</th><th>opened at ms</th><th>created at</th></tr>${rows}</table>`;
}

/** The structured evidence that points: a divergence, leaked streams' creation sites. */
function pointers(evidence: Record<string, unknown>): string {
  const d = evidence.divergence as Divergence | undefined;
  const leaked = evidence.leaked as LeakedStream[] | undefined;
  return `${d ? divergenceBlock(d) : ''}${leaked?.length ? leakedBlock(leaked) : ''}`;
}

/** A run's section, or one of its earlier attempts' (attempt: its number and the run's count). */
interface Shown {
  r: ScenarioResult;
  badge: string;
  attempt?: { n: number; of: number; run: number };
}

function resultSection({ r, badge, attempt }: Shown, i: number, runIndex: number): string {
  const failing = r.verdicts.filter((v) => !v.pass);
  const attempts = attempt ? [] : attemptLines(r);
  const verdictRows = r.verdicts
    .map(
      (
        v,
      ) => `<tr class="${v.pass ? 'ok' : v.known && !v.known.expired ? 'known' : 'bad'}"><td>${v.notJudged ? '–' : v.pass ? '✓' : '✗'}</td><td>${esc(v.oracle)}</td><td>${esc(v.summary)}${v.known ? `<div class="at">${esc(knownNote(v).trim())}</div>` : ''}${v.step ? `<div class="at">at ${esc(v.step)}${v.t !== undefined ? ` · t=${v.t} ms` : ''}</div>` : ''}${v.pass ? '' : pointers(v.evidence)}
      <details${v.pass ? '' : ' open'}><summary>evidence</summary><pre>${esc(JSON.stringify({ ...v.evidence, series: undefined }, null, 1))}</pre></details></td></tr>`,
    )
    .join('');
  const steps = r.timeline
    .filter((e) => e.kind === 'step-end')
    .map((e) =>
      e.kind === 'step-end'
        ? `<tr class="${e.ok ? '' : 'bad'}"><td>${e.t}</td><td>${esc(e.path)}</td><td>${esc(e.step)}</td><td>${e.ok ? '' : esc(e.error ?? 'failed')}</td></tr>`
        : '',
    )
    .join('');
  const n = (v: number | undefined, extra?: number) =>
    v === undefined ? '–' : `${v}${extra ? ` <small>+${extra} waiting</small>` : ''}`;
  // Which transport each witness counted, in a column of its own once a run has any but EventSources.
  const split = r.timeline.some((e) => e.kind === 'sample' && e.witnesses.transports);
  const byTransport = (w: WitnessCounts) =>
    `<td>${(['server', 'page', 'cdp'] as const)
      .flatMap((k) => {
        const p = transportsPhrase(w.transports?.[k]);
        return p ? [`${k}: ${esc(p)}`] : [];
      })
      .join('<br>')}</td>`;
  const samples = r.timeline
    .filter((e) => e.kind === 'sample' && !e.tick)
    .map((e) =>
      e.kind === 'sample'
        ? `<tr><td>${e.t}</td><td>${esc(e.step)}</td><td>${e.witnesses.server}</td><td>${n(e.witnesses.page, e.witnesses.pageConnecting)}</td><td>${n(e.witnesses.cdp, e.witnesses.cdpQueued)}</td><td>${n(e.witnesses.cdpObjects)}</td>${split ? byTransport(e.witnesses) : ''}<td>${e.dom ? `${e.dom.nodes} / ${e.dom.listeners}` : '–'}</td></tr>`
        : '',
    )
    .join('');
  const findings = (r.findings ?? [])
    .map((f) => `<li><b>${esc(f.finding)}</b> after ${esc(f.step)} (t=${f.t} ms): ${esc(f.summary)}</li>`)
    .join('');
  const id = attempt ? `r${runIndex}a${attempt.n}` : `r${runIndex}`;
  return `<section id="${id}" class="result ${badge}${attempt ? ' attempt' : ''}">
  <h2><span class="badge ${badge}">${badge.toUpperCase()}</span> ${esc(r.scenario)} · ${esc(r.browser)}${r.project !== undefined ? ` · project ${esc(r.project)}` : ''}${r.transport !== undefined ? ` · transport ${esc(r.transport)}` : ''}${r.regress.length ? ` · regress ${esc(r.regress.join(', '))}` : ''}${attempt ? ` · attempt ${attempt.n} of ${attempt.of} <a href="#r${attempt.run}">(the run)</a>` : ''}</h2>
  ${attempts.length ? `<ol class="attempts">${attempts.map((a, k) => `<li>${k < attempts.length - 1 ? `<a href="#r${runIndex}a${k + 1}">${esc(a)}</a>` : esc(a)}</li>`).join('')}</ol>` : ''}
  <p class="meta">${esc(r.description ?? '')}<br>${esc(r.engine)} · target ${esc(r.target)} (${esc(r.targetVersion)})${r.readySignal ? ` · ready signal ${esc(r.readySignal)}` : ''} · ${(r.durationMs / 1000).toFixed(1)} s${r.error ? `<br><b>error:</b> ${esc(r.error)}` : ''}${r.stoppedEarly ? `<br><b>stopped early</b> at ${r.stoppedEarly.t} ms: ${esc(r.stoppedEarly.oracle)} had failed for good${r.stoppedEarly.notJudged.length ? `; not judged: ${esc(r.stoppedEarly.notJudged.join(', '))}` : ''}` : ''}</p>
  ${failing.length ? `<div class="evidence">${failing.map((v) => `<b>${esc(v.oracle)}</b>: ${esc(v.summary)}${v.step ? ` — at ${esc(v.step)}` : ''}${esc(knownNote(v))}`).join('<br>')}</div>` : ''}
  ${r.compare ? compareNote(r.compare) : ''}
  <div class="chart" data-result="${i}"></div>
  <table class="verdicts">${verdictRows}</table>
  ${findings ? `<div class="evidence findings"><b>Witness findings</b><ul>${findings}</ul></div>` : ''}
  <p class="meta">verdicts rest on: ${esc((r.witnesses ?? ['server']).join(', '))}${r.emulation?.length ? `<br>emulated, not real: ${esc(r.emulation.join('; '))}` : ''}</p>
  <details${findings ? ' open' : ''}><summary>witness counts per step</summary><table><tr><th>t ms</th><th>step</th><th>server</th><th>page probe</th><th>CDP network</th><th>CDP heap</th>${split ? '<th>by transport</th>' : ''}<th>DOM nodes / listeners</th></tr>${samples}</table></details>
  <details><summary>steps</summary><table><tr><th>t ms</th><th>path</th><th>step</th><th>problem</th></tr>${steps}</table></details>
</section>`;
}

function knownList(report: HarnessReport): string {
  const k = report.gate?.known;
  if (!k?.entries.length) return '';
  const what = {
    excused: 'excused',
    expired: 'EXPIRED: no longer excuses',
    stale: 'stale: matched no failure (fixed? remove it)',
    unjudged: 'not judged in this run',
  } as const;
  return `<h2>Known findings · ${esc(k.file)}</h2><table><tr><th>entry</th><th>scenario · browser · oracle</th><th>reason</th><th>until</th><th>status</th></tr>${k.entries
    .map(
      (e) =>
        `<tr class="${e.status === 'expired' ? 'bad' : e.status === 'excused' ? 'known' : ''}"><td>${esc(e.source)}</td><td>${esc(`${e.scenario} · ${e.browser ?? 'any'} · ${e.oracle}${e.match ? ` "${e.match}"` : ''}`)}</td><td>${esc(e.reason)}</td><td>${esc(e.expires ?? '–')}</td><td>${esc(what[e.status])}${e.matched ? ` (${e.matched})` : ''}</td></tr>`,
    )
    .join('')}</table>`;
}

/** The same run at the base ref (run --compare) and the gate's reading of this one. */
function compareNote(c: NonNullable<ScenarioResult['compare']>): string {
  const base = `${c.baseVerdict.toUpperCase()}${c.baseFailing.length ? ` (${c.baseFailing.join(', ')})` : ''}`;
  const oracles = c.oracles.map((o) => `<li><b>${esc(o.oracle)}</b>: ${esc(o.status)}, ${esc(o.detail)}</li>`).join('');
  return `<div class="compare ${esc(c.status)}"><b>base ${esc(c.base)}</b> <code>${esc(c.baseCommit.slice(0, 10))}</code>: ${c.baseReport ? `<a href="${esc(encodeURI(c.baseReport))}">${esc(base)}</a>` : esc(base)} · gate: <b>${esc(c.status)}</b>${oracles ? `<ul>${oracles}</ul>` : ''}</div>`;
}

const CHART_SCRIPT = `
const data = JSON.parse(document.getElementById('chart-data').textContent);
function bands(u, list, color) {
  const ctx = u.ctx; ctx.save(); ctx.fillStyle = color;
  for (const [a, b] of list) { const x0 = u.valToPos(a, 'x', true), x1 = u.valToPos(b, 'x', true); ctx.fillRect(x0, u.bbox.top, Math.max(1, x1 - x0), u.bbox.height); }
  ctx.restore();
}
document.querySelectorAll('.chart').forEach((el) => {
  const d = data[Number(el.dataset.result)];
  const hiddenSpans = []; let start = null;
  for (const [t, h] of d.hidden) { if (h && start === null) start = t; if (!h && start !== null) { hiddenSpans.push([start, t]); start = null; } }
  if (start !== null) hiddenSpans.push([start, d.x[d.x.length - 1]]);
  const opts = {
    width: Math.min(1100, el.clientWidth || 1000), height: 300,
    scales: { x: { time: false }, conn: { range: (u, lo, hi) => [0, Math.max(2, hi + 1)] } },
    axes: [{ label: 'seconds' }, { scale: 'conn', label: 'open connections' }, { scale: 'chars', side: 1, label: 'answer chars', grid: { show: false } }],
    series: [{ label: 't (s)' }, ...d.series.map((s) => ({ label: s.label, scale: s.axis, stroke: s.color, width: s.axis === 'conn' ? 2 : 1, dash: s.dash ? [5, 5] : undefined, spanGaps: true, paths: s.axis === 'conn' && !s.label.startsWith('page') && !s.label.startsWith('cdp') ? uPlot.paths.stepped({ align: 1 }) : undefined, points: { show: false } }))],
    hooks: { drawClear: [(u) => { bands(u, hiddenSpans, 'rgba(120,120,120,0.12)'); bands(u, d.stalls, 'rgba(220,120,0,0.35)'); }],
      draw: [(u) => { const ctx = u.ctx; ctx.save(); ctx.font = '10px sans-serif';
        d.steps.forEach((s, i) => { const x = u.valToPos(s.t, 'x', true); ctx.strokeStyle = 'rgba(0,0,0,0.18)'; ctx.beginPath(); ctx.moveTo(x, u.bbox.top); ctx.lineTo(x, u.bbox.top + u.bbox.height); ctx.stroke(); ctx.fillStyle = '#555'; ctx.fillText(s.label, x + 2, u.bbox.top + 10 + (i % 4) * 11); });
        d.failAt.forEach((t) => { const x = u.valToPos(t, 'x', true); ctx.strokeStyle = '#d00'; ctx.lineWidth = 2; ctx.beginPath(); ctx.moveTo(x, u.bbox.top); ctx.lineTo(x, u.bbox.top + u.bbox.height); ctx.stroke(); });
        ctx.restore(); }] },
  };
  new uPlot(opts, [d.x, ...d.series.map((s) => s.values)], el);
  el.dataset.rendered = '1';
});`;

export function renderHtml(report: HarnessReport): string {
  // Each run, followed by its earlier attempts (retries), each with its own chart.
  const shown: Shown[] = report.results.flatMap((r, run) => {
    const earlier = r.attempts ?? [];
    return [
      { r, badge: outcomeOf(r) },
      ...earlier.map((a, k) => ({ r: a, badge: a.verdict, attempt: { n: k + 1, of: earlier.length + 1, run } })),
    ];
  });
  const runIndexOf = (s: Shown) => s.attempt?.run ?? report.results.indexOf(s.r);
  const data = shown.map((s) => chartData(s.r));
  const columns = report.matrix ? matrixColumns(report.matrix, report.browsers) : [];
  const matrix = report.matrix
    ? `<h2>Detection matrix</h2><table class="matrix"><tr><th>class</th>${columns.map((col) => `<th>${esc(columnLabel(col))}</th>`).join('')}</tr>${[
        ...new Set(report.matrix.map((c) => c.klass)),
      ]
        .map(
          (k) =>
            `<tr><td>${esc(k)}</td>${columns
              .map((col) => {
                const c = report.matrix!.find(
                  (x) => x.klass === k && x.browser === col.browser && x.transport === col.transport,
                );
                return `<td class="${c?.ok ? 'ok' : 'bad'}">${c ? `${c.ok ? '✓' : '✗'} ${esc(c.detail)}` : '–'}</td>`;
              })
              .join('')}</tr>`,
        )
        .join('')}</table>`
    : '';
  const index = report.results
    .map(
      (r, i) =>
        `<li><a href="#r${i}"><span class="badge ${outcomeOf(r)}">${outcomeOf(r)}</span> ${esc(r.scenario)} · ${esc(r.browser)}${r.project !== undefined ? ` · ${esc(r.project)}` : ''}${r.transport !== undefined ? ` · ${esc(r.transport)}` : ''}${r.regress.length ? ` · ${esc(r.regress.join(','))}` : ''}${r.attempts?.length ? ` · ${r.attempts.length + 1} attempts` : ''}${r.compare ? ` · base ${esc(r.compare.baseVerdict)} · ${esc(r.compare.status)}` : ''}</a></li>`,
    )
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>sse-harness report · ${esc(report.startedAt)}</title>
<style>${asset('uPlot.min.css')}
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}
h1{font-size:20px} h2{font-size:16px;margin-top:28px} .meta{color:#666;font-size:12px}
.badge{display:inline-block;padding:1px 6px;border-radius:3px;color:#fff;font-size:11px;text-transform:uppercase}
.badge.pass{background:#2a7} .badge.fail{background:#c33} .badge.error{background:#a60} .badge.flaky{background:#d80} .badge.known{background:#678}
tr.known td{background:#eef2f6} .attempt{margin-left:24px;border-top-style:dashed} .attempts{font-size:13px}
table{border-collapse:collapse;margin:8px 0} td,th{border:1px solid #ddd;padding:3px 8px;vertical-align:top;font-size:13px;text-align:left}
tr.bad td,td.bad{background:#fee} td.ok,tr.ok td{background:#f3fbf5}
.evidence{border-left:4px solid #c33;background:#fff4f4;padding:8px 12px;margin:8px 0}
.at{color:#666;font-size:12px} pre{max-height:260px;overflow:auto;font-size:11px;background:#f7f7f7;padding:6px}
.result{border-top:1px solid #ccc;padding-top:4px} .chart{min-height:320px}
.compare{border-left:4px solid #999;background:#f6f6f6;padding:6px 12px;margin:8px 0} .compare.new,.compare.worse{border-color:#c33} .compare.pre-existing{border-color:#e0a040}
.incomplete{background:#ffe9c7;padding:8px;border:1px solid #e0a040}
.divergence{margin:6px 0} .divergence code{white-space:pre-wrap;word-break:break-all} .divergence th{width:70px}
.divergence mark{background:#fbb;border-left:2px solid #c00}
</style></head><body>
<h1>sse-harness report</h1>
<p class="meta">${esc(report.startedAt)} → ${esc(report.finishedAt)} · target ${esc(report.target)} · browsers ${esc(report.browsers.join(', '))}${report.transports ? ` · transports ${esc(report.transports.join(', '))}` : ''}${report.regress.length ? ` · regress ${esc(report.regress.join(', '))}` : ''}<br>
${report.summary.total} runs: ${report.summary.passed} passed, ${report.summary.failed} failed, ${report.summary.errors} errors${report.summary.flaky ? `, ${report.summary.flaky} flaky (${report.gate?.flaky === 'fail' ? 'failing' : 'passing'} the gate)` : ''}${report.summary.known ? `, ${report.summary.known} known` : ''}${report.gate?.retries ? ` · up to ${report.gate.retries} retr${report.gate.retries === 1 ? 'y' : 'ies'} per run` : ''} · command: <code>${esc(report.command.join(' '))}</code>${mockLine(report)}</p>
${report.complete ? '' : `<p class="incomplete">This report is incomplete: the run was interrupted${report.interruptedBy ? ` by ${esc(report.interruptedBy)}` : ''}.</p>`}
<p class="meta">Chart: red steps = open chat streams the server sees; dashed grey = what the user could legitimately have open; dashed colours (runs with other transports than EventSource) = the server's streams of each transport; blue/green = the page's and the CDP witness's counts; grey bands = page hidden; orange bands = main-thread stalls; red lines = where an oracle found a problem; right axis = answer characters shown.</p>
${matrix}
${knownList(report)}
<ul>${index}</ul>
${shown.map((s, i) => resultSection(s, i, runIndexOf(s))).join('\n')}
<script>${asset('uPlot.iife.min.js')}</script>
<script type="application/json" id="chart-data">${JSON.stringify(data).replace(/</g, '\\u003c')}</script>
<script>${CHART_SCRIPT}</script>
</body></html>`;
}
