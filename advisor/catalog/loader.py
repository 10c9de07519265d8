"""Loading the model catalog: read the YAML, validate every entry, check the whole, cache it.

``advisor recommend`` reads the catalog on every run, so the parsed catalog is cached per path
(libyaml + pydantic cost a few tens of milliseconds once, nothing after). All problems in a file
are reported together, each naming the file, the entry (its model id) and the field.
"""

from __future__ import annotations

import difflib
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from advisor.catalog.schema import KINDS, CatalogEntry
from advisor.datafiles import MAX_CATALOG_BYTES, PACKAGE_DIR, did_you_mean, errors_from_validation, excerpt, read_yaml
from advisor.errors import InputError, InputErrors

BUILTIN_CATALOG = PACKAGE_DIR / "catalog" / "models.yaml"


class Catalog(BaseModel):
    """The validated catalog: its version and entries, with lookup by Hub id."""

    model_config = ConfigDict(frozen=True)

    version: str = Field(description="Catalog version, quoted in reports.")
    entries: list[CatalogEntry] = Field(description="Models, in file order.")
    sources: list[str] = Field(default_factory=list, description="Files the entries came from.")
    _index: dict[str, CatalogEntry] = PrivateAttr(default_factory=dict)
    _by_name: dict[str, CatalogEntry] = PrivateAttr(default_factory=dict)

    def model_post_init(self, context: Any, /) -> None:
        # Lookups happen per recommendation; the model is frozen, so the indexes cannot go stale.
        self._index = {entry.id.lower(): entry for entry in self.entries}
        names = Counter(_name(entry) for entry in self.entries)
        self._by_name = {_name(entry): entry for entry in self.entries if names[_name(entry)] == 1}

    def get(self, model_id: str) -> CatalogEntry:
        """The entry for ``model_id``: a Hub id, any case, or its name alone when that is unambiguous.

        Unknown ids raise an ``InputError`` that suggests the closest ids.
        """
        found = self.find(model_id)
        if found is not None:
            return found
        raise InputError(
            f"{model_id!r} is not in the model catalog{self._suggest(model_id)}",
            hint="`advisor catalog list` shows the models it holds",
        )

    def find(self, model_id: str) -> CatalogEntry | None:
        """Like ``get``, but None when the model is not in the catalog."""
        key = model_id.strip().lower()
        return self._index.get(key) or self._by_name.get(key)

    def _suggest(self, model_id: str) -> str:
        # People type a name without its owner, or add/drop "-Instruct": prefix and substring
        # matches on the name come before plain string similarity.
        key = model_id.strip().lower()
        name = key.split("/")[-1]
        by_name = {_name(entry): entry.id for entry in self.entries}
        by_id = {entry.id.lower(): entry.id for entry in self.entries}
        ranked = [real for other, real in by_name.items() if other.startswith(name) or name.startswith(other)]
        ranked += [real for other, real in by_name.items() if name in other]
        ranked += [by_name[other] for other in difflib.get_close_matches(name, by_name, n=3, cutoff=0.6)]
        ranked += [by_id[other] for other in difflib.get_close_matches(key, by_id, n=3, cutoff=0.6)]
        suggestions = list(dict.fromkeys(ranked))[:3]
        if not suggestions:
            return ""
        if len(suggestions) == 1:
            return f" (did you mean {suggestions[0]!r}?)"
        return " (did you mean one of " + ", ".join(repr(s) for s in suggestions) + "?)"

    def __contains__(self, model_id: object) -> bool:
        return isinstance(model_id, str) and self.find(model_id) is not None

    def __len__(self) -> int:
        return len(self.entries)

    def of_kind(self, kind: str | None = None) -> list[CatalogEntry]:
        """Entries of one kind (all when ``kind`` is None); an unknown kind is an ``InputError``."""
        if kind is None:
            return list(self.entries)
        if kind not in KINDS:
            raise InputError(f"{kind!r} is not a model kind{did_you_mean(kind, KINDS)}; kinds: {', '.join(KINDS)}")
        return [entry for entry in self.entries if entry.kind == kind]


def _name(entry: CatalogEntry) -> str:
    return entry.id.split("/", 1)[1].lower()


def parse_catalog_file(path: str | Path) -> Catalog:
    """Read and validate one catalog file, uncached; raises ``InputErrors`` listing every problem."""
    path = Path(path)
    source = str(path)
    data = read_yaml(path, max_bytes=MAX_CATALOG_BYTES)
    if not isinstance(data, dict):
        raise InputError("a catalog file is a mapping with 'version' and 'models'", file=source)
    errors: list[InputError] = []
    unknown = sorted(set(data) - {"version", "models"})
    for key in unknown:
        suggestion = did_you_mean(str(key)[:64], ["version", "models"])
        errors.append(InputError(f"unknown key {excerpt(key)}{suggestion}", file=source, field=str(key)[:60]))
    version = data.get("version")
    if not isinstance(version, (str, int, float)) or str(version).strip() == "":
        errors.append(InputError("required: the catalog version, e.g. '2026.1'", file=source, field="version"))
    raw_entries = data.get("models")
    if not isinstance(raw_entries, list) or not raw_entries:
        errors.append(InputError("required: a non-empty list of models", file=source, field="models"))
        raise InputErrors(errors)

    entries = validate_entries(raw_entries, source, errors)
    errors.extend(check_unique_ids(entries, source))
    if errors:
        raise InputErrors(errors)
    return Catalog(version=str(version), entries=entries, sources=[source])


def validate_entries(raw_entries: list[Any], source: str, errors: list[InputError]) -> list[CatalogEntry]:
    entries: list[CatalogEntry] = []
    for index, raw in enumerate(raw_entries):
        has_id = isinstance(raw, dict) and isinstance(raw.get("id"), str)
        label = raw["id"] if has_id else f"models[{index}]"
        if not isinstance(raw, dict):
            errors.append(InputError("an entry is a mapping of fields", file=source, entry=label))
            continue
        try:
            entries.append(CatalogEntry.model_validate(raw))
        except ValidationError as exc:
            errors.extend(errors_from_validation(exc, CatalogEntry, file=source, entry=label))
    return entries


def check_unique_ids(entries: list[CatalogEntry], source: str) -> list[InputError]:
    counts = Counter(entry.id.lower() for entry in entries)
    return [
        InputError(f"id listed {count} times; each model appears once", file=source, entry=entry_id, field="id")
        for entry_id, count in counts.items()
        if count > 1
    ]


@lru_cache(maxsize=8)
def parse_cached(path: str) -> Catalog:
    return parse_catalog_file(Path(path))
