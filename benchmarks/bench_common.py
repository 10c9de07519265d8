"""What the benchmark scripts share: timing a command as a user runs it, and rewriting their own
section of benchmarks/README.md (between its markers) while leaving the other sections alone.

Imported by name: a script run as ``python benchmarks/<name>.py`` has this folder on its path.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "benchmarks" / "README.md"


def timed_run(command: list[str]) -> float:
    """Wall seconds of one run; a command that fails stops the benchmark rather than being timed."""
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, check=False, cwd=ROOT)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {done.returncode}: {done.stderr.decode()[-500:]}")
    return elapsed


def wall(command: list[str], runs: int) -> list[float]:
    """Wall seconds of ``runs`` runs, after one unmeasured run that warms the disk and bytecode caches."""
    timed_run(command)
    return [timed_run(command) for _ in range(runs)]


def replace_readme_section(start: str, end: str, body: str, *, heading: str | None = None) -> None:
    """Put ``body`` between the ``start`` and ``end`` markers; a README without them gets the
    section appended, under ``## heading`` when one is given."""
    text = README.read_text(encoding="utf-8") if README.exists() else "# Benchmarks\n"
    section = f"{start}\n{body}\n{end}"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        text = before + section + rest.split(end, 1)[1]
    else:
        title = f"## {heading}\n\n" if heading else ""
        text = text.rstrip() + "\n\n" + title + section + "\n"
    README.write_text(text, encoding="utf-8")
