"""Everything a user can set outside the command line, in one place: the environment variables the
advisor reads and the folders where it keeps files of its own.

Each variable is named once here; the modules that act on one import its name from this module, so
the README's table and the code cannot drift apart (tests/test_settings.py checks the README).
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_LANG = "ADVISOR_LANG"
"""Language of reports and messages (en or fr) when --lang is not given; then the locale decides."""

ENV_DEBUG = "ADVISOR_DEBUG"
"""Any non-empty value: an unexpected failure prints its Python traceback."""

ENV_CACHE_DIR = "ADVISOR_CACHE_DIR"
"""Overrides the cache folder (platformdirs ``user_cache_path('llm-advisor')``)."""

ENV_NO_CACHE = "ADVISOR_NO_CACHE"
"""Any non-empty value: the package's YAML is parsed on every run instead of read from the cache."""

ENV_USER_CATALOG = "ADVISOR_USER_CATALOG"
"""Path of the user catalog (models added with ``advisor catalog add``)."""

ENV_HARDWARE = "ADVISOR_HARDWARE"
"""The ``hardware=`` dict as JSON or YAML flow text, or the path of a YAML file."""

ENV_VRAM_GB = "ADVISOR_VRAM_GB"
"""Memory per GPU in GB, as --vram."""

ENV_GPUS = "ADVISOR_GPUS"
"""Number of GPUs, as --gpus."""

ENV_RAM_GB = "ADVISOR_RAM_GB"
"""System memory in GB, as --ram."""

ENV_GPU = "ADVISOR_GPU"
"""GPU model looked up in advisor/data/gpus.yaml, as --gpu (memory, bandwidth and formats from its specs)."""

ENV_NODES = "ADVISOR_NODES"
"""Machines the GPUs are spread over, as --nodes."""

VARIABLES: tuple[str, ...] = (
    ENV_LANG,
    ENV_DEBUG,
    ENV_CACHE_DIR,
    ENV_NO_CACHE,
    ENV_USER_CATALOG,
    ENV_HARDWARE,
    ENV_VRAM_GB,
    ENV_GPUS,
    ENV_RAM_GB,
    ENV_GPU,
    ENV_NODES,
)


def env(name: str) -> str | None:
    """The variable's value, None when unset or empty."""
    return os.environ.get(name) or None


def cache_dir() -> Path:
    """``$ADVISOR_CACHE_DIR``, else platformdirs' user cache folder (``~/.cache/llm-advisor`` on Linux)."""
    override = env(ENV_CACHE_DIR)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_cache_path  # only when a cache is actually used

    return user_cache_path("llm-advisor", appauthor=False)
