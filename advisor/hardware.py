"""The hardware a recommendation is sized for: what was detected, or what the team says it will have.

A plan is only as good as the memory figure it starts from, so this module keeps the two apart:
``total_bytes`` is what the device has, ``usable_bytes`` is what a model may take once the runtime
has kept its share (a fixed reserve per device, then a fractional headroom).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from advisor.datafiles import errors_from_validation
from advisor.errors import InputErrors

GIB = 1024**3

# Memory the CUDA/ROCm runtime keeps per device before a model gets any: CUDA context, kernels,
# cuBLAS workspaces. llama.cpp's fit margin is 1024 MiB (common/common.h fit_params_target);
# Ollama keeps 457 MiB (ml/device.go MinimumMemory); 1 GiB covers both.
GPU_RUNTIME_RESERVE_BYTES = 1 * GIB
# Fraction of what is left that stays free for allocator fragmentation and transient buffers:
# accelerate's get_balanced_memory keeps 10 % on one GPU; transformers' bitsandbytes quantizers
# multiply max_memory by 0.90; vLLM's historical gpu_memory_utilization is 0.9.
GPU_HEADROOM_FRACTION = 0.10
# Share of RAM a CPU plan may take: llmfit falls back to 80 % of total RAM when available is unknown.
RAM_USABLE_FRACTION = 0.80


def usable_gpu_bytes(free_bytes: int) -> int:
    """What a model may take on one device with ``free_bytes`` free: (free - reserve) x (1 - headroom)."""
    return int(max(0, free_bytes - GPU_RUNTIME_RESERVE_BYTES) * (1 - GPU_HEADROOM_FRACTION))


class GpuInfo(BaseModel):
    """One accelerator as the advisor sizes for it."""

    model_config = ConfigDict(extra="forbid")

    index: int = Field(0, description="Position among the visible devices (CUDA order).")
    name: str = Field(description="Marketing name, e.g. 'NVIDIA H100 80GB HBM3'.")
    vendor: Literal["nvidia", "amd", "apple", "other"] = "nvidia"
    uuid: str | None = Field(None, description="NVML UUID, used to match CUDA_VISIBLE_DEVICES.")
    total_bytes: int = Field(ge=0, description="Memory the device has.")
    free_bytes: int | None = Field(None, ge=0, description="Memory free when detected; None if unknown.")
    reserved_bytes: int | None = Field(None, ge=0, description="Memory the driver keeps (NVML v2).")
    usable_bytes: int = Field(ge=0, description="Memory a model may take: free minus reserve, minus headroom.")
    compute_capability: str | None = Field(None, description="e.g. '9.0'; bitsandbytes and fp8 need recent ones.")
    memory_bandwidth_gbps: float | None = Field(None, description="Memory bandwidth, GB/s, for speed estimates.")
    unified_memory: bool = Field(False, description="Shares RAM with the CPU (Apple Silicon, GH200).")
    mig: bool = Field(False, description="A MIG instance rather than a whole GPU.")
    status: Literal["ok", "lost", "unusable"] = Field("ok", description="'lost' or 'unusable' GPUs get no model.")
    note: str | None = Field(None, description="Why the status is not 'ok', or what was not detected.")


class HardwareProfile(BaseModel):
    """The devices and memory a recommendation is sized for."""

    model_config = ConfigDict(extra="forbid")

    gpus: list[GpuInfo] = Field(default_factory=list, description="Accelerators, usable or not.")
    ram_bytes: int = Field(0, ge=0, description="System RAM (clamped by a container limit).")
    usable_ram_bytes: int = Field(0, ge=0, description="RAM a CPU plan may take.")
    source: Literal["detected", "override", "mixed"] = Field(
        "detected", description="Whether figures were detected, given by the user, or both."
    )
    driver_version: str | None = None
    cuda_version: str | None = None
    notes: list[str] = Field(default_factory=list, description="What was not detected, said plainly.")

    @property
    def usable_gpus(self) -> list[GpuInfo]:
        """GPUs a model may be placed on."""
        return [gpu for gpu in self.gpus if gpu.status == "ok"]

    @property
    def max_gpu_usable_bytes(self) -> int:
        """Usable memory of the largest usable GPU (0 without one)."""
        return max((gpu.usable_bytes for gpu in self.usable_gpus), default=0)

    @property
    def total_gpu_usable_bytes(self) -> int:
        """Usable memory summed over usable GPUs (for plans that shard a model)."""
        return sum(gpu.usable_bytes for gpu in self.usable_gpus)


class _GpuOverride(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = "GPU"
    vram_gb: float = Field(gt=0, le=4096, description="Memory in GiB, as GPU makers count it (24 for a 4090).")
    bandwidth_gbps: float | None = Field(None, gt=0)


class HardwareOverride(BaseModel):
    """The ``hardware=`` dict of ``recommend()``: plan for hardware the team does not have yet.

    ``{"gpus": [{"name": "RTX 4090", "vram_gb": 24}], "ram_gb": 64}``, or the shorthand
    ``{"vram_gb": 24, "gpu_count": 2}``; ``{"gpus": []}`` plans for a CPU-only machine.
    """

    model_config = ConfigDict(extra="forbid")
    gpus: list[_GpuOverride] | None = None
    vram_gb: float | None = Field(None, ge=0, le=4096)
    gpu_count: int | None = Field(None, ge=0, le=1024)
    ram_gb: float | None = Field(None, gt=0, le=1 << 20)


def profile_from_override(data: dict[str, Any], base: HardwareProfile | None = None) -> HardwareProfile:
    """Apply an override dict on top of ``base`` (a detected profile) or on nothing."""
    try:
        override = HardwareOverride.model_validate(data)
    except ValidationError as exc:
        raise InputErrors(errors_from_validation(exc, HardwareOverride, file=None, entry="hardware")) from None
    profile = base.model_copy(deep=True) if base else HardwareProfile(source="override")
    gpus_given = override.gpus is not None or override.vram_gb is not None or override.gpu_count is not None
    if override.gpus is not None:
        profile.gpus = [_gpu_from_override(i, g.name, g.vram_gb, g.bandwidth_gbps) for i, g in enumerate(override.gpus)]
    elif override.vram_gb is not None or override.gpu_count is not None:
        count = override.gpu_count if override.gpu_count is not None else max(1, len(profile.usable_gpus))
        vram = override.vram_gb if override.vram_gb is not None else _largest_total_gib(profile)
        profile.gpus = [] if vram == 0 else [_gpu_from_override(i, "GPU", vram, None) for i in range(count)]
    if override.ram_gb is not None:
        profile.ram_bytes = int(override.ram_gb * GIB)
        profile.usable_ram_bytes = int(profile.ram_bytes * RAM_USABLE_FRACTION)
    if base is not None and (gpus_given or override.ram_gb is not None):
        profile.source = "mixed"
    return profile


def _gpu_from_override(index: int, name: str, vram_gb: float, bandwidth: float | None) -> GpuInfo:
    total = int(vram_gb * GIB)
    return GpuInfo(
        index=index,
        name=name,
        total_bytes=total,
        usable_bytes=usable_gpu_bytes(total),
        memory_bandwidth_gbps=bandwidth,
        note="given, not detected",
    )


def _largest_total_gib(profile: HardwareProfile) -> float:
    return max((gpu.total_bytes for gpu in profile.usable_gpus), default=0) / GIB
