"""Parameter counts per weight role, computed from a config without building the model.

Each family's count restates the layer list of its transformers modeling file (embeddings,
attention with GQA and explicit head_dim, biases, norms, gated or plain MLP, MoE experts with
router and shared experts, tied embeddings, Mamba mixers), so a catalog sweep needs no torch.
tests/test_memory_params.py checks these counts against transformers' meta-device instantiation.
For a model type not restated here, ``tensor_roles.count_with_transformers`` builds the model on
the meta device (when transformers is installed) and sorts its parameters into roles by name.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from advisor.memory.config_keys import (
    Config,
    layer_types,
    mamba_dims,
    tied_embeddings,
)

Bias = bool | tuple[str, bool]
"""A bias flag: fixed, or read from a config key with a default (e.g. ``("attention_bias", False)``)."""


@dataclass(frozen=True)
class Family:
    """How a Llama-like decoder family differs from Llama, as read in its modeling file."""

    gated: bool = True
    layer_norm: bool = False
    """LayerNorm (weight + bias) instead of RMSNorm (weight only)."""
    norms_per_layer: int = 2
    qkv_bias: Bias = ("attention_bias", False)
    o_bias: Bias = ("attention_bias", False)
    mlp_bias: Bias = ("mlp_bias", False)
    qk_norm: str | None = None
    """``head`` (one head_dim vector each, Qwen3/Gemma3) or ``full`` (projection width, OLMo 2)."""
    sinks: bool = False
    mla: bool = False


LLAMA_LIKE: dict[str, Family] = {
    "llama": Family(),
    "mistral": Family(),
    "mixtral": Family(),
    "granite": Family(),
    "smollm3": Family(),
    "phi3": Family(),
    "qwen2": Family(qkv_bias=True, o_bias=False),
    "qwen2_moe": Family(qkv_bias=True, o_bias=False),
    "qwen3": Family(qk_norm="head"),
    "qwen3_moe": Family(qk_norm="head"),
    "gemma": Family(),
    "gemma2": Family(norms_per_layer=4),
    "gemma3_text": Family(norms_per_layer=4, qk_norm="head"),
    "olmo2": Family(qk_norm="full"),
    "starcoder2": Family(
        gated=False,
        layer_norm=True,
        qkv_bias=("use_bias", True),
        o_bias=("use_bias", True),
        mlp_bias=("use_bias", True),
    ),
    "gpt_oss": Family(qkv_bias=("attention_bias", True), o_bias=("attention_bias", True), sinks=True),
    "deepseek_v2": Family(mla=True),
    "deepseek_v3": Family(mla=True),
}


class _Tally:
    """Accumulates parameters per role, LoRA-able linears and the largest tensors."""

    def __init__(self) -> None:
        self.roles: dict[str, int] = defaultdict(int)
        self.lora: dict[tuple[str, int, int], int] = defaultdict(int)
        self.largest_linear = 0
        self.largest_linear_out = 0
        self.inactive = 0

    def linear(self, role: str, n_in: int, n_out: int, *, bias: bool = False, count: int = 1, lora: str = "") -> int:
        self.roles[role] += n_in * n_out * count
        if bias:
            self.roles["vectors"] += n_out * count
        if lora:
            self.lora[(lora, n_in, n_out)] += count
        size = n_in * n_out
        if role not in ("lm_head", "other") and (size, n_out) > (
            self.largest_linear,
            self.largest_linear_out,
        ):
            self.largest_linear, self.largest_linear_out = size, n_out
        return (n_in * n_out + (n_out if bias else 0)) * count

    def add(self, role: str, count: int) -> int:
        self.roles[role] += count
        return count

    def total(self) -> int:
        return sum(self.roles.values())

    def add_scaled(self, other: _Tally, times: int) -> None:
        """Add ``times`` copies of ``other``: identical layers are counted once, then scaled."""
        for role, count in other.roles.items():
            self.roles[role] += count * times
        for key, count in other.lora.items():
            self.lora[key] += count * times
        if (other.largest_linear, other.largest_linear_out) > (self.largest_linear, self.largest_linear_out):
            self.largest_linear, self.largest_linear_out = other.largest_linear, other.largest_linear_out
        self.inactive += other.inactive * times


def _bias(cfg: Config, spec: Bias) -> bool:
    if isinstance(spec, bool):
        return spec
    key, default = spec
    return cfg.flag(key, default)


def _norm(cfg: Config, fam_layer_norm: bool, width: int) -> int:
    return 2 * width if fam_layer_norm else width


def _moe_fields(cfg: Config) -> tuple[int, int, int]:
    experts = int(
        cfg.data.get("num_local_experts") or cfg.data.get("num_experts") or cfg.data.get("n_routed_experts") or 0
    )
    per_token = int(cfg.data.get("num_experts_per_tok") or cfg.data.get("experts_per_token") or 0)
    inter = int(cfg.data.get("moe_intermediate_size") or cfg.get("intermediate_size") or 0)
    return experts, per_token, inter


def _is_moe_layer(cfg: Config, i: int, experts: int) -> bool:
    if not experts:
        return False
    mt = cfg.model_type
    if mt in ("qwen2_moe", "qwen3_moe"):
        only_dense = cfg.data.get("mlp_only_layers") or []
        step = int(cfg.data.get("decoder_sparse_step") or 1)
        return i not in only_dense and (i + 1) % step == 0
    if mt in ("deepseek_v2", "deepseek_v3"):
        first_dense = int(cfg.data.get("first_k_dense_replace") or 0)
        freq = int(cfg.data.get("moe_layer_freq") or 1)
        return i >= first_dense and i % freq == 0
    if mt == "jamba":
        period = int(cfg.data.get("expert_layer_period", 2))
        offset = int(cfg.data.get("expert_layer_offset", 1))
        return i % period == offset
    return True


def _gated_mlp(t: _Tally, h: int, inter: int, bias: bool, role: str = "mlp", lora: str = "mlp") -> int:
    up, down = ("mlp_up", "mlp_down") if role == "mlp" else ("experts_up", "experts_down")
    return t.linear(up, h, inter, bias=bias, count=2, lora=lora) + t.linear(down, inter, h, bias=bias, lora=lora)


def _plain_mlp(t: _Tally, h: int, inter: int, bias: bool) -> int:
    return t.linear("mlp_up", h, inter, bias=bias, lora="mlp") + t.linear("mlp_down", inter, h, bias=bias, lora="mlp")


def _moe_block(t: _Tally, cfg: Config, h: int, experts: int, per_token: int, inter: int) -> int:
    mt = cfg.model_type
    n = t.linear("router", h, experts, bias=mt == "gpt_oss")
    if mt == "deepseek_v3":
        n += t.add("vectors", experts)  # e_score_correction_bias
    expert_bias = mt == "gpt_oss"
    one_expert = (2 * h * inter + (2 * inter if expert_bias else 0)) + (h * inter + (h if expert_bias else 0))
    t.linear("experts_up", h, inter, bias=expert_bias, count=2 * experts)
    t.linear("experts_down", inter, h, bias=expert_bias, count=experts)
    # gate and up biases were counted as 2 x inter above; the sums match one_expert per expert
    n += one_expert * experts
    t.inactive += one_expert * (experts - per_token)
    shared = int(cfg.data.get("shared_expert_intermediate_size") or 0)
    if shared:  # Qwen2-MoE: one gated shared expert + a sigmoid gate
        n += _gated_mlp(t, h, shared, False) + t.linear("router", h, 1)
    n_shared = int(cfg.data.get("n_shared_experts") or 0)
    if n_shared and mt in ("deepseek_v2", "deepseek_v3"):
        n += _gated_mlp(t, h, inter * n_shared, False)
    return n


def _attention(t: _Tally, cfg: Config, fam: Family, h: int, heads: int, kv: int, hd: int) -> int:
    if fam.mla:
        return _mla_attention(t, cfg, h, heads)
    qkv_bias, o_bias = _bias(cfg, fam.qkv_bias), _bias(cfg, fam.o_bias)
    n = t.linear("attn_qk", h, heads * hd, bias=qkv_bias, lora="attention")
    n += t.linear("attn_qk", h, kv * hd, bias=qkv_bias, lora="attention")
    n += t.linear("attn_v", h, kv * hd, bias=qkv_bias, lora="attention")
    n += t.linear("attn_o", heads * hd, h, bias=o_bias, lora="attention")
    if fam.qk_norm == "head":
        n += t.add("vectors", 2 * hd)
    elif fam.qk_norm == "full":
        n += t.add("vectors", heads * hd + kv * hd)
    if fam.sinks:
        n += t.add("vectors", heads)
    return n


def _mla_attention(t: _Tally, cfg: Config, h: int, heads: int) -> int:
    """DeepSeek-V2/V3 multi-head latent attention (modeling_deepseek_v3.py)."""
    q_lora = cfg.data.get("q_lora_rank")
    kv_lora = int(cfg.require("kv_lora_rank"))
    rope = int(cfg.data.get("qk_rope_head_dim") or 64)
    nope = int(cfg.data.get("qk_nope_head_dim") or 128)
    v_dim = int(cfg.data.get("v_head_dim") or 128)
    bias = cfg.flag("attention_bias")
    n = 0
    if q_lora:
        n += t.linear("attn_qk", h, int(q_lora), bias=bias, lora="attention") + t.add("vectors", int(q_lora))
        n += t.linear("attn_qk", int(q_lora), heads * (nope + rope), lora="attention")
    else:
        n += t.linear("attn_qk", h, heads * (nope + rope), lora="attention")
    n += t.linear("attn_qk", h, kv_lora + rope, bias=bias, lora="attention") + t.add("vectors", kv_lora)
    n += t.linear("attn_qk", kv_lora, heads * (nope + v_dim), lora="attention")
    n += t.linear("attn_o", heads * v_dim, h, bias=bias, lora="attention")
    return n


def count_llama_like(cfg: Config, fam: Family) -> tuple[_Tally, list[int]]:
    h = cfg.integer("hidden_size")
    n_layers = cfg.integer("num_hidden_layers")
    heads = cfg.integer("num_attention_heads")
    kv = cfg.integer("num_key_value_heads", heads) or heads
    hd = cfg.integer("head_dim", h // heads) or h // heads
    vocab = cfg.integer("vocab_size")
    inter = cfg.integer("intermediate_size", 0)
    experts, per_token, moe_inter = _moe_fields(cfg)
    mlp_bias = _bias(cfg, fam.mlp_bias)
    t = _Tally()
    t.add("embed", vocab * h)
    # A layer's shapes depend only on whether it is a MoE layer: count one layer of each kind and
    # scale it (a catalog sweep would otherwise repeat the same arithmetic for every layer of 35 models).
    moe_layers = [_is_moe_layer(cfg, i, experts) for i in range(n_layers)]
    layer_params: dict[bool, int] = {}
    for moe in dict.fromkeys(moe_layers):  # first-appearance order keeps the roles in layer order
        layer = _Tally()
        n = _attention(layer, cfg, fam, h, heads, kv, hd)
        if moe:
            n += _moe_block(layer, cfg, h, experts, per_token, moe_inter)
        elif fam.gated:
            n += _gated_mlp(layer, h, inter, mlp_bias)
        else:
            n += _plain_mlp(layer, h, inter, mlp_bias)
        n += layer.add("vectors", fam.norms_per_layer * _norm(cfg, fam.layer_norm, h))
        layer_params[moe] = n
        t.add_scaled(layer, moe_layers.count(moe))
    per_layer = [layer_params[moe] for moe in moe_layers]
    t.add("vectors", _norm(cfg, fam.layer_norm, h))
    if not tied_embeddings(cfg):
        t.add("lm_head", vocab * h)
    return t, per_layer


def count_gpt2(cfg: Config) -> tuple[_Tally, list[int]]:
    """GPT-2 and GPT-BigCode (fused c_attn; BigCode's multi_query shares one K/V head)."""
    h = cfg.integer("hidden_size")
    n_layers = cfg.integer("num_hidden_layers")
    heads = cfg.integer("num_attention_heads")
    inter = cfg.integer("intermediate_size", 4 * h) or 4 * h
    kv_width = h // heads if cfg.model_type == "gpt_bigcode" and cfg.flag("multi_query", True) else h
    t = _Tally()
    t.add("embed", cfg.integer("vocab_size") * h + cfg.integer("max_position_embeddings") * h)
    per_layer = []
    for _ in range(n_layers):
        n = t.linear("attn_qk", h, h + 2 * kv_width, bias=True, lora="attention")
        n += t.linear("attn_o", h, h, bias=True, lora="attention")
        n += _plain_mlp(t, h, inter, True) + t.add("vectors", 4 * h)
        per_layer.append(n)
    t.add("vectors", 2 * h)
    return t, per_layer


def count_fused_qkv(cfg: Config) -> tuple[_Tally, list[int]]:
    """BLOOM, Falcon and GPT-NeoX: one query_key_value projection, LayerNorms, plain MLP."""
    mt = cfg.model_type
    h = cfg.integer("hidden_size")
    n_layers = cfg.integer("num_hidden_layers")
    heads = cfg.integer("num_attention_heads")
    hd = h // heads
    vocab = cfg.integer("vocab_size")
    inter = cfg.integer("intermediate_size", 4 * h) or 4 * h
    bias = True
    norms = 2
    kv = heads
    if mt == "falcon":
        bias = cfg.flag("bias")
        new_arch = cfg.flag("new_decoder_architecture")
        if new_arch:
            kv = cfg.integer("num_key_value_heads", heads)
            norms = int(cfg.data.get("num_ln_in_parallel_attn") or 2)
        else:
            kv = 1 if cfg.flag("multi_query", True) else heads
            norms = 1 if cfg.flag("parallel_attn", True) else 2
    elif mt == "gpt_neox":
        bias = cfg.flag("attention_bias", True)
    t = _Tally()
    t.add("embed", vocab * h)
    if mt == "bloom":
        t.add("vectors", 2 * h)  # word_embeddings_layernorm
    per_layer = []
    for _ in range(n_layers):
        n = t.linear("attn_qk", h, (heads + 2 * kv) * hd, bias=bias, lora="attention")
        n += t.linear("attn_o", h, h, bias=bias, lora="attention")
        mlp_bias = bias if mt != "gpt_neox" else True
        n += _plain_mlp(t, h, inter, mlp_bias) + t.add("vectors", norms * 2 * h)
        per_layer.append(n)
    t.add("vectors", 2 * h)
    if not tied_embeddings(cfg):
        t.add("lm_head", vocab * h)
    return t, per_layer


def count_phi(cfg: Config) -> tuple[_Tally, list[int]]:
    """Phi-1/1.5/2: parallel attention and MLP under one LayerNorm, biases everywhere, biased lm_head."""
    h = cfg.integer("hidden_size")
    heads = cfg.integer("num_attention_heads")
    kv = cfg.integer("num_key_value_heads", heads) or heads
    hd = h // heads
    vocab = cfg.integer("vocab_size")
    inter = cfg.integer("intermediate_size")
    t = _Tally()
    t.add("embed", vocab * h)
    per_layer = []
    for _ in range(cfg.integer("num_hidden_layers")):
        n = t.linear("attn_qk", h, heads * hd, bias=True, lora="attention")
        n += t.linear("attn_qk", h, kv * hd, bias=True, lora="attention")
        n += t.linear("attn_v", h, kv * hd, bias=True, lora="attention")
        n += t.linear("attn_o", heads * hd, h, bias=True, lora="attention")
        if cfg.flag("qk_layernorm"):
            n += t.add("vectors", 4 * hd)
        n += _plain_mlp(t, h, inter, True) + t.add("vectors", 2 * h)
        per_layer.append(n)
    t.add("vectors", 2 * h)
    if not tied_embeddings(cfg):
        t.linear("lm_head", h, vocab, bias=True)
    return t, per_layer


def count_encoder(cfg: Config) -> tuple[_Tally, list[int]]:
    """BERT, RoBERTa, XLM-R, CamemBERT (with pooler, as AutoModel builds them) and DistilBERT."""
    h = cfg.integer("hidden_size")
    inter = cfg.integer("intermediate_size", 4 * h) or 4 * h
    distil = cfg.model_type == "distilbert"
    t = _Tally()
    positions = cfg.integer("max_position_embeddings")
    t.add("embed", cfg.integer("vocab_size") * h + positions * h)
    if not distil:
        t.add("embed", int(cfg.data.get("type_vocab_size", 2)) * h)
    t.add("vectors", 2 * h)
    per_layer = []
    for _ in range(cfg.integer("num_hidden_layers")):
        n = t.linear("attn_qk", h, h, bias=True, count=2, lora="attention")
        n += t.linear("attn_v", h, h, bias=True, lora="attention")
        n += t.linear("attn_o", h, h, bias=True, lora="attention")
        n += _plain_mlp(t, h, inter, True) + t.add("vectors", 4 * h)
        per_layer.append(n)
    if not distil:
        t.linear("other", h, h, bias=True)  # pooler
    return t, per_layer


def count_t5(cfg: Config) -> tuple[_Tally, list[int]]:
    """T5 / mT5 encoder-decoder (T5ForConditionalGeneration), gated or plain feed-forward."""
    d = cfg.integer("hidden_size")
    inner = cfg.integer("num_attention_heads") * cfg.integer("head_dim")
    ff = cfg.integer("intermediate_size")
    heads = cfg.integer("num_attention_heads")
    enc_layers = cfg.integer("num_hidden_layers")
    dec_layers = int(cfg.data.get("num_decoder_layers") or enc_layers)
    gated = str(cfg.data.get("feed_forward_proj", "relu")).startswith("gated")
    buckets = int(cfg.data.get("relative_attention_num_buckets", 32))
    vocab = cfg.integer("vocab_size")
    t = _Tally()
    t.add("embed", vocab * d + 2 * buckets * heads)  # shared table + one relative bias per stack

    def attention() -> int:
        n = t.linear("attn_qk", d, inner, count=2, lora="attention") + t.linear("attn_v", d, inner, lora="attention")
        return n + t.linear("attn_o", inner, d, lora="attention") + t.add("vectors", d)

    def feed_forward() -> int:
        n = _gated_mlp(t, d, ff, False) if gated else _plain_mlp(t, d, ff, False)
        return n + t.add("vectors", d)

    per_layer = [attention() + feed_forward() for _ in range(enc_layers)]
    per_layer += [attention() + attention() + feed_forward() for _ in range(dec_layers)]
    t.add("vectors", 2 * d)
    if not tied_embeddings(cfg):
        t.add("lm_head", vocab * d)
    return t, per_layer


def count_bart(cfg: Config) -> tuple[_Tally, list[int]]:
    """BART / mBART (learned positions with BART's offset of 2, biases and LayerNorms everywhere)."""
    d = cfg.integer("hidden_size")
    vocab = cfg.integer("vocab_size")
    positions = cfg.integer("max_position_embeddings") + 2
    enc_ff = cfg.integer("intermediate_size")
    dec_ff = int(cfg.data.get("decoder_ffn_dim") or enc_ff)
    t = _Tally()
    t.add("embed", vocab * d + 2 * positions * d)
    t.add("vectors", 4 * d)  # layernorm_embedding of both stacks
    if cfg.model_type == "mbart":
        t.add("vectors", 4 * d)  # final layer_norm of both stacks

    def attention() -> int:
        n = t.linear("attn_qk", d, d, bias=True, count=2, lora="attention")
        n += t.linear("attn_v", d, d, bias=True, lora="attention")
        return n + t.linear("attn_o", d, d, bias=True, lora="attention") + t.add("vectors", 2 * d)

    enc_layers = cfg.integer("num_hidden_layers")
    per_layer = [attention() + _plain_mlp(t, d, enc_ff, True) + t.add("vectors", 2 * d) for _ in range(enc_layers)]
    dec_layers = int(cfg.data.get("decoder_layers") or cfg.integer("num_hidden_layers"))
    per_layer += [
        attention() + attention() + _plain_mlp(t, d, dec_ff, True) + t.add("vectors", 2 * d) for _ in range(dec_layers)
    ]
    if not tied_embeddings(cfg):
        t.add("lm_head", vocab * d)
    return t, per_layer


def _mamba_mixer(t: _Tally, cfg: Config, h: int, prefix: str = "") -> int:
    d_inner, d_state, d_conv, dt = mamba_dims(cfg, h, prefix)
    proj_bias = cfg.flag("mamba_proj_bias" if prefix else "use_bias")
    conv_bias = cfg.flag("mamba_conv_bias" if prefix else "use_conv_bias", True)
    n = t.linear("ssm", h, 2 * d_inner, bias=proj_bias)
    n += t.add("vectors", d_inner * d_conv + (d_inner if conv_bias else 0))
    n += t.linear("ssm", d_inner, dt + 2 * d_state)
    n += t.linear("ssm", dt, d_inner, bias=True)
    n += t.add("vectors", d_inner * d_state + d_inner)  # A_log, D
    n += t.linear("ssm", d_inner, h, bias=proj_bias)
    if prefix:  # Jamba's dt/B/C RMSNorms
        n += t.add("vectors", dt + 2 * d_state)
    return n


def count_mamba(cfg: Config) -> tuple[_Tally, list[int]]:
    h = cfg.integer("hidden_size")
    vocab = cfg.integer("vocab_size")
    t = _Tally()
    t.add("embed", vocab * h)
    per_layer = []
    for _ in range(cfg.integer("num_hidden_layers")):
        if cfg.model_type == "mamba2":
            per_layer.append(_mamba2_mixer(t, cfg, h) + t.add("vectors", h))
        else:
            per_layer.append(_mamba_mixer(t, cfg, h) + t.add("vectors", h))
    t.add("vectors", h)
    if not tied_embeddings(cfg):
        t.add("lm_head", vocab * h)
    return t, per_layer


def _mamba2_mixer(t: _Tally, cfg: Config, h: int) -> int:
    """Mamba-2 mixer (modeling_mamba2.py): fused in_proj, grouped B/C, per-head A, D and dt bias."""
    d_inner = int(cfg.data.get("expand", 2) * h)
    d_state = int(cfg.data.get("state_size", 128))
    groups = int(cfg.data.get("n_groups", 1))
    n_heads = int(cfg.data.get("num_heads") or d_inner // int(cfg.data.get("head_dim", 64)))
    d_conv = int(cfg.data.get("conv_kernel", 4))
    conv_dim = d_inner + 2 * groups * d_state
    bias = cfg.flag("use_bias")
    n = t.linear("ssm", h, 2 * d_inner + 2 * groups * d_state + n_heads, bias=bias)
    n += t.add("vectors", conv_dim * d_conv + (conv_dim if cfg.flag("use_conv_bias", True) else 0))
    n += t.add("vectors", 3 * n_heads + d_inner)  # dt_bias, A_log, D, gated norm
    return n + t.linear("ssm", d_inner, h, bias=bias)


def count_jamba(cfg: Config) -> tuple[_Tally, list[int]]:
    """Jamba: Mamba layers with an attention layer every ``attn_layer_period``, MoE every other layer."""
    h = cfg.integer("hidden_size")
    heads = cfg.integer("num_attention_heads")
    kv = cfg.integer("num_key_value_heads", heads)
    hd = h // heads
    vocab = cfg.integer("vocab_size")
    inter = cfg.integer("intermediate_size")
    experts, per_token, _ = _moe_fields(cfg)
    kinds = layer_types(cfg, cfg.integer("num_hidden_layers"))
    t = _Tally()
    t.add("embed", vocab * h)
    per_layer = []
    for i, kind in enumerate(kinds):
        if kind == "full":
            n = _attention(t, cfg, Family(qkv_bias=False, o_bias=False), h, heads, kv, hd)
        else:
            n = _mamba_mixer(t, cfg, h, prefix="mamba_")
        if _is_moe_layer(cfg, i, experts):
            n += _moe_block(t, cfg, h, experts, per_token, inter)
        else:
            n += _gated_mlp(t, h, inter, False)
        per_layer.append(n + t.add("vectors", 2 * h))
    t.add("vectors", h)
    if not tied_embeddings(cfg):
        t.add("lm_head", vocab * h)
    return t, per_layer


COUNTERS = {
    "gpt2": count_gpt2,
    "gpt_bigcode": count_gpt2,
    "bloom": count_fused_qkv,
    "falcon": count_fused_qkv,
    "gpt_neox": count_fused_qkv,
    "phi": count_phi,
    "bert": count_encoder,
    "roberta": count_encoder,
    "xlm-roberta": count_encoder,
    "camembert": count_encoder,
    "distilbert": count_encoder,
    "t5": count_t5,
    "mt5": count_t5,
    "bart": count_bart,
    "mbart": count_bart,
    "mamba": count_mamba,
    "falcon_mamba": count_mamba,
    "mamba2": count_mamba,
    "jamba": count_jamba,
}


def known_model_types() -> tuple[str, ...]:
    """Model types counted analytically (others need transformers, or fall back to the Llama shape)."""
    return tuple(sorted({*LLAMA_LIKE, *COUNTERS}))


def vision_params(vision: Mapping[str, Any], text_hidden: int) -> int:
    """Rough size of a ViT vision tower + projector; exact counts need the checkpoint."""
    hv = int(vision.get("hidden_size") or vision.get("embed_dim") or 0)
    layers = int(vision.get("num_hidden_layers") or vision.get("depth") or 0)
    if not hv or not layers:
        return 0
    iv = int(vision.get("intermediate_size") or hv * float(vision.get("mlp_ratio") or 4))
    patch = int(vision.get("patch_size") or 14)
    image = int(vision.get("image_size") or 224)
    per_layer = 4 * (hv * hv + hv) + 2 * hv * iv + hv + iv + 4 * hv
    patches = (image // patch) ** 2
    return layers * per_layer + 3 * patch * patch * hv + hv + patches * hv + 2 * hv + hv * text_hidden
