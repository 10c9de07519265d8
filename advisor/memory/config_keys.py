"""Reading config.json whatever its key names, family conventions and nesting.

config.json files name the same quantity a dozen ways (``hidden_size``, ``n_embd``, ``d_model``,
``dim``); multimodal configs nest the language model in ``text_config``; sliding windows are a
per-layer list in new configs and a pattern or a family convention in old ones. :class:`Config`
answers one name per quantity and names the missing field when a config lacks one. No torch, no
transformers, except borrowing transformers' ``attribute_map`` for an unknown model type when it
happens to be installed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from advisor.errors import InputError

# Where the same quantity hides in different config.json files; first key present wins. The
# family-specific maps come from transformers' ``attribute_map`` of each config class (e.g.
# GPTBigCodeConfig, DistilBertConfig, T5Config) so they also work without transformers installed.
GENERIC_ALIASES: dict[str, tuple[str, ...]] = {
    "hidden_size": ("hidden_size", "n_embd", "n_embed", "d_model", "dim", "model_dim", "embed_dim"),
    "num_hidden_layers": ("num_hidden_layers", "n_layer", "n_layers", "num_layers"),
    "num_attention_heads": ("num_attention_heads", "n_head", "n_heads", "num_heads"),
    "num_key_value_heads": (
        "num_key_value_heads",
        "num_kv_heads",
        "n_head_kv",
        "n_kv_heads",
        "multi_query_group_num",
    ),
    "intermediate_size": ("intermediate_size", "n_inner", "ffn_hidden_size", "ffn_dim", "d_ff", "mlp_dim"),
    "vocab_size": ("vocab_size", "n_vocab", "padded_vocab_size"),
    "max_position_embeddings": (
        "max_position_embeddings",
        "n_positions",
        "max_sequence_length",
        "max_seq_len",
        "seq_length",
        "n_ctx",
    ),
    "head_dim": ("head_dim", "d_kv", "kv_channels"),
}
FAMILY_ALIASES: dict[str, dict[str, str]] = {
    "distilbert": {"hidden_size": "dim", "intermediate_size": "hidden_dim", "num_hidden_layers": "n_layers"},
    "t5": {"hidden_size": "d_model", "num_hidden_layers": "num_layers", "intermediate_size": "d_ff"},
    "mt5": {"hidden_size": "d_model", "num_hidden_layers": "num_layers", "intermediate_size": "d_ff"},
    "bart": {
        "hidden_size": "d_model",
        "num_hidden_layers": "encoder_layers",
        "num_attention_heads": "encoder_attention_heads",
        "intermediate_size": "encoder_ffn_dim",
    },
    "mbart": {
        "hidden_size": "d_model",
        "num_hidden_layers": "encoder_layers",
        "num_attention_heads": "encoder_attention_heads",
        "intermediate_size": "encoder_ffn_dim",
    },
}
# Family name changes across versions (an old config keeps the old model_type).
MODEL_TYPE_ALIASES = {"RefinedWeb": "falcon", "RefinedWebModel": "falcon", "gemma3": "gemma3_text"}

# transformers' PretrainedConfig default is tie_word_embeddings=True; these config classes default
# to False, and config.json omits a key equal to its class default, so the family decides.
UNTIED_BY_DEFAULT = frozenset(
    {
        "llama", "mistral", "mixtral", "qwen2", "qwen2_moe", "qwen3", "qwen3_moe", "phi3", "phi",
        "gpt_neox", "olmo2", "granite", "gpt_oss", "jamba", "deepseek_v2", "deepseek_v3", "mt5",
        "stablelm", "smollm3", "internlm2", "qwen",
    }
)  # fmt: skip
ENCODER_TYPES = frozenset({"bert", "roberta", "xlm-roberta", "camembert", "distilbert", "electra"})
ENCODER_DECODER_TYPES = frozenset({"t5", "mt5", "bart", "mbart"})
SSM_TYPES = frozenset({"mamba", "mamba2", "falcon_mamba"})
HYBRID_TYPES = frozenset({"jamba"})


class Config:
    """A config.json mapping read through the alias tables, with errors that name the missing field."""

    def __init__(self, data: Mapping[str, Any], model_type: str, source: str) -> None:
        self.data = data
        self.model_type = model_type
        self.source = source
        self._family = FAMILY_ALIASES.get(model_type, {})

    def get(self, key: str, default: Any = None) -> Any:
        if key in self._family and self.data.get(self._family[key]) is not None:
            return self.data[self._family[key]]
        for alias in GENERIC_ALIASES.get(key, (key,)):
            value = self.data.get(alias)
            if value is not None:
                return value
        return default

    def require(self, key: str) -> Any:
        value = self.get(key)
        if value is None:  # last resort: transformers' own alias map (slow import, exotic configs only)
            mapped = _transformers_attribute_map(self.model_type).get(key)
            if mapped is not None:
                value = self.data.get(mapped)
        if value is None:
            aliases = GENERIC_ALIASES.get(key, (key,))
            raise InputError(
                f"config has no {key!r} (looked for {', '.join(aliases)})",
                file=self.source,
                field=key,
                hint="give a config.json of a model transformers knows, or add the field",
            )
        return value

    def integer(self, key: str, default: int | None = None) -> int:
        value = self.get(key) if default is not None else self.require(key)
        if value is None:
            value = default
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise InputError(f"expected a non-negative integer, got {value!r}", file=self.source, field=key)
        return int(value)

    def flag(self, key: str, default: bool = False) -> bool:
        value = self.data.get(key)
        return default if value is None else bool(value)


@lru_cache(maxsize=64)
def _transformers_attribute_map(model_type: str) -> dict[str, str]:
    """transformers' own alias map for a model type; empty when transformers is not installed.

    Only reached for keys the local tables do not resolve, so the import cost (about a second) is
    paid only for exotic configs.
    """
    if not model_type:
        return {}
    try:
        from transformers import CONFIG_MAPPING  # noqa: PLC0415 - optional, heavy
    except Exception:  # transformers absent or broken: the local alias tables must do
        return {}
    try:
        return dict(CONFIG_MAPPING[model_type].attribute_map)
    except KeyError:
        return {}


def text_config(config: Mapping[str, Any]) -> tuple[dict[str, Any], Mapping[str, Any] | None]:
    """The language model's config and, for multimodal models, the vision tower's.

    Multimodal configs (Gemma 3, Llava, Qwen2-VL, Mistral3 ...) nest the language model under
    ``text_config`` (or ``llm_config``/``language_config``); top-level flags such as
    ``tie_word_embeddings`` still apply to it.
    """
    for key in ("text_config", "llm_config", "language_config"):
        nested = config.get(key)
        if isinstance(nested, Mapping) and nested:
            merged = {k: v for k, v in config.items() if k in ("tie_word_embeddings",)}
            merged.update(nested)
            merged.setdefault("model_type", config.get("model_type", ""))
            vision = config.get("vision_config")
            return merged, vision if isinstance(vision, Mapping) else None
    return dict(config), None


def normalise_model_type(config: Mapping[str, Any]) -> str:
    model_type = str(config.get("model_type") or "")
    if not model_type:
        archs = config.get("architectures") or []
        if archs and isinstance(archs, list) and str(archs[0]).startswith("RW"):
            model_type = "falcon"
    return MODEL_TYPE_ALIASES.get(model_type, model_type)


def tied_embeddings(cfg: Config) -> bool:
    value = cfg.data.get("tie_word_embeddings")
    if value is not None:
        return bool(value)
    return cfg.model_type not in UNTIED_BY_DEFAULT


def model_kind(model_type: str) -> str:
    if model_type in ENCODER_TYPES:
        return "encoder"
    if model_type in ENCODER_DECODER_TYPES:
        return "encoder-decoder"
    if model_type in SSM_TYPES:
        return "ssm"
    if model_type in HYBRID_TYPES:
        return "hybrid"
    return "decoder"


def layer_types(cfg: Config, n_layers: int) -> list[str]:
    """Per decoder layer: ``full``, ``sliding``, ``mamba`` or ``none`` (no cache).

    New configs carry ``layer_types``; older ones imply it by family convention, which is restated
    here from each transformers modeling file (gemma2 alternates, gemma3 repeats a pattern,
    Qwen2 slides above ``max_window_layers``, Mistral v0.1 and Phi-3 slide everywhere).
    """
    mt = cfg.model_type
    window = cfg.data.get("sliding_window")
    explicit = cfg.data.get("layer_types")
    if isinstance(explicit, list) and len(explicit) == n_layers:
        kinds = []
        for item in explicit:
            text = str(item)
            if "sliding" in text or "chunked" in text:
                kinds.append("sliding")
            elif "mamba" in text or "linear" in text or "conv" in text:
                kinds.append("mamba")
            else:
                kinds.append("full")
        return kinds
    if mt in SSM_TYPES:
        return ["mamba"] * n_layers
    if mt == "jamba":
        period = int(cfg.data.get("attn_layer_period", 8))
        offset = int(cfg.data.get("attn_layer_offset", 4))
        return ["full" if i % period == offset else "mamba" for i in range(n_layers)]
    if not window:
        return ["full"] * n_layers
    if mt == "gemma2":
        return ["sliding" if i % 2 == 0 else "full" for i in range(n_layers)]
    if mt.startswith("gemma3"):
        pattern = int(cfg.data.get("sliding_window_pattern") or 6)
        return ["sliding" if (i + 1) % pattern else "full" for i in range(n_layers)]
    if mt == "gpt_oss":
        return ["sliding" if i % 2 == 0 else "full" for i in range(n_layers)]
    if mt in ("qwen2", "qwen2_moe", "qwen3", "qwen3_moe"):
        if not cfg.flag("use_sliding_window"):
            return ["full"] * n_layers
        first = int(cfg.data.get("max_window_layers") or 0)
        return ["sliding" if i >= first else "full" for i in range(n_layers)]
    if mt in ("mistral", "mixtral", "phi3", "starcoder2"):
        return ["sliding"] * n_layers
    return ["full"] * n_layers


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def mamba_dims(cfg: Config, hidden: int, prefix: str = "") -> tuple[int, int, int, int]:
    """(d_inner, d_state, d_conv, dt_rank) of a Mamba mixer; ``prefix`` is ``mamba_`` in Jamba."""
    expand = cfg.data.get(f"{prefix}expand") or 2
    d_inner = int(cfg.data.get("intermediate_size") or expand * hidden) if not prefix else int(expand * hidden)
    d_state = int(cfg.data.get(f"{prefix}d_state") or cfg.data.get("state_size") or 16)
    d_conv = int(cfg.data.get(f"{prefix}d_conv") or cfg.data.get("conv_kernel") or 4)
    dt_rank = cfg.data.get(f"{prefix}dt_rank") or cfg.data.get("time_step_rank") or "auto"
    dt = math.ceil(hidden / 16) if dt_rank == "auto" else int(dt_rank)
    return d_inner, d_state, d_conv, dt
