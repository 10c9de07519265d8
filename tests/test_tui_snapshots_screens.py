"""Pictures of the help screen, the dialogs that protect the user's work, the results with their
contents line, the hardware boxes and the live panel when nothing fits: both languages, 80x24 and 160x45.

Same rules as tests/test_tui_snapshots.py (given hardware, a fixed plan): update with
``pytest tests/test_tui_snapshots_screens.py --snapshot-update`` and read the report before committing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input

from advisor.i18n import LocalizedText
from advisor.results import ModelChoice
from advisor.selection.models import Selection
from tests.test_tui_snapshots import (
    HARDWARE,
    RAG_ANSWERS,
    _fixed_plan,  # noqa: F401 - autouse: the fixed plan, not the catalog
    _option,
    _settle,
)

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 45), id="160x45")]
LANGS = ["en", "fr"]


def _nothing_fits(answers: Any, hardware: Any, approach: str, **_: Any) -> Selection:
    """The selection's answer when no plan fits: the smallest one, marked does-not-fit, with its note."""
    smallest = _option("example/model-12b-instruct", "awq-int4", 30.0, "does-not-fit")
    note = LocalizedText(
        en="Nothing fits this hardware. The smallest plan needs 32.8 GiB per device.",
        fr="Rien ne tient sur ce matériel. Le plus petit plan demande 32,8 Gio par appareil.",
    )
    return Selection(ModelChoice(id=smallest.id, chosen=smallest, runner_ups=[], notes=[note]), None, "fixed")


def _app(lang: str, **kwargs: Any) -> Any:
    from advisor.tui import AdvisorApp

    kwargs.setdefault("hardware", HARDWARE)
    return AdvisorApp(lang=lang, **kwargs)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", LANGS)
def test_help_screen(snap_compare: Any, lang: str, size: tuple[int, int]) -> None:
    """F1: every key, grouped by where it works, in the app's language."""
    assert snap_compare(_app(lang), terminal_size=size, run_before=lambda pilot: _settle(pilot, "f1"))


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", LANGS)
def test_results_with_contents(snap_compare: Any, lang: str, size: tuple[int, int]) -> None:
    """The results: the contents line with the number keys, then the first sections."""
    app = _app(lang, answers=RAG_ANSWERS)
    assert snap_compare(app, terminal_size=size, run_before=lambda pilot: _settle(pilot, "f4"))


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", LANGS)
def test_results_model_section(snap_compare: Any, lang: str, size: tuple[int, int]) -> None:
    """Key 5: the model plans (stacked below 100 columns) and the memory bars at the terminal's width."""
    app = _app(lang, answers=RAG_ANSWERS)
    assert snap_compare(app, terminal_size=size, run_before=lambda pilot: _settle(pilot, "f4", "5"))


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", LANGS)
def test_quit_with_unsaved_answers_asks(snap_compare: Any, lang: str, size: tuple[int, int]) -> None:
    """Ctrl+Q after answering: the confirmation, with its own keys in the footer (no F3-F6)."""

    async def run_before(pilot: Any) -> None:
        await _settle(pilot)
        pilot.app.questionnaire.query_one("#q-task_type").show("classification")
        await _settle(pilot, "ctrl+q")

    assert snap_compare(_app(lang), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", LANGS)
def test_overwrite_asks(
    snap_compare: Any, lang: str, size: tuple[int, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Saving onto an existing file: the question, naming the file and what is lost."""
    monkeypatch.chdir(tmp_path)  # a relative name, so the picture does not depend on the temporary path
    existing = Path("existing-answers.yaml")
    existing.write_text("# kept\n", encoding="utf-8")

    async def run_before(pilot: Any) -> None:
        await _settle(pilot, "f6")
        pilot.app.screen.query_one("#dialog-path", Input).value = str(existing)
        await _settle(pilot, "enter")

    assert snap_compare(_app(lang, answers=RAG_ANSWERS), terminal_size=size, run_before=run_before)
    assert existing.read_text(encoding="utf-8") == "# kept\n"  # only asked, nothing written


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", LANGS)
def test_live_panel_when_nothing_fits(
    snap_compare: Any, lang: str, size: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No plan fits: the live panel says so in red and names the smallest plan as too big."""
    monkeypatch.setattr("advisor.selection.models.select_for_approach", _nothing_fits)
    app = _app(lang, answers=RAG_ANSWERS)
    assert snap_compare(app, terminal_size=size, run_before=_settle)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", LANGS)
def test_hardware_boxes_with_a_refused_figure(snap_compare: Any, lang: str, size: tuple[int, int]) -> None:
    """F3: bordered boxes with placeholders; "-24" refused with the reason, above the boxes."""

    async def run_before(pilot: Any) -> None:
        await _settle(pilot, "f3", "tab", "minus", "2", "4")

    assert snap_compare(_app(lang), terminal_size=size, run_before=run_before)
