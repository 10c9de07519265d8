"""No decision without a reason: vetoed rules do not score, unsupported approaches do not win,
and follow-up questions that could only push towards a vetoed approach are not asked."""

from __future__ import annotations

import advisor
from advisor.rules.engine import evaluate
from advisor.rules.schema import Rule
from tests.conftest import HARDWARE

EXTRACTION_NOTHING_TO_RETRIEVE = {
    "task_type": "information_extraction",
    "needs_language_understanding": "high",
    "input_nature": "free_text",
    "knowledge_source": "none",
    "corpus_size_pages": 5000,
}


def test_extraction_with_nothing_to_retrieve_is_not_no_llm_at_zero_points() -> None:
    rec = advisor.recommend(EXTRACTION_NOTHING_TO_RETRIEVE, hardware=HARDWARE["gpu24"])
    assert rec.approach == "prompting"
    ids = [r.id for r in rec.reasons]
    assert "VETO-RETRIEVAL-NOTHING-TO-RETRIEVE" in ids
    assert "SCORE-RAG-LARGE-CORPUS" not in ids  # moot: retrieval is vetoed
    assert rec.scores["prompting"] == 1


def test_moot_rule_is_traced_as_set_aside_by_the_veto() -> None:
    rec = advisor.recommend(EXTRACTION_NOTHING_TO_RETRIEVE, hardware=HARDWARE["gpu24"])
    entry = next(t for t in rec.trace if t.id == "SCORE-RAG-LARGE-CORPUS")
    assert entry.outcome == "fired" and not entry.applied
    assert "VETO-RETRIEVAL-NOTHING-TO-RETRIEVE" in entry.set_aside_by


def test_the_same_rule_scores_when_retrieval_is_possible() -> None:
    answers = {**EXTRACTION_NOTHING_TO_RETRIEVE, "knowledge_source": "domain_documents"}
    rec = advisor.recommend(answers, hardware=HARDWARE["gpu24"])
    assert "SCORE-RAG-LARGE-CORPUS" in [r.id for r in rec.reasons]


def _rule(rule_id: str, kind: str, when: dict, then: dict) -> Rule:
    return Rule.model_validate(
        {"id": rule_id, "kind": kind, "when": when, "then": then, "text": {"en": "x", "fr": "x"}, "sources": ["s"]}
    )


def test_an_approach_no_rule_supports_cannot_beat_one_that_is_supported() -> None:
    # prompting is pushed below no-llm by a penalty, but nothing speaks for no-llm
    penalty = _rule("SCORE-PENALTY", "score", {"fact": "x", "op": "eq", "value": 1}, {"score": {"prompting": -3}})
    support = _rule("SCORE-SUPPORT", "score", {"fact": "x", "op": "eq", "value": 1}, {"score": {"rag": 1}})
    base = {"no-llm": 0, "prompting": 1, "rag": 0, "fine-tuning": 0, "raft": 0}
    ev = evaluate([penalty, support], {"x": 1}, {}, base)
    assert ev.approach == "rag"  # supported by a rule, scores 1 > -2
    only_penalty = evaluate([penalty], {"x": 1}, {}, base)
    assert only_penalty.approach == "prompting"  # base scores are its reason; no-llm has none
    assert only_penalty.scores["no-llm"] > only_penalty.scores["prompting"]


def test_supported_approach_with_more_points_still_wins() -> None:
    no_llm = _rule("SCORE-NOLLM", "score", {"fact": "x", "op": "eq", "value": 1}, {"score": {"no-llm": 3}})
    base = {"no-llm": 0, "prompting": 1, "rag": 0, "fine-tuning": 0, "raft": 0}
    assert evaluate([no_llm], {"x": 1}, {}, base).approach == "no-llm"


def test_follow_up_that_only_pushes_towards_a_vetoed_approach_is_not_asked() -> None:
    answers = {k: v for k, v in EXTRACTION_NOTHING_TO_RETRIEVE.items() if k != "corpus_size_pages"}
    rec = advisor.recommend(answers, hardware=HARDWARE["gpu24"])
    asked = {q.key: q.rules for q in rec.follow_up_questions}
    for rules in asked.values():
        assert "SCORE-RAG-LARGE-CORPUS" not in rules
        assert "SCORE-RAG-CITATIONS" not in rules
    assert "corpus_size_pages" not in asked  # only retrieval rules read it
    # with documents to retrieve, the same questions matter and are asked
    with_docs = advisor.recommend({**answers, "knowledge_source": "domain_documents"}, hardware=HARDWARE["gpu24"])
    assert {"corpus_size_pages", "needs_citations"} <= {q.key for q in with_docs.follow_up_questions}


TICKET_ROUTING = {
    "task_type": "classification",
    "needs_language_understanding": "low",
    "labelled_examples": 40000,
    "labelled_examples_type": "class_labels",
    "volume_per_day": 50000,
    "languages": ["fr"],
}


def test_after_a_gate_only_questions_that_could_lift_it_or_refine_the_plan_are_asked() -> None:
    rec = advisor.recommend(TICKET_ROUTING, hardware=HARDWARE["gpu24"])
    assert rec.decided_by == "GATE-CLASSIC-CLASSIFIER"
    rules = {rule for q in rec.follow_up_questions for rule in q.rules}
    assert not any(rule.startswith(("SCORE-", "VETO-")) for rule in rules)
    assert "GATE-EXISTING-SOLUTION-GOOD-ENOUGH" not in rules  # it would settle on no-llm again
    tried = next(q for q in rec.follow_up_questions if q.key == "already_tried")
    assert tried.rules == ["GATE-CLASSIC-CLASSIFIER"]
    assert "could lift GATE-CLASSIC-CLASSIFIER" in tried.could[0].en
    assert "pourrait lever GATE-CLASSIC-CLASSIFIER" in tried.could[0].fr
    # and answering it does lift the gate
    lifted = advisor.recommend(
        {**TICKET_ROUTING, "already_tried": {"no-llm": "insufficient"}}, hardware=HARDWARE["gpu24"]
    )
    assert lifted.approach != "no-llm" and "no-llm" in lifted.excluded
