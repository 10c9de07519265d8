"""The estimate a person reads: validate the request, explain the figures.

The arithmetic lives in :mod:`advisor.memory.core`; this module turns a config dict, a catalog
entry or a model directory into a cached :class:`Architecture`, checks every argument with errors
that name the field, and writes down what was assumed so a person can check the number. Catalog and
Hub ids are resolved one room up (:mod:`advisor.sources.models`), so the estimator imports neither
the catalog nor the Hub reader.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from advisor.datafiles import did_you_mean
from advisor.errors import InputError
from advisor.memory.architecture import Architecture, build_architecture
from advisor.memory.checkpoint import read_checkpoint
from advisor.memory.core import (
    DEVICES,
    LORA_TARGETS,
    MODES,
    Figures,
    default_precision,
    estimate_bytes,
    kv_element_bytes,
    runtime_profile,
    training_base,
    weights_bytes,
)
from advisor.memory.runtimes import CUDA_CONTEXT_BYTES, KV_DTYPE_BYTES, PREFILL_LOGITS_BYTES_ALL, GiB
from advisor.memory.training_choices import LOSSES, OPTIMIZERS, PRECISIONS, choice_text
from advisor.quantization import Quantization, get_quantization

_ARCH_BY_KEY: dict[Any, Architecture] = {}
_ARCH_BY_OBJECT: dict[int, tuple[Any, Architecture]] = {}


class MemoryEstimate(BaseModel):
    """An estimate in bytes, its parts, and the assumptions behind it (JSON-serialisable)."""

    model_config = ConfigDict(frozen=True)

    model: str = Field(description="Catalog id, directory or model type the estimate is for.")
    model_type: str = Field(description="config.json model_type after normalisation.")
    total_bytes: int = Field(description="Everything the job needs, all GPUs together: the sum of breakdown.")
    per_gpu_bytes: int = Field(description="What the busiest GPU needs (equals total_bytes on one GPU).")
    breakdown: dict[str, int] = Field(
        description="weights, kv_cache, activations (transient peak), overhead (CUDA context, runtime "
        "buffers); training adds gradients, optimizer, adapters. Sums to total_bytes."
    )
    details: dict[str, int] = Field(
        description="Finer items inside activations and overhead (logits, cuda_context, ...), per GPU."
    )
    total_params: int
    active_params: int = Field(description="Parameters used per token (MoE: shared parts + k experts).")
    trainable_params: int = Field(description="Parameters the optimizer updates (0 for inference).")
    params_source: str = Field(description="analytic, safetensors, transformers-meta or catalog.")
    quantization: str = Field(description="Format of the stored weights (the QLoRA base for qlora).")
    weights_bits_per_param: float = Field(description="Average stored bits per parameter, scales included.")
    mode: str
    runtime: str = Field(description="Engine profile: transformers, transformers-legacy, vllm, llama.cpp.")
    device: str
    context_tokens: int = Field(description="Prompt tokens per sequence (prefilled at once).")
    max_new_tokens: int = Field(description="Generated tokens per sequence, cached on top of the prompt.")
    batch_size: int
    num_gpus: int
    kv_cache_dtype: str
    kv_cache_bytes_per_token: int = Field(description="KV bytes one more token of one sequence costs.")
    gradient_checkpointing: bool | None = Field(description="None for inference.")
    training: dict[str, str] | None = Field(
        default=None,
        description="The training choices assumed (precision, optimizer, attention, checkpointing, loss: "
        "values of advisor/data/training_choices.yaml); None for inference.",
    )
    assumptions: list[str]

    def training_assumptions(self, lang: str = "en") -> list[str]:
        """The assumed training choices as sentences in ``lang`` (en or fr); empty for inference."""
        if not self.training:
            return []
        return [choice_text(kind, value, lang) for kind, value in self.training.items()]

    def gib(self, part: str = "total") -> float:
        """A figure in GiB: ``total``, ``per_gpu`` or a breakdown key."""
        if part == "total":
            return self.total_bytes / GiB
        if part == "per_gpu":
            return self.per_gpu_bytes / GiB
        return self.breakdown[part] / GiB


def architecture_for(model: Any, *, total_params: int | None = None) -> Architecture:
    """The normalised architecture of ``model``, built once and cached.

    ``model`` is an :class:`Architecture`, a catalog entry (or its id), a config dict in
    config.json form, or a directory holding config.json (and safetensors files, whose headers
    give exact parameter counts).
    """
    if isinstance(model, Architecture):
        return model
    if isinstance(model, Mapping):
        key = ("config", json.dumps(model, sort_keys=True, default=str), total_params)
        found = _ARCH_BY_KEY.get(key)
        if found is None:
            name = str(model.get("_name_or_path") or model.get("model_type") or "config")
            found = _ARCH_BY_KEY[key] = build_architecture(model, name, total_params=total_params)
        return found
    if isinstance(model, (str, os.PathLike)):
        text = os.fspath(model)
        if not text.strip():
            raise InputError("empty model name", field="model")
        path = Path(text).expanduser()
        if path.is_dir():
            return _from_directory(path)
        if path.suffix == ".json" and path.is_file():
            raise InputError("give the folder holding config.json, not the file", file=text, field="model")
        raise InputError(
            f"{text!r} is not a model folder",
            field="model",
            hint="catalog and Hub ids are resolved by advisor.estimate_memory (advisor.sources.models)",
        )
    config = getattr(model, "config", None)
    if isinstance(config, Mapping):  # a catalog entry
        cached = _ARCH_BY_OBJECT.get(id(model))
        if cached is not None and cached[0] is model:
            return cached[1]
        arch = build_architecture(
            config,
            str(getattr(model, "id", "")),
            source=f"catalog entry {getattr(model, 'id', '?')}",
            total_params=getattr(model, "total_params", None),
        )
        if getattr(model, "kind", None) == "embedding" and arch.kind != "encoder":
            arch = _as_embedding_model(arch)
        _ARCH_BY_OBJECT[id(model)] = (model, arch)
        return arch
    raise InputError(
        f"cannot estimate a {type(model).__name__}",
        field="model",
        hint="give a catalog id, a config.json dict or a model directory",
    )


def _from_directory(path: Path) -> Architecture:
    config_path = path / "config.json"
    stamp = config_path.stat().st_mtime_ns if config_path.is_file() else None
    key = ("dir", str(path.resolve()), stamp, tuple(sorted(str(p) for p in path.glob("*.safetensors"))))
    found = _ARCH_BY_KEY.get(key)
    if found is not None:
        return found
    checkpoint = read_checkpoint(path)
    roles = None
    if checkpoint.tensors and not checkpoint.packed:
        from advisor.memory.tensor_roles import roles_from_tensors

        roles = roles_from_tensors((name, shape) for name, shape, _ in checkpoint.tensors)
    arch = build_architecture(
        checkpoint.config,
        str(path),
        source=str(path / "config.json"),
        roles=roles,
        roles_source="safetensors",
    )
    if checkpoint.tensors and checkpoint.packed:
        note = (
            f"checkpoint is stored quantized ({checkpoint.quant_label or 'packed tensors'}, "
            f"{checkpoint.stored_bytes / GiB:.2f} GiB on disk): parameters counted from config.json"
        )
        arch = _with_note(arch, note)
    _ARCH_BY_KEY[key] = arch
    return arch


def _as_embedding_model(arch: Architecture) -> Architecture:
    """A decoder used as an embedding model runs one forward pass: no KV cache, no logits."""
    from dataclasses import replace

    note = "embedding model: one forward pass per batch, no KV cache and no logits"
    return replace(arch, kind="encoder", kv_full_elems=0, kv_sliding=(), kv_latent_elems=None,
                   notes=(*arch.notes, note), cache={})  # fmt: skip


def _with_note(arch: Architecture, note: str) -> Architecture:
    from dataclasses import replace

    return replace(arch, notes=(*arch.notes, note), cache={})


def _check(name: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise InputError(
            f"{value!r} is not allowed{did_you_mean(str(value), allowed)}",
            field=name,
            hint="one of " + ", ".join(allowed),
        )


def _positive(name: str, value: Any, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InputError(f"must be an integer >= {minimum}, got {value!r}", field=name)
    return value


def estimate_memory(
    model: Any,
    quantization: str = "bf16",
    context_tokens: int = 4096,
    batch_size: int = 1,
    mode: str = "inference",
    gradient_checkpointing: bool = True,
    num_gpus: int = 1,
    *,
    max_new_tokens: int = 0,
    runtime: str | None = None,
    kv_cache_dtype: str = "auto",
    lora_rank: int = 16,
    lora_targets: str = "all-linear",
    optimizer: str = "adamw",
    device: str = "gpu",
    flash_attention: bool = True,
    precision: str | None = None,
    loss: str = "standard",
    resolve: Callable[[Any], Architecture] | None = None,
) -> MemoryEstimate:
    """Estimate the memory ``model`` needs, with the breakdown and the assumptions behind it.

    ``model``: a catalog id, a config dict in config.json form (any key names transformers
    knows), a directory holding config.json (+ safetensors), or a catalog entry.
    ``quantization``: a name from :func:`advisor.quantization.quantization_names`.
    ``mode``: inference, full, lora or qlora. ``context_tokens`` is the prompt length per sequence;
    ``max_new_tokens`` the generated tokens cached on top. ``num_gpus`` shards the model: tensor
    parallel under vLLM, layer split under transformers/llama.cpp, ZeRO-3/FSDP for training.
    ``runtime`` picks the engine profile (default: the format's first engine; training always
    runs on transformers).

    Training choices (advisor/data/training_choices.yaml; the estimate lists them in ``training``):
    ``precision`` mixed (16-bit weights and gradients, fp32 master and AdamW states; the default,
    fp32 for an fp32 model), bf16 (pure bf16, no fp32 copy) or fp32; ``optimizer`` adamw,
    adamw-8bit or paged-adamw-8bit; ``flash_attention`` False for eager attention (seq x seq
    probabilities kept for backward); ``gradient_checkpointing``; ``loss`` standard (fp32 logits
    over the whole vocabulary) or chunked (Liger-Kernel / Unsloth fused cross-entropy).

    ``resolve`` turns ``model`` into an Architecture once the arguments are checked (so a bad
    argument is refused before any Hub request); :func:`advisor.sources.models.estimate_memory`
    passes the resolver that knows catalog and Hub ids, this room knows only folders and configs.
    """
    quant = get_quantization(quantization) if isinstance(quantization, str) else quantization
    if not isinstance(quant, Quantization):
        raise InputError(f"quantization must be a name, got {quantization!r}", field="quantization")
    _check("mode", mode, MODES)
    _check("lora_targets", lora_targets, LORA_TARGETS)
    _check("optimizer", optimizer, OPTIMIZERS)
    _check("loss", loss, LOSSES)
    if precision is not None:
        _check("precision", precision, PRECISIONS)
    _check("device", device, DEVICES)
    if kv_cache_dtype != "auto":
        _check("kv_cache_dtype", kv_cache_dtype, tuple(KV_DTYPE_BYTES))
    _positive("context_tokens", context_tokens)
    _positive("batch_size", batch_size)
    _positive("num_gpus", num_gpus)
    _positive("max_new_tokens", max_new_tokens, 0)
    _positive("lora_rank", lora_rank)
    if device == "cpu" and quant.needs_gpu:
        raise InputError(f"{quant.name} needs a GPU", field="quantization", hint="on CPU use a gguf-* format")
    base = training_base(quant, mode) if mode != "inference" else quant
    profile = runtime_profile(quant, mode, runtime)
    arch = (resolve or architecture_for)(model)
    figures = estimate_bytes(
        arch,
        quant,
        context_tokens,
        batch_size,
        mode,
        runtime=profile.name,
        kv_cache_dtype=kv_cache_dtype,
        gradient_checkpointing=gradient_checkpointing,
        num_gpus=num_gpus,
        max_new_tokens=max_new_tokens,
        lora_rank=lora_rank,
        lora_targets=lora_targets,
        optimizer=optimizer,
        device=device,
        flash_attention=flash_attention,
        precision=precision,
        loss=loss,
    )
    breakdown = {
        "weights": figures.weights,
        "kv_cache": figures.kv_cache,
        "activations": figures.activations,
        "overhead": figures.overhead,
    }
    if mode != "inference":
        breakdown.update(gradients=figures.gradients, optimizer=figures.optimizer, adapters=figures.adapters)
    kv_name = kv_cache_dtype if kv_cache_dtype != "auto" else ("fp32" if quant.name == "fp32" else "bf16")
    training = None
    if mode != "inference":
        training = {
            "precision": precision or default_precision(base),
            "optimizer": optimizer,
            "attention": "sdpa" if flash_attention else "eager",
            "checkpointing": "on" if gradient_checkpointing else "off",
            "loss": loss,
        }
    assumptions = _assumptions(
        arch,
        quant,
        base,
        mode,
        profile.name,
        figures,
        kv_name,
        context_tokens,
        batch_size,
        num_gpus,
        lora_rank,
        lora_targets,
        device,
        training,
    )
    return MemoryEstimate(
        model=arch.name,
        model_type=arch.model_type,
        total_bytes=figures.total,
        per_gpu_bytes=figures.per_gpu,
        breakdown=breakdown,
        details=dict(figures.details),
        total_params=arch.total_params,
        active_params=arch.active_params,
        trainable_params=figures.trainable_params,
        params_source=arch.params_source,
        quantization=base.name,
        weights_bits_per_param=round(figures.weights_bits, 3),
        mode=mode,
        runtime=profile.name,
        device=device,
        context_tokens=context_tokens,
        max_new_tokens=max_new_tokens,
        batch_size=batch_size,
        num_gpus=num_gpus,
        kv_cache_dtype=kv_name if mode == "inference" else "none",
        kv_cache_bytes_per_token=figures.kv_bytes_per_token,
        gradient_checkpointing=gradient_checkpointing if mode != "inference" else None,
        training=training,
        assumptions=assumptions,
    )


def _gib(n: float) -> str:
    return f"{n / GiB:.2f} GiB"


def _assumptions(
    arch: Architecture,
    quant: Quantization,
    base: Quantization,
    mode: str,
    runtime: str,
    fig: Figures,
    kv_name: str,
    context: int,
    batch: int,
    num_gpus: int,
    rank: int,
    targets: str,
    device: str,
    training: dict[str, str] | None,
) -> list[str]:
    out: list[str] = []
    source = {
        "analytic": "computed from the config",
        "safetensors": "counted from safetensors headers",
        "transformers-meta": "counted by transformers on the meta device",
        "catalog": "from the catalog",
    }.get(arch.params_source, arch.params_source)
    out.append(f"{arch.total_params:,} parameters ({source})")
    if arch.num_experts:
        out.append(
            f"MoE: all {arch.num_experts} experts stay in memory; {arch.experts_per_token} per token "
            f"({arch.active_params:,} active parameters set the speed, not the memory)"
        )
    if mode == "full":
        pass  # the training assumptions describe the full-precision states
    elif base.gguf is not None:
        out.append(
            f"{base.label}: llama.cpp's per-tensor mix ({base.gguf.base} base, output in "
            f"{base.gguf.output or base.gguf.base}) = {fig.weights_bits:.2f} bits per parameter"
        )
    else:
        kept = [r for r in ("embed", "lm_head") if arch.roles.get(r) and r not in base.expanded_roles()]
        line = f"{base.label}: {base.bits_per_weight:g} bits per quantized weight ({base.bits_source})"
        if kept:
            what = " and ".join("embeddings" if r == "embed" else "lm_head" for r in kept)
            upcast = mode in ("lora", "qlora") and base.bits_per_weight < 16
            line += f"; {what} kept in {32 if upcast else base.unquantized_bits:g}-bit"
        out.append(line + f"; {fig.weights_bits:.2f} bits per parameter overall")
    if mode == "inference":
        out.extend(_inference_assumptions(arch, quant, runtime, fig, kv_name, context, batch, num_gpus, device))
    else:
        assert training is not None
        out.extend(_training_assumptions(arch, quant, base, mode, fig, rank, targets, training, num_gpus))
    if device == "gpu" and "cuda_context" in fig.details:
        out.append(
            f"CUDA context and kernels {_gib(CUDA_CONTEXT_BYTES)} per GPU (measured on a V100 in "
            "transformers' 'model memory anatomy'; often less with lazy loading)"
        )
    out.extend(arch.notes)
    return out


def _inference_assumptions(
    arch: Architecture,
    quant: Quantization,
    runtime: str,
    fig: Figures,
    kv_name: str,
    context: int,
    batch: int,
    num_gpus: int,
    device: str,
) -> list[str]:
    out = []
    if arch.kind == "encoder":
        out.append("encoder: no KV cache, one forward pass per batch")
    else:
        out.append(
            f"KV cache in {kv_name} ({kv_element_bytes(kv_name, quant):g} bytes per element), "
            f"{fig.kv_bytes_per_token:,} bytes per token per sequence"
        )
    if arch.kv_sliding:
        windows = ", ".join(f"{w:,}" for w, _ in arch.kv_sliding)
        rule = {
            "vllm": "reserved at full length (vLLM hybrid allocator)",
            "llama.cpp": "capped at window + 512 tokens (llama.cpp iSWA)",
        }.get(runtime, "capped at the window")
        out.append(f"sliding-window layers (window {windows}) {rule}")
    if arch.kv_latent_elems:
        if runtime == "vllm" or runtime == "llama.cpp":
            out.append("MLA: the compressed latent (kv_lora_rank + rope dims) is cached")
        else:
            out.append("MLA: transformers caches decompressed K and V per head (vLLM caches the latent, far less)")
    if arch.ssm_state_elems:
        out.append(f"SSM layers keep a constant fp32 state ({arch.ssm_state_elems * 4:,} bytes per sequence), no KV")
    if runtime.startswith("transformers"):
        logits = fig.details.get("logits", 0)
        if runtime == "transformers" and arch.kind != "encoder":
            full = context * batch * arch.vocab_size * PREFILL_LOGITS_BYTES_ALL
            out.append(
                f"prefill projects only the last position to logits (transformers >= 4.45); a forward "
                f"returning every position's logits (scoring, older transformers) adds {_gib(full - logits)}"
            )
        if "attention_scores" not in fig.details:
            out.append("SDPA / flash attention: no seq x seq attention matrix")
        if "rope_cache" in fig.details:
            out.append(f"per-layer rotary cache of transformers < 4.45: {_gib(fig.details['rope_cache'])}")
        if "dequant_workspace" in fig.details:
            out.append(f"GPTQ ExLlama kernels' scratch: {_gib(fig.details['dequant_workspace'])}")
    elif runtime == "vllm":
        out.append(
            "vLLM: profiled activation peak at default max_num_batched_tokens (llm-d H100 measurements); "
            "vLLM pre-allocates gpu_memory_utilization x VRAM, the rest becomes KV cache"
        )
    else:
        out.append("llama.cpp: compute buffer for a 512-token micro-batch (n_ubatch) with flash attention")
    if num_gpus > 1:
        how = "tensor parallel (vLLM)" if runtime == "vllm" else "layers split across GPUs (device_map='auto')"
        out.append(f"{how} over {num_gpus} GPUs; activations and runtime overhead paid on each GPU")
    if device == "cpu":
        out.append("CPU: no CUDA context; memory is system RAM")
    return out


def _training_assumptions(
    arch: Architecture,
    quant: Quantization,
    base: Quantization,
    mode: str,
    fig: Figures,
    rank: int,
    targets: str,
    training: dict[str, str],
    num_gpus: int,
) -> list[str]:
    # Precision and optimizer describe the states of full fine-tuning (LoRA has its own line below);
    # the loss gets a line with its size at the end.
    kinds: tuple[str, ...] = ("attention", "checkpointing")
    if mode == "full":
        kinds = ("precision", "optimizer", *kinds)
    out = [choice_text(kind, training[kind]) for kind in kinds]
    p = arch.total_params
    eight_bit = training["optimizer"] != "adamw"
    if mode == "full":
        per_param = (fig.weights + fig.gradients + fig.optimizer) / p if p else 0
        out.append(f"full fine-tuning: {per_param:g} bytes per parameter for weights, gradients and optimizer states")
        if training["precision"] == "mixed":
            out.append(
                f"HF Trainer AMP on fp32-loaded weights keeps fp32 weights and gradients: 18 bytes per "
                f"parameter, {_gib(2 * p)} more"
            )
        if not eight_bit:
            saved = (2 if training["precision"] == "bf16" else 6) * p  # moments to 1 byte each
            out.append(f"8-bit Adam (bitsandbytes) would save {_gib(saved)}")
    else:
        t = fig.trainable_params
        where = "every linear layer (attention and MLP)" if targets == "all-linear" else "attention projections"
        out.append(
            f"LoRA rank {rank} on {where}: {t:,} trainable parameters, fp32 adapters with AdamW "
            f"({4 + 4 + (2 if eight_bit else 8)} bytes each); experts and lm_head frozen"
        )
        if base is not quant:
            out.append(f"QLoRA base: {base.name} (the requested {quant.name} is not a quantized base)")
        if base.bits_per_weight < 16:
            upcast = weights_bytes(arch, base, True) - weights_bytes(arch, base, False)
            out.append(
                f"prepare_model_for_kbit_training (PEFT/TRL QLoRA recipe) upcasts the non-quantized "
                f"weights to fp32: {_gib(upcast)} of the weights; skipping it saves that"
            )
    if "attention_scores" in fig.details:
        out.append(f"eager attention scores kept for backward: {_gib(fig.details['attention_scores'])}")
    if arch.kind != "encoder":
        size = _gib(fig.details.get("logits_and_loss", 0))
        if training["loss"] == "chunked":
            out.append(f"{choice_text('loss', 'chunked')}: {size}")
        else:
            out.append(f"loss over {arch.vocab_size:,}-entry logits in fp32 for every token ({size})")
    if num_gpus > 1:
        out.append(
            f"ZeRO-3 / FSDP over {num_gpus} GPUs: model states sharded, activations per GPU, "
            "one layer gathered at a time"
        )
    return out
