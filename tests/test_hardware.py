"""The hardware profile: overrides from recommend(), the CLI and the environment, on top of detection."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from advisor.errors import InputError
from advisor.hardware import detect as hardware_detect
from advisor.hardware import profile as hardware
from advisor.hardware.detect import resolve_hardware
from advisor.hardware.profile import (
    GIB,
    GpuInfo,
    HardwareProfile,
    ProbeTimeout,
    call_with_timeout,
    profile_from_override,
    usable_gpu_bytes,
    usable_ram_bytes,
)


def detected(**extra: Any) -> HardwareProfile:
    """What detection returns on a machine with one RTX 3090 and 64 GiB of RAM."""
    gpu = GpuInfo(
        name="NVIDIA GeForce RTX 3090",
        total_bytes=24 * GIB,
        free_bytes=23 * GIB,
        usable_bytes=usable_gpu_bytes(23 * GIB),
        compute_capability="8.6",
    )
    return HardwareProfile(
        gpus=[gpu],
        ram_bytes=64 * GIB,
        available_ram_bytes=60 * GIB,
        usable_ram_bytes=usable_ram_bytes(64 * GIB),
        driver_version="550.54.15",
        nvml_status="ok",
        notes=["RAM: container memory limit ...", "NVIDIA: something"],
        **extra,
    )


@pytest.fixture
def fake_detect(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Replace detection; records whether GPUs were probed on each call."""
    calls: list[bool] = []

    def _detect(*, gpus: bool, timeout_s: float = 10.0) -> HardwareProfile:
        calls.append(gpus)
        profile = detected()
        if not gpus:
            profile.gpus, profile.driver_version, profile.nvml_status = [], None, None
            profile.notes = profile.notes[:1]
        return profile

    monkeypatch.setattr(hardware_detect, "_detect", _detect)
    return calls


def test_usable_memory_keeps_the_reserve_and_the_headroom() -> None:
    assert usable_gpu_bytes(24 * GIB) == int(23 * GIB * 0.9)
    assert usable_gpu_bytes(GIB // 2) == 0
    assert usable_ram_bytes(100 * GIB) == 80 * GIB


def test_none_detects(fake_detect: list[bool]) -> None:
    profile = resolve_hardware(None, env={})
    assert fake_detect == [True] and profile.source == "detected" and profile.gpus[0].name.endswith("3090")


def test_a_profile_is_used_as_given(fake_detect: list[bool]) -> None:
    given = detected()
    assert resolve_hardware(given, env={"ADVISOR_VRAM_GB": "80"}) is given
    assert fake_detect == []


def test_a_complete_dict_detects_nothing(fake_detect: list[bool]) -> None:
    profile = resolve_hardware({"gpus": [{"name": "RTX 4090", "vram_gb": 24}], "ram_gb": 64}, env={})
    assert fake_detect == []
    assert profile.source == "override"
    assert [(g.name, g.total_bytes) for g in profile.gpus] == [("RTX 4090", 24 * GIB)]
    assert profile.ram_bytes == 64 * GIB and profile.usable_ram_bytes == int(64 * GIB * 0.8)


def test_given_gpus_detect_only_ram(fake_detect: list[bool]) -> None:
    profile = resolve_hardware({"vram_gb": 24, "gpu_count": 2}, env={})
    assert fake_detect == [False]  # a wedged driver cannot delay a plan whose GPUs are given
    assert profile.source == "mixed" and len(profile.gpus) == 2 and profile.ram_bytes == 64 * GIB
    assert profile.notes[0].startswith("RAM: detected on this machine")


def test_cpu_only_plan_needs_no_gpu_probe(fake_detect: list[bool]) -> None:
    assert resolve_hardware({"gpus": []}, env={}).gpus == []
    assert resolve_hardware({"gpu_count": 0}, env={}).gpus == []
    assert fake_detect == [False, False]


def test_vram_alone_keeps_the_detected_count_and_drops_the_driver_facts(fake_detect: list[bool]) -> None:
    profile = resolve_hardware({"vram_gb": 48}, env={})
    assert fake_detect == [True]
    assert [(g.total_bytes, g.note) for g in profile.gpus] == [(48 * GIB, "given, not detected")]
    assert profile.driver_version is None and profile.nvml_status is None
    assert not any(note.startswith("NVIDIA") for note in profile.notes)
    assert any(note.startswith("RAM: container") for note in profile.notes)


def test_a_count_alone_copies_the_detected_gpu(fake_detect: list[bool]) -> None:
    profile = resolve_hardware({"gpu_count": 4}, env={})
    assert [(g.name, g.total_bytes) for g in profile.gpus] == [("NVIDIA GeForce RTX 3090", 24 * GIB)] * 4


def test_a_count_without_any_gpu_to_copy_is_an_input_error() -> None:
    with pytest.raises(InputError, match="needs a GPU size"):
        profile_from_override({"gpu_count": 2}, base=HardwareProfile())


def test_given_ram_replaces_the_detected_ram_and_its_notes() -> None:
    profile = profile_from_override({"ram_gb": 128}, base=detected())
    assert profile.ram_bytes == 128 * GIB and profile.available_ram_bytes is None
    assert not any(note.startswith("RAM") for note in profile.notes)
    assert profile.gpus == detected().gpus and profile.source == "mixed"


def test_environment_variables_plan_for_other_hardware(fake_detect: list[bool]) -> None:
    env = {"ADVISOR_VRAM_GB": "80", "ADVISOR_GPUS": "2", "ADVISOR_RAM_GB": "512"}
    profile = resolve_hardware(None, env=env)
    assert fake_detect == [] and profile.source == "override"
    assert [g.total_bytes for g in profile.gpus] == [80 * GIB, 80 * GIB] and profile.ram_bytes == 512 * GIB


def test_advisor_hardware_json_and_yaml_file(fake_detect: list[bool], tmp_path: Path) -> None:
    text = '{"gpus": [{"name": "A100", "vram_gb": 80}], "ram_gb": 256}'
    assert resolve_hardware(None, env={"ADVISOR_HARDWARE": text}).gpus[0].name == "A100"
    path = tmp_path / "server.yaml"
    path.write_text("gpus:\n  - {name: L40S, vram_gb: 48}\nram_gb: 128\n")
    profile = resolve_hardware(None, env={"ADVISOR_HARDWARE": str(path)})
    assert (profile.gpus[0].name, profile.ram_bytes) == ("L40S", 128 * GIB)
    assert fake_detect == []


def test_explicit_overrides_win_over_the_environment(fake_detect: list[bool]) -> None:
    env = {
        "ADVISOR_HARDWARE": '{"gpus": [{"name": "A100", "vram_gb": 80}], "ram_gb": 256}',
        "ADVISOR_RAM_GB": "300",
    }
    profile = resolve_hardware({"vram_gb": 24}, env=env)
    assert [(g.name, g.total_bytes) for g in profile.gpus] == [("GPU", 24 * GIB)]
    assert profile.ram_bytes == 300 * GIB  # the specific variable wins over ADVISOR_HARDWARE
    profile = resolve_hardware({"gpu_count": 3}, env=env)
    assert [(g.name, g.total_bytes) for g in profile.gpus] == [("A100", 80 * GIB)] * 3
    profile = resolve_hardware(None, env={**env, "ADVISOR_GPUS": "4"})
    assert [(g.name, g.total_bytes) for g in profile.gpus] == [("A100", 80 * GIB)] * 4
    assert fake_detect == []


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"ADVISOR_VRAM_GB": "lots"}, "$ADVISOR_VRAM_GB"),
        ({"ADVISOR_GPUS": "1.5"}, "$ADVISOR_GPUS"),
        ({"ADVISOR_HARDWARE": "[1, 2]"}, "expected a mapping"),
        ({"ADVISOR_HARDWARE": '{"vram": 24}'}, "unknown key 'vram'"),
        ({"ADVISOR_HARDWARE": '{"gpus": [{"vram_gb": -1}]}'}, "$ADVISOR_HARDWARE"),
        ({"ADVISOR_GPUS": "-2", "ADVISOR_RAM_GB": "8"}, "$ADVISOR_GPUS, $ADVISOR_RAM_GB"),
    ],
)
def test_bad_environment_values_are_input_errors_that_name_the_variable(
    fake_detect: list[bool], env: dict[str, str], words: str
) -> None:
    with pytest.raises(InputError) as caught:
        resolve_hardware(None, env=env)
    assert words in str(caught.value)


def test_the_real_environment_is_read_when_no_env_is_given(
    fake_detect: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADVISOR_VRAM_GB", "12")
    monkeypatch.setenv("ADVISOR_GPUS", "1")
    assert [g.total_bytes for g in resolve_hardware().gpus] == [12 * GIB]


def test_call_with_timeout_passes_results_and_errors_through() -> None:
    assert call_with_timeout(lambda: 42, 5, "test-ok") == 42
    with pytest.raises(KeyError):
        call_with_timeout(lambda: {}["missing"], 5, "test-error")


def test_call_with_timeout_gives_up_and_refuses_to_pile_up() -> None:
    release = threading.Event()
    try:
        with pytest.raises(ProbeTimeout) as first:
            call_with_timeout(lambda: release.wait(10), 0.2, "test-hang")
        assert not first.value.still_running and not release.is_set()
        with pytest.raises(ProbeTimeout) as second:
            call_with_timeout(lambda: "never called", 5, "test-hang")
        assert second.value.still_running
    finally:
        release.set()
        hardware._STUCK_PROBES.pop("test-hang").join(5)
    assert call_with_timeout(lambda: "again", 5, "test-hang") == "again"


def test_importing_the_module_loads_neither_pynvml_nor_psutil() -> None:
    code = "import sys, advisor.hardware.profile; print(sorted({'pynvml', 'psutil'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "[]"


def test_the_public_api_exports_detect_hardware() -> None:
    import advisor

    assert advisor.detect_hardware is hardware_detect.detect_hardware
