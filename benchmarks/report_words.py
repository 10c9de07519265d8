"""How long the report is before its appendices: the part a lead reads, per example and language.

Run: ``.venv/bin/python benchmarks/report_words.py [--write-readme]``. Renders every example of
examples/ on four hardware profiles (no GPU with 32 GB RAM, one 8 GB GPU, one 24 GB GPU, two 80 GB
GPUs) in English and French, and counts the words before the first appendix (``## A.``): running
text and table cells, not code blocks, which a reader skims. The goal is under 900 words. With
``--write-readme`` the table replaces the "Report length" section of benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from advisor.advice import recommend  # noqa: E402

GOAL = 900
PROFILES = {
    "no GPU, 32 GB": {"gpus": [], "ram_gb": 32},
    "8 GB": {"gpus": [{"name": "GPU", "vram_gb": 8}], "ram_gb": 32},
    "24 GB": {"gpus": [{"name": "GPU", "vram_gb": 24}], "ram_gb": 64},
    "2x80 GB": {"gpus": [{"name": "GPU", "vram_gb": 80}] * 2, "ram_gb": 512},
}


def words_before_appendices(report: str) -> tuple[int, int]:
    """(words before the appendices, words in the whole report), code blocks left out of both."""
    prose = re.sub(r"^```.*?^```", "", report, flags=re.M | re.S)
    body = prose.split("\n## A. ")[0]
    count = lambda text: len(re.findall(r"[^\W_]+(?:['’-][^\W_]+)*", text))  # noqa: E731
    return count(body), count(prose)


def table() -> tuple[str, int]:
    lines = [
        "| Example | Approach (24 GB) | " + " | ".join(f"{p} en / fr" for p in PROFILES) + " | Whole report, max |",
        "| --- | --- | " + " | ".join("---:" for _ in PROFILES) + " | ---: |",
    ]
    worst = 0
    for path in sorted((ROOT / "examples").glob("*.yaml")):
        answers = yaml.safe_load(path.read_text(encoding="utf-8"))
        cells, whole, approach = [], 0, ""
        for name, hardware in PROFILES.items():
            rec = recommend(answers, hardware=hardware)
            if name == "24 GB":
                approach = rec.approach
            counts = [words_before_appendices(rec.to_markdown(lang=lang)) for lang in ("en", "fr")]
            cells.append(" / ".join(str(c[0]) for c in counts))
            worst = max(worst, *(c[0] for c in counts))
            whole = max(whole, *(c[1] for c in counts))
        lines.append(f"| {path.stem} | {approach} | " + " | ".join(cells) + f" | {whole} |")
    return "\n".join(lines), worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-readme", action="store_true")
    args = parser.parse_args()
    body, worst = table()
    verdict = "met" if worst < GOAL else "not met"
    text = (
        f"Words before the appendices (running text and tables, code blocks left out); goal under {GOAL}: "
        f"**{verdict}** (longest: {worst}). Produced by `benchmarks/report_words.py`.\n\n{body}"
    )
    print(text)
    if args.write_readme:
        from bench_common import replace_readme_section

        replace_readme_section(
            "<!-- report-words:start -->", "<!-- report-words:end -->", text, heading="Report length"
        )


if __name__ == "__main__":
    main()
