"""The agent's home-folder helpers the server imports (`hermes_constants`), written for sse-harness.

Only what the server calls. The Hermes home is HERMES_HOME, or, while a turn of a profile runs, a per-context
override the server sets: with the override in place (and skill modules that follow it, tools/), the server lets
turns of several sessions run at once, as with the real agent; without it, it plays one turn at a time.
"""

import contextvars
import os
from pathlib import Path

_override = contextvars.ContextVar('sse_harness_hermes_home', default=None)


def get_default_hermes_root():
    return Path(os.environ.get('HERMES_HOME') or (Path.home() / '.hermes'))


def get_hermes_home():
    home = _override.get()
    return Path(home) if home else get_default_hermes_root()


def display_hermes_home():
    return str(get_hermes_home())


def set_hermes_home_override(path):
    return _override.set(str(path))


def reset_hermes_home_override(token):
    _override.reset(token)
