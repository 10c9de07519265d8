"""Facts: what the rules may read, with their types, built from the answers and the hardware.

The questionnaire keys are facts as given. A few more are derived (corpus size in tokens, GPU
memory, whether a language is poorly served by today's models) so that rules stay declarative: a
rule compares a fact with a value, it never computes. Unanswered questions stay ``None``, which
the engine treats as *unknown*, never as false.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal, get_args

from advisor.questionnaire import Answers, choices_of, mapping_of
from advisor.units import GIB

if TYPE_CHECKING:
    from advisor.hardware.profile import HardwareProfile
    from advisor.rules.schema import KnowledgeBaseMeta

FactKind = Literal["enum", "int", "float", "bool", "list", "mapping"]


@dataclass(frozen=True)
class FactSpec:
    """Type of a fact, used to check rules at load (operator suits type, value is allowed)."""

    name: str
    kind: FactKind
    values: tuple[str, ...] = ()
    derived: bool = False
    doc: str = ""


_DERIVED = (
    FactSpec("corpus_tokens", "int", derived=True, doc="corpus_size_pages x tokens_per_page"),
    FactSpec("has_gpu", "bool", derived=True, doc="at least one usable GPU"),
    FactSpec("gpu_count", "int", derived=True, doc="usable GPUs"),
    FactSpec("max_gpu_vram_gb", "float", derived=True, doc="usable GiB on the largest usable GPU"),
    FactSpec("total_gpu_vram_gb", "float", derived=True, doc="usable GiB over all usable GPUs"),
    FactSpec("ram_gb", "float", derived=True, doc="system RAM in GiB"),
    FactSpec("rare_language", "bool", derived=True, doc="a language outside well_served_languages"),
    FactSpec("on_device", "bool", derived=True, doc="deployment_target is laptop or mobile_edge"),
)
TRIED_OUTCOMES = ("not_tried", "insufficient", "good_enough")
"""Values of the ``tried_<approach>`` facts; ``not_tried`` only once ``already_tried`` was answered."""


def tried_fact(approach: str) -> str:
    """``fine-tuning`` -> ``tried_fine_tuning``: one enum fact per approach of ``already_tried``."""
    return "tried_" + approach.replace("-", "_")


def _tried_specs() -> tuple[FactSpec, ...]:
    mapping = mapping_of("already_tried")
    approaches = mapping[0] if mapping else ()
    return tuple(
        FactSpec(tried_fact(a), "enum", TRIED_OUTCOMES, derived=True, doc=f"already_tried: how {a} went")
        for a in approaches
    )


@lru_cache(maxsize=1)
def fact_specs() -> dict[str, FactSpec]:
    """Every fact a rule may read: the questionnaire keys, then the derived facts."""
    specs: dict[str, FactSpec] = {}
    for name, field in Answers.model_fields.items():
        values = choices_of(name)
        if mapping_of(name) is not None:
            kind: FactKind = "mapping"  # rules read it through its derived facts (tried_prompting, ...)
        elif values:
            kind = "enum"
        else:
            base = {arg for arg in get_args(field.annotation) if arg is not type(None)}
            if bool in base:
                kind = "bool"
            elif int in base:
                kind = "int"
            else:
                kind = "list"
        specs[name] = FactSpec(name, kind, tuple(values), doc=field.description or "")
    for spec in (*_DERIVED, *_tried_specs()):
        specs[spec.name] = spec
    return specs


def build_facts(answers: Answers, hardware: HardwareProfile, meta: KnowledgeBaseMeta) -> dict[str, Any]:
    """All facts for one evaluation; unanswered ones are ``None`` (unknown)."""
    facts: dict[str, Any] = dict(answers)
    pages = answers.corpus_size_pages
    tokens_per_page = meta.thresholds["tokens_per_page"].value
    facts["corpus_tokens"] = None if pages is None else int(pages * tokens_per_page)
    usable = hardware.usable_gpus
    facts["has_gpu"] = bool(usable)
    facts["gpu_count"] = len(usable)
    facts["max_gpu_vram_gb"] = round(hardware.max_gpu_usable_bytes / GIB, 2)
    facts["total_gpu_vram_gb"] = round(hardware.total_gpu_usable_bytes / GIB, 2)
    facts["ram_gb"] = round(hardware.ram_bytes / GIB, 2) if hardware.ram_bytes else None
    languages = answers.languages
    well_served = meta.well_served_languages
    facts["rare_language"] = None if languages is None else any(code not in well_served for code in languages)
    target = answers.deployment_target
    facts["on_device"] = None if target is None else target in ("laptop", "mobile_edge")
    tried = answers.already_tried
    for spec in _tried_specs():
        approach = spec.name.removeprefix("tried_").replace("_", "-")
        facts[spec.name] = None if tried is None else tried.get(approach, "not_tried")  # type: ignore[call-overload]
    return facts
