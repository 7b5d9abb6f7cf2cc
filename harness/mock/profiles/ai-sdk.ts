// The AI SDK's UI message stream (`ai` 5 and later, `@ai-sdk/react` 2 and later): the routes a chat app built on
// `useChat` with the SDK's DefaultChatTransport calls, answered from the mock's sessions and runs. The server it
// plays is the SDK docs' resumable-stream recipe: POST /api/chat starts a generation and streams it; GET
// /api/chat/:id/stream resumes the chat's active one from its first chunk (resumable-stream replays what it has
// kept, then follows live), or answers 204 when the chat has none. docs/protocol.md#the-ai-sdk-ui-message-stream.
import type { RequestHandler } from 'msw';
import { msw } from '../../deps.ts';
import type { Run } from '../player.ts';
import type { ProfileHost, ProtocolProfile, SessionRecord } from '../profile.ts';
import type { ServerModel } from '../server-model.ts';
import type { JournalEntry, Wire } from '../wire.ts';

/** The SDK's POST route, and its default resume route (HttpChatTransport: `${api}/${chatId}/stream`). */
export const AI_SDK_CHAT_PATH = '/api/chat';
export const aiSdkStreamPath = (chatId: string) => `${AI_SDK_CHAT_PATH}/${encodeURIComponent(chatId)}/stream`;

/** The headers of the SDK's createUIMessageStreamResponse (UI_MESSAGE_STREAM_HEADERS in `ai`). */
export const UI_MESSAGE_STREAM_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
  'x-vercel-ai-ui-message-stream': 'v1',
  'x-accel-buffering': 'no',
};

/**
 * The server model of the recipe: a resume gets the whole stream from its start whatever it asks (resumable-stream's
 * resumeExistingStream without skipCharacters), frames carry no ids, and a finished generation is not resumable (the
 * route answers 204 before the journal is consulted).
 */
export const AI_SDK_SERVER_MODEL: Partial<ServerModel> = {
  resume: 'replay',
  lastEventId: false,
  frameIds: 'none',
  sseHeaders: { ...UI_MESSAGE_STREAM_HEADERS },
};

/** Chat ids the routes take: what the SDK's generateId and the mock's newSession make, nothing that needs escaping. */
const CHAT_ID = /^[A-Za-z0-9_-]{1,100}$/;

/** The id of the assistant message a run streams, the same on every connection that carries it. */
export const assistantMessageId = (run: Pick<Run, 'streamId'>) => `msg-${run.streamId}`;

const frame = (chunk: Record<string, unknown>) => `data: ${JSON.stringify(chunk)}\n\n`;

/**
 * One connection's UI message stream. A resume replays the run from its start, so each connection opens its own
 * message (`start`, `start-step`) and numbers its parts itself; the numbering is the same on every connection.
 */
export function aiSdkWire(messageId: string): Wire {
  let text: string | null = null;
  let parts = 0;
  const closeText = (): string[] => {
    if (text === null) return [];
    const end = frame({ type: 'text-end', id: text });
    text = null;
    return [end];
  };
  return {
    hello: () => [frame({ type: 'start', messageId }), frame({ type: 'start-step' })],
    event(e: JournalEntry): string[] {
      const data = JSON.parse(e.data) as Record<string, unknown>;
      const str = (k: string) => (typeof data[k] === 'string' ? (data[k] as string) : '');
      switch (e.event) {
        case 'token': {
          const open = text === null ? [frame({ type: 'text-start', id: (text = `text-${++parts}`) })] : [];
          return [...open, frame({ type: 'text-delta', id: text, delta: str('text') })];
        }
        case 'reasoning': {
          const id = `reasoning-${++parts}`;
          return [
            ...closeText(),
            frame({ type: 'reasoning-start', id }),
            frame({ type: 'reasoning-delta', id, delta: str('text') }),
            frame({ type: 'reasoning-end', id }),
          ];
        }
        case 'tool':
          return [
            ...closeText(),
            frame({ type: 'tool-input-start', toolCallId: str('tid'), toolName: str('name') }),
            frame({
              type: 'tool-input-available',
              toolCallId: str('tid'),
              toolName: str('name'),
              input: { preview: str('preview') },
            }),
          ];
        // A tool's result ends the model's step; what it says next is a new step, as streamText's are.
        case 'tool_complete':
          return [
            frame({ type: 'tool-output-available', toolCallId: str('tid'), output: { preview: str('preview') } }),
            frame({ type: 'finish-step' }),
            frame({ type: 'start-step' }),
          ];
        case 'apperror':
          return [...closeText(), frame({ type: 'error', errorText: str('message') || 'error' })];
        case 'cancel':
          return [...closeText(), frame({ type: 'abort' })];
        case 'done':
          return [...closeText(), frame({ type: 'finish-step' }), frame({ type: 'finish' })];
        case 'stream_end':
          return ['data: [DONE]\n\n'];
        default:
          // A scenario's own event: a transient data part, which useChat hands to onData and does not keep.
          return [frame({ type: `data-${e.event}`, data, transient: true })];
      }
    },
    // The SDK's servers send nothing between chunks; a comment would be skipped by its parser anyway.
    heartbeat: () => [],
  };
}

/** A stored message as the SDK's UIMessage, for the app's chat loader (its initial messages). */
export function uiMessage(s: SessionRecord, i: number) {
  const m = s.messages[i]!;
  return { id: `${s.session_id}-${i + 1}`, role: m.role, parts: [{ type: 'text', text: m.content }] };
}

/** The text of the last user message of a useChat request body (its parts' text joined). */
function lastUserText(messages: unknown): string | null {
  if (!Array.isArray(messages)) return null;
  const last = [...(messages as unknown[])]
    .reverse()
    .find((m): m is { role: string; parts?: unknown } => !!m && (m as { role?: unknown }).role === 'user');
  if (!last || !Array.isArray(last.parts)) return null;
  return (last.parts as { type?: unknown; text?: unknown }[])
    .filter((p) => p && p.type === 'text' && typeof p.text === 'string')
    .map((p) => p.text as string)
    .join('');
}

export const aiSdkProfile: ProtocolProfile = {
  name: 'ai-sdk',
  server: AI_SDK_SERVER_MODEL,
  // The witnesses count a turn's POST as a stream waiting for a socket from the moment it is sent (the pool).
  streamRoutes: [AI_SDK_CHAT_PATH, `${AI_SDK_CHAT_PATH}/:id/stream`],
  handlers(host: ProfileHost): RequestHandler[] {
    const { http, HttpResponse } = msw();
    const json = HttpResponse.json;
    const activeRun = (id: string) =>
      [...host.runs.values()].filter((r) => r.session === id && r.active).at(-1) ?? null;
    const stream = (run: Run, request: Request) =>
      host.streamResponse(
        run,
        { afterSeq: 0, cursor: { kind: 'none' } },
        request,
        new URL(request.url).pathname,
        aiSdkWire(assistantMessageId(run)),
        host.model.sseHeaders,
      );
    return [
      // The app's own routes (as the SDK's persistence recipe has its app make them): the chat list, a new chat
      // made at the server, and a chat's stored messages, which the app gives useChat when it mounts a chat.
      http.get('*/api/chats', () =>
        json({
          chats: [...host.sessions.values()].map((s) => ({
            id: s.session_id,
            title: s.title,
            streaming: s.active_stream_id !== null,
          })),
        }),
      ),
      http.post('*/api/chats', () => json({ id: host.newSession().session_id })),
      http.get('*/api/chats/:id', ({ params }) => {
        const s = host.sessions.get(String(params.id));
        if (!s) return json({ error: 'no such chat' }, { status: 404 });
        return json({ id: s.session_id, messages: s.messages.map((_, i) => uiMessage(s, i)) });
      }),
      http.post(`*${AI_SDK_CHAT_PATH}`, async ({ request }) => {
        let body: { id?: unknown; messages?: unknown; trigger?: unknown };
        try {
          body = (await request.json()) as typeof body;
        } catch {
          return json({ error: 'the body must be JSON: { id, messages, trigger }' }, { status: 400 });
        }
        if (typeof body?.id !== 'string' || !CHAT_ID.test(body.id))
          return json({ error: 'id must be a chat id (letters, digits, _ and -)' }, { status: 400 });
        const text = lastUserText(body.messages);
        if (text === null) return json({ error: 'messages must end with a user message' }, { status: 400 });
        const s = host.sessions.get(body.id) ?? host.newSession(body.id);
        const path = new URL(request.url).pathname;
        const run = host.startTurn(s, text, path);
        if (typeof run === 'number')
          return json({ error: 'this chat is already generating an answer' }, { status: 409 });
        return stream(run, request);
      }),
      http.get(`*${AI_SDK_CHAT_PATH}/:id/stream`, ({ params, request }) => {
        if (!CHAT_ID.test(String(params.id)))
          return json({ error: 'the chat id must be letters, digits, _ and -' }, { status: 400 });
        const run = activeRun(String(params.id));
        return run ? stream(run, request) : new HttpResponse(null, { status: 204 });
      }),
    ];
  },
};
