"""Model, format and layout selection: the strongest model that serves the use case on this hardware.

The search runs over model x format x layout together, because the three decide each other: a
70B model at 4 bits on two GPUs can beat a 32B model in bf16 on one, and a model that fits may
still be too slow for 60,000 requests a day.

1. Keep the models the use case allows (task, languages, licence, context).
2. For each, walk the formats the hardware runs (advisor/data/gpus.yaml: no bf16 before Ampere,
   FP8 from Ada/Hopper or weight-only through Marlin, FP4 on Blackwell; bitsandbytes is for
   training and trials, not serving) from the best quality down, and for each the layouts vLLM
   offers: one GPU, tensor parallel over 2/4/8 GPUs of one node, pipeline parallel across nodes,
   and as many replicas (data parallel) as the remaining GPUs allow.
3. Size each plan with the memory estimator (KV cache for the requests held at once) and time
   it with advisor.selection.throughput (decode from bandwidth, prefill from TFLOPS, batching).
4. Rank by quality for the task and languages (advisor.catalog quality_score, falling back to the
   quality tier while a model is not rated), less the format's measured loss
   (quantizations.yaml quality_loss_pct). Plans that meet the demand come first; among them the
   quality decides, then fit and speed.

Margin policy (one, everywhere): a GPU gives a plan its memory less a 1 GiB runtime reserve and
10 % headroom (advisor.hardware.usable_gpu_bytes), which is what vLLM's default
gpu_memory_utilization 0.9 leaves free and more than llama.cpp's 1 GiB fit margin; RAM gives 80 %.
Under it a plan "does not fit"; it is shown only when nothing fits, and the notes say so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from advisor.i18n import LocalizedText, message, number_text
from advisor.results import Demand, FitLevel, ModelChoice, ModelOption, TrainingPlan
from advisor.units import GIB, format_bytes, format_tokens

if TYPE_CHECKING:
    from advisor.catalog.schema import CatalogEntry
    from advisor.hardware.profile import HardwareProfile
    from advisor.questionnaire import Answers
    from advisor.selection.throughput import Delivery
    from advisor.selection.throughput import Demand as DemandFigures

# Context sized for when the team did not say: a typical chat turn plus a few retrieved passages.
DEFAULT_CONTEXT_TOKENS = 4096
# A plan is "comfortable" when the memory left is at least this share of what it needs: llmfit's
# "Good" fit needs available >= 1.2 x required (llmfit fit.rs, docs/how-it-works.md).
COMFORT_FACTOR = 1.2
# vLLM's --gpu-memory-utilization the plans assume (its v0.x default; 0.92 on current main).
GPU_MEMORY_UTILIZATION = 0.9
# vLLM's default max_num_seqs (get_batch_defaults: 256); a replica never plans for more.
VLLM_MAX_NUM_SEQS = 256
# llama.cpp's server runs a few parallel slots well (continuous batching, but no paged KV):
# plans on llama.cpp count on at most this many requests at once per instance (assumption).
LLAMA_CPP_MAX_PARALLEL = 8
# Ranking: quality (0-100 after the format's loss) dominates; a tight fit and speed beyond the
# need only break near-ties.
TIGHT_FIT_PENALTY = 1.0
SPEED_WEIGHT = 0.5
SPEED_BONUS_CAP = 2.0
DEMAND_MISS_PENALTY = 100.0
# A plan that misses the demand ranks by how close it comes (points per halving of the speed
# needed) and by half its quality after the format's loss.
MISS_SPEED_WEIGHT = 5.0
MISS_QUALITY_WEIGHT = 0.5
# llama.cpp on a large GPU serves one request at a time well but has no paged KV cache and a weak
# scheduler next to vLLM; from this much memory per GPU a vLLM format is preferred by this many
# points (GGUF stays the choice on small GPUs, Apple and CPU, where vLLM formats do not fit).
LARGE_GPU_BYTES = 32 * GIB
LLAMA_CPP_LARGE_GPU_PENALTY = 3.0
RUNNER_UPS = 4
# Quality of a model the catalog has not rated for the task (see quality_of): the median of its
# tier's rated models on that task, less UNRATED_PENALTY; TIER_BASE + TIER_STEP x tier when
# nothing is rated on the task, and TIER_STEP per tier away from the nearest rated tier.
TIER_BASE = 25.0
TIER_STEP = 8.0
UNRATED_PENALTY = 2.0
# When French is asked and the catalog has no measured French score for a model, its
# french_support level moves the score by these points.
FRENCH_ADJUST = {"strong": 2.0, "good": 0.0, "basic": -5.0, "none": -15.0}
# Task types -> the catalog's quality tasks (QUALITY_CONTRACT: general, code, reasoning,
# long_context, instruction_following); several tasks are averaged. A chat assistant or a drafting
# tool must know things and follow instructions; extraction and parsing must follow a format.
QUALITY_TASKS: dict[str, tuple[str, ...]] = {
    "code_generation": ("code",),
    "reasoning": ("reasoning",),
    "numeric_analytics": ("reasoning",),
    "document_qa": ("long_context", "general"),
    "conversational_assistant": ("general", "instruction_following"),
    "drafting_generation": ("general", "instruction_following"),
    "parsing_structured": ("instruction_following",),
    "data_transformation": ("instruction_following",),
    "information_extraction": ("instruction_following",),
}
# Passages are embedded in chunks of about 512 tokens, about one per page of text (a page of
# prose holds 400-600 tokens); HNSW stores each float32 vector plus about 50 % for its graph
# (hnswlib: M=16 links per node, assumption for the default index).
EMBEDDING_CONTEXT = 512
CHUNKS_PER_PAGE = 1.0
HNSW_OVERHEAD = 1.5
# An embedding model goes on the GPU when it takes at most this share of one GPU's usable memory.
EMBEDDING_GPU_SHARE = 0.10
# A model that always thinks writes a reasoning trace before each answer: the plan must decode this
# many times the answer's tokens at the speed the answer needs (assumption, not a measurement:
# traces run from a few hundred to several thousand tokens, several times a typical answer).
# Hybrid models can switch thinking off and are timed without it.
THINKING_OUTPUT_FACTOR = 4.0
# LoRA defaults: rank 16 on all linear layers is the common starting point (QLoRA paper used 64 on
# all layers; LoRA Land rank 8-16), with gradient checkpointing.
LORA_RANK = 16
TRAIN_BATCH = 1  # micro-batch; gradient accumulation gives the effective batch
TRAIN_MAX_SEQUENCE = 8192
TRAIN_DEFAULT_SEQUENCE = 2048
MIN_TRAIN_SEQUENCE = 512
GENERATIVE_KINDS = ("decoder", "hybrid", "ssm")
# Formats vLLM can make from any 16-bit checkpoint at load time (--quantization fp8: online,
# per-tensor E4M3, vLLM docs features/quantization/fp8).
ONLINE_FORMATS = frozenset({"fp8"})
# Serving formats per engine; bitsandbytes (int8, nf4) is for QLoRA and quick trials.
VLLM_FORMATS = frozenset({"bf16", "fp16", "fp8", "gptq-int8", "awq-int4", "gptq-int4", "mxfp4"})
_FIT_CACHE: dict[tuple[Any, ...], Any] = {}
FIT_CACHE_SIZE = 8192


@dataclass(frozen=True)
class Budget:
    """The devices a plan may use, with the figures the sizing and timing need."""

    device: str  # "gpu" or "cpu"
    per_device_bytes: int
    devices: int
    bandwidth_gbps: float
    tflops: float = 1.0
    vendor: str = "nvidia"  # nvidia, amd, apple (GPU plans)
    bf16: bool = True
    fp8: str = "weight_only"
    fp4: str = "none"
    compute_capability: float | None = None
    nodes: int = 1
    gpus_per_node: int = 1
    gpu_name: str | None = None


@dataclass
class _Candidate:
    """One model in one format and layout, sized and timed."""

    entry: CatalogEntry
    quant: Any  # advisor.quantization.Quantization
    engine: str
    tp: int
    pp: int
    dp: int
    need: int  # bytes per GPU (or RAM) at the planned number of sequences
    seqs: int  # sequences one replica holds
    max_seqs: int  # sequences one replica could hold
    fit: FitLevel
    delivery: Delivery
    quality: float
    loss_pct: float
    score: float
    extra: int = 0

    @property
    def devices(self) -> int:
        return self.tp * self.pp

    @property
    def tps(self) -> float:
        return self.delivery.per_stream_tps


@dataclass(frozen=True)
class Selection:
    """What selection hands back to the recommendation: the plan, or why there is none."""

    choice: ModelChoice | None
    note: LocalizedText | None
    catalog_version: str


def select_for_approach(
    answers: Answers, hardware: HardwareProfile, approach: str, *, techniques: frozenset[str] = frozenset()
) -> Selection:
    """The model plan for this approach and hardware, from the catalog in use (built-in + user).

    ``techniques``: the plan's techniques; a no-LLM classifier plan names its encoder from them.
    """
    from advisor.catalog import load_catalog

    catalog = load_catalog()
    if approach == "no-llm":
        from advisor.selection.classic import encoder_note  # the encoder a classifier plan names (issue 18)

        note = encoder_note(answers, approach, techniques, catalog.entries)
        return Selection(None, note or message("selection.no_llm"), catalog.version)
    choice = select_models(answers, hardware, approach, catalog.entries)
    if choice is None:
        return Selection(None, message("selection.no_candidate"), catalog.version)
    return Selection(choice, None, catalog.version)


def select_models(
    answers: Answers, hardware: HardwareProfile, approach: str, entries: list[CatalogEntry]
) -> ModelChoice | None:
    """The chosen model with runner-ups, its training plan and embedding model; None without candidates."""
    from advisor.selection.throughput import demand_from

    context = answers.context_tokens or DEFAULT_CONTEXT_TOKENS
    notes: list[LocalizedText] = []
    allowed = _allowed(entries, answers, context, GENERATIVE_KINDS, notes)
    if not allowed:
        return None
    budget = _budget(hardware)
    demand = demand_from(answers, context)
    embedding = embedding_device = index_bytes = None
    reserved = 0
    if approach in ("rag", "raft"):
        embedding, embedding_device, reserved, index_bytes = _embedding(entries, answers, budget, hardware, notes)
        if reserved:
            budget = _shrink(budget, reserved)
    calib = calibration(entries)
    base = hash((budget, context, demand, answers.task_type, answers.languages, id(calib)))
    swept = [c for entry in allowed for c in _swept(entry, budget, context, answers, demand, calib, base)]
    fitting = [c for c in swept if c.fit != "does-not-fit"]
    training: TrainingPlan | None = None
    if approach in ("fine-tuning", "raft"):
        fitting, training = _with_training(fitting, budget, answers, notes)
    ranked = _best_per_model(fitting)
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
    if not chosen.delivery.meets:
        notes.append(_demand_note(chosen, demand))
        encoder = _encoder_hint(entries, answers, demand)
        if encoder is not None:
            notes.append(encoder)
    if training is not None and training.num_gpus > 1:
        strategy = {"fsdp": "FSDP (FULL_SHARD)", "zero3": "DeepSpeed ZeRO-3", "ddp": "DDP"}[training.distribution]
        notes.append(message("selection.training_distributed", gpus=training.num_gpus, strategy=strategy))
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
    unsupported = _unsupported_formats(budget)
    if unsupported:
        notes.append(message("selection.unsupported_format", formats=", ".join(unsupported)))
    from advisor.selection.hosted_api import hosted_route

    hosted = hosted_route(answers, demand.prompt_tokens, demand.output_tokens)
    if hosted is not None and hosted.first:
        best_api = hosted.options[0]
        if best_api.monthly_cost is not None:
            cost = message("selection.api_cost_month", cost=_money(best_api.monthly_cost, best_api.currency))
        else:
            cost = message("selection.api_cost_1000", cost=_money(best_api.cost_per_1000_requests, best_api.currency))
        notes.insert(
            0,
            message(
                "selection.hosted_first",
                provider=best_api.provider,
                model=best_api.model,
                cost=cost,
                date=best_api.price_as_of,
                local=chosen.entry.id,
            ),
        )
    option = _option(chosen, budget, context)
    return ModelChoice(
        id=option.id,
        chosen=option,
        runner_ups=[_option(c, budget, context) for c in others],
        embedding=embedding,
        training=training,
        notes=notes,
        candidates_considered=len(allowed),
        demand=Demand(
            concurrency=demand.concurrency,
            aggregate_tokens_per_second=round(demand.aggregate_tps, 1),
            per_request_tokens_per_second=demand.per_stream_tps,
            first_token_seconds=demand.ttft_s,
            prompt_tokens=demand.prompt_tokens,
            output_tokens=demand.output_tokens,
            requests_per_day=demand.requests_per_day,
        ),
        embedding_device=embedding_device,
        vector_index_bytes=index_bytes,
        hosted=hosted,
    )


def _best_per_model(candidates: list[_Candidate]) -> list[_Candidate]:
    """Best plan of each model, ranked; a model appears once (its other formats are not runner-ups)."""
    best: dict[str, _Candidate] = {}
    for c in candidates:
        kept = best.get(c.entry.id)
        if kept is None or _rank(c) < _rank(kept):
            best[c.entry.id] = c
    return sorted(best.values(), key=_rank)


def _rank(c: _Candidate) -> tuple[float, int, int, str]:
    return (-c.score, c.devices * c.dp, c.entry.total_params, c.entry.id)


# --- quality -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Calibration:
    """What the rated models of the catalog say about the unrated ones, per task."""

    tier_medians: dict[tuple[str, int], float]  # (task, tier) -> median score of rated models of that tier
    rated_tasks: frozenset[str]  # tasks at least one model is rated on
    french_gap: float  # median of general - French score over models measured on both


_CALIBRATIONS: dict[tuple[int, int], Calibration] = {}


def calibration(entries: list[CatalogEntry]) -> Calibration:
    """The calibration of ``entries`` (computed once per catalog list)."""
    key = (id(entries), len(entries))
    found = _CALIBRATIONS.get(key)
    if found is None:
        if len(_CALIBRATIONS) > 8:
            _CALIBRATIONS.clear()
        found = _CALIBRATIONS[key] = _calibrate(entries)
    return found


def _calibrate(entries: list[CatalogEntry]) -> Calibration:
    import statistics

    by_key: dict[tuple[str, int], list[float]] = {}
    gaps: list[float] = []
    for e in entries:
        quality = getattr(e, "quality", None) or {}
        for task, rated in quality.items():
            by_key.setdefault((task, e.quality_tier or 1), []).append(rated.score)
        french = (getattr(e, "language_quality", None) or {}).get("fr")
        if french is not None and "general" in quality:
            gaps.append(quality["general"].score - french.score)
    medians = {k: statistics.median(v) for k, v in by_key.items()}
    tasks = frozenset(task for task, _ in medians)
    return Calibration(medians, tasks, statistics.median(gaps) if gaps else 0.0)


def _tier_median(calib: Calibration, task: str, tier: int) -> float:
    """Median score of the rated models of ``tier`` on ``task``; from the nearest rated tier when
    none (TIER_STEP points a tier), and the tier scale itself when nothing is rated on the task."""
    if (task, tier) in calib.tier_medians:
        return calib.tier_medians[(task, tier)]
    rated = [t for (k, t) in calib.tier_medians if k == task]
    if not rated:
        return TIER_BASE + TIER_STEP * tier
    nearest = min(rated, key=lambda t: (abs(t - tier), t))
    return calib.tier_medians[(task, nearest)] + TIER_STEP * (tier - nearest)


def quality_tasks(answers: Answers) -> tuple[str, ...]:
    """The catalog quality tasks that measure this use case (averaged by quality_of)."""
    return QUALITY_TASKS.get(answers.task_type or "", ("general",))


def quality_of(entry: CatalogEntry, answers: Answers, calib: Calibration | None = None) -> float:
    """0-100 quality of ``entry`` for the task and languages asked (before any format's loss).

    Rule, in order:

    1. The catalog score of each quality task the use case needs (``quality_tasks``; averaged),
       from ``quality_score``, which caps it by each requested language the model was measured
       in. A task no model is rated on is read as ``general``.
    2. A model not rated on the task gets the median score of the rated models of its quality
       tier on that task, less UNRATED_PENALTY points: a measured model wins a tie against an
       estimated one.
    3. When French is asked and the model has no measured French score, its French is estimated
       as its general score less the median gap between general and French scores of the models
       measured on both, moved by its ``french_support`` level (FRENCH_ADJUST); the score is
       capped by that estimate, as a measured French score would cap it.
    """
    if calib is None:
        from advisor.catalog import load_catalog

        calib = calibration(load_catalog().entries)
    languages = list(answers.languages or ())
    tasks = tuple(dict.fromkeys(t if t in calib.rated_tasks else "general" for t in quality_tasks(answers)))
    tier = entry.quality_tier or 1
    scorer = getattr(entry, "quality_score", None)
    scores = []
    for task in tasks:
        rated = scorer(task, languages) if scorer is not None else None
        scores.append(rated if rated is not None else _tier_median(calib, task, tier) - UNRATED_PENALTY)
    score = sum(scores) / len(scores)
    measured = getattr(entry, "language_quality", None) or {}
    for code in languages:
        if code != "en" and code in measured:
            score = min(score, measured[code].score)  # the catalog's language cap, for estimated tasks too
    if "fr" in languages and "fr" not in measured:
        general = scorer("general", []) if scorer is not None else None
        if general is None:
            general = _tier_median(calib, "general", tier) - UNRATED_PENALTY
        score = min(score, general - calib.french_gap + FRENCH_ADJUST[entry.french_support])
    return round(max(0.0, min(100.0, score)), 2)


def loss_of(quant: Any, entry: CatalogEntry) -> float:
    """Quality share lost in ``quant``: nothing in the format the model was released in."""
    if quant.name == getattr(entry, "release_format", None):
        return 0.0
    if quant.native_when_published and quant.name in entry.quantized_formats:
        return 0.0
    return float(quant.quality_loss_pct)


# --- hardware ------------------------------------------------------------------------------------


def _budget(hardware: HardwareProfile) -> Budget:
    from advisor.hardware.gpus import find_gpu
    from advisor.selection.throughput import CPU_BANDWIDTH_GBPS, CPU_TFLOPS

    gpus = hardware.usable_gpus
    if not gpus:
        return Budget("cpu", hardware.usable_ram_bytes, 1, CPU_BANDWIDTH_GBPS, CPU_TFLOPS, vendor="cpu")
    slowest = min(gpus, key=lambda g: g.usable_bytes)
    spec = find_gpu(slowest.name)
    cc = _cc(slowest.compute_capability) or (spec.compute_capability if spec else None)
    bandwidth = slowest.memory_bandwidth_gbps or (spec.bandwidth_gbps if spec else None) or DEFAULT_GPU_BANDWIDTH_GBPS
    if spec is not None:
        bf16, fp8, fp4, tflops, vendor = spec.bf16, spec.fp8, spec.fp4, spec.compute_tflops, spec.vendor
    else:
        from advisor.hardware.gpus import DEFAULT_RIDGE_FLOP_PER_BYTE

        vendor = slowest.vendor if slowest.vendor in ("nvidia", "amd", "apple") else "nvidia"
        bf16 = cc is None or cc >= 8.0
        fp8 = "none" if cc is not None and cc < 7.5 else ("native" if cc is not None and cc >= 8.9 else "weight_only")
        fp4 = "native" if cc is not None and cc >= 10.0 else ("weight_only" if cc is not None and cc >= 8.0 else "none")
        tflops = bandwidth * DEFAULT_RIDGE_FLOP_PER_BYTE / 1000
    if slowest.unified_memory:
        vendor = "apple" if vendor != "nvidia" else vendor
    nodes = hardware.nodes if len(gpus) % hardware.nodes == 0 else 1
    return Budget(
        "gpu",
        slowest.usable_bytes,
        len(gpus),
        bandwidth,
        tflops,
        vendor=vendor,
        bf16=bf16,
        fp8=fp8,
        fp4=fp4,
        compute_capability=cc,
        nodes=nodes,
        gpus_per_node=len(gpus) // nodes,
        gpu_name=spec.name if spec is not None else slowest.name,
    )


# Bandwidth of a GPU neither detected nor in the table: an RTX 4090 reads 1,008 GB/s, an A100
# 2,039 GB/s (advisor/data/gpus.yaml); 1,000 GB/s is a middle figure for a recent card.
DEFAULT_GPU_BANDWIDTH_GBPS = 1000.0


def _cc(text: str | None) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None


def _shrink(budget: Budget, reserved: int) -> Budget:
    from dataclasses import replace

    return replace(budget, per_device_bytes=max(0, budget.per_device_bytes - reserved))


def runs_on(quant: Any, budget: Budget) -> bool:
    """Whether ``quant``'s kernels run on the budget's device (GPU table, vendor, engine)."""
    if budget.device == "cpu":
        return not quant.needs_gpu
    if budget.vendor == "apple":
        return bool(quant.runtime == "llama.cpp")  # Metal: llama.cpp / Ollama
    if quant.vendors is not None and budget.vendor not in quant.vendors:
        return False
    if quant.min_compute_capability is not None and budget.vendor == "nvidia":
        cc = budget.compute_capability
        if cc is not None and cc < quant.min_compute_capability and quant.gpu_feature is None:
            return False
    feature = quant.gpu_feature
    if feature == "bf16":
        return budget.bf16
    if feature == "fp8":
        return budget.fp8 != "none"
    if feature == "fp4":
        return budget.fp4 != "none"
    return True


def _unsupported_formats(budget: Budget) -> list[str]:
    if budget.device != "gpu" or budget.vendor == "apple":
        return []
    from advisor.quantization import get_quantization

    return [name for name in ("bf16", "fp8", "mxfp4") if not runs_on(get_quantization(name), budget)]


def _published(entry: CatalogEntry) -> frozenset[str]:
    release = getattr(entry, "release_format", None)
    return frozenset(entry.quantized_formats) | ({release} if release else frozenset())


@lru_cache(maxsize=256)
def _ladder_for(
    budget: Budget, published: frozenset[str], release_format: str | None = None
) -> tuple[tuple[Any, str], ...]:
    """(format, engine) pairs to try, best quality first: what the device runs and exists for the model."""
    from advisor.quantization import get_quantization, quantization_ladder

    out: list[tuple[Any, str]] = []
    # A model released in a compact format (gpt-oss: MXFP4) has no 16-bit checkpoint to serve or
    # quantize online: its release format is its 16-bit.
    released = release_format is not None or any(
        get_quantization(name).native_when_published for name in published if name in VLLM_FORMATS
    )
    for name in quantization_ladder():
        quant = get_quantization(name)
        if not runs_on(quant, budget):
            continue
        if quant.runtime == "llama.cpp":
            if name in published:
                out.append((quant, "llama.cpp"))
            continue
        if budget.device != "gpu" or budget.vendor == "apple" or name not in VLLM_FORMATS:
            continue
        if name == "fp16" and budget.bf16:
            continue  # bf16 where the GPU has it: same size, no overflow risk
        if name in published or (not released and (name in ("bf16", "fp16") or name in ONLINE_FORMATS)):
            out.append((quant, "vllm"))
    if budget.device == "cpu" and not out:
        # No published GGUF: a Q4_K_M / Q8_0 conversion is one llama.cpp command away.
        out = [(get_quantization(n), "llama.cpp") for n in ("gguf-q8_0", "gguf-q4_k_m")]
    out.sort(key=lambda qe: (qe[0].quality_loss_pct, qe[0].bits_per_weight))
    return tuple(out)


def _layouts(budget: Budget, engine: str) -> list[tuple[int, int, int]]:
    """(tensor, pipeline, data) parallel sizes to try: vLLM TP within a node (powers of two), PP
    across nodes, replicas over what is left; llama.cpp splits layers over one node's GPUs."""
    if budget.device != "gpu" or budget.vendor == "apple":
        return [(1, 1, 1)]
    out: list[tuple[int, int, int]] = []
    if engine == "llama.cpp":
        out.append((1, 1, budget.devices))
        if budget.gpus_per_node > 1:
            out.append((1, budget.gpus_per_node, budget.nodes))
        return out
    tp = 1
    while tp <= budget.gpus_per_node:
        out.append((tp, 1, budget.devices // tp))
        tp *= 2
    if budget.nodes > 1:
        widest = out[-1][0]
        out.append((widest, budget.nodes, 1))
    return out


# --- the sweep -----------------------------------------------------------------------------------


def _score(
    quality: float, loss: float, fit: FitLevel, engine: str, delivery: Delivery, demand: DemandFigures, budget: Budget
) -> float:
    """Ranking score: quality after the format's loss for plans that meet the demand (fit, engine
    and spare speed only break near-ties); far below, ranked by closeness, for plans that miss it."""
    headroom = max(1e-6, delivery.per_stream_tps / max(0.1, demand.per_stream_tps))
    if not delivery.meets:
        effective = quality * (1 - loss / 100)
        return (
            -DEMAND_MISS_PENALTY + MISS_SPEED_WEIGHT * math.log2(min(1.0, headroom)) + MISS_QUALITY_WEIGHT * effective
        )
    score = quality * (1 - loss / 100)
    if fit == "tight":
        score -= TIGHT_FIT_PENALTY
    large_gpu = budget.device == "gpu" and budget.vendor != "apple" and budget.per_device_bytes >= LARGE_GPU_BYTES
    if engine == "llama.cpp" and large_gpu:
        score -= LLAMA_CPP_LARGE_GPU_PENALTY
    return score + SPEED_WEIGHT * max(-SPEED_BONUS_CAP, min(SPEED_BONUS_CAP, math.log2(headroom)))


def _memory(
    entry: CatalogEntry, quant: Any, engine: str, gpus: int, context: int, device: str
) -> tuple[int, int, int, int]:
    """(bytes per GPU for one sequence, KV bytes per extra sequence per GPU, weight bytes, KV bytes per token)."""
    key = ("mem", entry.id, entry.total_params, quant.name, engine, gpus, context, device)
    found = _FIT_CACHE.get(key)
    if found is None:
        from advisor.memory import architecture_for, estimate_bytes

        if len(_FIT_CACHE) > FIT_CACHE_SIZE:
            _FIT_CACHE.clear()
        arch = architecture_for(entry)
        runtime = engine if engine in quant.engines else None
        one = estimate_bytes(arch, quant, context, 1, "inference", runtime=runtime, num_gpus=gpus, device=device)
        need = one.per_gpu or one.total
        kv_seq = max(1, math.ceil(one.kv_cache / max(1, gpus)))
        found = _FIT_CACHE[key] = (need, kv_seq, one.weights, one.kv_bytes_per_token)
    return found


def _swept(
    entry: CatalogEntry,
    budget: Budget,
    context: int,
    answers: Answers,
    demand: DemandFigures,
    calib: Calibration,
    base: int,
) -> list[_Candidate]:
    """``_sweep``, memoised: the terminal app and the benchmarks ask again with the same inputs, and
    the plans of a model depend only on it, the hardware, the context, the demand and what the
    quality reads from the answers (task and languages); ``base`` hashes those shared inputs once
    per selection."""
    key = ("sweep", entry.id, entry.total_params, base)
    found = _FIT_CACHE.get(key)
    if found is None:
        if len(_FIT_CACHE) > FIT_CACHE_SIZE:
            _FIT_CACHE.clear()
        found = _FIT_CACHE[key] = _sweep(entry, budget, context, answers, demand, calib)
    return found


def _sweep(
    entry: CatalogEntry,
    budget: Budget,
    context: int,
    answers: Answers,
    demand: DemandFigures,
    calib: Calibration | None = None,
) -> list[_Candidate]:
    """Plans of ``entry``: per format (best first), the layout that meets the demand with the fewest
    GPUs per replica, else the fastest; stops at the first format with a plan that meets it."""
    from advisor.selection.throughput import deliver

    context = min(context, entry.context_length)  # a model never holds more than it can read
    quality = quality_of(entry, answers, calib)
    if getattr(entry, "thinking", None) == "always":
        from dataclasses import replace

        f = THINKING_OUTPUT_FACTOR
        demand = replace(
            demand,
            output_tokens=int(demand.output_tokens * f),
            per_stream_tps=demand.per_stream_tps * f,
            aggregate_tps=demand.aggregate_tps * f,
        )
    active_share = (entry.active_params or entry.total_params) / entry.total_params
    active = entry.active_params or entry.total_params
    plans: list[_Candidate] = []
    top = -math.inf  # best score of a plan that fits and meets the demand
    for quant, engine in _ladder_for(budget, _published(entry), getattr(entry, "release_format", None)):
        loss = loss_of(quant, entry)
        if quality * (1 - loss / 100) + SPEED_WEIGHT * SPEED_BONUS_CAP < top:
            break  # the ladder is ordered by loss: no later format can rank higher
        best: _Candidate | None = None
        for tp, pp, dp in _layouts(budget, engine):
            gpus = tp * pp
            need1, kv_seq, weights, kv_token = _memory(entry, quant, engine, gpus, context, budget.device)
            room = budget.per_device_bytes - need1
            if room < 0:
                fit: FitLevel = "does-not-fit"
                max_seqs = 1
            else:
                cap = LLAMA_CPP_MAX_PARALLEL if engine == "llama.cpp" else VLLM_MAX_NUM_SEQS
                max_seqs = max(1, min(cap, 1 + room // kv_seq))
                fit = "comfortable" if need1 * COMFORT_FACTOR <= budget.per_device_bytes else "tight"
            delivery = deliver(
                weight_bytes_active=weights * active_share,
                active_params=active,
                kv_bytes_per_token=kv_token,
                bandwidth_gbps=budget.bandwidth_gbps,
                tflops=budget.tflops,
                tensor_parallel=tp,
                replicas=dp,
                max_concurrency=max_seqs,
                demand=demand,
            )
            seqs = delivery.batch
            need = need1 + (seqs - 1) * kv_seq
            if fit != "does-not-fit":
                fit = "comfortable" if need * COMFORT_FACTOR <= budget.per_device_bytes else "tight"
            score = _score(quality, loss, fit, engine, delivery, demand, budget)
            c = _Candidate(
                entry, quant, engine, tp, pp, dp, need, seqs, max_seqs, fit, delivery, quality, loss, round(score, 2)
            )
            if fit == "does-not-fit":
                if best is None or (best.fit == "does-not-fit" and c.need < best.need):
                    best = c
                continue
            if (
                best is None
                or best.fit == "does-not-fit"
                or (c.delivery.meets and not best.delivery.meets)
                or c.delivery.meets == best.delivery.meets
                and not c.delivery.meets
                and c.tps > best.tps
            ):
                best = c
        if best is not None:
            plans.append(best)
            if best.fit != "does-not-fit" and best.delivery.meets:
                top = max(top, best.score)
    return plans


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


def _fit(need: int, usable: int) -> FitLevel:
    if need > usable:
        return "does-not-fit"
    return "comfortable" if need * COMFORT_FACTOR <= usable else "tight"


def _layout_text(c: _Candidate, budget: Budget) -> str:
    if budget.device == "cpu":
        return "CPU"
    name = budget.gpu_name or "GPU"
    parts = [f"{c.devices * c.dp} x {name}"]
    if c.tp > 1:
        parts.append(f"TP {c.tp}")
    if c.pp > 1:
        parts.append(f"PP {c.pp}")
    if c.dp > 1:
        parts.append(f"{c.dp} replicas")
    return ", ".join(parts)


def _catalog_facts(entry: CatalogEntry) -> dict[str, Any]:
    """The catalog facts every plan option repeats (id, size, languages, licence)."""
    return {
        "id": entry.id,
        "name": entry.name,
        "family": entry.family,
        "kind": entry.kind,
        "total_params": entry.total_params,
        "active_params": entry.active_params,
        "context_length": entry.context_length,
        "languages": list(entry.languages),
        "french_support": entry.french_support,
        "licence": entry.licence.id,
        "commercial_use": entry.licence.commercial_use,
        "gated": entry.licence.gated,
    }


def _launch_args(c: _Candidate, budget: Budget, context: int) -> list[str]:
    if c.engine == "llama.cpp":
        args = ["-c", str(context), "--parallel", str(c.seqs)]
        if budget.device == "gpu":
            args += ["-ngl", "999"]
            if c.pp > 1:
                args += ["--split-mode", "layer"]
        return args
    args = []
    if c.tp > 1:
        args += ["--tensor-parallel-size", str(c.tp)]
    if c.pp > 1:
        args += ["--pipeline-parallel-size", str(c.pp), "--distributed-executor-backend", "ray"]
    if c.dp > 1:
        args += ["--data-parallel-size", str(c.dp)]
    if c.quant.name in ONLINE_FORMATS and c.quant.name not in c.entry.quantized_formats:
        args += ["--quantization", c.quant.name]
    if c.quant.name == "fp16":
        args += ["--dtype", "float16"]
    args += [
        "--max-model-len",
        str(context),
        "--max-num-seqs",
        str(c.max_seqs),
        "--gpu-memory-utilization",
        str(GPU_MEMORY_UTILIZATION),
    ]
    return args


def _option(c: _Candidate, budget: Budget, context: int) -> ModelOption:
    """The full, documented form of a candidate (with the detailed MemoryEstimate)."""
    from advisor.memory import estimate_memory

    entry, quant = c.entry, c.quant
    context = min(context, entry.context_length)
    key = ("estimate", entry.id, entry.total_params, quant.name, context, c.seqs, c.devices, c.engine, budget.device)
    estimate = _FIT_CACHE.get(key)
    if estimate is None:
        estimate = _FIT_CACHE[key] = estimate_memory(
            entry,
            quantization=quant.name,
            context_tokens=context,
            batch_size=c.seqs,
            num_gpus=c.devices,
            runtime=c.engine if c.engine in quant.engines else None,
            device=budget.device,
        )
    estimate = estimate.model_copy()  # a fresh top level per plan; its parts are never modified
    d = c.delivery
    return ModelOption(
        **_catalog_facts(entry),
        quantization=quant.name,
        runtime=c.engine,
        device=budget.device,
        num_gpus=c.devices if budget.device == "gpu" else 0,
        memory=estimate,
        usable_bytes=budget.per_device_bytes * max(1, c.devices),
        fit=c.fit,
        margin_bytes=(budget.per_device_bytes - c.need) * max(1, c.devices),
        score=c.score,
        tokens_per_second=round(d.per_stream_tps, 1),
        why=message(
            "selection.why_v2",
            quality=f"{c.quality:.0f}",
            loss=LocalizedText(en=f"{c.loss_pct:g}%", fr=f"{c.loss_pct:g}\u202f%".replace(".", ",")),
            quantization=quant.name,
            need=_gib(c.need),
            usable=_gib(budget.per_device_bytes),
            layout=_layout_text(c, budget),
            tps=number_text(d.per_stream_tps),
        ),
        engine=c.engine,
        gpu_name=budget.gpu_name if budget.device == "gpu" else None,
        tensor_parallel_size=c.tp,
        pipeline_parallel_size=c.pp,
        data_parallel_size=c.dp,
        gpus_used=c.devices * c.dp if budget.device == "gpu" else 0,
        gpu_memory_utilization=GPU_MEMORY_UTILIZATION if c.engine == "vllm" else None,
        max_num_seqs=c.max_seqs,
        launch_args=_launch_args(c, budget, context),
        quality=c.quality,
        quality_loss_pct=c.loss_pct,
        aggregate_tokens_per_second=round(d.aggregate_tps, 1),
        single_request_tokens_per_second=round(d.single_stream_tps, 1),
        first_token_seconds=round(d.ttft_s, 3),
        meets_demand=d.meets,
        extra_bytes=c.extra,
    )


def _demand_note(c: _Candidate, demand: DemandFigures) -> LocalizedText:
    return message(
        "selection.demand_not_met",
        concurrency=number_text(demand.concurrency),
        tps=number_text(demand.per_stream_tps, 0 if float(demand.per_stream_tps).is_integer() else 1),
        ttft=number_text(demand.ttft_s, 0 if float(demand.ttft_s).is_integer() else 1),
        model=c.entry.id,
        got=number_text(c.tps, 1),
    )


def _encoder_hint(entries: list[CatalogEntry], answers: Answers, demand: DemandFigures) -> LocalizedText | None:
    """For labelling or extraction no generative model keeps up with: the encoder to fine-tune instead."""
    if answers.task_type not in ("classification", "information_extraction", "parsing_structured"):
        return None
    pool = [e for e in entries if e.kind == "encoder"]
    if "fr" in (answers.languages or ()):
        pool = [e for e in pool if e.french_support in ("good", "strong")] or pool
    if not pool:
        return None
    best = max(pool, key=lambda e: (e.quality_tier or 0, -e.total_params))
    return message("selection.encoder_instead", model=best.id)


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


# --- training ------------------------------------------------------------------------------------


def _with_training(
    fitting: list[_Candidate], budget: Budget, answers: Answers, notes: list[LocalizedText]
) -> tuple[list[_Candidate], TrainingPlan | None]:
    """The strongest bases whose training run fits at the sequence length the examples need.

    Best-first by serving quality; full length first. Only when no base trains at full length are
    shorter sequences tried, and the plan then says so.
    """
    if budget.device != "gpu" or budget.vendor == "apple":
        notes.append(message("selection.training_needs_gpu"))
        return fitting, None
    ranked = _best_per_model(fitting)
    for shorten in (False, True):
        trainable: list[tuple[_Candidate, tuple[str, int]]] = []
        for candidate in ranked:
            found = _training_method(candidate, budget, answers, shorten=shorten)
            if found is not None:
                trainable.append((candidate, found))
                if len(trainable) > RUNNER_UPS:
                    break
        if trainable:
            chosen, (method, sequence) = trainable[0]
            plan = _training_plan(chosen, method, sequence, budget, answers, notes)
            return [c for c, _ in trainable], plan
    notes.append(message("selection.training_does_not_fit"))
    return fitting, None


def _training_methods(answers: Answers) -> list[str]:
    """Full fine-tuning only with tens of thousands of examples and an advanced team; else LoRA, then QLoRA."""
    methods = ["lora", "qlora"]
    if (answers.labelled_examples or 0) >= _threshold("full_ft_min_examples") and answers.team_ml_skills == "advanced":
        methods.insert(0, "full")
    return methods


def _train_sequences(c: _Candidate, answers: Answers) -> list[int]:
    """Sequence lengths to try, longest first: the stated context, then halved, never below MIN_TRAIN_SEQUENCE."""
    first = min(answers.context_tokens or TRAIN_DEFAULT_SEQUENCE, TRAIN_MAX_SEQUENCE, c.entry.context_length)
    lengths = [first]
    while lengths[-1] // 2 >= MIN_TRAIN_SEQUENCE:
        lengths.append(lengths[-1] // 2)
    return lengths


def _training_method(
    c: _Candidate, budget: Budget, answers: Answers, *, shorten: bool = True
) -> tuple[str, int] | None:
    """The first (method, sequence length) whose per-GPU estimate fits, or None."""
    from advisor.memory import architecture_for, estimate_bytes

    arch = architecture_for(c.entry)
    sequences = _train_sequences(c, answers)
    for sequence in sequences if shorten else sequences[:1]:
        for method in _training_methods(answers):
            if method == "qlora" and budget.vendor != "nvidia":
                continue  # bitsandbytes 4-bit: NVIDIA only
            key = ("train", c.entry.id, method, sequence, budget.devices)
            need = _FIT_CACHE.get(key)
            if need is None:
                figures = estimate_bytes(
                    arch,
                    "nf4" if method == "qlora" else "bf16",
                    sequence,
                    TRAIN_BATCH,
                    method,
                    gradient_checkpointing=True,
                    num_gpus=budget.devices,
                    lora_rank=LORA_RANK,
                )
                need = _FIT_CACHE[key] = figures.per_gpu or figures.total
            if _fit(need, budget.per_device_bytes) != "does-not-fit":
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
    distribution = "single" if budget.devices == 1 else ("zero3" if method == "full" else "fsdp")
    launcher = None if budget.devices == 1 else f"accelerate launch --num_processes {budget.devices}"
    return TrainingPlan(
        method=method,
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
        distribution=distribution,
        launcher=launcher,
        serve_adapter=method != "full",
    )


# --- retrieval stack -----------------------------------------------------------------------------


def _embedding(
    entries: list[CatalogEntry], answers: Answers, budget: Budget, hardware: HardwareProfile, notes: list[LocalizedText]
) -> tuple[ModelOption | None, str | None, int, int | None]:
    """The embedding model, where it runs, the memory it takes from the generator's device, and the
    vector index's RAM. On a GPU it stays next to the generator when small (<= 10 % of one GPU),
    else it goes to the CPU; on a CPU plan both come out of the RAM budget."""
    from advisor.memory import architecture_for, estimate_bytes, estimate_memory
    from advisor.quantization import get_quantization

    pool = [e for e in entries if e.kind == "embedding"]
    for code in answers.languages or ():
        pool = _keep(pool, lambda e, c=code: c in e.languages, notes, "selection.relaxed_language", lang=code)
    if not pool:
        return None, None, 0, None
    wants_french = "fr" in (answers.languages or ())
    best = max(
        pool,
        key=lambda e: (e.quality_tier or 0, FRENCH_ADJUST[e.french_support] if wants_french else 0, -e.total_params),
    )
    context = min(best.context_length, EMBEDDING_CONTEXT)
    arch = architecture_for(best)
    on_gpu = budget.device == "gpu"
    quant = get_quantization("fp16" if on_gpu else "fp32")
    figures = estimate_bytes(arch, quant, context, 1, "inference", device="gpu" if on_gpu else "cpu")
    need = figures.per_gpu or figures.total
    if on_gpu and need > EMBEDDING_GPU_SHARE * budget.per_device_bytes:
        on_gpu = False
        quant = get_quantization("fp32")
        need = estimate_bytes(arch, quant, context, 1, "inference", device="cpu").total
    device = "gpu" if on_gpu else "cpu"
    dim = int(best.text_config.get("hidden_size") or 1024)
    index = None
    if answers.corpus_size_pages:
        chunks = int(answers.corpus_size_pages * CHUNKS_PER_PAGE)
        index = int(chunks * dim * 4 * HNSW_OVERHEAD)
        notes.append(
            message("selection.vector_index", chunks=number_text(chunks), size=_gib(index), dim=number_text(dim))
        )
    if device == "gpu":
        notes.append(message("selection.embedding_on_gpu", model=best.id, need=_gib(need)))
        reserved = need
    else:
        if budget.device == "gpu":
            notes.append(message("selection.embedding_on_cpu", model=best.id, need=_gib(need)))
        reserved = need + (index or 0) if budget.device == "cpu" else 0
    estimate = estimate_memory(best, quantization=quant.name, context_tokens=context, device=device)
    usable = budget.per_device_bytes if device == budget.device else hardware.usable_ram_bytes
    option = ModelOption(
        **_catalog_facts(best),
        quantization=quant.name,
        runtime="transformers",
        device=device,
        num_gpus=1 if device == "gpu" else 0,
        memory=estimate,
        usable_bytes=usable,
        fit=_fit(need, usable),
        margin_bytes=usable - need,
        score=0.0,
        tokens_per_second=None,
        why=message(
            "selection.embedding_on_gpu" if device == "gpu" else "selection.embedding_on_cpu",
            model=best.id,
            need=_gib(need),
        ),
        engine="transformers",
        gpu_name=budget.gpu_name if device == "gpu" else None,
    )
    return option, device, reserved, index


def _threshold(name: str) -> float:
    from advisor.rules.loader import load_knowledge_base

    return load_knowledge_base().thresholds[name]


def _money(value: float, currency: str) -> LocalizedText:
    """An amount as each language writes it: 1,234.50 USD / 1 234,50 USD (narrow no-break spaces)."""
    en = f"{value:,.2f}" if value < 100 else f"{value:,.0f}"
    fr = en.replace(",", "\u202f").replace(".", ",")
    return LocalizedText(en=f"{en} {currency}", fr=f"{fr}\u00a0{currency}")


def _gib(value: int) -> LocalizedText:
    return LocalizedText(en=format_bytes(value, "en"), fr=format_bytes(value, "fr"))
