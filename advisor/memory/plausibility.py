"""Is this config.json a plausible model? Checked before anything is computed or stored from it.

A config.json is input: a typo, a truncated download or a hostile file can say ``10**12`` layers
(``MemoryError``), zero heads or a Jamba period of zero (``ZeroDivisionError``), ``NaN`` or
``Infinity`` (Python's json accepts both), or a string where a number belongs (``AttributeError``).
The estimator is written for real models; this module stands in front of it and turns each of
those into an ``InputError`` naming the file and the field (exit 3), so nothing absurd reaches the
arithmetic, the Hub-metadata cache or the user catalog.

The bounds are deliberately generous: each is at least 8 times the largest value any model of the
built-in catalog has (tests/test_plausibility.py checks that against the catalog), so a real model
released next year passes, while a value that would make the estimator loop or allocate for minutes
does not. They cover the fields the estimator reads (advisor.memory.config_keys and param_count),
under every name config.json files give them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from advisor.errors import InputError

LAYERS = 10_000
WIDTH = 1 << 20
"""Hidden, intermediate, head and rank widths (1,048,576)."""
HEADS = 1 << 16
EXPERTS = 1 << 16
VOCABULARY = 1 << 24
CONTEXT = 1 << 30
"""Positions (1,073,741,824 tokens): the estimator's arithmetic stays exact far above it."""
SMALL = 1 << 16
"""Periods, offsets, patterns, state and kernel sizes, group counts."""

# field -> (smallest allowed, largest allowed); the smallest is 1 where the estimator divides by it.
BOUNDS: dict[str, tuple[int, int]] = {
    "num_hidden_layers": (1, LAYERS),
    "hidden_size": (1, WIDTH),
    "num_attention_heads": (1, HEADS),
    "num_key_value_heads": (1, HEADS),
    "intermediate_size": (0, WIDTH),
    "vocab_size": (1, VOCABULARY),
    "max_position_embeddings": (1, CONTEXT),
    "head_dim": (1, WIDTH),
    "num_experts": (0, EXPERTS),
    "num_local_experts": (0, EXPERTS),
    "n_routed_experts": (0, EXPERTS),
    "n_shared_experts": (0, EXPERTS),
    "num_experts_per_tok": (0, EXPERTS),
    "experts_per_token": (0, EXPERTS),
    "moe_intermediate_size": (0, WIDTH),
    "shared_expert_intermediate_size": (0, WIDTH),
    "decoder_ffn_dim": (0, WIDTH),
    "encoder_ffn_dim": (0, WIDTH),
    "hidden_dim": (0, WIDTH),
    "kv_lora_rank": (0, WIDTH),
    "q_lora_rank": (0, WIDTH),
    "qk_nope_head_dim": (0, WIDTH),
    "qk_rope_head_dim": (0, WIDTH),
    "v_head_dim": (0, WIDTH),
    "sliding_window": (0, CONTEXT),
    "attn_layer_period": (1, SMALL),
    "attn_layer_offset": (0, SMALL),
    "expert_layer_period": (1, SMALL),
    "expert_layer_offset": (0, SMALL),
    "sliding_window_pattern": (1, SMALL),
    "moe_layer_freq": (1, SMALL),
    "decoder_sparse_step": (1, SMALL),
    "first_k_dense_replace": (0, LAYERS),
    "max_window_layers": (0, LAYERS),
    "decoder_layers": (1, LAYERS),
    "encoder_layers": (1, LAYERS),
    "num_decoder_layers": (1, LAYERS),
    "encoder_attention_heads": (1, HEADS),
    "decoder_attention_heads": (1, HEADS),
    "type_vocab_size": (0, VOCABULARY),
    "relative_attention_num_buckets": (0, SMALL),
    "d_state": (1, SMALL),
    "state_size": (1, SMALL),
    "mamba_d_state": (1, SMALL),
    "d_conv": (1, SMALL),
    "conv_kernel": (1, SMALL),
    "mamba_d_conv": (1, SMALL),
    "expand": (1, SMALL),
    "mamba_expand": (1, SMALL),
    "n_groups": (1, SMALL),
    "time_step_rank": (1, WIDTH),
    "dt_rank": (1, WIDTH),
    "mamba_dt_rank": (1, WIDTH),
    "patch_size": (1, SMALL),
    "image_size": (1, SMALL),
    "depth": (0, LAYERS),
}

NESTED = ("text_config", "llm_config", "language_config", "vision_config")
"""Sub-configs the estimator reads (multimodal models nest the language model)."""

MAX_DEPTH = 12
"""How deep the finiteness walk goes into a config; real ones nest three or four levels."""


def _aliases() -> dict[str, str]:
    """Every other name of a bounded field (n_layer, d_model, ...) -> the bounded field."""
    from advisor.memory.config_keys import FAMILY_ALIASES, GENERIC_ALIASES

    names: dict[str, str] = {}
    for canonical, aliases in GENERIC_ALIASES.items():
        for alias in aliases:
            names.setdefault(alias, canonical)
    for mapping in FAMILY_ALIASES.values():
        for canonical, alias in mapping.items():
            names.setdefault(alias, canonical)
    return names


def check_config(config: Any, source: str) -> None:
    """Raise ``InputError`` (file ``source``, the field) unless ``config`` is a plausible model config.

    Checks: a JSON object; every bounded field, under any of its names, at the top level or in a
    nested language/vision config, is a finite number within :data:`BOUNDS` (``null`` is left to
    the estimator's "missing field" message); ``layer_types`` is a list of strings no longer than
    :data:`LAYERS`; and no number anywhere is NaN or infinite.
    """
    problem = find_problem(config)
    if problem is not None:
        raise InputError(problem.reason, file=source, field=problem.field, hint=problem.hint)


class Implausible(Exception):
    """What is wrong with a config: the field (dotted, as written in the file) and why."""

    def __init__(self, reason: str, field: str | None = None, hint: str | None = None) -> None:
        super().__init__(reason)
        self.reason, self.field, self.hint = reason, field, hint


def find_problem(config: Any) -> Implausible | None:
    """The first implausible thing in ``config``, or None (for callers that locate errors themselves)."""
    if not isinstance(config, Mapping):
        return Implausible(f"a model config must be a JSON object, not {type(config).__name__}")
    aliases = _aliases()
    try:
        _check_level(config, "", aliases)
        for key in NESTED:
            nested = config.get(key)
            if isinstance(nested, Mapping):
                _check_level(nested, f"{key}.", aliases)
        _check_finite(config, "", 0)
    except Implausible as problem:
        return problem
    return None


def _check_level(config: Mapping[str, Any], prefix: str, aliases: dict[str, str]) -> None:
    for key, value in config.items():
        if not isinstance(key, str):
            continue
        canonical = key if key in BOUNDS else aliases.get(key)
        if canonical is None or value is None:
            continue
        if key in ("time_step_rank", "dt_rank", "mamba_dt_rank") and value == "auto":
            continue
        if key == "sliding_window" and value is False:
            continue
        low, high = BOUNDS[canonical]
        field = prefix + key
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise Implausible(
                f"expected a number, got {_excerpt(value)}", field, "is this the config.json of a transformers model?"
            )
        if isinstance(value, float) and not math.isfinite(value):
            raise Implausible(f"{value} is not a finite number", field)
        if not low <= value <= high:
            limit = f"between {low:,} and {high:,}" if low else f"at most {high:,}"
            raise Implausible(
                f"{_excerpt(value)} is implausible: llm-advisor accepts {limit}",
                field,
                "check the file; the bounds are far above any published model",
            )
    layer_kinds = config.get("layer_types")
    if layer_kinds is not None:
        if not isinstance(layer_kinds, list) or not all(isinstance(item, str) for item in layer_kinds[: LAYERS + 1]):
            raise Implausible("expected a list of layer type names", prefix + "layer_types")
        if len(layer_kinds) > LAYERS:
            raise Implausible(
                f"{len(layer_kinds):,} entries is implausible: at most {LAYERS:,} layers", prefix + "layer_types"
            )


def _check_finite(value: Any, path: str, depth: int) -> None:
    if isinstance(value, float):
        if not math.isfinite(value):
            raise Implausible(f"{value} is not a finite number", path or None)
    elif depth < MAX_DEPTH and isinstance(value, Mapping):
        for key, item in value.items():
            _check_finite(item, f"{path}.{key}" if path else str(key), depth + 1)
    elif depth < MAX_DEPTH and isinstance(value, list):
        for index, item in enumerate(value[:LAYERS]):
            _check_finite(item, f"{path}[{index}]", depth + 1)


def check_tensor_shape(name: str, shape: Any, source: str) -> tuple[int, ...]:
    """A safetensors tensor shape as a tuple of ints, or an ``InputError`` naming file and tensor."""
    where = f"tensor {_excerpt(name)}"
    if not isinstance(shape, list) or len(shape) > 8:
        raise InputError(f"{where}: shape must be a list of at most 8 dimensions", file=source)
    dims = []
    for dim in shape:
        if isinstance(dim, bool) or not isinstance(dim, int) or not 0 <= dim <= MAX_TENSOR_DIM:
            raise InputError(
                f"{where}: dimension {_excerpt(dim)} is implausible (0 to {MAX_TENSOR_DIM:,})", file=source
            )
        dims.append(dim)
    return tuple(dims)


MAX_TENSOR_DIM = 1 << 32
"""Largest dimension of one tensor (an embedding of 4 billion rows is far above any vocabulary)."""


def _excerpt(value: Any) -> str:
    from advisor.datafiles import excerpt

    return excerpt(value)
