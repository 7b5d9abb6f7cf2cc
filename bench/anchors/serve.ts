// The reference UI served for tools other than the harness: switch-return's backend, without the harness's page probe.
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { MockBackend } from '../../harness/mock/backend.ts';
import type { Scenario, StreamItem } from '../../harness/scenario/schema.ts';
import { DEFAULT_TOKEN_RATE } from '../../harness/scenario/schema.ts';
import { REFERENCE_UI_DIR, referenceTarget } from '../../harness/targets/reference.ts';
import { Timeline } from '../../harness/timeline.ts';

/** The regression the anchors measure; the healthy page is the same UI without it. */
export const LEAK = 'leak-on-switch';

/**
 * How long every answer streams. switch-return's answers last 20 s, and the harness judges while they stream; fuite
 * and memlab take their last heap snapshot a minute or more after the page opened, when 20-second answers have ended
 * and closed every stream, leaked or not. Each answer keeps the scenario's rate but streams this long, so a stream
 * left open by a switch is still open, and still held by the page, whenever a tool looks.
 */
export const ANSWER_SECONDS = 600;

/** The scenario's stream scripts with every tokens item lengthened to ANSWER_SECONDS at its own rate. */
export function lengthened(script: StreamItem[]): StreamItem[] {
  return script.map((item) =>
    'tokens' in item && item.tokens.text === undefined
      ? { tokens: { ...item.tokens, count: Math.round((item.tokens.rate ?? DEFAULT_TOKEN_RATE) * ANSWER_SECONDS) } }
      : item,
  );
}

export interface ServedPage {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts the mock backend with the reference UI as `run` serves it for `scenario` (same UI options, same regression
 * query), every chat start playing the scenario's stream. No page probe: the other tools see the UI's own code only.
 */
export async function serveReference(scenario: Scenario, leak: boolean): Promise<ServedPage> {
  const streams = Object.entries(scenario.streams);
  if (streams.length !== 1)
    throw new Error(
      `bench:anchors: ${scenario.name} has ${streams.length} streams; the anchors play one for every chat`,
    );
  const [name, script] = streams[0]!;
  const backend = new MockBackend({ ...referenceTarget.backend(), probe: false }, new Timeline());
  await backend.start();
  backend.arm('*', name, lengthened(script));
  const entry = referenceTarget.entry({ regress: leak ? [LEAK] : [], ui: scenario.ui ?? {} });
  return { url: `${backend.url}${entry}`, stop: () => backend.stop() };
}

/** Whether `site` (as the harness names a leaked stream's creation site, "/app.js:89") is a `new EventSource` line of the reference UI. */
export function createsEventSource(site: string): boolean {
  const m = /\/([\w.-]+\.js):(\d+)/.exec(site);
  if (!m) return false;
  try {
    const line = readFileSync(join(REFERENCE_UI_DIR, basename(m[1]!)), 'utf8').split('\n')[Number(m[2]) - 1] ?? '';
    return /\bnew EventSource\(/.test(line);
  } catch {
    return false;
  }
}
