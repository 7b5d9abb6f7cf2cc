// Streaming transports: how a UI reads its chat streams. A target lists those it can be asked for (Target.transports,
// its default first) and says which one it was made with (Target.transport); a run asks with --transport.
import type { Target } from './types.ts';

/** Every kind of long-lived streaming connection the harness knows of (the witnesses count them by these names). */
export const TRANSPORT_KINDS = ['eventsource', 'fetch-stream', 'xhr-stream', 'websocket'] as const;
export type TransportKind = (typeof TRANSPORT_KINDS)[number];

/**
 * Checks that a target made for `transport` honours it: the target lists it, and says it was made for it or has it as
 * its default. Throws one sentence naming the transports the target has.
 */
export function checkTransport(target: Target, transport: string, label = '--transport'): void {
  // Made for it (or it is the default of a target made for none), and one the target lists.
  if ((target.transport ?? target.transports?.[0]) === transport && target.transports?.includes(transport)) return;
  const has = target.transports?.length
    ? `it streams over ${target.transports.join(' or ')}`
    : 'it does not say which transports it has (a target lists them in transports)';
  throw new Error(
    `sse-harness: ${label} ${transport}: the ${target.name} target cannot stream over that: ${has}. Give one of those, or leave ${label} out.`,
  );
}
