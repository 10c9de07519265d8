"""Find rules that load fine but cannot do their job: never fire, never reached, or in conflict.

Conditions are small (a handful of facts each), so satisfiability is decided by searching the
combinations of *representative* values per fact, depth first, dropping a branch at the first rule
it breaks: for an enum, the values the rules mention plus
one other; for a number, each compared value and its neighbours; for a boolean, both; and always
"unanswered". This is exact for the operators the engine has, and runs in well under a second.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from advisor.rules.engine import evaluate_condition
from advisor.rules.facts import fact_specs
from advisor.rules.loader import KnowledgeBase, leaves
from advisor.rules.schema import Rule, ThresholdRef

_MAX_COMBINATIONS = 200_000


@dataclass(frozen=True)
class Finding:
    """One lint result."""

    level: Literal["error", "warning"]
    rule: str
    message: str


def lint(kb: KnowledgeBase) -> list[Finding]:
    """Every finding for the knowledge base, errors first."""
    findings: list[Finding] = []
    gates = [rule for rule in kb.rules if rule.kind == "gate"]
    for rule in kb.rules:
        if not _satisfiable([(rule, True)], kb):
            findings.append(
                Finding("error", rule.id, "can never fire: no combination of answers satisfies its condition")
            )
    for index, gate in enumerate(gates):
        earlier = gates[:index]
        if (
            earlier
            and _satisfiable([(gate, True)], kb)
            and not _satisfiable([(gate, True)] + [(g, False) for g in earlier], kb)
        ):
            findings.append(Finding("error", gate.id, "never reached: an earlier gate always fires first"))
    for gate in gates:
        for veto in (rule for rule in kb.rules if rule.kind == "veto"):
            if gate.then.decide in veto.then.exclude and _satisfiable([(gate, True), (veto, True)], kb):
                findings.append(
                    Finding(
                        "error",
                        gate.id,
                        f"conflicts with {veto.id}: it can decide {gate.then.decide}, which that veto excludes",
                    )
                )
    for rule in kb.rules:
        if rule.kind == "score" and all(points == 0 for points in rule.then.score.values()):
            findings.append(Finding("warning", rule.id, "adds no points to any approach"))
    findings.extend(_unused(kb))
    return sorted(findings, key=lambda f: (f.level != "error", f.rule))


def _facts_of(rule: Rule) -> set[str]:
    return {leaf.fact for _, leaf in leaves(rule.when, "when")}


def _unused(kb: KnowledgeBase) -> list[Finding]:
    used_sources = {s for rule in kb.rules for s in rule.sources}
    used_sources |= {s for t in kb.meta.thresholds.values() for s in t.sources}
    used_sources |= set(kb.meta.base_scores_sources)
    used_thresholds = {
        value.threshold
        for rule in kb.rules
        for _, leaf in leaves(rule.when, "when")
        for value in (leaf.value if isinstance(leaf.value, list) else [leaf.value])
        if isinstance(value, ThresholdRef)
    }
    used_thresholds.add("tokens_per_page")  # read by advisor.rules.facts to derive corpus_tokens
    used_techniques = {rule.then.technique for rule in kb.rules if rule.kind == "advice"}
    out = [
        Finding("warning", f"sources.{s}", "source cited by no rule or threshold")
        for s in kb.meta.sources
        if s not in used_sources
    ]
    out += [
        Finding("warning", f"thresholds.{t}", "threshold used by no rule")
        for t in kb.meta.thresholds
        if t not in used_thresholds
    ]
    out += [
        Finding("warning", f"techniques.{t}", "technique added by no rule")
        for t in kb.meta.techniques
        if t not in used_techniques
    ]
    return out


def _satisfiable(wanted: list[tuple[Rule, bool]], kb: KnowledgeBase) -> bool:
    """Whether some answers make each rule's condition come out as wanted (False also matches unknown).

    A depth-first search over the representative values, one fact at a time: each rule is checked
    as soon as every fact it reads has a value, so a branch stops at the first rule it breaks. The
    search is exact; only past ``_MAX_COMBINATIONS`` steps does it give up and assume it can.
    """
    candidates = _candidates([rule for rule, _ in wanted], kb)
    names = sorted(candidates, key=lambda name: -sum(name in _facts_of(rule) for rule, _ in wanted))
    position = {name: index for index, name in enumerate(names)}
    due: dict[int, list[tuple[Rule, bool]]] = {}
    for rule, want in wanted:
        last = max((position[fact] for fact in _facts_of(rule)), default=-1)
        due.setdefault(last, []).append((rule, want))
    facts: dict[str, Any] = {}
    steps = 0

    def holds(level: int) -> bool:
        checks = due.get(level, [])
        return all((evaluate_condition(rule.when, facts, kb.thresholds, []) is True) == want for rule, want in checks)

    def search(level: int) -> bool:
        nonlocal steps
        if level == len(names):
            return True
        for value in candidates[names[level]]:
            steps += 1
            if steps > _MAX_COMBINATIONS:
                raise OverflowError
            facts[names[level]] = value
            if holds(level) and search(level + 1):
                return True
        del facts[names[level]]
        return False

    if not holds(-1):
        return False
    try:
        return search(0)
    except OverflowError:
        return True  # too many to try: assume it can, rather than report a false alarm


def _candidates(rules: list[Rule], kb: KnowledgeBase) -> dict[str, list[Any]]:
    specs = fact_specs()
    mentioned: dict[str, set[Any]] = {}
    for rule in rules:
        for _, leaf in leaves(rule.when, "when"):
            bucket = mentioned.setdefault(leaf.fact, set())
            raw: list[Any] = leaf.value if isinstance(leaf.value, list) else [leaf.value]
            for value in raw:
                if isinstance(value, ThresholdRef):
                    value = kb.thresholds[value.threshold]
                if value is not None:
                    bucket.add(value)
    out: dict[str, list[Any]] = {}
    for fact, values in mentioned.items():
        kind = specs[fact].kind
        if kind == "enum":
            others = [v for v in specs[fact].values if v not in values][:1]
            out[fact] = [None, *sorted(values), *others]
        elif kind == "bool":
            out[fact] = [None, True, False]
        elif kind in ("int", "float"):
            points = sorted({p for v in values for p in (v - 1, v, v + 1) if p >= 0} | {0})
            out[fact] = [None, *points]
        else:  # list facts: each mentioned code alone, and none of them
            out[fact] = [None, (), *[(v,) for v in sorted(values)]]
    return out
