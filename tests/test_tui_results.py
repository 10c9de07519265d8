"""Results view and smoke test of the terminal app: memory bars, model table, and the smoke worker."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
from typing import Any

import pytest
from rich.console import Console
from textual.widgets import ProgressBar, Static

from advisor.hardware.profile import GIB
from advisor.questionnaire import answers_from_text
from advisor.tui import AdvisorApp, render
from advisor.tui import app as app_module
from advisor.tui.screens import ResultsScreen
from tests.test_tui import settle

HARDWARE = {"gpus": [{"name": "RTX 4090", "vram_gb": 24}], "ram_gb": 64}
SIZE = (100, 40)
RAG_ANSWERS = """\
task_type: document_qa
needs_language_understanding: high
knowledge_source: domain_documents
knowledge_change_frequency: monthly
languages: [fr, en]
"""


def plain(renderable: Any, width: int = 160) -> str:
    console = Console(width=width, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def text_of(widget: Static) -> str:
    content = widget.content
    return content.plain if hasattr(content, "plain") else str(content)


# --- memory bars and tables -------------------------------------------------------------------------


def test_bars_share_one_scale_and_say_the_margin() -> None:
    text = render.bars({"weights": 10 * GIB, "kv_cache": 2 * GIB}, 12 * GIB, 10 * GIB, "GPU", "en", width=24)
    lines = text.plain.splitlines()
    assert lines[0].startswith("weights") and lines[0].endswith("10.0 GiB")
    assert lines[0].count("█") == 20  # 10 of 12 GiB on 24 cells
    assert lines[1].count("█") == 4
    assert lines[2].startswith("total") and lines[2].count("█") == 24
    assert lines[3].startswith("usable GPU") and lines[3].count("█") == 20
    assert lines[4] == "over by 2.0 GiB"
    fits = render.bars({"weights": 4 * GIB}, 4 * GIB, 8 * GIB, "GPU", "fr", width=24)
    assert fits.plain.splitlines()[0].startswith("poids")
    assert fits.plain.splitlines()[-1] == "4,0 Gio de marge"


def test_a_small_component_still_gets_a_cell() -> None:
    text = render.bars({"weights": 20 * GIB, "overhead": 10 * 2**20}, 20 * GIB, 20 * GIB, "GPU", "en", width=20)
    assert text.plain.splitlines()[1].count("█") == 1


def test_memory_parts_accepts_objects_dicts_and_numbers() -> None:
    assert render.memory_parts(None) == ({}, None)
    assert render.memory_parts(5) == ({}, 5)
    assert render.memory_parts({"breakdown": {"weights": 3, "kv_cache": 0}, "total_bytes": 4}) == ({"weights": 3}, 4)
    assert render.memory_parts({"breakdown": {"weights": 3, "overhead": 1}}) == ({"weights": 3, "overhead": 1}, 4)


def test_model_table_and_bars_for_a_real_recommendation() -> None:
    from advisor.advice import recommend

    rec = recommend(answers_from_text(RAG_ANSWERS), hardware=HARDWARE)
    if rec.model is None:
        pytest.skip("the model selection is not available in this tree")
    table = plain(render.model_table(rec, "en"))
    assert rec.model.chosen.id in table
    assert "(chosen)" in table
    for option in rec.model.runner_ups:
        assert option.id[:20] in table
    text = plain(render.memory_bars(rec, "en"))
    assert "weights" in text and "usable GPU" in text
    assert ("left" in text) == (rec.memory.total_bytes <= rec.model.chosen.usable_bytes)


def test_hardware_summary_groups_identical_gpus() -> None:
    from advisor.hardware.profile import profile_from_override

    profile = profile_from_override({"gpus": [{"name": "A100", "vram_gb": 40}] * 2, "ram_gb": 128})
    summary = render.hardware_summary(profile, "en")
    assert summary.startswith("2 x A100 (")
    assert summary.endswith("RAM 128.0 GiB (given)")
    assert render.hardware_summary(profile_from_override({"gpus": []}), "fr").startswith("Aucun GPU utilisable")


# --- smoke test -------------------------------------------------------------------------------------


@pytest.fixture
def target(monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """A model to test whatever the catalog chose (the smoke test itself is faked)."""
    chosen = ("tiny/model", "bf16")
    monkeypatch.setattr(app_module, "smoke_target", lambda rec: chosen)
    return chosen


async def test_smoke_test_runs_in_a_worker_and_shows_its_result(
    monkeypatch: pytest.MonkeyPatch, target: tuple[str, str]
) -> None:
    from advisor.results import SmokeResult
    from advisor.smoke import runner as smoke

    calls: list[tuple[str, Any]] = []

    def fake_smoke_test(model: str, quantization: str | None = None, progress: Any = None, **kwargs: Any) -> Any:
        calls.append((model, quantization))
        for step in render.SMOKE_STEPS:
            progress(step, model)
        return SmokeResult(
            ok=True,
            verdict="fits",
            model=model,
            device="cuda:0",
            quantization=quantization,
            peak_memory_bytes=5 * GIB,
            tokens_per_second=42.0,
            measured_over_estimated=1.07,
        )

    monkeypatch.setattr(smoke, "smoke_test", fake_smoke_test)
    app = AdvisorApp(hardware=HARDWARE, lang="en")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ResultsScreen)
        await pilot.press("t")
        await settle(pilot)
        assert calls == [target]
        assert app.smoke.state == "done"
        body = text_of(screen.query_one("#body-smoke", Static))
        assert "peak memory 5.0 GiB" in body and "42.0 tokens/s" in body and "1.07" in body
        bar = screen.query_one("#smoke-progress", ProgressBar)
        assert bar.progress == bar.total


async def test_smoke_test_can_be_stopped(monkeypatch: pytest.MonkeyPatch, target: tuple[str, str]) -> None:
    from advisor.smoke import runner as smoke

    started = threading.Event()
    ended: list[str] = []

    def endless(model: str, quantization: str | None = None, progress: Any = None, **kwargs: Any) -> Any:
        started.set()
        try:
            while True:  # a real test reports steps from its child; stopping raises from progress
                progress("load", None)
                time.sleep(0.01)
        except BaseException as exc:
            ended.append(type(exc).__name__)
            raise

    monkeypatch.setattr(smoke, "smoke_test", endless)
    app = AdvisorApp(hardware=HARDWARE, lang="en")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f4", "t")
        assert await asyncio.to_thread(started.wait, 10)
        await pilot.pause()
        assert app.smoke.state == "running"
        footer = {b.binding.action: b.enabled for b in app.screen.active_bindings.values()}
        assert footer["app.cancel_smoke"] is True
        await pilot.press("c")
        await settle(pilot)
        assert app.smoke.state == "cancelled"
        assert ended == ["SmokeCancelled"]
        assert "Stopped" in text_of(app.screen.query_one("#body-smoke", Static))
        footer = {b.binding.action: b.enabled for b in app.screen.active_bindings.values()}
        assert "app.cancel_smoke" not in footer  # hidden again once nothing runs


async def test_no_model_no_smoke_test() -> None:
    app = AdvisorApp(hardware=HARDWARE, lang="en", answers={"needs_language_understanding": "none"})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f4", "t")
        await settle(pilot)
        assert app.smoke.state == "idle"
        assert "No model chosen" in text_of(app.screen.query_one("#body-smoke", Static))
        assert "no LLM" in text_of(app.screen.query_one("#body-model", Static))


@pytest.mark.skipif(sys.platform == "win32", reason="process groups are POSIX")
def test_stop_kills_the_smoke_child_process_group() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)", "advisor.smoke.child"], start_new_session=True
    )
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    try:
        assert app_module.stop_smoke_children() == 1
        assert child.wait(timeout=10) < 0
        assert bystander.poll() is None  # not a smoke child: left alone
    finally:
        for proc in (child, bystander):
            if proc.poll() is None:
                proc.kill()
                proc.wait()
