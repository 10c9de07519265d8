"""The model behind a "no LLM" answer: which small encoder from the catalog, and how big it is.

When the rules settle on no LLM and the plan they give is a classic classifier or a small
fine-tuned encoder (the ``classic-classifier`` technique), naming one from the catalog (CamemBERT
for French text, an English encoder otherwise) and sizing it keeps "no LLM" from reading like "no
model at all" or contradicting its own plan. Selection (advisor.selection) calls ``encoder_note``;
this module only reads the catalog and the answers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from advisor.i18n import LocalizedText, message
from advisor.units import format_bytes, format_number

if TYPE_CHECKING:
    from advisor.catalog.schema import CatalogEntry
    from advisor.questionnaire import Answers

CLASSIC_TECHNIQUE = "classic-classifier"
"""The technique (knowledge base) whose plan is to fine-tune a small encoder."""
FP32_BYTES_PER_PARAM = 4
"""Encoders are small enough to run and train in fp32 (Hugging Face, "Model training anatomy")."""
ADAMW_FULL_FT_BYTES_PER_PARAM = 16
"""fp32 weights 4 + gradients 4 + AdamW states 8 bytes per parameter, before activations (same source)."""


def pick_encoder(task: str | None, languages: Iterable[str], entries: Iterable[CatalogEntry]) -> CatalogEntry | None:
    """The catalog encoder for this task and these languages, or None when none fits.

    French among the languages: an encoder with strong French (CamemBERT). Otherwise an encoder
    trained on English. Among those, the smallest: the rules send a team here for volume, latency
    or the lack of a GPU, and the plan's advice names DistilBERT for English; a larger encoder is an
    upgrade once the baseline is measured.
    """
    encoders = [e for e in entries if e.kind == "encoder" and task in e.tasks]
    if "fr" in set(languages):
        matching = [e for e in encoders if e.french_support == "strong"]
    else:
        matching = [e for e in encoders if "en" in e.languages]
    if not matching:
        return None
    return min(matching, key=lambda e: (e.total_params, e.id))


def encoder_note(
    answers: Answers, approach: str, techniques: Iterable[str], entries: Iterable[CatalogEntry]
) -> LocalizedText | None:
    """What a no-LLM classifier plan fine-tunes, with its size; None when the plan is not an encoder."""
    if approach != "no-llm" or CLASSIC_TECHNIQUE not in set(techniques):
        return None
    entry = pick_encoder(answers.task_type, answers.languages or (), entries)
    if entry is None:
        return None
    params = entry.total_params
    return message(
        "selection.no_llm_encoder",
        name=entry.name,
        model_id=entry.id,
        millions=_localized(format_number, params / 1e6, 0),
        weights=_localized(format_bytes, params * FP32_BYTES_PER_PARAM, 1),
        training=_localized(format_bytes, params * ADAMW_FULL_FT_BYTES_PER_PARAM, 1),
    )


def _localized(formatter: object, value: float, decimals: int) -> LocalizedText:
    return LocalizedText(en=formatter(value, "en", decimals), fr=formatter(value, "fr", decimals))  # type: ignore[operator]
