"""Model and quantization selection: which catalog model, at which quantization, fits this hardware.

The walk follows the practice of hardware-fit tools (llmfit): keep the models the use case allows
(task, languages, licence, context), then for each walk the quantization ladder from the best
quality down until the memory estimate fits the usable memory, and rank what fits by quality,
speed, fit margin and French support. Approaches that train also get a training plan (full, LoRA
or QLoRA, whichever fits), RAG and RAFT an embedding model. When nothing fits, the plan says so
and what it would take, instead of pretending.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from advisor.i18n import LocalizedText, message
from advisor.results import FitLevel, ModelChoice, ModelOption, TrainingPlan
from advisor.units import format_bytes, format_tokens

if TYPE_CHECKING:
    from advisor.catalog.schema import CatalogEntry
    from advisor.hardware.profile import HardwareProfile
    from advisor.questionnaire import Answers

# Context sized for when the team did not say: a typical chat turn plus a few retrieved passages.
DEFAULT_CONTEXT_TOKENS = 4096
# A plan is "comfortable" when the memory left is at least this share of what it needs: llmfit's
# "Good" fit needs available >= 1.2 x required (llmfit fit.rs, docs/how-it-works.md).
COMFORT_FACTOR = 1.2
# Decode is memory-bound: tokens/s ~ bandwidth x efficiency / bytes read per token. llmfit uses an
# efficiency of 0.55 with per-backend bandwidth constants (its estimate_basis "backend_constant").
DECODE_EFFICIENCY = 0.55
# Bandwidth when the GPU's is unknown: an RTX 4090 reads 1,008 GB/s (NVIDIA spec sheet), an A100
# 80GB 2,039 GB/s; 1,000 GB/s is a middle figure for a recent data-centre or high-end card.
DEFAULT_GPU_BANDWIDTH_GBPS = 1000.0
# Dual-channel DDR5-4800 gives 76.8 GB/s theoretical (JEDEC); laptops and older desktops less.
DEFAULT_CPU_BANDWIDTH_GBPS = 60.0
# Ranking weights: quality dominates, then French support when French is asked, then fit and speed.
QUALITY_WEIGHT = 10.0
FRENCH_BONUS = {"strong": 6.0, "good": 4.0, "basic": 0.0, "none": -12.0}
QUANT_PENALTY_PER_RANK = 1.5
TIGHT_FIT_PENALTY = 3.0
SPEED_WEIGHT = 1.0
LATENCY_SPEED_WEIGHT = 3.0
RUNNER_UPS = 4
# Below human reading speed (about 250 words a minute, some 5-6 tokens/s) an interactive answer
# feels stuck; a sub-second service needs far more.
READING_SPEED_TPS = 6.0
REALTIME_MIN_TPS = 30.0
TOO_SLOW_PENALTY = 12.0
# (model id, params, budget, context) -> best fit; bounded, cleared when full.
_FIT_CACHE: dict[tuple[str, int, Budget, int], tuple[Any, int, int] | None] = {}
FIT_CACHE_SIZE = 4096
ALWAYS_AVAILABLE = frozenset({"bf16", "int8", "nf4", "nf4-dq"})
# Passages are embedded in chunks of about 512 tokens (see the RAG plan), whatever the model allows.
EMBEDDING_CONTEXT = 512
# LoRA defaults: rank 16 on all linear layers is the common starting point (QLoRA paper used 64 on
# all layers; LoRA Land rank 8-16), with gradient checkpointing.
LORA_RANK = 16
TRAIN_BATCH = 1  # micro-batch; gradient accumulation gives the effective batch
# Training cost and time grow with size, and small fine-tuned models rival large ones on narrow
# tasks (LoRA Land, arXiv 2405.00732: 7B bases): plans that train prefer smaller bases.
TRAINING_SIZE_PENALTY = 4.0
TRAIN_MAX_SEQUENCE = 8192
TRAIN_DEFAULT_SEQUENCE = 2048
MIN_TRAIN_SEQUENCE = 512
GENERATIVE_KINDS = ("decoder", "hybrid", "ssm")


@dataclass(frozen=True)
class Budget:
    """Memory a plan may take, and on what."""

    device: str  # "gpu" or "cpu"
    per_device_bytes: int
    devices: int
    bandwidth_gbps: float


@dataclass(frozen=True)
class Selection:
    """What selection hands back to the recommendation: the plan, or why there is none."""

    choice: ModelChoice | None
    note: LocalizedText | None
    catalog_version: str


def select_for_approach(answers: Answers, hardware: HardwareProfile, approach: str) -> Selection:
    """The model plan for this approach and hardware, from the catalog in use (built-in + user)."""
    from advisor.catalog import load_catalog

    catalog = load_catalog()
    if approach == "no-llm":
        return Selection(None, message("selection.no_llm"), catalog.version)
    choice = select_models(answers, hardware, approach, catalog.entries)
    if choice is None:
        return Selection(None, message("selection.no_candidate"), catalog.version)
    return Selection(choice, None, catalog.version)


@dataclass
class _Candidate:
    """One model at its best-fitting quantization, from the fast estimator (no pydantic in the loop)."""

    entry: CatalogEntry
    quant: Any  # advisor.quantization.Quantization
    devices: int
    need: int
    fit: FitLevel
    tps: float
    score: float


def select_models(
    answers: Answers, hardware: HardwareProfile, approach: str, entries: list[CatalogEntry]
) -> ModelChoice | None:
    """The chosen model with runner-ups, its training plan and embedding model; None without candidates."""
    context = answers.context_tokens or DEFAULT_CONTEXT_TOKENS
    notes: list[LocalizedText] = []
    allowed = _allowed(entries, answers, context, GENERATIVE_KINDS, notes)
    if not allowed:
        return None
    budget = _budget(hardware)
    swept = [c for c in (_sweep(entry, budget, context, answers) for entry in allowed) if c is not None]
    fitting = [c for c in swept if c.fit != "does-not-fit"]
    plans: dict[str, TrainingPlan] = {}
    if approach in ("fine-tuning", "raft"):
        if budget.device != "gpu":
            notes.append(message("selection.training_needs_gpu"))
        else:
            # Check training memory best-first and stop once the shortlist is full: the check costs
            # several estimates per model, and only the shortlist is shown.
            trainable: list[_Candidate] = []
            for candidate in sorted((_prefer_small(c) for c in fitting), key=_rank):
                if _training_method(candidate, budget, answers) is not None:
                    trainable.append(candidate)
                    if len(trainable) > RUNNER_UPS:
                        break
            if trainable:
                fitting = trainable
            else:
                notes.append(message("selection.training_does_not_fit"))
    ranked = sorted(fitting, key=_rank)
    if not ranked:
        if not swept:
            return None
        smallest = min(swept, key=lambda c: c.need)
        notes.append(
            message(
                "selection.nothing_fits",
                model=smallest.entry.id,
                quantization=smallest.quant.name,
                needed=_gib(smallest.need),
            )
        )
        ranked = [smallest]
    chosen, *others = ranked[: 1 + RUNNER_UPS]
    if approach in ("fine-tuning", "raft") and budget.device == "gpu":
        found = _training_method(chosen, budget, answers)
        if found is not None:
            plans[chosen.entry.id] = _training_plan(chosen, *found, budget, answers, notes)
    if context > chosen.entry.context_length:
        notes.append(
            message(
                "selection.context_beyond_limit",
                wanted=LocalizedText(en=format_tokens(context, "en"), fr=format_tokens(context, "fr")),
                model=chosen.entry.id,
                limit=LocalizedText(
                    en=format_tokens(chosen.entry.context_length, "en"),
                    fr=format_tokens(chosen.entry.context_length, "fr"),
                ),
            )
        )
    if budget.device == "cpu":
        notes.extend(_gpu_hint(chosen.entry, context))
    embedding = _embedding(entries, answers, budget, notes) if approach in ("rag", "raft") else None
    option = _option(chosen, budget, context)
    return ModelChoice(
        id=option.id,
        chosen=option,
        runner_ups=[_option(c, budget, context) for c in others],
        embedding=embedding,
        training=plans.get(chosen.entry.id),
        notes=notes,
        candidates_considered=len(allowed),
    )


def _rank(c: _Candidate) -> tuple[float, int, str]:
    return (-c.score, c.entry.total_params, c.entry.id)


def _allowed(
    entries: list[CatalogEntry], answers: Answers, context: int, kinds: tuple[str, ...], notes: list[LocalizedText]
) -> list[CatalogEntry]:
    """Entries the use case allows; a filter that would leave nothing is relaxed and said so."""
    pool = [e for e in entries if e.kind in kinds and e.instruct]
    if answers.task_type is not None:
        pool = _keep(pool, lambda e: answers.task_type in e.tasks, notes, "selection.relaxed_task")
    if answers.commercial_use_required:
        pool = [e for e in pool if e.licence.commercial_use]
    if answers.allowed_licences:
        pool = [e for e in pool if e.licence.id in answers.allowed_licences]
    pool = _keep(pool, lambda e: e.context_length >= context, notes, "selection.relaxed_context")
    for code in answers.languages or ():
        if code == "fr":
            pool = _keep(pool, lambda e: e.french_support != "none", notes, "selection.relaxed_language", lang=code)
        else:
            pool = _keep(pool, lambda e, c=code: c in e.languages, notes, "selection.relaxed_language", lang=code)
    return pool


def _keep(
    pool: list[CatalogEntry], test: Any, notes: list[LocalizedText], note: str, **values: Any
) -> list[CatalogEntry]:
    kept = [e for e in pool if test(e)]
    if pool and not kept:
        notes.append(message(note, **values))
        return pool
    return kept


def _budget(hardware: HardwareProfile) -> Budget:
    gpus = hardware.usable_gpus
    if gpus:
        bandwidth = min((g.memory_bandwidth_gbps or DEFAULT_GPU_BANDWIDTH_GBPS) for g in gpus)
        return Budget(
            "gpu",
            hardware.max_gpu_usable_bytes if len(gpus) == 1 else min(g.usable_bytes for g in gpus),
            len(gpus),
            bandwidth,
        )
    return Budget("cpu", hardware.usable_ram_bytes, 1, DEFAULT_CPU_BANDWIDTH_GBPS)


def _ladder(budget: Budget, entry: CatalogEntry) -> list[Any]:
    """Quantizations to try for ``entry``, best quality first."""
    published = frozenset(entry.quantized_formats)
    return _ladder_for(budget.device, published)


@lru_cache(maxsize=64)
def _ladder_for(device: str, published: frozenset[str]) -> list[Any]:
    from advisor.quantization import get_quantization, quantization_ladder

    if device == "cpu":
        names = quantization_ladder("llama.cpp", gpu=False)
    else:
        # Pre-quantized checkpoints (GPTQ, AWQ, MXFP4, FP8) exist only where someone published them;
        # bf16, int8 and nf4 are always possible through transformers + bitsandbytes.
        names = [
            q
            for q in quantization_ladder(gpu=True)
            if not q.startswith("gguf") and (q in ALWAYS_AVAILABLE or q in published)
        ]
    return [get_quantization(name) for name in names]


def _sweep(entry: CatalogEntry, budget: Budget, context: int, answers: Answers) -> _Candidate | None:
    """The best-quality quantization of ``entry`` that fits, else its smallest plan."""
    context = min(context, entry.context_length)  # a model never holds more than it can read
    key = (entry.id, entry.total_params, budget, context)
    found = _FIT_CACHE.get(key)
    if found is None:
        if len(_FIT_CACHE) > FIT_CACHE_SIZE:
            _FIT_CACHE.clear()
        found = _FIT_CACHE[key] = _fit_search(entry, budget, context)
    if found is None:
        return None
    quant, devices, need = found
    return _candidate(entry, quant, devices, need, budget, answers)


def _fit_search(entry: CatalogEntry, budget: Budget, context: int) -> tuple[Any, int, int] | None:
    """(quantization, devices, bytes per device) of the first plan that fits, else of the smallest.

    Depends only on the model, the hardware and the context, not on the other answers: the
    terminal app re-runs the selection on every keystroke with these unchanged, hence the cache.
    """
    from advisor.memory import architecture_for, estimate_bytes
    from advisor.memory.core import distinct_gguf_ladder

    arch = architecture_for(entry)
    smallest: tuple[Any, int, int] | None = None
    ladder = distinct_gguf_ladder(arch, _ladder(budget, entry))  # only GGUF files that differ
    for devices in _device_counts(budget):
        for quant in ladder:
            figures = estimate_bytes(arch, quant, context, 1, "inference", num_gpus=devices, device=budget.device)
            need = figures.per_gpu or figures.total
            if _fit(need, budget.per_device_bytes) != "does-not-fit":
                return quant, devices, need
            if smallest is None or need < smallest[2]:
                smallest = (quant, devices, need)
    return smallest


def _device_counts(budget: Budget) -> list[int]:
    """One device first; then tensor-parallel sizes vLLM accepts (powers of two) up to what exists."""
    counts = [1]
    size = 2
    while budget.device == "gpu" and size <= budget.devices:
        counts.append(size)
        size *= 2
    return counts


def _fit(need: int, usable: int) -> FitLevel:
    if need > usable:
        return "does-not-fit"
    return "comfortable" if need * COMFORT_FACTOR <= usable else "tight"


def _candidate(
    entry: CatalogEntry, quant: Any, devices: int, need: int, budget: Budget, answers: Answers
) -> _Candidate:
    fit = _fit(need, budget.per_device_bytes)
    active = entry.active_params or entry.total_params
    tps = budget.bandwidth_gbps * 1e9 * DECODE_EFFICIENCY * devices / max(1.0, active * quant.bits_per_weight / 8)
    french = FRENCH_BONUS[entry.french_support] if "fr" in (answers.languages or ()) else 0.0
    realtime = answers.latency_requirement == "realtime_lt_1s"
    min_tps = REALTIME_MIN_TPS if realtime else READING_SPEED_TPS
    score = (
        QUALITY_WEIGHT * (entry.quality_tier or 0)  # not rated: below every rated model
        + french
        - QUANT_PENALTY_PER_RANK * (quant.quality_rank - 1)
        - (TIGHT_FIT_PENALTY if fit == "tight" else 0.0)
        + (LATENCY_SPEED_WEIGHT if realtime else SPEED_WEIGHT) * math.log2(max(1.0, tps))
        - (TOO_SLOW_PENALTY if tps < min_tps else 0.0)
        - (devices - 1)  # sharding costs interconnect time and a second GPU
    )
    return _Candidate(entry, quant, devices, need, fit, tps, round(score, 2))


def _prefer_small(c: _Candidate) -> _Candidate:
    penalty = TRAINING_SIZE_PENALTY * math.log2(max(1.0, c.entry.total_params / 1e9))
    return _Candidate(c.entry, c.quant, c.devices, c.need, c.fit, c.tps, round(c.score - penalty, 2))


def _option(c: _Candidate, budget: Budget, context: int) -> ModelOption:
    """The full, documented form of a candidate (with the detailed MemoryEstimate)."""
    from advisor.memory import estimate_memory

    entry, quant = c.entry, c.quant
    context = min(context, entry.context_length)
    estimate = estimate_memory(
        entry, quantization=quant.name, context_tokens=context, num_gpus=c.devices, device=budget.device
    )
    runtime = (
        "llama.cpp"
        if quant.name.startswith("gguf")
        else ("vllm" if c.devices > 1 or quant.runtime == "vllm" else "transformers")
    )
    return ModelOption(
        id=entry.id,
        name=entry.name,
        family=entry.family,
        kind=entry.kind,
        total_params=entry.total_params,
        active_params=entry.active_params,
        context_length=entry.context_length,
        languages=list(entry.languages),
        french_support=entry.french_support,
        licence=entry.licence.id,
        commercial_use=entry.licence.commercial_use,
        gated=entry.licence.gated,
        quantization=quant.name,
        runtime=runtime,
        device=budget.device,  # type: ignore[arg-type]
        num_gpus=c.devices if budget.device == "gpu" else 0,
        memory=estimate,
        usable_bytes=budget.per_device_bytes,
        fit=c.fit,
        margin_bytes=budget.per_device_bytes - c.need,
        score=c.score,
        tokens_per_second=round(c.tps, 1),
        why=message(
            "selection.why",
            tier=entry.quality_tier if entry.quality_tier is not None else "—",
            quantization=quant.name,
            need=_gib(c.need),
            usable=_gib(budget.per_device_bytes),
            tps=f"{c.tps:.0f}",
        ),
    )


def _gpu_hint(entry: CatalogEntry, context: int) -> list[LocalizedText]:
    """For a CPU plan: the GPU the same model would need, in 16 bits and in 4 bits."""
    from advisor.hardware.profile import gpu_bytes_needed
    from advisor.memory import architecture_for, estimate_bytes
    from advisor.quantization import get_quantization

    arch = architecture_for(entry)
    context = min(context, entry.context_length)
    needs = {}
    for name in ("bf16", "nf4"):
        figures = estimate_bytes(arch, get_quantization(name), context, 1, "inference")
        needs[name] = _gib(gpu_bytes_needed(figures.per_gpu or figures.total))
    return [message("selection.gpu_would_fit", model=entry.id, bf16=needs["bf16"], nf4=needs["nf4"])]


def _training_methods(answers: Answers) -> list[str]:
    """Full fine-tuning only with tens of thousands of examples and an advanced team; else LoRA, then QLoRA."""
    methods = ["lora", "qlora"]
    if (answers.labelled_examples or 0) >= _threshold("full_ft_min_examples") and answers.team_ml_skills == "advanced":
        methods.insert(0, "full")
    return methods


def _train_sequences(c: _Candidate, answers: Answers) -> list[int]:
    """Sequence lengths to try, longest first: the stated context, then halved (llmfit retries at half
    context when nothing fits), never below MIN_TRAIN_SEQUENCE."""
    first = min(answers.context_tokens or TRAIN_DEFAULT_SEQUENCE, TRAIN_MAX_SEQUENCE, c.entry.context_length)
    lengths = [first]
    while lengths[-1] // 2 >= MIN_TRAIN_SEQUENCE:
        lengths.append(lengths[-1] // 2)
    return lengths


def _training_method(c: _Candidate, budget: Budget, answers: Answers) -> tuple[str, int] | None:
    """The first (method, sequence length) whose per-GPU estimate fits, or None."""
    from advisor.memory import architecture_for, estimate_bytes

    arch = architecture_for(c.entry)
    for sequence in _train_sequences(c, answers):
        for method in _training_methods(answers):
            quant = "nf4" if method == "qlora" else "bf16"
            figures = estimate_bytes(
                arch,
                quant,
                sequence,
                TRAIN_BATCH,
                method,
                gradient_checkpointing=True,
                num_gpus=budget.devices,
                lora_rank=LORA_RANK,
            )
            if _fit(figures.per_gpu or figures.total, budget.per_device_bytes) != "does-not-fit":
                return method, sequence
    return None


def _training_plan(
    c: _Candidate, method: str, sequence: int, budget: Budget, answers: Answers, notes: list[LocalizedText]
) -> TrainingPlan:
    from advisor.memory import estimate_memory

    quant = "nf4" if method == "qlora" else "bf16"
    wanted = _train_sequences(c, answers)[0]
    if sequence < wanted:
        notes.append(message("selection.training_sequence_capped", sequence=sequence, wanted=wanted))
    estimate = estimate_memory(
        c.entry,
        quantization=quant,
        context_tokens=sequence,
        batch_size=TRAIN_BATCH,
        mode=method,
        gradient_checkpointing=True,
        num_gpus=budget.devices,
        lora_rank=LORA_RANK,
    )
    need = estimate.per_gpu_bytes
    return TrainingPlan(
        method=method,  # type: ignore[arg-type]
        base_quantization=quant,
        lora_rank=None if method == "full" else LORA_RANK,
        sequence_length=sequence,
        batch_size=TRAIN_BATCH,
        gradient_checkpointing=True,
        num_gpus=budget.devices,
        memory=estimate,
        fit=_fit(need, budget.per_device_bytes),
        margin_bytes=budget.per_device_bytes - need,
        why=message(f"selection.training_{method}", need=_gib(need), usable=_gib(budget.per_device_bytes)),
    )


def _embedding(
    entries: list[CatalogEntry], answers: Answers, budget: Budget, notes: list[LocalizedText]
) -> ModelOption | None:
    """The best embedding model for the languages asked (multilingual when French is asked)."""
    from advisor.quantization import get_quantization

    pool = [e for e in entries if e.kind == "embedding"]
    for code in answers.languages or ():
        pool = _keep(pool, lambda e, c=code: c in e.languages, notes, "selection.relaxed_language", lang=code)
    if not pool:
        return None
    wants_french = "fr" in (answers.languages or ())
    best = max(
        pool,
        key=lambda e: (e.quality_tier or 0, FRENCH_BONUS[e.french_support] if wants_french else 0, -e.total_params),
    )
    quant = get_quantization("fp16" if budget.device == "gpu" else "fp32")
    context = min(best.context_length, EMBEDDING_CONTEXT)
    from advisor.memory import architecture_for, estimate_bytes

    figures = estimate_bytes(architecture_for(best), quant, context, 1, "inference", device=budget.device)
    candidate = _candidate(best, quant, 1, figures.per_gpu or figures.total, budget, answers)
    return _option(candidate, budget, context)


def _threshold(name: str) -> float:
    from advisor.rules.loader import load_knowledge_base

    return load_knowledge_base().thresholds[name]


def _gib(value: int) -> LocalizedText:
    return LocalizedText(en=format_bytes(value, "en"), fr=format_bytes(value, "fr"))
