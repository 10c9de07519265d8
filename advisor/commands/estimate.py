"""``advisor estimate``: the memory a model needs, part by part, with the assumptions behind it.

Like ``accelerate estimate-memory`` but complete: KV cache, activations, runtime overhead and the
training states, for any quantization llm-advisor knows.
"""

from __future__ import annotations

import click

from advisor.commands import SHORT_HELP
from advisor.errors import ExitCode
from advisor.i18n import Lang, resolve_lang
from advisor.output import print_json, stdout_console
from advisor.units import format_count, format_tokens

_ORDER = ("weights", "kv_cache", "activations", "overhead", "gradients", "optimizer", "adapters")
# Which breakdown part each detail belongs to (details are printed under their part).
_ACTIVATION_ITEMS = (
    "logits", "mlp_transient", "hidden_states", "attention_scores", "compute_buffer",
    "vllm_profiled_activations", "layer_checkpoints", "recomputed_layer", "saved_activations",
    "logits_and_loss",
)  # fmt: skip
_OVERHEAD_ITEMS = (
    "cuda_context", "non_torch", "rope_cache", "dequant_workspace", "llama_cpp_reserve", "zero3_gather",
)  # fmt: skip
_PARENT = {**dict.fromkeys(_ACTIVATION_ITEMS, "activations"), **dict.fromkeys(_OVERHEAD_ITEMS, "overhead")}
_LABELS = {
    "weights": "Weights",
    "kv_cache": "KV cache",
    "activations": "Activations (peak)",
    "overhead": "Runtime overhead",
    "gradients": "Gradients",
    "optimizer": "Optimizer states",
    "adapters": "Adapters",
}


@click.command(short_help=SHORT_HELP["estimate"])
@click.argument("model")
@click.option(
    "--quant",
    "--quantization",
    "quantization",
    default="bf16",
    show_default=True,
    help="Weights format: fp32, bf16, fp16, fp8, int8, nf4, nf4-dq, gptq-int8/4, awq-int4, mxfp4, gguf-*.",
)
@click.option(
    "--context",
    "context_tokens",
    type=click.IntRange(min=1),
    default=4096,
    show_default=True,
    help="Prompt tokens per sequence.",
)
@click.option(
    "--new-tokens",
    "max_new_tokens",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Generated tokens per sequence (cached on top of the prompt).",
)
@click.option(
    "--batch",
    "batch_size",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Sequences at once (inference) or micro-batch per GPU (training).",
)
@click.option("--mode", default="inference", show_default=True, help="inference, full, lora or qlora.")
@click.option(
    "--gpus",
    "num_gpus",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="GPUs the model is sharded over (tensor parallel, layer split or ZeRO-3).",
)
@click.option(
    "--runtime",
    default=None,
    help="transformers, transformers-legacy, vllm or llama.cpp (default: the format's usual engine).",
)
@click.option(
    "--kv-dtype",
    "kv_cache_dtype",
    default="auto",
    show_default=True,
    help="KV cache dtype: auto, bf16, fp16, fp32, fp8, q8_0, q4_0.",
)
@click.option("--lora-rank", type=click.IntRange(min=1), default=16, show_default=True)
@click.option("--lora-targets", default="all-linear", show_default=True, help="all-linear or attention.")
@click.option(
    "--optimizer", default="adamw", show_default=True, help="Training: adamw, adamw-8bit or paged-adamw-8bit."
)
@click.option(
    "--precision",
    default=None,
    help="Training: mixed (fp32 master weights and AdamW states; the default, fp32 for an fp32 model), "
    "bf16 (pure bf16, no fp32 copy) or fp32.",
)
@click.option(
    "--eager-attention",
    is_flag=True,
    help="Eager attention (no SDPA/flash): seq x seq scores kept for backward; inference adds the score matrix.",
)
@click.option(
    "--loss",
    default="standard",
    show_default=True,
    help="Training: standard (fp32 logits over the whole vocabulary) or chunked (Liger-Kernel / Unsloth fused loss).",
)
@click.option(
    "--no-gradient-checkpointing",
    "no_checkpointing",
    is_flag=True,
    help="Keep every layer's activations (training).",
)
@click.option("--cpu", is_flag=True, help="Run on CPU (system RAM, no CUDA context; GGUF formats).")
@click.option("--json", "as_json", is_flag=True, help="The estimate as JSON on stdout.")
def estimate(
    model: str,
    quantization: str,
    context_tokens: int,
    max_new_tokens: int,
    batch_size: int,
    mode: str,
    num_gpus: int,
    runtime: str | None,
    kv_cache_dtype: str,
    lora_rank: int,
    lora_targets: str,
    optimizer: str,
    precision: str | None,
    eager_attention: bool,
    loss: str,
    no_checkpointing: bool,
    cpu: bool,
    as_json: bool,
) -> int:
    """Estimate the memory MODEL needs: a catalog id, or a folder holding config.json."""
    from advisor.sources.models import estimate_memory

    result = estimate_memory(
        model,
        quantization,
        context_tokens=context_tokens,
        batch_size=batch_size,
        mode=mode,
        gradient_checkpointing=not no_checkpointing,
        num_gpus=num_gpus,
        max_new_tokens=max_new_tokens,
        runtime=runtime,
        kv_cache_dtype=kv_cache_dtype,
        lora_rank=lora_rank,
        lora_targets=lora_targets,
        optimizer=optimizer,
        device="cpu" if cpu else "gpu",
        flash_attention=not eager_attention,
        precision=precision,
        loss=loss,
    )
    if as_json:
        print_json(result)
    else:
        _print_table(result)
    _warn_beyond_limit(model, context_tokens + max_new_tokens)
    return int(ExitCode.OK)


def _warn_beyond_limit(model: str, tokens: int) -> None:
    """Say so on stderr when the sequence is longer than the model reads: the figure is then for a
    job the model cannot run, whatever memory it has."""
    from advisor.catalog import load_catalog
    from advisor.i18n import message
    from advisor.output import note
    from advisor.sources.models import resolve_architecture

    entry = load_catalog().find(model)
    limit = entry.context_length if entry is not None else resolve_architecture(model).max_position_embeddings
    if not limit or tokens <= limit:
        return
    lang = _lang()
    text = message(
        "estimate.beyond_limit",
        model=model,
        wanted=format_tokens(tokens, lang),
        limit=format_tokens(limit, lang),
    ).get(lang)
    note(f"advisor: warning: {text}")


def _lang() -> Lang:
    root = click.get_current_context().find_root()
    return resolve_lang(root.obj.get("lang") if isinstance(root.obj, dict) else None)


def _size(n: int) -> tuple[str, str]:
    return f"{n / 2**30:,.2f}", f"{n / 1e9:,.2f}"


def _print_table(result: object) -> None:
    from rich.table import Table

    from advisor.memory import MemoryEstimate

    assert isinstance(result, MemoryEstimate)
    what = f"{result.mode}, {result.quantization}, {result.runtime}"
    if result.mode == "inference":
        what += (
            f", {format_tokens(result.context_tokens, 'en')}+{format_tokens(result.max_new_tokens, 'en')}"
            f" tokens x {result.batch_size}"
        )
    else:
        what += f", {format_tokens(result.context_tokens, 'en')} tokens x {result.batch_size}"
    if result.num_gpus > 1:
        what += f", {result.num_gpus} GPUs"
    table = Table(title=f"{result.model} ({what})", title_justify="left")
    table.add_column("Part")
    table.add_column("GiB", justify="right")
    table.add_column("GB", justify="right")
    table.add_column("Share", justify="right")
    total = result.total_bytes or 1
    per_gpu = " per GPU" if result.num_gpus > 1 else ""
    for key in _ORDER:
        if key not in result.breakdown or (not result.breakdown[key] and key != "weights"):
            continue
        value = result.breakdown[key]
        table.add_row(_LABELS[key], *_size(value), f"{100 * value / total:.0f} %")
        children = [(k, v) for k, v in result.details.items() if _PARENT.get(k) == key and v]
        if len(children) == 1 and children[0][1] * result.num_gpus == value:
            continue  # the part is that one item: nothing to add
        for name, part in children:
            label = f"  [dim]{name.replace('_', ' ')}{per_gpu}[/dim]"
            table.add_row(label, *(f"[dim]{x}[/dim]" for x in _size(part)), "")
    table.add_section()
    table.add_row("[bold]Total[/bold]", *(f"[bold]{s}[/bold]" for s in _size(result.total_bytes)), "100 %")
    if result.num_gpus > 1:
        table.add_row("Per GPU", *_size(result.per_gpu_bytes), "")
    console = stdout_console()
    console.print(table)
    params = f"{format_count(result.total_params, 'en')} parameters"
    if result.active_params != result.total_params:
        params += f" ({format_count(result.active_params, 'en')} active)"
    if result.trainable_params:
        params += f", {format_count(result.trainable_params, 'en')} trainable"
    console.print(f"{params}, {result.weights_bits_per_param:.2f} bits per parameter stored")
    console.print("Assumptions:")
    for line in result.assumptions:
        console.print(f"  - {line}", highlight=False)
