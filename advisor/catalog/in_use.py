"""The catalog in use: the built-in catalog with the user's own entries laid over it.

This is the one place where the two combine, so every caller (selection, ``advisor catalog``, the
estimator's catalog lookups) sees the same entries. It sits above both readers (``loader`` for the
built-in file, ``user`` for the overlay) so that neither has to import the other.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from advisor.catalog.loader import BUILTIN_CATALOG, Catalog, parse_cached
from advisor.catalog.schema import CatalogEntry
from advisor.catalog.user import read_user_catalog, user_catalog_stamp


def merge_catalogs(base: Catalog, *overlays: Catalog) -> Catalog:
    """Entries of ``base`` with each overlay's entries replacing same-id ones and adding new ones.

    The single place where catalogs combine (the built-in one with a user's additions): a user's
    entry for an id wins, and the merged version names every part.
    """
    merged: dict[str, CatalogEntry] = {entry.id.lower(): entry for entry in base.entries}
    version = base.version
    sources = list(base.sources)
    for overlay in overlays:
        for entry in overlay.entries:
            merged[entry.id.lower()] = entry
        version = f"{version}+{overlay.version}"
        sources.extend(overlay.sources)
    return Catalog(version=version, entries=list(merged.values()), sources=sources)


def load_catalog(path: str | Path | None = None) -> Catalog:
    """The model catalog: the built-in one with the user catalog laid over it, or the file at ``path``.

    Parsed once, then cached. ``advisor recommend`` calls this on every run, so a warm call is a
    stat of the user catalog file (absent for most people) and a dictionary lookup.
    """
    if path is not None:
        return _load_cached(str(path), None)
    return _load_cached(None, user_catalog_stamp())


@lru_cache(maxsize=8)
def _load_cached(path: str | None, user: tuple[str, int, int] | None) -> Catalog:
    # The one place where the catalog in use is assembled: the user's overlay file (`advisor catalog
    # add`), when there is one, is combined here with the built-in catalog, so every caller sees it.
    # ``user`` is (path, mtime, size): an edited file is a new key, so it is read again.
    base = parse_cached(str(BUILTIN_CATALOG) if path is None else path)
    if user is None:
        return base
    overlay = read_user_catalog(Path(user[0])).catalog()
    return merge_catalogs(base, overlay) if overlay.entries else base


def clear_cache() -> None:
    """Forget parsed catalogs (after a file changed on disk, or between tests)."""
    _load_cached.cache_clear()
    parse_cached.cache_clear()
