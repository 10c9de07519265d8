"""llm-advisor: which LLM approach, model and quantization a team should use, and why.

The public API is small and stable (see DESIGN.md)::

    import advisor
    rec = advisor.recommend("answers.yaml", hardware={"gpus": [{"name": "RTX 4090", "vram_gb": 24}]})
    rec.approach, rec.model, rec.quantization, rec.memory
    rec.to_markdown(lang="fr")
    advisor.estimate_memory("Qwen/Qwen2.5-7B-Instruct", quantization="nf4", context_tokens=8192)
    advisor.detect_hardware()
    advisor.smoke_test("path/to/model", quantization="bf16")
    advisor.models()          # the model catalog entries

Names are resolved on first use, so ``import advisor`` stays fast and loads neither torch,
transformers, accelerate nor textual.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "recommend": "advisor.advice:recommend",
    "estimate_memory": "advisor.sources.models:estimate_memory",
    "detect_hardware": "advisor.hardware.detect:detect_hardware",
    "smoke_test": "advisor.smoke.runner:smoke_test",
    "models": "advisor.catalog:models",
    "Answers": "advisor.questionnaire:Answers",
    "Recommendation": "advisor.results:Recommendation",
    "HardwareProfile": "advisor.hardware.profile:HardwareProfile",
    "MemoryEstimate": "advisor.memory:MemoryEstimate",
    "SmokeResult": "advisor.results:SmokeResult",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    target = _EXPORTS.get(name)
    if target is None:
        raise AttributeError(f"module 'advisor' has no attribute {name!r}")
    module_name, attribute = target.split(":")
    value = getattr(importlib.import_module(module_name), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
