"""Sorting named tensors into weight roles: safetensors headers and meta-device models.

A checkpoint's header (``advisor estimate DIR``, ``advisor catalog add``) and a model transformers
builds on the meta device both give (name, shape) pairs; the role of each tensor (embedding,
attention, MLP, experts...) is read from its name, the way each modeling file names its layers.
Kept apart from ``param_count`` (counts from a config), which the recommendation needs on every
run: these patterns are only compiled when a checkpoint or an unknown model type is sized.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from advisor.memory.config_keys import model_kind, normalise_model_type

_OTHER = re.compile(r"(vision|visual|image|multi_modal_projector|mm_projector|audio|pooler|vpm\.|mtp)")
_LM_HEAD = re.compile(r"(^|\.)(lm_head|embed_out)\.|^output\.weight$")
_EMBED = re.compile(
    r"(embed_tokens|\bwte\b|\bwpe\b|word_embeddings|position_embeddings|token_type_embeddings|embed_in|"
    r"tok_embeddings|(^|\.)shared\.|embed_positions|relative_attention_bias|(^|\.)embeddings?\.)"
)
_EXPERT = re.compile(r"(?<!shared_)experts\.")
_ROUTER = re.compile(r"(\.gate\.weight$|\.gate\.bias$|router|gate_inp|shared_expert_gate)")
_ATTN_V = re.compile(r"(v_proj|\.value\.|\.wv\.|v_lin|(SelfAttention|EncDecAttention)\.v\.)")
_ATTN_O = re.compile(
    r"(o_proj|attn\.c_proj|attention\.dense|self_attention\.dense|attention\.output\.dense|"
    r"out_lin|\.wo\.(?=.*(attention|attn))|attn\.out_proj|self_attn\.out_proj|encoder_attn\.out_proj|"
    r"(SelfAttention|EncDecAttention)\.o\.)"
)
_ATTN_QK = re.compile(
    r"(q_proj|k_proj|\.query\.|\.key\.|c_attn|qkv|query_key_value|q_a_proj|q_b_proj|kv_a_proj|"
    r"kv_b_proj|q_lin|k_lin|(SelfAttention|EncDecAttention)\.[qk]\.|\.wq\.|\.wk\.)"
)
_MLP_DOWN = re.compile(r"(down_proj|mlp\.c_proj|dense_4h_to_h|fc2|\.w2\.|\.wo\.|lin2|output\.dense|\.c_proj\.)")
_MLP_UP = re.compile(
    r"(gate_proj|up_proj|gate_up|c_fc|dense_h_to_4h|fc1|\.w1\.|\.w3\.|\.wi(_0|_1)?\.|lin1|"
    r"intermediate\.dense)"
)
_SSM = re.compile(r"(in_proj|x_proj|dt_proj|mixer\.out_proj)")


def role_of(name: str, shape: tuple[int, ...]) -> str:
    """The role of one named tensor; 1-D tensors (norms, biases) and odd shapes are ``vectors``."""
    if _OTHER.search(name):
        return "other"
    if _LM_HEAD.search(name):
        return "lm_head" if len(shape) >= 2 else "vectors"
    if _EMBED.search(name) and len(shape) == 2:
        return "embed"
    if len(shape) < 2 or name.endswith("bias") or "conv1d" in name or "A_log" in name:  # MoE biases are 2-D
        return "vectors"
    if _EXPERT.search(name):
        return "experts_down" if re.search(r"(down|\.w2)", name) else "experts_up"
    for pattern, role in (
        (_ROUTER, "router"),
        (_ATTN_V, "attn_v"),
        (_ATTN_O, "attn_o"),
        (_ATTN_QK, "attn_qk"),
        (_SSM, "ssm"),
        (_MLP_DOWN, "mlp_down"),
        (_MLP_UP, "mlp_up"),
    ):
        if pattern.search(name):
            return role
    return "other"


def roles_from_tensors(tensors: Iterable[tuple[str, tuple[int, ...]]]) -> dict[str, int]:
    """Parameters per role from (name, shape) pairs."""
    roles: dict[str, int] = defaultdict(int)
    for name, shape in tensors:
        roles[role_of(name, shape)] += math.prod(shape)
    return dict(roles)


def count_with_transformers(config: Mapping[str, Any]) -> dict[str, int] | None:
    """Parameters per role of the model transformers builds from ``config`` on the meta device.

    Returns None when transformers (or accelerate) is missing or does not know the model type.
    Slow (seconds): callers cache the result.
    """
    try:
        from accelerate import init_empty_weights  # noqa: PLC0415 - optional, heavy
        from transformers import AutoConfig, AutoModel, AutoModelForCausalLM, AutoModelForSeq2SeqLM  # noqa: PLC0415
    except Exception:
        return None
    data = dict(config)
    model_type = data.pop("model_type", None)
    if not model_type:
        return None
    try:
        hf_config = AutoConfig.for_model(model_type, **data)
    except Exception:
        return None
    kind = model_kind(normalise_model_type(config))
    loaders = {"encoder": (AutoModel,), "encoder-decoder": (AutoModelForSeq2SeqLM, AutoModel)}
    for loader in loaders.get(kind, (AutoModelForCausalLM, AutoModel)):
        try:
            with init_empty_weights():
                model = loader.from_config(hf_config)
            model.tie_weights()  # transformers 5 ties only when loading; unshared copies would count twice
        except Exception:
            continue
        seen: set[int] = set()
        tensors = []
        for name, param in model.named_parameters(remove_duplicate=False):
            if id(param) in seen:
                continue
            seen.add(id(param))
            tensors.append((name, tuple(param.shape)))
        return roles_from_tensors(tensors)
    return None
