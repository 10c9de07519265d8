"""Load the knowledge base from its YAML files and check it against the facts it may read.

Schema checks (pydantic) catch malformed rules; the checks here catch rules that are well formed
but wrong for this questionnaire: a fact that does not exist, an operator that does not suit the
fact's type, an enum value that is not among the allowed ones, an unknown threshold, source or
technique, a duplicate id. Every error names the file, the rule and the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from advisor.datafiles import PACKAGE_DIR, did_you_mean, read_yaml, validate
from advisor.errors import InputError, InputErrors
from advisor.rules.engine import Evaluation, evaluate
from advisor.rules.facts import FactSpec, fact_specs
from advisor.rules.schema import (
    AllOf,
    AnyOf,
    Condition,
    KnowledgeBaseMeta,
    Leaf,
    NotOf,
    Rule,
    RuleFile,
    ThresholdRef,
)

KB_DIR = PACKAGE_DIR / "rules" / "kb"
META_FILE = "knowledge_base.yaml"
KIND_ORDER = {"gate": 0, "veto": 1, "score": 2, "advice": 3}

_OPS_BY_KIND = {
    "enum": {"eq", "ne", "in", "not_in", "is_set", "is_unset"},
    "int": {"eq", "ne", "in", "not_in", "lt", "le", "gt", "ge", "between", "is_set", "is_unset"},
    "float": {"lt", "le", "gt", "ge", "between", "is_set", "is_unset"},
    "bool": {"eq", "ne", "is_set", "is_unset"},
    "list": {"contains", "is_set", "is_unset"},
    "mapping": {"is_set", "is_unset"},
}


@dataclass(frozen=True)
class KnowledgeBase:
    """The validated knowledge base, ready to evaluate."""

    meta: KnowledgeBaseMeta
    rules: tuple[Rule, ...]
    rule_files: dict[str, str]
    """Rule id -> file it comes from (for lint messages and reports)."""
    sections: dict[str, Any]
    """File name -> LocalizedText title of that section."""
    thresholds: dict[str, float]
    """Threshold name -> value, resolved once at load."""

    @property
    def version(self) -> str:
        return self.meta.kb_version

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def evaluate(self, facts: dict[str, Any]) -> Evaluation:
        """One evaluation pass (see advisor.rules.engine)."""
        return evaluate(list(self.rules), facts, self.thresholds, self.meta.base_scores)


@lru_cache(maxsize=4)
def load_knowledge_base(directory: str | Path | None = None) -> KnowledgeBase:
    """Load and check every YAML file of a knowledge base directory (the shipped one by default)."""
    kb_dir = Path(directory) if directory else KB_DIR
    meta_path = kb_dir / META_FILE
    meta = validate(KnowledgeBaseMeta, read_yaml(meta_path), file=str(meta_path))
    errors: list[InputError] = []
    rules: list[Rule] = []
    origin: dict[str, str] = {}
    sections: dict[str, Any] = {}
    for path in sorted(kb_dir.glob("*.yaml")):
        if path.name == META_FILE:
            continue
        rule_file = validate(RuleFile, read_yaml(path), file=str(path))
        sections[path.name] = rule_file.section
        for index, raw in enumerate(rule_file.rules):
            entry = str(raw.get("id", f"rules[{index}]")) if isinstance(raw, dict) else f"rules[{index}]"
            try:
                rule = validate(Rule, raw, file=str(path), entry=entry)
            except InputErrors as exc:
                errors.extend(exc.errors)
                continue
            if rule.id in origin:
                errors.append(InputError(f"duplicate id, also in {origin[rule.id]}", file=str(path), entry=rule.id))
                continue
            origin[rule.id] = path.name
            errors.extend(check_rule(rule, meta, str(path)))
            if rule.enabled:
                rules.append(rule)
    errors.extend(_check_meta(meta, str(meta_path)))
    if not any(rule.kind == "gate" for rule in rules):
        errors.append(InputError("the knowledge base has no gate rule", file=str(kb_dir)))
    if errors:
        raise InputErrors(errors)
    rules.sort(key=lambda rule: KIND_ORDER[rule.kind])  # stable: file order within a kind
    thresholds = {name: t.value for name, t in meta.thresholds.items()}
    return KnowledgeBase(meta=meta, rules=tuple(rules), rule_files=origin, sections=sections, thresholds=thresholds)


def check_rule(rule: Rule, meta: KnowledgeBaseMeta, file: str) -> list[InputError]:
    """Problems that make ``rule`` wrong for this questionnaire and knowledge base."""
    errors: list[InputError] = []
    specs = fact_specs()

    def err(message: str, field: str) -> None:
        errors.append(InputError(message, file=file, entry=rule.id, field=field))

    for source in rule.sources:
        if source not in meta.sources:
            err(f"unknown source {source!r}" + did_you_mean(source, meta.sources), "sources")
    if rule.kind == "advice" and rule.then.technique not in meta.techniques:
        technique = str(rule.then.technique)
        err(f"unknown technique {technique!r}" + did_you_mean(technique, meta.techniques), "then.technique")
    for field, leaf in leaves(rule.when, "when"):
        spec = specs.get(leaf.fact)
        if spec is None:
            err(f"unknown fact {leaf.fact!r}" + did_you_mean(leaf.fact, specs), f"{field}.fact")
            continue
        if leaf.op not in _OPS_BY_KIND[spec.kind]:
            allowed = ", ".join(sorted(_OPS_BY_KIND[spec.kind]))
            err(
                f"operator {leaf.op!r} does not suit {spec.kind} fact {leaf.fact!r}; use one of {allowed}",
                f"{field}.op",
            )
            continue
        for value in _values(leaf.value):
            problem = _value_problem(spec, value, meta)
            if problem:
                err(problem, f"{field}.value")
    return errors


def leaves(cond: Condition, path: str) -> list[tuple[str, Leaf]]:
    """Every leaf of a condition tree with its location, e.g. ``when.all[1].not``."""
    if isinstance(cond, Leaf):
        return [(path, cond)]
    if isinstance(cond, AllOf):
        return [item for i, child in enumerate(cond.all) for item in leaves(child, f"{path}.all[{i}]")]
    if isinstance(cond, AnyOf):
        return [item for i, child in enumerate(cond.any) for item in leaves(child, f"{path}.any[{i}]")]
    if isinstance(cond, NotOf):
        return leaves(cond.not_, f"{path}.not")
    return []  # pragma: no cover


def _values(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _value_problem(spec: FactSpec, value: Any, meta: KnowledgeBaseMeta) -> str | None:
    if isinstance(value, ThresholdRef):
        if value.threshold not in meta.thresholds:
            return f"unknown threshold {value.threshold!r}" + did_you_mean(value.threshold, meta.thresholds)
        return (
            None
            if spec.kind in ("int", "float")
            else f"a threshold cannot be compared with {spec.kind} fact {spec.name!r}"
        )
    if spec.kind == "enum":
        if value not in spec.values:
            return (
                f"{value!r} is not a value of {spec.name!r}"
                + did_you_mean(str(value), spec.values)
                + f"; allowed: {', '.join(spec.values)}"
            )
    elif spec.kind in ("int", "float"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"{spec.name!r} is a number, got {value!r}"
    elif spec.kind == "bool":
        if not isinstance(value, bool):
            return f"{spec.name!r} is true or false, got {value!r}"
    elif spec.kind == "list" and not isinstance(value, str):
        return f"{spec.name!r} holds codes (strings), got {value!r}"
    return None


def _check_meta(meta: KnowledgeBaseMeta, file: str) -> list[InputError]:
    errors = []
    for name, threshold in meta.thresholds.items():
        for source in threshold.sources:
            if source not in meta.sources:
                errors.append(
                    InputError(
                        f"unknown source {source!r}" + did_you_mean(source, meta.sources),
                        file=file,
                        entry=f"thresholds.{name}",
                        field="sources",
                    )
                )
    for source in meta.base_scores_sources:
        if source not in meta.sources:
            errors.append(InputError(f"unknown source {source!r}", file=file, entry="base_scores_sources"))
    for required in ("tokens_per_page",):
        if required not in meta.thresholds:
            errors.append(InputError("required threshold is missing", file=file, entry=f"thresholds.{required}"))
    return errors
