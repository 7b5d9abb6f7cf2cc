"""A skill module as far as the server inspects it: where skills live, following the turn's Hermes home."""

from hermes_constants import get_hermes_home


def _skills_dir():
    return get_hermes_home() / 'skills'


SKILLS_DIR = _skills_dir()
_SKILLS_DIR_AT_IMPORT = SKILLS_DIR
