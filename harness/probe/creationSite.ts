// Where the UI created an EventSource: the first frame of the probe's creation stack that is not the probe's own.
// Parsed in Node from the bounded stack text the page sends, in the two formats browsers write:
//   Chromium (V8):            "    at openStream (http://127.0.0.1:4100/app.js:88:14)"  or  "    at http://…/app.js:3:1"
//   WebKit (JSC), Firefox:    "openStream@http://127.0.0.1:4100/app.js:88:22"          or  "@http://…/app.js:3:1"
import { printable } from '../printable.ts';
import type { CreationSite } from '../timeline.ts';

/** A stack longer than this is cut: the site is among its first frames, and the page's text is untrusted. */
const MAX_STACK = 4000;
const MAX_FIELD = 300;

const V8 = /^\s*at (?:(.+?) \()?(.+?):(\d+):(\d+)\)?\s*$/;
const JSC = /^\s*(.*?)@(.+?):(\d+):(\d+)\s*$/;

interface Frame {
  fn: string;
  url: string;
  line: number;
  column: number;
}

function parseFrame(line: string): Frame | null {
  const m = V8.exec(line) ?? JSC.exec(line);
  if (!m) return null;
  // V8 names code run by eval "eval at <caller> (<where>), <anonymous>": the line and column are the eval'd code's.
  const url = m[2]!.replace(/^eval at .*, (?=[^,]*$)/, '');
  return { fn: (m[1] ?? '').trim(), url, line: Number(m[3]), column: Number(m[4]) };
}

/**
 * The probe's own frames: its script (served under /__harness/) and its EventSource wrapper, which a probe injected
 * without a URL (an init script) still names. Async and construct markers are the browser's, not the function's.
 */
function isProbeFrame(f: Frame): boolean {
  if (f.url.includes('/__harness/')) return true;
  const name = f.fn.replace(/^(async|new) /, '');
  return /(^|\.)EventSource$/.test(name);
}

/** The frame's file as a reader finds it: the URL path on the page's own origin, the whole URL elsewhere. */
function fileOf(url: string, origin?: string): string {
  try {
    const u = new URL(url);
    if (origin !== undefined && u.origin === new URL(origin).origin) return u.pathname;
    return `${u.origin}${u.pathname}`;
  } catch {
    return url;
  }
}

/**
 * The creation site in a stack captured inside the probe's EventSource wrapper: the first frame after the probe's own,
 * or null when the stack holds none (no stack, native frames only). `origin`: the page's origin, so files on it are
 * named by their path.
 */
export function creationSite(stack: string | undefined, origin?: string): CreationSite | null {
  if (!stack) return null;
  let probeSeen = false;
  for (const raw of stack.slice(0, MAX_STACK).split('\n')) {
    const f = parseFrame(raw);
    if (!f) continue;
    if (isProbeFrame(f)) {
      probeSeen = true;
      continue;
    }
    // Frames before the probe's own would be the stack's capture machinery, never the UI's call.
    if (!probeSeen && /^(new )?Error$/.test(f.fn)) continue;
    const site: CreationSite = {
      file: printable(fileOf(f.url, origin)).slice(0, MAX_FIELD),
      line: f.line,
      column: f.column,
    };
    // JSC names top-level code "global code" or "module code": no function.
    const fn = f.fn.replace(/^async /, '');
    if (fn && !/^(global|module|eval) code$/.test(fn)) site.function = printable(fn).slice(0, MAX_FIELD);
    return site;
  }
  return null;
}
