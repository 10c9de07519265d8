"""The hardware a recommendation is sized for: what was detected, or what the team says it will have.

A plan is only as good as the memory figure it starts from, so this module keeps the two apart:
``total_bytes`` is what the device has, ``usable_bytes`` is what a model may take once the runtime
has kept its share (a fixed reserve per device, then a fractional headroom).

Detection (``advisor.hardware.detect``) never raises and never hangs: every probe that talks to a
driver runs under ``call_with_timeout``, defined here so the vendor probes (``nvidia``, ``other``)
and detection share it without importing each other; overrides (what the team says it will have)
are validated here too.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from advisor.datafiles import errors_from_validation
from advisor.errors import InputError, InputErrors
from advisor.units import GIB, MIB

# Memory the CUDA/ROCm runtime keeps per device before a model gets any: CUDA context, kernels,
# cuBLAS workspaces. llama.cpp's fit margin is 1024 MiB (common/common.h fit_params_target);
# Ollama keeps 457 MiB (ml/device.go MinimumMemory); 1 GiB covers both.
GPU_RUNTIME_RESERVE_BYTES = 1 * GIB
# The same reserve on Apple Metal: Ollama's MinimumMemory for Metal is 512 MiB (ml/device.go).
METAL_RUNTIME_RESERVE_BYTES = 512 * MIB
# Fraction of what is left that stays free for allocator fragmentation and transient buffers:
# accelerate's get_balanced_memory keeps 10 % on one GPU; transformers' bitsandbytes quantizers
# multiply max_memory by 0.90; vLLM's historical gpu_memory_utilization is 0.9.
GPU_HEADROOM_FRACTION = 0.10
# Share of RAM a CPU plan may take: the other 20 % is the documented reserve for the operating
# system, the serving process and the team's usual programs (llmfit falls back to 80 % of total RAM
# when available memory is unknown). Plans count on this share of the total (or of a container's
# limit), never on what happens to be free at the second of detection: the same machine gets the
# same plan from run to run, and what is free now is reported as a note.
RAM_USABLE_FRACTION = 0.80
# How long one driver probe (NVML, amdsmi, rocm-smi, sysctl) may take before detection gives up on
# it. A healthy NVML answers in milliseconds; the slow legitimate case is nvmlInit on a multi-GPU
# node without persistence mode, which initialises every GPU (seconds, not tens of seconds:
# inference, no measured source). Ollama allows 30 s for its whole GPU discovery, which also loads
# compute backends (discover/runner.go); sglang wraps nvidia-smi in `timeout 60` (PR #31229). A
# wedged driver never answers (NVIDIA/go-nvml#152), so any bound works; 10 s keeps `advisor detect`
# interactive when it happens.
PROBE_TIMEOUT_S = 10.0

# Bounds of a hardware override: generous (a 1024-GPU cluster, 4 TiB per device, 1 PiB of RAM), so
# only a typo or a unit mistake is refused; the --vram/--gpus/--ram options use the same ones.
MAX_GPUS = 1024
MAX_VRAM_GB = 4096
MAX_RAM_GB = 1 << 20

# Environment variables that plan for other hardware without touching the command line; they
# apply wherever ``resolve_hardware`` runs (``recommend()``, ``advisor recommend``, ``advisor detect``).

NvmlStatus = Literal[
    "ok",  # NVML answered (possibly with zero GPUs)
    "no_bindings",  # nvidia-ml-py is not importable
    "no_driver",  # libnvidia-ml not found: no NVIDIA driver, a CPU (or non-NVIDIA) machine
    "driver_not_loaded",  # user-space libraries present, kernel module not loaded
    "version_mismatch",  # driver upgraded without a reboot: CUDA fails too
    "no_permission",  # NVML refused (device nodes not shared with a container, ...)
    "not_supported",
    "timeout",  # NVML did not answer within the probe timeout (a wedged driver)
    "error",  # any other failure, named in the notes
]

GpuProblem = Literal[
    "library_not_found",
    "driver_not_loaded",
    "version_mismatch",
    "no_permission",
    "not_supported",
    "gpu_lost",
    "timeout",
    "memory_unknown",
    "error",
]


def usable_gpu_bytes(memory_bytes: int, reserve_bytes: int = GPU_RUNTIME_RESERVE_BYTES) -> int:
    """What a model may take on one device of ``memory_bytes``: (memory - reserve) x (1 - headroom).

    Detection passes the device's memory (minus what the driver keeps), not what is free this
    second, so that a plan does not change when another program briefly holds memory.
    """
    return int(max(0, memory_bytes - reserve_bytes) * (1 - GPU_HEADROOM_FRACTION))


def gpu_bytes_needed(usable_bytes: int, reserve_bytes: int = GPU_RUNTIME_RESERVE_BYTES) -> int:
    """The GPU memory a device must have for ``usable_bytes`` to be usable: the inverse of
    ``usable_gpu_bytes``, for saying which card a plan would need."""
    return int(usable_bytes / (1 - GPU_HEADROOM_FRACTION)) + reserve_bytes


def usable_ram_bytes(ram_bytes: int) -> int:
    """RAM a CPU plan may take: the usable share of the total (or container limit), never this
    second's free memory, which moves with every other program (see RAM_USABLE_FRACTION)."""
    return int(ram_bytes * RAM_USABLE_FRACTION)


def busy_note(device: str, free_bytes: int | None, usable_bytes: int) -> str | None:
    """A note when less is free now than a plan counts on: other programs hold the difference."""
    if free_bytes is None or free_bytes >= usable_bytes:
        return None
    from advisor.units import format_bytes

    return (
        f"{device}: {format_bytes(free_bytes, 'en')} free now, less than the {format_bytes(usable_bytes, 'en')} "
        "the plan counts on: other programs hold the rest; free it before running the model "
        "(plans are sized on the machine, not on this moment)."
    )


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
    usable_bytes: int = Field(
        ge=0, description="Memory a model may take: the device's memory minus reserves and headroom (not free now)."
    )
    compute_capability: str | None = Field(None, description="e.g. '9.0'; bitsandbytes and fp8 need recent ones.")
    memory_bandwidth_gbps: float | None = Field(None, description="Memory bandwidth, GB/s, for speed estimates.")
    unified_memory: bool = Field(
        False,
        description="Shares RAM with the CPU (Apple Silicon, GB10, Jetson): one pool, never add it to RAM.",
    )
    mig: bool = Field(False, description="A MIG instance rather than a whole GPU.")
    status: Literal["ok", "lost", "unusable"] = Field("ok", description="'lost' or 'unusable' GPUs get no model.")
    problem: GpuProblem | None = Field(None, description="Why the status is not 'ok', as a stable code.")
    note: str | None = Field(None, description="Why the status is not 'ok', or what was not detected.")
    nvml_index: int | None = Field(None, description="NVML (PCI order) index of the physical GPU.")
    parent_uuid: str | None = Field(None, description="UUID of the physical GPU a MIG instance belongs to.")


class HardwareProfile(BaseModel):
    """The devices and memory a recommendation is sized for."""

    model_config = ConfigDict(extra="forbid")

    gpus: list[GpuInfo] = Field(default_factory=list, description="Accelerators, usable or not.")
    ram_bytes: int = Field(0, ge=0, description="System RAM (clamped by a container limit).")
    available_ram_bytes: int | None = Field(None, ge=0, description="RAM free when detected; None if not detected.")
    usable_ram_bytes: int = Field(0, ge=0, description="RAM a CPU plan may take: a share of the total, not free now.")
    source: Literal["detected", "override", "mixed"] = Field(
        "detected", description="Whether figures were detected, given by the user, or both."
    )
    driver_version: str | None = None
    cuda_version: str | None = Field(None, description="Highest CUDA version the driver supports.")
    nvml_status: NvmlStatus | None = Field(None, description="What NVML said; None when it was not asked.")
    notes: list[str] = Field(default_factory=list, description="What was not detected, said plainly.")
    nodes: int = Field(
        1, ge=1, description="Machines the GPUs are spread over (equal shares); plans shard across them with PP."
    )

    @property
    def gpus_per_node(self) -> int:
        """Usable GPUs on one machine: what tensor parallelism may span (NVLink/PCIe, not the network)."""
        return max(1, len(self.usable_gpus) // self.nodes)

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


T = TypeVar("T")


class ProbeTimeout(Exception):
    """A driver probe did not answer in time; its thread is left behind (see ``call_with_timeout``)."""

    def __init__(self, name: str, timeout_s: float, *, still_running: bool = False) -> None:
        self.name = name
        self.timeout_s = timeout_s
        self.still_running = still_running
        what = "an earlier query is still blocked" if still_running else f"no answer within {timeout_s:g} s"
        super().__init__(f"{name}: {what}")


# Probes that timed out and whose thread is still blocked in the driver, by probe name.
_STUCK_PROBES: dict[str, threading.Thread] = {}
_STUCK_LOCK = threading.Lock()


def call_with_timeout(function: Callable[[], T], timeout_s: float, name: str) -> T:
    """Run ``function`` in a daemon thread and wait at most ``timeout_s``; re-raise what it raised.

    Why a thread and not a child process, although the reliability notes lean to a child:

    - The failure guarded against is a driver call that blocks (nvmlInit on a wedged driver,
      NVIDIA/go-nvml#152). Such a call sits in uninterruptible sleep in the kernel, so a child
      stuck there cannot be killed either; both designs can only walk away from it, and a daemon
      thread walks away at no cost and never delays interpreter exit.
    - NVML queries create no CUDA context and hold no GPU memory; every tool we compared (gpustat,
      nvitop, vLLM's platform probe, torch) calls them in-process. What a child adds is surviving a
      segfault inside libnvidia-ml, which none of them guards against. The work that does need a
      child (loading torch/CUDA for the smoke test) has one, in ``advisor.smoke.runner``.
    - A spawned child costs ~70 ms here before it imports anything, more on macOS and Windows
      where spawn is the only safe start method, on every detection; fork is unsafe once a
      process has threads (the Textual app runs detection from a worker thread).
    - Tests inject a fake NVML by monkeypatching the real module, which a spawned child would
      not see.

    The price of a thread: the blocked call may hold NVML's internal lock, so a second query in
    the same process would block too. So a probe whose earlier thread is still blocked is not
    started again; ``ProbeTimeout(still_running=True)`` is raised at once until that thread ends.
    """
    with _STUCK_LOCK:
        stuck = _STUCK_PROBES.get(name)
        if stuck is not None:
            if stuck.is_alive():
                raise ProbeTimeout(name, timeout_s, still_running=True)
            del _STUCK_PROBES[name]
    outcome: list[tuple[bool, Any]] = []

    def target() -> None:
        try:
            outcome.append((True, function()))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread as is
            outcome.append((False, exc))

    thread = threading.Thread(target=target, name=f"advisor-probe-{name}", daemon=True)
    thread.start()
    thread.join(timeout_s)
    if thread.is_alive():
        with _STUCK_LOCK:
            _STUCK_PROBES[name] = thread
        raise ProbeTimeout(name, timeout_s)
    ok, value = outcome[0]
    if ok:
        return value  # type: ignore[no-any-return]  # what function returned, a T
    raise value


# --- overrides ---------------------------------------------------------------------------------


class _GpuOverride(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = "GPU"
    vram_gb: float | None = Field(
        None, gt=0, le=4096, description="Memory in GiB as makers count it (24 for a 4090); else from the GPU table."
    )
    bandwidth_gbps: float | None = Field(None, gt=0)


class HardwareOverride(BaseModel):
    """The ``hardware=`` dict of ``recommend()``: plan for hardware the team does not have yet.

    ``{"gpus": [{"name": "RTX 4090", "vram_gb": 24}], "ram_gb": 64}``, or the shorthand
    ``{"vram_gb": 24, "gpu_count": 2}`` or ``{"gpu_name": "H100", "gpu_count": 16, "nodes": 2}``;
    ``{"gpus": []}`` plans for a CPU-only machine. A GPU name found in ``advisor/data/gpus.yaml``
    needs no ``vram_gb``: its memory and bandwidth come from the table.
    """

    model_config = ConfigDict(extra="forbid")
    gpus: list[_GpuOverride] | None = None
    gpu_name: str | None = Field(None, min_length=1, max_length=200, description="GPU model, e.g. 'RTX 4090'.")
    nodes: int | None = Field(None, ge=1, le=4096, description="Machines the GPUs are spread over.")
    vram_gb: float | None = Field(None, ge=0, le=MAX_VRAM_GB)
    gpu_count: int | None = Field(None, ge=0, le=MAX_GPUS)
    ram_gb: float | None = Field(None, gt=0, le=MAX_RAM_GB)


def validated_override(data: dict[str, Any], entry: str) -> HardwareOverride:
    try:
        override = HardwareOverride.model_validate(data)
    except ValidationError as exc:
        raise InputErrors(errors_from_validation(exc, HardwareOverride, file=None, entry=entry)) from None
    problem = override_contradiction(override.vram_gb, override.gpu_count, gpus_listed=override.gpus is not None)
    if problem:
        raise InputError(problem, entry=entry, field="gpu_count")
    if override.gpus is not None and override.gpu_name is not None:
        raise InputError(
            "a list of GPUs and gpu_name both describe the GPUs: give one or the other", entry=entry, field="gpu_name"
        )
    return override


def override_contradiction(vram_gb: float | None, gpu_count: int | None, *, gpus_listed: bool = False) -> str | None:
    """Why these GPU figures cannot describe one machine, or None: a plan is never guessed from
    a contradiction (``--gpus 0 --vram 24`` could mean a CPU plan or a 24 GiB GPU)."""
    if gpus_listed and (vram_gb is not None or gpu_count is not None):
        return "a list of GPUs and vram_gb/gpu_count both describe the GPUs: give one or the other"
    if gpu_count == 0 and vram_gb:
        return f"0 GPUs and {vram_gb:g} GiB per GPU contradict each other: drop one (0 GPUs plans for the CPU)"
    if vram_gb == 0 and gpu_count:
        return f"{gpu_count} GPU(s) of 0 GiB contradict each other: drop one (0 GiB plans for the CPU)"
    return None


def profile_from_override(data: dict[str, Any], base: HardwareProfile | None = None) -> HardwareProfile:
    """Apply an override dict on top of ``base`` (a detected profile) or on nothing.

    Given GPUs replace the detected ones wholesale, and with them the driver facts and the GPU
    notes, which described devices the plan no longer uses; the RAM notes stay.
    """
    override = validated_override(data, entry="hardware")
    profile = base.model_copy(deep=True) if base else HardwareProfile(source="override")
    gpus_given = (
        override.gpus is not None
        or override.vram_gb is not None
        or override.gpu_count is not None
        or override.gpu_name is not None
    )
    if override.gpus is not None:
        profile.gpus = [
            _gpu_from_override(i, g.name, _vram_of(g.name, g.vram_gb, f"gpus[{i}]"), g.bandwidth_gbps)
            for i, g in enumerate(override.gpus)
        ]
    elif override.gpu_name is not None:
        count = override.gpu_count if override.gpu_count is not None else 1
        vram = _vram_of(override.gpu_name, override.vram_gb, "gpu_name")
        profile.gpus = [] if vram == 0 else [_gpu_from_override(i, override.gpu_name, vram, None) for i in range(count)]
    elif override.vram_gb is not None or override.gpu_count is not None:
        count = override.gpu_count if override.gpu_count is not None else max(1, len(profile.usable_gpus))
        vram = override.vram_gb if override.vram_gb is not None else _largest_total_gib(profile)
        if vram == 0 and override.vram_gb is None and count > 0:
            raise InputError(
                "a GPU count needs a GPU size: no usable GPU was detected to take it from",
                entry="hardware",
                field="vram_gb",
                hint="give the memory per GPU too, e.g. --vram 24 --gpus 2",
            )
        name = "GPU" if override.vram_gb is not None else _largest_name(profile)
        profile.gpus = [] if vram == 0 else [_gpu_from_override(i, name, vram, None) for i in range(count)]
    if gpus_given and base is not None:
        profile.driver_version = profile.cuda_version = profile.nvml_status = None
        profile.notes = [note for note in profile.notes if note.startswith("RAM")]
        profile.notes.append(f"GPU: given, not detected ({len(profile.gpus)} GPU(s)).")
    if override.nodes is not None:
        if profile.gpus and len(profile.gpus) % override.nodes:
            raise InputError(
                f"{len(profile.gpus)} GPUs cannot be shared equally by {override.nodes} machines",
                entry="hardware",
                field="nodes",
                hint="--gpus counts the GPUs of all machines, e.g. --gpus 16 --nodes 2",
            )
        profile.nodes = override.nodes
    if override.ram_gb is not None:
        profile.ram_bytes = int(override.ram_gb * GIB)
        profile.available_ram_bytes = None
        profile.usable_ram_bytes = usable_ram_bytes(profile.ram_bytes)
        if base is not None:
            profile.notes = [note for note in profile.notes if not note.startswith("RAM")]
    if base is not None and (gpus_given or override.ram_gb is not None):
        profile.source = "mixed"
    return profile


def _vram_of(name: str, vram_gb: float | None, field: str) -> float:
    """The memory given, else the GPU table's for ``name``; an unknown name without memory is an error."""
    if vram_gb is not None:
        return vram_gb
    from advisor.hardware.gpus import find_gpu, gpu_names

    spec = find_gpu(name)
    if spec is None or spec.memory_gb is None:
        what = "has no fixed memory size" if spec is not None else "is not in the GPU table"
        raise InputError(
            f"GPU {name!r} {what}: give its memory",
            entry="hardware",
            field=field,
            hint="add --vram (GiB per GPU), or name a known GPU: " + ", ".join(gpu_names()),
        )
    return spec.memory_gb


def _gpu_from_override(index: int, name: str, vram_gb: float, bandwidth: float | None) -> GpuInfo:
    from advisor.hardware.gpus import find_gpu

    spec = find_gpu(name) if name != "GPU" else None
    total = int(vram_gb * GIB)
    return GpuInfo(
        index=index,
        name=name,
        vendor=spec.vendor if spec is not None else "nvidia",
        total_bytes=total,
        usable_bytes=usable_gpu_bytes(total),
        compute_capability=f"{spec.compute_capability:.1f}" if spec and spec.compute_capability else None,
        memory_bandwidth_gbps=bandwidth or (spec.bandwidth_gbps if spec is not None else None),
        unified_memory=spec.unified_memory if spec is not None else False,
        note="given, not detected",
    )


def _largest_total_gib(profile: HardwareProfile) -> float:
    return max((gpu.total_bytes for gpu in profile.usable_gpus), default=0) / GIB


def _largest_name(profile: HardwareProfile) -> str:
    largest = max(profile.usable_gpus, key=lambda gpu: gpu.total_bytes, default=None)
    return largest.name if largest is not None else "GPU"
