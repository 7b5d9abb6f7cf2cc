// The hermes-webui target: the user's own checkout of hermes-webui, its static/ frontend served as is against the mock
// (or behind the harness's front, its own server; --backend real). Nothing of hermes-webui lives in this repository.
import { resolve } from 'node:path';
import { msw } from '../deps.ts';
import type { BrowserPage } from '../driver/types.ts';
import { oneLine } from '../printable.ts';
import { bootSignal } from './hermes-boot.ts';
import { hermesAgentControl } from './hermes-control.ts';
import { HermesRealServer } from './hermes-real.ts';
import { hermesAppDir, hermesVersion } from './hermes-checkout.ts';
import { hermesServerModel } from './hermes-server.ts';

export { hermesAppDir, hermesVersion };
import type { Target } from './types.ts';

/** Cache-bust token put in for __WEBUI_VERSION__; /api/settings reports the same one, so no stale-client banner. */
const BUNDLE_TOKEN = 'sse-harness';

/** An SSE reply that stays open with heartbeats until the client goes: hermes-webui's side feeds, never chat streams. */
function sideFeed(
  headers: Record<string, string> = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' },
  heartbeatMs = 5_000,
): Response {
  const enc = new TextEncoder();
  let timer: NodeJS.Timeout | undefined;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(enc.encode(': connected\n\n'));
      timer = setInterval(() => controller.enqueue(enc.encode(': heartbeat\n\n')), heartbeatMs);
      timer.unref();
    },
    cancel() {
      clearInterval(timer);
    },
  });
  return new (msw().HttpResponse)(body, { headers });
}

/** Boot, panel and polling routes whose empty answer the frontend takes as "nothing there" (checked in a browser). */
const EMPTY_OK = new Set([
  '/api/approval/pending',
  '/api/clarify/pending',
  '/api/client-events/log',
  '/api/crons/recent',
  '/api/dashboard/config',
  '/api/dashboard/status',
  '/api/git-info',
  '/api/health/agent',
  '/api/list',
  '/api/models',
  '/api/models/live',
  '/api/onboarding/status',
  '/api/profiles',
  '/api/reasoning',
  '/api/session/compress/status',
  '/api/session/draft',
  '/api/session/status',
  '/api/session/update',
  '/api/session/yolo',
  '/api/transcribe/capability',
  '/api/updates/check',
  '/api/workspaces',
]);

/** How many unknown routes are named; a page calling endless made-up paths gets one line saying so, not a flood. */
const UNKNOWN_NAMED = 50;

/** Other routes are answered {} too (the frontend tolerates it), and named once, so a newer frontend's call is seen. */
const unknownSeen = new Set<string>();
function unknownRoute(method: string, path: string): Response {
  const key = `${method} ${path}`;
  if (!EMPTY_OK.has(path) && !unknownSeen.has(key) && unknownSeen.size <= UNKNOWN_NAMED) {
    unknownSeen.add(key);
    // The path is the page's own text: escaped and cut like any untrusted text.
    process.stderr.write(
      unknownSeen.size > UNKNOWN_NAMED
        ? `sse-harness: hermes-webui called more than ${UNKNOWN_NAMED} routes the mock does not implement; the rest are answered {} without a word\n`
        : `sse-harness: hermes-webui called ${oneLine(key, 200)}, which the mock does not implement; answered {}\n`,
    );
  }
  return msw().HttpResponse.json({});
}

/** CDN tags (Prism, xterm): optional for the app, and a hung connection to them would stall boot. */
const EXTERNAL_TAG =
  /<script\b[^>]*\bsrc="https?:\/\/[^"]*"[^>]*>\s*<\/script>|<link\b[^>]*\bhref="https?:\/\/[^"]*"[^>]*>/gi;

/** Polls a page expression until it is true or the deadline passes; the caller acts either way. Says whether it held. */
async function settle(page: BrowserPage, expression: string, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await page.evaluate<boolean>(expression).catch(() => false)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Page expression: the selector of the sidebar row that opens a session. Rows carry the session id from v0.51.1 on;
 * earlier rows carry only the title, so the row is found by title (in list order when titles repeat) and marked with
 * an attribute of the harness's own. The sidebar re-renders while a chat streams, so the marks are kept by an
 * observer: a click that waits for the row finds it again after a re-render.
 */
function sidebarRow(sessionId: string): string {
  return `(() => {
    const sid = ${JSON.stringify(sessionId)};
    const byId = '#sessionList .session-item[data-sid="' + CSS.escape(sid) + '"]';
    if (document.querySelector(byId)) return byId;
    const list = document.getElementById('sessionList');
    if (!list || typeof _allSessions === 'undefined' || !Array.isArray(_allSessions)) return byId;
    const h = (window.__sseHarnessRows = window.__sseHarnessRows || { want: new Set(), observer: null });
    h.want.add(sid);
    const mark = () => {
      const title = (s) => String(s.title || 'Untitled').trim();
      const rowTitle = (r) => ((r.querySelector('.session-title') || {}).textContent || '').trim();
      const rows = [...list.querySelectorAll('.session-item')];
      for (const want of h.want) {
        const me = _allSessions.find((s) => s && s.session_id === want);
        if (!me || rows.some((r) => r.getAttribute('data-sse-harness-sid') === want)) continue;
        const same = rows.filter((r) => rowTitle(r) === title(me));
        const row = same[_allSessions.filter((s) => s && title(s) === title(me)).indexOf(me)] || same[0];
        if (row) row.setAttribute('data-sse-harness-sid', want);
      }
    };
    mark();
    if (!h.observer) {
      h.observer = new MutationObserver(mark);
      h.observer.observe(list, { childList: true, subtree: true });
    }
    return '#sessionList .session-item[data-sse-harness-sid="' + CSS.escape(sid) + '"]';
  })()`;
}

export function hermesTarget(appDir: string | undefined): Target {
  const root = hermesAppDir(appDir);
  const version = hermesVersion(root);
  const boot = bootSignal(resolve(root, 'static'), root);
  // The mock plays the server this checkout ships: its resume rules and its SSE replies' headers.
  const server = hermesServerModel(root);
  return {
    name: 'hermes-webui',
    version: `hermes-webui@${version} (${root})`,
    regressions: [],
    transports: ['eventsource'],
    backendModel: { resume: server.model.resume, why: server.why },
    realBackend: () => ({
      describe: `its own server (server.py at ${version}) with the harness's stub agent`,
      control: hermesAgentControl(),
      startServer: async (control) => HermesRealServer.start({ appDir: root, control }),
      transformHtml: (html) => html.replace(EXTERNAL_TAG, ''),
      blocked: ['/sw.js'],
    }),
    backend: () => {
      const { http, HttpResponse } = msw();
      return {
        server: server.model,
        root: resolve(root, 'static') + '/',
        // static/ itself may be a link: nothing served may resolve outside the checkout.
        confine: root,
        // The server's index template, filled the way hermes-webui's server fills it (auth off: empty CSRF token).
        transformHtml: (html) =>
          html
            .replaceAll('__WEBUI_VERSION__', BUNDLE_TOKEN)
            .replaceAll('__MAX_UPLOAD_BYTES__', '20971520')
            .replaceAll('__CSRF_TOKEN_JSON__', '""')
            .replace(EXTERNAL_TAG, ''),
        mapPath: (path) => {
          if (path === '/' || path === '/index.html') return 'index.html';
          // The app moves itself to /session/<id>, and its <base href> keeps assets at the root.
          if (path.startsWith('/session/static/')) return decodeURIComponent(path.slice('/session/static/'.length));
          if (path.startsWith('/session/')) return 'index.html';
          if (path.startsWith('/static/')) return decodeURIComponent(path.slice('/static/'.length));
          // A service worker would cache the shell and outlive the run.
          if (path === '/sw.js') return false;
          return null;
        },
        // After a network loss the app probes /health and recovers only on a 2xx.
        apiPaths: ['/health'],
        handlers: [
          http.get('*/health', () => HttpResponse.json({ status: 'ok' })),
          http.get('*/api/settings', () =>
            HttpResponse.json({
              send_key: 'enter',
              show_cli_sessions: false,
              onboarding_completed: true,
              check_for_updates: false,
              webui_version: BUNDLE_TOKEN,
              theme: 'dark',
              language: 'en',
            }),
          ),
          http.get('*/api/profile/active', () => HttpResponse.json({ name: 'default', is_default: true })),
          http.get('*/api/projects', () => HttpResponse.json({ projects: [] })),
          http.get('*/api/sessions/events', () => sideFeed(server.sideFeedHeaders['/api/sessions/events'])),
          http.get('*/api/session/stream', () => sideFeed(server.sideFeedHeaders['/api/session/stream'])),
          // Older releases listen for approvals and clarifications on their own SSE feeds while a chat streams: real
          // connections that take their place in the browser's per-host pool, so they are served as feeds too.
          http.get('*/api/approval/stream', () => sideFeed()),
          http.get('*/api/clarify/stream', () => sideFeed()),
        ],
        fallbackHandlers: [
          http.all('*/api/*', ({ request }) => unknownRoute(request.method, new URL(request.url).pathname)),
        ],
      };
    },
    entry({ query }) {
      const q = new URLSearchParams(query ?? {}).toString();
      return q ? `/?${q}` : '/';
    },
    // Releases mark the end of boot differently: the checkout's own scripts say which signal it has (hermes-boot.ts).
    readyExpression: boot.expression,
    readyRequests: boot.requests,
    readySignal: boot.name,
    viewedSessionExpression: `(typeof S !== 'undefined' && S.session && S.session.session_id) || null`,
    // The latest assistant text on screen, live or settled; a live turn also keeps a hidden source copy, left out.
    // Markdown drops an answer's trailing whitespace, so when the rendered text is the UI's own copy of the settled
    // message bar that, the copy stands for it.
    answerTextExpression: `(() => {
      const shows = (e) => e.getClientRects().length > 0;
      let b;
      const turn = [...document.querySelectorAll('#msgInner .assistant-turn')].filter(shows).pop();
      if (turn) {
        // A turn that names its session and names another than the one the app views is the pane in transition
        // (the app switched, the pane not yet): no answer to read in that frame.
        const viewed = typeof S !== 'undefined' && S.session ? S.session.session_id : null;
        if (turn.dataset.sessionId && viewed && turn.dataset.sessionId !== viewed) return null;
        const bodies = [...turn.querySelectorAll('.msg-body')].filter(shows);
        // Some releases show a live answer as a work-log line mirroring its hidden source segment (same anchor key).
        const keys = new Set([...turn.querySelectorAll('.assistant-segment-worklog-source[data-worklog-anchor-key]')].map((e) => e.getAttribute('data-worklog-anchor-key')));
        const mirrors = keys.size ? [...turn.querySelectorAll('[data-worklog-anchor-key]')].filter((e) => shows(e) && !e.classList.contains('assistant-segment-worklog-source') && keys.has(e.getAttribute('data-worklog-anchor-key'))) : [];
        b = (bodies.length ? bodies : mirrors).pop();
      } else {
        // Releases before the transcript redesign have no .assistant-turn: an assistant row is a .msg-row with an assistant role.
        b = [...document.querySelectorAll('#msgInner .msg-row > .msg-role.assistant ~ .msg-body')].filter(shows).pop();
      }
      if (!b) return null;
      const shown = b.textContent;
      const m = typeof S !== 'undefined' && Array.isArray(S.messages) ? [...S.messages].reverse().find((x) => x && x.role === 'assistant') : null;
      return m && typeof m.content === 'string' && m.content !== shown && m.content.trimEnd() === shown.trimEnd() ? m.content : shown;
    })()`,
    async newChat(page) {
      // On an empty, idle chat the button only focuses the composer (by design: no clutter of blank chats);
      // the scenario asks for a new one, so call what the button calls otherwise.
      const reuses = await page.evaluate<boolean>(
        `typeof _currentSessionIsReusableEmptyChat === 'function' && _currentSessionIsReusableEmptyChat()`,
      );
      if (reuses) await page.evaluate(`newSession().then(() => renderSessionList()).then(() => true)`);
      else await page.click('#btnNewChat');
    },
    async send(page, text) {
      // Enter inserts a newline on touch-first devices (the iPhone profile); the button sends everywhere.
      await page.type('#msg', text);
      // The button turns to Send once the app has seen the input; a WebDriver click on it before then does nothing
      // (Playwright's click waits by itself). While the app counts itself busy with another answer it offers Steer
      // or Queue instead; if Send does not come within 3 s the click goes anyway and the step fails on it.
      await settle(
        page,
        `(() => { const b = document.getElementById('btnSend'); return !!b && !b.disabled && b.dataset.action === 'send'; })()`,
        3_000,
      );
      // The app takes a message by emptying the composer (or turning the button to Stop). In WebKitGTK one click in
      // six or so did not reach the app while the button re-rendered (no chat started); like a person, click again
      // while the message still sits there untouched, up to three times in all.
      const taken = `(() => { const m = document.getElementById('msg'); const b = document.getElementById('btnSend'); return !m || m.value !== ${JSON.stringify(text)} || !b || b.dataset.action !== 'send'; })()`;
      for (let attempt = 1; attempt <= 3; attempt++) {
        await page.click('#btnSend');
        if (await settle(page, taken, 1_000)) return;
      }
    },
    async switchTo(page, sessionId) {
      await page.click(await page.evaluate<string>(sidebarRow(sessionId)));
    },
    async stop(page) {
      // The composer's one button turns to Stop while the viewed chat streams and its input is empty (every
      // release swept: getComposerPrimaryAction); it then calls cancelStream, which asks the server to cancel.
      const offered = await settle(
        page,
        `(() => { const b = document.getElementById('btnSend'); return !!b && b.dataset.action === 'stop'; })()`,
        3_000,
      );
      // A release that shows no Stop gives the user nothing to press: clicking the button anyway would be judged as a
      // stop that did not end the stream.
      if (!offered) {
        const action = await page
          .evaluate<string | null>(`(document.getElementById('btnSend') || {dataset: {}}).dataset.action || null`)
          .catch(() => null);
        throw new Error(
          `this hermes-webui shows no Stop button while the answer streams (its composer button is ${JSON.stringify(action)}), so the stop step cannot be taken`,
        );
      }
      await page.click('#btnSend');
    },
  };
}
