"""``advisor detect``: what this machine has, what a model may use of it, and what could not be detected.

The table (or the JSON profile) goes to stdout; notes go to stderr. A machine without a GPU is a
normal answer, not an error: exit 0. Only a bad override (``--vram``, ``ADVISOR_HARDWARE``) fails,
with exit 3.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from advisor.commands import SHORT_HELP
from advisor.commands.hardware_options import hardware_options, override_from_options
from advisor.errors import ExitCode
from advisor.output import note, print_json
from advisor.units import format_bytes

if TYPE_CHECKING:
    from advisor.hardware.profile import GpuInfo, HardwareProfile


@click.command(short_help=SHORT_HELP["detect"])
@hardware_options
@click.option("--json", "as_json", is_flag=True, help="The hardware profile as JSON on stdout.")
@click.option(
    "--timeout",
    "timeout_s",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Seconds each driver probe may take before it is given up (default 10).",
)
def detect(as_json: bool, timeout_s: float | None, **hardware: Any) -> int:
    """Detect GPUs and RAM, and show the memory a model may use on each.

    --vram/--gpus/--ram and the ADVISOR_HARDWARE, ADVISOR_VRAM_GB, ADVISOR_GPUS and ADVISOR_RAM_GB
    variables show the hardware a plan would be sized for instead.
    """
    from advisor.hardware.detect import resolve_hardware
    from advisor.hardware.profile import PROBE_TIMEOUT_S

    profile = resolve_hardware(override_from_options(**hardware), timeout_s=timeout_s or PROBE_TIMEOUT_S)
    if as_json:
        print_json(profile)
    else:
        print_table(profile)
    for line in profile.notes:
        note(line)
    return int(ExitCode.OK)


def print_table(profile: HardwareProfile) -> None:
    """One row per device and one for RAM: total, free, usable, and why a device is not used."""
    from rich.table import Table

    from advisor.output import stdout_console

    table = Table(title=_title(profile), title_justify="left")
    for header, justify in (
        ("device", "left"),
        ("total", "right"),
        ("free", "right"),
        ("usable", "right"),
        ("details", "left"),
    ):
        table.add_column(header, justify=justify)  # type: ignore[arg-type]
    # Identical devices in a row share one line ("GPU 0-7: 8 x ..."): a planned 1000-GPU cluster is
    # one row, not a thousand.
    rows: list[tuple[list[int], tuple[str, ...]]] = []
    for gpu in profile.gpus:
        cells = (
            gpu.name,
            _size(gpu.total_bytes),
            _size(gpu.free_bytes),
            _size(gpu.usable_bytes) if gpu.status == "ok" else "-",
            _details(gpu),
        )
        if rows and rows[-1][1] == cells and rows[-1][0][-1] == gpu.index - 1:
            rows[-1][0].append(gpu.index)
        else:
            rows.append(([gpu.index], cells))
    for indexes, (name, *columns) in rows:
        label = (
            f"GPU {indexes[0]}: {name}"
            if len(indexes) == 1
            else (f"GPU {indexes[0]}-{indexes[-1]}: {len(indexes)} × {name}")
        )
        table.add_row(label, *columns)
    ram_details = "not detected" if not profile.ram_bytes else ("given" if profile.available_ram_bytes is None else "")
    table.add_row(
        "RAM",
        _size(profile.ram_bytes or None),
        _size(profile.available_ram_bytes),
        _size(profile.usable_ram_bytes) if profile.ram_bytes else "-",
        ram_details,
    )
    console = stdout_console()
    console.print(table)
    if not profile.gpus:
        console.print("no GPU: plans use the CPU and RAM")
    elif not profile.usable_gpus:
        console.print("no usable GPU: plans use the CPU and RAM")


def _title(profile: HardwareProfile) -> str:
    parts = {
        "detected": "Detected hardware",
        "override": "Planned hardware (given)",
        "mixed": "Planned hardware (given + detected)",
    }[profile.source]
    if profile.driver_version:
        parts += f" - NVIDIA driver {profile.driver_version}"
        if profile.cuda_version:
            parts += f", CUDA {profile.cuda_version}"
    return parts


def _size(value: int | None) -> str:
    return "?" if value is None else format_bytes(value, "en")


def _details(gpu: GpuInfo) -> str:
    bits = []
    if gpu.status != "ok":
        bits.append(f"{gpu.status.upper()}: {gpu.problem or ''}".rstrip(": "))
    if gpu.compute_capability:
        bits.append(f"cc {gpu.compute_capability}")
    if gpu.reserved_bytes:
        bits.append(f"reserved {_size(gpu.reserved_bytes)}")
    if gpu.mig:
        bits.append("MIG instance")
    if gpu.unified_memory:
        bits.append("unified memory (shared with RAM)")
    if gpu.memory_bandwidth_gbps:
        bits.append(f"{gpu.memory_bandwidth_gbps:.0f} GB/s")
    if gpu.note and gpu.status == "ok" and not gpu.unified_memory:
        bits.append(gpu.note)
    return ", ".join(bits)
