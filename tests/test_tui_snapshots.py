"""A few pictures of the main screens (pytest-textual-snapshot), at fixed sizes, with given hardware.

Update after a deliberate change with ``pytest tests/test_tui_snapshots.py --snapshot-update`` and
look at the report before committing the new SVGs. Hardware is always given, so nothing detected on
the machine running the tests can change a picture, and the model selection is replaced by a fixed
plan: these pictures check the terminal app's layout and texts, not the catalog (tests/test_tui_results
checks the real model table).
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import Input

from advisor.hardware.profile import GIB
from advisor.i18n import LocalizedText
from advisor.results import ModelChoice, ModelOption
from advisor.selection.models import Selection
from advisor.tui import AdvisorApp
from tests.report_cases import stand_in_memory, stand_in_option
from tests.test_tui import settle

HARDWARE = {"gpus": [{"name": "RTX 4090", "vram_gb": 24}], "ram_gb": 64}
RAG_ANSWERS = {
    "task_type": "document_qa",
    "needs_language_understanding": "high",
    "knowledge_source": "domain_documents",
    "knowledge_change_frequency": "monthly",
    "languages": ["fr", "en"],
}


def _option(model_id: str, quantization: str, weights_gib: float, fit: str) -> ModelOption:
    memory = stand_in_memory(4096, weights=weights_gib, kv_cache=0.5, activations=0.25, overhead=1.0)
    usable = int(20.7 * GIB)
    return stand_in_option(
        id=model_id,
        name=model_id.split("/")[-1],
        total_params=12_000_000_000,
        context_length=32_768,
        quantization=quantization,
        memory=memory,
        usable_bytes=usable,
        fit=fit,
        margin_bytes=usable - memory.total_bytes,
        why=LocalizedText(en="fixed plan for the pictures", fr="plan fixe pour les images"),
    )


def _fixed_selection(answers: Any, hardware: Any, approach: str, *, techniques: Any = frozenset()) -> Selection:
    """Stands in for advisor.selection.models.select_for_approach: the same plan whatever the catalog holds."""
    if approach == "no-llm":
        return Selection(None, None, "fixed")
    chosen = _option("example/model-12b-instruct", "awq-int4", 7.5, "comfortable")
    runner_up = _option("example/model-24b-instruct", "awq-int4", 13.0, "tight")
    return Selection(ModelChoice(id=chosen.id, chosen=chosen, runner_ups=[runner_up]), None, "fixed")


@pytest.fixture(autouse=True)
def _fixed_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("advisor.selection.models.select_for_approach", _fixed_selection)


async def _settle(pilot: Any, *keys: str) -> None:
    """Press ``keys``, then wait for the recommendation worker, with cursors frozen (no blink)."""
    await settle(pilot)
    for key in keys:
        await pilot.press(key)
    await settle(pilot)
    for box in pilot.app.screen.query(Input):
        box.cursor_blink = False
    await pilot.pause()


def test_questionnaire_first_screen_80x24(snap_compare: Any) -> None:
    """What a newcomer sees first: the first section, focus on the first question, live strip, keys."""
    app = AdvisorApp(hardware=HARDWARE, lang="en")
    assert snap_compare(app, terminal_size=(80, 24), run_before=_settle)


def test_questionnaire_in_french_with_answers_80x24(snap_compare: Any) -> None:
    """French texts, answered questions marked, and the live recommendation for them."""
    answers = {"task_type": "classification", "needs_language_understanding": "none", "languages": ["fr"]}
    app = AdvisorApp(hardware=HARDWARE, lang="fr", answers=answers)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_settle)


def test_hardware_tab_with_an_override_80x24(snap_compare: Any) -> None:
    """The hardware tab: what was given at start, two H100 planned instead."""
    app = AdvisorApp(hardware=HARDWARE, lang="en")

    async def run_before(pilot: Any) -> None:
        await _settle(pilot, "f3", "H", "1", "0", "0", "tab", "8", "0", "tab", "2")

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_results_screen_100x40(snap_compare: Any) -> None:
    """Results for a use case that needs no LLM: the gate, the alternatives set aside, no model."""
    answers = {"task_type": "parsing_structured", "needs_language_understanding": "none", "input_nature": "structured"}
    app = AdvisorApp(hardware=HARDWARE, lang="en", answers=answers)

    async def run_before(pilot: Any) -> None:
        await _settle(pilot, "f4")

    assert snap_compare(app, terminal_size=(100, 40), run_before=run_before)


def test_results_model_table_and_memory_bars_100x40(snap_compare: Any) -> None:
    """Results scrolled to the model: the chosen plan, a runner-up, and memory against usable VRAM."""
    app = AdvisorApp(hardware=HARDWARE, lang="en", answers=RAG_ANSWERS)

    async def run_before(pilot: Any) -> None:
        await _settle(pilot, "f4")
        pilot.app.screen.query_one("#title-model").scroll_visible(top=True, animate=False)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 40), run_before=run_before)
