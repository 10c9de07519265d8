"""Evaluate the knowledge base over a set of facts, in one flat, deterministic pass.

The order of play is fixed and explained in every result:
1. gates, in file order: the first that fires settles the approach;
2. vetoes: every one that fires removes approaches;
3. scores: the points of every fired score rule are summed per approach, on top of base scores;
   a score rule whose every favoured approach was vetoed is moot and scores nothing (its
   penalties only expressed a preference for what can no longer be chosen); the best remaining
   approach that something supports (a positive base score or a rule's points) wins, a tie going
   to the simpler one (APPROACHES order): an approach with no reason behind it never wins over
   one the answers support;
4. advice rules add technique details to the plan of the approaches they apply to.

Conditions use three-valued (Kleene) logic: a fact that was not answered is *unknown*, and a rule
whose condition is unknown is reported as not evaluated, with the facts it lacked, instead of
being silently treated as false. Every rule appears in the trace with the facts it read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from advisor.rules.schema import APPROACHES, AllOf, AnyOf, Approach, Condition, Leaf, NotOf, Rule, ThresholdRef

Outcome = Literal["fired", "not_fired", "not_evaluated", "not_reached"]


# Plain slotted dataclasses rather than pydantic models: one evaluation creates a hundred of them
# and the terminal app evaluates on every keystroke. pydantic still serialises them inside a
# Recommendation (model_dump, JSON schema).


FactValue = bool | int | float | str | tuple[str, ...] | None
"""What a fact holds once built from the answers and the hardware (lists are kept as tuples)."""
TestValue = bool | int | float | str | list[str] | list[int] | list[float] | None
"""What a rule compares a fact with, its threshold already resolved."""


@dataclass(slots=True)
class LeafTrace:
    """One test as evaluated: the fact, what it was compared with, its value, and the result
    (True, False, or None when the fact is unknown)."""

    fact: str
    op: str
    value: TestValue
    actual: FactValue
    result: bool | None


@dataclass(slots=True)
class RuleTrace:
    """One rule as evaluated: ``applied`` says whether its effect counted in the decision; ``facts``
    holds the facts it read with their values; ``missing`` the unknown facts that left it not
    evaluated; ``tests`` each test of its condition; ``set_aside_by`` the vetoes that made a fired
    score rule moot (it then does not apply)."""

    id: str
    kind: str
    outcome: Outcome
    applied: bool
    facts: dict[str, FactValue] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    tests: list[LeafTrace] = field(default_factory=list)
    set_aside_by: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Evaluation:
    """The outcome of one pass: the approach, the gate that settled it (or 'scores'), the scores,
    the vetoes that excluded each approach, and every rule as evaluated."""

    approach: Approach
    decided_by: str
    scores: dict[Approach, int]
    excluded: dict[Approach, list[str]]
    gate_alternatives: list[Approach]
    trace: list[RuleTrace]
    supported: list[Approach] = field(default_factory=list)
    """Approaches with a reason behind them: a positive base score or points from an applied rule."""


def evaluate(
    rules: list[Rule], facts: dict[str, Any], thresholds: dict[str, float], base_scores: dict[Approach, int]
) -> Evaluation:
    """One pass over ``rules`` (already validated and ordered: gates first, in file order)."""
    trace: list[RuleTrace] = []
    gate: Rule | None = None
    scores: dict[Approach, int] = {a: base_scores.get(a, 0) for a in APPROACHES}
    excluded: dict[Approach, list[str]] = {}
    fired_advice: list[tuple[RuleTrace, Rule]] = []
    supported: set[Approach] = {a for a in APPROACHES if base_scores.get(a, 0) > 0}
    for rule in rules:
        if rule.kind == "gate" and gate is not None:
            trace.append(RuleTrace(rule.id, rule.kind, "not_reached", False))
            continue
        tests: list[LeafTrace] = []
        result = evaluate_condition(rule.when, facts, thresholds, tests)
        outcome: Outcome = "fired" if result is True else "not_fired" if result is False else "not_evaluated"
        applied = outcome == "fired" and rule.kind != "advice"
        set_aside_by: list[str] = []
        if outcome == "fired" and rule.kind == "score":
            set_aside_by = moot_by(rule, excluded)
            applied = not set_aside_by
        if applied:
            if rule.kind == "gate":
                gate = rule
            elif rule.kind == "veto":
                for vetoed in rule.then.exclude:
                    excluded.setdefault(vetoed, []).append(rule.id)
            elif rule.kind == "score":
                for favoured, points in rule.then.score.items():
                    scores[favoured] += points
                    if points > 0:
                        supported.add(favoured)
        entry = RuleTrace(
            id=rule.id,
            kind=rule.kind,
            outcome=outcome,
            applied=applied,
            facts={t.fact: t.actual for t in tests},
            missing=sorted({t.fact for t in tests if t.result is None}) if result is None else [],
            tests=tests,
            set_aside_by=set_aside_by,
        )
        trace.append(entry)
        if rule.kind == "advice" and outcome == "fired":
            fired_advice.append((entry, rule))
    if gate is not None:
        approach: Approach = gate.then.decide  # type: ignore[assignment]
        decided_by = gate.id
        gate_alternatives = [a for a in gate.then.alternatives if a not in excluded]
    else:
        approach = best_approach(scores, excluded, supported)
        decided_by = "scores"
        gate_alternatives = []
    for entry, rule in fired_advice:  # advice counts only for the plan that was chosen
        entry.applied = approach in rule.then.applies_to
    return Evaluation(
        approach=approach,
        decided_by=decided_by,
        scores=scores,
        excluded=excluded,
        gate_alternatives=gate_alternatives,
        trace=trace,
        supported=[a for a in APPROACHES if a in supported],
    )


def moot_by(rule: Rule, excluded: dict[Approach, list[str]]) -> list[str]:
    """The vetoes that leave a score rule nothing to argue for, or [] when it still counts.

    A score rule argues for the approaches it gives points to; when every one of them is vetoed,
    its penalties on the others only expressed that preference and must not decide anything
    (retrieval vetoed: "the corpus must be retrieved" no longer takes points from prompting). A
    rule that only penalises stays in force unless everything it touches is vetoed.
    """
    favoured = [a for a, points in rule.then.score.items() if points > 0] or list(rule.then.score)
    if not favoured or any(a not in excluded for a in favoured):
        return []
    return sorted({veto for a in favoured for veto in excluded[a]})


def best_approach(
    scores: dict[Approach, int], excluded: dict[Approach, Any], supported: set[Approach] | None = None
) -> Approach:
    """Highest score among approaches not excluded that something supports; ties go to the simpler.

    ``supported`` None means every approach counts as supported (the plain ranking).
    """
    remaining = [a for a in APPROACHES if a not in excluded] or ["prompting"]
    if supported is not None:
        remaining = [a for a in remaining if a in supported] or remaining
    return max(remaining, key=lambda a: (scores[a], -APPROACHES.index(a)))


def evaluate_condition(
    cond: Condition, facts: dict[str, Any], thresholds: dict[str, float], out: list[LeafTrace]
) -> bool | None:
    if isinstance(cond, Leaf):
        value = _resolve(cond.value, thresholds)
        actual = facts.get(cond.fact)
        result = _test(cond.op, actual, value)
        out.append(LeafTrace(cond.fact, cond.op, value, actual, result))
        return result
    if isinstance(cond, AllOf):
        results = [evaluate_condition(child, facts, thresholds, out) for child in cond.all]
        if False in results:
            return False
        return None if None in results else True
    if isinstance(cond, AnyOf):
        results = [evaluate_condition(child, facts, thresholds, out) for child in cond.any]
        if True in results:
            return True
        return None if None in results else False
    if isinstance(cond, NotOf):
        inner = evaluate_condition(cond.not_, facts, thresholds, out)
        return None if inner is None else not inner
    raise TypeError(f"unknown condition {cond!r}")  # pragma: no cover - the schema forbids it


def _resolve(value: Any, thresholds: dict[str, float]) -> Any:
    if isinstance(value, ThresholdRef):
        return thresholds[value.threshold]
    if isinstance(value, list):
        return [_resolve(item, thresholds) for item in value]
    return value


def _test(op: str, actual: Any, value: Any) -> bool | None:
    if op == "is_set":
        return actual is not None
    if op == "is_unset":
        return actual is None
    if actual is None:
        return None
    if op == "eq":
        return bool(actual == value)
    if op == "ne":
        return bool(actual != value)
    if op == "in":
        return bool(actual in value)
    if op == "not_in":
        return bool(actual not in value)
    if op == "lt":
        return bool(actual < value)
    if op == "le":
        return bool(actual <= value)
    if op == "gt":
        return bool(actual > value)
    if op == "ge":
        return bool(actual >= value)
    if op == "between":
        return bool(value[0] <= actual <= value[1])
    if op == "contains":
        return value in actual
    raise ValueError(f"unknown operator {op!r}")  # pragma: no cover - the schema forbids it
