"""How published benchmark figures become the catalog's 0-100 quality scores.

Labs publish different benchmarks in different settings, so a score is only comparable across
families when every family's score for a task rests on the same benchmark. Each task therefore has
one anchor benchmark; a figure's value is corrected for chance (what random answers score) and
rescaled to 0-100:

    normalised = 100 x (value - chance) / (100 - chance)

and the task's score is the mean of the normalised anchor figures listed (several when two sources
publish the same benchmark). A family that does not publish the anchor stays unrated for that task
rather than being converted from another benchmark.

A language score (``language_quality``) rests on MMLU translated into that language (MMMLU,
Global-MMLU, a model card's per-language MMLU): the same questions as the general anchor's, so the
same chance correction (25 %) puts them on the same scale; ``quality_score`` then caps a task's
score by it.

The catalog header (models.yaml) repeats this in words; ``tests/test_catalog_quality.py`` checks
that every score in the catalog is what these functions compute from its figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from advisor.catalog.schema import QualityFigure, QualityTask

ANCHORS: dict[str, tuple[str, float]] = {
    "general": ("MMLU-Redux", 25.0),  # four options per question: chance is 25 %
    "code": ("LiveCodeBench", 0.0),  # pass@1 on programs written after the training cut-off
    "reasoning": ("MATH", 0.0),  # MATH or its MATH-500 subset, exact final answers
    "instruction_following": ("IFEval", 0.0),  # strict prompt-level accuracy
    "long_context": ("RULER", 0.0),
}
"""Task -> (anchor benchmark, chance level in %). A figure counts when its benchmark name is the
anchor's name followed by nothing, a space or '-500' (``MMLU-Redux``, ``MATH-500 (thinking mode)``)."""

LANGUAGE_ANCHORS = ("MMMLU", "Global-MMLU", "MMLU")
"""Translated MMLU, named so; ``MMLU-Pro``, ``MMLU-ProX`` and ``Global-MMLU-Lite`` are other scales."""
LANGUAGE_CHANCE = 25.0

PRECISION = 1
"""Scores are rounded to one decimal: the figures themselves are published with one or two."""


def is_anchor(task: QualityTask | str, benchmark: str) -> bool:
    """Whether ``benchmark`` is the anchor of ``task`` (``MMLU`` is not ``MMLU-Pro``'s anchor)."""
    name = ANCHORS[task][0]
    if not benchmark.startswith(name):
        return False
    rest = benchmark[len(name) :]
    return rest == "" or rest.startswith(" ") or rest.startswith("-500")


def normalise(task: QualityTask | str, value: float) -> float:
    """One anchor figure on the 0-100 scale: chance gives 0, a perfect result 100."""
    chance = ANCHORS[task][1]
    return min(100.0, max(0.0, 100.0 * (value - chance) / (100.0 - chance)))


def task_score(task: QualityTask | str, figures: Sequence[QualityFigure]) -> float:
    """The score for ``task`` from its figures; ValueError when one is not the task's anchor."""
    for figure in figures:
        if not is_anchor(task, figure.benchmark):
            raise ValueError(
                f"{figure.benchmark!r} is not the anchor of {task!r} ({ANCHORS[task][0]}); "
                "other benchmarks do not convert to the common scale"
            )
    values = [normalise(task, figure.value) for figure in figures]
    return round(sum(values) / len(values), PRECISION)


def is_language_anchor(benchmark: str) -> bool:
    """Whether ``benchmark`` is translated MMLU (``MMMLU (fr)``, ``MMLU 5-shot (fr)``)."""
    for name in LANGUAGE_ANCHORS:
        rest = benchmark[len(name) :] if benchmark.startswith(name) else None
        if rest is not None and (rest == "" or rest.startswith(" ")):
            return True
    return False


def language_score(figures: Sequence[QualityFigure]) -> float:
    """The score of general use in one language: chance-corrected translated MMLU, averaged."""
    for figure in figures:
        if not is_language_anchor(figure.benchmark):
            raise ValueError(
                f"{figure.benchmark!r} is not translated MMLU ({', '.join(LANGUAGE_ANCHORS)}); "
                "a language score rests on the general anchor's questions"
            )
    values = [min(100.0, max(0.0, 100.0 * (f.value - LANGUAGE_CHANCE) / (100.0 - LANGUAGE_CHANCE))) for f in figures]
    return round(sum(values) / len(values), PRECISION)
