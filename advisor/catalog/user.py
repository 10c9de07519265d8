"""The user catalog: models a team added with ``advisor catalog add``, laid over the built-in catalog.

One YAML file, ``$ADVISOR_USER_CATALOG`` or ``catalog.yaml`` in platformdirs' user data folder
(``~/.local/share/llm-advisor`` on Linux). It has the built-in catalog's shape, plus a ``source``
on each entry (``{hub: owner/name}`` or ``{dir: /absolute/path}``) so ``advisor catalog refresh``
knows where to read it again. An entry with the id of a built-in one replaces it.

The file is the user's data: a file that does not parse is reported (file, entry, field) and
never overwritten; writes go through a temporary file and an atomic rename, so an interrupted
write leaves the previous file whole. Every change is a read-modify-write under a file lock
(``.catalog.yaml.lock`` next to it, via filelock): two ``advisor catalog add`` running at once
each re-read the file inside the lock, so neither loses the other's entry.

``advisor recommend`` reads the catalog on every run, so the only work done here when no user
catalog exists is one ``stat``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from advisor.catalog.loader import Catalog, check_unique_ids, validate_entries
from advisor.catalog.schema import CatalogEntry
from advisor.datafiles import MAX_CATALOG_BYTES, did_you_mean, excerpt, read_yaml
from advisor.errors import InputError, InputErrors
from advisor.settings import ENV_USER_CATALOG, env

T = TypeVar("T")

USER_VERSION = "user"
"""The user catalog's version: the merged catalog reads ``<built-in version>+user``."""

LOCK_TIMEOUT_S = 60.0
"""How long a change waits for another advisor process holding the catalog's lock (an ``add``
from the Hub holds it only while writing, so a minute means a stuck process)."""

SOURCE_KINDS = ("hub", "dir")

_HEADER = """\
# llm-advisor user catalog: models added with `advisor catalog add`, laid over the built-in catalog
# (an entry with a built-in id replaces it). `advisor catalog refresh` reads each entry again from
# its source. You may edit it (quality and quality_tier you set survive a refresh); `advisor catalog validate`
# does not check this file, `advisor catalog list` does.
"""


def user_catalog_path() -> Path:
    """Where the user catalog lives (the file may not exist)."""
    explicit = env(ENV_USER_CATALOG)
    if explicit:
        return Path(explicit).expanduser()
    return _default_path()


@lru_cache(maxsize=1)
def _default_path() -> Path:
    from platformdirs import user_data_path

    return user_data_path("llm-advisor", appauthor=False) / "catalog.yaml"


def user_catalog_stamp() -> tuple[str, int, int] | None:
    """(path, mtime, size) of the user catalog, None when there is none: the catalog cache key."""
    path = user_catalog_path()
    try:
        stat = path.stat()
    except OSError:
        return None
    return (str(path), stat.st_mtime_ns, stat.st_size)


@dataclass
class UserCatalog:
    """The user's entries with where each came from, in file order."""

    path: Path
    entries: list[CatalogEntry] = field(default_factory=list)
    sources: dict[str, dict[str, str]] = field(default_factory=dict)
    """Lower-case id -> ``{"hub": repo_id}`` or ``{"dir": path}``."""

    def catalog(self) -> Catalog:
        """The entries as a catalog to overlay on the built-in one."""
        return Catalog(version=USER_VERSION, entries=list(self.entries), sources=[str(self.path)])

    def find(self, model_id: str) -> CatalogEntry | None:
        key = model_id.strip().lower()
        return next((entry for entry in self.entries if entry.id.lower() == key), None)

    def put(self, entry: CatalogEntry, source: dict[str, str]) -> bool:
        """Add or replace (same id, any case) the entry; True when it replaced one."""
        key = entry.id.lower()
        self.sources[key] = dict(source)
        for index, existing in enumerate(self.entries):
            if existing.id.lower() == key:
                self.entries[index] = entry
                return True
        self.entries.append(entry)
        return False

    def source_of(self, model_id: str) -> dict[str, str]:
        return self.sources[model_id.lower()]


def read_user_catalog(path: Path | None = None) -> UserCatalog:
    """The user catalog at ``path`` (default: :func:`user_catalog_path`); empty when the file is absent.

    Every problem is reported at once (``InputErrors``), each naming the file, the entry and the field.
    """
    path = user_catalog_path() if path is None else path
    if not path.exists():
        return UserCatalog(path=path)
    source = str(path)
    hint = f"fix or remove {source} (or point {ENV_USER_CATALOG} at another file); it is left untouched"
    try:
        data = read_yaml(path, max_bytes=MAX_CATALOG_BYTES)
    except InputError as exc:
        exc.hint = exc.hint or hint
        raise
    if data is None:  # an empty file
        return UserCatalog(path=path)
    if not isinstance(data, dict):
        raise InputError("a user catalog is a mapping with 'version' and 'models'", file=source, hint=hint)
    errors: list[InputError] = []
    for key in sorted(set(data) - {"version", "models"}):
        errors.append(
            InputError(
                f"unknown key {excerpt(key)}{did_you_mean(str(key)[:64], ['version', 'models'])}",
                file=source,
                field=str(key)[:60],
                hint=hint,
            )
        )
    raw_entries = [] if data.get("models") is None else data["models"]
    if not isinstance(raw_entries, list):
        errors.append(InputError("'models' must be a list of entries", file=source, field="models", hint=hint))
        raise InputErrors(errors)
    sources: dict[str, dict[str, str]] = {}
    plain: list[Any] = []
    for index, raw in enumerate(raw_entries):
        if isinstance(raw, dict):
            raw = dict(raw)
            label = raw["id"] if isinstance(raw.get("id"), str) else f"models[{index}]"
            found = _parse_source(raw.pop("source", None), source, label, errors, hint)
            if found is not None and isinstance(raw.get("id"), str):
                sources[raw["id"].lower()] = found
        plain.append(raw)
    entries = validate_entries(plain, source, errors)
    errors.extend(check_unique_ids(entries, source))
    errors.extend(_implausible_configs(entries, source))
    if errors:
        for error in errors:
            error.hint = error.hint or hint
        raise InputErrors(errors)
    return UserCatalog(path=path, entries=entries, sources=sources)


def _implausible_configs(entries: list[CatalogEntry], source: str) -> list[InputError]:
    """An entry whose config is absurd (10**8 layers, zero heads) is reported here, naming the entry,
    rather than making every later ``recommend`` slow or crash while sizing it."""
    from advisor.memory.plausibility import find_problem

    found = []
    for entry in entries:
        problem = find_problem(entry.config)
        if problem is not None:
            found.append(
                InputError(
                    problem.reason,
                    file=source,
                    entry=entry.id,
                    field=f"config.{problem.field}" if problem.field else "config",
                    hint=problem.hint,
                )
            )
    return found


def _parse_source(value: Any, file: str, label: str, errors: list[InputError], hint: str) -> dict[str, str] | None:
    if isinstance(value, dict) and len(value) == 1:
        kind, ref = next(iter(value.items()))
        if kind in SOURCE_KINDS and isinstance(ref, str) and ref.strip():
            return {kind: ref}
    errors.append(
        InputError(
            f"required: where the entry was read from, {{hub: owner/name}} or {{dir: /path}}; got {excerpt(value)}",
            file=file,
            entry=label,
            field="source",
            hint=hint,
        )
    )
    return None


def update_user_catalog(change: Callable[[UserCatalog], T], path: Path | None = None) -> tuple[T, Path]:
    """Apply ``change`` to the catalog as it is on disk now, under the file lock, and write it back.

    The file is read again inside the lock, so a change made by another process since this one
    first read it is kept; ``change`` should only put or remove entries. Returns what ``change``
    returned and the file's path.
    """
    path = user_catalog_path() if path is None else path
    with _lock(path):
        current = read_user_catalog(path)
        result = change(current)
        _write_unlocked(current)
    return result, path


def write_user_catalog(catalog: UserCatalog) -> Path:
    """Write the whole catalog atomically (temporary file, then rename) under the file lock."""
    with _lock(catalog.path):
        return _write_unlocked(catalog)


def _lock(path: Path) -> Any:
    from filelock import FileLock, Timeout

    path.parent.mkdir(parents=True, exist_ok=True)
    lock_file = path.with_name(f".{path.name}.lock")

    class _Held:
        def __init__(self) -> None:
            self.lock = FileLock(str(lock_file), timeout=LOCK_TIMEOUT_S)

        def __enter__(self) -> None:
            try:
                self.lock.acquire()
            except Timeout:
                raise InputError(
                    f"another advisor process has held the user catalog's lock for {LOCK_TIMEOUT_S:.0f} s",
                    file=str(path),
                    hint=f"wait for it to finish; if none is running, delete {lock_file}",
                ) from None

        def __exit__(self, *exc: object) -> None:
            self.lock.release()

    return _Held()


def _write_unlocked(catalog: UserCatalog) -> Path:
    import yaml

    models = []
    for entry in catalog.entries:
        dumped = entry.model_dump(mode="json")
        item: dict[str, Any] = {"id": dumped.pop("id"), "source": catalog.source_of(entry.id)}
        item.update({k: v for k, v in dumped.items() if v is not None})
        models.append(item)
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    text = _HEADER + yaml.dump(
        {"version": USER_VERSION, "models": models}, Dumper=dumper, sort_keys=False, allow_unicode=True, width=110
    )
    path = catalog.path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{id(catalog)}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
