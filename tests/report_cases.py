"""Use cases the report tests render: answers, a fixed hardware override, and a hand-built model plan.

The answers and hardware are written here rather than read from examples/ so that the golden files
change only when the report, the knowledge base or the model selection change. The hand-built plan
(ModelChoice, TrainingPlan, SmokeResult) exercises the model, memory, commands and smoke sections
whatever the selection currently returns.
"""

from __future__ import annotations

from typing import Any

from advisor.i18n import LocalizedText
from advisor.results import MemoryEstimate, ModelChoice, ModelOption, Recommendation, TrainingPlan

GIB = 1024**3

HARDWARE: dict[str, dict[str, Any]] = {
    "gpu24": {"gpus": [{"name": "RTX 4090", "vram_gb": 24}], "ram_gb": 64},
    "cpu": {"gpus": [], "ram_gb": 32},
    "h100x2": {
        "gpus": [{"name": "H100 80GB", "vram_gb": 80}, {"name": "H100 80GB", "vram_gb": 80}],
        "ram_gb": 512,
    },
}

CASES: dict[str, tuple[dict[str, Any], str]] = {
    # Questions on a large, changing, private French corpus with citations: RAG by scores.
    "rag_documents": (
        {
            "task_type": "document_qa",
            "needs_language_understanding": "high",
            "input_nature": "free_text",
            "languages": ["fr", "en"],
            "knowledge_source": "domain_documents",
            "knowledge_change_frequency": "monthly",
            "corpus_size_pages": 3000,
            "needs_citations": True,
            "data_privacy": "on_prem_only",
            "team_ml_skills": "basic",
            "end_users": "internal_non_technical",
            "context_tokens": 8192,
        },
        "gpu24",
    ),
    # A strong house style with thousands of pairs and a skilled team: fine-tuning by scores.
    "fine_tuning_style": (
        {
            "task_type": "drafting_generation",
            "needs_language_understanding": "high",
            "input_nature": "free_text",
            "languages": ["fr"],
            "knowledge_source": "general_knowledge",
            "labelled_examples": 3000,
            "labelled_examples_type": "input_output_pairs",
            "style_terminology_need": "strong",
            "output_format": "free_text",
            "data_privacy": "on_prem_only",
            "latency_requirement": "interactive_lt_5s",
            "volume_per_day": 2000,
            "team_ml_skills": "advanced",
            "budget": "medium",
            "context_tokens": 2048,
        },
        "h100x2",
    ),
    # Plenty of class labels, little nuance, real-time at volume, no GPU: a classic classifier (gate).
    "classic_classifier": (
        {
            "task_type": "classification",
            "needs_language_understanding": "low",
            "input_nature": "free_text",
            "languages": ["fr"],
            "labelled_examples": 20000,
            "labelled_examples_type": "class_labels",
            "num_classes": 12,
            "volume_per_day": 50000,
            "latency_requirement": "realtime_lt_1s",
            "team_ml_skills": "intermediate",
        },
        "cpu",
    ),
}


def stand_in_memory(context: int, batch: int = 1, gpus: int = 1, **parts: float) -> MemoryEstimate:
    """A real estimate with chosen parts in GiB over all GPUs, sharded evenly as the estimator reports
    sharded plans; the fields the report does not read hold neutral values."""
    breakdown = {name: int(gib * GIB) for name, gib in parts.items()}
    total = sum(breakdown.values())
    return MemoryEstimate(
        model="report-case",
        model_type="qwen3",
        total_bytes=total,
        per_gpu_bytes=total // gpus,
        breakdown=breakdown,
        details={},
        total_params=0,
        active_params=0,
        trainable_params=0,
        params_source="catalog",
        quantization="bf16",
        weights_bits_per_param=16.0,
        mode="inference",
        runtime="vllm",
        device="gpu",
        context_tokens=context,
        max_new_tokens=0,
        batch_size=batch,
        num_gpus=gpus,
        kv_cache_dtype="bf16",
        kv_cache_bytes_per_token=0,
        gradient_checkpointing=None,
        assumptions=["KV cache in bf16 for the whole context.", "activations: one sequence, no paging"],
    )


def stand_in_option(**fields: Any) -> ModelOption:
    defaults: dict[str, Any] = {
        "family": "qwen3",
        "kind": "decoder",
        "runtime": "vllm",
        "languages": ["en", "fr", "de", "es"],
        "french_support": "good",
        "licence": "apache-2.0",
        "commercial_use": True,
        "score": 1.0,
    }
    return ModelOption(**{**defaults, **fields})


def planned_model(usable_per_gpu: int) -> ModelChoice:
    """A fine-tuning plan spread over two GPUs, as selection would return it."""
    usable = 2 * usable_per_gpu
    memory = stand_in_memory(2048, 4, 2, weights=61.0, kv_cache=3.0, activations=1.5, overhead=2.0)
    chosen = stand_in_option(
        id="Qwen/Qwen3-32B",
        name="Qwen3 32B",
        total_params=32_762_123_264,
        context_length=40_960,
        quantization="bf16",
        num_gpus=2,
        memory=memory,
        usable_bytes=usable,
        fit="comfortable",
        margin_bytes=usable - memory.total_bytes,
        why=LocalizedText(
            en="Best quality tier that fits both GPUs in bf16, with French officially supported.",
            fr="Meilleur niveau de qualité qui tient sur les deux GPU en bf16, "
            "avec le français officiellement pris en charge.",
        ),
    )
    moe_memory = stand_in_memory(2048, 4, 2, weights=57.0, kv_cache=1.5, activations=1.0, overhead=2.0)
    runner = stand_in_option(
        id="Qwen/Qwen3-30B-A3B",
        name="Qwen3 30B-A3B",
        total_params=30_532_122_624,
        active_params=3_345_000_000,
        context_length=40_960,
        quantization="bf16",
        num_gpus=2,
        memory=moe_memory,
        usable_bytes=usable,
        fit="comfortable",
        margin_bytes=usable - moe_memory.total_bytes,
        why=LocalizedText(
            en="Much faster (3.3 B active parameters) but one quality tier lower.",
            fr="Bien plus rapide (3,3 Md de paramètres actifs) mais un niveau de qualité en dessous.",
        ),
    )
    training_memory = stand_in_memory(
        2048, 4, 2, weights=61.0, gradients=1.0, optimizer=2.0, adapters=0.5, activations=18.0, overhead=3.0
    )
    training = TrainingPlan(
        method="lora",
        base_quantization="bf16",
        lora_rank=16,
        sequence_length=2048,
        batch_size=4,
        gradient_checkpointing=True,
        num_gpus=2,
        memory=training_memory,
        fit="comfortable",
        margin_bytes=usable_per_gpu - training_memory.per_gpu_bytes,
        why=LocalizedText(
            en="LoRA in bf16 fits each GPU once ZeRO-3 shards the base weights; QLoRA is not needed.",
            fr="LoRA en bf16 tient sur chaque GPU une fois les poids de base répartis par ZeRO-3 ; "
            "QLoRA n'est pas nécessaire.",
        ),
    )
    return ModelChoice(
        id=chosen.id,
        chosen=chosen,
        runner_ups=[runner],
        training=training,
        notes=[
            LocalizedText(
                en="Gated models were left out.", fr="Les modèles à accès restreint ont été écartés."
            )
        ],
        candidates_considered=42,
    )


def with_planned_model(rec: Recommendation, smoke: bool = True) -> Recommendation:
    """``rec`` with the hand-built plan (and a smoke-test result) in place of what selection gave."""
    from advisor.results import SmokeResult

    choice = planned_model(rec.hardware.max_gpu_usable_bytes)
    result = None
    if smoke:
        estimate = choice.chosen.memory.total_bytes
        result = SmokeResult(
            ok=True,
            verdict="fits",
            model=choice.chosen.id,
            device="cuda:0,cuda:1",
            quantization="bf16",
            load_seconds=41.2,
            time_to_first_token_s=0.183,
            tokens_per_second=27.4,
            peak_memory_bytes=int(estimate * 1.04),
            estimate_bytes=estimate,
            measured_over_estimated=1.04,
            generated_text="Ce service répond aux questions des équipes.",
        )
    return rec.model_copy(
        update={
            "model": choice,
            "quantization": choice.chosen.quantization,
            "memory": choice.chosen.memory,
            "selection_note": None,
            "smoke": result,
        }
    )
