"""Units and the way numbers are written, in one place for every view and both languages.

A parameter count, a context length or a size appears in the CLI summary, the report, the catalog
listing, the estimate and the terminal app. Writing each in one function keeps "0M" for a
202k-parameter model, "1,000M" for Gemma 3 1B or "4k" next to "32,000" from creeping back in one
view while fixed in another. French follows French typography: decimal comma, a narrow no-break
space (U+202F) between thousands and before a unit's percent sign, "Go"/"Gio" style units.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Literal, TypeVar

Lang = Literal["en", "fr"]

T = TypeVar("T")

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
    return ", ".join(f"{count} × {label}" if count > 1 else label for label, count in runs(labels))


def runs(items: Iterable[T]) -> list[tuple[T, int]]:
    """Consecutive equal items counted: ``a a b a`` -> ``(a, 2), (b, 1), (a, 1)``."""
    counted: list[tuple[T, int]] = []
    for item in items:
        if counted and counted[-1][0] == item:
            counted[-1] = (item, counted[-1][1] + 1)
        else:
            counted.append((item, 1))
    return counted


_CODE = re.compile(r"(```.*?```|`[^`\n]*`)", re.S)
_BEFORE_TALL = re.compile(r"[ \u00a0]+([;?!])")
_BEFORE_COLON = re.compile(r"[ \u202f]+:(?=[\s*]|$)")
_OPEN_QUOTE = re.compile(r"«[ \u202f]*")
_CLOSE_QUOTE = re.compile(r"[ \u202f]*»")


def french_typography(text: str) -> str:
    """French spacing in running text: U+202F before ; ? !, U+00A0 before : and inside « ».

    Code (fenced blocks and inline code) is left exactly as written, so commands still run. A
    colon only gets its space when a space or the line end follows it (so ``10:30`` or a URL
    stays whole); a ``?`` or ``!`` glued to the previous word is left alone for the same reason.
    """
    parts = _CODE.split(text)
    for index in range(0, len(parts), 2):
        prose = parts[index]
        prose = _BEFORE_TALL.sub(NNBSP + r"\1", prose)
        prose = _BEFORE_COLON.sub(NBSP + ":", prose)
        prose = _OPEN_QUOTE.sub("«" + NBSP, prose)
        prose = _CLOSE_QUOTE.sub(NBSP + "»", prose)
        parts[index] = prose
    return "".join(parts)
