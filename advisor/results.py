"""The typed results every view reads: the recommendation, the model plan, the smoke test.

One module holds them so that the report, the CLI summary, ``--json`` and the terminal app read the
same validated objects and never go back to the rule base or the catalog. Every field is typed, so
a JSON round trip gives back an equal object and the JSON schema documents each field; texts are
kept in English and French so the same result can be read by anyone on the team.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from advisor.hardware.profile import GpuInfo, HardwareProfile
from advisor.i18n import Lang, LocalizedText
from advisor.memory.estimate import MemoryEstimate
from advisor.questionnaire import Answers
from advisor.rules.engine import FactValue, RuleTrace
from advisor.rules.schema import Approach

__all__ = [
    "Alternative",
    "FollowUpQuestion",
    "GpuInfo",
    "HardwareProfile",
    "Demand",
    "MemoryEstimate",
    "ModelChoice",
    "ModelOption",
    "Reason",
    "Recommendation",
    "SmokeAttempt",
    "SmokeError",
    "SmokeResult",
    "SourceRef",
    "Technique",
    "TrainingPlan",
    "Versions",
]

# ---------------------------------------------------------------------------------------------
# The model plan

Runtime = Literal["transformers", "vllm", "llama.cpp"]
FitLevel = Literal["comfortable", "tight", "does-not-fit"]
Distribution = Literal["single", "ddp", "fsdp", "zero3"]


class HostedOption(BaseModel):
    """One API the team could call, with its monthly cost for the stated volume."""

    provider: str
    model: str
    eu_hosted: bool
    region_note: str
    monthly_cost: float | None = Field(None, description="Volume x tokens x price, per month; None without volume.")
    cost_per_1000_requests: float = Field(description="Price of 1,000 requests of the use case's prompt and answer.")
    currency: Literal["USD", "EUR"]
    price_as_of: str
    source: str


class HostedRoute(BaseModel):
    """The hosted-API route of a plan."""

    first: bool = Field(description="The API is the recommended first route (the self-hosted plan is the alternative).")
    reasons: list[str] = Field(description="Why: small team, low budget, modest volume (stable codes).")
    options: list[HostedOption]
    prices_as_of: str


class Demand(BaseModel):
    """What the use case asks of the serving plan at its busiest (advisor.selection.throughput.demand_from)."""

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
    memory: MemoryEstimate = Field(description="Memory estimate of this plan, in bytes, with its breakdown.")
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
    memory: MemoryEstimate = Field(description="Memory estimate of training, per GPU.")
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
    hosted: HostedRoute | None = Field(
        None, description="Hosted-API route when the data may go to a public API; first when it serves the team better."
    )


# ---------------------------------------------------------------------------------------------
# The smoke test

ErrorCode = Literal[
    "gated-needs-token",
    "not-found",
    "offline-not-cached",
    "bin-weights-only",
    "needs-remote-code",
    "timeout",
    "crashed",
    "out-of-memory",
    "missing-dependency",
    "cuda-required",
    "unsupported-quantization",
    "unsupported-model",
    "hub-error",
    "invalid-model",
    "disk-space",
    "failed",
]
Verdict = Literal["fits", "does-not-fit", "could-not-run"]


class SmokeError(BaseModel):
    """Why a smoke test did not pass, in words a person can act on."""

    model_config = ConfigDict(extra="forbid")

    code: ErrorCode = Field(description="Stable identifier, for programs and tests.")
    message: str = Field(description="What happened; Hub tokens are masked.")
    hint: str | None = Field(None, description="What to do about it.")


class SmokeAttempt(BaseModel):
    """One child run; the fallback makes several, biggest quantization first."""

    model_config = ConfigDict(extra="forbid")

    quantization: str | None = Field(description="Quantization asked for (None: the child's default).")
    verdict: Verdict
    error_code: ErrorCode | None = None
    peak_memory_bytes: int | None = None
    seconds: float = Field(description="Wall time of this child, start to end.")


class SmokeResult(BaseModel):
    """What loading and running the model really took, next to what was estimated."""

    model_config = ConfigDict(extra="forbid")

    ok: bool = Field(description="True when the model loaded and generated.")
    verdict: Verdict = Field(
        description="fits: it ran; does-not-fit: out of memory (or a memory cap hit); "
        "could-not-run: refused, missing, crashed or timed out, so nothing is known about the fit."
    )
    error: SmokeError | None = Field(None, description="Set whenever ok is False.")
    model: str = Field(description="The Hub id or directory as given.")
    model_path: str | None = Field(None, description="The local directory actually loaded (a Hub snapshot path).")
    revision: str | None = None
    device: str | None = Field(None, description="Where the weights went: 'cpu', 'cuda:0', 'cuda:0,cuda:1'.")
    quantization: str | None = Field(None, description="Quantization the last attempt loaded or tried.")
    load_seconds: float | None = Field(None, description="from_pretrained until the weights are in place.")
    time_to_first_token_s: float | None = Field(None, description="Prefill and first token, median of runs.")
    tokens_per_second: float | None = Field(
        None, description="Decode rate after the first token: (new tokens - 1) / decode time, median of runs."
    )
    prompt_tokens: int | None = None
    new_tokens: int | None = Field(None, description="Tokens generated in the measured run.")
    runs: int | None = Field(None, description="Measured generations (after one warm-up).")
    peak_memory_bytes: int | None = Field(
        None, description="GPU: max allocated by torch + non-torch memory, summed over GPUs; CPU: peak RSS."
    )
    load_peak_memory_bytes: int | None = Field(
        None, description="Peak while loading (dtype casts and quantization transients included)."
    )
    generation_peak_memory_bytes: int | None = Field(
        None, description="Peak while generating, measured after a reset once loading was done."
    )
    memory_per_device: dict[str, int] = Field(default_factory=dict, description="GPU peak per device.")
    baseline_memory_bytes: int | None = Field(
        None, description="Held before the weights loaded: GPU used memory, or RSS with libraries imported."
    )
    peak_rss_bytes: int | None = Field(None, description="Peak resident memory of the child, on any device.")
    memory_measure: str | None = Field(None, description="How peak_memory_bytes was measured.")
    estimate_bytes: int | None = Field(None, description="The estimate's total for this quantization.")
    compared_measured_bytes: int | None = Field(None, description="The measured side of the ratio.")
    compared_estimate_bytes: int | None = Field(None, description="The estimated side of the ratio.")
    measured_over_estimated: float | None = Field(
        None, description="compared_measured_bytes / compared_estimate_bytes (1.0 = the estimate was exact)."
    )
    comparison: str | None = Field(None, description="What was compared with what, in words.")
    generated_text: str | None = Field(None, description="Decoded new tokens (None without a tokenizer).")
    generated_token_ids: list[int] = Field(default_factory=list)
    attempts: list[SmokeAttempt] = Field(default_factory=list, description="Every child run, in order.")
    notes: list[str] = Field(default_factory=list, description="What the run assumed or could not do.")
    seconds: float | None = Field(None, description="Wall time of all attempts.")


# ---------------------------------------------------------------------------------------------
# The recommendation

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
    facts: dict[str, FactValue] = Field(description="The facts it read, with their values.")
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
    model: ModelChoice | None = Field(None, description="Chosen catalog model with runner-ups (None for no-llm).")
    quantization: str | None = Field(None, description="e.g. bf16, int8, nf4, awq-int4, gguf-q4_k_m.")
    memory: MemoryEstimate | None = Field(
        None, description="Memory estimate of the chosen plan, in bytes, with its breakdown."
    )
    selection_note: LocalizedText | None = Field(None, description="Why model fields are empty, when they are.")
    answers: Answers
    hardware: HardwareProfile
    versions: Versions
    trace: list[RuleTrace] = Field(description="Every rule of the knowledge base as evaluated.")
    smoke: SmokeResult | None = Field(None, description="Smoke-test result, when one was run.")

    def to_markdown(self, lang: Lang = "en") -> str:
        """The justification report in English or French."""
        from advisor.report.markdown import render_markdown

        return render_markdown(self, lang=lang)
