"""Every example and every scenario renders, on four hardware profiles, in both languages, through
every view: ``to_markdown``, the CLI summary and ``advisor recommend --report``.

The profiles span what teams have: no GPU with 32 GB of RAM, one 8 GB card, one 24 GB card, two
80 GB cards. A view that asks for something the result lacks (the crash on the synthetic
base-scores reason) fails here for the plan that triggers it, whatever its approach.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
import yaml

from advisor.advice import recommend
from advisor.results import Recommendation

ROOT = Path(__file__).parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
SCENARIOS = yaml.safe_load((ROOT / "tests" / "data" / "scenarios.yaml").read_text(encoding="utf-8"))["scenarios"]
PROFILES: dict[str, dict] = {
    "cpu32": {"gpus": [], "ram_gb": 32},
    "gpu8": {"gpus": [{"name": "GPU", "vram_gb": 8}], "ram_gb": 32},
    "gpu24": {"gpus": [{"name": "GPU", "vram_gb": 24}], "ram_gb": 64},
    "gpu80x2": {"gpus": [{"name": "GPU", "vram_gb": 80}, {"name": "GPU", "vram_gb": 80}], "ram_gb": 512},
}
CLI_FLAGS = {
    "cpu32": ["--gpus", "0", "--ram", "32"],
    "gpu8": ["--vram", "8", "--gpus", "1", "--ram", "32"],
    "gpu24": ["--vram", "24", "--gpus", "1", "--ram", "64"],
    "gpu80x2": ["--vram", "80", "--gpus", "2", "--ram", "512"],
}
LANGS = ("en", "fr")
CASES: dict[str, dict] = {
    **{path.stem: yaml.safe_load(path.read_text(encoding="utf-8")) for path in EXAMPLES},
    **{f"scenario-{s['name']}": s["answers"] for s in SCENARIOS},
}


@cache
def recommendation(case: str, profile: str) -> Recommendation:
    return recommend(CASES[case], hardware=PROFILES[profile])


@cache
def rendered(case: str, profile: str, lang: str) -> str:
    return recommendation(case, profile).to_markdown(lang=lang)  # type: ignore[arg-type]


def all_reports() -> list[tuple[str, str, str]]:
    return [(c, p, lang) for c in CASES for p in PROFILES for lang in LANGS]


def test_the_matrix_covers_every_approach() -> None:
    assert len(EXAMPLES) >= 12 and len(SCENARIOS) >= 30
    approaches = {recommendation(c, p).approach for c in CASES for p in PROFILES}
    assert approaches == {"no-llm", "prompting", "rag", "fine-tuning", "raft"}


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("case", CASES)
def test_report_and_summary_render(case: str, profile: str, capsys: pytest.CaptureFixture[str]) -> None:
    from advisor.report.summary import print_summary

    rec = recommendation(case, profile)
    for lang in LANGS:
        text = rendered(case, profile, lang)
        assert text.startswith("# "), (case, profile, lang)
        print_summary(rec, lang)  # type: ignore[arg-type]
        out = capsys.readouterr().out
        assert out.strip(), (case, profile, lang)


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("example", [p.stem for p in EXAMPLES])
def test_cli_report_renders(example: str, profile: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from advisor.cli import main

    path = ROOT / "examples" / f"{example}.yaml"
    for lang in LANGS:
        out = tmp_path / f"{lang}.md"
        code = main(["recommend", str(path), *CLI_FLAGS[profile], "--lang", lang, "--report", str(out)])
        captured = capsys.readouterr()
        assert code == 0, captured.err
        assert out.read_text(encoding="utf-8").startswith("# ")
        assert captured.out.strip()


def glance(text: str) -> str:
    return text.split("\n## 1. ")[0]


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("case", CASES)
def test_one_story(case: str, profile: str) -> None:
    """The page a lead reads never contradicts the sections behind it."""
    rec = recommendation(case, profile)
    en, fr = rendered(case, profile, "en"), rendered(case, profile, "fr")
    choice = rec.model
    if rec.approach in ("fine-tuning", "raft") and choice is not None:
        if choice.training is None:
            assert "Training: no plan fits this hardware" in glance(en)
            assert "fits as well" not in glance(en)
        elif choice.training.fit == "does-not-fit":
            assert "does not fit" in glance(en)
    if choice is not None and choice.chosen.fit == "does-not-fit":
        assert "yes" not in glance(en).split("**Fits:**")[1].split("\n")[0]
        assert "no new hardware" not in glance(en)
    # A no-LLM plan may train a small encoder: it never claims to use no language model at all.
    assert "uses no language model" not in en and "n'utilise pas de modèle de langue" not in fr
    assert "No language model" not in en and "Pas de modèle de langue :" not in fr
    # A tie is said to be a tie, never a win on points.
    open_ = [a for a in rec.scores if a != rec.approach and a not in rec.excluded]
    runner = max(open_, key=lambda a: rec.scores[a], default=None)
    if rec.decided_by == "scores" and runner is not None and rec.scores[runner] == rec.scores[rec.approach]:
        assert "tied with" in glance(en) and "à égalité" in glance(fr)
        from advisor.report.summary import _tied_with

        assert _tied_with(rec) is not None  # the CLI summary says "tied" instead of "highest score"


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("case", CASES)
def test_next_steps_only_suggest_load_tests_the_smoke_test_runs(case: str, profile: str) -> None:
    from advisor.quantization import loaded_on_the_fly, needs_cuda_to_load

    text = rendered(case, profile, "en")
    for quant in re.findall(r"advisor smoke \S+ --quant (\S+)", text):
        assert quant in loaded_on_the_fly(), quant  # what the smoke child can make from plain weights
        if not PROFILES[profile]["gpus"]:
            assert not needs_cuda_to_load(quant), quant
    assert "<awq-repo>" not in text or "AutoAWQ" in text  # a placeholder always says how to find or make one
    assert "<gguf-repo>" not in text or "convert_hf_to_gguf.py" in text
