"""Where the CLI writes: data to stdout, everything else to stderr.

rich is imported only when a table or a coloured message is printed, so ``--json`` runs skip it.
"""

from __future__ import annotations

import json
import sys
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import BaseModel
    from rich.console import Console


def print_json(data: BaseModel | dict[str, Any] | list[Any]) -> None:
    """Write one JSON document to stdout (pydantic models in their JSON form)."""
    if hasattr(data, "model_dump_json"):
        # pydantic-core writes the JSON itself: a recommendation with its trace is ~8,000 values,
        # which the standard library's indenting encoder (pure Python) takes about 10 ms to write.
        sys.stdout.write(data.model_dump_json(indent=2) + "\n")
        return
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


@lru_cache(maxsize=1)
def stdout_console() -> Console:
    """rich console for data (tables, summaries) on stdout."""
    from rich.console import Console

    class _DataConsole(Console):
        def on_broken_pipe(self) -> None:
            # rich's default exits with status 1; the CLI treats a closed stdout as a reader that
            # has what it wanted (advisor.cli.main), so let the error reach it.
            raise BrokenPipeError

    return _DataConsole(soft_wrap=False)


@lru_cache(maxsize=1)
def stderr_console() -> Console:
    """rich console for notes and progress on stderr."""
    from rich.console import Console

    return Console(stderr=True)


def note(message: str) -> None:
    """A message for the person, never mixed with data."""
    sys.stderr.write(message + "\n")
