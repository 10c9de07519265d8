"""What a use case asks of a serving plan (concurrency, tokens per second, time to first token),
and what a plan delivers on given GPUs.

Why a model and not a table: the same model is fast enough on an H100 and hopeless on a laptop,
and a plan that meets one user at a time may not meet 60,000 requests a day. The model is the
textbook one (see /work/shared/reference/serving-and-selection.md section 4):

- decode is memory-bound: each step reads the active weights once for the whole batch plus each
  sequence's KV cache, so tokens/s per stream ~ bandwidth x MBU / bytes read per step, and the
  batch multiplies the aggregate until compute-bound (2 x active params FLOPs per token);
- prefill is compute-bound: 2 x active params x prompt tokens FLOPs (Kaplan et al., arXiv
  2001.08361), at a fraction (MFU) of the GPU's dense TFLOPS;
- tensor parallelism splits the bytes read per step over the GPUs, at an interconnect cost;
  pipeline parallelism across nodes adds capacity, not single-stream speed; replicas multiply the
  aggregate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

# Share of peak bandwidth decode reaches. Measured (reference section 4, derived = tok/s x model
# GB / peak BW): llama.cpp 8B F16 on RTX 4090 81 %, 3090 76 %; Q4_K_M on 4090 59 %; LLaMA-2-7B f16
# on H100 PCIe 53 %, A100 46 %; torchao bf16 on A100 70 %. 0.6 is the middle of that range.
MBU = 0.6
# Share of peak TFLOPS prefill reaches: RTX 4090 pp512 8B F16 9,382 tok/s = 150 of 165 TFLOPS
# (reference section 4, derived) is the best case, at a short prompt; long prompts add attention
# FLOPs this model leaves out, and vLLM's mixed batches reach less. 0.7 is a middle.
PREFILL_MFU = 0.7
# Each tensor-parallel doubling keeps this share of the ideal speed-up (all-reduce per layer over
# NVLink/PCIe). Lambda's vLLM runs (reference section 4): Llama-3.1-70B-FP8 ITL 35.8 ms on 1xH100,
# 38.3 ms on 4xH100 at much larger batches; 0.85 per doubling is an assumption within that.
TP_EFFICIENCY_PER_DOUBLING = 0.85
# CPU: dual-channel DDR5 gives 60-77 GB/s (JEDEC DDR5-4800: 76.8 theoretical); prefill on CPU
# runs at about one effective TFLOPS with AVX-512 (assumption, order of magnitude: llama.cpp CPU
# prompt processing of a 7B model runs at tens of tokens per second).
CPU_BANDWIDTH_GBPS = 60.0
CPU_TFLOPS = 1.0
# Traffic concentrates in working hours: 8 hours a day, and the busiest hour carries twice the
# average (a rule of thumb for business traffic; assumption). Batch jobs spread over 20 hours.
WORK_HOURS = 8.0
PEAK_FACTOR = 2.0
BATCH_HOURS = 20.0
# Expected answer length when the team did not say (tokens): a label, a paragraph, a page.
DEFAULT_OUTPUT_TOKENS = {"label": 8, "structured_json": 200, "strict_schema": 200, "free_text": 400}
# Per-stream decode speed a latency class needs (tokens/s) and the time to first token it allows.
# Reading speed is 5-6 tokens/s; a sub-second service must finish short answers within a second.
LATENCY_TARGETS: dict[str, tuple[float, float]] = {
    "realtime_lt_1s": (30.0, 1.0),
    "interactive_lt_5s": (10.0, 5.0),
    "relaxed": (6.0, 30.0),
    "batch": (1.0, 600.0),
}
DEFAULT_LATENCY = "interactive_lt_5s"


@dataclass(frozen=True)
class Demand:
    """What the use case needs from a serving plan at its busiest."""

    concurrency: int  # requests in flight at peak (1 for batch work: the plan batches as it likes)
    aggregate_tps: float  # output tokens per second at peak, over all requests
    per_stream_tps: float  # decode speed one request needs
    ttft_s: float  # time to first token allowed
    prompt_tokens: int
    output_tokens: int
    requests_per_day: int | None
    batch: bool = False  # throughput only: no per-request latency beyond finishing the day's work


@dataclass(frozen=True)
class Delivery:
    """What a plan delivers at the demand's concurrency."""

    per_stream_tps: float  # decode speed of one request with `concurrency` requests in flight
    aggregate_tps: float  # output tokens per second over all replicas
    single_stream_tps: float  # decode speed of a lone request
    ttft_s: float  # prefill time of one prompt
    meets: bool  # per-stream speed, aggregate and first-token time all meet the demand
    batch: int = 1  # sequences one replica runs at once in this plan


def demand_from(answers: Any, context_tokens: int) -> Demand:
    """The demand of ``answers`` (peak_concurrent_requests and output_tokens are used when answered)."""
    latency = getattr(answers, "latency_requirement", None) or DEFAULT_LATENCY
    per_stream, ttft = LATENCY_TARGETS[latency]
    output = getattr(answers, "output_tokens", None) or DEFAULT_OUTPUT_TOKENS.get(
        getattr(answers, "output_format", None) or "free_text", 400
    )
    volume = getattr(answers, "volume_per_day", None)
    hours = BATCH_HOURS if latency == "batch" else WORK_HOURS
    peak_rps = (volume or 0) / (hours * 3600) * (1.0 if latency == "batch" else PEAK_FACTOR)
    # Little's law: requests in flight = arrival rate x time each spends (prefill + decode).
    batch = latency == "batch"
    duration = ttft + output / per_stream
    concurrency = 1 if batch else max(1, math.ceil(peak_rps * duration))
    stated = getattr(answers, "peak_concurrent_requests", None)
    if stated:
        concurrency = max(1, int(stated))
    aggregate = peak_rps * output if batch else max(peak_rps * output, concurrency * per_stream)
    return Demand(concurrency, aggregate, per_stream, ttft, context_tokens, output, volume, batch)


def deliver(
    *,
    weight_bytes_active: float,
    active_params: float,
    kv_bytes_per_token: float,
    bandwidth_gbps: float,
    tflops: float,
    tensor_parallel: int,
    replicas: int,
    max_concurrency: int,
    demand: Demand,
) -> Delivery:
    """Speeds of one plan: ``replicas`` copies of the model, each over ``tensor_parallel`` GPUs,
    each copy holding at most ``max_concurrency`` sequences in its KV cache."""
    tp = max(1, tensor_parallel)
    tp_speedup = tp * TP_EFFICIENCY_PER_DOUBLING ** math.log2(tp)
    bandwidth = bandwidth_gbps * 1e9 * MBU * tp_speedup
    compute = tflops * 1e12 * PREFILL_MFU * tp_speedup
    context = demand.prompt_tokens + demand.output_tokens // 2

    def step_time(batch: int) -> float:
        read = weight_bytes_active + batch * context * kv_bytes_per_token
        return float(max(read / bandwidth, 2 * active_params * batch / compute))

    single = 1 / step_time(1)
    ttft = 2 * active_params * demand.prompt_tokens / compute
    replicas = max(1, replicas)
    if demand.batch:
        # Batch work: the smallest batch (powers of two up to what the KV cache holds) whose
        # throughput finishes the day's work; the largest when none does.
        per_replica = 1
        while per_replica < max_concurrency and per_replica * replicas / step_time(per_replica) < demand.aggregate_tps:
            per_replica = min(max_concurrency, per_replica * 2)
    else:
        per_replica = max(1, min(max_concurrency, math.ceil(demand.concurrency / replicas)))
    per_stream = 1 / step_time(per_replica)
    aggregate = per_stream * per_replica * replicas
    meets = (
        (demand.batch or max_concurrency * replicas >= demand.concurrency)
        and per_stream >= demand.per_stream_tps
        and aggregate >= demand.aggregate_tps * 0.999
        and ttft <= demand.ttft_s
    )
    return Delivery(per_stream, aggregate, single, ttft, meets, per_replica)
