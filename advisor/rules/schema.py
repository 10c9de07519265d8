"""The shape of the knowledge base: rules, conditions, thresholds and sources, checked at load.

Rules are data that domain experts edit, so everything a typo could break is caught here, before
any evaluation: unknown facts, operators that do not suit a fact's type, enum values that do not
exist, unknown thresholds, approaches or sources, duplicate ids. Conditions are declarative trees
(``all`` / ``any`` / ``not`` over ``{fact, op, value}``) and are never ``eval``'d.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator, model_validator

from advisor.i18n import LocalizedText

Approach = Literal["no-llm", "prompting", "rag", "fine-tuning", "raft"]
APPROACHES: tuple[Approach, ...] = ("no-llm", "prompting", "rag", "fine-tuning", "raft")
"""Also the tie-break order: the simpler approach wins a tie (every vendor guide says start simple)."""

RuleKind = Literal["gate", "veto", "score", "advice"]
Operator = Literal["eq", "ne", "in", "not_in", "lt", "le", "gt", "ge", "between", "contains", "is_set", "is_unset"]
_RULE_ID = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")


class ThresholdRef(BaseModel):
    """``{threshold: name}``: a named number from the knowledge base, so experts tune it in one place."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    threshold: str


Scalar = ThresholdRef | bool | int | float | str
Value = Scalar | list[Scalar] | None


class Leaf(BaseModel):
    """One test of one fact: ``{fact: labelled_examples, op: ge, value: {threshold: ft_min_examples}}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    fact: str
    op: Operator
    value: Value = None

    @model_validator(mode="after")
    def _value_matches_operator(self) -> Leaf:
        needs_value = self.op not in ("is_set", "is_unset")
        if needs_value and self.value is None:
            raise ValueError(f"operator {self.op!r} needs a value")
        if not needs_value and self.value is not None:
            raise ValueError(f"operator {self.op!r} takes no value")
        if self.op in ("in", "not_in") and not isinstance(self.value, list):
            raise ValueError(f"operator {self.op!r} needs a list of values")
        if self.op == "between" and not (isinstance(self.value, list) and len(self.value) == 2):
            raise ValueError("operator 'between' needs [low, high]")
        return self


class AllOf(BaseModel):
    """True when every child is true (Kleene logic: unknown if none is false and one is unknown)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    all: list[Condition]


class AnyOf(BaseModel):
    """True when one child is true (Kleene logic: unknown if none is true and one is unknown)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    any: list[Condition] = Field(min_length=1)


class NotOf(BaseModel):
    """Negation; unknown stays unknown."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    not_: Condition = Field(alias="not")


def _condition_kind(data: Any) -> str:
    # Pick the member from the keys written, so an error speaks of that member only instead of
    # listing why the text is not each of the four.
    if isinstance(data, dict):
        for key in ("all", "any", "not"):
            if key in data:
                return key
        return "leaf"
    kinds: dict[type, str] = {AllOf: "all", AnyOf: "any", NotOf: "not"}
    return kinds.get(type(data), "leaf")


Condition = Annotated[
    Annotated[Leaf, Tag("leaf")]
    | Annotated[AllOf, Tag("all")]
    | Annotated[AnyOf, Tag("any")]
    | Annotated[NotOf, Tag("not")],
    Discriminator(_condition_kind),
]
AllOf.model_rebuild()
AnyOf.model_rebuild()
NotOf.model_rebuild()


class Effect(BaseModel):
    """What a fired rule does; which fields are allowed depends on the rule kind."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    decide: Approach | None = Field(None, description="gate: the approach this gate settles on.")
    alternatives: list[Approach] = Field(default_factory=list, description="gate: approaches still worth naming.")
    exclude: list[Approach] = Field(default_factory=list, description="veto: approaches ruled out.")
    score: dict[Approach, int] = Field(default_factory=dict, description="score: points added per approach.")
    applies_to: list[Approach] = Field(
        default_factory=list, description="advice: the approaches whose plan this technique belongs to."
    )
    technique: str | None = Field(None, description="advice: technique id (lowercase, dashes).")


class Rule(BaseModel):
    """One rule of the knowledge base."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(description="Stable id, e.g. GATE-NO-NLU; cited in reports.")
    kind: RuleKind = Field(description="gate settles, veto excludes, score weighs, advice adds a technique.")
    text: LocalizedText = Field(description="The reason in plain words, shown when the rule fires.")
    when: Condition
    then: Effect
    sources: list[str] = Field(min_length=1, description="Ids of the sources this rule rests on.")
    enabled: bool = True

    @field_validator("id")
    @classmethod
    def _id_format(cls, value: str) -> str:
        if not _RULE_ID.match(value):
            raise ValueError(f"{value!r} is not a rule id (upper case words joined by dashes, e.g. VETO-FT-SKILLS)")
        return value

    @model_validator(mode="after")
    def _effect_fits_kind(self) -> Rule:
        effect = self.then
        allowed = {
            "gate": {"decide", "alternatives"},
            "veto": {"exclude"},
            "score": {"score"},
            "advice": {"applies_to", "technique"},
        }[self.kind]
        used = {name for name in effect.model_fields_set if getattr(effect, name)}
        extra = used - allowed
        if extra:
            raise ValueError(f"a {self.kind} rule cannot use {sorted(extra)} in 'then'")
        required = {"gate": "decide", "veto": "exclude", "score": "score", "advice": "technique"}[self.kind]
        if required not in used:
            raise ValueError(f"a {self.kind} rule needs 'then.{required}'")
        if self.kind == "advice" and not effect.applies_to:
            raise ValueError("an advice rule needs 'then.applies_to'")
        return self


class Source(BaseModel):
    """A publication, guide section or vendor page a rule rests on."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    title: str
    locator: str = Field(description="Where to find it: URL, arXiv id, or the guide's section.")


class Threshold(BaseModel):
    """A named number the rules compare facts with, and where the number comes from."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    value: int | float
    unit: str = ""
    why: str = Field(description="How the value was chosen.")
    sources: list[str] = Field(min_length=1)


class RuleFile(BaseModel):
    """One YAML file of rules (one section of the knowledge base)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    section: LocalizedText
    rules: list[dict[str, Any]] = Field(description="Validated one by one so errors name the rule.")


class KnowledgeBaseMeta(BaseModel):
    """``kb/knowledge_base.yaml``: version, base scores, thresholds, vocabulary and sources."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kb_version: str
    base_scores: dict[Approach, int]
    base_scores_why: LocalizedText
    base_scores_sources: list[str] = Field(min_length=1)
    thresholds: dict[str, Threshold]
    fallbacks: dict[Approach, list[Approach]] = Field(
        default_factory=dict, description="Approaches always worth naming when another wins (RAFT -> RAG)."
    )
    fallbacks_why: LocalizedText | None = None
    well_served_languages: list[str] = Field(description="Languages today's open models serve well.")
    techniques: dict[str, LocalizedText] = Field(description="Short name of each technique an advice rule adds.")
    sources: dict[str, Source]
