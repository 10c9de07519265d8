"""What a catalog entry must say about a model, checked when the catalog loads.

Selection and the memory estimator trust these facts blindly, so the schema refuses what would
silently skew a plan: an unknown quantization name, active parameters above the total, an
architecture without its ``model_type``, a text meant for users in one language only.

``config`` keeps the key names of the model's own ``config.json``: the estimator reads a catalog
entry, a downloaded config or a user's local model through the same code, and transformers can
rebuild the model from it (which is how ``tests/test_catalog_params.py`` proves ``total_params``).
"""

from __future__ import annotations

import re
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from advisor.datafiles import excerpt
from advisor.i18n import LocalizedText
from advisor.questionnaire import TaskType, language_codes
from advisor.repo_ids import is_valid_repo_id

Kind = Literal["decoder", "encoder", "encoder-decoder", "ssm", "hybrid", "embedding"]
FrenchSupport = Literal["none", "basic", "good", "strong"]
ParamsSource = Literal["transformers", "published"]
QualityTask = Literal["general", "code", "reasoning", "long_context", "instruction_following"]
"""What a quality score measures: general use and chat, code, reasoning and maths, long-context and
RAG faithfulness, following instructions (formats, constraints)."""

# The quantization names of the contract (DESIGN.md, issue 3), as the catalog's published formats may
# name them. data/quantizations.yaml (advisor.quantization) owns their bits per weight and the ladder
# selection walks; tests/test_memory.py checks the two lists name the same formats.
Quantization = Literal[
    "fp32",
    "fp16",
    "bf16",
    "fp8",
    "int8",
    "nf4",
    "nf4-dq",
    "gptq-int8",
    "gptq-int4",
    "awq-int4",
    "mxfp4",
    "gguf-q8_0",
    "gguf-q6_k",
    "gguf-q5_k_m",
    "gguf-q4_k_m",
    "gguf-q4_0",
    "gguf-q3_k_m",
    "gguf-q2_k",
]
QUANTIZATIONS: tuple[str, ...] = get_args(Quantization)
KINDS: tuple[str, ...] = get_args(Kind)
FRENCH_LEVELS: tuple[str, ...] = get_args(FrenchSupport)
QUALITY_TASKS: tuple[str, ...] = get_args(QualityTask)
Thinking = Literal["none", "hybrid", "always"]
"""none: answers directly; hybrid: thinks or not, as the request asks; always: every answer thinks first."""
TERRITORIES = ("EU",)
"""Territories a licence may exclude, as written in the licence (Llama 4's multimodal terms exclude the EU)."""

_LICENCE_ID = re.compile(r"^[a-z0-9][a-z0-9.\-]*$")
_DATE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")
_FIGURE_DATE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?$")


class Licence(BaseModel):
    """The terms a team must accept, reduced to what selection filters on."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(
        description="Licence id as the Hub tags it (apache-2.0, mit, llama3.1, gemma, ...); "
        "the questionnaire's allowed_licences is matched against it.",
    )
    commercial_use: bool = Field(
        description="True when the licence allows commercial use, possibly with conditions "
        "(user caps, acceptable-use policy) that the notes spell out.",
    )
    gated: bool = Field(
        description="True when the Hub repo asks the user to accept terms before download: "
        "the smoke test then needs a token with access.",
    )

    monthly_active_user_cap: int | None = Field(
        None,
        gt=0,
        description="Above this many monthly active users (of the licensee's products on the release "
        "date), the licence needs a separate agreement with the author (Llama: 700 million).",
    )
    excluded_territories: list[str] = Field(
        default_factory=list,
        description="Territories whose residents or companies get no licence (e.g. 'EU' for Llama 4's "
        "multimodal models); the notes say who exactly and whether end users are concerned.",
    )
    terms_source: str | None = Field(
        None, min_length=1, description="Where the cap or territory terms were read (licence file, use policy)."
    )

    @field_validator("excluded_territories")
    @classmethod
    def _territories(cls, value: list[str]) -> list[str]:
        for territory in value:
            if territory not in TERRITORIES:
                raise ValueError(f"{territory!r} is not a known territory ({', '.join(TERRITORIES)})")
        return value

    @model_validator(mode="after")
    def _terms_sourced(self) -> Licence:
        if (self.monthly_active_user_cap is not None or self.excluded_territories) and not self.terms_source:
            raise ValueError("a user cap or excluded territory needs terms_source saying where it was read")
        return self

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not _LICENCE_ID.match(value):
            raise ValueError(f"{excerpt(value)} is not a licence id (lower case, e.g. 'apache-2.0', 'llama3.1')")
        return value


class QualityFigure(BaseModel):
    """One published benchmark result, as read: what a quality score rests on."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    benchmark: str = Field(min_length=1, description="Benchmark and setting as published, e.g. 'MMLU (5-shot)'.")
    value: float = Field(description="The figure as published, in the unit of `scale`.")
    scale: str | None = Field(
        None,
        description="Unit or scale when it is not a percentage, e.g. 'Elo' or '0-10'.",
    )
    date: str = Field(description="When the figure was published: YYYY-MM or YYYY-MM-DD.")
    source: str = Field(min_length=1, description="Public name or URL of the page or paper the figure was read in.")

    @field_validator("date")
    @classmethod
    def _date(cls, value: str) -> str:
        if not _FIGURE_DATE.match(value):
            raise ValueError(f"{value!r} is not a date (YYYY-MM-DD or YYYY-MM)")
        return value


class TaskQuality(BaseModel):
    """A normalised 0-100 score for one task, with the sourced figures it was derived from.

    The catalog header (models.yaml) says how figures become scores, so that a score compares
    across families; the figures stay in the entry so that anyone can check the derivation.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    score: float = Field(ge=0, le=100, description="Normalised score, 0 (chance) to 100, comparable across families.")
    figures: list[QualityFigure] = Field(
        min_length=1,
        description="The published figures the score rests on; at least one.",
    )


class CatalogEntry(BaseModel):
    """One model the advisor may recommend, with the facts its choice rests on."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(description="Hugging Face Hub repo id, e.g. 'Qwen/Qwen2.5-7B-Instruct'.")
    name: str = Field(min_length=1, description="Name people use, e.g. 'Qwen2.5 7B Instruct'.")
    family: str = Field(min_length=1, description="Model family, e.g. 'qwen2.5', 'llama3', 'bert'.")
    kind: Kind = Field(
        description="decoder (generative LLM), encoder (BERT-like), encoder-decoder (T5, BART), "
        "ssm (state-space, no attention), hybrid (SSM and attention layers), embedding "
        "(sentence/document vectors for retrieval).",
    )
    instruct: bool = Field(description="Instruction- or chat-tuned; False for base checkpoints.")
    total_params: int = Field(
        gt=0,
        description="Exact parameter count of the model as transformers builds it from `config` "
        "(the class in config.architectures), tied weights counted once.",
    )
    active_params: int | None = Field(
        None,
        gt=0,
        description="MoE only: parameters used per token = total - (1 - k/E) x routed-expert "
        "parameters (embeddings, attention, routers and shared experts always count).",
    )
    params_source: ParamsSource = Field(
        "transformers",
        description="'transformers': total_params is checked by building `config` on the meta device; "
        "'published': transformers cannot build it, the count comes from params_note.",
    )
    params_note: str | None = Field(None, description="Where a published count comes from.")
    config: dict[str, Any] = Field(
        description="Architecture with the key names of the model's config.json (model_type, "
        "hidden_size, num_key_value_heads, head_dim, experts, sliding window, SSM fields, ...).",
    )
    context_length: int = Field(
        gt=0,
        description="Tokens per request the published model supports as configured (no extra "
        "RoPE scaling); for sentence-transformers models, the max_seq_length they ship with.",
    )
    languages: list[str] = Field(
        min_length=1,
        description="ISO 639 codes the model card states; the main ones when it claims 100+.",
    )
    french_support: FrenchSupport = Field(
        description="none: not meant for French; basic: some French in training, not a supported "
        "language; good: French officially supported; strong: French-first, or French "
        "evaluated by the authors as a strength.",
    )
    french_support_source: str = Field(min_length=1, description="Where the French level comes from.")
    licence: Licence
    quantized_formats: list[Quantization] = Field(
        default_factory=list,
        description="Pre-quantized checkpoints on the Hub (by the authors or established "
        "quantizers). bf16/int8/nf4 through transformers + bitsandbytes are always possible "
        "and not listed.",
    )
    release_format: Quantization | None = Field(
        None,
        description="The precision the authors publish the weights in when it is not 16-bit: 'mxfp4' "
        "(gpt-oss experts), 'fp8' (DeepSeek-V3). None: bf16/fp16 as usual.",
    )
    quantized_repos: dict[Quantization, str] = Field(
        default_factory=dict,
        description="Hub repo ids of published pre-quantized checkpoints, by format (the authors' own "
        "first, else established quantizers); reports name them instead of a placeholder.",
    )
    thinking: Thinking | None = Field(
        None,
        description="Whether answers start with a reasoning trace: none, hybrid (switchable), always. "
        "None when not stated.",
    )
    thinking_switch: LocalizedText | None = Field(
        None, description="How to turn thinking on or off (hybrid) or tune it (always), in English and French."
    )
    quality_tier: int | None = Field(
        None,
        ge=1,
        le=5,
        description="Legacy: 1 (weakest) to 5 (strongest), comparable within a kind only; None when "
        "the model is not rated. Superseded by `quality`, kept readable during the transition.",
    )
    quality_source: str | None = Field(None, min_length=1, description="What the tier rests on; None when not rated.")
    quality: dict[QualityTask, TaskQuality] = Field(
        default_factory=dict,
        description="Normalised 0-100 score per task with its sourced figures; empty = not rated.",
    )
    language_quality: dict[str, TaskQuality] = Field(
        default_factory=dict,
        description="ISO 639-1 code -> quality of general use in that language (French first), "
        "where measured (compar:IA, MMLU-ProX, Global-MMLU, the model card).",
    )
    release_date: str | None = Field(
        None, description="YYYY-MM-DD, or YYYY-MM / YYYY where the day is not known; None when unknown."
    )
    tasks: list[TaskType] = Field(
        min_length=1,
        description="Questionnaire task_types the model is a sensible candidate for.",
    )
    notes: LocalizedText | None = Field(None, description="Caveats a reader must see, in English and French.")

    @field_validator("id")
    @classmethod
    def _repo_id(cls, value: str) -> str:
        if not is_valid_repo_id(value):
            raise ValueError(f"{excerpt(value)} is not a Hub repo id ('owner/name')")
        return value

    @field_validator("release_date")
    @classmethod
    def _date(cls, value: str | None) -> str | None:
        if value is not None and not _DATE.match(value):
            raise ValueError(f"{excerpt(value)} is not a date (YYYY-MM-DD, YYYY-MM or YYYY)")
        return value

    @field_validator("languages")
    @classmethod
    def _iso_codes(cls, value: list[str]) -> list[str]:
        known = language_codes()
        for code in value:
            if code not in known:
                raise ValueError(f"{excerpt(code)} is not an ISO 639-1 language code")
        if len(set(value)) != len(value):
            raise ValueError("a language is listed twice")
        return value

    @field_validator("language_quality")
    @classmethod
    def _quality_languages(cls, value: dict[str, TaskQuality]) -> dict[str, TaskQuality]:
        known = language_codes()
        for code in value:
            if code not in known:
                raise ValueError(f"{code!r} is not an ISO 639-1 language code")
        return value

    @field_validator("quantized_repos")
    @classmethod
    def _quantized_repo_ids(cls, value: dict[str, str]) -> dict[str, str]:
        for fmt, repo in value.items():
            if not is_valid_repo_id(repo):
                raise ValueError(f"{repo!r} ({fmt}) is not a Hub repo id ('owner/name')")
        return value

    @field_validator("quantized_formats", "tasks")
    @classmethod
    def _no_duplicates(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("a value is listed twice")
        return value

    @field_validator("config")
    @classmethod
    def _config_shape(cls, value: dict[str, Any]) -> dict[str, Any]:
        model_type = value.get("model_type")
        if not isinstance(model_type, str) or not model_type:
            raise ValueError("config needs 'model_type', as in the model's config.json")
        architectures = value.get("architectures")
        if architectures is not None and (
            not isinstance(architectures, list) or not all(isinstance(a, str) for a in architectures)
        ):
            raise ValueError("config.architectures must be a list of class names")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> CatalogEntry:
        if self.active_params is not None and self.active_params > self.total_params:
            raise ValueError(f"active_params ({self.active_params:,}) exceeds total_params ({self.total_params:,})")
        if self.params_source == "published" and not self.params_note:
            raise ValueError("params_source 'published' needs params_note saying where the count comes from")
        if self.kind == "embedding" and self.instruct:
            raise ValueError("an embedding model is not instruction-tuned; set instruct: false")
        published = set(self.quantized_formats) | ({self.release_format} if self.release_format else set())
        unlisted = sorted(set(self.quantized_repos) - published)
        if unlisted:
            raise ValueError(f"quantized_repos names {', '.join(unlisted)}, missing from quantized_formats")
        if self.thinking_switch is not None and self.thinking not in ("hybrid", "always"):
            raise ValueError("thinking_switch needs thinking 'hybrid' or 'always'")
        if (self.quality_tier is None) != (self.quality_source is None):
            raise ValueError("quality_tier and quality_source go together: set both, or neither (not rated)")
        return self

    @property
    def is_rated(self) -> bool:
        """Whether any task has a sourced quality score."""
        return bool(self.quality)

    def quality_score(self, task: QualityTask, languages: list[str] | tuple[str, ...] = ()) -> float | None:
        """The 0-100 score for ``task``, lowered for a requested language the model handles worse.

        Rule: the score is the task's score, capped by the ``language_quality`` score of each
        requested language other than English that has one (a model whose French scores 55 is not
        a 75 for a French team). A language without a figure leaves the score unchanged: whether a
        model supports a language at all is the language filter's job (``languages``,
        ``french_support``), not the score's. None when the entry has no score for ``task``:
        selection then applies its rule for unrated models (see the README).
        """
        rated = self.quality.get(task)
        if rated is None:
            return None
        score = rated.score
        for code in languages:
            measured = self.language_quality.get(code)
            if code != "en" and measured is not None:
                score = min(score, measured.score)
        return score

    @property
    def is_moe(self) -> bool:
        """Whether only part of the weights work on each token (speed follows active_params)."""
        return self.active_params is not None

    @property
    def params_per_token(self) -> int:
        """Parameters read per generated token: active for MoE, all otherwise."""
        return self.active_params or self.total_params

    @property
    def text_config(self) -> dict[str, Any]:
        """The language-model part of ``config``: ``text_config`` for multimodal wrappers (Gemma 3)."""
        nested = self.config.get("text_config")
        return nested if isinstance(nested, dict) else self.config


class CatalogFile(BaseModel):
    """The YAML file as written: a version and the list of entries."""

    model_config = ConfigDict(extra="forbid")

    version: str = Field(min_length=1, description="Catalog version, quoted in reports.")
    models: list[CatalogEntry] = Field(min_length=1)
