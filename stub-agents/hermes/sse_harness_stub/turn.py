"""One turn of the stub agent: plays a script of stream items through the server's callbacks."""

import threading
import time

from .script import DEFAULT_TOKEN_RATE, token_texts


class AppError(Exception):
    """A scripted apperror: raised out of the turn so that the server reports it as the agent's error."""


class Turn:
    """The state of one turn: hurried (no more waits), cancelled (by the server's interrupt or the harness)."""

    def __init__(self, session, emit):
        self.session = session
        # emit(kind, *args, **kwargs) calls the server's callback for kind ('token', 'reasoning', 'tool'), if it gave one.
        self._emit = emit
        self._wake = threading.Event()
        self.hurried = False
        self.cancelled = False
        self.answer = []

    def command(self, command):
        """A command from the control channel."""
        if command.get('hurry') is True:
            self.hurried = True
            self._wake.set()
        if command.get('cancel') is True:
            self.cancel()

    def cancel(self):
        self.cancelled = True
        self._wake.set()

    def _sleep(self, seconds):
        if seconds > 0 and not self.hurried and not self.cancelled:
            self._wake.wait(seconds)

    def play(self, items, on_drop):
        """Plays the items; returns 'complete' or 'cancel'. A scripted apperror raises AppError."""
        for item in items:
            if self.cancelled:
                return 'cancel'
            if not isinstance(item, dict):
                continue
            if isinstance(item.get('tokens'), dict):
                self._tokens(item['tokens'])
            elif isinstance(item.get('burst'), dict):
                for text in self._texts(item['burst']):
                    self._token(text)
            elif isinstance(item.get('reasoning'), str):
                self._emit('reasoning', item['reasoning'])
            elif isinstance(item.get('tool'), dict):
                self._tool(item['tool'])
            elif 'wait' in item or 'stall' in item:
                # The server's own heartbeats go on through a stall: only the agent can be silent.
                self._sleep(float(item.get('wait', item.get('stall')) or 0) / 1000.0)
            elif item.get('drop') is True:
                on_drop()
            elif isinstance(item.get('event'), dict):
                self._event(item['event'])
            elif isinstance(item.get('apperror'), dict):
                raise AppError(str(item['apperror'].get('message', '')))
        return 'cancel' if self.cancelled else 'complete'

    def _texts(self, arg):
        texts = token_texts(arg, len(self.answer))
        return texts

    def _token(self, text):
        self.answer.append(text)
        self._emit('token', text)

    def _tokens(self, arg):
        texts = self._texts(arg)
        interval = 1.0 / float(arg.get('rate') or DEFAULT_TOKEN_RATE)
        start = time.monotonic()
        sent = 0
        # Every token that is due goes out, then the turn sleeps until the next one: the rate holds at high speeds.
        while sent < len(texts) and not self.cancelled:
            due = len(texts) if self.hurried else min(len(texts), int((time.monotonic() - start) / interval) + 1)
            while sent < due and not self.cancelled:
                self._token(texts[sent])
                sent += 1
            if sent < len(texts):
                self._sleep(start + sent * interval - time.monotonic())

    def _tool(self, tool):
        name = str(tool.get('name', 'tool'))
        preview = str(tool.get('preview', ''))
        self._emit('tool', 'tool.started', name, preview, {})
        duration = float(tool.get('duration') or 0) / 1000.0
        self._sleep(duration)
        self._emit('tool', 'tool.completed', name, preview, {}, duration=duration, is_error=False)

    def _event(self, event):
        # A raw event has no agent callback of its own; the two that map onto one are played, the rest skipped.
        data = event.get('data') if isinstance(event.get('data'), dict) else {}
        if event.get('name') == 'token' and isinstance(data.get('text'), str):
            self._token(data['text'])
        elif event.get('name') == 'reasoning' and isinstance(data.get('text'), str):
            self._emit('reasoning', data['text'])
