"""The questionnaire keys of knowledge base 2026.12: validation, facts, and the rules each one feeds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import advisor
from advisor.errors import InputErrors
from advisor.hardware.detect import resolve_hardware
from advisor.questionnaire import dump_answers, load_answers, load_questions
from advisor.rules.facts import build_facts, fact_specs
from advisor.rules.loader import load_knowledge_base
from tests.conftest import HARDWARE

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = {
    s["name"]: s
    for s in yaml.safe_load((ROOT / "tests" / "data" / "scenarios.yaml").read_text(encoding="utf-8"))["scenarios"]
}
NEW_KEYS = (
    "already_tried",
    "deployment_target",
    "confusable_documents",
    "model_independence",
    "unlabelled_text_pages",
    "peak_concurrent_requests",
    "output_tokens",
)


@pytest.mark.parametrize(
    ("answers", "field", "words"),
    [
        ({"already_tried": {"promptin": "insufficient"}}, "already_tried.promptin", "did you mean 'prompting'"),
        ({"already_tried": {"rag": "meh"}}, "already_tried.rag", "insufficient, good_enough"),
        ({"already_tried": "prompting"}, "already_tried", "{prompting: insufficient"),
        ({"deployment_target": "phone"}, "deployment_target", "mobile_edge"),
        ({"confusable_documents": "maybe"}, "confusable_documents", "boolean"),
        ({"unlabelled_text_pages": -1}, "unlabelled_text_pages", "greater than or equal to 0"),
        ({"peak_concurrent_requests": 0}, "peak_concurrent_requests", "greater than or equal to 1"),
        ({"output_tokens": 0}, "output_tokens", "greater than or equal to 1"),
    ],
)
def test_bad_values_name_the_key(answers: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(InputErrors) as raised:
        load_answers(answers)
    text = str(raised.value)
    assert f"'{field}'" in text and words in text


def test_new_keys_round_trip_and_are_asked_in_both_languages() -> None:
    answers = load_answers(
        {
            "already_tried": {"prompting": "insufficient", "rag": "good_enough"},
            "deployment_target": "mobile_edge",
            "confusable_documents": True,
            "model_independence": False,
            "unlabelled_text_pages": 20000,
            "peak_concurrent_requests": 32,
            "output_tokens": 400,
        }
    )
    assert load_answers(yaml.safe_load(dump_answers(answers))) == answers
    book = load_questions()
    for key in NEW_KEYS:
        question = book.get(key)
        assert question.label.en != question.label.fr and question.help.en != question.help.fr
    assert set(book.get("already_tried").items) == {"no-llm", "prompting", "rag", "fine-tuning"}


def test_facts_derived_from_the_new_keys() -> None:
    kb = load_knowledge_base()
    hardware = resolve_hardware(HARDWARE["cpu"])
    unanswered = build_facts(load_answers({}), hardware, kb.meta)
    assert unanswered["tried_prompting"] is None and unanswered["on_device"] is None
    facts = build_facts(
        load_answers(
            {
                "already_tried": {"no-llm": "good_enough", "fine-tuning": "insufficient"},
                "deployment_target": "laptop",
                "peak_concurrent_requests": 16,
                "output_tokens": 250,
            }
        ),
        hardware,
        kb.meta,
    )
    assert facts["tried_no_llm"] == "good_enough"
    assert facts["tried_fine_tuning"] == "insufficient"
    assert facts["tried_prompting"] == "not_tried"  # answered, and prompting left out
    assert facts["on_device"] is True
    assert build_facts(load_answers({"deployment_target": "workstation"}), hardware, kb.meta)["on_device"] is False
    # exposed for model selection (throughput, KV cache), read by no rule yet
    assert facts["peak_concurrent_requests"] == 16 and facts["output_tokens"] == 250
    assert fact_specs()["peak_concurrent_requests"].kind == "int"
    assert fact_specs()["already_tried"].kind == "mapping"


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("bank-assistant-prompting-and-rag-tried", "SCORE-RAG-TRIED-INSUFFICIENT"),
        ("bank-assistant-prompting-and-rag-tried", "SCORE-PROMPTING-TRIED-INSUFFICIENT"),
        ("invoice-extraction-prompting-tried", "SCORE-PROMPTING-TRIED-INSUFFICIENT"),
        ("complaint-triage-classic-model-serves", "GATE-EXISTING-SOLUTION-GOOD-ENOUGH"),
        ("address-cleanup-script-fell-short", "VETO-NO-LLM-TRIED-INSUFFICIENT"),
        ("note-assistant-on-device", "SCORE-FT-ON-DEVICE"),
        ("api-docs-near-identical-pages", "SCORE-RAFT-CONFUSABLE-DOCUMENTS"),
        ("label-extraction-at-scale-model-independent", "SCORE-MODEL-INDEPENDENCE"),
        ("breton-drafting-with-raw-text", "SCORE-FT-CONTINUED-PRETRAINING"),
        ("faq-bot-rag-good-enough", "SCORE-RAG-TRIED-GOOD-ENOUGH"),
    ],
)
def test_the_new_rule_is_the_reason_given(name: str, rule: str) -> None:
    scenario = SCENARIOS[name]
    rec = advisor.recommend(scenario["answers"], hardware=HARDWARE[scenario["hardware"]])
    reason = next(r for r in rec.reasons if r.id == rule)
    assert reason.sources and reason.text.fr != reason.text.en


def test_on_device_plan_names_a_small_model_with_adapters() -> None:
    scenario = SCENARIOS["note-assistant-on-device"]
    rec = advisor.recommend(scenario["answers"], hardware=HARDWARE[scenario["hardware"]])
    assert {"on-device-adapters", "lora"} <= {t.id for t in rec.techniques}


def test_breton_plan_starts_with_continued_pretraining() -> None:
    scenario = SCENARIOS["breton-drafting-with-raw-text"]
    rec = advisor.recommend(scenario["answers"], hardware=HARDWARE[scenario["hardware"]])
    assert "continued-pretraining" in {t.id for t in rec.techniques}


def test_already_tried_unanswered_is_a_follow_up() -> None:
    rec = advisor.recommend({"task_type": "document_qa"}, hardware=HARDWARE["gpu24"])
    assert "already_tried" in {q.key for q in rec.follow_up_questions}


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "Prompting: Tried: not good enough; RAG (retrieval): Tried: good enough"),
        # French spacing as the report writes it (units.french_typography): U+00A0 before « : », U+202F before « ; ».
        (
            "fr",
            "Le prompting\u00a0: Essayé\u00a0: insuffisant\u202f; La RAG (recherche documentaire)\u00a0: Essayé\u00a0: "
            "satisfaisant",
        ),
    ],
)
def test_report_shows_what_was_tried(lang: str, expected: str) -> None:
    from advisor.report.markdown import render_markdown

    answers = {"task_type": "document_qa", "already_tried": {"prompting": "insufficient", "rag": "good_enough"}}
    rec = advisor.recommend(answers, hardware=HARDWARE["gpu24"])
    assert expected in render_markdown(rec, lang)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_questions_listing_and_init_template_show_the_mapping(lang: str) -> None:
    from advisor.questions_doc import answers_template, questions_text

    listing = questions_text(lang)
    block = listing[listing.index("already_tried:") :]
    assert "no-llm, prompting, rag, fine-tuning" in block.splitlines()[1]
    assert "insufficient, good_enough" in block.splitlines()[1]
    template = answers_template(lang)
    assert "\nalready_tried:\n" in template and "#   good_enough:" in template
    assert load_answers(yaml.safe_load(template)) == load_answers({})


def test_what_if_tries_one_more_approach_in_already_tried() -> None:
    from advisor.report.sensitivity import flips

    scenario = SCENARIOS["invoice-extraction-nothing-tried"]
    found = {
        (str(f.value), f.approach) for f in flips(scenario["answers"], HARDWARE["gpu24"]) if f.key == "already_tried"
    }
    assert ("{'prompting': 'insufficient'}", "fine-tuning") in found
    assert ("{'no-llm': 'good_enough'}", "no-llm") in found
    # what was already answered is kept: only one more approach changes
    tried = SCENARIOS["bank-assistant-prompting-and-rag-tried"]
    for flip in flips(tried["answers"], HARDWARE["gpu24"]):
        if flip.key == "already_tried":
            assert len(flip.value) >= len(flip.current) >= 2
