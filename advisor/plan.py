"""The model side of a recommendation: which model, at which quantization, on which runtime, with
what margin, and for approaches that train, how to train it.

These are plain result types so the report, the summary and the terminal app can show a plan
without knowing how it was selected (see advisor.selection).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from advisor.i18n import LocalizedText

Runtime = Literal["transformers", "vllm", "llama.cpp"]
FitLevel = Literal["comfortable", "tight", "does-not-fit"]


class ModelOption(BaseModel):
    """One catalog model at one quantization, sized for the hardware."""

    id: str = Field(description="Hub repo id of the catalog entry.")
    name: str
    family: str
    kind: str = Field(description="decoder, encoder, encoder-decoder, ssm, hybrid, embedding.")
    total_params: int
    active_params: int | None = Field(None, description="Parameters used per token (MoE), if different.")
    context_length: int
    languages: list[str]
    french_support: str = Field(description="none, basic, good or strong.")
    licence: str = Field(description="Licence id.")
    commercial_use: bool
    gated: bool = False
    quantization: str = Field(description="Quantization name from the contract, e.g. awq-int4.")
    runtime: Runtime = Field(description="Where this quantization runs best.")
    device: Literal["gpu", "cpu"] = "gpu"
    num_gpus: int = Field(1, description="GPUs the weights are spread over (tensor parallel size).")
    memory: Any = Field(description="advisor.memory.MemoryEstimate for this plan.")
    usable_bytes: int = Field(description="Memory available to it: usable GPU memory (times num_gpus) or RAM.")
    fit: FitLevel
    margin_bytes: int = Field(description="usable_bytes - estimated total; negative when it does not fit.")
    score: float = Field(description="Ranking score (quality, speed, fit, French); higher is better.")
    tokens_per_second: float | None = Field(None, description="Rough decode speed from memory bandwidth.")
    why: LocalizedText = Field(description="Why it ranks where it does.")


class TrainingPlan(BaseModel):
    """How to train the chosen base model (fine-tuning and RAFT)."""

    method: Literal["full", "lora", "qlora"]
    base_quantization: str = Field(description="bf16 for full and LoRA, nf4 for QLoRA.")
    lora_rank: int | None = None
    sequence_length: int
    batch_size: int
    gradient_checkpointing: bool
    num_gpus: int
    memory: Any = Field(description="advisor.memory.MemoryEstimate of training, per GPU.")
    fit: FitLevel
    margin_bytes: int
    why: LocalizedText


class ModelChoice(BaseModel):
    """The chosen model with its runner-ups, and what else the plan needs."""

    id: str = Field(description="Hub id of the chosen model (same as chosen.id).")
    chosen: ModelOption
    runner_ups: list[ModelOption] = Field(default_factory=list)
    embedding: ModelOption | None = Field(None, description="Embedding model for RAG and RAFT.")
    training: TrainingPlan | None = None
    notes: list[LocalizedText] = Field(
        default_factory=list, description="What the selection had to give up, said plainly."
    )
    candidates_considered: int = 0
