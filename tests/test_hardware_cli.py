"""``advisor detect``: the table or JSON on stdout, notes on stderr, exit 0 on a machine without a GPU."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import psutil
import pynvml
import pytest

from advisor.cli import main
from advisor.errors import ExitCode
from advisor.hardware import profile as hardware
from advisor.hardware.profile import GIB
from tests.test_hardware_nvidia import UUID_A, UUID_B, FakeNvml, a100, rtx4090


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["detect", *args])
    out, err = capsys.readouterr()
    return code, out, err


def expected_ram() -> int:
    """psutil's total, clamped by a container limit read here independently of the code under test."""
    total = psutil.virtual_memory().total
    for path in (Path("/sys/fs/cgroup/memory.max"), Path("/sys/fs/cgroup/memory/memory.limit_in_bytes")):
        try:
            text = path.read_text().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < total:
            total = int(text)
    return total


@pytest.fixture(autouse=True)
def _no_stuck_probe() -> None:
    hardware._STUCK_PROBES.clear()


def test_detect_on_this_gpu_less_machine_says_no_gpu(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys)
    assert code == ExitCode.OK
    assert "no GPU" in out and "RAM" in out
    assert f"{expected_ram() / GIB:.1f} GiB" in out
    assert "NVIDIA" in err and "NVIDIA" not in out  # notes on stderr only


def test_detect_json_is_the_profile(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--json")
    assert code == ExitCode.OK
    data = json.loads(out)
    assert data["gpus"] == []
    assert data["ram_bytes"] == expected_ram()
    assert data["nvml_status"] in {"no_driver", "driver_not_loaded"}
    assert hardware.HardwareProfile.model_validate(data).ram_bytes == data["ram_bytes"]


def test_detect_as_a_process_exits_0(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "advisor", "detect", "--json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["gpus"] == [] and data["ram_bytes"] == expected_ram()
    assert "no NVIDIA driver" in done.stderr


def test_detect_with_overrides_shows_the_planned_hardware(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--vram", "24", "--gpus", "2", "--ram", "64", "--json")
    assert code == ExitCode.OK
    data = json.loads(out)
    assert [g["total_bytes"] for g in data["gpus"]] == [24 * GIB, 24 * GIB]
    assert (data["ram_bytes"], data["source"]) == (64 * GIB, "override")


def test_detect_reads_the_environment_override(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADVISOR_HARDWARE", '{"gpus": [{"name": "H100", "vram_gb": 80}]}')
    code, out, _ = run(capsys)
    assert code == ExitCode.OK
    assert "H100" in out and "80.0 GiB" in out and "Planned hardware" in out


def test_a_bad_override_exits_3(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADVISOR_VRAM_GB", "a lot")
    code, _, err = run(capsys)
    assert code == ExitCode.INPUT and "$ADVISOR_VRAM_GB" in err


def test_detect_table_with_a_fake_driver_marks_the_lost_gpu(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    FakeNvml(
        [a100(UUID_A), rtx4090(UUID_B, errors={"nvmlDeviceGetMemoryInfo_v2": pynvml.NVMLError_GpuIsLost})]
    ).install(monkeypatch)
    code, out, err = run(capsys)
    assert code == ExitCode.OK
    assert "NVIDIA driver 550.54.15, CUDA 12.4" in out
    assert "A100" in out and "LOST" in out and "no GPU" not in out
    assert "other GPUs are kept" in err
