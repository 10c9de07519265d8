"""RAM with container limits, AMD and Apple Silicon detection, fed recorded files and tool outputs."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace

import pytest

from advisor.hardware.other import (
    APPLE_GPU_RAM_FRACTION,
    RamInfo,
    cgroup_memory,
    detect_amd,
    detect_apple,
    detect_ram,
    parse_rocm_smi_json,
    ram_from_meminfo,
    read_amd_sysfs,
    run_tool,
)
from advisor.hardware.profile import GIB, METAL_RUNTIME_RESERVE_BYTES, MIB, usable_gpu_bytes

FIXTURES = Path(__file__).parent / "fixtures" / "hardware"
V1_UNLIMITED = "9223372036854771712"  # what cgroup v1 writes for "no limit" on 4 KiB pages


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


# --- cgroup limits -------------------------------------------------------------------------------


def v1_tree(tmp_path: Path, own_limit: str, root_limit: str = V1_UNLIMITED, own_dir: bool = True) -> tuple[Path, Path]:
    """A cgroup v1 tree shaped like the recorded /proc/self/cgroup of the development container."""
    proc = tmp_path / "cgroup"
    shutil.copy(FIXTURES / "proc-self-cgroup-v1-hybrid.txt", proc)
    own = [line.split(":", 2)[2] for line in proc.read_text().splitlines() if ":memory:" in line][0]
    root = tmp_path / "sys"
    (root / "unified").mkdir(parents=True)
    write(root / "memory" / "memory.limit_in_bytes", root_limit)
    if own_dir:
        folder = root / "memory" / own.strip("/")
        write(folder / "memory.limit_in_bytes", own_limit)
        write(folder / "memory.usage_in_bytes", str(3 * GIB))
        shutil.copy(FIXTURES / "cgroup-v1-memory.stat", folder / "memory.stat")
    return root, proc


def test_cgroup_v1_limit_of_the_process_cgroup(tmp_path: Path) -> None:
    root, proc = v1_tree(tmp_path, str(8 * GIB))
    limit = cgroup_memory(root, proc)
    assert limit is not None and (limit.limit_bytes, limit.version) == (8 * GIB, 1)
    # usage minus total_inactive_file from the recorded memory.stat
    assert limit.usage_bytes == 3 * GIB - 970752


def test_cgroup_v1_unlimited_is_no_limit(tmp_path: Path) -> None:
    root, proc = v1_tree(tmp_path, V1_UNLIMITED)
    assert cgroup_memory(root, proc) is None


def test_cgroup_v1_namespaced_container_reads_the_mount_root(tmp_path: Path) -> None:
    root, proc = v1_tree(tmp_path, "", root_limit=str(4 * GIB), own_dir=False)
    limit = cgroup_memory(root, proc)
    assert limit is not None and limit.limit_bytes == 4 * GIB and limit.usage_bytes is None


def test_cgroup_v2_parent_limit_binds_the_child(tmp_path: Path) -> None:
    root = tmp_path / "sys"
    write(root / "cgroup.controllers", "cpu memory pids")
    write(root / "user.slice" / "memory.max", str(16 * GIB))
    write(root / "user.slice" / "memory.current", str(2 * GIB))
    write(root / "user.slice" / "memory.stat", f"anon 1\ninactive_file {GIB}\nactive_file 5\n")
    write(root / "user.slice" / "app.scope" / "memory.max", "max")
    proc = tmp_path / "cgroup"
    write(proc, "0::/user.slice/app.scope\n")
    limit = cgroup_memory(root, proc)
    assert limit is not None
    assert (limit.limit_bytes, limit.usage_bytes, limit.version) == (16 * GIB, GIB, 2)
    assert limit.file == root / "user.slice" / "memory.max"


def test_cgroup_v2_max_everywhere_is_no_limit(tmp_path: Path) -> None:
    root = tmp_path / "sys"
    write(root / "cgroup.controllers", "memory")
    write(root / "memory.max", "max")
    proc = tmp_path / "cgroup"
    write(proc, "0::/\n")
    assert cgroup_memory(root, proc) is None
    assert cgroup_memory(root, tmp_path / "no-such-file") is None


def meminfo(tmp_path: Path, total_kib: int, available_kib: int | None) -> Path:
    """A /proc/meminfo as the kernel writes it (MemAvailable exists since Linux 3.14)."""
    lines = [f"MemTotal:       {total_kib} kB", "MemFree:        1024 kB"]
    if available_kib is not None:
        lines.append(f"MemAvailable:   {available_kib} kB")
    lines.append("Buffers:            9984 kB")
    path = tmp_path / "meminfo"
    write(path, "\n".join(lines) + "\n")
    return path


def test_detect_ram_clamps_the_host_figure_to_the_container_limit(tmp_path: Path) -> None:
    root, proc = v1_tree(tmp_path, str(8 * GIB))
    host = meminfo(tmp_path, 512 * 1024 * 1024, 500 * 1024 * 1024)
    ram = detect_ram(root, proc, host)
    assert ram.total_bytes == 8 * GIB
    assert ram.available_bytes == 8 * GIB - (3 * GIB - 970752)
    assert any("container memory limit 8.0 GiB" in note and "512.0 GiB" in note for note in ram.notes)


def test_detect_ram_without_a_limit_is_the_host_figure(tmp_path: Path) -> None:
    root, proc = v1_tree(tmp_path, V1_UNLIMITED)
    ram = detect_ram(root, proc, meminfo(tmp_path, 32 * 1024 * 1024, 20 * 1024 * 1024))
    assert (ram.total_bytes, ram.available_bytes, ram.notes) == (32 * GIB, 20 * GIB, [])


@pytest.mark.skipif(not Path("/proc/meminfo").is_file(), reason="Linux only")
def test_meminfo_gives_what_psutil_gives_on_this_machine() -> None:
    import psutil

    total, available = ram_from_meminfo(Path("/proc/meminfo"))  # type: ignore[misc]
    memory = psutil.virtual_memory()
    assert total == memory.total
    assert abs(available - memory.available) < 256 * 1024 * 1024  # a live figure, read twice


@pytest.mark.parametrize("available_kib", [None, "garbled"])
def test_detect_ram_asks_psutil_when_meminfo_lacks_a_figure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, available_kib: int | str | None
) -> None:
    # Kernels before 3.14 have no MemAvailable; psutil then estimates it from free, buffers and cache.
    import psutil

    monkeypatch.setattr(psutil, "virtual_memory", lambda: SimpleNamespace(total=32 * GIB, available=20 * GIB))
    root, proc = v1_tree(tmp_path, V1_UNLIMITED)
    host = meminfo(tmp_path, 64 * 1024 * 1024, None)
    if available_kib == "garbled":
        host.write_text(host.read_text() + "MemAvailable:   many kB\n")
    for source in (host, tmp_path / "no-such-meminfo"):
        ram = detect_ram(root, proc, source)
        assert (ram.total_bytes, ram.available_bytes) == (32 * GIB, 20 * GIB)


# --- AMD -------------------------------------------------------------------------------------------


def test_rocm_smi_json_fixture_parses_both_key_spellings() -> None:
    gpus = parse_rocm_smi_json((FIXTURES / "rocm-smi-showmeminfo-vram-showproductname.json").read_text())
    assert [(g.name, g.total_bytes, g.index) for g in gpus] == [
        ("Instinct MI210", 68702699520, 0),
        ("Radeon RX 7900 XTX", 25753026560, 1),
    ]
    assert gpus[1].free_bytes == 25753026560 - 1073741824
    assert all(g.vendor == "amd" and g.usable_bytes == usable_gpu_bytes(g.total_bytes) for g in gpus)


def test_rocm_smi_warnings_before_the_json_and_garbage() -> None:
    text = "WARNING: AMD GPU device(s) is/are in a low-power state.\n" + json.dumps(
        {"card0": {"VRAM Total Memory (B)": str(16 * GIB), "VRAM Total Used Memory (B)": "0"}}
    )
    assert [g.name for g in parse_rocm_smi_json(text)] == ["AMD GPU"]
    assert parse_rocm_smi_json("not json at all") == []
    assert parse_rocm_smi_json('{"system": {"Driver version": "6.8"}}') == []


def amd_sysfs(tmp_path: Path) -> Path:
    drm = tmp_path / "drm"
    write(drm / "card0" / "device" / "vendor", "0x1002\n")
    write(drm / "card0" / "device" / "device", "0x744c\n")
    write(drm / "card0" / "device" / "mem_info_vram_total", f"{24 * GIB}\n")
    write(drm / "card0" / "device" / "mem_info_vram_used", f"{2 * GIB}\n")
    write(drm / "card0-DP-1" / "status", "connected\n")  # a connector, not a card
    write(drm / "card1" / "device" / "vendor", "0x8086\n")  # an Intel iGPU
    write(drm / "card1" / "device" / "mem_info_vram_total", f"{GIB}\n")
    return drm


def test_amd_sysfs_keeps_amd_cards_only(tmp_path: Path) -> None:
    gpus = read_amd_sysfs(amd_sysfs(tmp_path))
    assert [(g.name, g.total_bytes, g.free_bytes) for g in gpus] == [("AMD GPU (0x744c)", 24 * GIB, 22 * GIB)]
    assert read_amd_sysfs(tmp_path / "none") == []


def test_amd_prefers_rocm_smi_then_falls_back_to_sysfs(tmp_path: Path) -> None:
    fixture = (FIXTURES / "rocm-smi-showmeminfo-vram-showproductname.json").read_text()
    seen: list[Sequence[str]] = []

    def run(command: Sequence[str], timeout_s: float) -> str | None:
        seen.append(command)
        return fixture

    gpus, notes = detect_amd(
        run=run, which=lambda name: "/opt/rocm/bin/rocm-smi", sysfs=amd_sysfs(tmp_path), use_amdsmi=False
    )
    assert len(gpus) == 2 and seen[0][:3] == ["rocm-smi", "--showmeminfo", "vram"]
    assert any("through rocm-smi" in note for note in notes)

    gpus, notes = detect_amd(
        run=lambda c, t: None,
        which=lambda name: "/opt/rocm/bin/rocm-smi",
        sysfs=amd_sysfs(tmp_path),
        use_amdsmi=False,
    )
    assert [g.total_bytes for g in gpus] == [24 * GIB]
    assert any("rocm-smi is installed but" in note for note in notes) and any("sysfs" in note for note in notes)


def test_no_amd_anything_says_nothing(tmp_path: Path) -> None:
    assert detect_amd(which=lambda name: None, sysfs=tmp_path, use_amdsmi=False) == ([], [])


# --- Apple Silicon ---------------------------------------------------------------------------------


def sysctl(values: dict[str, str]):  # noqa: ANN201 - a fake runner
    def run(command: Sequence[str], timeout_s: float) -> str | None:
        assert command[:2] == ["sysctl", "-n"]
        return values.get(command[2])

    return run


RAM_16 = RamInfo(total_bytes=16 * GIB, available_bytes=12 * GIB)


def test_apple_silicon_default_metal_share() -> None:
    run = sysctl({"machdep.cpu.brand_string": "Apple M2 Pro\n", "iogpu.wired_limit_mb": "0\n"})
    gpus, notes = detect_apple(RAM_16, run=run, system="Darwin", machine="arm64")
    gpu = gpus[0]
    budget = int(16 * GIB * APPLE_GPU_RAM_FRACTION)
    assert (gpu.name, gpu.vendor, gpu.unified_memory, gpu.total_bytes) == (
        "Apple M2 Pro GPU",
        "apple",
        True,
        budget,
    )
    assert gpu.free_bytes == budget  # below the 12 GiB available
    assert gpu.usable_bytes == usable_gpu_bytes(budget, METAL_RUNTIME_RESERVE_BYTES)
    assert any("never add" in note for note in notes)


def test_apple_wired_limit_override_is_capped_by_available_ram() -> None:
    run = sysctl({"machdep.cpu.brand_string": "Apple M3", "iogpu.wired_limit_mb": "14336"})
    gpu = detect_apple(RAM_16, run=run, system="Darwin", machine="arm64")[0][0]
    assert gpu.total_bytes == 14336 * MIB and gpu.free_bytes == 12 * GIB


def test_apple_under_rosetta_and_intel_macs() -> None:
    gpus, notes = detect_apple(RAM_16, run=sysctl({"hw.optional.arm64": "1"}), system="Darwin", machine="x86_64")
    assert len(gpus) == 1 and any("Rosetta" in note for note in notes)
    gpus, notes = detect_apple(RAM_16, run=sysctl({"hw.optional.arm64": "0"}), system="Darwin", machine="x86_64")
    assert gpus == [] and any("Intel Mac" in note for note in notes)


def test_apple_probe_is_silent_elsewhere() -> None:
    def never(command: Sequence[str], timeout_s: float) -> str | None:
        raise AssertionError("no tool may run off macOS")

    assert detect_apple(RAM_16, run=never, system="Linux", machine="x86_64") == ([], [])


# --- the tool runner -------------------------------------------------------------------------------


def test_run_tool_returns_stdout_and_none_on_failure_missing_tool_or_timeout() -> None:
    assert run_tool([sys.executable, "-c", "print('ok')"], 10) == "ok\n"
    assert run_tool([sys.executable, "-c", "raise SystemExit(2)"], 10) is None
    assert run_tool(["/nonexistent/tool"], 10) is None
    assert run_tool([sys.executable, "-c", "import time; time.sleep(30)"], 0.5) is None
