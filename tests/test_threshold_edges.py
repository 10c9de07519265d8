"""Every numeric test of the knowledge base, checked on both sides of its edge.

The tests are generated from the knowledge base: each rule condition is walked, and each test that
compares a fact with a number (a named threshold or a literal) must have its edge written in
tests/data/threshold_edges.yaml. The whole rule is then evaluated with facts that make every other
test pass, once just inside the edge (the rule fires) and once just outside (it does not). Moving
a threshold, or turning ``lt`` into ``le``, therefore fails here until the edge file says so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from advisor.hardware.detect import resolve_hardware
from advisor.questionnaire import Answers
from advisor.rules.engine import evaluate
from advisor.rules.facts import build_facts, fact_specs
from advisor.rules.loader import leaves, load_knowledge_base
from advisor.rules.schema import AllOf, AnyOf, Condition, Leaf, NotOf, Rule, ThresholdRef

EDGES = yaml.safe_load((Path(__file__).parent / "data" / "threshold_edges.yaml").read_text(encoding="utf-8"))
NUMERIC_OPS = ("lt", "le", "gt", "ge")
KB = load_knowledge_base()


def _numeric_leaves() -> list[tuple[str, Rule, str, Leaf]]:
    out = []
    for rule in KB.rules:
        for path, leaf in leaves(rule.when, "when"):
            if leaf.op in NUMERIC_OPS or isinstance(leaf.value, ThresholdRef):
                out.append((f"{rule.id} {path}", rule, path, leaf))
    return out


NUMERIC = _numeric_leaves()


def test_every_numeric_test_has_its_edge_written_down() -> None:
    keys = {key for key, *_ in NUMERIC}
    missing = sorted(keys - set(EDGES["leaves"]))
    stale = sorted(set(EDGES["leaves"]) - keys)
    assert not missing, f"add the edge of these tests to tests/data/threshold_edges.yaml: {missing}"
    assert not stale, f"these edges name tests the knowledge base no longer has: {stale}"


def test_every_threshold_is_tested() -> None:
    used = {leaf.value.threshold for *_, leaf in NUMERIC if isinstance(leaf.value, ThresholdRef)}
    untested = set(KB.thresholds) - used - set(EDGES["derived"])
    assert not untested, f"thresholds with no test on either side: {sorted(untested)}"


@pytest.mark.parametrize(("key", "rule", "path", "leaf"), NUMERIC, ids=[key for key, *_ in NUMERIC])
def test_rule_fires_just_inside_the_edge_and_not_just_outside(key: str, rule: Rule, path: str, leaf: Leaf) -> None:
    fact, op, number = EDGES["leaves"][key].split()
    assert fact == leaf.fact, f"{key}: the edge file speaks of {fact}, the rule of {leaf.fact}"
    edge = float(number)
    step = 1 if fact_specs()[fact].kind == "int" else 0.01
    inside, outside = {
        "lt": (edge - step, edge),
        "le": (edge, edge + step),
        "gt": (edge + step, edge),
        "ge": (edge, edge - step),
    }[op]
    if step == 1:
        inside, outside = int(inside), int(outside)
    for value, fires in ((inside, True), (outside, False)):
        facts = _facts_making_true(rule.when, path, "when")
        facts[fact] = value
        _make_siblings_false(rule.when, path, "when", facts)
        outcome = evaluate([rule], facts, KB.thresholds, KB.meta.base_scores).trace[0].outcome
        assert outcome == ("fired" if fires else "not_fired"), f"{key} with {fact}={value}: {outcome}"


def test_corpus_tokens_use_400_tokens_per_page() -> None:
    hardware = resolve_hardware({"gpus": [], "ram_gb": 16})
    assert EDGES["derived"]["tokens_per_page"] == 400
    facts = build_facts(Answers(corpus_size_pages=500), hardware, KB.meta)
    assert facts["corpus_tokens"] == 500 * 400


# --- facts that satisfy a condition ---------------------------------------------------------------


def _facts_making_true(cond: Condition, target: str, path: str) -> dict[str, Any]:
    """Facts under which ``cond`` is true, going through ``target`` where there is a choice."""
    if isinstance(cond, Leaf):
        return {cond.fact: _satisfying(cond, True)}
    if isinstance(cond, AllOf):
        facts: dict[str, Any] = {}
        for i, child in enumerate(cond.all):
            facts.update(_facts_making_true(child, target, f"{path}.all[{i}]"))
        return facts
    if isinstance(cond, AnyOf):
        for i, child in enumerate(cond.any):
            child_path = f"{path}.any[{i}]"
            if target.startswith(child_path):
                return _facts_making_true(child, target, child_path)
        return _facts_making_true(cond.any[0], target, f"{path}.any[0]")
    if isinstance(cond, NotOf):
        return {leaf.fact: _satisfying(leaf, False) for _, leaf in leaves(cond.not_, path)}
    raise TypeError(cond)


def _make_siblings_false(cond: Condition, target: str, path: str, facts: dict[str, Any]) -> None:
    """Where ``target`` sits under an ``any``, make its siblings false so the target alone decides."""
    if isinstance(cond, AllOf):
        for i, child in enumerate(cond.all):
            _make_siblings_false(child, target, f"{path}.all[{i}]", facts)
    elif isinstance(cond, AnyOf) and target.startswith(path):
        for i, child in enumerate(cond.any):
            child_path = f"{path}.any[{i}]"
            if target.startswith(child_path):
                _make_siblings_false(child, target, child_path, facts)
            else:
                for _, leaf in leaves(child, child_path):
                    facts[leaf.fact] = _satisfying(leaf, False)


def _satisfying(leaf: Leaf, want: bool) -> Any:
    spec = fact_specs()[leaf.fact]
    value = KB.thresholds[leaf.value.threshold] if isinstance(leaf.value, ThresholdRef) else leaf.value
    op = leaf.op
    if op in ("is_set", "is_unset"):
        some = {"bool": True, "int": 1, "float": 1.0, "list": ("x",)}.get(
            spec.kind, spec.values[0] if spec.values else 1
        )
        return some if (op == "is_set") == want else None
    if op in NUMERIC_OPS:
        bigger = value + 1 if spec.kind == "int" else value + 0.5
        smaller = value - 1 if spec.kind == "int" else value - 0.5
        true_value = {"lt": smaller, "le": value, "gt": bigger, "ge": value}[op]
        false_value = {"lt": value, "le": bigger, "gt": value, "ge": smaller}[op]
        return true_value if want else false_value
    if spec.kind == "bool":
        return value if (op == "eq") == want else not value
    if spec.kind == "list":
        return (value,) if want else ()
    members = [value] if op in ("eq", "ne") else list(value)
    inside, outside = members[0], next(v for v in spec.values if v not in members)
    positive = op in ("eq", "in")
    return inside if positive == want else outside


@pytest.mark.parametrize(("gap", "defensible"), [(2, True), (3, False)])
def test_alternative_is_defensible_within_two_points_of_the_winner(gap: int, defensible: bool) -> None:
    from advisor.advice import _alternatives
    from advisor.rules.engine import Evaluation

    scores = {"no-llm": -9, "prompting": 5, "rag": 5 - gap, "fine-tuning": -9, "raft": -9}
    ev = Evaluation("prompting", "scores", scores, {}, [], [], ["prompting", "rag"])
    rag = next(alt for alt in _alternatives(ev, []) if alt.approach == "rag")
    assert rag.defensible is defensible
