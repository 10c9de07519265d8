"""How close advisor.estimate_memory comes to published measurements.

Reads benchmarks/calibration.yaml (each row: a published figure, its conditions and source),
estimates the same configuration, and prints the error of every row with the median and worst
over the rows whose conditions are fully stated. With --write, replaces the memory-accuracy
section of benchmarks/README.md with the table.

    .venv/bin/python benchmarks/memory_accuracy.py [--write]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path
from typing import Any, Literal

from bench_common import replace_readme_section
from pydantic import BaseModel, ConfigDict

from advisor.datafiles import read_yaml, validate
from advisor.sources.models import estimate_memory

HERE = Path(__file__).resolve().parent
CALIBRATION = HERE / "calibration.yaml"
START, END = "<!-- memory-accuracy:start -->", "<!-- memory-accuracy:end -->"
UNITS = {"B": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "GB": 10**9}
GOAL_MEDIAN, GOAL_WORST = 5.0, 15.0
# Issue 16's goals by kind: the worst row within this |error| (%), and the median under 5 %.
KIND_TOLERANCE = {"file": 3.0, "inference": 10.0, "training": 20.0}
KIND_LABELS = {
    "file": "file sizes / loaded weights",
    "inference": "inference peaks and parts",
    "training": "training peaks",
}


class Row(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    ref: int | str
    model: str
    status: Literal["stated", "partial", "excluded"]
    source: str
    quantization: str = "bf16"
    runtime: str | None = None
    mode: str = "inference"
    context_tokens: int = 1
    max_new_tokens: int = 0
    batch_size: int = 1
    num_gpus: int = 1
    lora_rank: int = 16
    kv_cache_dtype: str = "auto"
    flash_attention: bool = True
    device: str = "gpu"
    gradient_checkpointing: bool = True
    training: dict[str, Any] = {}
    """Training choices passed as keyword arguments (precision, optimizer, attention, loss)."""
    compare: str | list[str] = "total"
    measured: float = 0
    unit: str = "GiB"
    constant: bool = False
    """The estimator's constant was taken from this row: it cannot test the estimator."""
    assumed: str | None = None
    note: str | None = None


class Calibration(BaseModel):
    model_config = ConfigDict(extra="forbid")

    models: dict[str, dict[str, Any]]
    rows: list[Row]


def estimate(row: Row, models: dict[str, dict[str, Any]]) -> float:
    """The estimate of the quantity the row measured, in bytes."""
    est = estimate_memory(
        models.get(row.model, row.model),  # not listed: a catalog id (advisor/catalog/models.yaml)
        row.quantization,
        context_tokens=row.context_tokens,
        batch_size=row.batch_size,
        mode=row.mode,
        num_gpus=row.num_gpus,
        max_new_tokens=row.max_new_tokens,
        runtime=row.runtime,
        kv_cache_dtype=row.kv_cache_dtype,
        lora_rank=row.lora_rank,
        flash_attention=row.flash_attention,
        device=row.device,
        gradient_checkpointing=row.gradient_checkpointing,
        **row.training,
    )
    parts = {**est.breakdown, **est.details}
    if row.compare == "total":
        return est.total_bytes
    if row.compare == "torch_peak":
        return est.total_bytes - est.details.get("cuda_context", 0)
    if row.compare == "kv_bytes_per_token":
        return est.kv_cache_bytes_per_token
    if row.compare == "per_gpu_weights":
        return est.breakdown["weights"] / row.num_gpus
    assert isinstance(row.compare, list)
    return sum(parts[key] for key in row.compare)


def kind(row: Row) -> str:
    """file (a weights footprint), training (a training peak) or inference (peaks and their parts)."""
    if row.mode != "inference":
        return "training"
    if row.compare in (["weights"], "per_gpu_weights"):
        return "file"
    return "inference"


def conditions(row: Row) -> str:
    bits = [row.quantization]
    if row.mode != "inference":
        bits.append(row.mode + (f" r{row.lora_rank}" if row.mode != "full" else ""))
    if row.context_tokens > 1 or row.max_new_tokens:
        bits.append(f"ctx {row.context_tokens:,}" + (f"+{row.max_new_tokens:,}" if row.max_new_tokens else ""))
    if row.num_gpus > 1:
        bits.append(f"{row.num_gpus} GPUs")
    if row.runtime:
        bits.append(row.runtime)
    if row.kv_cache_dtype != "auto":
        bits.append(f"KV {row.kv_cache_dtype}")
    if not row.flash_attention:
        bits.append("no FA")
    if row.mode != "inference" and not row.gradient_checkpointing:
        bits.append("no GC")
    bits.extend(f"{key} {value}" for key, value in row.training.items())
    what = row.compare if isinstance(row.compare, str) else "+".join(row.compare)
    return ", ".join(bits) + f"; {what}"


def run() -> tuple[str, dict[str, float]]:
    cal = validate(Calibration, read_yaml(CALIBRATION), file=str(CALIBRATION))
    lines = [
        "| row | model | conditions; compared | measured | estimate | error | status |",
        "|---|---|---|---:|---:|---:|---|",
    ]
    errors: dict[str, list[float]] = {"goal": [], "with_constants": [], "partial": []}
    by_kind: dict[str, list[tuple[str, float]]] = {k: [] for k in KIND_TOLERANCE}
    excluded = []
    for row in cal.rows:
        if row.status == "excluded":
            excluded.append(f"- {row.id} ({row.model}): {row.note} [{row.source}]")
            continue
        unit = UNITS[row.unit]
        est = estimate(row, cal.models) / unit
        err = 100.0 * (est - row.measured) / row.measured
        status = row.status + (" (constant's source)" if row.constant else "")
        if not row.constant:
            by_kind[kind(row)].append((row.id, err))
        if row.status == "stated":
            errors["with_constants"].append(abs(err))
            if not row.constant:
                errors["goal"].append(abs(err))
        else:
            errors["partial"].append(abs(err))
        fmt = ",.0f" if row.unit in ("B", "KiB") else ",.2f"
        lines.append(
            f"| {row.id} | {row.model} | {conditions(row)} | {row.measured:{fmt}} {row.unit} | "
            f"{est:{fmt}} {row.unit} | {err:+.1f} % | {status} |"
        )
    summary = {}
    out = ["", "| rows | n | median abs error | worst abs error |", "|---|---:|---:|---:|"]
    labels = {
        "goal": "fully stated, independent of the estimator's constants (goal set)",
        "with_constants": "fully stated, including rows that set a constant",
        "partial": "partly stated (fine-tuning; assumptions named in calibration.yaml)",
    }
    for key, values in errors.items():
        if not values:
            continue
        med, worst = statistics.median(values), max(values)
        summary[f"{key}_median"], summary[f"{key}_worst"] = med, worst
        out.append(f"| {labels[key]} | {len(values)} | {med:.1f} % | {worst:.1f} % |")
    out += ["", "By kind (every row that is not a constant's source, stated and partial together):", ""]
    out += [
        "| kind | n | median abs error | worst abs error | goal | rows out of tolerance |",
        "|---|---:|---:|---:|---|---|",
    ]
    for name, rows in by_kind.items():
        if not rows:
            continue
        values = [abs(e) for _, e in rows]
        med, worst = statistics.median(values), max(values)
        tol = KIND_TOLERANCE[name]
        summary[f"{name}_median"], summary[f"{name}_worst"] = med, worst
        outside = [f"{rid} ({e:+.1f} %)" for rid, e in rows if abs(e) > tol]
        out.append(
            f"| {KIND_LABELS[name]} | {len(rows)} | {med:.1f} % | {worst:.1f} % | every row <= {tol:g} %, "
            f"median < 5 % | {', '.join(outside) or 'none'} |"
        )
    body = "\n".join(lines + out)
    if excluded:
        body += "\n\nExcluded rows (not comparable with an estimate):\n\n" + "\n".join(excluded)
    return body, summary


NOTES = """\
How to read it:

- **By kind** (the goals of issue 16): file sizes and loaded weights within 3 % on every row,
  inference peaks within 10 %, training peaks within 20 %, the median of each kind under 5 %.
  Stated and partly stated rows count together there; a constant's source does not count.
- **Rows that set a constant** (CUDA context, vLLM's profiled activations and non-torch memory) are
  where the estimator's constant comes from, so they cannot test it; they are listed, not counted
  in the goal set.
- **Qwen2 rows (14-20)** were measured with transformers 4.38, which projected every prompt
  position to fp32 logits and kept a rotary cache per layer: they are estimated with
  `runtime="transformers-legacy"`. The **Qwen2.5 rows (25-...)** were measured with transformers
  4.46 (last-position logits), the default `transformers` profile.
- **AWQ at one prompt token (25-05b-1-awq, 25-15b-1-awq)** are excluded: Qwen's table gives the
  0.5B and 1.5B AWQ models more memory at 1 prompt token than at 6,144 once that prompt's KV cache
  is taken away, where GPTQ-Int4 grows as expected. The same models are within 6 % at every
  longer prompt.
- **GGUF sizes** come from llama.cpp's per-tensor type rules restated in
  `advisor/data/quantizations.yaml` (src/llama-quant.cpp): the mixes' upgrades of attn_v,
  ffn_down and output, the K-quant fallbacks for rows that are not a multiple of 256 (Gemma 3 1B,
  hidden 1,152), the fused QKV of Phi-3/4 (Q5_K under Q4_K_M) and gpt-oss's experts kept in MXFP4
  at every label. The Hub lists files in decimal GB; the gpt-oss-120b listing is a third-party
  page that prints GiB under a "GB" label.
- **gpt-oss weights in vLLM (24, 25)**: about 5 % low. vLLM pads the MXFP4 expert matrices to its
  kernels' alignment (hidden 2,880 to 3,072; the padding depends on the GPU and kernel backend);
  the estimator counts the checkpoint's shapes.
- **Fine-tuning rows** name the training choices they assume (precision, optimizer, attention,
  checkpointing, loss; `advisor/data/training_choices.yaml`). BERT-large is measured with
  nvidia-smi (the caching allocator's reserve is in it), hence a few % more than any allocation
  estimate. The PEFT rows ran at most 768 tokens a sample; the estimate takes the longest batch.
  F4 (Qwen-7B Q-LoRA) is over-estimated at long sequences: Qwen-7B's own modelling code computes
  the loss on 16-bit logits where the estimator assumes transformers' fp32 upcast; Qwen's LoRA rows
  (F2) grow faster than its Q-LoRA rows for the same code, which the published conditions do not
  explain. F10 (Unsloth's table, HF + flash-attention rows) is within 5 %.
- No GPU was available to this work: there are no rows measured here. `benchmarks/smoke_bench.py`
  (smoke test section) compares estimates with real peaks on a GPU.
"""


def speed() -> str:
    """Warm time of the selection's inner loop: every catalog model x the GPU ladder."""
    import time

    from advisor.catalog import load_catalog
    from advisor.memory import estimate_bytes, quantization_ladder
    from advisor.sources.models import resolve_architecture as architecture_for

    archs = [architecture_for(entry) for entry in load_catalog().entries]
    ladder = quantization_ladder(gpu=True)
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        for arch in archs:
            for quant in ladder:
                estimate_bytes(arch, quant, 8192)
        runs.append(time.perf_counter() - start)
    calls = len(archs) * len(ladder)
    best = min(runs)
    return (
        f"Estimator speed (`estimate_bytes`, warm, best of 5): {len(archs)} catalog models x "
        f"{len(ladder)} GPU formats = {calls} estimates in {best * 1e3:.1f} ms "
        f"({best / calls * 1e6:.1f} us each) on {_machine()}."
    )


def _machine() -> str:
    import os
    import platform

    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"


def write_readme(body: str) -> None:
    section = (
        "## Memory estimate accuracy\n\n"
        "Published measurements (shared/reference/memory-estimation.md §4-5, sources in "
        "`benchmarks/calibration.yaml`) against `advisor.estimate_memory` for the same model, format, "
        "context and runtime. Goals by kind: file sizes within 3 % on every row, inference peaks within "
        "10 %, training peaks within 20 %, each kind's median under 5 %; on the fully stated rows "
        "the median stays under 5 % and the worst under 15 %. "
        "Regenerate with:\n\n```\n.venv/bin/python benchmarks/memory_accuracy.py --write\n```\n\n"
        f"{body}\n\n{NOTES}\n{speed()}"
    )
    replace_readme_section(START, END, section)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="update the section in benchmarks/README.md")
    args = parser.parse_args(argv)
    body, summary = run()
    print(body)
    if args.write:
        write_readme(body)
    ok = summary.get("goal_median", 0) <= GOAL_MEDIAN and summary.get("goal_worst", 0) <= GOAL_WORST
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
