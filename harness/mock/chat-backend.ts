// What the runner needs of a backend: the mock that plays scripts itself, or a real server in front of which the
// harness stands as a proxy while a stub agent plays the scripts (real-backend.ts).
import type { StreamItem } from '../scenario/schema.ts';
import type { ConnectionLedger } from './ledger.ts';
import type { ServerModel } from './server-model.ts';

/** One chat run as the harness follows it: the answer it was scripted to give, and whether it is still going. */
export interface BackendRun {
  readonly streamId: string;
  readonly session: string;
  /** The scripted answer, token by token. */
  readonly answer: string[];
  readonly active: boolean;
  /** The last event sequence number the server gave the run (diagnostics). */
  readonly lastSeq: number;
  /** Plays the rest of the script at once (settle: fast). */
  hurry(): void;
}

export interface ChatBackend {
  readonly url: string;
  readonly ledger: ConnectionLedger;
  /** The sessions the backend created, by id. */
  readonly sessions: ReadonlyMap<string, unknown>;
  readonly runs: ReadonlyMap<string, BackendRun>;
  /** The server model the mock plays; null for a real server. */
  readonly model: ServerModel | null;
  /** What the report says the backend was (absent for the mock). */
  readonly describe?: string;
  start(): Promise<string>;
  stop(): Promise<void>;
  /** The next chat started in `session` (or in any session, with '*') plays this script. */
  arm(session: string, name: string, script: StreamItem[]): void;
  runFor(session: string): BackendRun | undefined;
  /** The OS killing the client's sockets (lock, app switch): every open chat stream is destroyed; returns how many. */
  dropAllStreams(why: string): number;
}
