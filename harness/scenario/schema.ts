// The scenario file format: streams (what the backend plays), steps (what the user does), expect (oracles).
import type { z as Z } from 'zod';
import { z } from '../deps.ts';
import {
  MAX_DURATION_MS,
  MAX_EXPANDED_VALUES,
  MAX_FILE_BYTES,
  MAX_SCRIPTED_MS,
  MAX_STEPS,
  MAX_TIME_SCALE,
  MAX_TOKEN_RATE,
  MAX_TOKENS_PER_STREAM,
  MIN_TIME_SCALE,
  MIN_TOKEN_RATE,
  RESERVED_NAMES,
} from './limits.ts';
import { FIRST_TAB } from '../timeline.ts';

/** Tokens per second when a tokens item gives no rate. */
export const DEFAULT_TOKEN_RATE = 20;

// Every duration is capped: Node's timers overflow past 2^31-1 ms and fire at once (see limits.ts).
const DURATION_HINT = 'a duration is in milliseconds and lasts 1 hour at most';
const ms = (what: string) =>
  z.number().int().nonnegative().max(MAX_DURATION_MS, DURATION_HINT).describe(`${what}; at most ${MAX_DURATION_MS} ms`);
const positiveMs = (what: string) =>
  z.number().int().positive().max(MAX_DURATION_MS, DURATION_HINT).describe(`${what}; at most ${MAX_DURATION_MS} ms`);
const tokenCount = (what: string) =>
  z
    .number()
    .int()
    .positive()
    .max(MAX_TOKENS_PER_STREAM, `a stream sends at most ${MAX_TOKENS_PER_STREAM} tokens`)
    .describe(`${what}; at most ${MAX_TOKENS_PER_STREAM}`);
/** The fix for a reserved name, wherever one is refused. */
export const RESERVED_HINT = `pick another name; ${RESERVED_NAMES.join(', ')} are reserved`;
/** A stream or session name: it becomes a key, so JavaScript's object internals are not names. */
const notReserved = <T extends Z.ZodString>(s: T) =>
  s.refine((v) => !RESERVED_NAMES.includes(v), { message: 'is a reserved name', params: { hint: RESERVED_HINT } });
const alias = notReserved(
  z.string().regex(/^[A-Za-z][\w-]*$/, 'a session alias is a name like "a" or "chat-1" (letters, digits, - and _)'),
);
const tabName = notReserved(
  z.string().regex(/^[A-Za-z][\w-]*$/, 'a tab name is a name like "second" or "tab-2" (letters, digits, - and _)'),
);

// ---------------------------------------------------------------- stream script items

const tokensArg = z
  .object({
    count: tokenCount('how many generated words to send').optional(),
    text: z.string().min(1).optional().describe('exact text, split into word tokens'),
    rate: z
      .number()
      .positive()
      .min(MIN_TOKEN_RATE, `the slowest rate is ${MIN_TOKEN_RATE} tokens/s; script a pause with wait or stall`)
      .max(MAX_TOKEN_RATE, `the fastest rate is ${MAX_TOKEN_RATE} tokens/s; send all at once with burst`)
      .optional()
      .describe(`tokens per second (default ${DEFAULT_TOKEN_RATE}; ${MIN_TOKEN_RATE} to ${MAX_TOKEN_RATE})`),
  })
  .strict();

export const streamItemShape = {
  tokens: tokensArg.describe('send answer tokens at a steady rate'),
  burst: z
    .object({
      count: tokenCount('how many generated words to send').optional(),
      text: z.string().min(1).optional(),
    })
    .strict()
    .describe('send tokens all at once, in one socket write'),
  reasoning: z.string().min(1).describe('a reasoning event'),
  tool: z
    .object({
      name: z.string().min(1),
      preview: z.string().optional(),
      duration: ms('how long the tool runs').optional(),
    })
    .strict()
    .describe('a tool call that runs for duration ms'),
  wait: ms('pause, heartbeats continue'),
  stall: positiveMs('pause with no events and no heartbeats'),
  drop: z.literal(true).describe('the server drops every client socket of this stream; the run goes on'),
  event: z
    .object({
      name: z.string().regex(/^[a-z_]+$/, 'an event name is lower_snake_case, like "token" or "tool_result"'),
      data: z.record(z.string(), z.unknown()).optional(),
    })
    .strict()
    .describe('a raw named event'),
  apperror: z.object({ message: z.string() }).strict().describe('an apperror event'),
} as const;

export type StreamItemName = keyof typeof streamItemShape;
export const streamItemNames = Object.keys(streamItemShape) as StreamItemName[];

export const streamItemSchema = z
  .object(Object.fromEntries(Object.entries(streamItemShape).map(([k, s]) => [k, s.optional()])))
  .strict() as unknown as Z.ZodType<StreamItem>;

export type StreamItem =
  | { tokens: Z.infer<typeof tokensArg> }
  | { burst: { count?: number; text?: string } }
  | { reasoning: string }
  | { tool: { name: string; preview?: string; duration?: number } }
  | { wait: number }
  | { stall: number }
  | { drop: true }
  | { event: { name: string; data?: Record<string, unknown> } }
  | { apperror: { message: string } };

// ---------------------------------------------------------------- steps

const waitForArg = z
  .object({
    session: alias.optional().describe('default: the session being viewed'),
    tokens: tokenCount('at least N answer tokens rendered').optional(),
    moreTokens: tokenCount(
      'N more answer tokens rendered than the UI showed when the step began: the stream is live again (after a return, unlock or foreground)',
    ).optional(),
    complete: z.literal(true).optional().describe('the whole scripted answer rendered'),
    runEnded: z.literal(true).optional().describe('the server-side run finished'),
    connections: z.number().int().nonnegative().optional().describe('exactly N chat streams open at the server'),
    timeout: positiveMs('deadline in ms (default 10000)').optional(),
  })
  .strict();

export const stepShape = {
  open: z
    .object({ query: z.record(z.string(), z.string()).optional() })
    .strict()
    .describe('load the chat UI'),
  newChat: alias.describe('start a new chat and name it'),
  send: z
    .object({
      session: alias.optional().describe('default: the session being viewed'),
      stream: notReserved(z.string().min(1)).describe('name of a stream under streams:'),
      text: z.string().min(1).optional(),
    })
    .strict()
    .describe('type a message and send it; the backend answers with the named stream'),
  switchTo: alias.describe('click a session in the sidebar'),
  openTab: tabName.describe(
    `open the UI in another tab of the same browser (same storage, one connection pool per origin), as open does, and make it the current tab; the first tab is "${FIRST_TAB}"`,
  ),
  switchTab: tabName.describe(
    'make another open tab the current one: the tab left goes to the background (hidden), the one chosen comes forward',
  ),
  waitFor: waitForArg.describe('wait for a condition, with a deadline'),
  wait: positiveMs('let scripted time pass (the user reads); not a synchronisation tool'),
  background: z.object({}).strict().describe('the tab goes to the background: hidden, still running'),
  foreground: z.object({}).strict().describe('the tab comes back: visible'),
  lock: z
    .object({
      freeze: z.boolean().optional().describe('freeze the page (default true)'),
      dropSockets: z.boolean().optional().describe('the OS kills the SSE sockets (default true)'),
    })
    .strict()
    .describe('screen lock / app switch on a phone: hidden, frozen, sockets killed'),
  unlock: z.object({}).strict().describe('back from lock: unfrozen and visible'),
  freeze: z.object({}).strict().describe('freeze the page only (no tasks run)'),
  unfreeze: z.object({}).strict().describe('unfreeze the page only'),
  dropSockets: z.object({}).strict().describe('the server side drops every open chat stream socket'),
  offline: z.object({}).strict().describe('the network goes away (and the SSE sockets with it)'),
  online: z.object({}).strict().describe('the network comes back'),
  reload: z.object({}).strict().describe('reload the page'),
  stop: z
    .object({})
    .strict()
    .describe("press the UI's stop button: the viewed session's answer is stopped, and its stream must end"),
  repeat: z
    .object({
      times: z.number().int().min(1).max(1000),
      steps: z.array(z.unknown()).min(1),
    })
    .strict()
    .describe(
      `repeat steps; each repetition is one cycle for growth checks (nested repeats multiply: at most ${MAX_STEPS} steps in all)`,
    ),
} as const;

export type StepName = keyof typeof stepShape;
export const stepNames = Object.keys(stepShape) as StepName[];
/** Steps that may be written as a bare word (`- open`). */
export const bareSteps: StepName[] = [
  'open',
  'background',
  'foreground',
  'lock',
  'unlock',
  'freeze',
  'unfreeze',
  'dropSockets',
  'offline',
  'online',
  'reload',
  'stop',
];

export type WaitForArg = Z.infer<typeof waitForArg>;
/** A repeat's steps are checked one by one by the loader (so errors name each one's path), hence unknown[] above. */
export interface RepeatArg {
  times: number;
  steps: Step[];
}
/** What each step kind takes, as its schema reads it. */
export type StepArgs = { [K in Exclude<StepName, 'repeat'>]: Z.infer<(typeof stepShape)[K]> } & { repeat: RepeatArg };
/** One step of a scenario: an object with exactly one key, the step kind, holding that kind's argument. */
export type Step = { [K in StepName]: { [P in K]: StepArgs[K] } }[StepName];

// ---------------------------------------------------------------- expectations (oracles)

export const expectShape = {
  liveStreams: z
    .object({
      graceMs: ms('how long an excess connection may last before it counts (default 750)').optional(),
      maxGrowthPerCycle: z
        .number()
        .nonnegative()
        .optional()
        .describe('allowed growth of peak per repeat cycle (default 0)'),
    })
    .strict()
    .describe('open chat streams never exceed the viewed streaming sessions; back to baseline; no growth'),
  reattach: z
    .object({ withinMs: positiveMs('deadline for a new SSE and new tokens after a return (default 3000)').optional() })
    .strict()
    .describe('returning to a streaming session reopens its stream and renders new tokens'),
  transcript: z
    .object({
      final: z
        .boolean()
        .optional()
        .describe('also require the final text of the viewed session to equal the script (default true)'),
    })
    .strict()
    .describe('shown text is always a prefix of the scripted answer that never shrinks; final text is exact'),
  noBackgroundReconnect: z
    .object({ graceMs: ms('an open this soon after leaving a session is forgiven (default 500)').optional() })
    .strict()
    .describe('no SSE opened for a session that is not being viewed'),
  hiddenPolling: z
    .object({
      maxPerEndpoint: z
        .number()
        .int()
        .nonnegative()
        .optional()
        .describe('requests allowed per endpoint while hidden (default 0)'),
      endpoints: z
        .record(z.string(), z.number().int().nonnegative())
        .optional()
        .describe('per-path budgets that override maxPerEndpoint'),
      graceMs: ms('requests this soon after hiding are forgiven (default 300)').optional(),
    })
    .strict()
    .describe('request budget per endpoint while the page is hidden'),
  stallBudget: z
    .object({
      longestMs: positiveMs('longest main-thread stall allowed (default 500)').optional(),
      totalBlockedMs: positiveMs('total blocked time allowed, sum of (task - 50 ms) (default 2000)').optional(),
    })
    .strict()
    .describe('the main thread stays responsive while streaming'),
  lockRecovery: z
    .object({ withinMs: positiveMs('deadline for the stream to reattach after unlock (default 4000)').optional() })
    .strict()
    .describe('after unlock the stream is reattached and the answer completes exactly'),
  reconnectRate: z
    .object({
      maxPerMinute: z
        .number()
        .positive()
        .optional()
        .describe('stream opens per minute the user did not cause, per session (default 6)'),
      minWindowMs: positiveMs(
        'the shortest span a rate is measured over, so a lone reconnect after a drop stays within budget (default 10000)',
      ).optional(),
    })
    .strict()
    .describe(
      'no reconnect storms: per session, stream opens the user did not cause (no send, switch to it, open, reload, unlock, online or foreground since its last open) stay under a rate budget',
    ),
  oneRequestPerTurn: z
    .object({})
    .strict()
    .describe(
      'each message the user sends reaches the server as one chat request: none sent again on a visibility change, an unlock or a reconnect',
    ),
  stopEndsStream: z
    .object({
      withinMs: positiveMs(
        "deadline for the stopped session's streams to close at the server (default 2000)",
      ).optional(),
    })
    .strict()
    .describe("after a stop step, the viewed session's streams close at the server"),
} as const;

export type OracleName = keyof typeof expectShape;
export const oracleNames = Object.keys(expectShape) as OracleName[];

const expectSchema = z
  .object(Object.fromEntries(Object.entries(expectShape).map(([k, s]) => [k, s.optional()])))
  .strict();

export type Expect = { [K in OracleName]?: Z.infer<(typeof expectShape)[K]> };

// ---------------------------------------------------------------- the file

export const scenarioSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'a scenario name is kebab-case, like "switch-return"'),
    description: z.string().optional(),
    catches: z.array(z.string()).optional().describe('regression classes this scenario is built to catch'),
    ui: z
      .object({
        poll: positiveMs('UI polling interval').optional(),
        reconnectMs: positiveMs('UI reconnect delay').optional(),
      })
      .strict()
      .optional()
      .describe('options passed to the reference UI'),
    timeScale: z
      .number()
      .positive()
      .min(MIN_TIME_SCALE, `${MIN_TIME_SCALE} plays the streams 100 times as fast`)
      .max(MAX_TIME_SCALE, `${MAX_TIME_SCALE} plays the streams at a tenth of their speed`)
      .optional()
      .describe(
        `${MIN_TIME_SCALE} to ${MAX_TIME_SCALE}: multiplies the scripted time of every stream: token intervals, waits, stalls and tool durations (0.5 plays them twice as fast). Step waits, UI timings, timeouts and oracle budgets are not scaled: they belong to the UI and the user, not the script`,
      ),
    settle: z
      .enum(['play', 'fast'])
      .optional()
      .describe(
        'how streams still running after the last step end: "play" at their scripted pace (default), or "fast": the rest of each answer sent at once. With "fast" a stream can be scripted to outlast the steps on a slow, loaded machine without making the run longer; end the steps with a wait when a verdict needs the streams to run on after the last action (a leak must outlast its grace)',
      ),
    server: z
      .object({
        heartbeatMs: positiveMs('comment heartbeat interval (default 5000)').optional(),
        retryMs: positiveMs('retry: field sent at stream start').optional(),
      })
      .strict()
      .optional(),
    streams: z
      // Reserved names are refused by the loader: zod skips a "__proto__" key of a record without a word.
      .record(z.string().regex(/^[\w-]+$/, 'a stream name is letters, digits, - and _'), z.array(z.unknown()).min(1))
      .describe(`what the backend plays, by name; at most ${MAX_TOKENS_PER_STREAM} tokens per stream`),
    steps: z.array(z.unknown()).min(1).describe(`what the user does; at most ${MAX_STEPS} with repeats unrolled`),
    expect: expectSchema.optional(),
  })
  .strict()
  .describe(
    `A scenario for sse-harness. Limits: each duration at most ${MAX_DURATION_MS} ms (1 hour); token rates ${MIN_TOKEN_RATE} to ${MAX_TOKEN_RATE} per second; ` +
      `${MAX_TOKENS_PER_STREAM} tokens per stream; ${MAX_STEPS} steps with repeats unrolled; ${MAX_SCRIPTED_MS / 3_600_000} hours of scripted time; ` +
      `files up to ${MAX_FILE_BYTES} bytes and ${MAX_EXPANDED_VALUES} values with aliases expanded; ${RESERVED_NAMES.join(', ')} name no stream or session`,
  );

export interface Scenario {
  name: string;
  description?: string;
  catches?: string[];
  ui?: { poll?: number; reconnectMs?: number };
  server?: { heartbeatMs?: number; retryMs?: number };
  /** How streams still running after the last step end (see the schema); "play" when absent. */
  settle?: 'play' | 'fast';
  /** The stream time scale the streams below were played at (already applied to them); 1 when unscaled. */
  timeScale?: number;
  streams: Record<string, StreamItem[]>;
  steps: Step[];
  expect: Expect;
  /** Where it came from, for error messages and reports. */
  file: string;
}

/** A stream script played at another speed: token intervals, waits, stalls and tool durations times `scale`. */
export function scaleStream(items: StreamItem[], scale: number): StreamItem[] {
  const ms = (v: number, min = 0) => Math.max(min, Math.round(v * scale));
  return items.map((item): StreamItem => {
    if ('tokens' in item) return { tokens: { ...item.tokens, rate: (item.tokens.rate ?? DEFAULT_TOKEN_RATE) / scale } };
    if ('tool' in item && item.tool.duration !== undefined)
      return { tool: { ...item.tool, duration: ms(item.tool.duration) } };
    if ('wait' in item) return { wait: ms(item.wait) };
    if ('stall' in item) return { stall: ms(item.stall, 1) };
    return item;
  });
}

/** The scenario with its streams played `scale` times as long (a scenario's own timeScale is applied at load). */
export function withTimeScale(s: Scenario, scale: number): Scenario {
  if (scale === 1) return s;
  return {
    ...s,
    timeScale: (s.timeScale ?? 1) * scale,
    streams: Object.fromEntries(Object.entries(s.streams).map(([k, v]) => [k, scaleStream(v, scale)])),
  };
}
