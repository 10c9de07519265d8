"""Units and the way numbers are written, in one place for every view and both languages.

A parameter count, a context length or a size appears in the CLI summary, the report, the catalog
listing, the estimate and the terminal app. Writing each in one function keeps "0M" for a
202k-parameter model, "1,000M" for Gemma 3 1B or "4k" next to "32,000" from creeping back in one
view while fixed in another. French follows French typography: decimal comma, a narrow no-break
space (U+202F) between thousands and before a unit's percent sign, "Go"/"Gio" style units.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

Lang = Literal["en", "fr"]

KIB = 1024
MIB = 1024**2
GIB = 1024**3
TIB = 1024**4
GB = 1000**3

NNBSP = "\u202f"  # narrow no-break space: French thousands separator and space before ; ! ? %
NBSP = "\u00a0"  # no-break space: French space before a colon and inside « »


def format_number(value: float, lang: Lang, decimals: int = 1) -> str:
    """``1234.5`` -> ``1,234.5`` (en) or ``1 234,5`` (fr, narrow no-break space as thousands sign)."""
    text = f"{value:,.{decimals}f}"
    if lang == "fr":
        text = text.replace(",", NNBSP).replace(".", ",")
    return text


_BYTE_UNITS = {"en": ("B", "KiB", "MiB", "GiB", "TiB"), "fr": ("o", "Kio", "Mio", "Gio", "Tio")}


def format_bytes(value: float, lang: Lang, decimals: int = 1) -> str:
    """Binary units: ``GiB`` in English, ``Gio`` in French (the unit French tools print)."""
    units = _BYTE_UNITS[lang]
    size = float(value)
    index = 0
    while abs(size) >= 1024 and index < len(units) - 1:
        size /= 1024
        index += 1
    digits = 0 if index == 0 else decimals
    return f"{format_number(size, lang, digits)} {units[index]}"


_COUNT_UNITS = {"en": ("", "K", "M", "B", "T"), "fr": ("", "k", "M", "Md", "T")}


def format_count(value: int | float, lang: Lang) -> str:
    """Parameter counts as model cards write them, with the unit that keeps 1-3 leading digits.

    ``202_000`` -> ``202K`` (never ``0M``), ``999_885_952`` -> ``1.0B`` (never ``1,000M``),
    ``7_615_616_512`` -> ``7.6B``; French ``7,6 Md``. Below a thousand the count is written whole.
    """
    size = float(value)
    index = 0
    while abs(size) >= 999.5 and index < len(_COUNT_UNITS[lang]) - 1:
        size /= 1000
        index += 1
    if index == 0:
        return format_number(size, lang, 0)
    digits = 1 if abs(round(size, 1)) < 100 else 0
    unit = _COUNT_UNITS[lang][index]
    number = format_number(size, lang, digits)
    return f"{number}{NBSP}{unit}" if lang == "fr" else f"{number}{unit}"


def format_tokens(tokens: int, lang: Lang) -> str:
    """Context lengths in one style everywhere: ``4,096`` and ``131,072`` tokens, written whole.

    Context limits are powers of two or round thousands depending on the family, so an
    abbreviation ("4k", "32k") hides whether 32,000 or 32,768 is meant; the whole number does not.
    """
    return format_number(tokens, lang, 0)


def format_gpu_list(memories_bytes: Sequence[float], lang: Lang, names: Sequence[str] | None = None) -> str:
    """GPUs with identical memory (and name) collapsed: ``8 x 80.0 GiB`` rather than eight entries."""
    labels = [
        (names[i] + " " if names and names[i] else "") + format_bytes(memory, lang)
        for i, memory in enumerate(memories_bytes)
    ]
    return ", ".join(f"{count} × {label}" if count > 1 else label for label, count in _runs(labels))


def _runs(items: Iterable[str]) -> list[tuple[str, int]]:
    """Consecutive equal items counted: ``a a b a`` -> ``(a, 2), (b, 1), (a, 1)``."""
    runs: list[tuple[str, int]] = []
    for item in items:
        if runs and runs[-1][0] == item:
            runs[-1] = (item, runs[-1][1] + 1)
        else:
            runs.append((item, 1))
    return runs
