"""The terminal app keeps the user's files and processes safe and never shows a plan that does not fit.

Quitting during a smoke test ends the test's process; quitting with unsaved answers asks first;
saving over a file asks first; the live panel says "nothing fits" where the results do. The smoke
test's child here is a real process (a sleeping Python started in its own session, named like the
real child) so killing it is checked for real, without loading a model.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from rich.text import Text
from textual.widgets import Input, Static

from advisor.questionnaire import load_answers
from advisor.tui import AdvisorApp, render
from advisor.tui.dialogs import ConfirmDialog
from advisor.tui.screens import PathDialog, QuestionnaireScreen
from tests.test_tui import field, settle
from tests.test_tui_features import HARDWARE, RAG, SIZE


def live_text(app: AdvisorApp) -> Text:
    content = app.questionnaire.query_one("#live-text", Static).content
    return content if isinstance(content, Text) else Text(str(content))


# --- quitting during a smoke test ------------------------------------------------------------------


@pytest.fixture
def sleeping_child(monkeypatch: pytest.MonkeyPatch) -> list[subprocess.Popen[bytes]]:
    """``smoke_test`` replaced by one that starts a real, long child and waits on it forever."""
    from advisor.smoke import runner as smoke

    children: list[subprocess.Popen[bytes]] = []
    started = threading.Event()

    def fake(model: str, quantization: str | None = None, progress: Any = None, **kwargs: Any) -> Any:
        # Named like the real child so the app's clean-up recognises it; its own session, like the real one.
        child = subprocess.Popen(
            [sys.executable, "-c", "import time; time.sleep(120)", "-m", "advisor.smoke.child"],
            start_new_session=True,
        )
        children.append(child)
        started.set()
        while child.poll() is None:
            progress("download", None)  # raises SmokeCancelled once the worker is cancelled
            time.sleep(0.02)
        raise RuntimeError("child ended")

    monkeypatch.setattr(smoke, "smoke_test", fake)
    monkeypatch.setattr("advisor.tui.app.smoke_target", lambda rec: ("example/model", "awq-int4"))
    return children


async def _start_smoke(pilot: Any, children: list[subprocess.Popen[bytes]]) -> subprocess.Popen[bytes]:
    await settle(pilot)
    await pilot.press("f4", "t")
    for _ in range(400):
        await pilot.pause(0.02)
        if children and pilot.app.smoke.state == "running":
            break
    assert children and children[0].poll() is None
    return children[0]


async def test_ctrl_q_during_a_smoke_test_asks_then_ends_the_child(sleeping_child: list[Any]) -> None:
    app = AdvisorApp(hardware=HARDWARE, lang="en")
    async with app.run_test(size=SIZE) as pilot:
        child = await _start_smoke(pilot, sleeping_child)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)  # asked, nothing stopped yet
        assert "smoke test is running" in app.screen.query_one("#confirm-body", Static).content.plain
        assert child.poll() is None
        await pilot.press("y")
        await pilot.pause()
    assert await asyncio.to_thread(child.wait, 10) is not None  # ended by the app, not by its timeout
    assert child.returncode < 0  # killed by a signal


async def test_answering_no_keeps_the_app_and_the_test(sleeping_child: list[Any]) -> None:
    app = AdvisorApp(hardware=HARDWARE, lang="fr")
    async with app.run_test(size=SIZE) as pilot:
        child = await _start_smoke(pilot, sleeping_child)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert "Quitter llm-advisor\u202f?" in app.screen.query_one("#confirm-title", Static).content.plain
        await pilot.press("n")
        await pilot.pause()
        assert app.is_running and app.smoke.state == "running" and child.poll() is None
        await pilot.press("c")
        await settle(pilot)
        assert await asyncio.to_thread(child.wait, 10) < 0


async def test_ctrl_q_twice_quits_and_ends_the_child(sleeping_child: list[Any]) -> None:
    app = AdvisorApp(hardware=HARDWARE, lang="en")
    async with app.run_test(size=SIZE) as pilot:
        child = await _start_smoke(pilot, sleeping_child)
        await pilot.press("ctrl+q", "ctrl+q")
        await pilot.pause()
    assert await asyncio.to_thread(child.wait, 10) < 0


# --- quitting with unsaved answers ---------------------------------------------------------------------


async def test_quit_asks_only_when_answers_are_unsaved(tmp_path: Path) -> None:
    app = AdvisorApp(hardware=HARDWARE, lang="en")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        field(app, "task_type").show("classification")
        await settle(pilot)
        assert app.unsaved
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        assert "have changed" in app.screen.query_one("#confirm-body", Static).content.plain
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, QuestionnaireScreen) and app.is_running
        await pilot.press("f6")
        await pilot.pause()
        app.screen.query_one("#dialog-path", Input).value = str(tmp_path / "saved.yaml")
        await pilot.press("enter")
        await settle(pilot)
        assert not app.unsaved
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert not app.is_running  # saved: quits without asking


async def test_quit_without_answers_does_not_ask() -> None:
    app = AdvisorApp(hardware=HARDWARE, lang="en")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert not app.is_running


# --- saving over a file ----------------------------------------------------------------------------------


async def test_save_never_offers_the_opened_file_and_asks_before_replacing(tmp_path: Path) -> None:
    example = tmp_path / "06_example.yaml"
    original = "# A shipped example: this header must survive one careless Enter.\ntask_type: classification\n"
    example.write_text(original, encoding="utf-8")
    app = AdvisorApp(hardware=HARDWARE, lang="en")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await pilot.pause()
        app.screen.query_one("#dialog-path", Input).value = str(example)
        await pilot.press("enter")
        await settle(pilot)
        field(app, "task_type").show("document_qa")
        await settle(pilot)
        await pilot.press("f6")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, PathDialog)
        assert dialog.query_one("#dialog-path", Input).value != str(example)  # not pre-filled with it
        dialog.query_one("#dialog-path", Input).value = str(example)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        assert str(example) in app.screen.query_one("#confirm-body", Static).content.plain
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is dialog  # back in the dialog, path kept, nothing written
        assert example.read_text(encoding="utf-8") == original
        assert "Nothing was written" in dialog.query_one("#dialog-error", Static).content.plain
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, QuestionnaireScreen)
    assert load_answers(example).task_type == "document_qa"


async def test_a_new_file_is_written_without_asking(tmp_path: Path) -> None:
    target = tmp_path / "new.yaml"
    app = AdvisorApp(hardware=HARDWARE, lang="en", answers={"task_type": "classification"})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f6")
        await pilot.pause()
        app.screen.query_one("#dialog-path", Input).value = str(target)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, QuestionnaireScreen)
    assert load_answers(target).task_type == "classification"


# --- nothing fits ----------------------------------------------------------------------------------------


def _green_spans(text: Text) -> list[str]:
    return [text.plain[s.start : s.end] for s in text.spans if "green" in str(s.style)]


@pytest.mark.parametrize(
    ("hardware", "answers"),
    [
        pytest.param({"gpus": [], "ram_gb": 1}, RAG, id="no-gpu-1gb-ram"),
        pytest.param({"gpus": [{"name": "small", "vram_gb": 1}], "ram_gb": 1}, RAG, id="1gb-gpu-1gb-ram"),
    ],
)
async def test_live_panel_says_nothing_fits_like_the_results(hardware: dict[str, Any], answers: dict[str, Any]) -> None:
    app = AdvisorApp(hardware=hardware, lang="en", answers=answers)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        rec = app.recommendation
        assert rec.model is not None and not render.chosen_fits(rec)
        text = live_text(app)
        assert "Nothing fits this hardware" in text.plain
        assert _green_spans(text) == []  # no model shown as a recommendation
        await pilot.press("f4")
        await settle(pilot)
        body = app.screen.query_one("#body-model", Static).content
        assert "Nothing fits this hardware" in render_plain(body)
        assert "(chosen)" not in render_plain(body)


async def test_live_panel_shows_the_model_in_green_when_it_fits() -> None:
    app = AdvisorApp(hardware=HARDWARE, lang="en", answers=RAG)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert render.chosen_fits(app.recommendation)
        text = live_text(app)
        assert "Nothing fits" not in text.plain
        assert any(app.recommendation.model.id in span for span in _green_spans(text))


async def test_empty_questionnaire_is_not_shown_as_advice() -> None:
    app = AdvisorApp(hardware=HARDWARE, lang="fr")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        text = live_text(app).plain
        assert "pas de conseil" in text
        model = app.recommendation.model
        assert model is None or model.id not in text
        field(app, "task_type").show("document_qa")
        await settle(pilot)
        assert "pas de conseil" not in live_text(app).plain


def render_plain(renderable: Any) -> str:
    from rich.console import Console

    console = Console(width=100, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def test_nothing_fits_is_read_from_the_chosen_plan() -> None:
    rec = type("Rec", (), {"model": {"chosen": {"fit": "does-not-fit"}}})()
    assert not render.chosen_fits(rec)  # type: ignore[arg-type]
    for fit in ("comfortable", "tight"):
        rec.model = {"chosen": {"fit": fit}}
        assert render.chosen_fits(rec)  # type: ignore[arg-type]
