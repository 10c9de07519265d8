"""Numbers, sizes and small words the way English and French readers write them."""

from __future__ import annotations

import pytest

from advisor.i18n import LocalizedText, message, points, resolve_lang
from advisor.units import format_bytes, format_number


def test_numbers_and_sizes_follow_the_language() -> None:
    assert format_number(1234.5, "en") == "1,234.5"
    assert format_number(1234.5, "fr") == "1\u202f234,5"
    assert format_bytes(24 * 1024**3, "en") == "24.0 GiB"
    assert format_bytes(24 * 1024**3, "fr") == "24,0 Gio"
    assert format_bytes(512, "fr") == "512 o"


@pytest.mark.parametrize(
    ("value", "en", "fr"),
    [
        (-2, "-2 points", "-2 points"),
        (-1, "-1 point", "-1 point"),
        (0, "0 points", "0 point"),
        (1, "1 point", "1 point"),
        (2, "2 points", "2 points"),
    ],
)
def test_points_singular_and_plural(value: int, en: str, fr: str) -> None:
    assert points(value) == LocalizedText(en=en, fr=fr)


def test_localized_values_fill_each_language() -> None:
    text = message("alternative.lower", score=points(0), winner_score=points(3), approach=message("approach.no-llm"))
    assert text.en == "Ranks lower: 0 points against 3 points for No LLM."
    assert text.fr == "Moins bien classée : 0 point contre 3 points pour Pas de LLM."


def test_language_resolution_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    assert resolve_lang(None) == "fr"
    monkeypatch.setenv("ADVISOR_LANG", "en")
    assert resolve_lang(None) == "en"
    assert resolve_lang("fr") == "fr"
    monkeypatch.setenv("ADVISOR_LANG", "de")
    assert resolve_lang(None) == "fr"  # an unsupported choice falls through to the locale
    monkeypatch.delenv("LANG")
    monkeypatch.delenv("ADVISOR_LANG")
    assert resolve_lang(None) == "en"
