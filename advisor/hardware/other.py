"""RAM (with container limits), Apple Silicon and AMD GPUs: the detection that is not NVML.

Every source here is best effort and says what it found in ``notes``; the paths and the command
runner are parameters so tests feed recorded files and outputs instead of this machine's.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from advisor.hardware.profile import (
    METAL_RUNTIME_RESERVE_BYTES,
    PROBE_TIMEOUT_S,
    GpuInfo,
    ProbeTimeout,
    call_with_timeout,
    usable_gpu_bytes,
)
from advisor.units import GIB, MIB

PROC_MEMINFO = Path("/proc/meminfo")
CGROUP_ROOT = Path("/sys/fs/cgroup")
PROC_SELF_CGROUP = Path("/proc/self/cgroup")
# cgroup v1 writes "no limit" as the largest page-aligned signed 64-bit number (9223372036854771712
# with 4 KiB pages) and v2 as the word "max"; no machine has 2**60 bytes, so anything above is no limit.
CGROUP_UNLIMITED_BYTES = 1 << 60
SYSFS_DRM = Path("/sys/class/drm")
AMD_PCI_VENDOR_ID = "0x1002"
# Share of RAM macOS lets Metal wire for the GPU when `iogpu.wired_limit_mb` is 0 (the default):
# recommendedMaxWorkingSetSize was 10.67 GiB of 16 GiB on M1 (llama-cpp-python#687) and M4
# (exo PR #1672), 11.84 of 16 on M3 (llmfit PR #754): 67-74 %. The low end, so a plan never
# counts on memory Metal will not hand out; larger Macs get a larger share, which a plan then
# leaves unused rather than over-commits.
APPLE_GPU_RAM_FRACTION = 0.67

Runner = Callable[[Sequence[str], float], "str | None"]


@dataclass
class RamInfo:
    """System RAM as a process here may use it."""

    total_bytes: int
    available_bytes: int | None
    notes: list[str] = field(default_factory=list)


@dataclass
class CgroupMemory:
    """The tightest memory limit among this process's cgroup and its ancestors."""

    limit_bytes: int
    usage_bytes: int | None  # of the limiting cgroup, without reclaimable file cache
    file: Path
    version: int


# --- RAM ---------------------------------------------------------------------------------------


def detect_ram(
    cgroup_root: Path = CGROUP_ROOT, proc_cgroup: Path = PROC_SELF_CGROUP, meminfo: Path = PROC_MEMINFO
) -> RamInfo:
    """Total and available RAM, clamped by a container's cgroup memory limit.

    /proc/meminfo (and psutil, which reads it) shows the host inside a container
    (giampaolo/psutil#2100, ComfyUI #5625), so a 16 GiB container on a 512 GiB host would be
    planned as 512 GiB without the clamp.
    """
    notes: list[str] = []
    host = ram_from_meminfo(meminfo)  # Linux; elsewhere the file does not exist and psutil answers
    if host is not None:
        total, available = host
    else:
        try:
            import psutil

            memory = psutil.virtual_memory()
            total, available = int(memory.total), int(memory.available)
        except (ImportError, OSError) as exc:
            total, available = _ram_from_sysconf(), None
            notes.append(f"RAM: psutil unavailable ({type(exc).__name__}); total from sysconf, available unknown.")
    limit = cgroup_memory(cgroup_root, proc_cgroup)
    if limit is not None and limit.limit_bytes < total:
        notes.append(
            f"RAM: container memory limit {limit.limit_bytes / GIB:.1f} GiB (cgroup v{limit.version} "
            f"{limit.file.name}) applies; the host has {total / GIB:.1f} GiB."
        )
        total = limit.limit_bytes
        if limit.usage_bytes is not None:
            inside = max(0, limit.limit_bytes - limit.usage_bytes)
            available = inside if available is None else min(available, inside)
        elif available is not None:
            available = min(available, total)
    if not total:
        notes.append("RAM: not detected; give it with --ram.")
    return RamInfo(total, available, notes)


def ram_from_meminfo(meminfo: Path) -> tuple[int, int] | None:
    """``MemTotal`` and ``MemAvailable`` (kernel 3.14+), the two figures psutil gives on Linux.

    Read directly because importing psutil costs about 11 ms of every cold ``advisor`` run, a
    twentieth of the whole. None when a figure is missing (older kernels, where psutil estimates
    the available memory itself, or an unreadable file): psutil is asked instead.
    """
    try:
        lines = meminfo.read_text().splitlines()
    except OSError:
        return None
    kib: dict[str, int] = {}
    for line in lines:
        name, _, rest = line.partition(":")
        if name in ("MemTotal", "MemAvailable"):
            value, _, unit = rest.strip().partition(" ")
            if value.isdigit() and unit == "kB":
                kib[name] = int(value)
    if len(kib) != 2:
        return None
    return kib["MemTotal"] * 1024, kib["MemAvailable"] * 1024


def _ram_from_sysconf() -> int:
    try:
        return int(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return 0


def cgroup_memory(cgroup_root: Path = CGROUP_ROOT, proc_cgroup: Path = PROC_SELF_CGROUP) -> CgroupMemory | None:
    """The memory limit that binds this process (cgroup v2 ``memory.max`` or v1 ``memory.limit_in_bytes``).

    Walks from the process's own cgroup up to the mount root, because a limit set on a parent
    applies to its children; a container whose cgroup namespace hides the path sees its own
    limit at the root. Usage excludes inactive file cache, as ``docker stats`` computes it,
    because the kernel reclaims that cache before it kills anything.
    """
    try:
        lines = proc_cgroup.read_text().splitlines()
    except OSError:
        return None
    found: list[CgroupMemory] = []
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        hierarchy, controllers, path = parts
        if hierarchy == "0" and controllers == "":
            base = cgroup_root if (cgroup_root / "cgroup.controllers").exists() else cgroup_root / "unified"
            found += _limits(base, path, "memory.max", "memory.current", "inactive_file", 2)
        elif "memory" in controllers.split(","):
            found += _limits(
                cgroup_root / "memory",
                path,
                "memory.limit_in_bytes",
                "memory.usage_in_bytes",
                "total_inactive_file",
                1,
            )
    return min(found, key=lambda limit: limit.limit_bytes, default=None)


def _limits(
    base: Path, path: str, limit_name: str, usage_name: str, cache_key: str, version: int
) -> list[CgroupMemory]:
    found = []
    directory = base / path.strip("/")
    for candidate in [directory, *directory.parents]:
        if candidate != base and base not in candidate.parents:
            break
        limit = _read_int(candidate / limit_name)
        if limit is not None and limit < CGROUP_UNLIMITED_BYTES:
            usage = _read_int(candidate / usage_name)
            cache = _stat_value(candidate / "memory.stat", cache_key)
            if usage is not None and cache is not None:
                usage = max(0, usage - cache)
            found.append(CgroupMemory(limit, usage, candidate / limit_name, version))
        if candidate == base:
            break
    return found


def _read_int(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None  # "max" (v2) is no limit


def _stat_value(path: Path, key: str) -> int | None:
    try:
        for line in path.read_text().splitlines():
            name, _, value = line.partition(" ")
            if name == key and value.strip().isdigit():
                return int(value)
    except OSError:
        return None
    return None


# --- tools -------------------------------------------------------------------------------------


def run_tool(command: Sequence[str], timeout_s: float) -> str | None:
    """stdout of a short-lived tool, or None if it is missing, fails or outlives ``timeout_s``.

    ``subprocess.run(timeout=...)`` waits for the killed child, which never returns when the child
    is stuck in the driver; here the child is killed and left behind instead.
    """
    import subprocess  # only machines without NVML run a tool: kept off every other run

    try:
        process = subprocess.Popen(
            list(command),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            text=True,
        )
    except OSError:
        return None
    try:
        out, _ = process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        return None
    return out if process.returncode == 0 else None


# --- Apple Silicon -----------------------------------------------------------------------------


def detect_apple(
    ram: RamInfo,
    *,
    timeout_s: float = PROBE_TIMEOUT_S,
    run: Runner = run_tool,
    system: str | None = None,
    machine: str | None = None,
) -> tuple[list[GpuInfo], list[str]]:
    """The Apple Silicon GPU, sized by the share of RAM Metal will wire for it; ([], []) elsewhere."""
    system = system or platform.system()
    machine = machine or platform.machine()
    if system != "Darwin":
        return [], []
    # A Python built for x86_64 runs under Rosetta on Apple Silicon and reports x86_64.
    if machine != "arm64" and (run(["sysctl", "-n", "hw.optional.arm64"], timeout_s) or "").strip() != "1":
        return [], ["Apple: an Intel Mac: no Metal GPU is sized; plans use the CPU and RAM."]
    brand = (run(["sysctl", "-n", "machdep.cpu.brand_string"], timeout_s) or "").strip() or "Apple Silicon"
    wired_mb = (run(["sysctl", "-n", "iogpu.wired_limit_mb"], timeout_s) or "").strip()
    if wired_mb.isdigit() and int(wired_mb) > 0:
        budget = min(int(wired_mb) * MIB, ram.total_bytes)
        how = f"iogpu.wired_limit_mb={wired_mb}"
    else:
        budget = int(ram.total_bytes * APPLE_GPU_RAM_FRACTION)
        how = f"the default Metal share, about {APPLE_GPU_RAM_FRACTION:.0%} of RAM"
    free = budget if ram.available_bytes is None else min(budget, ram.available_bytes)
    gpu = GpuInfo(
        name=f"{brand} GPU",
        vendor="apple",
        total_bytes=budget,
        free_bytes=free,
        usable_bytes=usable_gpu_bytes(budget, METAL_RUNTIME_RESERVE_BYTES),
        unified_memory=True,
        note=f"unified memory: the GPU may wire {budget / GIB:.1f} GiB ({how}) of the RAM the CPU also uses",
    )
    notes = [
        f"Apple: {brand}: GPU budget {budget / GIB:.1f} GiB from {how}; it is the same memory as the RAM, "
        "never add the two. bitsandbytes quantization is CUDA-first: prefer GGUF or MLX formats."
    ]
    if machine != "arm64":
        notes.append("Apple: this Python runs under Rosetta (x86_64); a native arm64 Python is needed for Metal.")
    return [gpu], notes


# --- AMD ---------------------------------------------------------------------------------------


def detect_amd(
    *,
    timeout_s: float = PROBE_TIMEOUT_S,
    run: Runner = run_tool,
    which: Callable[[str], str | None] = shutil.which,
    sysfs: Path = SYSFS_DRM,
    use_amdsmi: bool = True,
) -> tuple[list[GpuInfo], list[str]]:
    """AMD GPUs from amdsmi, else ``rocm-smi --json``, else sysfs; the note names the source used."""
    notes: list[str] = []
    if use_amdsmi:
        gpus, note = _amd_from_amdsmi(timeout_s)
        if note:
            notes.append(note)
        if gpus:
            return gpus, [*notes, _amd_note("amdsmi", gpus)]
    if which("rocm-smi"):
        out = run(["rocm-smi", "--showmeminfo", "vram", "--showproductname", "--json"], timeout_s)
        gpus = parse_rocm_smi_json(out) if out else []
        if gpus:
            return gpus, [*notes, _amd_note("rocm-smi", gpus)]
        notes.append("AMD: rocm-smi is installed but gave no VRAM figures (it failed, timed out or found no GPU).")
    gpus = read_amd_sysfs(sysfs)
    if gpus:
        return gpus, [*notes, _amd_note(f"sysfs ({sysfs}/card*/device/mem_info_vram_*)", gpus)]
    return [], notes


def _amd_note(source: str, gpus: list[GpuInfo]) -> str:
    return (
        f"AMD: {len(gpus)} GPU(s) found through {source} (best effort): total and used VRAM only; "
        "no compute capability, and ROCm support depends on the GPU model. An APU's VRAM is its BIOS "
        "carve-out, not the RAM it can borrow."
    )


def _amd_gpu(index: int, name: str, total: int, used: int | None, source: str) -> GpuInfo:
    free = max(0, total - used) if used is not None else total
    return GpuInfo(
        index=index,
        name=name,
        vendor="amd",
        total_bytes=total,
        free_bytes=free,
        usable_bytes=usable_gpu_bytes(total),
        note=f"via {source}",
    )


def parse_rocm_smi_json(text: str) -> list[GpuInfo]:
    """GPUs from ``rocm-smi --showmeminfo vram --showproductname --json`` (bytes, one key per card)."""
    start = text.find("{")  # some versions print warnings before the JSON
    try:
        data = json.loads(text[start:]) if start >= 0 else {}
    except ValueError:
        return []
    gpus: list[GpuInfo] = []
    cards = sorted((key for key in data if key.startswith("card")), key=lambda k: int("0" + k[4:].strip("_")))
    for card in cards:
        info = data[card]
        if not isinstance(info, dict):
            continue
        total = _int_or_none(info.get("VRAM Total Memory (B)"))
        if not total:
            continue
        used = _int_or_none(info.get("VRAM Total Used Memory (B)"))
        name = next(
            (
                str(info[k])
                for k in ("Card Series", "Card series", "Device Name", "Card Model", "Card model")
                if info.get(k)
            ),
            "AMD GPU",
        )
        gpus.append(_amd_gpu(len(gpus), name, total, used, "rocm-smi"))
    return gpus


def read_amd_sysfs(sysfs: Path = SYSFS_DRM) -> list[GpuInfo]:
    """AMD GPUs from ``/sys/class/drm/card<N>/device`` (amdgpu exposes VRAM totals there, in bytes)."""
    try:
        cards = sorted((p for p in sysfs.glob("card*") if p.name[4:].isdigit()), key=lambda p: int(p.name[4:]))
    except OSError:
        return []
    gpus: list[GpuInfo] = []
    for card in cards:
        device = card / "device"
        try:
            vendor = (device / "vendor").read_text().strip()
        except OSError:
            continue
        total = _read_int(device / "mem_info_vram_total")
        if vendor != AMD_PCI_VENDOR_ID or not total:
            continue
        used = _read_int(device / "mem_info_vram_used")
        name = _read_text(device / "product_name") or f"AMD GPU ({_read_text(device / 'device') or card.name})"
        gpus.append(_amd_gpu(len(gpus), name, total, used, "sysfs"))
    return gpus


def _amd_from_amdsmi(timeout_s: float) -> tuple[list[GpuInfo], str | None]:
    try:
        import amdsmi  # type: ignore[import-not-found]
    except Exception:  # noqa: BLE001 - not installed, or a broken install: fall through to the tools
        return [], None

    def query() -> list[tuple[str, int, int]]:
        amdsmi.amdsmi_init()
        try:
            found = []
            for handle in amdsmi.amdsmi_get_processor_handles():
                usage = amdsmi.amdsmi_get_gpu_vram_usage(handle)  # MiB
                try:
                    name = amdsmi.amdsmi_get_gpu_asic_info(handle).get("market_name") or "AMD GPU"
                except Exception:  # noqa: BLE001
                    name = "AMD GPU"
                found.append((str(name), int(usage["vram_total"]) * MIB, int(usage["vram_used"]) * MIB))
            return found
        finally:
            amdsmi.amdsmi_shut_down()

    try:
        rows = call_with_timeout(query, timeout_s, "amdsmi")
    except ProbeTimeout:
        return [], f"AMD: amdsmi did not answer within {timeout_s:g} s."
    except Exception as exc:  # noqa: BLE001 - amdsmi raises its own classes; any failure means "try the next source"
        return [], f"AMD: amdsmi failed ({type(exc).__name__}); trying rocm-smi and sysfs."
    return [_amd_gpu(i, name, total, used, "amdsmi") for i, (name, total, used) in enumerate(rows) if total], None


def _int_or_none(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text().strip() or None
    except OSError:
        return None
