"""English and French: texts stored in data, and numbers and sizes written the way each reader expects.

Texts that domain experts edit (rule rationales, question labels, catalog notes) live in the YAML
as ``{en: ..., fr: ...}`` pairs; ``LocalizedText`` makes both languages mandatory at load, so a
French reader never meets an English sentence by accident.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from advisor.settings import ENV_LANG, env

Lang = Literal["en", "fr"]
LANGS: tuple[Lang, ...] = ("en", "fr")


class LocalizedText(BaseModel):
    """One text in English and French; both are required and non-empty."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    en: str = Field(min_length=1, description="English text.")
    fr: str = Field(min_length=1, description="French text.")

    def get(self, lang: Lang) -> str:
        """The text in ``lang``."""
        return self.fr if lang == "fr" else self.en

    def format(self, **values: object) -> LocalizedText:
        """Both texts with ``{placeholders}`` filled in; a LocalizedText value fills each language with its own."""

        def pick(lang: Lang) -> dict[str, object]:
            return {k: v.get(lang) if isinstance(v, LocalizedText) else v for k, v in values.items()}

        return LocalizedText(en=self.en.format(**pick("en")), fr=self.fr.format(**pick("fr")))


def resolve_lang(explicit: str | None = None) -> Lang:
    """``--lang``, then ``ADVISOR_LANG``, then the locale variables, then English."""
    for candidate in (explicit, env(ENV_LANG), *_locale_vars()):
        if candidate:
            code = candidate.split(":")[0].split("_")[0].split(".")[0].lower()
            if code in LANGS:
                return code
    return "en"


def _locale_vars() -> list[str | None]:
    return [os.environ.get(name) for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")]


@lru_cache(maxsize=1)
def _messages() -> dict[str, LocalizedText]:
    from advisor.datafiles import PACKAGE_DIR, read_yaml, validate

    path = PACKAGE_DIR / "data" / "messages.yaml"
    return {key: validate(LocalizedText, value, file=str(path), entry=key) for key, value in read_yaml(path).items()}


def message(key: str, **values: object) -> LocalizedText:
    """A composed text from ``data/messages.yaml``, with its placeholders filled in both languages."""
    text = _messages()[key]
    return text.format(**values) if values else text


def number_text(value: float, decimals: int = 0) -> LocalizedText:
    """A number as each reader writes it (``1,234.5`` / ``1 234,5``), to fill a message's placeholder."""
    from advisor.units import format_number

    return LocalizedText(en=format_number(value, "en", decimals), fr=format_number(value, "fr", decimals))


def approach_name(approach: str) -> LocalizedText:
    """The approach as people call it, in both languages."""
    return message(f"approach.{approach}")


def join_localized(parts: list[LocalizedText], sep: str = ", ") -> LocalizedText:
    """Several texts joined, language by language."""
    return LocalizedText(en=sep.join(p.en for p in parts), fr=sep.join(p.fr for p in parts))


def points(value: int) -> LocalizedText:
    """A score with its unit: English says "1 point" but "0 points"; French "0 point" and "1 point"
    (the singular up to 1 in absolute value), "2 points"."""
    en = message("point" if abs(value) == 1 else "points", value=value).en
    fr = message("point" if abs(value) < 2 else "points", value=value).fr
    return LocalizedText(en=en, fr=fr)
