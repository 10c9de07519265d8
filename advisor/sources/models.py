"""A model named the way a user names it (catalog id, Hub id, folder, config) turned into what the
estimator computes on.

The estimator itself (advisor.memory) knows configs, catalog entries and folders; resolving a
catalog id needs the catalog in use and a Hub id needs the Hub reader, both rooms above it. This
module joins them for the public ``advisor.estimate_memory`` and the ``advisor estimate`` verb.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from advisor.memory.architecture import Architecture
from advisor.memory.estimate import MemoryEstimate, architecture_for
from advisor.memory.estimate import estimate_memory as _estimate_memory


def resolve_architecture(model: Any) -> Architecture:
    """A folder, a catalog id (built-in or user catalog) or a Hub id; anything else as the estimator takes it."""
    if isinstance(model, (str, os.PathLike)):
        text = os.fspath(model)
        if text.strip() and not Path(text).expanduser().is_dir():
            from advisor.catalog import load_catalog

            entry = load_catalog().find(text)
            if entry is not None:
                return architecture_for(entry)
            if not (text.endswith(".json") and Path(text).is_file()):
                from advisor.sources.hub import hub_architecture  # config.json + safetensors counts

                return hub_architecture(text)
    return architecture_for(model)


def hub_config(model_id: str) -> Mapping[str, Any]:
    """config.json of a Hub repo: read once, then from the cache folder (advisor.sources.hub)."""
    from advisor.sources.hub import read_hub, require_hub_id

    return read_hub(require_hub_id(model_id)).config


@functools.wraps(_estimate_memory)
def estimate_memory(model: Any, *args: Any, **kwargs: Any) -> MemoryEstimate:
    """advisor.memory.estimate_memory, with catalog and Hub ids resolved (the public API's form)."""
    return _estimate_memory(model, *args, resolve=resolve_architecture, **kwargs)
