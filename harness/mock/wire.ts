// Wire: how one subscriber's connection carries a run's events. The run journals protocol-neutral events (token,
// reasoning, tool, tool_complete, done, stream_end, cancel, apperror, a scenario's own); a protocol profile turns
// them into its bytes. Each subscriber has its own wire, so a profile may keep per-connection state (an open text
// part, a step).

/** One journalled event of a run. */
export interface JournalEntry {
  seq: number;
  event: string;
  /** The event's data, as JSON. */
  data: string;
}

export interface Wire {
  /** What a new subscriber gets before any event (SSE: the retry hint and a comment so `open` fires at once). */
  hello(retryMs: number | undefined): string[];
  /** The chunks for one event; `id` is the frame id the server model stamps, or null for none. */
  event(e: JournalEntry, id: string | null): string[];
  /** What keeps an idle connection alive; empty when the protocol has its own (WebSocket pings). */
  heartbeat(): string[];
}

/** hermes-webui's wire: named SSE events, each with its run:seq id, JSON data. */
export function hermesWire(): Wire {
  return {
    hello: (retryMs) => [...(retryMs ? [`retry: ${retryMs}\n\n`] : []), ': connected\n\n'],
    event: (e, id) => [`${id === null ? '' : `id: ${id}\n`}event: ${e.event}\ndata: ${e.data}\n\n`],
    heartbeat: () => [': heartbeat\n\n'],
  };
}
