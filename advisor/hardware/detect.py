"""This machine's hardware, and the hardware a plan is made for once the user's overrides apply.

``detect_hardware`` asks the vendor probes (``advisor.hardware.nvidia`` for NVML, ``advisor.hardware.other``
for RAM and container limits, Apple Silicon, AMD), imported only when detection runs so that
importing the package costs neither pynvml nor psutil; ``resolve_hardware`` lays the environment
and the caller's overrides over it. It sits above the probes and the profile, so none of them
imports it back.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from advisor.datafiles import excerpt
from advisor.errors import InputError
from advisor.hardware.profile import (
    PROBE_TIMEOUT_S,
    HardwareProfile,
    busy_note,
    profile_from_override,
    usable_ram_bytes,
    validated_override,
)
from advisor.settings import ENV_GPU, ENV_GPUS, ENV_HARDWARE, ENV_NODES, ENV_RAM_GB, ENV_VRAM_GB

# --- detection ---------------------------------------------------------------------------------


def detect_hardware(*, timeout_s: float = PROBE_TIMEOUT_S) -> HardwareProfile:
    """Detect this machine's GPUs and RAM; never raises, never waits more than ``timeout_s`` per probe.

    Only what the machine says: environment overrides are applied by ``resolve_hardware``, so a
    front end can show the detected figures and the planned ones side by side.
    """
    return _detect(gpus=True, timeout_s=timeout_s)


def _detect(*, gpus: bool, timeout_s: float = PROBE_TIMEOUT_S) -> HardwareProfile:
    # Vendor order: NVIDIA first (NVML is authoritative where it answers); Apple Silicon and AMD only
    # when NVML lists no GPU at all, because an AMD or Intel iGPU next to an NVIDIA card is not a
    # device a plan should count (llmfit #271: an iGPU counted as a second 7900 XTX).
    from advisor.hardware import other as hardware_other

    ram = hardware_other.detect_ram()
    profile = HardwareProfile(
        ram_bytes=ram.total_bytes,
        available_ram_bytes=ram.available_bytes,
        usable_ram_bytes=usable_ram_bytes(ram.total_bytes),
        notes=list(ram.notes),
    )
    ram_note = busy_note("RAM", ram.available_bytes, profile.usable_ram_bytes)
    if ram_note:
        profile.notes.append(ram_note)
    if not gpus:
        return profile
    from advisor.hardware import nvidia as hardware_nvidia

    nvidia = hardware_nvidia.detect_nvidia(ram, timeout_s=timeout_s)
    profile.gpus = nvidia.gpus
    profile.nvml_status = nvidia.status
    profile.driver_version = nvidia.driver_version
    profile.cuda_version = nvidia.cuda_version
    profile.notes.extend(nvidia.notes)
    if not nvidia.physical_count:  # not when CUDA_VISIBLE_DEVICES hides NVIDIA GPUs next to an iGPU
        found, notes = hardware_other.detect_apple(ram, timeout_s=timeout_s)
        if not found:
            found, more = hardware_other.detect_amd(timeout_s=timeout_s)
            notes += more
        profile.gpus = found
        profile.notes.extend(notes)
    for gpu in profile.usable_gpus:
        if not gpu.unified_memory:  # unified memory is the RAM, already said
            gpu_note = busy_note(f"GPU {gpu.index}", gpu.free_bytes, gpu.usable_bytes)
            if gpu_note:
                profile.notes.append(gpu_note)
    if not profile.gpus:
        profile.notes.append("GPU: no GPU detected: plans use the CPU and RAM (--vram/--gpus plan for a GPU).")
    elif not profile.usable_gpus:
        profile.notes.append("GPU: no usable GPU: plans use the CPU and RAM until the problems above are fixed.")
    return profile


def resolve_hardware(
    hardware: HardwareProfile | dict[str, Any] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    timeout_s: float = PROBE_TIMEOUT_S,
) -> HardwareProfile:
    """The profile ``recommend()`` sizes for: a given profile, else overrides on top of detection.

    Precedence, lowest first: detection, then the environment, then ``hardware``. The environment
    (``os.environ`` unless ``env`` is given) holds a standing plan, e.g. on a laptop that prepares
    jobs for a GPU server:

    - ``ADVISOR_HARDWARE``: the ``hardware=`` dict as JSON or YAML flow text
      (``{"gpus": [{"name": "A100", "vram_gb": 80}], "ram_gb": 256}``), or the path of a YAML file;
    - ``ADVISOR_VRAM_GB``, ``ADVISOR_GPUS``, ``ADVISOR_RAM_GB``: the shorthand keys ``vram_gb``,
      ``gpu_count`` and ``ram_gb`` (they win over the same keys in ``ADVISOR_HARDWARE``).

    Only what the overrides leave open is detected: GPUs are not probed when the overrides fix them
    (a list, or both size and count, or zero of either), so ``--vram 24 --gpus 1`` never waits on a
    wedged driver; RAM is detected unless given. A ``HardwareProfile`` is returned as is.
    """
    if isinstance(hardware, HardwareProfile):
        return hardware
    layers = env_overrides(os.environ if env is None else env)
    if hardware:
        layers.append(("hardware", dict(hardware)))
    for name, data in layers:
        validated_override(data, entry=name)
    merged: dict[str, Any] = {}
    for _, data in layers:
        merged.update(data)
    gpus_fixed = (
        merged.get("gpus") is not None
        or merged.get("gpu_name") is not None
        or merged.get("vram_gb") == 0
        or merged.get("gpu_count") == 0
        or (merged.get("vram_gb") is not None and merged.get("gpu_count") is not None)
    )
    ram_fixed = merged.get("ram_gb") is not None
    if gpus_fixed and ram_fixed:
        profile: HardwareProfile | None = None
    else:
        profile = _detect(gpus=not gpus_fixed, timeout_s=timeout_s)
        if not ram_fixed and layers:
            profile.notes.insert(0, "RAM: detected on this machine (no RAM figure was given).")
    for _, data in layers:
        profile = profile_from_override(data, base=profile)
    if profile is None:  # for type checkers: no detection means there were layers to apply
        profile = HardwareProfile(source="override")
    if layers:
        profile.source = "override" if gpus_fixed and ram_fixed else "mixed"
    return profile


def env_overrides(env: Mapping[str, str]) -> list[tuple[str, dict[str, Any]]]:
    """The overrides the ``ADVISOR_*`` hardware variables describe, as layers to apply in order.

    ``ADVISOR_HARDWARE`` first, then the shorthand variables on top of it, so ``ADVISOR_GPUS=4``
    over a one-A100 ``ADVISOR_HARDWARE`` plans for four A100s.
    """
    from advisor.datafiles import parse_yaml, read_yaml

    layers: list[tuple[str, dict[str, Any]]] = []
    raw = env.get(ENV_HARDWARE, "").strip()
    if raw:
        parsed = parse_yaml(raw, f"${ENV_HARDWARE}")
        if isinstance(parsed, str):
            if not os.path.isfile(parsed):
                shown = parsed if len(parsed) <= 80 else parsed[:77] + "..."
                raise InputError(
                    f"no such file: {shown!r}" if not os.path.exists(parsed) else f"not a file: {shown!r}",
                    entry=f"${ENV_HARDWARE}",
                    hint="give the path of a YAML file, or the mapping itself, e.g. "
                    'ADVISOR_HARDWARE=\'{"gpus": [{"name": "A100", "vram_gb": 80}], "ram_gb": 256}\'',
                )
            parsed = read_yaml(parsed)
        if not isinstance(parsed, dict):
            raise InputError(
                "expected a mapping",
                entry=f"${ENV_HARDWARE}",
                hint='e.g. ADVISOR_HARDWARE=\'{"gpus": [{"name": "A100", "vram_gb": 80}], "ram_gb": 256}\'',
            )
        layers.append((f"${ENV_HARDWARE}", parsed))
    shorthand: dict[str, Any] = {}
    names = []
    for variable, key, kind in (
        (ENV_VRAM_GB, "vram_gb", float),
        (ENV_GPUS, "gpu_count", int),
        (ENV_RAM_GB, "ram_gb", float),
        (ENV_GPU, "gpu_name", str),
        (ENV_NODES, "nodes", int),
    ):
        value = env.get(variable, "").strip()
        if not value:
            continue
        try:
            shorthand[key] = kind(value)
        except ValueError:
            raise InputError(
                f"{excerpt(value)} is not a {'whole ' if kind is int else ''}number", entry=f"${variable}"
            ) from None
        names.append(f"${variable}")
    if shorthand:
        layers.append((", ".join(names), shorthand))
    return layers
