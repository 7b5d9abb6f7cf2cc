// What one read of the page adds to the timeline, shared by the runner and the Playwright fixture so both judge the
// same events: the probe's buffered events, and the viewed session's answer whenever it changes.
import type { ChatBackend } from '../mock/chat-backend.ts';
import { chatStreamKey } from '../mock/backend.ts';
import { textEvent } from '../oracles/divergence.ts';
import { creationSite } from '../probe/creationSite.ts';
import type { ProbeEvent } from '../probe/page-probe-client.ts';
import type { Timeline } from '../timeline.ts';

/** Puts the probe's events on the timeline; returns how many were the page letting go of a chat stream. */
export function recordProbeEvents(timeline: Timeline, events: ProbeEvent[], backendUrl: string): number {
  let closes = 0;
  for (const e of events) {
    const t = timeline.fromEpoch(e.t);
    if (e.kind === 'stall' && e.source) timeline.add({ kind: 'stall', t, duration: e.duration ?? 0, source: e.source });
    else if (e.kind === 'page-error') timeline.add({ kind: 'page-error', t, message: e.message ?? '' });
    else if (e.kind === 'hidden-request') timeline.add({ kind: 'hidden-request', t, path: e.path ?? '' });
    else if (e.kind === 'es-create' && e.chat)
      timeline.add({
        kind: 'page-open',
        t,
        ...chatStreamKey(e.url ?? ''),
        site: creationSite(e.stack, backendUrl) ?? undefined,
      });
    else if (e.kind === 'stream-create' && e.transport)
      timeline.add({
        kind: 'page-open',
        t,
        ...chatStreamKey(e.url ?? ''),
        transport: e.transport,
        site: creationSite(e.stack, backendUrl) ?? undefined,
      });
    else if (e.kind === 'es-close') {
      timeline.add({ kind: 'page-close', t, ...chatStreamKey(e.url ?? '') });
      closes++;
    } else if (e.kind === 'stream-close') {
      timeline.add({ kind: 'page-close', t, ...chatStreamKey(e.url ?? ''), path: urlPath(e.url ?? '') });
      closes++;
    }
  }
  return closes;
}

/** Records what the UI shows as the viewed session's answer, whenever it changes. */
export class TextRecorder {
  private readonly last = new Map<string, number>();
  private readonly max = new Map<string, number>();
  constructor(
    private readonly timeline: Timeline,
    private readonly backend: Pick<ChatBackend, 'runFor'>,
    private readonly sessions: Record<string, string>,
  ) {}

  record(shown: { sid: string | null; text: string | null }): void {
    if (!shown.sid || shown.text === null) return;
    const run = this.backend.runFor(shown.sid);
    if (!run) return;
    const scripted = run.answer.join('');
    const prefixOk = scripted.startsWith(shown.text);
    // An unchanged read adds nothing, unless it contradicts the script: then each read is a witness that confirms it
    // (the transcript oracle does not judge a contradicting frame on its own).
    const before = this.last.get(shown.sid);
    const key = `${shown.sid} ${run.streamId}`;
    if (before === shown.text.length && prefixOk && shown.text.length >= (this.max.get(key) ?? 0)) return;
    this.last.set(shown.sid, shown.text.length);
    this.max.set(key, Math.max(this.max.get(key) ?? 0, shown.text.length));
    // Where and how a text left its script is judged now, while every session's script is at hand.
    const others = () =>
      Object.entries(this.sessions)
        .filter(([, id]) => id !== shown.sid)
        .map(([alias, id]) => ({ session: alias, text: this.backend.runFor(id)?.answer.join('') ?? '' }));
    this.timeline.add(textEvent(this.timeline.now(), shown.sid, shown.text, scripted, others));
  }

  /** The page starts anew (a reload): what it showed before is no baseline for what it shows next. */
  forget(): void {
    this.last.clear();
    this.max.clear();
  }
}

/** A URL's path, or '' for one that does not parse. */
function urlPath(url: string): string {
  try {
    return new URL(url, 'http://localhost').pathname;
  } catch {
    return '';
  }
}
