"""Properties every estimate must have, over random but plausible decoder shapes (hypothesis)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from advisor.memory import build_architecture, estimate_bytes

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def decoder_configs(draw: st.DrawFn) -> dict[str, Any]:
    """A Llama-family config: heads divide the hidden size, KV heads divide the heads."""
    head_dim = draw(st.sampled_from([64, 80, 128]))
    heads = draw(st.sampled_from([4, 8, 16, 32, 64]))
    kv = draw(st.sampled_from([h for h in (1, 2, 4, 8, 16, 32, 64) if heads % h == 0]))
    hidden = head_dim * heads
    return {
        "model_type": draw(st.sampled_from(["llama", "qwen2", "mistral", "qwen3"])),
        "hidden_size": hidden,
        "intermediate_size": draw(st.integers(2 * hidden, 5 * hidden)),
        "num_hidden_layers": draw(st.integers(2, 48)),
        "num_attention_heads": heads,
        "num_key_value_heads": kv,
        "head_dim": head_dim,
        "vocab_size": draw(st.integers(1_000, 160_000)),
        "max_position_embeddings": 32768,
        "tie_word_embeddings": draw(st.booleans()),
    }


contexts = st.integers(1, 65_536)
batches = st.integers(1, 16)
dims = st.sampled_from(["hidden", "intermediate_size", "num_hidden_layers", "vocab_size"])


def _bigger(config: dict[str, Any], dim: str) -> dict[str, Any]:
    grown = dict(config)
    if dim == "hidden":  # grow the head dim so heads still divide the hidden size
        grown["head_dim"] += 16
        grown["hidden_size"] = grown["head_dim"] * grown["num_attention_heads"]
    else:
        grown[dim] = config[dim] + max(1, config[dim] // 4)
    return grown


@SETTINGS
@given(decoder_configs(), dims, contexts, st.sampled_from(["bf16", "int8", "nf4", "gguf-q4_k_m"]))
def test_memory_grows_with_parameters(config: dict[str, Any], dim: str, context: int, quant: str) -> None:
    bigger = _bigger(config, dim)
    if quant.startswith("gguf"):
        # llama.cpp stores rows whose length is not a multiple of 256 in a larger fallback type, and
        # in F16 when not even a multiple of 32 (tests/test_memory_gguf.py), so a GGUF only grows
        # with the model within one alignment.
        for key in ("hidden_size", "intermediate_size"):
            for block in (256, 32):
                assume((config[key] % block == 0) == (bigger[key] % block == 0))
    small, large = build_architecture(config), build_architecture(bigger)
    assert large.total_params > small.total_params
    assert estimate_bytes(large, quant, context).total > estimate_bytes(small, quant, context).total


@SETTINGS
@given(decoder_configs(), contexts, contexts, st.sampled_from(["transformers", "vllm"]))
def test_memory_grows_with_context(config: dict[str, Any], a: int, b: int, runtime: str) -> None:
    assume(a != b)
    short, long = sorted((a, b))
    arch = build_architecture(config)
    assert (
        estimate_bytes(arch, "bf16", long, runtime=runtime).total
        > estimate_bytes(arch, "bf16", short, runtime=runtime).total
    )


@SETTINGS
@given(decoder_configs(), contexts, batches, st.sampled_from(["inference", "lora", "qlora", "full"]))
def test_memory_grows_with_batch(config: dict[str, Any], context: int, batch: int, mode: str) -> None:
    arch = build_architecture(config)
    one = estimate_bytes(arch, "bf16", context, 1, mode).total
    assert estimate_bytes(arch, "bf16", context, batch + 1, mode).total > one


@SETTINGS
@given(decoder_configs(), contexts, batches)
def test_precision_order(config: dict[str, Any], context: int, batch: int) -> None:
    """fp32 > bf16 > int8 > every 4-bit format, same model, context and runtime.

    Always true of the weights; of the totals for LLM-sized linear layers (8+ layers, 300M+ linear
    parameters): in a toy, GPTQ's fixed ExLlama scratch (a 16-bit copy of the largest linear and a
    2,048-token fp32 output buffer) can outweigh what 4 bits save over 8.
    """
    arch = build_architecture(config)
    linear = sum(v for k, v in arch.roles.items() if k.startswith(("attn", "mlp")))
    four_bit = ("nf4", "nf4-dq", "gptq-int4", "awq-int4")
    for part in ("weights", "total"):
        if part == "total" and (arch.num_layers < 8 or linear < 300_000_000):
            continue
        size = {q: getattr(estimate_bytes(arch, q, context, batch, runtime="transformers"), part)
                for q in ("fp32", "bf16", "int8", *four_bit)}  # fmt: skip
        assert size["fp32"] > size["bf16"] > size["int8"]
        assert all(size["int8"] > size[q] for q in four_bit)
        assert size["nf4"] > size["nf4-dq"]


@SETTINGS
@given(decoder_configs())
def test_gguf_mixes_shrink_down_the_ladder(config: dict[str, Any]) -> None:
    arch = build_architecture(config)
    ladder = ["gguf-q8_0", "gguf-q6_k", "gguf-q5_k_m", "gguf-q4_k_m", "gguf-q3_k_m", "gguf-q2_k"]
    weights = [estimate_bytes(arch, q, 1).weights for q in ladder]
    assert weights == sorted(weights, reverse=True)
    rows = (arch.hidden_size, arch.intermediate_size, arch.num_heads * arch.head_dim)
    if all(n % 256 == 0 for n in rows):  # no K-quant fallback: every label is its own file
        assert len(set(weights)) == len(weights)


@SETTINGS
@given(decoder_configs(), st.integers(128, 16_384), batches, st.booleans())
def test_training_modes_order(config: dict[str, Any], context: int, batch: int, checkpointing: bool) -> None:
    """full > lora > qlora for the same model and data.

    QLoRA keeps embeddings and lm_head in fp32 (prepare_model_for_kbit_training), so it beats 16-bit
    LoRA only when the quantized layers outweigh the embeddings, which holds for real LLMs.
    """
    arch = build_architecture(config)
    linear = sum(v for k, v in arch.roles.items() if k.startswith(("attn", "mlp")))
    assume(linear > 3 * (arch.roles["embed"] + arch.roles.get("lm_head", 0)))
    total = {mode: estimate_bytes(arch, "bf16", context, batch, mode, gradient_checkpointing=checkpointing).total
             for mode in ("full", "lora", "qlora")}  # fmt: skip
    assert total["full"] > total["lora"] > total["qlora"]


@SETTINGS
@given(decoder_configs(), contexts, batches, st.sampled_from(["inference", "lora", "full"]), st.integers(1, 8))
def test_breakdown_is_consistent(config: dict[str, Any], context: int, batch: int, mode: str, gpus: int) -> None:
    fig = estimate_bytes(build_architecture(config), "bf16", context, batch, mode, num_gpus=gpus)
    parts = (fig.weights, fig.kv_cache, fig.activations, fig.overhead, fig.gradients, fig.optimizer, fig.adapters)
    assert all(isinstance(p, int) and p >= 0 for p in parts)
    assert sum(parts) == fig.total
    assert fig.per_gpu <= fig.total
    assert fig.per_gpu * gpus >= fig.total
