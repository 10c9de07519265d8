"""GPU specifications as data: memory, bandwidth, compute capability and the number formats each runs.

Selection needs three facts per GPU that detection rarely gives: how fast memory is (decode speed
follows it), how much compute it has (prefill time follows it), and which formats its kernels run
(bf16 needs Ampere, FP8 tensor cores Ada or Hopper, FP4 Blackwell). ``advisor/data/gpus.yaml``
holds them with sources; this module validates the table once and resolves a name as people write
it ("RTX 4090", "NVIDIA GeForce RTX 4090", "h100") to its entry.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from advisor.datafiles import PACKAGE_DIR, did_you_mean, read_yaml, validate
from advisor.errors import InputError

GPUS_FILE = PACKAGE_DIR / "data" / "gpus.yaml"
FormatSupport = Literal["native", "weight_only", "none"]
# Where no dense TFLOPS figure was read: compute ~ bandwidth x this ridge point (FLOP per byte),
# derived from A100 (312 TFLOPS / 2,039 GB/s = 153) and RTX 4090 (165 / 1,008 = 164).
DEFAULT_RIDGE_FLOP_PER_BYTE = 150.0
# Words that vendors put in front of a name and users leave out.
_NOISE = ("nvidia", "geforce", "tesla", "amd", "radeon", "instinct", "apple", "quadro")


class GpuSpec(BaseModel):
    """One GPU model as the advisor plans for it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="Canonical name, e.g. 'RTX 4090'.")
    aliases: tuple[str, ...] = Field((), description="Other spellings: NVML's name, shorthand.")
    vendor: Literal["nvidia", "amd", "apple"]
    memory_gb: float | None = Field(None, gt=0, description="Memory per GPU (None where it varies by configuration).")
    bandwidth_gbps: float = Field(gt=0, description="Peak memory bandwidth, GB/s.")
    compute_capability: float | None = Field(None, description="CUDA compute capability (NVIDIA only).")
    bf16: bool = Field(description="Runs bfloat16 (vLLM refuses it below CC 8.0).")
    fp8: FormatSupport = Field(description="FP8 checkpoints: tensor cores, Marlin weight-only, or not at all.")
    fp4: FormatSupport = Field(description="FP4 (MXFP4/NVFP4) checkpoints, as for fp8.")
    dense_tflops: float | None = Field(None, gt=0, description="Dense BF16/FP16 tensor TFLOPS, if read.")
    nvlink: bool | None = Field(None, description="NVLink between cards (None: not read).")
    unified_memory: bool = Field(False, description="Memory shared with the CPU (Apple Silicon).")
    source: str = Field(description="Where the figures were read (keys in the YAML header).")

    @property
    def compute_tflops(self) -> float:
        """Dense 16-bit TFLOPS, or the bandwidth-derived estimate when no figure was read."""
        return self.dense_tflops or self.bandwidth_gbps * DEFAULT_RIDGE_FLOP_PER_BYTE / 1000


class GpuTable(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    gpus: tuple[GpuSpec, ...]

    @model_validator(mode="after")
    def _unique(self) -> GpuTable:
        seen: dict[str, str] = {}
        for gpu in self.gpus:
            for spelling in (gpu.name, *gpu.aliases):
                key = normalize_gpu_name(spelling)
                if key in seen and seen[key] != gpu.name:
                    raise ValueError(f"{spelling!r} names both {seen[key]!r} and {gpu.name!r}")
                seen[key] = gpu.name
        return self


def normalize_gpu_name(name: str) -> str:
    """Lower case, vendor words and punctuation dropped: 'NVIDIA GeForce RTX-4090' -> 'rtx4090'."""
    words = re.split(r"[\s_\-/]+", name.lower().strip())
    return "".join(w for w in words if w and w not in _NOISE)


@lru_cache(maxsize=1)
def load_gpus() -> GpuTable:
    """The validated table (read once per process)."""
    return validate(GpuTable, read_yaml(GPUS_FILE), file=str(GPUS_FILE))


@lru_cache(maxsize=1)
def _index() -> dict[str, GpuSpec]:
    out: dict[str, GpuSpec] = {}
    for gpu in load_gpus().gpus:
        for spelling in (gpu.name, *gpu.aliases):
            out[normalize_gpu_name(spelling)] = gpu
    return out


@lru_cache(maxsize=256)
def find_gpu(name: str | None) -> GpuSpec | None:
    """The spec for ``name`` as written by a user or reported by a driver; None when unknown.

    Exact match after normalisation first; then the longest known name contained in ``name``
    (NVML says 'NVIDIA H100 80GB HBM3', a cloud console 'A100-SXM4-80GB-MIG').
    """
    if not name:
        return None
    key = normalize_gpu_name(name)
    index = _index()
    if key in index:
        return index[key]
    contained = [k for k in index if len(k) >= 3 and k in key]
    return index[max(contained, key=len)] if contained else None


def require_gpu(name: str) -> GpuSpec:
    """The spec for ``name``; an unknown name is an InputError with a did-you-mean."""
    found = find_gpu(name)
    if found is None:
        names = [g.name for g in load_gpus().gpus]
        raise InputError(
            f"unknown GPU {name!r}{did_you_mean(name, names)}",
            field="gpu",
            hint="give its memory with --vram (and bandwidth in the hardware file), or one of: " + ", ".join(names),
        )
    return found


def gpu_names() -> list[str]:
    """Canonical names, in table order (for help texts and completion)."""
    return [g.name for g in load_gpus().gpus]
