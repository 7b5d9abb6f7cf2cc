// ProtocolProfile: the wire a target's UI speaks to its server (routes, framing, resume), played by the mock from the
// same scenario stream items as every other profile. hermes-webui's is built into the mock; a profile adds routes in
// front of it and answers them with the mock's sessions and runs.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { RequestHandler } from 'msw';
import type { StreamRoute } from '../probe/stream-routes.ts';
import type { ConnectionLedger } from './ledger.ts';
import type { Run } from './player.ts';
import type { ResumeCursor, ServerModel } from './server-model.ts';
import type { Wire } from './wire.ts';

export interface SessionRecord {
  session_id: string;
  title: string;
  messages: { role: 'user' | 'assistant'; content: string }[];
  active_stream_id: string | null;
  updated_at: number;
}

/** What a profile's routes may use of the mock. */
export interface ProfileHost {
  readonly url: string;
  readonly sessions: Map<string, SessionRecord>;
  readonly runs: Map<string, Run>;
  readonly ledger: ConnectionLedger;
  readonly model: ServerModel;
  /** A new, empty session under this id (a client-made id), or a made-up one. */
  newSession(id?: string): SessionRecord;
  /**
   * A request on `path` that starts a turn, noted for the one-request-per-turn oracle whatever comes of it: the
   * session's armed script starts as its new run, or the answer is why not: no such session (404), or one already
   * running in it (409).
   */
  startTurn(s: SessionRecord | undefined, message: string, path: string): Run | 404 | 409;
  /**
   * A streamed response following `run` from `cursor`, carried by `wire`, counted by the ledger on `path`. `request`
   * is the route's request (its socket is what a drop destroys).
   */
  streamResponse(
    run: Run,
    ask: { afterSeq: number; cursor: ResumeCursor },
    request: Request,
    path: string,
    wire: Wire,
    headers?: Record<string, string>,
  ): Response;
}

export interface ProtocolProfile {
  /** The profile's name, as a target and the report give it. */
  readonly name: string;
  /** Path prefixes outside /api/ that go to the routes, not to the static files. */
  readonly apiPrefixes?: readonly string[];
  /** Routes tried before the built-in hermes-webui ones. */
  handlers(host: ProfileHost): RequestHandler[];
  /**
   * The paths its chat streams use (see probe/stream-routes.ts), for the witnesses to count; default: hermes-webui's
   * stream path alone.
   */
  readonly streamRoutes?: readonly StreamRoute[];
  /**
   * A WebSocket upgrade request on the mock's server, already checked to be for the mock's own host: true when the
   * profile took the socket, false to have it refused.
   */
  upgrade?(host: ProfileHost, req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Destroys every connection the profile holds outside the HTTP server (its WebSockets): a new run, or the stop. */
  close?(): void;
  /** How the servers this profile stands for answer a resume, under what a target's own `server` option sets. */
  readonly server?: Partial<ServerModel>;
}
