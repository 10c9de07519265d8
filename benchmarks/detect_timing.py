"""How long hardware detection makes a user wait, including when the NVIDIA driver is wedged.

Run: ``.venv/bin/python benchmarks/detect_timing.py [--runs N] [--write-readme]``. Prints a Markdown
table; with ``--write-readme`` it also rewrites the "Hardware detection" section of
benchmarks/README.md (between its markers, leaving the other sections alone).

Cold figures are whole processes (interpreter start included), as a user runs ``advisor detect``;
the in-process figures are ``advisor.detect_hardware()`` calls, the first one paying for the
pynvml and psutil imports. The wedged-driver row replaces ``pynvml.nvmlInit`` with a call that
never returns and shows that detection still comes back after the probe timeout.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import threading
import time

from bench_common import ROOT, replace_readme_section, wall

START, END = "<!-- detect:start -->", "<!-- detect:end -->"


def import_ms(runs: int) -> tuple[float, list[str]]:
    """Median cumulative import time of advisor.hardware.profile, and the heavy modules it pulled in."""
    values = []
    loaded: list[str] = []
    code = "import sys, advisor.hardware.profile; print(sorted({'pynvml', 'psutil'} & set(sys.modules)))"
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
        )
        for line in done.stderr.splitlines():
            match = re.match(r"import time:\s+\d+ \|\s+(\d+) \| advisor\.hardware$", line)
            if match:
                values.append(int(match.group(1)) / 1000)
        loaded = eval(done.stdout.strip())  # noqa: S307 - our own one-line print of a list of names
    return statistics.median(values), loaded


def in_process(runs: int) -> tuple[float, float]:
    """First call (imports included) and the median of the next ``runs`` calls, in ms."""
    import advisor

    start = time.perf_counter()
    advisor.detect_hardware()
    first = (time.perf_counter() - start) * 1000
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        advisor.detect_hardware()
        times.append((time.perf_counter() - start) * 1000)
    return first, statistics.median(times)


def wedged(timeout_s: float) -> tuple[float, str]:
    """Seconds detection takes when nvmlInit never returns, and the status it reports."""
    import pynvml

    from advisor.hardware import detect as hardware_detect
    from advisor.hardware import nvidia as hardware_nvidia
    from advisor.hardware import profile as hardware

    release = threading.Event()
    original = pynvml.nvmlInit, hardware_nvidia.nvml_library_loadable
    pynvml.nvmlInit = lambda: release.wait(3600)  # type: ignore[assignment]
    hardware_nvidia.nvml_library_loadable = lambda: True  # as on a machine with a driver
    try:
        start = time.perf_counter()
        profile = hardware_detect.detect_hardware(timeout_s=timeout_s)
        elapsed = time.perf_counter() - start
    finally:
        pynvml.nvmlInit, hardware_nvidia.nvml_library_loadable = original
        release.set()
        stuck = hardware._STUCK_PROBES.pop("nvml", None)
        if stuck is not None:
            stuck.join(5)
    return elapsed, str(profile.nvml_status)


def table(runs: int) -> str:
    python = sys.executable
    load = os.getloadavg()[0]
    imported, heavy = import_ms(runs)
    first, warm = in_process(runs)
    cold_table = wall([python, "-m", "advisor", "detect"], runs)
    cold_json = wall([python, "-m", "advisor", "detect", "--json"], runs)
    stuck_s, stuck_status = wedged(0.5)

    def cell(values: list[float]) -> str:
        return f"{statistics.median(values):.2f} s (max {max(values):.2f})"

    machine = (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, no GPU (NVML: library not found), load average "
        f"{load:.1f} at the start (the machine is shared)"
    )
    rows = [
        "| what | time |",
        "|---|---|",
        f"| `import advisor.hardware.profile` (cumulative, `-X importtime`) | {imported:.0f} ms; loads "
        f"{', '.join(heavy) or 'neither pynvml nor psutil'} |",
        "| `advisor.detect_hardware()` first call in a process "
        "(imports advisor.hardware.profile; psutil off Linux, pynvml where libnvidia-ml loads) "
        f"| {first:.0f} ms |",
        f"| `advisor.detect_hardware()` next calls (median of {runs}) | {warm:.1f} ms |",
        f"| `python -m advisor detect` (table), whole process, median of {runs} | {cell(cold_table)} |",
        f"| `python -m advisor detect --json`, whole process, median of {runs} | {cell(cold_json)} |",
        f"| wedged driver (`nvmlInit` never returns), probe timeout 0.5 s | {stuck_s:.2f} s, status `{stuck_status}` |",
    ]
    return f"Measured on: {machine}.\n\n" + "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--write-readme", action="store_true", help="Rewrite the section in benchmarks/README.md.")
    args = parser.parse_args()
    body = table(args.runs)
    print(body)
    if args.write_readme:
        replace_readme_section(START, END, body)


if __name__ == "__main__":
    main()
