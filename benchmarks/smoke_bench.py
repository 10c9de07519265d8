"""Smoke-test benchmark: measured peak memory and speed of real architectures against the estimate.

Builds random-weight checkpoints from the catalog configs of real models (no download: the shapes
are the real ones, the weights are noise), then runs ``advisor.smoke_test`` on each quantization and
prints one Markdown row per run: peak memory measured, estimate, measured / estimated, load time,
time to first token and decode tokens/s.

GPU (what the estimator is for; bf16 / int8 / nf4, bitsandbytes needed for the last two)::

    .venv/bin/python benchmarks/smoke_bench.py --device cuda --quants bf16,int8,nf4 --write-readme

CPU (bf16 and fp32 only; RSS is compared, see the README)::

    .venv/bin/python benchmarks/smoke_bench.py --device cpu --models Qwen/Qwen2.5-0.5B-Instruct \\
        --quants bf16 --write-readme

Each checkpoint is built in its own process so that this process never holds a CUDA context while
the smoke-test child measures GPU memory (a parent's context would count as "non-torch" memory).
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

README = ROOT / "benchmarks" / "README.md"
START, END = "<!-- smoke:start -->", "<!-- smoke:end -->"
DEFAULT_MODELS = ["Qwen/Qwen2.5-0.5B-Instruct", "Qwen/Qwen2.5-1.5B-Instruct"]
GIB = 1024**3


def build_checkpoint(model_id: str, directory: Path, device: str) -> None:
    """Random bf16 weights for the catalog config of ``model_id``, saved as safetensors (subprocess)."""
    if (directory / "config.json").is_file() and any(directory.glob("*.safetensors")):
        return
    code = f"""
import json, sys, torch
from transformers import AutoConfig, AutoModelForCausalLM
sys.path.insert(0, {str(ROOT)!r})
from advisor.catalog import load_catalog
config = dict(load_catalog().get({model_id!r}).config)
model_type = config.pop("model_type")
config.pop("architectures", None)
hf_config = AutoConfig.for_model(model_type, **config)
torch.manual_seed(0)
with torch.device({device!r}):
    model = AutoModelForCausalLM.from_config(hf_config, dtype=torch.bfloat16)
model.save_pretrained({str(directory)!r})
"""
    subprocess.run([sys.executable, "-c", code], check=True)


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    from advisor.smoke.runner import smoke_test

    rows = []
    for model_id in args.models:
        directory = Path(args.workdir) / model_id.replace("/", "--")
        started = time.perf_counter()
        build_checkpoint(model_id, directory, args.device)
        print(f"built {model_id} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        for quant in args.quants:
            result = smoke_test(
                directory,
                quantization=quant,
                max_new_tokens=args.max_new_tokens,
                device=args.device,
                runs=args.runs,
                timeout_s=args.timeout,
                progress=lambda step, detail: print(f"  {step} {detail or ''}", file=sys.stderr),
            )
            row = {**result.model_dump(mode="json"), "model": model_id, "quant": quant}
            rows.append(row)
            print(
                json.dumps({k: row[k] for k in ("model", "quant", "verdict", "measured_over_estimated")}),
                file=sys.stderr,
            )
    return rows


def table(rows: list[dict[str, Any]], device_name: str) -> str:
    def gib(value: Any) -> str:
        return f"{value / GIB:.2f}" if isinstance(value, (int, float)) else "-"

    def num(value: Any, fmt: str) -> str:
        return format(value, fmt) if isinstance(value, (int, float)) else "-"

    first = rows[0] if rows else {}
    lines = [
        f"Device: {device_name}. Random weights, {first.get('prompt_tokens', '-')} prompt tokens "
        f"(fixed ids), {first.get('new_tokens', '-')} new tokens, median of {first.get('runs', '-')} runs "
        "after one warm-up.",
        "",
        "| model | quant | verdict | peak GiB | load / generate peak GiB | compared measured GiB "
        "| estimate GiB | measured / estimated | load s | TTFT ms | decode tok/s |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        verdict = r["verdict"] if r["ok"] else f"{r['verdict']} ({r['error']['code']})"
        ttft = r["time_to_first_token_s"] * 1000 if r["time_to_first_token_s"] is not None else None
        lines.append(
            f"| {r['model']} | {r['quant']} | {verdict} | {gib(r['peak_memory_bytes'])} "
            f"| {gib(r['load_peak_memory_bytes'])} / {gib(r['generation_peak_memory_bytes'])} "
            f"| {gib(r['compared_measured_bytes'])} | {gib(r['compared_estimate_bytes'])} "
            f"| {num(r['measured_over_estimated'], '.3f')} | {num(r['load_seconds'], '.2f')} "
            f"| {num(ttft, '.0f')} | {num(r['tokens_per_second'], '.1f')} |"
        )
    compared = {r["comparison"] for r in rows if r.get("comparison")}
    if compared:
        lines += ["", "Compared: " + "; ".join(sorted(compared)) + "."]
    return "\n".join(lines)


def device_name(device: str) -> str:
    if device == "cuda":
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                "import torch; print(torch.cuda.get_device_name(0), torch.cuda.device_count())",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        return "CUDA " + done.stdout.strip()
    return f"CPU {platform.processor() or platform.machine()}"


def write_readme(body: str, title: str) -> None:
    """Replace this benchmark's block (between the smoke markers) for ``title``; keep the rest."""
    block_start, block_end = START.replace("start", f"start:{title}"), END.replace("end", f"end:{title}")
    block = f"{block_start}\n{body}\n{block_end}"
    text = README.read_text(encoding="utf-8") if README.exists() else ""
    if block_start in text and block_end in text:
        before, rest = text.split(block_start, 1)
        after = rest.split(block_end, 1)[1]
        text = before + block + after
    elif END in text:
        text = text.replace(END, block + "\n\n" + END)
    else:
        text = text.rstrip() + ("\n\n" if text else "") + f"## Smoke test\n\n{START}\n{block}\n\n{END}\n"
    README.write_text(text, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    parser.add_argument("--models", type=lambda s: s.split(","), default=DEFAULT_MODELS)
    parser.add_argument("--quants", type=lambda s: s.split(","), default=["bf16", "int8", "nf4"])
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--workdir", default=str(Path.home() / ".cache" / "llm-advisor-bench"))
    parser.add_argument("--json", dest="json_out", help="also write the raw results here")
    parser.add_argument("--write-readme", action="store_true", help="update the smoke block of the README")
    args = parser.parse_args()
    rows = run(args)
    body = table(rows, device_name(args.device))
    print(body)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(rows, indent=2), encoding="utf-8")
    if args.write_readme:
        write_readme(body, args.device)
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
