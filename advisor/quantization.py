"""The quantization table: what each named format costs per weight, where it runs, how good it is.

The table lives in ``advisor/data/quantizations.yaml`` so that a format can be added or corrected
without touching the estimator; this module validates it once and answers the questions the
estimator and the model selection ask: bits per weight of each weight role, the quality ladder for
a runtime, and whether a format can be the frozen base of a fine-tuning run.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from advisor.datafiles import PACKAGE_DIR, did_you_mean, read_yaml, validate
from advisor.errors import InputError

QUANTIZATIONS_FILE = PACKAGE_DIR / "data" / "quantizations.yaml"

Runtime = Literal["transformers", "bitsandbytes", "gptq", "awq", "vllm", "llama.cpp"]
Engine = Literal["transformers", "vllm", "llama.cpp"]
TrainMode = Literal["full", "lora", "qlora"]

#: Weight roles an architecture is split into (see advisor/architecture.py, which fills them).
ROLES: tuple[str, ...] = (
    "embed",
    "lm_head",
    "attn_qk",
    "attn_v",
    "attn_o",
    "mlp_up",
    "mlp_down",
    "experts_up",
    "experts_down",
    "router",
    "ssm",
    "vectors",
    "other",
)
ROLE_GROUPS: dict[str, tuple[str, ...]] = {
    "attention": ("attn_qk", "attn_v", "attn_o"),
    "mlp": ("mlp_up", "mlp_down"),
    "experts": ("experts_up", "experts_down"),
    "linear": ("attn_qk", "attn_v", "attn_o", "mlp_up", "mlp_down", "experts_up", "experts_down", "ssm"),
}

# Layer selectors of the GGUF rules, mirroring llama-quant.cpp's choices per tensor.
_LAYER_SELECTORS = ("all", "use_more_bits")


class GgufRule(BaseModel):
    """One line of llama.cpp's per-tensor type choice: this type on these layers (first match wins)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str
    layers: str = "all"
    """``all``, ``use_more_bits`` (llama.cpp's helper), ``first:N`` or ``first_fraction:K`` (i < n/K)."""
    min_gqa: int | None = None
    """Rule applies only when heads / kv_heads >= this (llama.cpp's ``n_gqa() >= 4`` tests)."""

    @field_validator("layers")
    @classmethod
    def _known_selector(cls, value: str) -> str:
        kind, _, arg = value.partition(":")
        if value in _LAYER_SELECTORS or (kind in ("first", "first_fraction") and arg.isdigit() and int(arg) > 0):
            return value
        raise ValueError(f"unknown layer selector {value!r}; use all, use_more_bits, first:N, first_fraction:K")

    def layer_fraction(self, n_layers: int) -> float:
        """Share of ``n_layers`` this selector picks (before earlier rules take their share)."""
        return len(self.layer_set(n_layers)) / n_layers if n_layers else 0.0

    def layer_set(self, n_layers: int) -> set[int]:
        kind, _, arg = self.layers.partition(":")
        if kind == "all":
            return set(range(n_layers))
        if kind == "use_more_bits":
            return {i for i in range(n_layers) if _use_more_bits(i, n_layers)}
        if kind == "first":
            return set(range(min(int(arg), n_layers)))
        return set(range(n_layers // int(arg)))  # first_fraction


def _use_more_bits(i_layer: int, n_layers: int) -> bool:
    # llama.cpp src/llama-quant.cpp: the first and last eighth of the layers, and every third between.
    return i_layer < n_layers // 8 or i_layer >= 7 * n_layers // 8 or (i_layer - n_layers // 8) % 3 == 2


class GgufMix(BaseModel):
    """A GGUF file type (Q4_K_M ...) as llama.cpp builds it: a base block type plus per-tensor upgrades."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base: str
    output: str | None = None
    """Type of ``output.weight`` (the lm_head; the token embedding when tied). None = base."""
    token_embd: str | None = None
    attn_v: tuple[GgufRule, ...] = ()
    attn_o: tuple[GgufRule, ...] = ()
    ffn_down: tuple[GgufRule, ...] = ()
    attn_qkv: tuple[GgufRule, ...] = ()
    """Type of a fused Q/K/V tensor (Phi-3/4 ...): its own rule, not attn_v's (see gguf_fused_qkv)."""
    measured_bpw_llama31_8b: float | None = None
    """Effective bits/weight llama.cpp's README measured for Llama-3.1-8B (a check, not an input)."""


class GgufType(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    bits: float = Field(gt=0)
    block: int = Field(ge=1)
    """Weights per block: a tensor whose row length is not a multiple of it cannot be stored in this type."""
    fallback: str | None = None
    """The type llama.cpp stores such a tensor in instead (llama-quant.cpp tensor_type_fallback)."""
    source: str


class TransformersLoad(BaseModel):
    """How transformers loads a format: the one place the smoke test and the report's snippets read it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["dtype", "bitsandbytes", "prequantized"]
    dtype: Literal["float32", "float16", "bfloat16"] | None = None
    """torch dtype of a plain cast (kind dtype)."""
    bnb: dict[str, bool | str] | None = None
    """BitsAndBytesConfig arguments (kind bitsandbytes); the compute dtype is chosen for the GPU at load."""
    quant_method: str | None = None
    """config.json quantization_config.quant_method of a pre-quantized checkpoint (kind prequantized)."""
    bits: int | None = None
    """quantization_config.bits, where the method has several (GPTQ 4 or 8)."""

    @model_validator(mode="after")
    def _fields_of_the_kind(self) -> TransformersLoad:
        wanted = {"dtype": "dtype", "bitsandbytes": "bnb", "prequantized": "quant_method"}[self.kind]
        if getattr(self, wanted) is None:
            raise ValueError(f"a {self.kind} load needs {wanted}")
        return self


class Quantization(BaseModel):
    """One named format. Bits are per stored weight, scales and zero points included."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    label: str
    bits_per_weight: float = Field(gt=0, le=32)
    bits_source: str
    quantized_roles: tuple[str, ...]
    """Roles (or groups: attention, mlp, experts, linear) stored at ``bits_per_weight``."""
    unquantized_bits: float = 16
    """Bits of every other role (embeddings, lm_head, norms ... as the runtime keeps them)."""
    runtime: Runtime
    """The library or file format that produces and loads it."""
    engines: tuple[Engine, ...]
    """Inference engines that run it; the first is the default for estimates (transformers where it can)."""
    transformers_load: TransformersLoad | None = None
    """How transformers loads it; None when transformers cannot (GGUF mixes)."""
    needs_gpu: bool
    min_compute_capability: float | None = None
    quality_rank: int = Field(ge=1)
    quality_loss_pct: float = Field(ge=0, le=100)
    """Measured quality loss against the 16-bit model, % of its quality score (see the YAML header)."""
    quality_loss_source: str
    native_when_published: bool = False
    """A model published in this format was released in it (gpt-oss MXFP4): no loss for it."""
    gpu_feature: Literal["bf16", "fp8", "fp4"] | None = None
    """GPU capability the format needs (GpuSpec.bf16 / fp8 / fp4)."""
    vendors: tuple[Literal["nvidia", "amd", "apple"], ...] | None = None
    """GPU makers whose kernels run it; None = any that runs its engine."""
    in_ladder: bool = True
    train_modes: tuple[TrainMode, ...] = ()
    """Training modes where it can be the stored base: full/lora (16-bit and up), qlora (frozen quantized)."""
    gguf: GgufMix | None = None
    notes: str | None = None

    @field_validator("quantized_roles")
    @classmethod
    def _known_roles(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        known = (*ROLES, *ROLE_GROUPS)
        for role in value:
            if role not in known:
                raise ValueError(f"unknown role {role!r}{did_you_mean(role, known)}; known: {', '.join(known)}")
        return value

    @property
    def engine(self) -> Engine:
        return self.engines[0]

    def expanded_roles(self) -> frozenset[str]:
        out: set[str] = set()
        for role in self.quantized_roles:
            out.update(ROLE_GROUPS.get(role, (role,)))
        return frozenset(out)


class QuantizationTable(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    gguf_types: dict[str, GgufType]
    gguf_fused_qkv: tuple[str, ...] = ()
    """Model types whose GGUF files hold one fused attn_qkv tensor per layer."""
    gguf_mxfp4_experts: tuple[str, ...] = ()
    """Model types whose GGUF files keep the MoE experts in MXFP4 whatever the label."""
    quantizations: tuple[Quantization, ...]

    @model_validator(mode="after")
    def _consistent(self) -> QuantizationTable:
        seen: set[str] = set()
        for name, gtype in self.gguf_types.items():
            if gtype.fallback is not None and gtype.fallback not in self.gguf_types:
                raise ValueError(f"GGUF type {name}: unknown fallback {gtype.fallback!r}")
        for quant in self.quantizations:
            if quant.name in seen:
                raise ValueError(f"quantization {quant.name!r} is listed twice")
            seen.add(quant.name)
            if quant.gguf is None:
                continue
            mix = quant.gguf
            used = [mix.base, mix.output, mix.token_embd]
            used += [rule.type for rules in (mix.attn_v, mix.attn_o, mix.ffn_down, mix.attn_qkv) for rule in rules]
            for type_name in filter(None, used):
                if type_name not in self.gguf_types:
                    raise ValueError(f"{quant.name}: unknown GGUF type {type_name!r}")
        return self


@lru_cache(maxsize=1)
def load_quantizations() -> QuantizationTable:
    """The validated table (read once per process)."""
    return validate(QuantizationTable, read_yaml(QUANTIZATIONS_FILE), file=str(QUANTIZATIONS_FILE))


@lru_cache(maxsize=1)
def _by_name() -> dict[str, Quantization]:
    return {q.name: q for q in load_quantizations().quantizations}


def find_quantization(name: str | None) -> Quantization | None:
    """The entry for ``name`` exactly as written, or None: for callers that handle an unknown name."""
    return _by_name().get(name) if name else None


def transformers_load_of(name: str | None) -> TransformersLoad | None:
    """How transformers loads ``name``; None for an unknown name or a format it cannot load (GGUF)."""
    found = find_quantization(name)
    return found.transformers_load if found is not None else None


def quantization_names() -> tuple[str, ...]:
    """Every known name, in table order."""
    return tuple(_by_name())


def get_quantization(name: str) -> Quantization:
    """The entry for ``name``; an unknown name is an InputError with a did-you-mean."""
    table = _by_name()
    found = table.get(name) or table.get(name.strip().lower())
    if found is None:
        raise InputError(
            f"unknown quantization {name!r}{did_you_mean(name.lower(), table)}",
            field="quantization",
            hint="known: " + ", ".join(table),
        )
    return found


def loaded_on_the_fly() -> dict[str, Quantization]:
    """Formats transformers makes from plain 16/32-bit weights (a dtype cast or bitsandbytes), by name:
    the ones a smoke test can fall back to; pre-quantized formats need a checkpoint in that format."""
    return {
        q.name: q
        for q in load_quantizations().quantizations
        if q.transformers_load is not None and q.transformers_load.kind != "prequantized"
    }


def needs_cuda_to_load(name: str) -> bool:
    """bitsandbytes formats: transformers quantizes them at load on a CUDA GPU only."""
    load = get_quantization(name).transformers_load
    return load is not None and load.kind == "bitsandbytes"


def prequantized_name(quant_method: str, bits: int | None) -> str | None:
    """The format name of a checkpoint whose config says ``quant_method`` (and ``bits``), or None."""
    for q in load_quantizations().quantizations:
        load = q.transformers_load
        if load is None or load.kind != "prequantized" or load.quant_method != quant_method:
            continue
        if load.bits is None or bits is None or load.bits == bits:
            return q.name
    return None


def quantization_ladder(
    runtime: str | None = None, *, gpu: bool | None = None, train_mode: str | None = None
) -> list[str]:
    """Names from best quality down, for the selection to walk until a model fits.

    ``runtime`` keeps the formats produced by that library or run by that engine (``llama.cpp``
    gives the GGUF mixes, ``vllm`` what vLLM loads); ``gpu=False`` keeps what runs without a GPU;
    ``train_mode`` keeps the formats that can be that mode's base. Equal quality ranks put the
    smaller format first: same quality, more room for the KV cache.
    """
    quants = [q for q in load_quantizations().quantizations if q.in_ladder]
    if runtime is not None:
        known = {q.runtime for q in quants} | {e for q in quants for e in q.engines}
        if runtime not in known:
            raise InputError(f"unknown runtime {runtime!r}{did_you_mean(runtime, known)}", field="runtime")
        quants = [q for q in quants if runtime == q.runtime or runtime in q.engines]
    if gpu is False:
        quants = [q for q in quants if not q.needs_gpu]
    if train_mode is not None:
        quants = [q for q in quants if train_mode in q.train_modes]
    quants.sort(key=lambda q: (q.quality_rank, q.bits_per_weight, q.name))
    return [q.name for q in quants]


def role_bits(
    quant: Quantization,
    n_layers: int,
    gqa: float,
    tied: bool,
    *,
    rows: Mapping[str, int] | None = None,
    model_type: str = "",
) -> dict[str, float]:
    """Average stored bits of one weight of each role, for a model of this shape.

    GGUF mixes depend on the shape, as llama.cpp's ``llama_tensor_get_type`` decides per tensor
    (src/llama-quant.cpp): which layers get more bits, whether the GQA ratio upgrades attn_v,
    whether the token embedding doubles as the output, the row length of each tensor (``rows``:
    input features per role; a row that is not a multiple of the type's block falls back to
    another type, e.g. Q4_K -> Q5_0 for Qwen2.5-0.5B's hidden size 896), a fused QKV tensor
    (Phi-3/4) and MoE experts kept in MXFP4 (gpt-oss). The other formats do not depend on shape.
    """
    if quant.gguf is None:
        quantized = quant.expanded_roles()
        return {role: quant.bits_per_weight if role in quantized else quant.unquantized_bits for role in ROLES}
    table = load_quantizations()
    types = table.gguf_types
    mix = quant.gguf
    rows = rows or {}

    def fit(type_name: str, ncols: int | None) -> float:
        # llama-quant.cpp tensor_type_fallback: the fallback type, or F16 when even that does not fit.
        gtype = types[type_name]
        if not ncols or ncols % gtype.block == 0:
            return gtype.bits
        if gtype.fallback is None or ncols % types[gtype.fallback].block:
            return types["F16"].bits
        return types[gtype.fallback].bits

    def layered(rules: tuple[GgufRule, ...], role: str) -> float:
        ncols = rows.get(role)
        base = fit(mix.base, ncols)
        if not rules or n_layers <= 0:
            return base
        remaining = set(range(n_layers))
        total = 0.0
        for rule in rules:
            if rule.min_gqa is not None and gqa < rule.min_gqa:
                continue
            picked = remaining & rule.layer_set(n_layers)
            total += len(picked) * fit(rule.type, ncols)
            remaining -= picked
        return (total + len(remaining) * base) / n_layers

    output = fit(mix.output or mix.base, rows.get("lm_head"))
    ffn_down = layered(mix.ffn_down, "mlp_down")
    if model_type in table.gguf_fused_qkv:
        # One attn_qkv tensor: llama.cpp's attn_qkv rule (Q5_K under Q4_K_M ...), never attn_v's.
        attn_qk = attn_v = layered(mix.attn_qkv, "attn_qk")
    else:
        attn_qk, attn_v = fit(mix.base, rows.get("attn_qk")), layered(mix.attn_v, "attn_v")
    if model_type in table.gguf_mxfp4_experts:
        experts_up = experts_down = fit("MXFP4", rows.get("experts_up"))
    else:
        experts_up = fit(mix.base, rows.get("experts_up"))
        experts_down = layered(mix.ffn_down, "experts_down")
    return {
        # llama.cpp gives the output tensor's type to token_embd when the model has no output tensor.
        "embed": output if tied else fit(mix.token_embd or mix.base, rows.get("embed")),
        "lm_head": output,
        "attn_qk": attn_qk,
        "attn_v": attn_v,
        "attn_o": layered(mix.attn_o, "attn_o"),
        "mlp_up": fit(mix.base, rows.get("mlp_up")),
        "mlp_down": ffn_down,
        "experts_up": experts_up,
        "experts_down": experts_down,
        "ssm": fit(mix.base, rows.get("ssm")),
        "router": types["F32"].bits,  # llama-quant.cpp never quantizes ffn_gate_inp
        "vectors": types["F32"].bits,  # norms and biases are stored as F32 in GGUF
        "other": types["F16"].bits,  # a multimodal projector ships as a separate F16 mmproj file
    }


def weight_bytes(role_params: Mapping[str, int], bits: Mapping[str, float]) -> int:
    """Bytes to store ``role_params`` at ``bits`` per weight (rounded up to whole bytes)."""
    return math.ceil(sum(count * bits[role] for role, count in role_params.items() if count) / 8)
