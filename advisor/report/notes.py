"""French for the notes the memory estimator and hardware detection write in English.

The estimator (advisor/memory) and detection (advisor/hardware*) write their notes as English
strings, the way a tool log reads. The report translates them here, at the view, through the keyed
patterns of ``data/estimator_notes.yaml``, so the estimator's code stays as it is: a note is matched
against each pattern, and the French template is filled with the captured values, numbers and sizes
rewritten the French way. A note that no pattern matches comes back as ``None``: the report then
quotes it as written, under a label that says so.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field

from advisor.datafiles import PACKAGE_DIR, read_yaml, validate
from advisor.units import GIB, KIB, MIB, format_bytes, format_number

NOTES_FILE = PACKAGE_DIR / "data" / "estimator_notes.yaml"
_SIZE = re.compile(r"([\d.,]+) ([KMG])iB")
_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.\d+|\d+")
_UNIT = {"K": KIB, "M": MIB, "G": GIB}


class NotePattern(BaseModel):
    """One kind of note: the English pattern, the French template, French for fixed phrases."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str
    pattern: str
    fr: str
    values: dict[str, dict[str, str]] = Field(default_factory=dict)
    optional: dict[str, str] = Field(default_factory=dict, description="Filled only when its groups matched.")


class NoteTable(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    notes: list[NotePattern]


@lru_cache(maxsize=1)
def note_table() -> list[tuple[NotePattern, re.Pattern[str]]]:
    table = validate(NoteTable, read_yaml(NOTES_FILE), file=str(NOTES_FILE))
    return [(note, re.compile(note.pattern)) for note in table.notes]


@lru_cache(maxsize=1)
def _training_choice_texts() -> dict[str, str]:
    """English -> French of the training choices the estimator names (its own bilingual data)."""
    from advisor.memory.training_choices import load_training_choices

    return {c.en: c.fr for values in load_training_choices().values() for c in values.values()}


def french_note(note: str) -> str | None:
    """The French of an estimator or detection note, or None when no pattern knows it."""
    note = note.strip()
    choices = _training_choice_texts()
    if note in choices:
        return choices[note]
    head, _, size = note.rpartition(": ")
    if head in choices and _SIZE.fullmatch(size):
        return f"{choices[head]} : {_french_value('size', size, NotePattern(key='', pattern='', fr=''))}"
    for entry, pattern in note_table():
        match = pattern.fullmatch(note)
        if match is None:
            continue
        values = {k: _french_value(k, v, entry) for k, v in match.groupdict().items() if v is not None}
        for name, template in entry.optional.items():
            needed = re.findall(r"{(\w+)}", template)
            values[name] = template.format(**values) if all(n in values for n in needed) else ""
        return entry.fr.format(**values)
    return None


def _french_value(name: str, value: str, entry: NotePattern) -> str:
    if name in entry.values:
        return entry.values[name].get(value, value)
    size = _SIZE.fullmatch(value)
    if size:
        return format_bytes(float(size.group(1).replace(",", "")) * _UNIT[size.group(2)], "fr")
    return _NUMBER.sub(lambda m: _french_number(m.group(0)), value)


def _french_number(text: str) -> str:
    plain = text.replace(",", "")
    decimals = len(plain.split(".")[1]) if "." in plain else 0
    return format_number(float(plain), "fr", decimals)
