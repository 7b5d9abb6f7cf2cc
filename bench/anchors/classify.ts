// What each tool said, read from what it printed (and fuite's own JSON): a leak or not, and whether it named the
// EventSource. Nothing here trusts an exit code alone: fuite and memlab exit 0 whatever they found.

export type Tool = 'harness' | 'fuite' | 'memlab';

export interface Finished {
  /** Exit code, or null when the process was killed (timeout, signal). */
  code: number | null;
  stdout: string;
  stderr: string;
  /** Set when the bench killed it at its deadline. */
  timedOut?: boolean;
  /** fuite's --output file, as written (a JSON array of test results), when there is one. */
  fuiteJson?: string;
}

export interface Reading {
  /** leak: the tool reported a leak (or, for the harness, a failing verdict); clean: it reported none; none: no verdict. */
  verdict: 'leak' | 'clean' | 'none';
  /** The tool's output names the leaked EventSource: the word, or (harness) a creation site that is `new EventSource`. */
  namesEventSource: boolean;
  /** What it pointed at, in its own words, shortened: the evidence for the two fields above. */
  named: string;
  /** Why there is no verdict (crash, timeout, a line of its error). */
  why?: string;
}

const MAX_NAMED = 300;
// ANSI colour and cursor codes, which fuite and memlab print even into a pipe.
// eslint-disable-next-line no-control-regex -- ESC starts each code
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g;
const plain = (s: string) => s.replace(ANSI, '');
const short = (s: string) => (s.length > MAX_NAMED ? `${s.slice(0, MAX_NAMED - 1)}…` : s);
const lastLine = (s: string) =>
  plain(s)
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .at(-1) ?? '';

function noVerdict(run: Finished, what: string): Reading {
  const why = run.timedOut
    ? 'killed at the deadline'
    : run.code === null
      ? 'killed by a signal'
      : `${what}; exit ${run.code}: ${short(lastLine(run.stderr) || lastLine(run.stdout) || '(no output)')}`;
  return { verdict: 'none', namesEventSource: false, named: '', why };
}

/**
 * The harness: exit 1 with a FAIL line is a failing verdict, exit 0 with PASS a passing one. It names a leak as open
 * chat streams with the place they were created; `isEventSourceSite` says whether that place is a `new EventSource`.
 */
export function readHarness(run: Finished, isEventSourceSite: (site: string) => boolean): Reading {
  const out = plain(run.stdout);
  const failed = run.code === 1 && /\bFAIL\b/.test(out);
  const passed = run.code === 0 && /\bPASS\b/.test(out);
  if (!failed && !passed) return noVerdict(run, 'no PASS or FAIL verdict');
  if (passed) return { verdict: 'clean', namesEventSource: false, named: '' };
  const streams = /liveStreams: ([^;\n]*streams? open[^;\n]*)/.exec(out)?.[1];
  const site = /created at (\S+) in (\S+)/.exec(out);
  const named = [
    streams ? `liveStreams: ${streams}` : (/FAIL[^\n]*/.exec(out)?.[0] ?? 'FAIL'),
    site ? `created at ${site[1]} in ${site[2]}` : '',
  ]
    .filter(Boolean)
    .join('; ');
  const namesEventSource = /EventSource/.test(out) || (!!streams && !!site && isEventSourceSite(site[1]!));
  return { verdict: 'leak', namesEventSource, named: short(named) };
}

interface FuiteResult {
  test?: unknown;
  result?: {
    failed?: boolean;
    error?: { message?: string };
    leaks?: {
      detected?: boolean;
      objects?: { name?: string; countDeltaPerIteration?: number }[];
      eventListeners?: { type?: string; deltaPerIteration?: number }[];
      collections?: { type?: string; deltaPerIteration?: number }[];
      domNodes?: { deltaPerIteration?: number };
    };
  };
}

/** fuite's JSON results with the bulky heap indexes left out: what it found, per test. */
export function fuiteSummary(json: string | undefined): unknown {
  const results = parseFuite(json);
  if (!results) return undefined;
  return results.map((r) => ({
    failed: r.result?.failed ?? false,
    error: r.result?.error?.message,
    detected: r.result?.leaks?.detected,
    objects: r.result?.leaks?.objects?.map((o) => ({ name: o.name, addedPerIteration: o.countDeltaPerIteration })),
    eventListeners: r.result?.leaks?.eventListeners?.map((l) => ({
      type: l.type,
      addedPerIteration: l.deltaPerIteration,
    })),
    collections: r.result?.leaks?.collections?.map((c) => ({ type: c.type, addedPerIteration: c.deltaPerIteration })),
    domNodesPerIteration: r.result?.leaks?.domNodes?.deltaPerIteration,
  }));
}

function parseFuite(json: string | undefined): FuiteResult[] | null {
  if (!json) return null;
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? (v as FuiteResult[]) : null;
  } catch {
    return null;
  }
}

/** fuite: its JSON says per test whether leaks were detected and which objects, listeners, collections grew. */
export function readFuite(run: Finished): Reading {
  const results = parseFuite(run.fuiteJson);
  if (run.code !== 0 || !results || results.length === 0)
    return noVerdict(run, results?.length === 0 ? 'no test ran' : 'no results');
  const failed = results.find((r) => r.result?.failed);
  // Its JSON keeps an Error as {}: the message is in what it printed.
  const message = () =>
    failed?.result?.error?.message ?? /^Failed\s*:\s*(.+)$/m.exec(plain(run.stdout))?.[1] ?? 'no message';
  if (failed)
    return { verdict: 'none', namesEventSource: false, named: '', why: `its test failed: ${short(message())}` };
  const leaks = results.map((r) => r.result?.leaks ?? {});
  const detected = leaks.some((l) => l.detected);
  const names = leaks.flatMap((l) => [
    ...(l.objects ?? []).map((o) => `${o.name} +${o.countDeltaPerIteration}`),
    ...(l.eventListeners ?? []).map((e) => `listener ${e.type} +${e.deltaPerIteration}`),
    ...(l.collections ?? []).map((c) => `${c.type} +${c.deltaPerIteration}`),
    ...(l.domNodes?.deltaPerIteration ? [`DOM nodes +${l.domNodes.deltaPerIteration}`] : []),
  ]);
  const namesEventSource = /EventSource/.test(plain(run.stdout)) || names.some((n) => /EventSource/.test(n));
  return {
    verdict: detected ? 'leak' : 'clean',
    namesEventSource,
    named: detected ? short(`per iteration: ${names.join(', ')}`) : '',
  };
}

/** memlab: "MemLab found N leak(s)", then one retainer trace per leak cluster (it prints them on stderr). */
export function readMemlab(run: Finished): Reading {
  const out = plain(`${run.stdout}\n${run.stderr}`);
  const found = /MemLab found (\d+) leak/.exec(out);
  if (run.code !== 0 || !found) return noVerdict(run, 'no "MemLab found N leak(s)" line');
  const n = Number(found[1]);
  // The first cluster's retainer trace: the lines after its "--Similar leaks in this run" header, up to a blank line.
  const lines = out.split('\n').map((l) => l.trim());
  const head = lines.findIndex((l) => l.startsWith('--Similar leaks'));
  const end = head < 0 ? -1 : lines.indexOf('', head);
  const trace = head < 0 ? '' : lines.slice(head, end < 0 ? head + 8 : Math.min(end, head + 8)).join(' ');
  return {
    verdict: n > 0 ? 'leak' : 'clean',
    namesEventSource: /EventSource/.test(out),
    named: n > 0 ? short(`${n} leak(s)${trace ? `: ${trace}` : ''}`) : '',
  };
}

export function read(tool: Tool, run: Finished, isEventSourceSite: (site: string) => boolean): Reading {
  return tool === 'harness' ? readHarness(run, isEventSourceSite) : tool === 'fuite' ? readFuite(run) : readMemlab(run);
}
