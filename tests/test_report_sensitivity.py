"""advisor.report.sensitivity: the single answers that would change the recommended approach."""

from __future__ import annotations

from advisor.advice import recommend
from advisor.report.sensitivity import candidate_values, candidates_for, flips
from advisor.rules.loader import load_knowledge_base
from tests.report_cases import CASES, HARDWARE


def test_team_skills_flip_a_fine_tuning_case() -> None:
    answers, hardware = CASES["fine_tuning_style"]
    blocked = {**answers, "team_ml_skills": "none"}
    assert recommend(blocked, hardware=HARDWARE[hardware]).approach == "prompting"
    found = flips(blocked, HARDWARE[hardware])
    skills = {f.value: f.approach for f in found if f.key == "team_ml_skills"}
    assert skills.get("advanced") == "fine-tuning"
    assert skills.get("intermediate") == "fine-tuning"
    assert "basic" not in skills  # the veto still holds at 'basic'
    assert all(f.current == "none" for f in found if f.key == "team_ml_skills")


def test_every_flip_really_changes_the_approach() -> None:
    answers, hardware = CASES["fine_tuning_style"]
    base = recommend(answers, hardware=HARDWARE[hardware]).approach
    found = flips(answers, HARDWARE[hardware])
    assert found
    for flip in found:
        changed = recommend({**answers, flip.key: flip.value}, hardware=HARDWARE[hardware])
        assert changed.approach == flip.approach != base, flip


def test_unanswered_questions_count_as_changes() -> None:
    answers, hardware = CASES["fine_tuning_style"]
    found = flips(answers, HARDWARE[hardware])
    assert any(f.key == "needs_citations" and f.current is None and f.value is True for f in found)


def test_gates_show_up_as_flips() -> None:
    answers, hardware = CASES["rag_documents"]
    found = flips(answers, HARDWARE[hardware])
    nlu = [f for f in found if f.key == "needs_language_understanding"]
    assert [(f.value, f.approach, f.decided_by) for f in nlu] == [("none", "no-llm", "GATE-NO-NLU")]


def test_integer_candidates_straddle_every_threshold_the_rules_use() -> None:
    kb = load_knowledge_base()
    examples = candidates_for("labelled_examples", kb)
    for name in ("ft_min_examples_hard", "ft_min_examples_candidate", "classic_ml_min_labels"):
        value = int(kb.thresholds[name])
        assert {value - 1, value, value + 1} <= set(examples), name
    assert min(examples) >= 0
    # corpus_size_pages is read both directly and through corpus_tokens (pages x tokens_per_page)
    pages = candidates_for("corpus_size_pages", kb)
    assert int(kb.thresholds["long_context_max_pages"]) in pages
    assert candidates_for("context_tokens", kb) == [] or min(candidates_for("context_tokens", kb)) >= 1


def test_candidate_values_by_kind() -> None:
    assert candidate_values("team_ml_skills") == ["none", "basic", "intermediate", "advanced"]
    assert candidate_values("needs_citations") == [True, False]
    assert candidate_values("languages") == []
    assert candidate_values("volume_per_day", (10000.0,)) == [9999, 10000, 10001]
    assert candidate_values("num_classes", (1.0,)) == [1, 2]  # num_classes >= 1


def test_stable_decision_has_no_flip_on_its_own_keys() -> None:
    answers, hardware = CASES["classic_classifier"]
    found = flips(answers, HARDWARE[hardware])
    # Raising the label count keeps the classifier gate: no flip may propose a higher count.
    assert not [f for f in found if f.key == "labelled_examples" and f.value >= answers["labelled_examples"]]
