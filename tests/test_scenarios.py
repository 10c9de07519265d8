"""The scenario suite and the shipped examples: each use case gets the approach a practitioner would defend."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

import advisor
from tests.conftest import HARDWARE

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = yaml.safe_load((ROOT / "tests" / "data" / "scenarios.yaml").read_text(encoding="utf-8"))["scenarios"]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))


def test_suite_is_large_enough_and_covers_every_approach() -> None:
    assert len(SCENARIOS) >= 30
    assert {s["expect"] for s in SCENARIOS} == {"no-llm", "prompting", "rag", "fine-tuning", "raft"}
    assert len({s["name"] for s in SCENARIOS}) == len(SCENARIOS)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s["name"] for s in SCENARIOS])
def test_scenario(scenario: dict[str, Any]) -> None:
    rec = advisor.recommend(scenario["answers"], hardware=HARDWARE[scenario["hardware"]])
    assert rec.approach == scenario["expect"], (
        f"{scenario['name']}: {scenario['why']} scores={rec.scores} excluded={rec.excluded}"
    )
    # The decision has a reason behind it: the gate that settled it, or a rule that gave the winner points.
    if rec.decided_by != "scores":
        assert any(reason.id == rec.decided_by for reason in rec.reasons)
    else:
        assert any(re.search(rf"(^|, ){re.escape(rec.approach)} \+\d", reason.effect) for reason in rec.reasons), [
            (r.id, r.effect) for r in rec.reasons
        ]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("extraction-30-examples", "extraction-5000-examples"),
        ("legal-drafting-no-ml-team", "legal-drafting-ml-team"),
        ("manual-qa-static", "manual-qa-weekly"),
        ("ft-on-prem-tiny-gpu", "ft-on-prem-8gb-gpu"),
        # knowledge base 2026.12: what was tried, where the model runs, what retrieval faces
        ("bank-assistant-nothing-tried", "bank-assistant-prompting-and-rag-tried"),
        ("invoice-extraction-nothing-tried", "invoice-extraction-prompting-tried"),
        ("complaint-triage-nothing-tried", "complaint-triage-classic-model-serves"),
        ("note-assistant-on-server", "note-assistant-on-device"),
        ("api-docs-distinct-pages", "api-docs-near-identical-pages"),
        ("label-extraction-at-scale", "label-extraction-at-scale-model-independent"),
        ("breton-drafting-without-raw-text", "breton-drafting-with-raw-text"),
    ],
)
def test_flip_pairs_differ_in_one_answer_and_flip(first: str, second: str) -> None:
    by_name = {s["name"]: s for s in SCENARIOS}
    a, b = by_name[first], by_name[second]
    differing = {k for k in a["answers"].keys() | b["answers"].keys() if a["answers"].get(k) != b["answers"].get(k)}
    assert len(differing) + (a["hardware"] != b["hardware"]) == 1
    assert a["expect"] != b["expect"]


def test_there_are_enough_examples() -> None:
    assert len(EXAMPLES) >= 10
    expected = {_expected(path) for path in EXAMPLES}
    assert expected == {"no-llm", "prompting", "rag", "fine-tuning", "raft"}


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_gets_its_stated_approach(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Illustr"), "each example starts with a comment saying what it illustrates"
    rec = advisor.recommend(path, hardware=HARDWARE["gpu24"])
    assert rec.approach == _expected(path)


def test_raft_keeps_rag_as_a_defensible_alternative() -> None:
    by_name = {s["name"]: s for s in SCENARIOS}
    rec = advisor.recommend(by_name["clinical-raft"]["answers"], hardware=HARDWARE["gpu24"])
    assert rec.approach == "raft"
    rag = next(alt for alt in rec.alternatives if alt.approach == "rag")
    assert rag.defensible and rec.alternatives[0].approach == "rag"


def test_unanswered_questions_become_follow_ups_with_their_effect() -> None:
    rec = advisor.recommend({"task_type": "document_qa"}, hardware=HARDWARE["cpu"])
    keys = [q.key for q in rec.follow_up_questions]
    assert "needs_language_understanding" in keys  # feeds GATE-NO-NLU
    first_gate_question = next(q for q in rec.follow_up_questions if "GATE-NO-NLU" in q.rules)
    assert any("No LLM" in c.en for c in first_gate_question.could)
    assert any("Pas de LLM" in c.fr for c in first_gate_question.could)
    # gates outweigh scores: the gate question comes before any score-only question
    score_only = [i for i, q in enumerate(rec.follow_up_questions) if all(r.startswith("SCORE") for r in q.rules)]
    assert keys.index(first_gate_question.key) < min(score_only)


def test_fired_rules_carry_facts_and_sources() -> None:
    rec = advisor.recommend(ROOT / "examples" / "03_assistant_rh_fr.yaml", hardware=HARDWARE["gpu24"])
    fresh = next(r for r in rec.reasons if r.id == "SCORE-RAG-FRESH-KNOWLEDGE")
    assert fresh.facts == {"knowledge_source": "domain_documents", "knowledge_change_frequency": "monthly"}
    assert fresh.sources and all(s.title and s.locator for s in fresh.sources)
    assert fresh.text.fr != fresh.text.en
    assert {t.id for t in rec.techniques} >= {"chunking-hybrid-retrieval", "citations"}


def _expected(path: Path) -> str:
    match = re.search(r"^# expected approach: ([a-z-]+)$", path.read_text(encoding="utf-8"), re.M)
    assert match, f"{path} has no '# expected approach:' line"
    return match.group(1)
