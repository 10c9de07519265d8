"""NVIDIA GPUs through NVML (nvidia-ml-py), read the way a CUDA process on this machine would see them.

Three things make NVML figures wrong if read naively, and each is handled here:

- memory: v1 ``used`` includes what the driver reserves; v2 reports it apart (gpustat #116/#141,
  rust-nvml #57). Fit decisions use ``free``, which both report; v2 is asked first for
  ``reserved``, v1 is the fallback for drivers older than R510 (``FunctionNotFound``).
- visibility: NVML lists every physical GPU in PCI order and ignores ``CUDA_VISIBLE_DEVICES``; a
  MIG-enabled GPU is not a CUDA device at all, its instances are, and a CUDA process sees at most
  one of them. ``select_visible`` applies CUDA's rules to the NVML list.
- failures: each NVML error class becomes a status and a sentence (see ``_EXPLAIN``); one lost
  GPU is marked and the others kept; a driver that never answers costs ``PROBE_TIMEOUT_S`` once.

The NVML calls run in ``_query`` (a worker thread, see ``advisor.hardware.profile.call_with_timeout``) and
only gather plain data; everything that interprets it is pure and runs in the caller's thread.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from advisor.hardware.other import RamInfo
from advisor.hardware.profile import (
    PROBE_TIMEOUT_S,
    GpuInfo,
    GpuProblem,
    NvmlStatus,
    ProbeTimeout,
    call_with_timeout,
    usable_gpu_bytes,
    usable_ram_bytes,
)

# Where the loaded kernel module lists its GPUs, even when NVML cannot be used (version mismatch,
# container without the NVIDIA user-space libraries): one directory per PCI bus id holding an
# ``information`` file ("Model:", "GPU UUID:", "Bus Location:").
PROC_NVIDIA_GPUS = Path("/proc/driver/nvidia/gpus")

# NVML error class (nvidia-ml-py names them NVMLError_<Code>) -> the code this module reasons with.
_CODES = {
    "NVMLError_LibraryNotFound": "library_not_found",
    "NVMLError_DriverNotLoaded": "driver_not_loaded",
    "NVMLError_LibRmVersionMismatch": "version_mismatch",
    "NVMLError_NoPermission": "no_permission",
    "NVMLError_NotSupported": "not_supported",
    "NVMLError_FunctionNotFound": "function_not_found",
    "NVMLError_ArgumentVersionMismatch": "argument_version_mismatch",
    "NVMLError_GpuIsLost": "gpu_lost",
    "NVMLError_Unknown": "gpu_lost",  # gpustat files Unknown with GpuIsLost as an invalid GPU
    "NVMLError_NotFound": "not_found",
    "NVMLError_InvalidArgument": "invalid_argument",
}
# Codes that only mean "this field is not available here": the device itself stays usable.
_FIELD_CODES = {
    "not_supported",
    "function_not_found",
    "argument_version_mismatch",
    "no_permission",
    "not_found",
    "invalid_argument",
}

_EXPLAIN = {
    "library_not_found": "no NVIDIA driver found (libnvidia-ml cannot be loaded)",
    "driver_not_loaded": "the NVIDIA driver is installed but its kernel module is not loaded "
    "(after a kernel update without a module rebuild, or WSL without GPU passthrough)",
    "version_mismatch": "NVIDIA driver/library version mismatch: the driver was upgraded without a reboot, "
    "and CUDA fails the same way until the machine reboots",
    "no_permission": "NVML refused access (no permission; in a container the GPU device nodes may not be shared)",
    "not_supported": "NVML does not support this query on this platform",
    "gpu_lost": "the GPU stopped answering (fell off the bus, Xid 79, or a hung driver): it needs a reset or a reboot",
    "timeout": "NVML did not answer in time (a wedged driver: `nvidia-smi` would hang too)",
}


def classify(exc: BaseException) -> str:
    """The code for an NVML error, found by class name so old and new bindings (and fakes) agree."""
    for klass in type(exc).__mro__:
        code = _CODES.get(klass.__name__)
        if code is not None:
            return code
    name = type(exc).__name__
    return (
        re.sub(r"(?<!^)(?=[A-Z])", "_", name.removeprefix("NVMLError_")).lower()
        if name.startswith("NVMLError")
        else "error"
    )


def _is_nvml_error(exc: BaseException) -> bool:
    # vLLM's platform probe uses the same test to tell an NVML problem from a bug in the caller.
    return "nvml" in type(exc).__name__.lower()


@dataclass
class RawDevice:
    """What NVML said about one physical GPU or MIG instance, before any interpretation."""

    nvml_index: int
    name: str | None = None
    uuid: str | None = None
    total: int | None = None
    free: int | None = None
    reserved: int | None = None
    memory_version: int | None = None
    memory_problem: str | None = None
    compute_capability: str | None = None
    bandwidth_gbps: float | None = None
    mig_enabled: bool = False
    mig_pending: bool = False
    mig_devices: list[RawDevice] = field(default_factory=list)
    is_mig: bool = False
    parent_uuid: str | None = None
    gpu_instance_id: int | None = None
    compute_instance_id: int | None = None
    problem: str | None = None
    problem_class: str | None = None


@dataclass
class NvmlSnapshot:
    """Everything one NVML session returned."""

    driver_version: str | None
    cuda_version: str | None
    devices: list[RawDevice]


@dataclass
class NvidiaResult:
    """NVIDIA detection as the profile needs it."""

    status: NvmlStatus
    gpus: list[GpuInfo] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    driver_version: str | None = None
    cuda_version: str | None = None
    physical_count: int = 0  # NVIDIA GPUs on the machine, visible to this process or not


def detect_nvidia(
    ram: RamInfo,
    *,
    timeout_s: float = PROBE_TIMEOUT_S,
    env: Mapping[str, str] | None = None,
    proc_gpus: Path = PROC_NVIDIA_GPUS,
) -> NvidiaResult:
    """NVIDIA GPUs visible to a CUDA process here; never raises, waits at most ``timeout_s``.

    ``ram`` (total and available bytes) sizes GPUs that have no memory of their own.
    """
    env = os.environ if env is None else env
    if not nvml_library_loadable():
        return _no_library(proc_gpus, [])
    try:
        with warnings.catch_warnings():
            # The deprecated `pynvml` distribution installs an import hook that warns on every
            # `import pynvml`, even when the module comes from nvidia-ml-py (reliability §1.1).
            warnings.simplefilter("ignore", FutureWarning)
            import pynvml
    except ImportError:
        return NvidiaResult(
            "no_bindings",
            notes=[
                "NVIDIA: nvidia-ml-py is not installed, so NVIDIA GPUs cannot be detected (pip install nvidia-ml-py)."
            ],
        )
    notes: list[str] = []
    if not callable(getattr(pynvml, "nvmlInitWithFlags", None)):
        notes.append(
            "NVIDIA: the 'pynvml' module is an old copy, not nvidia-ml-py, and may report wrong memory: "
            "pip install --force-reinstall nvidia-ml-py."
        )
    try:
        snapshot = call_with_timeout(lambda: _query(pynvml), timeout_s, "nvml")
    except ProbeTimeout as exc:
        detail = "an earlier NVML query is still blocked" if exc.still_running else f"no answer within {timeout_s:g} s"
        return _without_nvml("timeout", f"{_EXPLAIN['timeout']} ({detail})", proc_gpus, notes)
    except Exception as exc:  # noqa: BLE001 - detection reports, it never raises
        if not _is_nvml_error(exc):
            notes.append(f"NVIDIA: NVML query failed unexpectedly ({type(exc).__name__}: {exc}); GPUs not detected.")
            return NvidiaResult("error", notes=notes)
        code = classify(exc)
        status: NvmlStatus = code if code in _INIT_STATUSES else "error"  # type: ignore[assignment]
        reason = _EXPLAIN.get(code, f"NVML failed with {type(exc).__name__}")
        if code == "library_not_found":
            return _no_library(proc_gpus, notes)
        return _without_nvml(status, reason, proc_gpus, notes)
    visible, visibility_notes = select_visible(snapshot.devices, env)
    gpus = build_gpus(visible, ram)
    notes.extend(visibility_notes)
    notes.extend(_device_notes(snapshot.devices))
    if not snapshot.devices:
        notes.append("NVIDIA: the driver is loaded but reports no GPU.")
    return NvidiaResult("ok", gpus, notes, snapshot.driver_version, snapshot.cuda_version, len(snapshot.devices))


def nvml_library_loadable() -> bool:
    """Whether the NVML library can be loaded here, asked without importing nvidia-ml-py.

    Most machines that run the advisor have no NVIDIA driver (laptops, Macs, CPU servers), and
    importing the bindings costs about 10 ms of every cold ``advisor`` run. nvidia-ml-py loads
    ``libnvidia-ml.so.1`` by that name on every platform but Windows; when the dynamic loader cannot
    find it, NVML would fail with ``NVMLError_LibraryNotFound`` anyway, so the same result is given
    without the import. On Windows the bindings search their own folders, so they are always asked.
    Loading the library talks to no driver (``nvmlInit`` does, under the probe timeout), so this
    check runs in the caller's thread.
    """
    if sys.platform.startswith("win"):
        return True
    import ctypes

    try:
        ctypes.CDLL("libnvidia-ml.so.1")
    except OSError:
        return False
    return True


_INIT_STATUSES = {"driver_not_loaded", "version_mismatch", "no_permission", "not_supported"}


def _no_library(proc_gpus: Path, notes: list[str]) -> NvidiaResult:
    present = read_proc_gpus(proc_gpus)
    if not present:
        notes.append(f"NVIDIA: {_EXPLAIN['library_not_found']}, so no NVIDIA GPU is usable here.")
        return NvidiaResult("no_driver", notes=notes)
    reason = (
        "the kernel driver lists NVIDIA GPUs but libnvidia-ml cannot be loaded: in a container, start it "
        "with the NVIDIA runtime (docker run --gpus all)"
    )
    notes.append(f"NVIDIA: {reason}.")
    gpus = _unusable_from_proc(present, "library_not_found", reason)
    return NvidiaResult("no_driver", gpus, notes, physical_count=len(gpus))


def _without_nvml(status: NvmlStatus, reason: str, proc_gpus: Path, notes: list[str]) -> NvidiaResult:
    """NVML failed as a whole: list the GPUs the kernel module knows, none of them usable."""
    present = read_proc_gpus(proc_gpus)
    problem: GpuProblem = (
        status
        if status in ("driver_not_loaded", "version_mismatch", "no_permission", "not_supported", "timeout")
        else "error"
    )
    seen = f" ({len(present)} GPU(s) listed by the kernel driver, none usable)" if present else ""
    notes.append(f"NVIDIA: {reason}{seen}.")
    gpus = _unusable_from_proc(present, problem, reason)
    return NvidiaResult(status, gpus, notes, physical_count=len(gpus))


def _unusable_from_proc(present: list[dict[str, str]], problem: GpuProblem, reason: str) -> list[GpuInfo]:
    return [
        GpuInfo(
            index=i,
            name=gpu.get("model") or "NVIDIA GPU",
            uuid=gpu.get("uuid"),
            total_bytes=0,
            usable_bytes=0,
            status="unusable",
            problem=problem,
            note=reason,
        )
        for i, gpu in enumerate(present)
    ]


def read_proc_gpus(root: Path = PROC_NVIDIA_GPUS) -> list[dict[str, str]]:
    """GPUs the NVIDIA kernel module lists (model, uuid, bus), in bus order; [] when unreadable."""
    keys = {"Model": "model", "GPU UUID": "uuid", "Bus Location": "bus"}
    found = []
    try:
        entries = sorted(root.iterdir())
    except OSError:
        return []
    for entry in entries:
        try:
            text = (entry / "information").read_text(errors="replace")
        except OSError:
            continue
        gpu = {}
        for line in text.splitlines():
            key, _, value = line.partition(":")
            if key.strip() in keys:
                gpu[keys[key.strip()]] = value.strip()
        found.append(gpu)
    return found


# --- the NVML session (worker thread) ----------------------------------------------------------


def _text(value: Any) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _field(nv: ModuleType, function: str, *args: Any) -> Any:
    """One optional NVML field: None when not available here; device-level failures propagate."""
    call = getattr(nv, function, None)
    if call is None:  # bindings older than the function
        return None
    try:
        return call(*args)
    except Exception as exc:
        if _is_nvml_error(exc) and classify(exc) in _FIELD_CODES:
            return None
        raise


def _query(nv: ModuleType) -> NvmlSnapshot:
    nv.nvmlInit()
    try:
        driver = _field(nv, "nvmlSystemGetDriverVersion")
        cuda = _field(nv, "nvmlSystemGetCudaDriverVersion")
        count = nv.nvmlDeviceGetCount()
        devices = [_query_device(nv, i) for i in range(count)]
    finally:
        with contextlib.suppress(Exception):  # nothing useful to do when shutdown fails
            nv.nvmlShutdown()
    cuda_text = f"{cuda // 1000}.{(cuda % 1000) // 10}" if isinstance(cuda, int) and cuda > 0 else None
    return NvmlSnapshot(_text(driver) if driver is not None else None, cuda_text, devices)


def _query_device(nv: ModuleType, index: int) -> RawDevice:
    device = RawDevice(nvml_index=index)
    try:
        handle = nv.nvmlDeviceGetHandleByIndex(index)
        _describe(nv, handle, device)
        capability = _field(nv, "nvmlDeviceGetCudaComputeCapability", handle)
        if capability:
            device.compute_capability = f"{capability[0]}.{capability[1]}"
        device.bandwidth_gbps = _bandwidth(nv, handle)
        mode = _field(nv, "nvmlDeviceGetMigMode", handle)
        if mode:
            enabled = getattr(nv, "NVML_DEVICE_MIG_ENABLE", 1)
            device.mig_enabled = mode[0] == enabled
            device.mig_pending = mode[1] != mode[0]
        if device.mig_enabled:
            device.mig_devices = _query_mig(nv, handle, device)
    except Exception as exc:
        if not _is_nvml_error(exc):
            raise
        device.problem = classify(exc)
        device.problem_class = type(exc).__name__
    return device


def _describe(nv: ModuleType, handle: Any, device: RawDevice) -> None:
    name = _field(nv, "nvmlDeviceGetName", handle)
    uuid = _field(nv, "nvmlDeviceGetUUID", handle)
    device.name = _text(name) if name is not None else None
    device.uuid = _text(uuid) if uuid is not None else None
    _memory(nv, handle, device)


def _memory(nv: ModuleType, handle: Any, device: RawDevice) -> None:
    version = getattr(nv, "nvmlMemory_v2", None)
    if version is not None:
        try:
            info = nv.nvmlDeviceGetMemoryInfo(handle, version=version)
        except TypeError:
            pass  # bindings whose nvmlDeviceGetMemoryInfo takes no version
        except Exception as exc:
            if not _is_nvml_error(exc) or classify(exc) not in _FIELD_CODES:
                raise
            # FunctionNotFound (driver < R510) or ArgumentVersionMismatch: v1 below.
        else:
            device.total, device.free, device.reserved = int(info.total), int(info.free), int(info.reserved)
            device.memory_version = 2
            return
    try:
        info = nv.nvmlDeviceGetMemoryInfo(handle)
    except Exception as exc:
        if not _is_nvml_error(exc) or classify(exc) not in _FIELD_CODES:
            raise
        device.memory_problem = classify(exc)
        return
    device.total, device.free, device.memory_version = int(info.total), int(info.free), 1


def _bandwidth(nv: ModuleType, handle: Any) -> float | None:
    # Peak bandwidth = max memory clock x bus width x 2 (double data rate). It reproduces the spec
    # sheets: A100 40GB 1215 MHz x 5120 bit -> 1555 GB/s; RTX 4090 10501 MHz x 384 bit -> 1008 GB/s.
    clock = _field(nv, "nvmlDeviceGetMaxClockInfo", handle, getattr(nv, "NVML_CLOCK_MEM", 2))
    width = _field(nv, "nvmlDeviceGetMemoryBusWidth", handle)
    if not clock or not width:
        return None
    return float(round(clock * 1e6 * width / 8 * 2 / 1e9, 1))


def _query_mig(nv: ModuleType, handle: Any, parent: RawDevice) -> list[RawDevice]:
    instances = []
    for slot in range(_field(nv, "nvmlDeviceGetMaxMigDeviceCount", handle) or 0):
        mig_handle = _field(nv, "nvmlDeviceGetMigDeviceHandleByIndex", handle, slot)
        if mig_handle is None:  # NotFound: no instance in this slot
            continue
        mig = RawDevice(
            nvml_index=parent.nvml_index,
            is_mig=True,
            parent_uuid=parent.uuid,
            compute_capability=parent.compute_capability,
        )
        _describe(nv, mig_handle, mig)
        mig.gpu_instance_id = _field(nv, "nvmlDeviceGetGpuInstanceId", mig_handle)
        mig.compute_instance_id = _field(nv, "nvmlDeviceGetComputeInstanceId", mig_handle)
        instances.append(mig)
    return instances


# --- what a CUDA process sees (pure) -----------------------------------------------------------

_MIG_BY_GPU_UUID = re.compile(r"^MIG-(GPU-[0-9A-Fa-f-]+)/(\d+)/(\d+)$")


class _Invalid(Exception):
    """A CUDA_VISIBLE_DEVICES entry that matches no device: CUDA ignores it and every later entry."""


def select_visible(devices: list[RawDevice], env: Mapping[str, str]) -> tuple[list[RawDevice], list[str]]:
    """The devices a CUDA process started with ``env`` would use, in CUDA order, and notes on why.

    CUDA's rules, as nvitop reimplements them (``nvitop/api/device.py``) and the CUDA and MIG
    user guides state them: unset means every GPU; entries are indices, or ``GPU-``/``MIG-``
    UUIDs or unique prefixes of them, or ``MIG-GPU-<uuid>/<gi>/<ci>``; parsing stops at the first
    entry that matches nothing (so ``-1`` or ``""`` hides every GPU); indices and UUIDs cannot be
    mixed; a device listed twice hides them all. With MIG, a process sees a single MIG instance:
    the first one listed, else the first instance of the first listed GPU in MIG mode, and then
    nothing else.
    """
    raw = env.get("CUDA_VISIBLE_DEVICES")
    notes: list[str] = []
    physical = list(devices)
    if raw is None:
        chosen = physical
    else:
        chosen, stopped_at, duplicate = _parse_visible(raw, physical)
        if duplicate:
            notes.append(f"NVIDIA: CUDA_VISIBLE_DEVICES={raw!r} lists a device twice, so CUDA sees no GPU.")
            chosen = []
        elif stopped_at is not None:
            notes.append(
                f"NVIDIA: CUDA_VISIBLE_DEVICES={raw!r}: {stopped_at!r} matches no GPU here, so CUDA "
                "ignores it and every entry after it."
            )
    visible = _apply_mig(chosen, notes)
    if raw is not None:
        total = len(physical)
        notes.append(
            f"NVIDIA: CUDA_VISIBLE_DEVICES={raw!r} selects {len(visible)} device(s) of the {total} GPU(s) "
            "NVML lists; only those are counted."
        )
    numeric = raw is None or bool(re.match(r"\s*[+-]?\d", raw))
    names = {d.name for d in chosen if not d.is_mig}
    if numeric and len(names) > 1 and env.get("CUDA_DEVICE_ORDER") != "PCI_BUS_ID":
        notes.append(
            "NVIDIA: GPUs of different models: CUDA numbers them fastest first unless "
            "CUDA_DEVICE_ORDER=PCI_BUS_ID, so CUDA's device numbers may differ from NVML's PCI order shown "
            "here (GPU UUIDs in CUDA_VISIBLE_DEVICES avoid the ambiguity)."
        )
    return visible, notes


def _parse_visible(raw: str, physical: list[RawDevice]) -> tuple[list[RawDevice], str | None, bool]:
    chosen: list[RawDevice] = []
    kinds: set[str] = set()
    for token in raw.split(","):
        entry = token.strip()
        try:
            device, kind = _match(entry, physical)
        except _Invalid:
            return chosen, entry, False
        kinds.add(kind)
        if len(kinds) > 1:  # indices and UUIDs mixed
            return chosen, entry, False
        if any(device is seen for seen in chosen):
            return chosen, None, True
        chosen.append(device)
    return chosen, None, False


def _match(entry: str, physical: list[RawDevice]) -> tuple[RawDevice, str]:
    digits = re.match(r"^[+-]?\d+", entry)
    if digits:
        index = int(digits.group())
        if not 0 <= index < len(physical):
            raise _Invalid
        return physical[index], "index"
    if entry.startswith("MIG-"):
        by_gpu = _MIG_BY_GPU_UUID.match(entry)
        if by_gpu:
            parent = _unique(physical, by_gpu.group(1))
            for mig in parent.mig_devices:
                if (mig.gpu_instance_id, mig.compute_instance_id) == (
                    int(by_gpu.group(2)),
                    int(by_gpu.group(3)),
                ):
                    return mig, "uuid"
            raise _Invalid
        return _unique([mig for gpu in physical for mig in gpu.mig_devices], entry), "uuid"
    if entry.startswith("GPU-"):
        return _unique(physical, entry), "uuid"
    raise _Invalid


def _unique(candidates: list[RawDevice], prefix: str) -> RawDevice:
    hits = [d for d in candidates if d.uuid and d.uuid.lower().startswith(prefix.lower())]
    if len(hits) != 1:  # none, or an ambiguous prefix
        raise _Invalid
    return hits[0]


def _apply_mig(chosen: list[RawDevice], notes: list[str]) -> list[RawDevice]:
    listed_mig = [d for d in chosen if d.is_mig]
    if listed_mig:
        if len(chosen) > 1:
            notes.append(
                f"NVIDIA: a CUDA process sees one MIG instance only: sizing uses {listed_mig[0].uuid} "
                "and ignores the other listed devices."
            )
        return listed_mig[:1]
    visible: list[RawDevice] = []
    for device in chosen:
        if not device.mig_enabled or device.problem:
            visible.append(device)
            continue
        if not device.mig_devices:
            notes.append(
                f"NVIDIA: GPU {device.nvml_index} ({device.name}) is in MIG mode with no MIG instance, so "
                "CUDA cannot use it (create instances with `nvidia-smi mig`, or disable MIG)."
            )
            continue
        first = device.mig_devices[0]
        dropped = len(chosen) - 1
        notes.append(
            f"NVIDIA: GPU {device.nvml_index} ({device.name}) is in MIG mode with {len(device.mig_devices)} "
            "instance(s); a CUDA process sees one MIG instance only, so sizing uses "
            f"{first.name} ({first.uuid})"
            + (f" and ignores the {dropped} other GPU(s)." if dropped else ".")
            + " Set CUDA_VISIBLE_DEVICES=MIG-<uuid> to pick another instance."
        )
        return [first]
    return visible


def build_gpus(visible: list[RawDevice], ram: RamInfo) -> list[GpuInfo]:
    """GpuInfo for each visible device: usable ones first, numbered as CUDA would, then the others."""
    infos = [_gpu_info(device, ram) for device in visible]
    ordered = [g for g in infos if g.status == "ok"] + [g for g in infos if g.status != "ok"]
    for position, gpu in enumerate(ordered):
        gpu.index = position
    return ordered


def _gpu_info(device: RawDevice, ram: RamInfo) -> GpuInfo:
    name = device.name or f"NVIDIA GPU {device.nvml_index}"
    common: dict[str, Any] = {
        "name": name,
        "vendor": "nvidia",
        "uuid": device.uuid,
        "nvml_index": device.nvml_index,
        "compute_capability": device.compute_capability,
        "mig": device.is_mig,
        "parent_uuid": device.parent_uuid,
        "memory_bandwidth_gbps": None if device.is_mig else device.bandwidth_gbps,
    }
    if device.problem:
        problem: GpuProblem = (
            device.problem
            if device.problem
            in (  # type: ignore[assignment]
                "gpu_lost",
                "version_mismatch",
                "driver_not_loaded",
                "no_permission",
            )
            else "error"
        )
        reason = _EXPLAIN.get(device.problem, f"NVML failed with {device.problem_class}")
        return GpuInfo(
            **common,
            total_bytes=device.total or 0,
            usable_bytes=0,
            status="lost" if problem == "gpu_lost" else "unusable",
            problem=problem,
            note=f"{reason}; not used",
        )
    if device.total:
        note = None
        if device.memory_version == 1:
            note = "memory info v1 (driver older than R510): reserved memory is not reported apart"
        free = device.free if device.free is not None else device.total
        return GpuInfo(
            **common,
            total_bytes=device.total,
            free_bytes=free,
            reserved_bytes=device.reserved,
            usable_bytes=usable_gpu_bytes(device.total - (device.reserved or 0)),
            note=note,
        )
    if device.memory_problem in (None, "not_supported"):
        # NotSupported or a zero total: a GPU without memory of its own (GB10/DGX Spark, Jetson,
        # Thor), as nvitop and llmfit read it. Its budget is the system RAM, one pool with the CPU.
        return GpuInfo(
            **common,
            total_bytes=ram.total_bytes,
            free_bytes=ram.available_bytes,
            usable_bytes=usable_gpu_bytes(usable_ram_bytes(ram.total_bytes)),
            unified_memory=True,
            note="NVML reports no memory of its own (unified memory): sized from system RAM, "
            "which the CPU shares; never add the two",
        )
    return GpuInfo(
        **common,
        total_bytes=0,
        usable_bytes=0,
        status="unusable",
        problem="no_permission" if device.memory_problem == "no_permission" else "memory_unknown",
        note=f"memory could not be read ({device.memory_problem}): give its size with --vram",
    )


def _device_notes(devices: list[RawDevice]) -> list[str]:
    notes = []
    for device in devices:
        label = f"GPU {device.nvml_index} ({device.name or 'unnamed'})"
        if device.problem == "gpu_lost":
            notes.append(f"NVIDIA: {label}: {_EXPLAIN['gpu_lost']}; the other GPUs are kept.")
        elif device.problem:
            notes.append(f"NVIDIA: {label}: {_EXPLAIN.get(device.problem, device.problem_class)}; not used.")
        if device.mig_pending:
            notes.append(f"NVIDIA: {label}: a MIG mode change is pending and takes effect after a GPU reset.")
    return notes
