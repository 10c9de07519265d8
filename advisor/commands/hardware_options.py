"""``--gpu``, ``--vram``, ``--gpus``, ``--nodes`` and ``--ram``: plan for hardware the team does not have (yet).

Shared by every verb that sizes something (recommend, rules explain, detect), so the options mean
the same thing everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from advisor.hardware.profile import MAX_GPUS, MAX_RAM_GB, MAX_VRAM_GB

F = TypeVar("F", bound=Callable[..., Any])


def hardware_options(function: F) -> F:
    """Add the hardware override options to a click command."""
    function = click.option(
        "--nodes",
        "nodes",
        type=click.IntRange(min=1),
        default=None,
        help="Spread the GPUs over this many machines (--gpus counts them all); plans use pipeline parallelism.",
    )(function)
    function = click.option(
        "--ram",
        "ram_gb",
        type=click.FloatRange(min=0, min_open=True, max=MAX_RAM_GB),
        default=None,
        help="Plan for this much RAM, in GiB.",
    )(function)
    function = click.option(
        "--gpus",
        "gpu_count",
        type=click.IntRange(min=0, max=MAX_GPUS),
        default=None,
        help="Plan for this many GPUs (0 = CPU only).",
    )(function)
    function = click.option(
        "--vram",
        "vram_gb",
        type=click.FloatRange(min=0, max=MAX_VRAM_GB),
        default=None,
        help="Plan for GPUs with this much memory each, in GiB (24 for an RTX 4090).",
    )(function)
    function = click.option(
        "--gpu",
        "gpu_name",
        default=None,
        help='Plan for this GPU model, e.g. "RTX 4090", "A100 80GB", "H100" (memory and speed from its specs).',
    )(function)
    return function


def override_from_options(
    vram_gb: float | None = None,
    gpu_count: int | None = None,
    ram_gb: float | None = None,
    gpu_name: str | None = None,
    nodes: int | None = None,
) -> dict[str, Any] | None:
    """The ``hardware=`` override dict for these option values, or None to detect."""
    from advisor.hardware.profile import override_contradiction

    problem = override_contradiction(vram_gb, gpu_count)
    if problem:
        raise click.UsageError(problem.replace("vram_gb", "--vram").replace("gpu_count", "--gpus"))
    values = {"gpu_name": gpu_name, "vram_gb": vram_gb, "gpu_count": gpu_count, "ram_gb": ram_gb, "nodes": nodes}
    override = {k: v for k, v in values.items() if v is not None}
    return override or None
