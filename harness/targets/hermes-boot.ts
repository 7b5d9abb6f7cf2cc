// When a hermes-webui checkout counts as booted. Releases mark the end of boot differently, so the signal is chosen
// from what the checkout's own frontend defines, read once when the target is made; the report names the one used.
import { readdirSync } from 'node:fs';
import { ConfinedError, readConfinedSync } from '../confined.ts';

export interface BootSignal {
  /** Short name for reports and errors. */
  name: string;
  /** What the signal means, in one sentence. */
  means: string;
  /** Page expression that is true once the UI has booted. */
  expression: string;
  /** API paths the backend must have answered with a 2xx since the page was opened (the sidebar's first load). */
  requests: string[];
}

// Boot also finishes after a failed boot (the error path shows the empty state too): only an answered sidebar
// request says that the API was reached, so every signal but the first also waits for it at the backend.
const SIGNALS: { defines: RegExp; signal: BootSignal }[] = [
  {
    defines: /\b_sessionListHasLoadedOnce\s*=\s*true\b/,
    signal: {
      name: 'bootReady+sessionListLoaded',
      means: 'S._bootReady is set and the sidebar has loaded once (_sessionListHasLoadedOnce)',
      expression: `typeof S !== 'undefined' && S._bootReady === true && typeof _sessionListHasLoadedOnce !== 'undefined' && _sessionListHasLoadedOnce === true`,
      requests: [],
    },
  },
  {
    defines: /\bS\._bootReady\s*=\s*true\b/,
    signal: {
      name: 'bootReady+sessionsAnswered',
      means: 'S._bootReady is set and the backend has answered the sidebar request (GET /api/sessions)',
      expression: `typeof S !== 'undefined' && S._bootReady === true`,
      requests: ['/api/sessions'],
    },
  },
];

/** Releases before the boot flag: boot ends by showing the empty state with the composer enabled. */
const EMPTY_STATE: BootSignal = {
  name: 'emptyState+sessionsAnswered',
  means:
    'the empty state shows, the composer is enabled and the backend has answered the sidebar request (GET /api/sessions)',
  expression: `(() => { const e = document.getElementById('emptyState'); const m = document.getElementById('msg'); return typeof S !== 'undefined' && !!e && e.style.display !== 'none' && e.getClientRects().length > 0 && !!m && !m.disabled; })()`,
  requests: ['/api/sessions'],
};

/** The largest script read: a frontend's scripts are hundreds of kilobytes. */
const MAX_SCRIPT_BYTES = 16 * 1024 * 1024;

/**
 * The boot signal of the checkout whose frontend is in `staticDir`: the most precise one its scripts define. Only
 * regular files inside `checkout` are read; a link out of it, a FIFO or a device is passed over.
 */
export function bootSignal(staticDir: string, checkout = staticDir): BootSignal {
  let source = '';
  try {
    for (const f of readdirSync(staticDir)) {
      if (!f.endsWith('.js')) continue;
      try {
        source += readConfinedSync(staticDir, f, MAX_SCRIPT_BYTES, checkout);
      } catch (e) {
        if (!(e instanceof ConfinedError)) throw e;
      }
    }
  } catch {
    return EMPTY_STATE;
  }
  return SIGNALS.find((s) => s.defines.test(source))?.signal ?? EMPTY_STATE;
}
