"""The estimator's arithmetic: bytes for one (architecture, quantization, context, batch, mode).

Kept free of pydantic and string building so the model selection can call it for every catalog
entry x quantization in microseconds; :func:`advisor.memory.estimate_memory` wraps it with input
resolution, validation and the human-readable assumptions.

Breakdown convention: every figure is for the whole job (all GPUs together); ``per_gpu`` is what
the busiest GPU needs. Sharded items (weights, KV cache, training states) are split over the GPUs,
replicated ones (activations, runtime overhead) are paid on each.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from advisor.errors import InputError
from advisor.memory.architecture import Architecture
from advisor.memory.runtimes import (
    CUDA_CONTEXT_BYTES,
    EXLLAMA_MAX_INPUT_LEN,
    KV_DTYPE_BYTES,
    LLAMA_CPP_GPU_OVERHEAD_BYTES,
    LLAMA_CPP_HIDDEN_BUFFERS,
    LLAMA_CPP_KV_PAD,
    LLAMA_CPP_UBATCH,
    PREFILL_LOGITS_BYTES_ALL,
    PREFILL_LOGITS_BYTES_LAST,
    ROPE_CACHE_TENSORS,
    RUNTIMES,
    VLLM_ACTIVATION_BYTES,
    VLLM_NON_TORCH_TP1_BYTES,
    VLLM_NON_TORCH_TP_BYTES,
    RuntimeProfile,
)
from advisor.memory.training_choices import LOSSES, OPTIMIZERS, PRECISIONS
from advisor.quantization import Quantization, get_quantization, role_bits, weight_bytes

MODES = ("inference", "full", "lora", "qlora")
LORA_TARGETS = ("all-linear", "attention")
DEVICES = ("gpu", "cpu")
__all__ = ["LOSSES", "OPTIMIZERS", "PRECISIONS"]

# Mixed-precision AdamW, bytes per trained parameter (ZeRO paper, arXiv 1910.02054 §3.1: 16-bit
# weights 2 + 16-bit gradients 2 + fp32 master weights, momentum and variance 4+4+4 = 16).
FULL_WEIGHT_BYTES = 2
FULL_GRAD_BYTES = 2
ADAMW_STATE_BYTES = 12
# 8-bit Adam (bitsandbytes, arXiv 2110.02861) stores momentum and variance in 1 byte each; the fp32
# master copy stays: 4 + 1 + 1.
ADAMW_8BIT_STATE_BYTES = 6
# Pure fp32 training: weights 4, gradients 4, Adam moments 8 (HF "Model training anatomy").
FP32_WEIGHT_BYTES = 4
FP32_ADAM_STATE_BYTES = 8
FP32_ADAM_8BIT_STATE_BYTES = 2
# Pure bf16 training (model loaded in bf16, no AMP): torch's AdamW keeps its moments in the
# parameters' dtype, 2 + 2 bytes; no fp32 master copy (LLaMA-Factory's "pure_bf16": 8 bytes per
# parameter with weights and gradients).
BF16_ADAM_STATE_BYTES = 4
BF16_ADAM_8BIT_STATE_BYTES = 2
# Full fine-tuning bytes per trained parameter: (weights, gradients, optimizer states) by
# precision and by whether the moments are 8-bit (bitsandbytes; paged or not, same bytes).
FULL_BYTES: dict[tuple[str, bool], tuple[int, int, int]] = {
    ("mixed", False): (FULL_WEIGHT_BYTES, FULL_GRAD_BYTES, ADAMW_STATE_BYTES),
    ("mixed", True): (FULL_WEIGHT_BYTES, FULL_GRAD_BYTES, ADAMW_8BIT_STATE_BYTES),
    ("bf16", False): (FULL_WEIGHT_BYTES, FULL_GRAD_BYTES, BF16_ADAM_STATE_BYTES),
    ("bf16", True): (FULL_WEIGHT_BYTES, FULL_GRAD_BYTES, BF16_ADAM_8BIT_STATE_BYTES),
    ("fp32", False): (FP32_WEIGHT_BYTES, FP32_WEIGHT_BYTES, FP32_ADAM_STATE_BYTES),
    ("fp32", True): (FP32_WEIGHT_BYTES, FP32_WEIGHT_BYTES, FP32_ADAM_8BIT_STATE_BYTES),
}
# Eager attention keeps every layer's seq x seq probabilities for backward. transformers'
# eager_attention_forward computes the softmax in fp32 and casts it back to the activation dtype:
# autograd keeps both (4 + 2 bytes per score in 16-bit training, 4 in fp32). Attention dropout
# (BERT's attention_probs_dropout_prob) adds its mask (1 byte) and the dropped-out copy.
EAGER_SOFTMAX_BYTES = 4
DROPOUT_MASK_BYTES = 1
# Chunked fused cross-entropy (Liger-Kernel ops/fused_linear_cross_entropy.py): logits for
# chunk = next_pow2(ceil(tokens / ceil(vocab / hidden))) tokens at a time, in the activation
# dtype (their gradient overwrites them), plus the gradient of the hidden states.
# PEFT creates LoRA matrices in fp32 (autocast_adapter_dtype=True) and trains them with AdamW:
# weights 4, gradients 4, moments 8 bytes per adapter parameter.
LORA_PARAM_BYTES = 4
LORA_GRAD_BYTES = 4
LORA_ADAM_BYTES = 8
LORA_ADAM_8BIT_BYTES = 2
# Activations are stored in 16-bit during mixed-precision training and 16-bit inference.
ACT_BYTES_16 = 2
# ZeRO-3 / FSDP gather the full parameters of the layer being computed and prefetch the next one
# (DeepSpeed memory.rst: the 4 x largest-layer term of the ZeRO-3 estimate, 16-bit parameters).
ZERO3_GATHER_BYTES_PER_PARAM = 4


class Figures(NamedTuple):
    """Bytes of one estimate, plus finer items in ``details`` (see the module docstring)."""

    weights: int
    kv_cache: int
    activations: int
    overhead: int
    gradients: int
    optimizer: int
    adapters: int
    total: int
    per_gpu: int
    trainable_params: int
    kv_bytes_per_token: int
    weights_bits: float
    details: dict[str, int]


def kv_element_bytes(kv_cache_dtype: str, quant: Quantization) -> float:
    """Bytes per cached element; ``auto`` follows the compute dtype (fp32 models keep an fp32 cache)."""
    if kv_cache_dtype == "auto":
        return 4.0 if quant.name == "fp32" else 2.0
    try:
        return KV_DTYPE_BYTES[kv_cache_dtype]
    except KeyError:
        raise InputError(
            f"unknown KV cache dtype {kv_cache_dtype!r}",
            field="kv_cache_dtype",
            hint="auto, " + ", ".join(KV_DTYPE_BYTES),
        ) from None


def weights_bytes(arch: Architecture, quant: Quantization, fp32_unquantized: bool = False) -> int:
    """Stored bytes of the weights; ``fp32_unquantized`` is QLoRA's upcast of the non-quantized parts.

    Memoised on the architecture: the selection asks for the same (model, format) many times.
    """
    key = (quant.name, fp32_unquantized)
    found = arch.cache.get(key)
    if found is not None:
        return int(found)
    bits = role_bits(
        quant,
        arch.num_layers,
        arch.gqa_ratio,
        arch.tie_word_embeddings,
        rows=gguf_row_lengths(arch) if quant.gguf is not None else None,
        model_type=arch.model_type,
    )
    if fp32_unquantized:
        quantized = quant.expanded_roles()
        bits = {role: (b if role in quantized else 32.0) for role, b in bits.items()}
    value = weight_bytes(arch.roles, bits)
    arch.cache[key] = value
    return value


def gguf_row_lengths(arch: Architecture) -> dict[str, int]:
    """Row length (input features, a GGUF tensor's ne[0]) of each weight role.

    llama.cpp can store a tensor in a 256-weight block type only when its rows are a multiple of
    256; the rest falls back (advisor.quantization.role_bits).
    """
    h = arch.hidden_size
    return {
        "embed": h,
        "lm_head": h,
        "attn_qk": h,
        "attn_v": h,
        "attn_o": arch.num_heads * arch.head_dim or h,
        "mlp_up": h,
        "mlp_down": arch.intermediate_size or h,
        "experts_up": h,
        "experts_down": arch.expert_intermediate_size or arch.intermediate_size or h,
        "ssm": h,
    }


# A GGUF label is worth offering only when its file is at least this much smaller than the
# better-quality label before it: gpt-oss keeps its experts in MXFP4 at every label, so its Q2_K
# file is 1 % smaller than its Q8_0 one (benchmarks/calibration.yaml), not the 4x a label suggests.
GGUF_DISTINCT_SHARE = 0.02


def distinct_gguf_ladder(arch: Architecture, ladder: list[Quantization]) -> list[Quantization]:
    """``ladder`` without GGUF labels whose file would not really be smaller for this model.

    Keeps every non-GGUF format; a GGUF label stays when its weights are at least
    GGUF_DISTINCT_SHARE below the last GGUF label kept (the ladder is best quality first).
    """
    out: list[Quantization] = []
    last: int | None = None
    for quant in ladder:
        if quant.gguf is None:
            out.append(quant)
            continue
        size = weights_bytes(arch, quant)
        if last is None or size <= last * (1 - GGUF_DISTINCT_SHARE):
            out.append(quant)
            last = size
    return out


def kv_cache_bytes(arch: Architecture, engine: str, tokens: int, batch: int, elem_bytes: float) -> int:
    """KV cache (and recurrent state) for ``batch`` sequences of ``tokens``, as ``engine`` lays it out.

    MLA models keep the compressed latent in vLLM and llama.cpp; vLLM reserves full-length pages
    for sliding layers of hybrid models (hf-mem PR #70); llama.cpp keeps window + n_ubatch tokens on
    sliding layers; transformers keeps the window.
    """
    if arch.kv_latent_elems and engine != "transformers":
        elems = arch.kv_latent_elems * tokens
    elif engine == "vllm" and arch.kv_sliding and arch.kv_full_elems:
        elems = (arch.kv_full_elems + sum(e for _, e in arch.kv_sliding)) * tokens
    elif engine == "llama.cpp" and arch.kv_sliding:
        elems = arch.kv_full_elems * tokens
        for window, per_token in arch.kv_sliding:
            cap = -(-(window + LLAMA_CPP_UBATCH) // LLAMA_CPP_KV_PAD) * LLAMA_CPP_KV_PAD
            elems += (tokens if tokens < cap else cap) * per_token
    else:
        elems = arch.kv_elems(tokens)
    return math.ceil(elems * batch * elem_bytes) + arch.ssm_state_elems * 4 * batch


def kv_bytes_per_token(arch: Architecture, engine: str, elem_bytes: float, tokens: int) -> int:
    """KV bytes one more token of one sequence costs at ``tokens`` (full sliding windows cost nothing)."""
    if arch.kv_latent_elems and engine != "transformers":
        return math.ceil(arch.kv_latent_elems * elem_bytes)
    elems = arch.kv_full_elems
    hybrid_vllm = engine == "vllm" and arch.kv_full_elems
    for window, per_token in arch.kv_sliding:
        if hybrid_vllm or tokens < window:
            elems += per_token
    return math.ceil(elems * elem_bytes)


def _vllm_activation(arch: Architecture) -> int:
    if arch.num_experts:
        return VLLM_ACTIVATION_BYTES["moe"]
    if arch.model_type in ("llama", "mistral"):
        return VLLM_ACTIVATION_BYTES["llama"]
    if arch.model_type.startswith("qwen"):
        return VLLM_ACTIVATION_BYTES["qwen"]
    return VLLM_ACTIVATION_BYTES["default"]


def _inference_transients(
    arch: Architecture,
    profile: RuntimeProfile,
    quant: Quantization,
    context: int,
    batch: int,
    flash: bool,
    details: dict[str, int],
) -> int:
    engine = profile.engine
    if engine == "vllm":
        details["vllm_profiled_activations"] = act = _vllm_activation(arch)
        return act
    if engine == "llama.cpp":
        ubatch = min(LLAMA_CPP_UBATCH, max(1, context * batch))
        act = ubatch * 4 * (arch.vocab_size + LLAMA_CPP_HIDDEN_BUFFERS * arch.hidden_size)
        if not flash:
            act += arch.num_heads * context * ubatch * 4
        details["compute_buffer"] = act
        return act
    act_bytes = 4 if quant.name == "fp32" else ACT_BYTES_16
    prefill = context * batch
    if arch.kind == "encoder":
        logits = 0
    elif profile.full_prefill_logits:
        logits = prefill * arch.vocab_size * PREFILL_LOGITS_BYTES_ALL
    else:
        logits = batch * arch.vocab_size * PREFILL_LOGITS_BYTES_LAST
    mlp = prefill * arch.mlp_act_elems * act_bytes
    hidden = 2 * prefill * arch.hidden_size * act_bytes  # residual stream + normalised copy
    scores = 0 if flash else batch * arch.num_heads * context * context * act_bytes  # eager attention
    details["logits"] = logits
    details["mlp_transient"] = mlp
    details["hidden_states"] = hidden
    if scores:
        details["attention_scores"] = scores
    return max(logits, mlp, scores) + hidden


def _runtime_overhead(
    arch: Architecture,
    profile: RuntimeProfile,
    quant: Quantization,
    device: str,
    num_gpus: int,
    details: dict[str, int],
) -> int:
    gpu = device == "gpu"
    engine = profile.engine
    if engine == "llama.cpp":
        details["llama_cpp_reserve"] = overhead = LLAMA_CPP_GPU_OVERHEAD_BYTES if gpu else 0
        return overhead
    overhead = details["cuda_context"] = CUDA_CONTEXT_BYTES if gpu else 0
    if engine == "vllm":
        details["non_torch"] = non_torch = VLLM_NON_TORCH_TP_BYTES if num_gpus > 1 else VLLM_NON_TORCH_TP1_BYTES
        return overhead + non_torch
    if profile.per_layer_rope_cache and arch.attention_layers and arch.max_position_embeddings:
        rope = ROPE_CACHE_TENSORS * arch.max_position_embeddings * arch.head_dim * arch.attention_layers * 2
        details["rope_cache"] = rope
        overhead += rope
    if quant.runtime == "gptq" and quant.bits_per_weight < 5 and gpu:
        scratch = arch.largest_linear * 2 + arch.largest_linear_out * EXLLAMA_MAX_INPUT_LEN * 4
        details["dequant_workspace"] = scratch
        overhead += scratch
    return overhead


def training_base(quant: Quantization, mode: str) -> Quantization:
    """The stored base a training mode really uses for the requested format.

    QLoRA on a 16-bit request means NF4 (the QLoRA recipe); LoRA on a quantized request is QLoRA.
    """
    if mode in quant.train_modes:
        return quant
    if mode == "qlora" and quant.bits_per_weight >= 16:
        return get_quantization("nf4")
    if mode == "lora" and "qlora" in quant.train_modes:
        return quant
    hint = "use nf4, nf4-dq, int8 or gptq-int4" if mode == "qlora" else "use bf16 (fp16 on GPUs without bf16)"
    raise InputError(f"{quant.name} cannot be the base of {mode} fine-tuning", field="quantization", hint=hint)


def runtime_profile(quant: Quantization, mode: str, runtime: str | None) -> RuntimeProfile:
    """The engine profile for this call; the format must run there (training needs transformers)."""
    name = runtime or ("transformers" if mode != "inference" else quant.engine)
    profile = RUNTIMES.get(name)
    if profile is None:
        raise InputError(f"unknown runtime {name!r}", field="runtime", hint="one of " + ", ".join(RUNTIMES))
    if mode != "inference" and profile.engine != "transformers":
        raise InputError(f"training runs on transformers, not {name}", field="runtime")
    if mode == "inference" and profile.engine not in quant.engines:
        raise InputError(
            f"{quant.name} does not run on {name}",
            field="runtime",
            hint="it runs on " + ", ".join(quant.engines),
        )
    return profile


def default_precision(quant: Quantization) -> str:
    """fp32 for an fp32 model, mixed precision otherwise (what estimates assumed before the option)."""
    return "fp32" if quant.name == "fp32" else "mixed"


def eager_score_bytes(arch: Architecture, act_bytes: int) -> int:
    """Bytes eager attention keeps per score element (see EAGER_SOFTMAX_BYTES)."""
    kept = EAGER_SOFTMAX_BYTES + (act_bytes if act_bytes < EAGER_SOFTMAX_BYTES else 0)
    if arch.attention_dropout:
        kept += DROPOUT_MASK_BYTES + act_bytes
    return kept


def chunked_loss_bytes(arch: Architecture, tokens: int, act_bytes: int) -> int:
    """Peak of a chunked fused cross-entropy over ``tokens`` (Liger-Kernel's chunking)."""
    h, v = max(arch.hidden_size, 1), arch.vocab_size
    inc = -(-v // h)
    chunk = 1 << max(0, math.ceil(math.log2(max(1, -(-tokens // inc)))))
    return min(chunk, tokens) * v * act_bytes + tokens * h * act_bytes


def lora_trainable_params(arch: Architecture, rank: int, targets: str) -> int:
    groups = ("attention", "mlp") if targets == "all-linear" else ("attention",)
    return sum(rank * (n_in + n_out) * count for group, n_in, n_out, count in arch.lora_dims if group in groups)


def _inference_static(
    arch: Architecture, quantization: str | Quantization, runtime: str | None, kv_dtype: str, device: str, n_gpu: int
) -> tuple[Quantization, RuntimeProfile, int, float, int, dict[str, int], float]:
    quant = quantization if isinstance(quantization, Quantization) else get_quantization(quantization)
    profile = runtime_profile(quant, "inference", runtime)
    weights = weights_bytes(arch, quant)
    elem = kv_element_bytes(kv_dtype, quant)
    details: dict[str, int] = {}
    overhead = _runtime_overhead(arch, profile, quant, device, n_gpu, details)
    bits = weights * 8 / arch.total_params if arch.total_params else 0.0
    return quant, profile, weights, elem, overhead, details, bits


def estimate_bytes(
    arch: Architecture,
    quantization: str | Quantization = "bf16",
    context_tokens: int = 4096,
    batch_size: int = 1,
    mode: str = "inference",
    *,
    runtime: str | None = None,
    kv_cache_dtype: str = "auto",
    gradient_checkpointing: bool = True,
    num_gpus: int = 1,
    max_new_tokens: int = 0,
    lora_rank: int = 16,
    lora_targets: str = "all-linear",
    optimizer: str = "adamw",
    device: str = "gpu",
    flash_attention: bool = True,
    precision: str | None = None,
    loss: str = "standard",
) -> Figures:
    """Bytes for one configuration: the fast path the model selection sweeps.

    ``context_tokens`` is the prompt (what is prefilled); the KV cache holds it plus
    ``max_new_tokens``. ``batch_size`` is sequences served together (inference) or the per-GPU
    micro-batch (training). ``runtime`` defaults to the quantization's first engine.
    Training only: ``precision`` (mixed, bf16, fp32; default fp32 for an fp32 model, else mixed),
    ``optimizer``, ``flash_attention`` (False: eager attention), ``gradient_checkpointing`` and
    ``loss`` (standard, chunked) are the choices of advisor/data/training_choices.yaml.
    """
    n_gpu = num_gpus if num_gpus > 1 else 1
    if mode == "inference":
        # Everything but the context-dependent parts is memoised per (format, runtime, KV dtype,
        # device, GPUs): the selection's sweep then costs a few multiplications per estimate.
        qname = quantization if isinstance(quantization, str) else quantization.name
        key = ("inference", qname, runtime, kv_cache_dtype, device, n_gpu)
        static = arch.cache.get(key)
        if static is None:
            static = arch.cache[key] = _inference_static(arch, quantization, runtime, kv_cache_dtype, device, n_gpu)
        quant, profile, weights, elem, overhead, overhead_details, bits = static
        details: dict[str, int] = dict(overhead_details)
        tokens = context_tokens + max_new_tokens
        kv = kv_cache_bytes(arch, profile.engine, tokens, batch_size, elem)
        per_token = kv_bytes_per_token(arch, profile.engine, elem, tokens)
        if profile.engine == "vllm" and n_gpu > 1 and arch.num_kv_heads:
            kv = kv * n_gpu // min(n_gpu, arch.num_kv_heads)  # KV heads are replicated when fewer than GPUs
        act = _inference_transients(arch, profile, quant, context_tokens, batch_size, flash_attention, details)
        sharded = weights + kv
        replicated = act + overhead
        grads = optim = adapters = trainable = 0
    else:
        if mode not in MODES:
            raise InputError(f"unknown mode {mode!r}", field="mode", hint="one of " + ", ".join(MODES))
        quant = quantization if isinstance(quantization, Quantization) else get_quantization(quantization)
        profile = runtime_profile(quant, mode, runtime)
        details = {}
        quant = training_base(quant, mode)
        tokens = context_tokens * batch_size
        kv = per_token = 0
        precision = precision or default_precision(quant)
        act_bytes = 4 if precision == "fp32" else ACT_BYTES_16
        scores = 0
        # Encoders' layers all attend (their layer kinds are not tracked for a KV cache).
        attn_layers = arch.attention_layers or (arch.num_layers if arch.kind == "encoder" else 0)
        if not flash_attention and attn_layers:
            scores = batch_size * arch.num_heads * context_tokens * context_tokens * eager_score_bytes(arch, act_bytes)
        if gradient_checkpointing:
            kept = arch.num_layers * tokens * arch.hidden_size * act_bytes
            recompute = tokens * arch.train_act_elems * act_bytes + scores
            details["layer_checkpoints"] = kept
            details["recomputed_layer"] = recompute
            saved = kept + recompute
        else:
            saved = arch.num_layers * tokens * arch.train_act_elems * act_bytes + attn_layers * scores
            details["saved_activations"] = saved
        if scores:
            details["attention_scores"] = scores * (1 if gradient_checkpointing else attn_layers)
        if arch.kind == "encoder":
            logits = 0
        elif loss == "chunked":
            logits = chunked_loss_bytes(arch, tokens, act_bytes)
        else:
            logits = tokens * arch.vocab_size * profile.train_logits_bytes
        details["logits_and_loss"] = logits
        act = saved + logits
        eight_bit = optimizer in ("adamw-8bit", "paged-adamw-8bit")
        if mode == "full":
            trainable = arch.total_params
            w_bytes, g_bytes, s_bytes = FULL_BYTES[(precision, eight_bit)]
            weights, grads, optim = trainable * w_bytes, trainable * g_bytes, trainable * s_bytes
            adapters = 0
        else:
            weights = weights_bytes(arch, quant, fp32_unquantized=mode == "qlora" or quant.bits_per_weight < 16)
            trainable = lora_trainable_params(arch, lora_rank, lora_targets)
            adapters = trainable * LORA_PARAM_BYTES
            grads = trainable * LORA_GRAD_BYTES
            optim = trainable * (LORA_ADAM_8BIT_BYTES if eight_bit else LORA_ADAM_BYTES)
        overhead = details["cuda_context"] = CUDA_CONTEXT_BYTES if device == "gpu" else 0
        if n_gpu > 1:
            details["zero3_gather"] = gather = arch.largest_layer_params * ZERO3_GATHER_BYTES_PER_PARAM
            overhead += gather
        sharded = weights + grads + optim + adapters
        replicated = act + overhead
        bits = weights * 8 / arch.total_params if arch.total_params else 0.0
    per_gpu = -(-sharded // n_gpu) + replicated
    total = sharded + replicated * n_gpu
    return Figures(
        weights=weights,
        kv_cache=kv,
        activations=act * n_gpu,
        overhead=overhead * n_gpu,
        gradients=grads,
        optimizer=optim,
        adapters=adapters,
        total=total,
        per_gpu=per_gpu,
        trainable_params=trainable,
        kv_bytes_per_token=per_token,
        weights_bits=bits,
        details=details,
    )
