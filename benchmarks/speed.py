"""Speed benchmark: what a user waits for, measured side by side with llmfit when it is installed.

Run: ``.venv/bin/python benchmarks/speed.py [--runs N] [--llmfit PATH]``. Prints a Markdown table and
rewrites the "Speed" section of benchmarks/README.md. Cold figures are whole processes (python start
included), the way a user runs the CLI; warm figures are in-process calls after a first one.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench_common import ROOT, replace_readme_section, timed_run, wall

START, END = "<!-- speed:start -->", "<!-- speed:end -->"
EXAMPLE = ROOT / "examples" / "03_assistant_rh_fr.yaml"
HEAVY = ("torch", "transformers", "accelerate", "textual")
BIN = Path(sys.executable).parent


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def wall_side_by_side(ours: list[str], theirs: list[str], runs: int) -> tuple[list[float], list[float]]:
    """Wall seconds of two commands run alternately, so both meet the same machine load.

    On a shared machine the speed drifts by 10 % over a minute; timing one command after the
    other would put that drift into the ratio.
    """
    timed_run(ours)
    timed_run(theirs)
    first, second = [], []
    for _ in range(runs):
        first.append(timed_run(ours))
        second.append(timed_run(theirs))
    return first, second


def spread(values: list[float]) -> str:
    """Quartiles, for a figure measured on a noisy machine."""
    return f"{percentile(values, 0.25) * 1000:.0f}-{percentile(values, 0.75) * 1000:.0f} ms"


def in_process(function: Callable[[], object], runs: int) -> list[float]:
    function()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def import_cost() -> tuple[float, list[str]]:
    code = (
        "import time, sys, json; t = time.perf_counter(); import advisor; "
        "print(json.dumps([time.perf_counter() - t, sorted(sys.modules)]))"
    )
    runs = []
    heavy: list[str] = []
    for _ in range(7):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        seconds, modules = json.loads(out)
        runs.append(seconds)
        heavy = sorted({m.split(".")[0] for m in modules if m.split(".")[0] in HEAVY})
    return statistics.median(runs), heavy


def selection_rows(runs: int) -> list[tuple[str, str, str, str]]:
    """Selection over the whole catalog (every generative model, its quantization ladder, the fit)."""
    from advisor.catalog import load_catalog
    from advisor.hardware.profile import profile_from_override
    from advisor.questionnaire import load_answers
    from advisor.selection import models as selection

    entries = load_catalog().entries
    answers = load_answers(EXAMPLE)
    rows = []
    for label, hardware in (
        ("24 GiB GPU", {"gpus": [{"name": "RTX 4090", "vram_gb": 24}]}),
        ("CPU, 32 GiB", {"gpus": [], "ram_gb": 32}),
    ):
        profile = profile_from_override(hardware)
        warm = in_process(lambda p=profile: selection.select_models(answers, p, "rag", entries), runs * 3)

        def sweep_from_scratch(p=profile) -> None:
            selection._FIT_CACHE.clear()  # every model's ladder walked again
            selection.select_models(answers, p, "rag", entries)

        cold = in_process(sweep_from_scratch, runs * 3)
        rows.append(
            (
                f"selection over the whole catalog ({len(entries)} models), {label}: warm / fit cache cleared (median)",
                f"{statistics.median(warm) * 1000:.2f} / {statistics.median(cold) * 1000:.2f} ms",
                "< 5 ms",
                "ok" if statistics.median(cold) < 0.005 else "FAIL",
            )
        )
    return rows


# What any Python CLI built like this one pays before it does anything: the interpreter, then the
# libraries `advisor recommend` cannot do without (click, PyYAML for the answers file, the
# standard modules it needs), then pydantic with one model defined (its import, the schema
# machinery, and importlib.metadata which its plugin loader imports).
FLOORS = (
    ("Python start (`python -c pass`)", "pass"),
    ("+ click, PyYAML, json, ctypes, platformdirs", "import click, yaml, json, ctypes, platformdirs"),
    (
        "+ pydantic and one model",
        "import click, yaml, json, ctypes, platformdirs, pydantic\nclass M(pydantic.BaseModel):\n    a: int",
    ),
)


def floor_rows(runs: int) -> list[tuple[str, str, str, str]]:
    """Cold wall of the floors above: how much of the CLI's time is the project's own."""
    rows = []
    for label, code in FLOORS:
        times = wall([sys.executable, "-c", code], runs)
        rows.append((f"floor: {label}, cold wall (median)", f"{statistics.median(times) * 1000:.0f} ms", "-", "-"))
    return rows


def measure(runs: int, llmfit: str | None) -> list[tuple[str, str, str, str]]:
    """Rows: (what, figure, goal, status)."""
    import advisor

    rows: list[tuple[str, str, str, str]] = []
    seconds, heavy = import_cost()
    rows.append(("`import advisor` (median, in a fresh process)", f"{seconds * 1000:.1f} ms", "-", "-"))
    rows.append(
        ("heavy modules loaded by `import advisor`", ", ".join(heavy) or "none", "none", "ok" if not heavy else "FAIL")
    )

    hardware = {"gpus": [{"name": "RTX 4090", "vram_gb": 24}], "ram_gb": 64}
    examples = sorted((ROOT / "examples").glob("*.yaml"))
    warm = []
    for path in examples:
        warm += in_process(lambda path=path: advisor.recommend(path, hardware=hardware), max(5, runs // 2))
    median, p95 = statistics.median(warm), percentile(warm, 0.95)
    rows.append(
        (
            f"`recommend()` warm, {len(examples)} examples (median / p95)",
            f"{median * 1000:.2f} / {p95 * 1000:.2f} ms",
            "< 5 ms",
            "ok" if p95 < 0.005 else "FAIL",
        )
    )

    rows += selection_rows(runs)

    advisor_bin = str(BIN / "advisor")
    ours = [advisor_bin, "recommend", str(EXAMPLE), "--vram", "24", "--json"]
    llmfit_command = [llmfit, "--memory", "24G", "recommend", "-n", "5"] if llmfit else None
    if llmfit_command:
        cli, theirs = wall_side_by_side(ours, llmfit_command, runs)
    else:
        cli, theirs = wall(ours, runs), []
    cli_median = statistics.median(cli)
    rows.append(
        (
            "`advisor recommend FILE --vram 24 --json`, cold wall (median; quartiles)",
            f"{cli_median * 1000:.0f} ms ({spread(cli)})",
            "< 400 ms",
            "ok" if cli_median < 0.4 else "FAIL",
        )
    )
    rows += floor_rows(runs)
    estimate = wall(
        [advisor_bin, "estimate", "Qwen/Qwen2.5-7B-Instruct", "--quant", "nf4", "--context", "8192", "--json"], runs
    )
    rows.append(
        (
            "`advisor estimate <catalog id> --json`, cold wall (median)",
            f"{statistics.median(estimate) * 1000:.0f} ms",
            "-",
            "-",
        )
    )
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from tui_first_paint import run_once

    run_once(False, 120.0)  # warm the bytecode cache
    paints = [run_once(False, 120.0) for _ in range(runs)]
    painted = statistics.median(p["painted_s"] for p in paints if "painted_s" in p)
    rows.append(
        (
            "`advisor` (terminal app) first screen painted, 80x24 headless, hardware detected (median)",
            f"{painted * 1000:.0f} ms",
            "< 1 s",
            "ok" if painted < 1.0 else "FAIL",
        )
    )
    if theirs:
        their_median = statistics.median(theirs)
        ratio = cli_median / their_median
        pairs = sorted(a / b for a, b in zip(cli, theirs, strict=True))
        rows.append(
            (
                "llmfit `--memory 24G recommend -n 5`, cold wall, run alternately with ours (median; quartiles)",
                f"{their_median * 1000:.0f} ms ({spread(theirs)})",
                "-",
                "-",
            )
        )
        rows.append(
            (
                "ratio ours / llmfit (CLI cold wall medians; quartiles of the run-by-run ratios)",
                f"{ratio:.2f} ({percentile(pairs, 0.25):.2f}-{percentile(pairs, 0.75):.2f})",
                "<= 0.5",
                "ok" if ratio <= 0.5 else "FAIL",
            )
        )
    else:
        rows.append(("llmfit", "not installed (pip install llmfit)", "-", "-"))
    return rows


def render(rows: list[tuple[str, str, str, str]], runs: int) -> str:
    lines = [
        f"Measured on this machine ({os.cpu_count()} cores), {runs} runs per cold figure, "
        f"`{Path(sys.executable).name} benchmarks/speed.py --runs {runs}`.",
        "",
        "| what | figure | goal | status |",
        "|---|---|---|---|",
    ]
    lines += [f"| {what} | {figure} | {goal} | {status} |" for what, figure, goal, status in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--llmfit", default=shutil.which("llmfit"), help="Path of the llmfit binary, if installed.")
    parser.add_argument("--no-write", action="store_true", help="Print only; do not touch benchmarks/README.md.")
    args = parser.parse_args()
    # A user's shell does not set PYTHONDONTWRITEBYTECODE; this workplace does, which would make
    # every cold run recompile every module (+80 ms). Measure what users get.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    table = render(measure(args.runs, args.llmfit), args.runs)
    print(table)
    if not args.no_write:
        replace_readme_section(START, END, table, heading="Speed")


if __name__ == "__main__":
    main()
