// Pocket chat: a small chat UI of its own, speaking the chat protocol of the harness's mock backend
// (docs/protocol.md in sse-harness). One conversation is on screen, and only its answer is streamed: leaving a
// conversation closes its stream, coming back reopens it after the last event seen.
const $ = (sel) => document.querySelector(sel);
const main = $('#conversation');
/** Answers being streamed, by session: the stream id, the text so far and the last event's sequence number. */
const answers = new Map();
let viewed = null;
let source = null;

async function call(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body && JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status}`);
  return res.json();
}

function line(role, text) {
  const li = document.createElement('li');
  li.className = role;
  li.textContent = text;
  $('#log').append(li);
  return li;
}

async function listThreads() {
  const { sessions } = await call('GET', '/api/sessions');
  $('#threads').replaceChildren(
    ...sessions.map((s) => {
      const li = document.createElement('li');
      li.dataset.session = s.session_id;
      li.textContent = s.title || 'Untitled';
      if (s.session_id === viewed) li.setAttribute('aria-current', 'true');
      li.addEventListener('click', () => show(s.session_id));
      return li;
    }),
  );
}

function closeStream() {
  source?.close();
  source = null;
}

/** Puts a conversation on screen: its messages, and its answer streaming if the run is still going. */
async function show(sid) {
  closeStream();
  viewed = sid;
  const { session } = await call('GET', `/api/session?session_id=${encodeURIComponent(sid)}`);
  if (viewed !== sid) return; // the user moved on while it loaded
  // The marker the harness reads changes with the messages on screen, not before: until then the old chat is shown.
  main.dataset.session = sid;
  $('#log').replaceChildren();
  for (const m of session.messages) line(m.role, m.content);
  if (session.active_stream_id) follow(sid, session.active_stream_id);
  else answers.delete(sid);
  listThreads();
}

function follow(sid, streamId) {
  let answer = answers.get(sid);
  if (!answer || answer.streamId !== streamId) answers.set(sid, (answer = { streamId, text: '', seq: 0 }));
  const shown = line('assistant', answer.text);
  const es = new EventSource(`/api/chat/stream?stream_id=${encodeURIComponent(streamId)}&after_seq=${answer.seq}`);
  source = es;
  // Each event carries "<stream>:<seq>": one already applied (a resume may repeat some) is skipped.
  const on = (name, apply) =>
    es.addEventListener(name, (ev) => {
      const seq = Number((ev.lastEventId || '').split(':').pop()) || 0;
      if (seq && seq <= answer.seq) return;
      answer.seq = seq || answer.seq;
      apply(JSON.parse(ev.data || '{}'));
    });
  on('token', (d) => (shown.textContent = answer.text += d.text || ''));
  for (const name of ['reasoning', 'tool', 'tool_complete', 'done']) on(name, () => {});
  on('apperror', (d) => (shown.textContent = `${answer.text} [${d.message}]`));
  es.addEventListener('stream_end', () => {
    if (source === es) closeStream();
    answers.delete(sid);
    listThreads();
  });
  es.addEventListener('error', () => {
    // The browser's own retry would resume without a cursor: closed here, reopened from the last event instead.
    if (source !== es) return;
    closeStream();
    setTimeout(() => viewed === sid && !source && show(sid), 1000);
  });
}

$('#start').addEventListener('click', async () => {
  const { session } = await call('POST', '/api/session/new', {});
  await show(session.session_id);
});

$('#ask').addEventListener('submit', async (e) => {
  e.preventDefault();
  const text = $('#question').value.trim();
  const sid = viewed;
  if (!text || !sid) return;
  $('#question').value = '';
  line('user', text);
  const { stream_id } = await call('POST', '/api/chat/start', { session_id: sid, message: text });
  if (viewed === sid) follow(sid, stream_id);
});

listThreads().then(() => (document.body.dataset.ready = 'yes'));
