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
Distribution = Literal["single", "ddp", "fsdp", "zero3"]


class Demand(BaseModel):
    """What the use case asks of the serving plan at its busiest (advisor.throughput.demand_from)."""

    concurrency: int = Field(description="Requests in flight at peak (Little's law, or peak_concurrent_requests).")
    aggregate_tokens_per_second: float = Field(description="Output tokens per second over all requests at peak.")
    per_request_tokens_per_second: float = Field(description="Decode speed one request needs (latency class).")
    first_token_seconds: float = Field(description="Time to first token the latency class allows.")
    prompt_tokens: int = Field(description="Prompt plus documents per request.")
    output_tokens: int = Field(description="Expected answer length (output_tokens, or by output format).")
    requests_per_day: int | None = Field(None, description="volume_per_day as answered.")


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
    tokens_per_second: float | None = Field(None, description="Decode speed of one request at peak load.")
    why: LocalizedText = Field(description="Why it ranks where it does.")
    engine: Literal["vllm", "llama.cpp", "transformers"] = Field(
        "vllm", description="Serving engine the plan runs: vLLM on GPUs, llama.cpp/Ollama for GGUF, CPU and Apple."
    )
    gpu_name: str | None = Field(None, description="GPU the plan is sized and timed for (from advisor/data/gpus.yaml).")
    tensor_parallel_size: int = Field(1, description="vLLM --tensor-parallel-size: GPUs one layer is split over.")
    pipeline_parallel_size: int = Field(
        1, description="vLLM --pipeline-parallel-size: nodes the layers are split over."
    )
    data_parallel_size: int = Field(1, description="vLLM --data-parallel-size: independent replicas.")
    gpus_used: int = Field(0, description="GPUs the plan occupies: tensor x pipeline x data parallel sizes.")
    gpu_memory_utilization: float | None = Field(
        None, description="vLLM --gpu-memory-utilization the plan assumes (share of each GPU's total memory)."
    )
    max_num_seqs: int | None = Field(None, description="Requests one replica's KV cache holds at the planned context.")
    launch_args: list[str] = Field(
        default_factory=list,
        description="Engine arguments, e.g. ['--tensor-parallel-size', '2', '--quantization', 'fp8'].",
    )
    quality: float | None = Field(
        None, description="0-100 quality for the task and languages, before the format's loss."
    )
    quality_loss_pct: float = Field(
        0.0, description="Share of quality the format costs (advisor/data/quantizations.yaml)."
    )
    aggregate_tokens_per_second: float | None = Field(None, description="Output tokens/s over all replicas at peak.")
    single_request_tokens_per_second: float | None = Field(None, description="Decode speed of a lone request.")
    first_token_seconds: float | None = Field(None, description="Prefill time of one prompt.")
    meets_demand: bool | None = Field(
        None, description="Whether concurrency, speed per request and first-token time meet the use case's need."
    )
    extra_bytes: int = Field(0, description="Memory of other models placed on the same device (embedding model).")


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
    distribution: Distribution = Field("single", description="single GPU, DDP, FSDP (FULL_SHARD) or DeepSpeed ZeRO-3.")
    launcher: str | None = Field(
        None, description="Command that starts the run, e.g. 'accelerate launch --num_processes 8'."
    )
    serve_adapter: bool = Field(True, description="Serve the LoRA adapter (vLLM --enable-lora) rather than the base.")


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
    demand: Demand | None = Field(None, description="What the use case asks of the serving plan.")
    embedding_device: Literal["gpu", "cpu"] | None = Field(None, description="Where the embedding model runs.")
    vector_index_bytes: int | None = Field(None, description="RAM of the vector index for the corpus (RAG/RAFT).")
