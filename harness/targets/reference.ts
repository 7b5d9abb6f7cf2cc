// The built-in reference chat UI (fixtures/chat-ui): healthy by default, each regression class switchable by query.
import { existsSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { ROOT } from '../paths.ts';
import { REGRESSION_CLASSES } from '../scenario/classes.ts';
import { checkTransport } from './transport.ts';
import type { Target } from './types.ts';

export const REFERENCE_UI_DIR = join(ROOT, 'fixtures', 'chat-ui') + sep;

/** Checks that dir holds a copy of the reference UI; throws one sentence with the fix otherwise. */
export function referenceAppDir(dir: string): string {
  const abs = resolve(dir);
  if (!existsSync(abs))
    throw new Error(
      `sse-harness: --app-dir ${dir}: no such directory. Give the folder that holds the chat UI's index.html (for the reference UI: fixtures/chat-ui).`,
    );
  if (!statSync(abs).isDirectory())
    throw new Error(
      `sse-harness: --app-dir ${dir}: not a directory. Give the folder that holds the chat UI's index.html.`,
    );
  for (const f of ['index.html', 'app.js']) {
    if (!existsSync(resolve(abs, f)))
      throw new Error(
        `sse-harness: --app-dir ${dir}: no ${f} there, so it is not a copy of the reference UI. Give the folder that holds index.html and app.js, or leave --app-dir out.`,
      );
  }
  return abs;
}

/** The transports the reference UI can stream over (its ?transport=), its default first. */
export const REFERENCE_TRANSPORTS = ['eventsource', 'fetch-stream'] as const;

/**
 * The reference UI, served from fixtures/chat-ui or from a copy of it (appDir: a worktree, a bisect candidate), over
 * the transport asked for (none: its default). Throws one sentence for a transport it does not have.
 */
export function referenceTargetAt(appDir?: string, transport?: string): Target {
  const root = appDir && referenceAppDir(appDir);
  const at: Target = root
    ? {
        ...referenceTarget,
        version: `reference-ui@1 (${root})`,
        backend: () => ({ root: root.endsWith('/') ? root : `${root}/` }),
      }
    : referenceTarget;
  if (transport === undefined) return at;
  if (!(REFERENCE_TRANSPORTS as readonly string[]).includes(transport)) {
    checkTransport(at, transport);
  }
  return {
    ...at,
    transport,
    // The transport is set last: a scenario's query cannot make the UI use another than the report names.
    entry: (opts) => withQuery(at.entry(opts), 'transport', transport),
  };
}

function withQuery(entry: string, key: string, value: string): string {
  const url = new URL(entry, 'http://entry.invalid');
  url.searchParams.set(key, value);
  return `${url.pathname}${url.search}`;
}

export const referenceTarget: Target = {
  name: 'reference',
  version: 'reference-ui@1',
  regressions: REGRESSION_CLASSES,
  transports: REFERENCE_TRANSPORTS,
  backend: () => ({ root: REFERENCE_UI_DIR }),
  // The UI resumes with after_seq and applies each seq once, as written for the newest server's rules.
  backendModel: {
    resume: 'journal',
    why: "the reference UI resumes with after_seq; the mock plays the newest hermes-webui server's rules (its default)",
  },
  entry({ regress, ui, query }) {
    const q = new URLSearchParams();
    if (regress.length) q.set('regress', regress.join(','));
    if (ui.poll) q.set('poll', String(ui.poll));
    if (ui.reconnectMs) q.set('reconnectMs', String(ui.reconnectMs));
    for (const [k, v] of Object.entries(query ?? {})) q.set(k, v);
    const s = q.toString();
    return s ? `/?${s}` : '/';
  },
  readyExpression: `document.body && document.body.dataset.ready === '1'`,
  viewedSessionExpression: `(document.querySelector('#messages') || {}).dataset ? document.querySelector('#messages').dataset.sid || null : null`,
  answerTextExpression: `(() => { const m = [...document.querySelectorAll('#messages .msg[data-role="assistant"]')].pop(); const b = m && m.querySelector('.body'); return b ? b.textContent : null; })()`,
  async newChat(page) {
    await page.click('#newChat');
  },
  async send(page, text) {
    await page.type('#composer', text);
    await page.press('#composer', 'Enter');
  },
  async switchTo(page, sessionId) {
    await page.click(`#sessions .session[data-sid="${sessionId}"]`);
  },
  async stop(page) {
    await page.click('#stop');
  },
};
