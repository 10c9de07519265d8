"""What each inference engine adds on top of weights and KV cache, as named constants with sources.

The same model needs different memory in transformers, vLLM and llama.cpp: transformers pays
transient prefill buffers (logits, MLP activations), vLLM profiles a fixed activation peak and
adds non-torch allocations, llama.cpp sizes a compute buffer from its micro-batch. Each figure
below is a published measurement or a restatement of the engine's code; the source is named in the
comment (see also shared/reference/memory-estimation.md).
"""

from __future__ import annotations

from dataclasses import dataclass

MiB = 2**20
GiB = 2**30

# --- fixed overheads -------------------------------------------------------------------------

# CUDA context + PyTorch kernels on first CUDA use: 1,343 MiB shown by NVML after
# torch.ones((1, 1)).cuda() on a V100 (transformers docs, model_memory_anatomy.md). Lazy module
# loading (CUDA >= 11.7) lowers it on recent stacks; kept as the conservative figure.
CUDA_CONTEXT_BYTES = 1343 * MiB

# llama.cpp / Ollama: minimum reserve per GPU for the CUDA context and scheduler buffers,
# 457 MiB (ollama ml/device.go, the old static estimator's GPU overhead).
LLAMA_CPP_GPU_OVERHEAD_BYTES = 457 * MiB

# vLLM memory outside torch's allocator (NCCL, cuBLAS handles): measured 0.13-0.14 GiB at TP=1
# and 0.55 GiB at TP=2 on H100 (llm-d/llm-d-benchmark empirical-vllm-memory-results.md; its
# capacity planner rounds them up to 0.15 / 0.6 GiB).
VLLM_NON_TORCH_TP1_BYTES = int(0.14 * GiB)
VLLM_NON_TORCH_TP_BYTES = int(0.55 * GiB)

# vLLM's profiled activation peak (dummy forward at max_num_batched_tokens, default settings);
# measured constant in max_model_len: Llama-3.1-8B 4.76 GiB, Qwen3 0.6B/32B 5.56/5.64 GiB,
# gpt-oss (MoE) 7.38 GiB on H100 (llm-d empirical-vllm-memory-results.md); the planner's
# constants are Llama 4.8, Qwen 5.6, MoE 8.0, other dense 5.5 GiB.
VLLM_ACTIVATION_BYTES = {
    "llama": int(4.8 * GiB),
    "qwen": int(5.6 * GiB),
    "moe": int(8.0 * GiB),
    "default": int(5.5 * GiB),
}

# --- transient buffers -------------------------------------------------------------------------

# llama.cpp processes prompts in micro-batches of n_ubatch tokens (default 512, llama.cpp
# common/arg.cpp); its compute buffer holds that micro-batch's fp32 logits (n_ubatch x vocab x 4),
# a few fp32 hidden-size buffers per token, and, without flash attention, the attention scores
# n_head x n_kv x n_ubatch x 4 (gguf-parser-go file_estimate__llamacpp.go restates the graph).
LLAMA_CPP_UBATCH = 512
# How many fp32 hidden-size buffers per micro-batch token: not published as such; 3 is the value
# that, with the logits and scores terms, gives llama.cpp's logged 117.85 MiB compute buffer for
# Mixtral-8x7B at n_ctx 512 (llama.cpp issue #4381) -- 24 MiB of it, the rest follows the formula.
LLAMA_CPP_HIDDEN_BUFFERS = 3
# llama.cpp's sliding-window cache keeps window + n_ubatch tokens per sequence (rounded up to 256)
# on windowed layers (llama.cpp llama-kv-cache-iswa.cpp; gguf-parser mirrors it).
LLAMA_CPP_KV_PAD = 256

# GPTQ 4-bit on transformers runs ExLlama v2 kernels, which reserve per GPU the scratch of the
# largest linear: a 16-bit dequantised copy (in x out x 2 bytes) plus a forward buffer of
# out x max_input_len x 4 bytes, max_input_len = 2048 (AutoGPTQ qlinear_exllamav2.py
# scratch_space_fixed / temp_dq_size / temp_fwd_size; exllamav2 uses the same sizes).
EXLLAMA_MAX_INPUT_LEN = 2048

# Bytes per logit element at the prefill peak when every prompt position gets logits: the 16-bit
# lm_head output and its fp32 upcast coexist (`logits = logits.float()` in transformers' causal
# LM forward before 4.45). 6 bytes reproduce Qwen's measured 27.6 GB for Qwen2-0.5B at 30,720
# tokens (QwenLM/Qwen2.5 speed_benchmark.rst); 4 would give 18.9 GB.
PREFILL_LOGITS_BYTES_ALL = 6
# With logits_to_keep (transformers >= 4.45 generate()), only the last position is projected and
# upcast: fp32, 4 bytes per vocab entry per sequence.
PREFILL_LOGITS_BYTES_LAST = 4

# Training: bytes per (token x vocab) at the loss's peak, during backward. transformers >= 4.46
# (ForCausalLMLoss) keeps the 16-bit logits (2), the fp32 log-softmax output saved by
# cross_entropy (4), its incoming gradient (4) and the outgoing one (4): 14. Before 4.46 the model
# returned fp32 logits and the loss shifted a contiguous fp32 copy: 16, which reproduces the slope
# of Unsloth's HF+FA2 max-context table for Llama-3.1-8B (2.47 MB per token; unsloth docs
# "Unsloth Benchmarks").
TRAIN_LOGITS_BYTES = 14
TRAIN_LOGITS_BYTES_LEGACY = 16

# Transformers before 4.45 gave every attention layer its own rotary cos/sin cache of
# max_position_embeddings x head_dim in the model dtype (Qwen2/Mistral/Llama `_set_cos_sin_cache`);
# 4.45 moved rotary embeddings to the model and computes them on the fly.
ROPE_CACHE_TENSORS = 2


@dataclass(frozen=True)
class RuntimeProfile:
    """How one engine (and version range) spends memory beyond weights and KV."""

    name: str
    engine: str
    """transformers, vllm or llama.cpp: what the quantization table's ``engines`` list."""
    full_prefill_logits: bool
    per_layer_rope_cache: bool
    train_logits_bytes: int
    description: str


RUNTIMES: dict[str, RuntimeProfile] = {
    "transformers": RuntimeProfile(
        "transformers", "transformers", False, False, TRAIN_LOGITS_BYTES,
        "Hugging Face transformers >= 4.45 (generate() projects only the last position to logits)",
    ),
    "transformers-legacy": RuntimeProfile(
        "transformers-legacy", "transformers", True, True, TRAIN_LOGITS_BYTES_LEGACY,
        "transformers < 4.45: logits for every prompt position and a rotary cache per layer",
    ),
    "vllm": RuntimeProfile(
        "vllm", "vllm", False, False, TRAIN_LOGITS_BYTES, "vLLM (profiled activation peak, paged KV cache)"
    ),
    "llama.cpp": RuntimeProfile(
        "llama.cpp", "llama.cpp", False, False, TRAIN_LOGITS_BYTES, "llama.cpp / Ollama (GGUF)"
    ),
}  # fmt: skip

# Bytes per cached K or V element. llama.cpp's q8_0 / q4_0 cache types are ggml blocks of 32
# values: 34 and 18 bytes (8.5 and 4.5 bits); Ollama and llmfit round them to 1 and 0.5 byte.
KV_DTYPE_BYTES: dict[str, float] = {
    "fp32": 4.0,
    "bf16": 2.0,
    "fp16": 2.0,
    "fp8": 1.0,
    "q8_0": 8.5 / 8,
    "q4_0": 4.5 / 8,
}
