"""The rules engine: operators, Kleene logic, rule kinds, tie-break, and clear errors for bad rules."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from advisor.errors import InputError
from advisor.rules.engine import best_approach, evaluate, evaluate_condition
from advisor.rules.lint import lint
from advisor.rules.loader import KB_DIR, load_knowledge_base
from advisor.rules.schema import Rule

TEXT = {"en": "because", "fr": "parce que"}


def rule(**fields: Any) -> Rule:
    return Rule.model_validate({"text": TEXT, "sources": ["s"], **fields})


def leaf(fact: str, op: str, value: Any = None) -> dict[str, Any]:
    return {"fact": fact, "op": op, **({"value": value} if value is not None else {})}


def check(cond: dict[str, Any], facts: dict[str, Any], thresholds: dict[str, float] | None = None) -> bool | None:
    parsed = rule(id="SCORE-T", kind="score", when=cond, then={"score": {"rag": 1}}).when
    return evaluate_condition(parsed, facts, thresholds or {}, [])


@pytest.mark.parametrize(
    ("op", "value", "actual", "expected"),
    [
        ("eq", "rag", "rag", True),
        ("eq", "rag", "raft", False),
        ("ne", "rag", "raft", True),
        ("ne", "rag", "rag", False),
        ("in", ["a", "b"], "b", True),
        ("in", ["a", "b"], "c", False),
        ("not_in", ["a", "b"], "c", True),
        ("not_in", ["a", "b"], "a", False),
        ("lt", 50, 49, True),
        ("lt", 50, 50, False),
        ("le", 50, 50, True),
        ("le", 50, 51, False),
        ("gt", 50, 51, True),
        ("gt", 50, 50, False),
        ("ge", 50, 50, True),
        ("ge", 50, 49, False),
        ("between", [10, 20], 10, True),
        ("between", [10, 20], 21, False),
        ("contains", "fr", ("en", "fr"), True),
        ("contains", "fr", ("en",), False),
    ],
)
def test_each_operator(op: str, value: Any, actual: Any, expected: bool) -> None:
    assert check(leaf("x", op, value), {"x": actual}) is expected


def test_missing_fact_is_unknown_not_false() -> None:
    assert check(leaf("x", "eq", 1), {}) is None
    assert check(leaf("x", "eq", 1), {"x": None}) is None
    assert check(leaf("x", "is_set"), {"x": None}) is False
    assert check(leaf("x", "is_unset"), {}) is True
    assert check({"not": leaf("x", "eq", 1)}, {}) is None


def test_kleene_all_any_not() -> None:
    true, false, unknown = leaf("t", "eq", 1), leaf("f", "eq", 1), leaf("u", "eq", 1)
    facts = {"t": 1, "f": 0}
    assert check({"all": [true, unknown]}, facts) is None
    assert check({"all": [false, unknown]}, facts) is False
    assert check({"any": [true, unknown]}, facts) is True
    assert check({"any": [false, unknown]}, facts) is None
    assert check({"not": {"all": [true, true]}}, facts) is False
    assert check({"all": []}, facts) is True


def test_threshold_reference_is_resolved() -> None:
    cond = leaf("n", "ge", {"threshold": "min"})
    assert check(cond, {"n": 500}, {"min": 500}) is True
    assert check(cond, {"n": 499}, {"min": 500}) is False


def test_rule_kinds_and_trace() -> None:
    rules = [
        rule(id="GATE-A", kind="gate", when=leaf("g", "eq", True), then={"decide": "no-llm"}),
        rule(id="VETO-A", kind="veto", when=leaf("v", "eq", True), then={"exclude": ["fine-tuning"]}),
        rule(id="SCORE-A", kind="score", when=leaf("s", "eq", True), then={"score": {"fine-tuning": 5, "rag": 2}}),
        rule(id="SCORE-B", kind="score", when=leaf("missing", "eq", True), then={"score": {"raft": 9}}),
        rule(id="ADVICE-A", kind="advice", when={"all": []}, then={"applies_to": ["rag"], "technique": "t"}),
    ]
    base = {"prompting": 1}
    ev = evaluate(rules, {"g": False, "v": True, "s": True}, {}, base)
    assert ev.approach == "rag"  # fine-tuning has more points but is vetoed
    assert ev.excluded == {"fine-tuning": ["VETO-A"]}
    assert ev.scores["fine-tuning"] == 5 and ev.scores["rag"] == 2 and ev.scores["prompting"] == 1
    by_id = {t.id: t for t in ev.trace}
    assert by_id["GATE-A"].outcome == "not_fired"
    assert by_id["SCORE-B"].outcome == "not_evaluated" and by_id["SCORE-B"].missing == ["missing"]
    assert by_id["SCORE-A"].facts == {"s": True} and by_id["SCORE-A"].applied
    assert by_id["ADVICE-A"].outcome == "fired" and by_id["ADVICE-A"].applied  # rag was chosen

    gated = evaluate(rules, {"g": True, "v": True, "s": True}, {}, base)
    assert gated.approach == "no-llm" and gated.decided_by == "GATE-A"
    assert {t.id: t for t in gated.trace}["ADVICE-A"].applied is False  # advice for rag, not chosen


def test_first_gate_wins_and_later_gates_are_not_reached() -> None:
    rules = [
        rule(id="GATE-A", kind="gate", when=leaf("a", "eq", True), then={"decide": "no-llm"}),
        rule(id="GATE-B", kind="gate", when=leaf("b", "eq", True), then={"decide": "prompting"}),
    ]
    ev = evaluate(rules, {"a": True, "b": True}, {}, {})
    assert ev.approach == "no-llm"
    assert [t.outcome for t in ev.trace] == ["fired", "not_reached"]


def test_tie_goes_to_the_simpler_approach() -> None:
    scores = {"no-llm": 0, "prompting": 3, "rag": 3, "fine-tuning": 3, "raft": 3}
    assert best_approach(scores, {}) == "prompting"
    assert best_approach(scores, {"prompting": ["V"]}) == "rag"
    assert best_approach({**scores, "raft": 4}, {}) == "raft"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"id": "bad id", "kind": "gate", "when": leaf("x", "eq", 1), "then": {"decide": "rag"}}, "not a rule id"),
        ({"id": "GATE-X", "kind": "gate", "when": leaf("x", "eq", 1), "then": {"exclude": ["rag"]}}, "cannot use"),
        ({"id": "VETO-X", "kind": "veto", "when": leaf("x", "eq", 1), "then": {}}, "needs 'then.exclude'"),
        ({"id": "GATE-X", "kind": "gate", "when": leaf("x", "between", 3), "then": {"decide": "rag"}}, "between"),
        ({"id": "GATE-X", "kind": "gate", "when": leaf("x", "eq"), "then": {"decide": "rag"}}, "needs a value"),
    ],
)
def test_invalid_rules_are_rejected(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        rule(**fields)


@pytest.fixture()
def kb_copy(tmp_path: Path) -> Path:
    target = tmp_path / "kb"
    shutil.copytree(KB_DIR, target)
    return target


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "{fact: needs_language_understanding, op: eq, value: none}",
            "{fact: needs_language_understandin, op: eq, value: none}",
            "unknown fact 'needs_language_understandin' (did you mean 'needs_language_understanding'?)",
        ),
        (
            "{fact: needs_language_understanding, op: eq, value: none}",
            "{fact: needs_language_understanding, op: eq, value: nothing}",
            "'nothing' is not a value of 'needs_language_understanding'",
        ),
        (
            "{fact: needs_language_understanding, op: eq, value: none}",
            "{fact: needs_language_understanding, op: gt, value: none}",
            "operator 'gt' does not suit enum fact",
        ),
        ("sources: [seed000_5A, google_rules_ml]", "sources: [seed000_5a]", "unknown source 'seed000_5a'"),
        ("then: {decide: no-llm}", "then: {decide: no-lm}", "'no-lm' is not allowed (did you mean 'no-llm'?)"),
    ],
)
def test_bad_rule_files_name_file_rule_and_field(kb_copy: Path, old: str, new: str, expected: str) -> None:
    gates = kb_copy / "1_gates.yaml"
    _replace(gates, old, new)
    with pytest.raises(InputError) as info:
        load_knowledge_base(kb_copy)
    text = str(info.value)
    assert expected in text
    assert str(gates) in text and "GATE-NO-NLU" in text


def test_unknown_threshold_and_duplicate_id(kb_copy: Path) -> None:
    _replace(kb_copy / "2_vetoes.yaml", "{threshold: ft_min_examples_hard}", "{threshold: ft_min_example_hard}")
    _replace(kb_copy / "2_vetoes.yaml", "id: VETO-FT-NO-TRAINING-DATA", "id: VETO-FT-FEW-EXAMPLES")
    with pytest.raises(InputError) as info:
        load_knowledge_base(kb_copy)
    text = str(info.value)
    assert "unknown threshold 'ft_min_example_hard' (did you mean 'ft_min_examples_hard'?)" in text
    assert "duplicate id" in text


def test_yaml_error_in_rules_names_file_and_line(kb_copy: Path) -> None:
    (kb_copy / "9_broken.yaml").write_text("section: {en: a, fr: b}\nrules:\n  - id: [unclosed\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_knowledge_base(kb_copy)
    assert "9_broken.yaml:" in str(info.value) and "YAML syntax error" in str(info.value)


def test_shipped_knowledge_base_lints_clean() -> None:
    findings = lint(load_knowledge_base())
    assert [f for f in findings if f.level == "error"] == []


def test_lint_finds_rules_that_never_fire_unreached_gates_and_conflicts(kb_copy: Path) -> None:
    with (kb_copy / "7_bad.yaml").open("w", encoding="utf-8") as handle:
        handle.write(
            """section: {en: bad, fr: mauvais}
rules:
  - id: SCORE-IMPOSSIBLE
    kind: score
    text: {en: x, fr: y}
    when: {all: [{fact: budget, op: eq, value: low}, {fact: budget, op: eq, value: high}]}
    then: {score: {rag: 1}}
    sources: [seed000_5D]
  - id: GATE-SHADOWED
    kind: gate
    text: {en: x, fr: y}
    when: {all: [{fact: tried_no_llm, op: eq, value: good_enough}, {fact: budget, op: eq, value: low}]}
    then: {decide: no-llm}
    sources: [seed000_5A]
  - id: GATE-CONFLICT
    kind: gate
    text: {en: x, fr: y}
    when: {fact: budget, op: eq, value: high}
    then: {decide: fine-tuning}
    sources: [seed000_5E]
"""
        )
    kb = load_knowledge_base(kb_copy)
    errors = {(f.rule, f.message.split(":")[0]) for f in lint(kb) if f.level == "error"}
    assert ("SCORE-IMPOSSIBLE", "can never fire") in errors
    assert ("GATE-SHADOWED", "never reached") in errors
    assert any(
        rule_id == "GATE-CONFLICT" and message.startswith("conflicts with VETO-FT-") for rule_id, message in errors
    )
