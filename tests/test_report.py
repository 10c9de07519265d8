"""The justification report: golden files per use case and language, and the checks a reviewer would make.

Golden files live in tests/golden/<case>.<lang>.md. After a deliberate change (wording, layout,
knowledge base, model selection), regenerate them all with

    ADVISOR_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_report.py -q

and review the diff before committing.
"""

from __future__ import annotations

import ast
import os
import re
from functools import cache
from pathlib import Path
from typing import get_args

import pytest

from advisor.advice import recommend
from advisor.hardware.profile import GpuInfo, HardwareProfile
from advisor.i18n import LocalizedText, approach_name
from advisor.questionnaire import choices_of
from advisor.report.markdown import MEMORY_PARTS, load_report_data, render_markdown, table_cell
from advisor.results import Alternative, FitLevel, Recommendation, Runtime, TrainingPlan
from advisor.rules.loader import load_knowledge_base
from advisor.rules.schema import APPROACHES, RuleKind
from advisor.smoke.runner import Verdict
from tests.report_cases import CASES, HARDWARE, with_planned_model

GOLDEN_DIR = Path(__file__).parent / "golden"
UPDATE = os.environ.get("ADVISOR_UPDATE_GOLDEN") == "1"
LANGS = ("en", "fr")
# The real recommendation for each case, plus one with a hand-built model plan and smoke test.
REPORTS = [*CASES, "fine_tuning_planned"]


@cache
def recommendation(case: str) -> Recommendation:
    if case == "fine_tuning_planned":
        return with_planned_model(recommendation("fine_tuning_style"))
    answers, hardware = CASES[case]
    return recommend(answers, hardware=HARDWARE[hardware])


@cache
def report(case: str, lang: str) -> str:
    return render_markdown(recommendation(case), lang=lang)  # type: ignore[arg-type]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("case", REPORTS)
def test_golden(case: str, lang: str) -> None:
    path = GOLDEN_DIR / f"{case}.{lang}.md"
    text = report(case, lang)
    if UPDATE:
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden file {path.name}: run with ADVISOR_UPDATE_GOLDEN=1 and review it"
    assert text == path.read_text(encoding="utf-8"), (
        f"{path.name} differs; if the change is intended, regenerate with ADVISOR_UPDATE_GOLDEN=1 and review the diff"
    )


def test_to_markdown_is_the_report() -> None:
    rec = recommendation("rag_documents")
    assert rec.to_markdown(lang="fr") == report("rag_documents", "fr")


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("case", REPORTS)
def test_every_fired_rule_appears(case: str, lang: str) -> None:
    rec = recommendation(case)
    text = report(case, lang)
    fired = [entry.id for entry in rec.trace if entry.outcome == "fired"]
    assert fired
    missing = [rule for rule in fired if rule not in text]
    assert not missing, f"fired rules missing from the report: {missing}"


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("case", REPORTS)
def test_tables_are_valid_markdown(case: str, lang: str) -> None:
    tables = markdown_tables(report(case, lang))
    assert len(tables) >= 5
    for table in tables:
        widths = [len(split_row(row)) for row in table]
        assert len(set(widths)) == 1, f"rows of different widths {widths}:\n" + "\n".join(table)
        assert re.fullmatch(r"\|( *:?-{3,}:? *\|)+", table[1]), "no header separator:\n" + "\n".join(table)
        assert all(cell.strip() for row in table for cell in split_row(row)), "empty cell:\n" + "\n".join(table)


@pytest.mark.parametrize("case", REPORTS)
def test_french_report_has_no_english_sentence(case: str) -> None:
    names = proper_names(recommendation(case))
    english = sentences(report(case, "en"), names)
    french = sentences(report(case, "fr"), names)
    shared = english & french
    assert not shared, f"English sentences in the French report: {sorted(shared)}"


@pytest.mark.parametrize("case", REPORTS)
def test_python_snippets_compile(case: str) -> None:
    for lang in LANGS:
        for block in code_blocks(report(case, lang), "python"):
            ast.parse(block)


def test_sections_in_order() -> None:
    text = report("rag_documents", "en")
    headings = re.findall(r"^## (\w)\. ", text, flags=re.M)
    assert headings == [*"12345", *"ABC"]  # section 6 (load test) only when one ran
    planned = report("fine_tuning_planned", "en")
    assert re.findall(r"^## (\w)\. ", planned, flags=re.M) == [*"123456", *"ABC"]
    assert text.index("## At a glance") < text.index("## 1. ")


def test_at_a_glance_has_decision_model_risk_steps_and_cost() -> None:
    heads = {
        "en": ("**Decision:**", "**Model:**", "**Main risk:**", "**First steps:**", "**Cost:**"),
        "fr": (
            "**Décision\u00a0:**",
            "**Modèle\u00a0:**",
            "**Principal risque\u00a0:**",
            "**Premières étapes\u00a0:**",
            "**Coût\u00a0:**",
        ),
    }
    for case in REPORTS:
        for lang in LANGS:
            glance = section(report(case, lang), 0)
            for head in heads[lang]:
                assert head in glance, (case, lang, head)
            steps = [line for line in glance.splitlines() if "**First steps:**" in line or "**Premières étapes" in line]
            assert steps and "1. " in steps[0] and "3. " in steps[0], glance


def test_no_model_yet_shows_the_selection_note() -> None:
    rec = recommendation("rag_documents").model_copy(
        update={
            "model": None,
            "memory": None,
            "quantization": None,
            "selection_note": LocalizedText(en="Selection note EN.", fr="Note de sélection FR."),
        }
    )
    for lang, note in (("en", "Selection note EN."), ("fr", "Note de sélection FR.")):
        text = render_markdown(rec, lang=lang)  # type: ignore[arg-type]
        assert note in section(text, 5)
        assert note in section(text, 0)
        assert "```python" not in text  # no commands without a model


def test_no_llm_has_no_model_and_a_baseline() -> None:
    rec = recommendation("classic_classifier")
    assert rec.approach == "no-llm" and rec.decided_by == "GATE-CLASSIC-CLASSIFIER"
    text = report("classic_classifier", "en")
    assert "GATE-CLASSIC-CLASSIFIER" in section(text, 0)
    assert "LogisticRegression" in section(text, 2)
    assert "uses no language model" not in text  # the plan may train a small encoder: a model
    assert "vllm" not in text.lower()


def test_model_plan_sections() -> None:
    rec = recommendation("fine_tuning_planned")
    en, fr = report("fine_tuning_planned", "en"), report("fine_tuning_planned", "fr")
    model = section(en, 5)
    assert "`Qwen/Qwen3-32B`" in model and "`Qwen/Qwen3-30B-A3B`" in model
    assert "32.8B / —" in model and "30.5B / 3.3B" in model  # advisor.units.format_count, as model cards write it
    assert "32,8\u00a0Md" in section(fr, 5)
    assert "Why Qwen3 32B wins" in model and "Gated models were left out." in model
    memory = section(en, "B")  # the memory breakdown sits with the estimator's assumptions
    assert "| Weights | 30.5 GiB | 43% |" in memory and "| Poids | 30,5 Gio | 43\u202f% |" in section(fr, "B")
    assert "spread over 2 GPUs (67.5 GiB in all)" in memory
    assert "Training with LoRA on 2 GPU(s) takes 85.5 GiB in all" in memory
    assert "| **Total** | **42.8 GiB** | **60%** |" in memory  # one GPU's share of training
    assert "█" in memory and "Memory for training" in memory
    assert "Optimizer states" in memory
    assumptions = section(en, "B")
    assert "KV cache in bf16 for the whole context." in assumptions
    # A note no pattern knows is quoted as the estimator wrote it, and says so.
    assert "(note de l'outil, non traduite) `KV cache in bf16 for the whole context.`" in section(fr, "B")
    assert "Assumptions: 2,048 tokens of context per request, batch of 4." in memory
    plan = section(en, 1)
    assert "| LoRA rank | 16 |" in plan and "`data/train.jsonl`" in plan
    steps = section(en, 2)
    assert "dtype=torch.bfloat16" not in steps  # vLLM serves it; no separate Transformers try
    assert "curl http://localhost:8000/v1/chat/completions" in steps and '"model": "adapter"' in steps
    assert '"enable_thinking": false' in steps  # a Qwen3 hybrid, and drafting is no reasoning task
    assert "vllm serve Qwen/Qwen3-32B" in steps and "--tensor-parallel-size 2" in steps
    assert "--max-model-len 2048" in steps
    assert "--use_peft" in steps and "--lora_r 16" in steps and "--lora_alpha 32" in steps
    assert "--accelerate_config zero3" in steps and "ZeRO" in steps
    assert "--lora_target_modules all-linear" in steps and "--num_train_epochs 3" in steps
    assert "--learning_rate 0.0002" in steps and "--enable-lora" in steps
    # The team trains before it serves the adapter it trained.
    assert steps.index("trl sft") < steps.index("vllm serve")
    assert steps.index("train_test_split") < steps.index("trl sft")
    smoke = section(en, 6)
    assert "it fits, and it runs" in smoke and "1.04×" in smoke and "27.4 tokens/s" in smoke
    assert "1,04×" in section(fr, 6)
    assert rec.smoke is not None
    assert "The load test confirmed it." in section(en, 0)


def test_quantized_plans_name_their_runtime() -> None:
    base = recommendation("fine_tuning_planned")
    choice = base.model
    cases = {
        "gguf-q4_k_m": ["llama-server -hf <gguf-repo>:Q4_K_M", "ollama run hf.co/<gguf-repo>:Q4_K_M", "GGUF"],
        "awq-int4": ["vllm serve <awq-repo>", '"model": "<awq-repo>"', "AutoAWQ"],
        "nf4": ['bnb_4bit_quant_type="nf4"', "BitsAndBytesConfig("],
    }
    for quant, expected in cases.items():
        runtime = {"gguf-q4_k_m": "llama.cpp", "awq-int4": "vllm", "nf4": "transformers"}[quant]
        chosen = choice.chosen.model_copy(update={"quantization": quant, "runtime": runtime, "num_gpus": 1})
        rec = base.model_copy(
            update={
                "model": choice.model_copy(update={"chosen": chosen, "training": None}),
                "quantization": quant,
                "smoke": None,
            }
        )
        text = render_markdown(rec, "en")
        for snippet in expected:
            assert snippet in text, (quant, snippet)
        for block in code_blocks(text, "python"):
            ast.parse(block)
        if quant != "awq-int4":
            assert "vllm serve" not in text, quant
        assert "--tensor-parallel-size" not in text


def test_numbers_and_units_follow_the_language() -> None:
    en, fr = report("rag_documents", "en"), report("rag_documents", "fr")
    assert "20.7 GiB" in en and "20,7 Gio" in fr
    assert "3,000" in en and "3\u202f000" in fr
    assert "GiB" not in strip_code(fr)


def test_sensitivity_section_shows_flips() -> None:
    text = section(report("fine_tuning_style", "en"), "A")  # every flip, beyond the three in section 4
    assert "What machine-learning skills does the team have?" in text
    assert "499 or fewer" in text  # labelled_examples: the nearest count that flips, as a bound
    stable = section(report("rag_documents", "en"), 4)
    assert "GATE-NO-NLU" in stable  # a gate that would take over


def test_texts_cover_every_key_the_templates_name() -> None:
    texts = load_report_data().texts
    templates = Path(__file__).parents[1] / "advisor" / "report" / "templates"
    literal = r'\bt\("([a-z_.\-]+)"\s*[,)]'
    keys = {key for path in templates.glob("*.j2") for key in re.findall(literal, path.read_text())}
    assert len(keys) > 50, "few t() calls found: did the templates change their helper name?"
    assert not keys - set(texts), f"missing texts: {sorted(keys - set(texts))}"
    # Keys built from a value (t("fit." ~ option.fit)): every value of the contract needs its text.
    families = {
        "plan.intro": APPROACHES,
        "method": get_args(TrainingPlan.model_fields["method"].annotation),
        "fit": get_args(FitLevel),
        "runtime": get_args(Runtime),
        "summary.fits": ("comfortable", "tight"),
        "summary.training": ("fits", "no_fit"),
        "summary.smoke": get_args(Verdict),
        "smoke.verdict": get_args(Verdict),
        "repro.source": get_args(HardwareProfile.model_fields["source"].annotation),
        "gpu_status": get_args(GpuInfo.model_fields["status"].annotation),
        "kind": get_args(RuleKind),
        "alt_status": get_args(Alternative.model_fields["status"].annotation),
        "plan.data": (*choices_of("labelled_examples_type")[1:], "unknown"),
        "next.placeholder": ("gguf", "awq", "gptq"),
        "french": ("none", "basic", "good", "strong"),
        "part": MEMORY_PARTS,
        "format": ("gguf", "prequantized", "bitsandbytes", "native", "other"),
    }
    for family, values in families.items():
        assert values, family
        missing = [f"{family}.{value}" for value in values if f"{family}.{value}" not in texts]
        assert not missing, f"missing texts: {missing}"
    for key, text in texts.items():
        assert set(re.findall(r"{(\w+)}", text.en)) == set(re.findall(r"{(\w+)}", text.fr)), key


def test_report_defaults_cite_known_sources() -> None:
    data, kb = load_report_data(), load_knowledge_base()
    assert set(data.rag.sources) <= set(kb.meta.sources)
    assert set(data.training.sources) <= set(kb.meta.sources)


def test_cli_writes_the_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import yaml

    from advisor.cli import main

    answers, _ = CASES["rag_documents"]
    source = tmp_path / "answers.yaml"
    source.write_text(yaml.safe_dump(answers), encoding="utf-8")
    out = tmp_path / "report.md"
    code = main(
        [
            "recommend",
            str(source),
            "--gpu",
            "RTX 4090",
            "--gpus",
            "1",
            "--ram",
            "64",
            "--lang",
            "fr",
            "--report",
            str(out),
            "--json",
        ]
    )
    assert code == 0
    capsys.readouterr()
    # The command line printed in section 9 reproduces the report it sits in (a named GPU brings
    # its memory, bandwidth and formats from the GPU table).
    assert out.read_text(encoding="utf-8") == report("rag_documents", "fr")


def test_table_cell_escapes_pipes_and_newlines() -> None:
    assert table_cell("a|b\nc") == "a\\|b c"


# --- helpers ----------------------------------------------------------------------------------------


def section(text: str, number: int | str) -> str:
    """A numbered section (1-7), an appendix (A-C), or 0 for the one-page « At a glance »."""
    head = r"(?:At a glance|En bref)" if number == 0 else rf"{number}\. "
    match = re.search(rf"^## {head}.*?(?=^## |\Z)", text, flags=re.M | re.S)
    assert match, f"no section {number}"
    return match.group(0)


def strip_code(text: str) -> str:
    return re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)


def code_blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", text, flags=re.M | re.S)


def split_row(row: str) -> list[str]:
    inner = row.strip()
    assert inner.startswith("|") and inner.endswith("|"), row
    return re.split(r"(?<!\\)\|", inner[1:-1])


def markdown_tables(text: str) -> list[list[str]]:
    tables: list[list[str]] = []
    current: list[str] = []
    for line in strip_code(text).splitlines() + [""]:
        if line.startswith("|"):
            current.append(line)
        elif current:
            tables.append(current)
            current = []
    return tables


def proper_names(rec: Recommendation) -> list[str]:
    """Words that stay the same in both languages: approach, model, GPU and source names."""
    names = [approach_name(a).get(lang) for a in APPROACHES for lang in LANGS]
    names += [gpu.name for gpu in rec.hardware.gpus]
    kb = load_knowledge_base()
    names += [source.title for source in kb.meta.sources.values()]
    names += [source.locator for source in kb.meta.sources.values()]
    from advisor.quantization import get_quantization, quantization_names

    names += [get_quantization(q).label for q in quantization_names()]  # format names, e.g. "BF16 (16-bit brain float)"
    names += ["SDPA / flash attention"]
    model = rec.model
    if model is not None:
        for option in [model.chosen, *model.runner_ups]:
            names += [option.name, option.id]
    return sorted(names, key=len, reverse=True)


def sentences(text: str, names: list[str]) -> set[str]:
    """Sentences of running text: code, ids, names and numbers removed, three words or more."""
    text = strip_code(text)
    text = re.sub(r"`[^`]*`", " ", text)
    for name in names:
        text = text.replace(name, " ")
    text = re.sub(r"\b[A-Z][A-Z0-9]*(-[A-Z0-9]+)+\b", " ", text)  # rule ids
    text = re.sub(r"[\d\u202f.,%×−+-]+", " ", text)
    out = set()
    for piece in re.split(r"[.!?:;|\n]", text):
        words = re.findall(r"[^\W\d_]+", piece)
        if len(words) >= 3:
            out.add(" ".join(words).lower())
    return out
