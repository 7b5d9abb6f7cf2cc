// The OpenAI-compatible chat completions profile: `POST …/v1/chat/completions` with `stream: true`, answered as SSE
// `data:` lines of chat.completion.chunk objects and a final `data: [DONE]` (docs/protocol.md#openai). The API keeps
// no conversation and offers no resume: each request is one turn, and a stream that is lost is lost.
import type { RequestHandler } from 'msw';
import { msw } from '../../deps.ts';
import type { ProfileHost, ProtocolProfile } from '../profile.ts';
import type { JournalEntry, Wire } from '../wire.ts';

export const OPENAI_PATH = '/v1/chat/completions';
/** A header a client may send to name its conversation, so one chat's turns are one session to the oracles. */
export const OPENAI_SESSION_HEADER = 'x-sse-harness-session';

const HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' };

interface CompletionBody {
  model?: unknown;
  stream?: unknown;
  user?: unknown;
  metadata?: { session_id?: unknown };
  messages?: { role?: unknown; content?: unknown }[];
}

/** One connection's chunks: the first delta carries the role; tool calls are numbered per response. */
function completionWire(id: string, model: string): Wire {
  const created = Math.floor(Date.now() / 1000);
  let roleSent = false;
  let tools = 0;
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) => {
    const d = roleSent ? delta : { role: 'assistant', ...delta };
    roleSent = true;
    const body = {
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      choices: [{ index: 0, delta: d, finish_reason: finish }],
    };
    return `data: ${JSON.stringify(body)}\n\n`;
  };
  return {
    hello: () => [],
    event(e: JournalEntry) {
      const data = JSON.parse(e.data) as Record<string, unknown>;
      switch (e.event) {
        case 'token':
          return [chunk({ content: data.text })];
        // Not in OpenAI's own API; the field compatible servers (DeepSeek, vLLM, OpenRouter) stream reasoning in.
        case 'reasoning':
          return [chunk({ reasoning_content: data.text })];
        case 'tool':
          return [
            chunk({
              tool_calls: [
                { index: tools++, id: data.tid, type: 'function', function: { name: data.name, arguments: '{}' } },
              ],
            }),
          ];
        case 'done':
          return [chunk({}, 'stop')];
        case 'cancel':
          return [chunk({}, 'stop')];
        case 'stream_end':
          return ['data: [DONE]\n\n'];
        case 'apperror':
          return [`data: ${JSON.stringify({ error: { message: data.message, type: 'server_error' } })}\n\n`];
        // Tool results run on the client in this API; a scenario's own events have no place in it.
        default:
          return [];
      }
    },
    heartbeat: () => [': keep-alive\n\n'],
  };
}

export const openaiProfile: ProtocolProfile = {
  name: 'openai',
  // Under any prefix, as its route; the witnesses count a request as a stream waiting for a socket once sent.
  streamRoutes: [`*${OPENAI_PATH}`],
  apiPrefixes: ['/v1/'],
  handlers(host: ProfileHost): RequestHandler[] {
    const { http, HttpResponse } = msw();
    return [
      http.post(`*${OPENAI_PATH}`, async ({ request }) => {
        let body: CompletionBody;
        try {
          body = (await request.json()) as CompletionBody;
        } catch {
          return HttpResponse.json(
            { error: { message: 'the body must be JSON', type: 'invalid_request_error' } },
            { status: 400 },
          );
        }
        if (body.stream !== true)
          return HttpResponse.json(
            {
              error: {
                message: 'the sse-harness mock answers streamed completions only: send "stream": true',
                type: 'invalid_request_error',
              },
            },
            { status: 400 },
          );
        const named = request.headers.get(OPENAI_SESSION_HEADER) ?? body.metadata?.session_id ?? body.user;
        const sid = typeof named === 'string' && named ? named.slice(0, 200) : undefined;
        const session = (sid && host.sessions.get(sid)) || host.newSession(sid);
        const path = new URL(request.url).pathname;
        const last = [...(body.messages ?? [])].reverse().find((m) => m?.role === 'user');
        const run = host.startTurn(session, typeof last?.content === 'string' ? last.content : '', path);
        if (typeof run === 'number')
          return HttpResponse.json(
            { error: { message: 'a completion is already streaming for this session', type: 'conflict' } },
            { status: 409 },
          );
        const model = typeof body.model === 'string' ? body.model.slice(0, 100) : 'sse-harness-mock';
        return host.streamResponse(
          run,
          { afterSeq: 0, cursor: { kind: 'none' } },
          request,
          path,
          completionWire(`chatcmpl-${run.streamId}`, model),
          HEADERS,
        );
      }),
    ];
  },
};
