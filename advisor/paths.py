"""Where llm-advisor keeps files of its own: one place, overridable for tests and locked-down machines."""

from __future__ import annotations

import os
from pathlib import Path

ENV_CACHE_DIR = "ADVISOR_CACHE_DIR"
"""Overrides the cache folder (platformdirs ``user_cache_path('llm-advisor')``)."""


def cache_dir() -> Path:
    """``$ADVISOR_CACHE_DIR``, else platformdirs' user cache folder (``~/.cache/llm-advisor`` on Linux)."""
    override = os.environ.get(ENV_CACHE_DIR)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_cache_path  # only when a cache is actually used

    return user_cache_path("llm-advisor", appauthor=False)
