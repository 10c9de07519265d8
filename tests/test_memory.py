"""Unit tests of the memory estimator: formats, config normalisation, inputs, KV, training, CLI."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import advisor
from advisor.errors import AdvisorError, InputError
from advisor.memory import build_architecture, estimate_bytes
from advisor.memory.config_keys import Config
from advisor.quantization import (
    get_quantization,
    load_quantizations,
    quantization_ladder,
    quantization_names,
    role_bits,
)
from advisor.sources.models import estimate_memory
from advisor.sources.models import resolve_architecture as architecture_for
from tests.memory_configs import (
    DEEPSEEK_V2_LITE,
    DISTILBERT_BASE,
    FALCON_7B,
    GEMMA2_9B,
    GEMMA3_4B,
    GPT2,
    GPT_OSS_20B,
    JAMBA_SHAPE,
    LLAMA_31_8B,
    MAMBA_130M,
    MIXTRAL_8X7B,
    QWEN2_05B,
    QWEN3_06B,
    QWEN3_30B_A3B,
    QWEN25_7B,
    STARCODERBASE_1B,
    T5_BASE,
)

GiB = 2**30
CONTRACT_NAMES = [
    "fp32",
    "fp16",
    "bf16",
    "fp8",
    "int8",
    "nf4",
    "nf4-dq",
    "gptq-int8",
    "gptq-int4",
    "awq-int4",
    "mxfp4",
    "gguf-q8_0",
    "gguf-q6_k",
    "gguf-q5_k_m",
    "gguf-q4_k_m",
    "gguf-q4_0",
    "gguf-q3_k_m",
    "gguf-q2_k",
]


# --- quantization table ------------------------------------------------------------------------


def test_every_contract_name_is_known() -> None:
    assert sorted(quantization_names()) == sorted(CONTRACT_NAMES)
    from advisor.catalog import QUANTIZATIONS

    assert sorted(QUANTIZATIONS) == sorted(CONTRACT_NAMES)  # the catalog's published formats use the same names


@pytest.mark.parametrize(
    ("name", "bits"),
    [("nf4", 4.5), ("nf4-dq", 4.127), ("gptq-int4", 4.15625), ("awq-int4", 4.15625), ("mxfp4", 4.25), ("bf16", 16)],
)
def test_bits_per_weight_include_scales(name: str, bits: float) -> None:
    assert get_quantization(name).bits_per_weight == pytest.approx(bits)


def test_unknown_quantization_says_did_you_mean() -> None:
    with pytest.raises(InputError) as err:
        get_quantization("nf5")
    assert err.value.field == "quantization"
    assert "did you mean 'nf4'" in str(err.value)


def test_ladder_is_best_quality_first_and_filters() -> None:
    full = quantization_ladder()
    ranks = [get_quantization(n).quality_rank for n in full]
    assert ranks == sorted(ranks)
    assert "fp32" not in full  # never worth twice bf16's memory
    assert quantization_ladder("llama.cpp") == [
        "gguf-q8_0", "gguf-q6_k", "gguf-q5_k_m", "gguf-q4_k_m", "gguf-q4_0", "gguf-q3_k_m", "gguf-q2_k",
    ]  # fmt: skip
    assert all(not get_quantization(n).needs_gpu for n in quantization_ladder(gpu=False))
    assert set(quantization_ladder(train_mode="qlora")) == {"int8", "gptq-int8", "gptq-int4", "nf4-dq", "nf4"}
    assert "gguf-q4_k_m" not in quantization_ladder("vllm")
    with pytest.raises(InputError, match="did you mean 'vllm'"):
        quantization_ladder("vlm")


MEASURED_MIXES = [q for q in load_quantizations().quantizations if q.gguf and q.gguf.measured_bpw_llama31_8b]


@pytest.mark.parametrize("quant", MEASURED_MIXES, ids=lambda q: q.name)
def test_gguf_mixes_reproduce_llama_cpp_sizes(quant: Any) -> None:
    """The per-tensor rules give the effective bits llama.cpp measured on Llama-3.1-8B."""
    measured = quant.gguf.measured_bpw_llama31_8b
    est = estimate_memory(LLAMA_31_8B, quant.name, context_tokens=1)
    assert est.weights_bits_per_param == pytest.approx(measured, rel=0.01)


def test_gguf_use_more_bits_follows_layer_count() -> None:
    q4km = get_quantization("gguf-q4_k_m")
    bits = role_bits(q4km, n_layers=32, gqa=4, tied=False)
    assert bits["attn_v"] == pytest.approx((16 * 6.5625 + 16 * 4.5) / 32)  # 16 of 32 layers get Q6_K
    assert bits["lm_head"] == 6.5625 and bits["embed"] == 4.5
    assert role_bits(q4km, 32, 4, tied=True)["embed"] == 6.5625  # the embedding doubles as output
    q2k = get_quantization("gguf-q2_k")
    assert role_bits(q2k, 32, gqa=4, tied=False)["attn_v"] == 4.5  # Q4_K when n_gqa >= 4
    assert role_bits(q2k, 32, gqa=1, tied=False)["attn_v"] == 3.4375


# --- config normalisation ------------------------------------------------------------------------


def test_gpt_bigcode_key_names_are_normalised() -> None:
    arch = architecture_for(STARCODERBASE_1B)
    assert (arch.hidden_size, arch.num_layers, arch.num_heads) == (2048, 24, 16)
    assert arch.num_kv_heads == 1 and arch.head_dim == 128  # multi_query: one K/V head
    assert arch.max_position_embeddings == 8192
    assert arch.intermediate_size == 8192
    # per token: 24 layers x (K + V) x 1 head x 128 dims x 2 bytes
    assert estimate_bytes(arch, "bf16", 1000).kv_bytes_per_token == 24 * 2 * 128 * 2


def test_gpt2_defaults_n_inner_to_four_hidden() -> None:
    arch = architecture_for(GPT2)
    assert arch.intermediate_size == 4 * 768 and arch.tie_word_embeddings
    assert arch.total_params == 124_439_808


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (DISTILBERT_BASE, (768, 6, 12, 3072)),  # dim, n_layers, n_heads, hidden_dim (the FFN!)
        (T5_BASE, (768, 12, 12, 3072)),  # d_model, num_layers, num_heads, d_ff
        (FALCON_7B, (4544, 32, 71, 4 * 4544)),
    ],
)
def test_family_aliases(config: dict[str, Any], expected: tuple[int, int, int, int]) -> None:
    arch = architecture_for(config)
    assert (arch.hidden_size, arch.num_layers, arch.num_heads, arch.intermediate_size) == expected


def test_old_falcon_keys_and_model_type() -> None:
    old = {"model_type": "RefinedWebModel", "hidden_size": 4544, "n_head": 71, "n_layer": 32, "vocab_size": 65024,
           "multi_query": True, "parallel_attn": True, "bias": False}  # fmt: skip
    arch = architecture_for(old)
    assert arch.model_type == "falcon" and arch.num_kv_heads == 1
    assert arch.total_params == architecture_for(FALCON_7B).total_params


def test_t5_head_dim_comes_from_d_kv() -> None:
    arch = architecture_for({**T5_BASE, "d_kv": 32})
    assert arch.head_dim == 32


def test_normalisation_works_without_transformers(monkeypatch: pytest.MonkeyPatch) -> None:
    from advisor.memory import config_keys

    monkeypatch.setattr(config_keys, "_transformers_attribute_map", lambda model_type: {})
    config = {**STARCODERBASE_1B, "n_layer": 3}
    assert build_architecture(config).num_layers == 3


def test_transformers_attribute_map_is_the_last_resort() -> None:
    pytest.importorskip("transformers")
    cfg = Config({"model_type": "jamba", "num_experts": 4}, "jamba", "<test>")
    assert cfg.get("num_local_experts") is None  # the local tables do not know this alias
    assert cfg.require("num_local_experts") == 4  # JambaConfig.attribute_map does


def test_multimodal_text_config_and_vision_tower() -> None:
    arch = architecture_for(GEMMA3_4B)
    assert arch.model_type == "gemma3_text" and arch.head_dim == 256
    assert arch.roles["other"] > 400e6  # SigLIP tower kept 16-bit
    assert any("vision tower" in note for note in arch.notes)


def test_explicit_head_dim_beats_hidden_over_heads() -> None:
    # Qwen3-0.6B: 16 heads x 128 = 2048 != hidden 1024; KV 28 layers x 2 x 8 x 128 x 2 B (reference §1.2)
    fig = estimate_bytes(architecture_for(QWEN3_06B), "bf16", 1000)
    assert fig.kv_bytes_per_token == 114_688


# --- bad inputs ----------------------------------------------------------------------------------


def test_missing_field_names_the_field() -> None:
    config = {k: v for k, v in LLAMA_31_8B.items() if k != "hidden_size"}
    with pytest.raises(InputError) as err:
        estimate_memory(config)
    assert err.value.field == "hidden_size"
    assert "n_embd" in str(err.value)  # says which aliases it looked for


def test_missing_vocab_size_names_it() -> None:
    config = {k: v for k, v in GPT2.items() if k != "vocab_size"}
    with pytest.raises(InputError) as err:
        estimate_memory(config)
    assert err.value.field == "vocab_size"


def test_negative_dimension_is_rejected() -> None:
    with pytest.raises(InputError, match="-2 is implausible") as err:
        estimate_memory({**LLAMA_31_8B, "num_hidden_layers": -2})
    assert err.value.field == "num_hidden_layers"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"mode": "trainig"}, "mode"),
        ({"context_tokens": 0}, "context_tokens"),
        ({"batch_size": 1.5}, "batch_size"),
        ({"kv_cache_dtype": "int3"}, "kv_cache_dtype"),
        ({"runtime": "tgi"}, "runtime"),
        ({"quantization": "gguf-q4_k_m", "runtime": "vllm"}, "runtime"),
        ({"quantization": "gguf-q4_k_m", "mode": "qlora"}, "quantization"),
        ({"quantization": "nf4", "mode": "full"}, "quantization"),
        ({"quantization": "nf4", "device": "cpu"}, "quantization"),
    ],
)
def test_bad_arguments_raise_input_errors(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as err:
        estimate_memory(LLAMA_31_8B, **kwargs)
    assert err.value.field == field


def test_unknown_model_id_goes_to_the_hub_hook(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(AdvisorError, match="nobody/no-such-model-xyz"):
        estimate_memory("nobody/no-such-model-xyz")


def test_not_a_model_is_an_input_error() -> None:
    with pytest.raises(InputError):
        estimate_memory(42)


# --- directory input -----------------------------------------------------------------------------


def _write_safetensors(path: Path, tensors: dict[str, tuple[str, list[int]]]) -> None:
    """A valid safetensors file with zero-filled data (the format: u64 header length, JSON, bytes)."""
    sizes = {"F32": 4, "BF16": 2, "F16": 2, "I32": 4}
    header: dict[str, Any] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, (dtype, shape) in tensors.items():
        n = sizes[dtype]
        for dim in shape:
            n *= dim
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + n]}
        offset += n
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + b"\0" * offset)


TINY = {"model_type": "llama", "hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1,
        "num_attention_heads": 2, "num_key_value_heads": 1, "vocab_size": 100}  # fmt: skip


def _tiny_tensors(hidden: int = 16, extra: int = 0) -> dict[str, tuple[str, list[int]]]:
    layer = "model.layers.0."
    return {
        "model.embed_tokens.weight": ("BF16", [100, hidden]),
        layer + "self_attn.q_proj.weight": ("BF16", [hidden, hidden]),
        layer + "self_attn.k_proj.weight": ("BF16", [8, hidden]),
        layer + "self_attn.v_proj.weight": ("BF16", [8, hidden]),
        layer + "self_attn.o_proj.weight": ("BF16", [hidden, hidden]),
        layer + "mlp.gate_proj.weight": ("BF16", [32, hidden]),
        layer + "mlp.up_proj.weight": ("BF16", [32, hidden]),
        layer + "mlp.down_proj.weight": ("BF16", [hidden, 32 + extra]),
        layer + "input_layernorm.weight": ("F32", [hidden]),
        layer + "post_attention_layernorm.weight": ("F32", [hidden]),
        "model.norm.weight": ("BF16", [hidden]),
        "lm_head.weight": ("BF16", [100, hidden]),
    }


def test_directory_counts_parameters_from_safetensors_headers(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps(TINY))
    # the checkpoint is the truth: a down_proj wider than config.json says changes the count
    _write_safetensors(tmp_path / "model.safetensors", _tiny_tensors(extra=4))
    est = estimate_memory(tmp_path, "bf16", context_tokens=8)
    analytic = architecture_for(TINY).total_params
    assert est.params_source == "safetensors"
    assert est.total_params == analytic + 16 * 4
    assert est.breakdown["weights"] == 2 * est.total_params


def test_sharded_directory_uses_the_index(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps(TINY))
    tensors = _tiny_tensors()
    names = list(tensors)
    _write_safetensors(tmp_path / "model-00001-of-00002.safetensors", {n: tensors[n] for n in names[:5]})
    _write_safetensors(tmp_path / "model-00002-of-00002.safetensors", {n: tensors[n] for n in names[5:]})
    _write_safetensors(tmp_path / "consolidated.safetensors", tensors)  # Mistral-style duplicate: ignored
    index = {"weight_map": {n: f"model-0000{1 if i < 5 else 2}-of-00002.safetensors" for i, n in enumerate(names)}}
    (tmp_path / "model.safetensors.index.json").write_text(json.dumps(index))
    assert estimate_memory(tmp_path).total_params == architecture_for(TINY).total_params


def test_packed_checkpoint_falls_back_to_config_count(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(
        json.dumps({**TINY, "quantization_config": {"quant_method": "gptq", "bits": 4}})
    )
    _write_safetensors(tmp_path / "model.safetensors", {"model.layers.0.mlp.down_proj.qweight": ("I32", [4, 16])})
    est = estimate_memory(tmp_path, "gptq-int4")
    assert est.params_source == "analytic"
    assert any("stored quantized (gptq 4-bit" in line for line in est.assumptions)


def test_directory_without_config_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no config.json"):
        estimate_memory(tmp_path)


def test_corrupt_safetensors_header_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps(TINY))
    (tmp_path / "model.safetensors").write_bytes(struct.pack("<Q", 50) + b"{not json")
    with pytest.raises(InputError, match="truncated safetensors header"):
        estimate_memory(tmp_path)


# --- weights, KV cache, runtimes ------------------------------------------------------------------


def test_bf16_weights_are_two_bytes_per_parameter() -> None:
    est = estimate_memory(LLAMA_31_8B, "bf16")
    assert est.total_params == 8_030_261_248
    assert est.breakdown["weights"] == 2 * est.total_params


def test_gptq_keeps_embeddings_and_lm_head_in_16_bit() -> None:
    # reference §4 check: Qwen2-7B GPTQ-Int4 = 2 x 545M fp16 embed/head + the rest at 4.156 bits
    arch = architecture_for(QWEN25_7B)
    embed_head = arch.roles["embed"] + arch.roles["lm_head"]
    assert embed_head == 2 * 152064 * 3584
    weights = estimate_bytes(arch, "gptq-int4", 1).weights
    rest = arch.total_params - embed_head - arch.roles["vectors"]
    assert weights == pytest.approx(2 * embed_head + rest * 4.15625 / 8 + 2 * arch.roles["vectors"], abs=1)


def test_int8_lm_head_stays_16_bit() -> None:
    est = estimate_memory(LLAMA_31_8B, "int8")
    assert any("embeddings and lm_head kept in 16-bit" in line for line in est.assumptions)


@pytest.mark.parametrize(
    ("config", "per_token"),
    [
        (LLAMA_31_8B, 131_072),  # 128 KiB (reference §1.2)
        (MIXTRAL_8X7B, 131_072),
        (QWEN25_7B, 57_344),  # 56 KiB
        (QWEN2_05B, 12_288),
    ],
)
def test_kv_bytes_per_token_match_reference(config: dict[str, Any], per_token: int) -> None:
    assert estimate_memory(config, context_tokens=1000).kv_cache_bytes_per_token == per_token


def test_kv_cache_scales_with_context_batch_and_dtype() -> None:
    arch = architecture_for(LLAMA_31_8B)
    base = estimate_bytes(arch, "bf16", 8192).kv_cache
    assert base == 8192 * 131_072  # 1 GiB at 8k (hf-mem's figure in the reference)
    assert estimate_bytes(arch, "bf16", 8192, batch_size=4).kv_cache == 4 * base
    assert estimate_bytes(arch, "bf16", 8192, kv_cache_dtype="fp8").kv_cache == base // 2
    q4 = estimate_bytes(arch, "gguf-q4_k_m", 32768, kv_cache_dtype="q4_0").kv_cache
    assert q4 == 4 * base * 4.5 / 16  # 4.5-bit ggml blocks: 1.125 GiB at 32k (Ollama's 1.1 GB)


def test_sliding_window_layers_are_capped() -> None:
    arch = architecture_for(GEMMA2_9B)  # 21 of 42 layers slide over 4,096 tokens
    per_layer = 2 * 8 * 256 * 2
    assert estimate_bytes(arch, "bf16", 2048).kv_cache == 42 * 2048 * per_layer
    assert estimate_bytes(arch, "bf16", 8192).kv_cache == (21 * 8192 + 21 * 4096) * per_layer
    # vLLM's hybrid allocator reserves full pages for the sliding layers
    assert estimate_bytes(arch, "bf16", 8192, runtime="vllm").kv_cache == 42 * 8192 * per_layer
    # one more token costs every layer below the window, only the full layers above it
    assert estimate_bytes(arch, "bf16", 2048).kv_bytes_per_token == 42 * per_layer
    assert estimate_bytes(arch, "bf16", 8192).kv_bytes_per_token == 21 * per_layer


def test_a_window_longer_than_the_context_limit_is_full_attention() -> None:
    # Phi-3.5-mini: sliding_window 262,144 > max_position_embeddings 131,072
    config = {"model_type": "phi3", "hidden_size": 3072, "intermediate_size": 8192, "num_hidden_layers": 32,
              "num_attention_heads": 32, "num_key_value_heads": 32, "vocab_size": 32064,
              "max_position_embeddings": 131072, "sliding_window": 262144}  # fmt: skip
    arch = architecture_for(config)
    assert arch.kv_sliding == () and arch.kv_full_elems == 32 * 2 * 3072


def test_gpt_oss_layer_types_alternate() -> None:
    arch = architecture_for(GPT_OSS_20B)
    assert arch.kv_sliding == ((128, 12 * 2 * 8 * 64),)
    assert arch.kv_full_elems == 12 * 2 * 8 * 64


def test_mla_caches_the_latent_in_vllm() -> None:
    arch = architecture_for(DEEPSEEK_V2_LITE)
    latent = estimate_bytes(arch, "bf16", 1000, runtime="vllm").kv_bytes_per_token
    assert latent == 27 * (512 + 64) * 2
    decompressed = estimate_bytes(arch, "bf16", 1000).kv_bytes_per_token
    assert decompressed == 27 * 16 * (128 + 64 + 128) * 2


def test_mamba_has_a_constant_state_and_no_kv() -> None:
    arch = architecture_for(MAMBA_130M)
    short = estimate_bytes(arch, "bf16", 100).kv_cache
    long = estimate_bytes(arch, "bf16", 100_000).kv_cache
    assert short == long == 24 * (3 * 1536 + 16 * 1536) * 4


def test_jamba_caches_only_its_attention_layers() -> None:
    arch = architecture_for(JAMBA_SHAPE)  # 8 layers, attention at layer 4 only
    assert arch.attention_layers == 1
    assert arch.kv_full_elems == 2 * 2 * (1024 // 8)
    assert arch.ssm_state_elems > 0


def test_moe_needs_all_experts_in_memory() -> None:
    est = estimate_memory(QWEN3_30B_A3B, "bf16")
    assert est.total_params == 30_532_122_624
    assert 3.0e9 < est.active_params < 3.5e9  # "A3B"
    assert est.breakdown["weights"] == 2 * est.total_params


def test_encoders_have_no_kv_cache() -> None:
    est = estimate_memory(DISTILBERT_BASE, "fp32", context_tokens=512)
    assert est.breakdown["kv_cache"] == 0
    assert est.details["logits"] == 0


def test_legacy_transformers_materialises_all_prompt_logits() -> None:
    modern = estimate_memory(QWEN2_05B, context_tokens=30720)
    legacy = estimate_memory(QWEN2_05B, context_tokens=30720, runtime="transformers-legacy")
    assert legacy.details["logits"] == 30720 * 151936 * 6
    assert modern.details["logits"] == 151936 * 4
    assert "rope_cache" in legacy.details and "rope_cache" not in modern.details


def test_eager_attention_adds_the_score_matrix() -> None:
    flash = estimate_memory(LLAMA_31_8B, context_tokens=16384)
    eager = estimate_memory(LLAMA_31_8B, context_tokens=16384, flash_attention=False)
    assert eager.details["attention_scores"] == 32 * 16384**2 * 2
    assert eager.total_bytes > flash.total_bytes


def test_llama_cpp_on_cpu_has_no_cuda_context() -> None:
    est = estimate_memory(LLAMA_31_8B, "gguf-q4_k_m", context_tokens=4096, device="cpu")
    assert est.breakdown["overhead"] == 0 and "compute_buffer" in est.details


def test_breakdown_sums_to_total() -> None:
    for mode, quant in (("inference", "bf16"), ("lora", "bf16"), ("qlora", "nf4"), ("full", "bf16")):
        est = estimate_memory(LLAMA_31_8B, quant, context_tokens=2048, mode=mode, num_gpus=2)
        assert sum(est.breakdown.values()) == est.total_bytes
        assert est.per_gpu_bytes < est.total_bytes


# --- training --------------------------------------------------------------------------------------


def test_full_fine_tuning_states_are_16_bytes_per_parameter() -> None:
    est = estimate_memory(LLAMA_31_8B, "bf16", context_tokens=1024, mode="full")
    states = est.breakdown["weights"] + est.breakdown["gradients"] + est.breakdown["optimizer"]
    assert states == 16 * est.total_params
    assert any("8-bit Adam" in line for line in est.assumptions)
    eight_bit = estimate_memory(LLAMA_31_8B, "bf16", context_tokens=1024, mode="full", optimizer="adamw-8bit")
    assert est.total_bytes - eight_bit.total_bytes == 6 * est.total_params


def test_lora_trainable_parameters_match_peft() -> None:
    # PEFT prints "trainable params: 41,943,040" for Llama-3-8B, r=16 on all linear layers
    est = estimate_memory(LLAMA_31_8B, "bf16", context_tokens=1024, mode="lora", lora_rank=16)
    assert est.trainable_params == 41_943_040
    assert est.breakdown["adapters"] == 4 * est.trainable_params
    assert est.breakdown["optimizer"] == 8 * est.trainable_params
    attention = estimate_memory(LLAMA_31_8B, mode="lora", lora_targets="attention")
    assert attention.trainable_params == 32 * 16 * (2 * 4096 + 2 * (4096 + 1024) + 2 * 4096)


def test_qlora_on_a_16_bit_request_uses_nf4() -> None:
    est = estimate_memory(LLAMA_31_8B, "bf16", context_tokens=1024, mode="qlora")
    assert est.quantization == "nf4"
    assert any("prepare_model_for_kbit_training" in line for line in est.assumptions)


def test_gradient_checkpointing_saves_activations() -> None:
    kwargs: dict[str, Any] = {"context_tokens": 4096, "mode": "lora"}
    with_gc = estimate_memory(LLAMA_31_8B, gradient_checkpointing=True, **kwargs)
    without = estimate_memory(LLAMA_31_8B, gradient_checkpointing=False, **kwargs)
    assert without.breakdown["activations"] > 3 * with_gc.breakdown["activations"] / 2
    assert with_gc.gradient_checkpointing is True


def test_zero3_shards_model_states() -> None:
    one = estimate_memory(LLAMA_31_8B, context_tokens=2048, mode="full")
    eight = estimate_memory(LLAMA_31_8B, context_tokens=2048, mode="full", num_gpus=8)
    states = 16 * one.total_params
    assert eight.per_gpu_bytes < one.per_gpu_bytes / 4
    assert eight.per_gpu_bytes == pytest.approx(states / 8 + one.total_bytes - states, rel=0.1)


def test_tensor_parallel_splits_weights() -> None:
    tp2 = estimate_memory(LLAMA_31_8B, context_tokens=4096, num_gpus=2, runtime="vllm")
    assert tp2.details["non_torch"] > estimate_memory(LLAMA_31_8B, runtime="vllm").details["non_torch"]
    assert tp2.per_gpu_bytes < tp2.total_bytes


# --- API, CLI, import hygiene ------------------------------------------------------------------------


def test_public_api_and_json_shape() -> None:
    est = advisor.estimate_memory(QWEN25_7B, quantization="nf4", context_tokens=8192)
    assert isinstance(est, advisor.MemoryEstimate)
    data = json.loads(est.model_dump_json())
    assert data["total_params"] == 7_615_616_512
    assert set(data["breakdown"]) == {"weights", "kv_cache", "activations", "overhead"}
    assert all(isinstance(v, int) for v in data["breakdown"].values())
    assert est.gib() == pytest.approx(est.total_bytes / GiB)


def test_catalog_ids_resolve_with_the_catalog_count() -> None:
    catalog = pytest.importorskip("advisor.catalog").load_catalog()
    entry = catalog.find("Qwen/Qwen2.5-7B-Instruct")
    if entry is None:
        pytest.skip("catalog without Qwen2.5-7B-Instruct")
    est = estimate_memory(entry.id, "bf16")
    assert est.total_params == entry.total_params
    assert architecture_for(entry.id) is architecture_for(entry)  # cached per entry


def test_catalog_embedding_models_need_no_kv_cache() -> None:
    catalog = pytest.importorskip("advisor.catalog").load_catalog()
    decoders_as_embedders = [e for e in catalog.entries if e.kind == "embedding" and "Causal" in str(e.config)]
    if not decoders_as_embedders:
        pytest.skip("no decoder-based embedding model in the catalog")
    est = estimate_memory(decoders_as_embedders[0].id, context_tokens=8192)
    assert est.breakdown["kv_cache"] == 0 and est.details["logits"] == 0


def test_import_does_not_load_heavy_libraries() -> None:
    code = (
        "import sys, advisor.memory as m; "
        f"m.estimate_memory({LLAMA_31_8B!r}, 'gguf-q4_k_m', context_tokens=4096); "
        "print(sorted(x for x in ('torch', 'transformers', 'accelerate') if x in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_cli_estimate_table_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from advisor.cli import main

    (tmp_path / "config.json").write_text(json.dumps(LLAMA_31_8B))
    assert main(["estimate", str(tmp_path), "--quant", "nf4", "--context", "8192"]) == 0
    table = capsys.readouterr().out
    assert "KV cache" in table and "Total" in table and "Assumptions" in table
    assert main(["estimate", str(tmp_path), "--quant", "gguf-q4_k_m", "--context", "1024", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["total_params"] == 8_030_261_248 and data["runtime"] == "llama.cpp"
    assert data["total_bytes"] == sum(data["breakdown"].values())


def test_cli_unknown_quantization_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from advisor.cli import main

    (tmp_path / "config.json").write_text(json.dumps(LLAMA_31_8B))
    assert main(["estimate", str(tmp_path), "--quant", "q4_k_m"]) == 3
    assert "did you mean 'gguf-q4_k_m'" in capsys.readouterr().err


def test_calibration_goal_holds() -> None:
    """Regression guard on the published measurements (benchmarks/memory_accuracy.py)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    try:
        import memory_accuracy
    finally:
        sys.path.pop(0)
    _, summary = memory_accuracy.run()
    assert summary["goal_median"] <= memory_accuracy.GOAL_MEDIAN
    assert summary["goal_worst"] <= memory_accuracy.GOAL_WORST
    # Issue 16's goals by kind that hold today (benchmarks/README.md lists the rows still outside).
    assert summary["file_median"] < 5 and summary["inference_median"] < 5
    assert summary["inference_worst"] <= memory_accuracy.KIND_TOLERANCE["inference"]
