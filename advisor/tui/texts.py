"""UI texts of the terminal app, read from ``data/messages.yaml`` (``tui.*`` keys).

Every visible word comes from the YAML so a French reader never meets an English label, and a
translator never has to read Python. This module has no Textual import: the formatting helpers
are plain functions the tests can call.
"""

from __future__ import annotations

from typing import Any

from advisor.i18n import Lang, LocalizedText, message


def t(key: str, lang: Lang, **values: Any) -> str:
    """The message ``key`` in ``lang``, placeholders filled (LocalizedText values per language)."""
    return message(key, **values).get(lang)


def t_or(key: str, lang: Lang, fallback: str, **values: Any) -> str:
    """Like :func:`t`, but ``fallback`` when the key is not in the YAML (data that is still landing)."""
    try:
        return t(key, lang, **values)
    except KeyError:
        return fallback


def localized(key: str, **values: Any) -> LocalizedText:
    """The message in both languages, for texts that must be redrawn when the language changes."""
    return message(key, **values)


def other_lang(lang: Lang) -> Lang:
    """The language the switch key goes to."""
    return "en" if lang == "fr" else "fr"


def colon(lang: Lang) -> str:
    """The separator after a label: French puts a (no-break) space before the colon."""
    return "\u00a0: " if lang == "fr" else ": "
