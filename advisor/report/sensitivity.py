"""Which single answer would change the recommended approach.

A decision that flips when one answer moves is a decision the team should double-check before
acting on it, so the report shows those answers next to the reasons. The search is exhaustive and
cheap: the engine is re-run with one answer changed at a time, over every value the rules can tell
apart (each choice of an enum, both booleans, and for integers the values just below, at and just
above each number a rule compares them with). Lists (languages, licences) are left out: their
values are open-ended, and the rules read them only through derived facts.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from advisor.hardware.profile import HardwareProfile
from advisor.questionnaire import QUESTION_KEYS, Answers, choices_of, mapping_of
from advisor.rules.facts import build_facts, fact_specs
from advisor.rules.loader import KnowledgeBase, leaves, load_knowledge_base
from advisor.rules.schema import Approach, ThresholdRef

# Derived integer facts that stand for a questionnaire key, and how to turn the fact's value back
# into an answer (corpus_tokens = corpus_size_pages x tokens_per_page).
_DERIVED_INT = {"corpus_tokens": ("corpus_size_pages", "tokens_per_page")}


class Flip(BaseModel):
    """One answer that, alone, changes the approach."""

    model_config = ConfigDict(frozen=True)

    key: str = Field(description="Questionnaire key.")
    current: Any = Field(description="The answer given; None when the question was not answered.")
    value: Any = Field(description="The answer that changes the decision.")
    approach: Approach = Field(description="The approach the engine then recommends.")
    decided_by: str = Field(description="The gate that then settles it, or 'scores'.")


def flips(
    answers: Answers | dict[str, Any],
    hardware: HardwareProfile | dict[str, Any],
    *,
    knowledge_base: KnowledgeBase | None = None,
) -> list[Flip]:
    """Every single-answer change that changes the approach, in questionnaire order.

    Unanswered questions are included: answering them is a change too, and often the cheapest one.
    """
    kb = knowledge_base or load_knowledge_base()
    parsed = answers if isinstance(answers, Answers) else Answers.model_validate(answers)
    profile = hardware if isinstance(hardware, HardwareProfile) else _profile(hardware)
    base = kb.evaluate(build_facts(parsed, profile, kb.meta)).approach
    numbers = _numbers_compared(kb)
    out: list[Flip] = []
    for key in QUESTION_KEYS:
        current = getattr(parsed, key)
        mapping = mapping_of(key)
        if mapping is not None:  # already_tried: one more approach with its outcome, the rest kept
            tried = [{**(current or {}), k: v} for k in mapping[0] for v in mapping[1]]
        else:
            tried = candidate_values(key, numbers.get(key, ()))
        for value in tried:
            if value == current:
                continue
            changed = parsed.model_copy(update={key: value})
            evaluation = kb.evaluate(build_facts(changed, profile, kb.meta))
            if evaluation.approach != base:
                out.append(
                    Flip(
                        key=key,
                        current=current,
                        value=value,
                        approach=evaluation.approach,
                        decided_by=evaluation.decided_by,
                    )
                )
    return out


def candidate_values(key: str, numbers: tuple[float, ...] = ()) -> list[Any]:
    """The values of ``key`` worth trying: every value the rules can tell apart."""
    choices = choices_of(key)
    if choices:
        return list(choices)
    kind = fact_specs()[key].kind
    if kind == "bool":
        return [True, False]
    if kind == "int":
        minimum = _minimum(key)
        values: set[int] = set()
        for number in numbers:
            # lt/le/gt/ge/eq against n: n - 1, n and n + 1 land on each side of every comparison.
            for candidate in (int(number) - 1, int(number), int(number) + 1):
                if candidate >= minimum:
                    values.add(candidate)
        return sorted(values)
    return []


def candidates_for(key: str, knowledge_base: KnowledgeBase | None = None) -> list[Any]:
    """The values ``flips`` tries for ``key`` with this knowledge base."""
    kb = knowledge_base or load_knowledge_base()
    return candidate_values(key, _numbers_compared(kb).get(key, ()))


def _numbers_compared(kb: KnowledgeBase) -> dict[str, tuple[float, ...]]:
    """Questionnaire key -> the numbers rules compare it with (thresholds resolved)."""
    found: dict[str, set[float]] = {}
    for rule in kb.rules:
        for _, leaf in leaves(rule.when, "when"):
            values = leaf.value if isinstance(leaf.value, list) else [leaf.value]
            for value in values:
                number = kb.thresholds[value.threshold] if isinstance(value, ThresholdRef) else value
                if isinstance(number, bool) or not isinstance(number, (int, float)):
                    continue
                key, scale = leaf.fact, 1.0
                if leaf.fact in _DERIVED_INT:
                    key, per = _DERIVED_INT[leaf.fact]
                    scale = 1.0 / kb.thresholds[per]
                if key in QUESTION_KEYS:
                    found.setdefault(key, set()).add(number * scale)
    return {key: tuple(sorted(values)) for key, values in found.items()}


def _minimum(key: str) -> int:
    for meta in Answers.model_fields[key].metadata:
        bound = getattr(meta, "ge", None)
        if bound is not None:
            return int(bound)
    return 0


def _profile(hardware: dict[str, Any]) -> HardwareProfile:
    from advisor.hardware.profile import profile_from_override

    return profile_from_override(hardware)
