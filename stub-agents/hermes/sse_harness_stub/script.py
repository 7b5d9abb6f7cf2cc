"""Stream items as the harness's scenario files define them, and the token texts the harness's oracles expect."""

import re

WORDS = ['lorem', 'ipsum', 'dolor', 'sit', 'amet', 'tempor', 'magna', 'aliqua', 'veniam', 'nostrud', 'ullamco', 'laboris']

DEFAULT_TOKEN_RATE = 20.0

# JavaScript's \s, which the harness splits exact texts on: Python's \s differs (it matches \x1c-\x1f and \x85, not
# \ufeff), and a different split would give the transcript oracle other token boundaries.
_JS_SPACE = '[\t\n\x0b\x0c\r \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]'
_AFTER_SPACE = re.compile('(?<=' + _JS_SPACE + ')')

DEFAULT_SCRIPT = {'name': 'default', 'items': [{'tokens': {'count': 20, 'rate': DEFAULT_TOKEN_RATE}}]}


def token_texts(arg, start_index):
    """The texts of a tokens or burst item: an exact text split after each space, or generated words that carry
    their index, so that a lost or doubled token shows."""
    text = arg.get('text')
    if isinstance(text, str):
        return [t for t in _AFTER_SPACE.split(text) if t]
    count = arg.get('count') or 0
    return ['%s%d ' % (WORDS[(start_index + i) % len(WORDS)], start_index + i) for i in range(int(count))]


def scripted_answer(items):
    """The whole answer a script produces."""
    out = []
    for item in items:
        for key in ('tokens', 'burst'):
            if isinstance(item.get(key), dict):
                out.extend(token_texts(item[key], len(out)))
    return out
