"""NVIDIA detection against a fake NVML at the library boundary.

The fake replaces functions of the real ``pynvml`` module (nvidia-ml-py imports without a driver)
and raises the real nvidia-ml-py error classes, so the code under test cannot tell it from a driver.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pynvml
import pytest

from advisor.hardware import detect as hardware_detect
from advisor.hardware import nvidia as hardware_nvidia
from advisor.hardware import profile as hardware
from advisor.hardware.nvidia import classify, detect_nvidia, read_proc_gpus
from advisor.hardware.other import RamInfo
from advisor.hardware.profile import GIB

FIXTURES = Path(__file__).parent / "fixtures" / "hardware"
RAM = RamInfo(total_bytes=64 * GIB, available_bytes=60 * GIB)

UUID_A = "GPU-aaaaaaaa-1111-2222-3333-444444444444"
UUID_B = "GPU-bbbbbbbb-1111-2222-3333-444444444444"
UUID_C = "GPU-cccccccc-1111-2222-3333-444444444444"

FUNCTIONS = [
    "nvmlInit",
    "nvmlShutdown",
    "nvmlSystemGetDriverVersion",
    "nvmlSystemGetCudaDriverVersion",
    "nvmlDeviceGetCount",
    "nvmlDeviceGetHandleByIndex",
    "nvmlDeviceGetName",
    "nvmlDeviceGetUUID",
    "nvmlDeviceGetMemoryInfo",
    "nvmlDeviceGetCudaComputeCapability",
    "nvmlDeviceGetMaxClockInfo",
    "nvmlDeviceGetMemoryBusWidth",
    "nvmlDeviceGetMigMode",
    "nvmlDeviceGetMaxMigDeviceCount",
    "nvmlDeviceGetMigDeviceHandleByIndex",
    "nvmlDeviceGetGpuInstanceId",
    "nvmlDeviceGetComputeInstanceId",
]


@dataclass
class FakeGpu:
    """One device as the fake driver reports it; ``errors`` maps an NVML function to the class it raises."""

    name: str
    uuid: str
    total: int
    free: int
    reserved: int = 300 * 1024**2
    capability: tuple[int, int] = (8, 0)
    mem_clock_mhz: int = 1215
    bus_width: int = 5120
    mig: list[FakeGpu] | None = None  # MIG instances; None = MIG not supported
    gi: int = 0
    ci: int = 0
    errors: dict[str, type[Exception]] = field(default_factory=dict)


class FakeNvml:
    """The subset of NVML the detector calls, with failures injected per call."""

    def __init__(
        self,
        gpus: list[FakeGpu],
        *,
        init_error: type[Exception] | None = None,
        v2_error: type[Exception] | None = None,
        hang: threading.Event | None = None,
    ) -> None:
        self.gpus = gpus
        self.init_error = init_error
        self.v2_error = v2_error
        self.hang = hang
        self.calls: list[str] = []

    def install(self, monkeypatch: pytest.MonkeyPatch) -> FakeNvml:
        for name in FUNCTIONS:
            monkeypatch.setattr(pynvml, name, getattr(self, name))
        # The fake stands for a loadable libnvidia-ml: the detector's pre-check must let it answer.
        monkeypatch.setattr(hardware_nvidia, "nvml_library_loadable", lambda: True)
        return self

    def _check(self, gpu: FakeGpu, function: str) -> None:
        self.calls.append(function)
        error = gpu.errors.get(function)
        if error is not None:
            raise error()

    def nvmlInit(self) -> None:
        self.calls.append("nvmlInit")
        if self.hang is not None:
            self.hang.wait(10)  # a detector without a timeout returns "ok" after 10 s and fails the test
        if self.init_error is not None:
            raise self.init_error()

    def nvmlShutdown(self) -> None:
        self.calls.append("nvmlShutdown")

    def nvmlSystemGetDriverVersion(self) -> str:
        return "550.54.15"

    def nvmlSystemGetCudaDriverVersion(self) -> int:
        return 12040

    def nvmlDeviceGetCount(self) -> int:
        return len(self.gpus)

    def nvmlDeviceGetHandleByIndex(self, index: int) -> FakeGpu:
        gpu = self.gpus[index]
        self._check(gpu, "nvmlDeviceGetHandleByIndex")
        return gpu

    def nvmlDeviceGetName(self, gpu: FakeGpu) -> str:
        self._check(gpu, "nvmlDeviceGetName")
        return gpu.name

    def nvmlDeviceGetUUID(self, gpu: FakeGpu) -> str:
        self._check(gpu, "nvmlDeviceGetUUID")
        return gpu.uuid

    def nvmlDeviceGetMemoryInfo(self, gpu: FakeGpu, version: int | None = None) -> Any:
        if version is not None:
            assert version == pynvml.nvmlMemory_v2
            self._check(gpu, "nvmlDeviceGetMemoryInfo_v2")
            if self.v2_error is not None:
                raise self.v2_error()
            used = gpu.total - gpu.free - gpu.reserved
            return SimpleNamespace(version=version, total=gpu.total, reserved=gpu.reserved, free=gpu.free, used=used)
        self._check(gpu, "nvmlDeviceGetMemoryInfo")
        return SimpleNamespace(total=gpu.total, free=gpu.free, used=gpu.total - gpu.free)  # v1: used has reserved

    def nvmlDeviceGetCudaComputeCapability(self, gpu: FakeGpu) -> tuple[int, int]:
        self._check(gpu, "nvmlDeviceGetCudaComputeCapability")
        return gpu.capability

    def nvmlDeviceGetMaxClockInfo(self, gpu: FakeGpu, clock: int) -> int:
        assert clock == pynvml.NVML_CLOCK_MEM
        self._check(gpu, "nvmlDeviceGetMaxClockInfo")
        return gpu.mem_clock_mhz

    def nvmlDeviceGetMemoryBusWidth(self, gpu: FakeGpu) -> int:
        self._check(gpu, "nvmlDeviceGetMemoryBusWidth")
        return gpu.bus_width

    def nvmlDeviceGetMigMode(self, gpu: FakeGpu) -> list[int]:
        self._check(gpu, "nvmlDeviceGetMigMode")
        if gpu.mig is None:
            raise pynvml.NVMLError_NotSupported()
        return [1, 1]

    def nvmlDeviceGetMaxMigDeviceCount(self, gpu: FakeGpu) -> int:
        return 7

    def nvmlDeviceGetMigDeviceHandleByIndex(self, gpu: FakeGpu, index: int) -> FakeGpu:
        assert gpu.mig is not None
        if index >= len(gpu.mig):
            raise pynvml.NVMLError_NotFound()
        return gpu.mig[index]

    def nvmlDeviceGetGpuInstanceId(self, gpu: FakeGpu) -> int:
        return gpu.gi

    def nvmlDeviceGetComputeInstanceId(self, gpu: FakeGpu) -> int:
        return gpu.ci


def a100(uuid: str = UUID_A, **kwargs: Any) -> FakeGpu:
    return FakeGpu("NVIDIA A100-SXM4-80GB", uuid, total=80 * GIB, free=79 * GIB, **kwargs)


def rtx4090(uuid: str = UUID_B, **kwargs: Any) -> FakeGpu:
    return FakeGpu(
        "NVIDIA GeForce RTX 4090",
        uuid,
        total=24 * GIB,
        free=23 * GIB,
        capability=(8, 9),
        mem_clock_mhz=10501,
        bus_width=384,
        **kwargs,
    )


@pytest.fixture(autouse=True)
def _no_stuck_probe() -> Any:
    hardware._STUCK_PROBES.clear()
    yield
    hardware._STUCK_PROBES.clear()


def detect(
    monkeypatch: pytest.MonkeyPatch,
    fake: FakeNvml,
    env: dict[str, str] | None = None,
    proc: Path | None = None,
    timeout_s: float = 5.0,
) -> Any:
    fake.install(monkeypatch)
    return detect_nvidia(RAM, timeout_s=timeout_s, env=env or {}, proc_gpus=proc or Path("/nonexistent"))


def proc_tree(tmp_path: Path) -> Path:
    root = tmp_path / "gpus"
    for bus in ("0000_17_00.0", "0000_65_00.0"):
        folder = root / bus.replace("_", ":")
        folder.mkdir(parents=True)
        (folder / "information").write_text((FIXTURES / f"proc-driver-nvidia-gpus-{bus}-information.txt").read_text())
    return root


# --- whole-NVML failures -------------------------------------------------------------------------


def test_the_real_bindings_without_a_driver_mean_a_cpu_machine() -> None:
    # No fake: nvidia-ml-py on this GPU-less machine raises NVMLError_LibraryNotFound at init.
    result = detect_nvidia(RAM, env={}, proc_gpus=Path("/nonexistent"))
    assert result.status == "no_driver"
    assert result.gpus == []
    assert any("no NVIDIA driver" in note for note in result.notes)


def test_the_pre_check_agrees_with_the_real_bindings() -> None:
    # The pre-check stands in for nvmlInit's library load: where it says "not loadable", the real
    # nvidia-ml-py must fail with LibraryNotFound, or the shortcut would hide a usable driver.
    if hardware_nvidia.nvml_library_loadable():
        pytest.skip("libnvidia-ml loads on this machine")
    with pytest.raises(pynvml.NVMLError_LibraryNotFound):
        pynvml.nvmlInit()


def test_without_a_loadable_library_the_bindings_are_not_imported(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # An import of pynvml would fail here and report "no_bindings": "no_driver" shows it was skipped.
    monkeypatch.setattr(hardware_nvidia, "nvml_library_loadable", lambda: False)
    monkeypatch.setitem(sys.modules, "pynvml", None)
    bare = detect_nvidia(RAM, env={}, proc_gpus=Path("/nonexistent"))
    assert (bare.status, bare.gpus) == ("no_driver", [])
    assert any("no NVIDIA driver" in note for note in bare.notes)
    in_container = detect_nvidia(RAM, env={}, proc_gpus=proc_tree(tmp_path))
    assert in_container.status == "no_driver"
    assert [gpu.status for gpu in in_container.gpus] == ["unusable", "unusable"]
    assert any("docker run --gpus all" in note for note in in_container.notes)


def test_library_not_found_is_not_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    result = detect(monkeypatch, FakeNvml([a100()], init_error=pynvml.NVMLError_LibraryNotFound))
    assert (result.status, result.gpus) == ("no_driver", [])


def test_library_missing_while_the_kernel_lists_gpus_points_at_the_container(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    result = detect(monkeypatch, FakeNvml([], init_error=pynvml.NVMLError_LibraryNotFound), proc=proc_tree(tmp_path))
    assert [g.name for g in result.gpus] == ["GeForce GTX 1080 Ti", "GeForce GTX TITAN X"]
    assert all(g.status == "unusable" and g.problem == "library_not_found" for g in result.gpus)
    assert any("--gpus all" in note for note in result.notes)


def test_version_mismatch_lists_the_gpus_as_unusable_and_asks_for_a_reboot(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    result = detect(
        monkeypatch,
        FakeNvml([a100()], init_error=pynvml.NVMLError_LibRmVersionMismatch),
        proc=proc_tree(tmp_path),
    )
    assert result.status == "version_mismatch"
    assert len(result.gpus) == 2 and all(g.status == "unusable" for g in result.gpus)
    assert {g.problem for g in result.gpus} == {"version_mismatch"}
    assert result.gpus[0].uuid == "GPU-e953c3c5-dba7-029e-ce44-7b51417131df"
    assert any("reboot" in note for note in result.notes)


@pytest.mark.parametrize(
    ("error", "status", "words"),
    [
        (pynvml.NVMLError_DriverNotLoaded, "driver_not_loaded", "not loaded"),
        (pynvml.NVMLError_NoPermission, "no_permission", "no permission"),
        (pynvml.NVMLError_NotSupported, "not_supported", "not support"),
        (pynvml.NVMLError_Uninitialized, "error", "NVMLError_Uninitialized"),
    ],
)
def test_each_init_error_has_its_own_status(
    monkeypatch: pytest.MonkeyPatch, error: type[Exception], status: str, words: str
) -> None:
    result = detect(monkeypatch, FakeNvml([a100()], init_error=error))
    assert result.status == status
    assert result.gpus == []
    assert any(words in note for note in result.notes)


def test_a_bug_in_the_query_is_reported_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeNvml([a100(errors={"nvmlDeviceGetName": ZeroDivisionError})])
    result = detect(monkeypatch, fake)
    assert result.status == "error"
    assert any("ZeroDivisionError" in note for note in result.notes)
    assert fake.calls[-1] == "nvmlShutdown"


def test_a_hung_driver_hits_the_timeout_then_the_probe_is_not_restarted_until_it_ends(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    release = threading.Event()
    fake = FakeNvml([a100()], hang=release)
    try:
        first = detect(monkeypatch, fake, proc=proc_tree(tmp_path), timeout_s=0.5)
        # The fake is still blocked (release is not set), so only the timeout can have returned.
        assert not release.is_set()
        assert first.status == "timeout"
        assert {g.problem for g in first.gpus} == {"timeout"} and not any(g.status == "ok" for g in first.gpus)
        assert any("did not answer" in note for note in first.notes)
        second = detect(monkeypatch, fake, timeout_s=0.5)
        assert second.status == "timeout"
        assert any("still blocked" in note for note in second.notes)
        assert fake.calls.count("nvmlInit") == 1  # the second call did not pile up another blocked thread
    finally:
        release.set()
        stuck = hardware._STUCK_PROBES.get("nvml")
        if stuck is not None:
            stuck.join(5)
    third = detect(monkeypatch, fake)
    assert third.status == "ok" and len(third.gpus) == 1


# --- per-device behaviour ------------------------------------------------------------------------


def test_healthy_gpus_report_v2_memory_and_usable_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    result = detect(monkeypatch, FakeNvml([a100(), a100(UUID_C)]))
    assert (result.status, result.driver_version, result.cuda_version) == ("ok", "550.54.15", "12.4")
    gpu = result.gpus[0]
    assert (gpu.total_bytes, gpu.free_bytes, gpu.reserved_bytes) == (80 * GIB, 79 * GIB, 300 * 1024**2)
    # Sized on the device (total minus what the driver keeps), not on what is free this second.
    assert gpu.usable_bytes == hardware.usable_gpu_bytes(80 * GIB - 300 * 1024**2)
    assert gpu.compute_capability == "8.0" and gpu.memory_bandwidth_gbps == pytest.approx(1555.2)
    assert [g.index for g in result.gpus] == [0, 1] and [g.uuid for g in result.gpus] == [UUID_A, UUID_C]


@pytest.mark.parametrize("error", [pynvml.NVMLError_FunctionNotFound, pynvml.NVMLError_ArgumentVersionMismatch])
def test_memory_info_v2_missing_falls_back_to_v1(monkeypatch: pytest.MonkeyPatch, error: type[Exception]) -> None:
    fake = FakeNvml([rtx4090()], v2_error=error)
    result = detect(monkeypatch, fake)
    gpu = result.gpus[0]
    assert gpu.status == "ok"
    assert (gpu.total_bytes, gpu.free_bytes, gpu.reserved_bytes) == (24 * GIB, 23 * GIB, None)
    assert "v1" in (gpu.note or "")
    assert fake.calls.count("nvmlDeviceGetMemoryInfo") == 1


def test_unified_memory_reported_not_supported_is_sized_from_ram(monkeypatch: pytest.MonkeyPatch) -> None:
    gb10 = FakeGpu(
        "NVIDIA GB10",
        UUID_A,
        total=0,
        free=0,
        capability=(12, 1),
        errors={
            "nvmlDeviceGetMemoryInfo_v2": pynvml.NVMLError_NotSupported,
            "nvmlDeviceGetMemoryInfo": pynvml.NVMLError_NotSupported,
        },
    )
    gpu = detect(monkeypatch, FakeNvml([gb10])).gpus[0]
    assert gpu.status == "ok" and gpu.unified_memory
    assert (gpu.total_bytes, gpu.free_bytes) == (RAM.total_bytes, RAM.available_bytes)
    assert gpu.usable_bytes == hardware.usable_gpu_bytes(hardware.usable_ram_bytes(RAM.total_bytes))


def test_a_zero_memory_total_is_unified_memory_too(monkeypatch: pytest.MonkeyPatch) -> None:
    orin = FakeGpu("Orin (nvgpu)", UUID_A, total=0, free=0, reserved=0, capability=(8, 7))
    gpu = detect(monkeypatch, FakeNvml([orin])).gpus[0]
    assert gpu.unified_memory and gpu.total_bytes == RAM.total_bytes


def test_unreadable_memory_makes_the_gpu_unusable_not_zero_sized(monkeypatch: pytest.MonkeyPatch) -> None:
    locked = a100(
        errors={
            "nvmlDeviceGetMemoryInfo_v2": pynvml.NVMLError_NoPermission,
            "nvmlDeviceGetMemoryInfo": pynvml.NVMLError_NoPermission,
        }
    )
    gpu = detect(monkeypatch, FakeNvml([locked])).gpus[0]
    assert (gpu.status, gpu.problem, gpu.usable_bytes) == ("unusable", "no_permission", 0)
    assert "--vram" in (gpu.note or "")


@pytest.mark.parametrize("where", ["nvmlDeviceGetHandleByIndex", "nvmlDeviceGetName", "nvmlDeviceGetMemoryInfo_v2"])
@pytest.mark.parametrize("error", [pynvml.NVMLError_GpuIsLost, pynvml.NVMLError_Unknown])
def test_one_lost_gpu_is_marked_and_the_others_kept(
    monkeypatch: pytest.MonkeyPatch, where: str, error: type[Exception]
) -> None:
    lost = a100(UUID_B, errors={where: error})
    result = detect(monkeypatch, FakeNvml([a100(UUID_A), lost, a100(UUID_C)]))
    assert result.status == "ok"
    assert [g.status for g in result.gpus] == ["ok", "ok", "lost"]
    assert [g.index for g in result.gpus] == [0, 1, 2]
    assert result.gpus[2].nvml_index == 1 and result.gpus[2].usable_bytes == 0
    assert result.gpus[2].problem == "gpu_lost"
    assert any("other GPUs are kept" in note for note in result.notes)


def test_optional_fields_not_supported_leave_the_gpu_usable(monkeypatch: pytest.MonkeyPatch) -> None:
    gpu = a100(
        errors={
            "nvmlDeviceGetCudaComputeCapability": pynvml.NVMLError_NotSupported,
            "nvmlDeviceGetMemoryBusWidth": pynvml.NVMLError_FunctionNotFound,
        }
    )
    info = detect(monkeypatch, FakeNvml([gpu])).gpus[0]
    assert info.status == "ok"
    assert info.compute_capability is None and info.memory_bandwidth_gbps is None


# --- MIG -----------------------------------------------------------------------------------------


def mig_a100() -> FakeGpu:
    slices = [
        FakeGpu(
            "NVIDIA A100-SXM4-80GB MIG 3g.40gb",
            "MIG-11111111-aaaa-bbbb-cccc-000000000001",
            total=40 * GIB,
            free=39 * GIB,
            gi=1,
            ci=0,
        ),
        FakeGpu(
            "NVIDIA A100-SXM4-80GB MIG 1g.10gb",
            "MIG-22222222-aaaa-bbbb-cccc-000000000002",
            total=10 * GIB,
            free=9 * GIB,
            gi=9,
            ci=0,
        ),
    ]
    # In a container that owns a slice, asking the parent for memory is refused (vLLM PR #50463).
    return a100(
        mig=slices,
        errors={
            "nvmlDeviceGetMemoryInfo_v2": pynvml.NVMLError_NoPermission,
            "nvmlDeviceGetMemoryInfo": pynvml.NVMLError_NoPermission,
        },
    )


def test_mig_sizes_for_the_one_instance_a_cuda_process_sees(monkeypatch: pytest.MonkeyPatch) -> None:
    result = detect(monkeypatch, FakeNvml([mig_a100(), rtx4090()]))
    assert len(result.gpus) == 1
    gpu = result.gpus[0]
    assert gpu.mig and gpu.parent_uuid == UUID_A
    assert (gpu.name, gpu.total_bytes, gpu.free_bytes) == (
        "NVIDIA A100-SXM4-80GB MIG 3g.40gb",
        40 * GIB,
        39 * GIB,
    )
    assert gpu.compute_capability == "8.0"
    assert any("one MIG instance only" in note and "ignores the 1 other GPU" in note for note in result.notes)


@pytest.mark.parametrize(
    "visible",
    ["MIG-22222222", "MIG-22222222-aaaa-bbbb-cccc-000000000002", f"MIG-{UUID_A}/9/0", "MIG-GPU-aaaaaaaa/9/0"],
)
def test_cuda_visible_devices_picks_a_mig_instance(monkeypatch: pytest.MonkeyPatch, visible: str) -> None:
    result = detect(monkeypatch, FakeNvml([mig_a100(), rtx4090()]), env={"CUDA_VISIBLE_DEVICES": visible})
    assert [g.name for g in result.gpus] == ["NVIDIA A100-SXM4-80GB MIG 1g.10gb"]


def test_mig_mode_without_instances_is_skipped_with_a_note(monkeypatch: pytest.MonkeyPatch) -> None:
    empty = a100(mig=[])
    result = detect(monkeypatch, FakeNvml([empty, rtx4090()]))
    assert [g.name for g in result.gpus] == ["NVIDIA GeForce RTX 4090"]
    assert any("no MIG instance" in note for note in result.notes)


# --- CUDA_VISIBLE_DEVICES ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("visible", "expected"),
    [
        ("1", [UUID_B]),
        ("2,0", [UUID_C, UUID_A]),
        (" 1 , 2 ", [UUID_B, UUID_C]),
        (UUID_B, [UUID_B]),
        ("GPU-cccc", [UUID_C]),  # a unique prefix
        (f"{UUID_C},{UUID_A}", [UUID_C, UUID_A]),
        ("0,7,1", [UUID_A]),  # CUDA stops at the first entry that matches nothing
        ("0,GPU-bbbb", [UUID_A]),  # indices and UUIDs cannot be mixed
        ("GPU-", []),  # ambiguous prefix
        ("-1", []),
        ("", []),
        ("0,0", []),  # a device listed twice hides them all
        ("3", []),
    ],
)
def test_cuda_visible_devices_selects_and_orders_like_cuda(
    monkeypatch: pytest.MonkeyPatch, visible: str, expected: list[str]
) -> None:
    result = detect(
        monkeypatch,
        FakeNvml([a100(UUID_A), rtx4090(UUID_B), a100(UUID_C)]),
        env={"CUDA_VISIBLE_DEVICES": visible, "CUDA_DEVICE_ORDER": "PCI_BUS_ID"},
    )
    assert [g.uuid for g in result.gpus] == expected
    assert [g.index for g in result.gpus] == list(range(len(expected)))
    assert any("CUDA_VISIBLE_DEVICES" in note for note in result.notes)


def test_cuda_visible_devices_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    FakeNvml([a100(UUID_A), rtx4090(UUID_B)]).install(monkeypatch)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", UUID_B)
    profile = hardware_detect.detect_hardware()
    assert [g.name for g in profile.gpus] == ["NVIDIA GeForce RTX 4090"]
    assert profile.nvml_status == "ok"


def test_mixed_models_warn_that_cuda_order_may_differ(monkeypatch: pytest.MonkeyPatch) -> None:
    result = detect(monkeypatch, FakeNvml([a100(), rtx4090()]))
    assert any("fastest first" in note for note in result.notes)
    result = detect(monkeypatch, FakeNvml([a100(), rtx4090()]), env={"CUDA_DEVICE_ORDER": "PCI_BUS_ID"})
    assert not any("fastest first" in note for note in result.notes)


# --- pieces ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (pynvml.NVMLError_LibraryNotFound, "library_not_found"),
        (pynvml.NVMLError_DriverNotLoaded, "driver_not_loaded"),
        (pynvml.NVMLError_LibRmVersionMismatch, "version_mismatch"),
        (pynvml.NVMLError_NoPermission, "no_permission"),
        (pynvml.NVMLError_NotSupported, "not_supported"),
        (pynvml.NVMLError_FunctionNotFound, "function_not_found"),
        (pynvml.NVMLError_ArgumentVersionMismatch, "argument_version_mismatch"),
        (pynvml.NVMLError_GpuIsLost, "gpu_lost"),
        (pynvml.NVMLError_ResetRequired, "reset_required"),
    ],
)
def test_classify_knows_the_real_error_classes(error: type[Exception], code: str) -> None:
    assert classify(error()) == code


def test_proc_gpus_are_read_in_bus_order(tmp_path: Path) -> None:
    gpus = read_proc_gpus(proc_tree(tmp_path))
    assert [g["bus"] for g in gpus] == ["0000:17:00.0", "0000:65:00.0"]
    assert read_proc_gpus(tmp_path / "missing") == []
