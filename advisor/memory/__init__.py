"""Memory estimation: how many bytes a model needs for inference or fine-tuning on given hardware.

``estimate_memory`` is the estimate for configs, catalog entries and model folders (the public
``advisor.estimate_memory`` adds catalog and Hub ids, see advisor.sources.models); the model selection
uses the lower-level pair ``architecture_for`` (normalise once, cached) and ``estimate_bytes``
(microseconds per call). Nothing here imports torch, transformers or accelerate at import time.
"""

from __future__ import annotations

from advisor.memory.architecture import Architecture, build_architecture
from advisor.memory.core import Figures, estimate_bytes
from advisor.memory.estimate import MemoryEstimate, architecture_for, estimate_memory
from advisor.quantization import get_quantization, quantization_ladder, quantization_names

__all__ = [
    "Architecture",
    "Figures",
    "MemoryEstimate",
    "architecture_for",
    "build_architecture",
    "estimate_bytes",
    "estimate_memory",
    "get_quantization",
    "quantization_ladder",
    "quantization_names",
]
