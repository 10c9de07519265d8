"""GGUF file sizes follow llama.cpp's per-tensor type rules (src/llama-quant.cpp).

Each rule has a test that fails when the rule is removed or its type changed: the K-quant
fallbacks for rows that are not a multiple of 256, the fused-QKV rule of Phi-3/4, and the MXFP4
experts of gpt-oss at every label.
"""

from __future__ import annotations

from typing import Any

import pytest

from advisor.memory.core import gguf_row_lengths
from advisor.quantization import get_quantization, load_quantizations, quantization_ladder, role_bits
from advisor.sources.models import estimate_memory
from advisor.sources.models import resolve_architecture as architecture_for
from tests.memory_configs import GPT_OSS_20B, LLAMA_31_8B, MIXTRAL_8X7B, QWEN2_05B

BITS = {"Q2_K": 2.625, "Q3_K": 3.4375, "Q4_K": 4.5, "Q5_K": 5.5, "Q6_K": 6.5625}
BITS.update({"Q4_0": 4.5, "Q5_0": 5.5, "Q5_1": 6.0, "Q8_0": 8.5, "F16": 16.0, "MXFP4": 4.25})

# microsoft/phi-4 config.json (Phi3ForCausalLM: one fused qkv_proj per layer).
PHI_4: dict[str, Any] = {
    "model_type": "phi3",
    "hidden_size": 5120,
    "intermediate_size": 17920,
    "num_hidden_layers": 40,
    "num_attention_heads": 40,
    "num_key_value_heads": 10,
    "vocab_size": 100352,
    "max_position_embeddings": 16384,
    "tie_word_embeddings": False,
}
# Qwen/Qwen2.5-72B-Instruct config.json: intermediate 29,568 = 115.5 x 256.
QWEN25_72B: dict[str, Any] = {
    "model_type": "qwen2",
    "hidden_size": 8192,
    "intermediate_size": 29568,
    "num_hidden_layers": 80,
    "num_attention_heads": 64,
    "num_key_value_heads": 8,
    "vocab_size": 152064,
    "max_position_embeddings": 32768,
    "tie_word_embeddings": False,
}


def _more_bits_layers(n: int) -> int:
    # llama-quant.cpp use_more_bits: first and last eighth, and every third layer between.
    return sum(1 for i in range(n) if i < n // 8 or i >= 7 * n // 8 or (i - n // 8) % 3 == 2)


def test_fallback_table_is_llama_cpp_s() -> None:
    """The data restates tensor_type_fallback: changing one mapping fails here."""
    types = load_quantizations().gguf_types
    fallbacks = {name: t.fallback for name, t in types.items() if t.fallback}
    assert fallbacks == {"Q2_K": "Q4_0", "Q3_K": "Q4_0", "Q4_K": "Q5_0", "Q5_K": "Q5_1", "Q6_K": "Q8_0"}
    assert {name: t.block for name, t in types.items() if name in BITS} == {
        "Q2_K": 256, "Q3_K": 256, "Q4_K": 256, "Q5_K": 256, "Q6_K": 256,
        "Q4_0": 32, "Q5_0": 32, "Q5_1": 32, "Q8_0": 32, "F16": 1, "MXFP4": 32,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("mix", "base", "fallback"),
    [
        ("gguf-q2_k", "Q2_K", "Q4_0"),
        ("gguf-q3_k_m", "Q3_K", "Q4_0"),
        ("gguf-q4_k_m", "Q4_K", "Q5_0"),
        ("gguf-q5_k_m", "Q5_K", "Q5_1"),
        ("gguf-q6_k", "Q6_K", "Q8_0"),
    ],
)
def test_k_quant_falls_back_when_rows_are_not_a_multiple_of_256(mix: str, base: str, fallback: str) -> None:
    quant = get_quantization(mix)
    fits = role_bits(quant, 24, 7, True, rows={"mlp_up": 1024})
    falls = role_bits(quant, 24, 7, True, rows={"mlp_up": 896})
    assert fits["mlp_up"] == BITS[base]
    assert falls["mlp_up"] == BITS[fallback]


def test_fallback_that_does_not_fit_either_is_f16() -> None:
    bits = role_bits(get_quantization("gguf-q4_k_m"), 24, 7, True, rows={"mlp_up": 1000})  # 1000 % 32 != 0
    assert bits["mlp_up"] == 16.0


def test_output_and_tied_embedding_fall_back_to_q8_0() -> None:
    quant = get_quantization("gguf-q4_k_m")
    assert role_bits(quant, 24, 7, True, rows={"lm_head": 4096})["embed"] == BITS["Q6_K"]
    assert role_bits(quant, 24, 7, True, rows={"lm_head": 896})["embed"] == BITS["Q8_0"]


def test_qwen25_05b_q4_k_m_counts_every_fallback() -> None:
    """Hidden 896: Q4_K -> Q5_0 on q/k/o/gate/up, Q6_K -> Q8_0 on attn_v and the tied embedding;
    ffn_down reads 4,864 = 19 x 256 inputs and keeps Q4_K/Q6_K."""
    arch = architecture_for(QWEN2_05B)
    bits = role_bits(get_quantization("gguf-q4_k_m"), 24, arch.gqa_ratio, True, rows=gguf_row_lengths(arch))
    more = _more_bits_layers(24)
    assert bits["embed"] == 8.5 and bits["attn_qk"] == 5.5 and bits["attn_o"] == 5.5 and bits["mlp_up"] == 5.5
    assert bits["attn_v"] == pytest.approx((more * 8.5 + (24 - more) * 5.5) / 24)
    assert bits["mlp_down"] == pytest.approx((more * 6.5625 + (24 - more) * 4.5) / 24)
    est = estimate_memory(QWEN2_05B, "gguf-q4_k_m", context_tokens=1)
    expected = sum(arch.roles[r] * bits[r] for r in arch.roles) / 8
    assert est.breakdown["weights"] == pytest.approx(expected, rel=1e-6)
    assert est.weights_bits_per_param > 6.3  # a flat Q4_K_M (4.9 bits) would be 25 % low


def test_qwen25_72b_down_projection_falls_back_but_q4_0_does_not() -> None:
    arch = architecture_for(QWEN25_72B)
    rows = gguf_row_lengths(arch)
    assert rows["mlp_down"] == 29568
    more = _more_bits_layers(80)
    q4km = role_bits(get_quantization("gguf-q4_k_m"), 80, arch.gqa_ratio, False, rows=rows)
    assert q4km["mlp_down"] == pytest.approx((more * 8.5 + (80 - more) * 5.5) / 80)
    assert q4km["mlp_up"] == 4.5  # 8192 inputs: no fallback
    q2k = role_bits(get_quantization("gguf-q2_k"), 80, arch.gqa_ratio, False, rows=rows)
    assert q2k["mlp_down"] == 4.5  # Q3_K -> Q4_0
    q40 = role_bits(get_quantization("gguf-q4_0"), 80, arch.gqa_ratio, False, rows=rows)
    assert q40["mlp_down"] == 4.5  # 29,568 is a multiple of Q4_0's 32


@pytest.mark.parametrize(("mix", "qkv"), [("gguf-q4_k_m", "Q5_K"), ("gguf-q5_k_m", "Q6_K"), ("gguf-q3_k_m", "Q4_K")])
def test_fused_qkv_has_its_own_type(mix: str, qkv: str) -> None:
    """Phi-3/4 store one attn_qkv tensor: Q5_K on every layer under Q4_K_M, not attn_v's mix."""
    phi = role_bits(get_quantization(mix), 40, 4, False, rows={"attn_qk": 5120}, model_type="phi3")
    llama = role_bits(get_quantization(mix), 40, 4, False, rows={"attn_qk": 5120}, model_type="llama")
    assert phi["attn_qk"] == phi["attn_v"] == BITS[qkv]
    assert llama["attn_qk"] != BITS[qkv]


def test_phi4_q4_k_m_matches_the_published_file() -> None:
    """bartowski/phi-4-GGUF lists phi-4-Q4_K_M.gguf at 9.05 GB (benchmarks/calibration.yaml)."""
    est = estimate_memory(PHI_4, "gguf-q4_k_m", context_tokens=1)
    assert est.breakdown["weights"] / 1e9 == pytest.approx(9.05, rel=0.005)


@pytest.mark.parametrize("label", quantization_ladder("llama.cpp"))
def test_gpt_oss_experts_stay_mxfp4_at_every_label(label: str) -> None:
    arch = architecture_for(GPT_OSS_20B)
    bits = role_bits(get_quantization(label), arch.num_layers, arch.gqa_ratio, False,
                     rows=gguf_row_lengths(arch), model_type=arch.model_type)  # fmt: skip
    assert bits["experts_up"] == bits["experts_down"] == BITS["MXFP4"]
    weights = estimate_memory(GPT_OSS_20B, label, context_tokens=1).breakdown["weights"] / 1e9
    assert 11.3 < weights < 12.8  # every gpt-oss-20b GGUF on the Hub is 11.5-12.1 GB


def test_other_moe_experts_follow_the_label() -> None:
    arch = architecture_for(MIXTRAL_8X7B)
    bits = role_bits(get_quantization("gguf-q2_k"), arch.num_layers, arch.gqa_ratio, False,
                     rows=gguf_row_lengths(arch), model_type=arch.model_type)  # fmt: skip
    assert bits["experts_up"] == BITS["Q2_K"]


def test_llama_31_8b_has_no_fallback() -> None:
    """4,096 and 14,336 are multiples of 256: the measured Llama-3.1-8B sizes are unchanged."""
    arch = architecture_for(LLAMA_31_8B)
    bits = role_bits(get_quantization("gguf-q4_k_m"), 32, 4, False, rows=gguf_row_lengths(arch))
    assert bits["mlp_up"] == 4.5 and bits["lm_head"] == 6.5625


def test_cpu_ladder_offers_only_gguf_files_that_differ() -> None:
    """gpt-oss: Q6_K is 0.6 % smaller than Q8_0 (dropped), Q5_K_M 4-5 % (kept); Llama keeps all labels."""
    from advisor.memory.core import GGUF_DISTINCT_SHARE, distinct_gguf_ladder, weights_bytes

    arch = architecture_for(GPT_OSS_20B)
    ladder = [get_quantization(q) for q in quantization_ladder("llama.cpp", gpu=False)]
    size = {q.name: weights_bytes(arch, q) for q in ladder}
    assert 1 - size["gguf-q6_k"] / size["gguf-q8_0"] < GGUF_DISTINCT_SHARE < 1 - size["gguf-q5_k_m"] / size["gguf-q8_0"]
    oss = [q.name for q in distinct_gguf_ladder(arch, ladder)]
    assert oss[:2] == ["gguf-q8_0", "gguf-q5_k_m"] and "gguf-q6_k" not in oss and len(oss) < len(ladder)
    kept = [size[name] for name in oss]
    assert all(b <= a * (1 - GGUF_DISTINCT_SHARE) for a, b in zip(kept, kept[1:], strict=False))
    assert len(distinct_gguf_ladder(architecture_for(LLAMA_31_8B), ladder)) == len(ladder)
