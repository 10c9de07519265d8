"""How long ``advisor`` (the terminal questionnaire) takes to show its first screen, and its first answer.

Each run starts a fresh interpreter, as a user typing ``advisor`` does, and times from just before
the process is spawned to the moment the app reports that its first screen was painted (Textual's
``call_after_refresh`` from ``on_mount``: the first frame has been composed and rendered), then to
the moment the live panel shows its first recommendation (computed in a worker thread, so it never
holds up the first paint). Headless at 80x24; the median of the runs is reported.

    .venv/bin/python benchmarks/tui_first_paint.py            # 7 runs, hardware detected
    .venv/bin/python benchmarks/tui_first_paint.py --runs 11 --given-hardware
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def child(given_hardware: bool) -> None:
    """Run the app headless; print one JSON line per milestone, then exit."""
    started = time.perf_counter()
    from advisor.tui.app import AdvisorApp

    imported = time.perf_counter()

    def say(event: str) -> None:
        print(json.dumps({"event": event, "in_process_s": time.perf_counter() - started}), flush=True)

    class TimedApp(AdvisorApp):
        def on_mount(self) -> None:
            self.call_after_refresh(say, "painted")

        def watch_recommendation(self, rec: object) -> None:
            if rec is not None:
                say("recommended")
                self.exit()

    hardware = {"gpus": [{"name": "RTX 4090", "vram_gb": 24}], "ram_gb": 64} if given_hardware else None
    say("start")
    print(json.dumps({"event": "import_s", "value": imported - started}), flush=True)
    TimedApp(lang="en", hardware=hardware).run(headless=True, size=(80, 24))


def run_once(given_hardware: bool, timeout_s: float) -> dict[str, float]:
    """One fresh process: seconds from spawn to first paint and to first recommendation."""
    argv = [sys.executable, __file__, "--child"] + (["--given-hardware"] if given_hardware else [])
    spawned = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    times: dict[str, float] = {}
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            event = json.loads(line)
            if event["event"] == "import_s":
                times["import_tui_s"] = event["value"]
            elif event["event"] in ("painted", "recommended"):
                times[f"{event['event']}_s"] = time.perf_counter() - spawned
            if "recommended_s" in times or time.perf_counter() - spawned > timeout_s:
                break
    finally:
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--given-hardware", action="store_true", help="pass a hardware override (no detection)")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.given_hardware)
        return
    runs = [run_once(args.given_hardware, args.timeout) for _ in range(args.runs)]
    summary = {
        key: statistics.median(run[key] for run in runs if key in run)
        for key in ("import_tui_s", "painted_s", "recommended_s")
        if any(key in run for run in runs)
    }
    summary["runs"] = args.runs
    summary["python"] = platform.python_version()
    print(json.dumps({"median": summary, "runs": runs}, indent=2))


if __name__ == "__main__":
    main()
