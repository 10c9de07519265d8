"""A "no LLM" classifier plan names and sizes its encoder from the catalog; other no-LLM plans do not."""

from __future__ import annotations

from typing import Any

import pytest

import advisor
from advisor.catalog import load_catalog
from advisor.selection.classic import pick_encoder
from tests.conftest import HARDWARE

ROUTING = {
    "task_type": "classification",
    "needs_language_understanding": "low",
    "labelled_examples": 40000,
    "labelled_examples_type": "class_labels",
    "volume_per_day": 50000,
}


@pytest.mark.parametrize(
    ("languages", "model_id", "en_size", "fr_size"),
    [
        (
            ["fr"],
            "almanach/camembert-base",
            "111 million-parameter encoder: 422.1 MiB",
            "111 millions de paramètres : 422,1 Mio",
        ),
        (
            ["en"],
            "distilbert/distilbert-base-uncased",
            "67 million-parameter encoder: 255.5 MiB",
            "67 millions de paramètres : 255,5 Mio",
        ),
    ],
)
def test_classifier_plan_names_and_sizes_its_encoder(
    languages: list[str], model_id: str, en_size: str, fr_size: str
) -> None:
    rec = advisor.recommend({**ROUTING, "languages": languages}, hardware=HARDWARE["gpu24"])
    assert rec.approach == "no-llm" and rec.model is None
    assert model_id in rec.selection_note.en and model_id in rec.selection_note.fr
    assert en_size in rec.selection_note.en
    assert fr_size in rec.selection_note.fr


@pytest.mark.parametrize(
    "answers",
    [
        {"task_type": "information_extraction", "needs_language_understanding": "none", "languages": ["fr"]},
        {"task_type": "numeric_analytics", "input_nature": "structured"},
    ],
    ids=["regex-extraction", "numeric"],
)
def test_script_plans_name_no_encoder(answers: dict[str, Any]) -> None:
    rec = advisor.recommend(answers, hardware=HARDWARE["gpu24"])
    assert rec.approach == "no-llm"
    assert "encoder" in rec.selection_note.en  # the generic "script, classic ML or a small encoder"
    assert "camembert" not in rec.selection_note.en.lower() and "distilbert" not in rec.selection_note.en.lower()


def test_french_picks_the_french_encoder_and_other_languages_an_english_one() -> None:
    entries = load_catalog().entries
    assert pick_encoder("classification", ["fr", "en"], entries).id == "almanach/camembert-base"
    assert pick_encoder("classification", [], entries).id == "distilbert/distilbert-base-uncased"
    assert pick_encoder("summarization", ["fr"], entries) is None
