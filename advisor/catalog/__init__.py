"""The curated model catalog: which models the advisor may recommend, and the facts behind the choice.

    from advisor.catalog import load_catalog, models
    catalog = load_catalog()                 # built-in catalog, parsed once and cached
    entry = catalog.get("Qwen/Qwen2.5-7B-Instruct")
    entry.total_params, entry.config["num_key_value_heads"], entry.licence.commercial_use
    entry.quality_score("code", ["fr"])      # 0-100, None when not rated for the task
    models(kind="embedding")                 # public API: advisor.models()

Importing this package reads no YAML and imports neither torch nor transformers.
"""

from __future__ import annotations

from advisor.catalog.in_use import clear_cache, load_catalog, merge_catalogs
from advisor.catalog.loader import BUILTIN_CATALOG, Catalog, parse_catalog_file
from advisor.catalog.schema import (
    FRENCH_LEVELS,
    KINDS,
    QUALITY_TASKS,
    QUANTIZATIONS,
    CatalogEntry,
    Licence,
    QualityFigure,
    QualityTask,
    TaskQuality,
)

__all__ = [
    "BUILTIN_CATALOG",
    "FRENCH_LEVELS",
    "KINDS",
    "QUALITY_TASKS",
    "QUANTIZATIONS",
    "Catalog",
    "CatalogEntry",
    "Licence",
    "QualityFigure",
    "QualityTask",
    "TaskQuality",
    "clear_cache",
    "load_catalog",
    "merge_catalogs",
    "models",
    "parse_catalog_file",
]


def models(kind: str | None = None) -> list[CatalogEntry]:
    """Entries of the built-in catalog, optionally of one kind (decoder, encoder, embedding, ...)."""
    return load_catalog().of_kind(kind)
