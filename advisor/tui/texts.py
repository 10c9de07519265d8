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
    """Like :func:`t`, but ``fallback`` for a name from an open set that has no text: a step the smoke
    child reports, a breakdown part a newer estimator adds. Closed sets (approaches, fits) use :func:`t`."""
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
    """The separator after a label: French puts a narrow no-break space (U+202F) before the colon."""
    return "\u202f: " if lang == "fr" else ": "


def localize_error(exc: Exception, lang: Lang) -> str:
    """An input error located in ``lang`` (file, entry, field, hint); English text is returned as is.

    The core writes its error details in English (the CLI prints them); the app frames them in the
    user's language so a French reader at least reads where the problem is and what it concerns.
    """
    from advisor.errors import InputError, InputErrors

    if lang == "en" or not isinstance(exc, InputError):
        return str(exc)
    errors = exc.errors if isinstance(exc, InputErrors) else [exc]
    lines = [t("tui.error.invalid_file", lang)]
    for error in errors:
        where = []
        if error.file:
            where.append(f"{error.file}:{error.line}" if error.line else error.file)
        if error.entry:
            where.append(t("tui.error.entry", lang, entry=error.entry))
        if error.field:
            where.append(t("tui.error.field", lang, field=error.field))
        detail = error.message.split(": ", 1)[-1] if where else error.message
        lines.append(f"- {', '.join(where)}{colon(lang) if where else ''}{detail}")
    if exc.hint:
        lines.append(t("tui.error.hint", lang, hint=exc.hint))
    return "\n".join(lines)


def localize_bindings(node: Any, lang: Lang) -> None:
    """Rewrite the footer descriptions of ``node``'s bindings whose id is a ``tui.key.*`` message.

    Textual keeps descriptions in frozen ``Binding`` objects; replacing them in the node's own
    bindings map (a copy of the class map, lists included, rebuilt here) is what lets the footer
    follow the language switch.
    """
    from dataclasses import replace

    bindings = node._bindings
    for key, items in list(bindings.key_to_bindings.items()):
        bindings.key_to_bindings[key] = [
            replace(b, description=t(b.id, lang)) if b.id and b.id.startswith("tui.key.") else b for b in items
        ]
    node.refresh_bindings()
