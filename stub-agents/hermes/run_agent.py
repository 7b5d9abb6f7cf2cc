"""The agent module hermes-webui imports (`from run_agent import AIAgent`), written for sse-harness.

No model is called: each turn plays a script of stream items the harness hands out over its control channel
(sse_harness_stub/control.py), or, without SSE_HARNESS_CONTROL, a default script of 20 tokens at 20 per second.

The interface is the one hermes-webui's releases use, read from their api/streaming.py:
- AIAgent(**kwargs): the server passes the keyword arguments it knows and adds optional ones only when they are named
  parameters of __init__, so only those this stub uses are named and the rest land in **kwargs.
- A cached agent is reused for the session's next turn with fresh callbacks set as attributes
  (stream_delta_callback, tool_progress_callback, reasoning_callback): they are read when each turn plays.
- run_conversation(user_message, system_message, conversation_history, task_id, ...) returns a dict with
  final_response and messages.
- interrupt(message) comes from another thread when the user stops the run, also before the turn has begun.
"""

import os
import threading

from sse_harness_stub.control import Control, ControlError, log
from sse_harness_stub.script import DEFAULT_SCRIPT
from sse_harness_stub.turn import AppError, Turn

CONTROL_ENV = 'SSE_HARNESS_CONTROL'


class AIAgent:
    def __init__(self, session_id=None, stream_delta_callback=None, reasoning_callback=None, tool_progress_callback=None, **kwargs):
        self.session_id = session_id
        self.stream_delta_callback = stream_delta_callback
        self.reasoning_callback = reasoning_callback
        self.tool_progress_callback = tool_progress_callback
        self.clarify_callback = kwargs.get('clarify_callback')
        # Attributes the server reads or swaps on a cached agent.
        self.model = kwargs.get('model')
        self.provider = kwargs.get('provider')
        self.base_url = kwargs.get('base_url')
        self.api_key = kwargs.get('api_key')
        self._session_db = kwargs.get('session_db')
        self._lock = threading.Lock()
        self._turn = None

    # ------------------------------------------------------------------ the server's calls

    def interrupt(self, message=None):
        # Between turns there is nothing to stop: the server does not run a turn it cancelled before the start, and
        # an interrupt kept for later would cancel the session's next turn.
        with self._lock:
            if self._turn is not None:
                self._turn.cancel()

    def run_conversation(self, user_message=None, system_message=None, conversation_history=None, task_id=None, **kwargs):
        session = str(task_id or self.session_id or '')
        turn = Turn(session, self._emit)
        with self._lock:
            self._turn = turn
        control = None
        channel = None
        started = False
        reason = 'error'
        try:
            base = os.environ.get(CONTROL_ENV, '').strip()
            if base:
                control = Control(base)
                script, channel = control.open_run(session, turn.command)
            else:
                script = DEFAULT_SCRIPT
            if control is not None:
                control.post_event('run-start', session)
            started = True
            on_drop = (lambda: control.post_event('drop', session)) if control is not None else (lambda: None)
            reason = turn.play(script.get('items') or [], on_drop)
        except ControlError as e:
            log(str(e))
            raise RuntimeError('sse-harness stub agent: %s' % e)
        except AppError:
            raise
        finally:
            if channel is not None:
                channel.close()
            if started and control is not None:
                control.post_event('run-end', session, reason)
            with self._lock:
                self._turn = None
        text = ''.join(turn.answer)
        messages = list(conversation_history or [])
        messages.append({'role': 'user', 'content': user_message if user_message is not None else ''})
        messages.append({'role': 'assistant', 'content': text})
        result = {'final_response': text, 'messages': messages, 'api_calls': 1, 'completed': reason == 'complete'}
        if reason == 'cancel':
            result['interrupted'] = True
        return result

    # ------------------------------------------------------------------ callbacks

    def _emit(self, kind, *args, **kwargs):
        callback = {
            'token': self.stream_delta_callback,
            'reasoning': self.reasoning_callback,
            'tool': self.tool_progress_callback,
        }.get(kind)
        if callback is not None:
            callback(*args, **kwargs)
