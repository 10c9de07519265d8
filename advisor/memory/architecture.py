"""A model's shape for memory purposes: dims, parameters per weight role, KV-cache layout.

Built once per model from its config (and, when given, exact tensor counts from a checkpoint or a
catalog), then reused for every quantization, context length and batch size: the estimator's
inner loop reads plain integers from here and never re-parses a config.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from advisor.memory.config_keys import (
    Config,
    layer_types,
    mamba_dims,
    model_kind,
    normalise_model_type,
    text_config,
)
from advisor.memory.param_count import (
    COUNTERS,
    LLAMA_LIKE,
    Family,
    count_llama_like,
    vision_params,
)

# A catalog or checkpoint count that differs from the config-derived one by more than this share is
# reported in the assumptions (the exact figure wins either way).
PARAM_MISMATCH_NOTE = 0.005


@dataclass(frozen=True, eq=False)
class Architecture:
    """Everything the estimator needs about one model, computed once.

    Element counts (``kv_*``, ``*_act_elems``) are per token and independent of dtype, so one
    architecture serves every quantization, KV dtype and context length.
    """

    name: str
    model_type: str
    kind: str
    """decoder, encoder, encoder-decoder, ssm or hybrid."""
    hidden_size: int
    num_layers: int
    num_heads: int
    num_kv_heads: int
    head_dim: int
    vocab_size: int
    intermediate_size: int
    max_position_embeddings: int | None
    tie_word_embeddings: bool
    num_experts: int
    experts_per_token: int
    roles: Mapping[str, int]
    """Parameters per weight role (see advisor.quantization.ROLES)."""
    total_params: int
    active_params: int
    kv_full_elems: int
    """K+V elements cached per token, summed over layers that keep every token."""
    kv_sliding: tuple[tuple[int, int], ...]
    """(window, K+V elements per token) of sliding-window layers, grouped by window."""
    kv_latent_elems: int | None
    """MLA: compressed latent elements per token over all layers, for runtimes that cache the latent."""
    ssm_state_elems: int
    """Recurrent (SSM) state elements per sequence, constant in context length."""
    attention_layers: int
    train_act_elems: int
    """16-bit elements one layer keeps for backward per token (flash attention, no recompute)."""
    mlp_act_elems: int
    """Elements of the largest MLP transient per token at inference (gate, up and their product)."""
    lora_dims: tuple[tuple[str, int, int, int], ...]
    """(group, in_features, out_features, count) of linears LoRA can adapt; group is attention or mlp."""
    largest_linear: int
    """Weights of the largest single linear (a dequantization workspace holds one in 16-bit)."""
    largest_linear_out: int
    """Output features of that linear (sizes the forward scratch of GPTQ's ExLlama kernels)."""
    largest_layer_params: int
    params_source: str
    """analytic, safetensors, transformers-meta or catalog: where the parameter count comes from."""
    expert_intermediate_size: int = 0
    """Hidden width of one MoE expert (moe_intermediate_size, else intermediate_size); 0 when dense."""
    attention_dropout: bool = False
    """Training applies dropout to the attention probabilities (BERT-style configs): eager attention
    then keeps a dropout mask and the dropped-out copy of every score matrix for backward."""
    notes: tuple[str, ...] = ()
    cache: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)
    """Per-architecture memo of derived figures (weights per quantization ...)."""

    @property
    def gqa_ratio(self) -> float:
        return self.num_heads / self.num_kv_heads if self.num_kv_heads else 1.0

    def kv_elems(self, context_tokens: int) -> int:
        """K+V elements cached for one sequence of ``context_tokens``, sliding layers capped."""
        sliding = 0
        for window, elems in self.kv_sliding:
            sliding += (context_tokens if context_tokens < window else window) * elems
        return self.kv_full_elems * context_tokens + sliding


def build_architecture(
    config: Mapping[str, Any],
    name: str = "",
    *,
    source: str = "<config>",
    roles: Mapping[str, int] | None = None,
    roles_source: str | None = None,
    total_params: int | None = None,
) -> Architecture:
    """Normalise ``config`` (config.json form) into an :class:`Architecture`.

    ``roles`` (exact counts per role, e.g. from safetensors headers) replace the analytic ones;
    ``total_params`` (e.g. the catalog's verified figure) is honoured when no exact roles are given.
    """
    if not isinstance(config, Mapping):
        from advisor.errors import InputError

        raise InputError(f"a model config must be a mapping, got {type(config).__name__}", file=source)
    from advisor.memory.plausibility import check_config

    check_config(config, source)  # absurd sizes, zero divisors, NaN: exit 3 before any arithmetic
    text, vision = text_config(config)
    model_type = normalise_model_type(text)
    cfg = Config(text, model_type, source)
    notes: list[str] = []
    params_source = "analytic"
    if model_type in LLAMA_LIKE:
        tally, per_layer = count_llama_like(cfg, LLAMA_LIKE[model_type])
    elif model_type in COUNTERS:
        tally, per_layer = COUNTERS[model_type](cfg)
    else:
        tally, per_layer = count_llama_like(cfg, Family())
        meta = None if roles else _meta_roles(_freeze(text))
        if meta:
            roles, params_source = meta, "transformers-meta"
        else:
            notes.append(
                f"model type {model_type or '(none)'!r} is not one llm-advisor counts itself: "
                "counted as a Llama-shaped decoder (install transformers for an exact count)"
            )
    role_counts = dict(tally.roles)
    if vision is not None and not roles:
        tower = vision_params(vision, cfg.integer("hidden_size"))
        if tower:
            role_counts["other"] = role_counts.get("other", 0) + tower
            notes.append(f"vision tower estimated from vision_config: {tower / 1e6:.0f}M parameters, kept in 16-bit")
    analytic_total = sum(role_counts.values())
    if roles:
        role_counts = {k: int(v) for k, v in roles.items() if v}
        params_source = roles_source or params_source
    elif total_params and analytic_total and abs(total_params - analytic_total) > PARAM_MISMATCH_NOTE * total_params:
        notes.append(
            f"parameter count from config ({analytic_total:,}) differs from the given total "
            f"({total_params:,}); the given total is used"
        )
        role_counts = _rescale(role_counts, total_params)
        params_source = "catalog"
    elif total_params:
        params_source = "catalog" if total_params == analytic_total else params_source
    total = sum(role_counts.values())
    inactive = round(tally.inactive * total / analytic_total) if analytic_total else 0
    return _assemble(
        cfg,
        name or model_type,
        role_counts,
        total,
        total - inactive,
        tally,
        per_layer,
        params_source,
        tuple(notes),
    )


def _rescale(role_counts: dict[str, int], total: int) -> dict[str, int]:
    """Make the roles add up to ``total``: extra parameters are kept whole (role other), a shortfall
    shrinks every role in proportion."""
    current = sum(role_counts.values())
    if total > current:
        return {**role_counts, "other": role_counts.get("other", 0) + total - current}
    scaled = {k: v * total // current for k, v in role_counts.items()}
    scaled["vectors"] = scaled.get("vectors", 0) + total - sum(scaled.values())
    return scaled


def _freeze(config: Mapping[str, Any]) -> str:
    return json.dumps(config, sort_keys=True, default=str)


@lru_cache(maxsize=32)
def _meta_roles(frozen: str) -> dict[str, int] | None:
    from advisor.memory.tensor_roles import count_with_transformers

    return count_with_transformers(json.loads(frozen))


def _assemble(
    cfg: Config,
    name: str,
    roles: dict[str, int],
    total: int,
    active: int,
    tally: Any,
    per_layer: list[int],
    params_source: str,
    notes: tuple[str, ...],
) -> Architecture:
    mt = cfg.model_type
    kind = model_kind(mt)
    h = cfg.integer("hidden_size")
    n_layers = cfg.integer("num_hidden_layers")
    heads = cfg.integer("num_attention_heads", 0)
    kv_heads = (cfg.integer("num_key_value_heads", heads) or heads) if heads else 0
    if mt == "falcon" and not cfg.flag("new_decoder_architecture"):
        kv_heads = 1 if cfg.flag("multi_query", True) else heads
    if mt == "gpt_bigcode" and cfg.flag("multi_query", True):
        kv_heads = 1
    head_dim = (cfg.integer("head_dim", 0) or (h // heads)) if heads else 0
    if mt in ("bloom", "falcon", "gpt_neox", "gpt2", "gpt_bigcode", "phi") or kind == "encoder":
        head_dim = h // heads if heads else 0
    experts = int(
        cfg.data.get("num_local_experts") or cfg.data.get("num_experts") or cfg.data.get("n_routed_experts") or 0
    )
    per_token = int(cfg.data.get("num_experts_per_tok") or cfg.data.get("experts_per_token") or 0)
    inter = cfg.integer("intermediate_size", 0) if mt not in ("mamba", "mamba2", "falcon_mamba") else 0
    if mt in ("gpt2", "gpt_bigcode", "bloom", "falcon", "gpt_neox") and not inter:
        inter = 4 * h

    kinds = ["none"] * n_layers if kind == "encoder" else layer_types(cfg, n_layers)
    per_layer_kv = 2 * kv_heads * head_dim
    latent = None
    if cfg.data.get("kv_lora_rank"):
        rope = int(cfg.data.get("qk_rope_head_dim") or 64)
        nope = int(cfg.data.get("qk_nope_head_dim") or 128)
        v_dim = int(cfg.data.get("v_head_dim") or 128)
        per_layer_kv = heads * (nope + rope) + heads * v_dim  # transformers caches decompressed K and V
        latent = (int(cfg.data["kv_lora_rank"]) + rope) * n_layers
    window = int(cfg.data.get("sliding_window") or 0)
    max_positions = cfg.get("max_position_embeddings")
    if window and isinstance(max_positions, int) and window >= max_positions:
        kinds = ["full" if k == "sliding" else k for k in kinds]  # the window never binds (Phi-3.5, Ministral)
    sliding_layers = sum(1 for k in kinds if k == "sliding")
    full_layers = sum(1 for k in kinds if k == "full")
    kv_full = full_layers * per_layer_kv
    if kind == "encoder-decoder":
        dec_layers = int(cfg.data.get("num_decoder_layers") or cfg.data.get("decoder_layers") or n_layers)
        kv_full = 2 * dec_layers * per_layer_kv  # self-attention + cross-attention (encoder length = context)
    kv_sliding = ((window, sliding_layers * per_layer_kv),) if sliding_layers and window else ()
    if sliding_layers and not window:
        kv_full += sliding_layers * per_layer_kv

    ssm_state = 0
    mamba_layers = sum(1 for k in kinds if k == "mamba")
    if mamba_layers:
        ssm_state = mamba_layers * _ssm_state_elems(cfg, h)

    q_dim = heads * head_dim
    moe_inter = int(cfg.data.get("moe_intermediate_size") or inter) if experts else 0
    if experts and per_token:
        ffn_width = per_token * moe_inter + int(cfg.data.get("shared_expert_intermediate_size") or 0)
        ffn_width += int(cfg.data.get("n_shared_experts") or 0) * moe_inter
        ffn_width = max(ffn_width, inter if mt in ("deepseek_v2", "deepseek_v3") else 0)
    else:
        ffn_width = inter
    if mt in LLAMA_LIKE:
        gated = LLAMA_LIKE[mt].gated
    elif mt in ("t5", "mt5"):
        gated = str(cfg.data.get("feed_forward_proj", "relu")).startswith("gated")
    else:  # Jamba and unknown (Llama-shaped) types are gated; the other counted families are not
        gated = mt == "jamba" or mt not in COUNTERS
    if kind == "ssm":
        d_inner = mamba_dims(cfg, h)[0]
        train_act = 3 * h + 5 * d_inner
        mlp_act = 3 * d_inner
    else:
        # Saved for backward per token and layer, 16-bit elements, flash attention: the norm inputs
        # (kept in fp32 by HF RMSNorm: 2 x 2h), the attention input h, q/k/v, the attention output,
        # and the MLP input h with its gate, up, activation and product (4i) or fc1 and activation (2i).
        train_act = 6 * h + 2 * q_dim + 2 * kv_heads * head_dim + (4 if gated else 2) * ffn_width
        mlp_act = (3 if gated else 2) * ffn_width
    lora = tuple(sorted((group, n_in, n_out, count) for (group, n_in, n_out), count in tally.lora.items()))
    return Architecture(
        name=name,
        model_type=mt,
        kind=kind,
        hidden_size=h,
        num_layers=n_layers,
        num_heads=heads,
        num_kv_heads=kv_heads,
        head_dim=head_dim,
        vocab_size=cfg.integer("vocab_size"),
        intermediate_size=inter,
        max_position_embeddings=cfg.get("max_position_embeddings"),
        tie_word_embeddings="lm_head" not in roles,
        num_experts=experts,
        experts_per_token=per_token,
        roles=roles,
        total_params=total,
        active_params=active,
        kv_full_elems=kv_full,
        kv_sliding=kv_sliding,
        kv_latent_elems=latent,
        ssm_state_elems=ssm_state,
        attention_layers=full_layers + sliding_layers,
        train_act_elems=train_act,
        mlp_act_elems=mlp_act,
        lora_dims=lora,
        largest_linear=tally.largest_linear,
        largest_linear_out=tally.largest_linear_out,
        largest_layer_params=max(per_layer, default=0),
        params_source=params_source,
        expert_intermediate_size=moe_inter,
        attention_dropout=_attention_dropout(cfg),
        notes=notes,
    )


def _attention_dropout(cfg: Config) -> bool:
    """Whether training drops out attention probabilities (BERT's attention_probs_dropout_prob ...)."""
    for key in ("attention_probs_dropout_prob", "attention_dropout", "attn_pdrop"):
        value = cfg.data.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
            return True
    # transformers' BertConfig (and its descendants) default attention_probs_dropout_prob to 0.1.
    bert_like = cfg.model_type in ("bert", "roberta", "xlm-roberta", "camembert")
    return bert_like and "attention_probs_dropout_prob" not in cfg.data


def _ssm_state_elems(cfg: Config, h: int) -> int:
    """Recurrent state per Mamba layer: conv window (d_conv - 1 columns) plus the SSM state.

    Same formula as Ollama's GraphSize and gguf-parser: (d_conv-1)(d_inner + 2 n_groups d_state)
    + d_state d_inner (reference memory-estimation.md §1.2), stored in fp32.
    """
    prefix = "mamba_" if cfg.model_type == "jamba" else ""
    d_inner, d_state, d_conv, _ = mamba_dims(cfg, h, prefix)
    if cfg.model_type == "mamba2":
        d_inner = int(cfg.data.get("expand", 2) * h)
        d_state = int(cfg.data.get("state_size", 128))
        groups = int(cfg.data.get("n_groups", 1))
        return (d_conv - 1) * (d_inner + 2 * groups * d_state) + d_state * d_inner
    return (d_conv - 1) * d_inner + d_state * d_inner
