// The scenario file format: streams (what the backend plays), steps (what the user does), expect (oracles).
import { z } from 'zod';

const ms = (what: string) => z.number().int().nonnegative().describe(what);
const positiveMs = (what: string) => z.number().int().positive().describe(what);
const alias = z
  .string()
  .regex(/^[A-Za-z][\w-]*$/, 'a session alias is a name like "a" or "chat-1" (letters, digits, - and _)');

// ---------------------------------------------------------------- stream script items

const tokensArg = z
  .object({
    count: z.number().int().positive().optional().describe('how many generated words to send'),
    text: z.string().min(1).optional().describe('exact text, split into word tokens'),
    rate: z.number().positive().optional().describe('tokens per second (default 20)'),
  })
  .strict();

export const streamItemShape = {
  tokens: tokensArg.describe('send answer tokens at a steady rate'),
  burst: z
    .object({
      count: z.number().int().positive().optional(),
      text: z.string().min(1).optional(),
    })
    .strict()
    .describe('send tokens all at once, in one socket write'),
  reasoning: z.string().min(1).describe('a reasoning event'),
  tool: z
    .object({ name: z.string().min(1), preview: z.string().optional(), duration: ms('ms').optional() })
    .strict()
    .describe('a tool call that runs for duration ms'),
  wait: ms('pause, heartbeats continue'),
  stall: positiveMs('pause with no events and no heartbeats'),
  drop: z.literal(true).describe('the server drops every client socket of this stream; the run goes on'),
  event: z
    .object({ name: z.string().regex(/^[a-z_]+$/), data: z.record(z.string(), z.unknown()).optional() })
    .strict()
    .describe('a raw named event'),
  apperror: z.object({ message: z.string() }).strict().describe('an apperror event'),
} as const;

export type StreamItemName = keyof typeof streamItemShape;
export const streamItemNames = Object.keys(streamItemShape) as StreamItemName[];

export const streamItemSchema = z
  .object(Object.fromEntries(Object.entries(streamItemShape).map(([k, s]) => [k, s.optional()])))
  .strict() as unknown as z.ZodType<StreamItem>;

export type StreamItem =
  | { tokens: z.infer<typeof tokensArg> }
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
    tokens: z.number().int().positive().optional().describe('at least N answer tokens rendered'),
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
      stream: z.string().min(1).describe('name of a stream under streams:'),
      text: z.string().min(1).optional(),
    })
    .strict()
    .describe('type a message and send it; the backend answers with the named stream'),
  switchTo: alias.describe('click a session in the sidebar'),
  waitFor: waitForArg.describe('wait for a condition, with a deadline'),
  wait: positiveMs('let scripted time pass (the user reads); not a synchronisation tool'),
  repeat: z
    .object({
      times: z.number().int().min(1).max(1000),
      steps: z.array(z.unknown()).min(1),
    })
    .strict()
    .describe('repeat steps; each repetition is one cycle for growth checks'),
} as const;

export type StepName = keyof typeof stepShape;
export const stepNames = Object.keys(stepShape) as StepName[];
/** Steps that may be written as a bare word (`- open`). */
export const bareSteps: StepName[] = ['open'];

export type WaitForArg = z.infer<typeof waitForArg>;
export type Step =
  | { open: { query?: Record<string, string> } }
  | { newChat: string }
  | { send: { session?: string; stream: string; text?: string } }
  | { switchTo: string }
  | { waitFor: WaitForArg }
  | { wait: number }
  | { repeat: { times: number; steps: Step[] } };

// ---------------------------------------------------------------- expectations (oracles)

export const expectShape = {
  liveStreams: z
    .object({
      graceMs: ms('how long an excess connection may last before it counts (default 750)').optional(),
      maxGrowthPerCycle: z.number().nonnegative().optional().describe('allowed growth of peak per repeat cycle (default 0)'),
    })
    .strict()
    .describe('open chat streams never exceed the viewed streaming sessions; back to baseline; no growth'),
} as const;

export type OracleName = keyof typeof expectShape;
export const oracleNames = Object.keys(expectShape) as OracleName[];

const expectSchema = z
  .object(Object.fromEntries(Object.entries(expectShape).map(([k, s]) => [k, s.optional()])))
  .strict();

export type Expect = { liveStreams?: z.infer<(typeof expectShape)['liveStreams']> };

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
    server: z
      .object({
        heartbeatMs: positiveMs('comment heartbeat interval (default 5000)').optional(),
        retryMs: positiveMs('retry: field sent at stream start').optional(),
      })
      .strict()
      .optional(),
    streams: z.record(z.string().regex(/^[\w-]+$/), z.array(z.unknown()).min(1)),
    steps: z.array(z.unknown()).min(1),
    expect: expectSchema.optional(),
  })
  .strict();

export interface Scenario {
  name: string;
  description?: string;
  catches?: string[];
  ui?: { poll?: number; reconnectMs?: number };
  server?: { heartbeatMs?: number; retryMs?: number };
  streams: Record<string, StreamItem[]>;
  steps: Step[];
  expect: Expect;
  /** Where it came from, for error messages and reports. */
  file: string;
}
