"""The ``hardware:`` block the app saves next to the answers, so a plan for other hardware reloads.

The block is a ``hardware=`` override as ``recommend()`` takes it (``gpus`` with name, memory and
bandwidth, ``ram_gb``), checked by the same model. The answers loader leaves the block out, so the
CLI reads a file the app saved; the app reads it back into its hardware boxes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from advisor.datafiles import read_yaml
from advisor.errors import InputError, InputErrors

HARDWARE_KEY = "hardware"


def read_hardware(path: Path) -> dict[str, Any] | None:
    """The ``hardware:`` block of the answers file at ``path`` (None when absent).

    The answers themselves are read by ``load_answers``, which leaves the block out. Errors name the
    file; a bad block is refused as a whole rather than half applied.
    """
    from pydantic import ValidationError

    from advisor.datafiles import errors_from_validation
    from advisor.hardware.profile import HardwareOverride

    data = read_yaml(path)
    hardware = data.get(HARDWARE_KEY) if isinstance(data, dict) else None
    if hardware is None:
        return None
    if not isinstance(hardware, dict):
        raise InputError("expected a mapping (gpus, ram_gb)", file=str(path), entry=HARDWARE_KEY)
    try:
        HardwareOverride.model_validate(hardware)
    except ValidationError as exc:
        raise InputErrors(errors_from_validation(exc, HardwareOverride, file=str(path), entry=HARDWARE_KEY)) from None
    return hardware


def with_hardware(answers_yaml: str, override: dict[str, Any] | None) -> str:
    """The answers' YAML with the ``hardware:`` block after them (unchanged when there is none)."""
    if not override:
        return answers_yaml
    block = yaml.safe_dump({HARDWARE_KEY: override}, sort_keys=False, allow_unicode=True)
    comment = "# Hardware planned for in the terminal app (advisor recommend ignores this block).\n"
    if not yaml.safe_load(answers_yaml):  # nothing answered: keep its comments, drop the bare "{}"
        kept = [line for line in answers_yaml.splitlines(keepends=True) if line.strip() != "{}"]
        return "".join(kept) + comment + block
    return answers_yaml + comment + block
