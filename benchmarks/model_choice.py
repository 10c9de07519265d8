"""Model choice across hardware x use cases: what the advisor picks, in which format and layout,
how fast, and whether it meets the use case's need.

Run: ``.venv/bin/python benchmarks/model_choice.py [--write]``. Prints a Markdown table (and with
``--write`` puts it in benchmarks/README.md between the model-choice markers), then the warm
``recommend()`` time for one GPU and for 2 nodes x 8 GPUs (median of 30 calls after a warm-up).

Hardware: CPU-only boxes, one GPU of 8 to 80 GB, 2 x 24, 2 x 80, 8 x 80 and 2 nodes x 8 x 80 GB,
named so that bandwidth and formats come from advisor/data/gpus.yaml. Use cases: the answer files
in examples/, plus a code assistant and a batch summarisation that examples/ does not cover.
"Published" names the catalog's quality source for the pick (the figures behind its score).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from advisor import recommend  # noqa: E402
from advisor.catalog import load_catalog  # noqa: E402
from advisor.datafiles import read_yaml  # noqa: E402
from advisor.questionnaire import Answers  # noqa: E402
from advisor.selection.models import quality_tasks  # noqa: E402

HARDWARE: dict[str, dict] = {
    "CPU 16 GB": {"gpus": [], "ram_gb": 16},
    "CPU 64 GB": {"gpus": [], "ram_gb": 64},
    "1x RTX 4060 8 GB": {"gpu_name": "RTX 4060", "ram_gb": 32},
    "1x RTX 3060 12 GB": {"gpu_name": "RTX 3060", "ram_gb": 32},
    "1x T4 16 GB": {"gpu_name": "T4", "ram_gb": 64},
    "1x RTX 4090 24 GB": {"gpu_name": "RTX 4090", "ram_gb": 64},
    "1x L40S 48 GB": {"gpu_name": "L40S", "ram_gb": 128},
    "1x A100 80 GB": {"gpu_name": "A100 80GB", "ram_gb": 256},
    "1x H100 80 GB": {"gpu_name": "H100", "ram_gb": 256},
    "2x RTX 3090 24 GB": {"gpu_name": "RTX 3090", "gpu_count": 2, "ram_gb": 128},
    "2x H100 80 GB": {"gpu_name": "H100", "gpu_count": 2, "ram_gb": 512},
    "8x H100 80 GB": {"gpu_name": "H100", "gpu_count": 8, "ram_gb": 1024},
    "2 nodes x 8x H100": {"gpu_name": "H100", "gpu_count": 16, "nodes": 2, "ram_gb": 2048},
}
EXTRA_CASES: dict[str, dict] = {
    "code assistant (en)": {
        "task_type": "code_generation",
        "languages": ["en"],
        "latency_requirement": "interactive_lt_5s",
        "volume_per_day": 2000,
        "data_privacy": "on_prem_only",
        "knowledge_source": "general_knowledge",
        "team_ml_skills": "intermediate",
    },
    "batch summarisation (fr)": {
        "task_type": "summarization",
        "languages": ["fr"],
        "latency_requirement": "batch",
        "volume_per_day": 20000,
        "data_privacy": "on_prem_only",
        "knowledge_source": "none",
        "input_length": "long",
        "context_tokens": 8192,
    },
}
# Which hardware each use case is tried on: every case on a CPU box, a 24 GB card, one and eight
# H100s; the chat, RAG and code cases on every profile.
EVERYWHERE = ("05_public_product_chatbot", "03_assistant_rh_fr", "code assistant (en)")
DEFAULT_HW = ("CPU 64 GB", "1x RTX 4090 24 GB", "1x H100 80 GB", "8x H100 80 GB")


def cases() -> list[tuple[str, dict]]:
    out = [(p.stem, read_yaml(p)) for p in sorted((ROOT / "examples").glob("*.yaml"))]
    return out + list(EXTRA_CASES.items())


def published(model_id: str, answers: Answers) -> str:
    """The catalog figure behind the pick's score for the use case's first quality task."""
    entry = next(e for e in load_catalog().entries if e.id == model_id)
    for task in quality_tasks(answers):
        rated = entry.quality.get(task)
        if rated is not None:
            figure = rated.figures[0]
            return f"{task}: {figure.benchmark} {figure.value:g} ({figure.source.split(',')[0]})"
    return f"not rated: tier {entry.quality_tier} median"


def row(case: str, answers: dict, hw_name: str) -> list[str]:
    rec = recommend(answers, HARDWARE[hw_name])
    if rec.model is None:
        return [case, hw_name, rec.approach, "-", "-", "-", "-", "-", "-", "-", "-", "-"]
    c = rec.model.chosen
    layout = (
        "CPU"
        if c.device == "cpu"
        else f"TP{c.tensor_parallel_size}xPP{c.pipeline_parallel_size}xDP{c.data_parallel_size}"
    )
    per_gpu = c.memory.per_gpu_bytes if c.device == "gpu" else c.memory.total_bytes
    meets = {True: "yes", False: "**no**", None: "?"}[c.meets_demand]
    extra = ""
    if rec.model.embedding is not None:
        extra = f" + {rec.model.embedding.id.split('/')[-1]} ({rec.model.embedding_device})"
    if rec.model.training is not None:
        t = rec.model.training
        extra += f"; train {t.method} {t.sequence_length} tok on {t.num_gpus} GPU ({t.distribution})"
    return [
        case,
        hw_name,
        rec.approach,
        c.id.split("/")[-1] + extra,
        c.quantization,
        f"{c.engine} {layout}",
        f"{per_gpu / 1024**3:.1f} GiB ({c.fit})",
        f"{c.tokens_per_second:.0f}" if c.tokens_per_second is not None else "-",
        f"{c.aggregate_tokens_per_second:.0f}" if c.aggregate_tokens_per_second is not None else "-",
        meets,
        f"{c.quality:.0f}" if c.quality is not None else "-",
        published(c.id, rec.answers),
    ]


def table() -> str:
    header = [
        "use case",
        "hardware",
        "approach",
        "pick (+ embedding; training)",
        "format",
        "engine, layout",
        "memory per GPU",
        "tok/s per request",
        "tok/s total",
        "meets need",
        "quality",
        "published figure (catalog)",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for case, answers in cases():
        targets = HARDWARE if case in EVERYWHERE else DEFAULT_HW
        for hw_name in targets:
            lines.append("| " + " | ".join(row(case, answers, hw_name)) + " |")
    return "\n".join(lines)


def timing() -> str:
    answers = read_yaml(ROOT / "examples" / "03_assistant_rh_fr.yaml")
    out = []
    for label, hw in (
        ("1x RTX 4090", HARDWARE["1x RTX 4090 24 GB"]),
        ("2 nodes x 8x H100", HARDWARE["2 nodes x 8x H100"]),
    ):
        recommend(answers, hw)
        times = []
        for _ in range(30):
            start = time.perf_counter()
            recommend(answers, hw)
            times.append(time.perf_counter() - start)
        out.append(f"| {label} | {statistics.median(times) * 1000:.1f} ms | {max(times) * 1000:.1f} ms |")
    return "| hardware | warm recommend() median | max of 30 |\n|---|---|---|\n" + "\n".join(out)


def main() -> None:
    body = table() + "\n\n" + timing()
    print(body)
    if "--write" in sys.argv:
        from bench_common import replace_readme_section

        replace_readme_section("<!-- model-choice:start -->", "<!-- model-choice:end -->", body, heading="Model choice")


if __name__ == "__main__":
    main()
