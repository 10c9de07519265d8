"""GPU presets for the hardware boxes: a GPU's name fills its memory and bandwidth.

The figures come from the GPU table (``advisor/data/gpus.yaml`` through ``advisor.hardware.gpus``).
An installation without the table offers no presets and the boxes work as before (memory typed
by hand); nothing here holds figures of its own.
"""

from __future__ import annotations

from typing import NamedTuple


class GpuPreset(NamedTuple):
    """A GPU the user can pick by name."""

    name: str
    memory_gib: float
    bandwidth_gbps: float | None


def gpu_presets() -> list[GpuPreset]:
    """Every GPU of the table (data/gpus.yaml) with a fixed memory size, in table order."""
    from advisor.hardware.gpus import load_gpus

    return [
        GpuPreset(gpu.name, float(gpu.memory_gb), float(gpu.bandwidth_gbps))
        for gpu in load_gpus().gpus
        if gpu.memory_gb is not None
    ]


def find_preset(name: str) -> GpuPreset | None:
    """The preset a typed name designates ("4090", "NVIDIA H100 80GB HBM3"), or None."""
    if not name.strip():
        return None
    from advisor.hardware.gpus import find_gpu

    spec = find_gpu(name)
    if spec is None or spec.memory_gb is None:
        return None
    return GpuPreset(spec.name, float(spec.memory_gb), float(spec.bandwidth_gbps))
