"""The result a team gets: approach, reasons, alternatives, plan, model, memory, and how it was reached.

One pydantic model serves every front end: the CLI prints it or dumps it as JSON, the report
renders it in English or French, the terminal app shows it. Texts are stored in both languages
so the same result can be read by anyone on the team.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from advisor.hardware import HardwareProfile
from advisor.i18n import Lang, LocalizedText
from advisor.questionnaire import Answers
from advisor.rules.engine import RuleTrace
from advisor.rules.schema import Approach

SCHEMA_VERSION = 1


class SourceRef(BaseModel):
    """A source a rule rests on."""

    id: str
    title: str
    locator: str


class Reason(BaseModel):
    """A rule that fired and counted in the decision."""

    id: str = Field(description="Rule id, e.g. SCORE-RAG-FRESH-KNOWLEDGE.")
    kind: Literal["gate", "veto", "score", "advice"]
    text: LocalizedText = Field(description="The reason in plain words.")
    effect: str = Field(description="What it did: 'decides no-llm', 'excludes fine-tuning', 'rag +3'.")
    facts: dict[str, Any] = Field(description="The facts it read, with their values.")
    sources: list[SourceRef]


class Alternative(BaseModel):
    """Another approach, and why it ranks lower."""

    approach: Approach
    status: Literal["excluded", "set_aside_by_gate", "ranked_lower"]
    defensible: bool = Field(description="Worth considering: named by a gate, or close in score and not ruled out.")
    score: int
    rules: list[str] = Field(description="Ids of the vetoes or gate behind the status.")
    why: LocalizedText


class FollowUpQuestion(BaseModel):
    """An unanswered question that rules needed, and what answering it could change."""

    key: str = Field(description="Questionnaire key.")
    question: LocalizedText
    rules: list[str] = Field(description="Rules left not evaluated for lack of this answer.")
    could: list[LocalizedText] = Field(description="What each of those rules would do if it fired.")
    weight: int = Field(description="How much the answer can move the decision (gates first).")


class Technique(BaseModel):
    """A technique detail for the chosen plan, from an advice rule."""

    id: str
    name: LocalizedText
    text: LocalizedText
    rule: str
    sources: list[SourceRef]


class Versions(BaseModel):
    """What produced this result, for reproducibility."""

    advisor: str
    knowledge_base: str
    catalog: str | None = None


class Recommendation(BaseModel):
    """What llm-advisor recommends for one use case on one machine, with the reasons."""

    schema_version: int = SCHEMA_VERSION
    approach: Approach = Field(description="no-llm | prompting | rag | fine-tuning | raft.")
    decided_by: str = Field(description="The gate that settled the approach, or 'scores'.")
    reasons: list[Reason] = Field(description="The rules that fired and counted, decisive ones first.")
    alternatives: list[Alternative] = Field(description="The other approaches, defensible ones first.")
    follow_up_questions: list[FollowUpQuestion] = Field(
        description="Unanswered questions that matter, most telling first."
    )
    techniques: list[Technique] = Field(description="How to carry out the chosen approach.")
    scores: dict[Approach, int]
    excluded: dict[Approach, list[str]]
    model: Any = Field(None, description="Chosen catalog model with runner-ups (None for no-llm).")
    quantization: str | None = Field(None, description="e.g. bf16, int8, nf4, awq-int4, gguf-q4_k_m.")
    memory: Any = Field(None, description="Memory estimate of the chosen plan, in bytes, with its breakdown.")
    selection_note: LocalizedText | None = Field(None, description="Why model fields are empty, when they are.")
    answers: Answers
    hardware: HardwareProfile
    versions: Versions
    trace: list[RuleTrace] = Field(description="Every rule of the knowledge base as evaluated.")
    smoke: Any = Field(None, description="Smoke-test result, when one was run.")

    def to_markdown(self, lang: Lang = "en") -> str:
        """The justification report in English or French."""
        from advisor.report import render_markdown

        return render_markdown(self, lang=lang)
