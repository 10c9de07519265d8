"""Per-task quality in the catalog: the schema refuses unsourced or out-of-scale scores, the accessor
applies its language rule, and every figure in the built-in catalog has a benchmark, a date and a source."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from advisor.catalog import QUALITY_TASKS, CatalogEntry, load_catalog, parse_catalog_file
from advisor.errors import InputError, InputErrors

CATALOG = load_catalog()


def figure(**changes: object) -> dict:
    base = {"benchmark": "MMLU (5-shot)", "value": 74.2, "date": "2024-09", "source": "Qwen2.5 model card"}
    return base | changes


def rated(score: float = 60.0, **changes: object) -> dict:
    return {"score": score, "figures": [figure(**changes)]}


def entry(**changes: object) -> CatalogEntry:
    raw = CATALOG.get("Qwen/Qwen2.5-7B-Instruct").model_dump(mode="json", exclude_none=True)
    raw.pop("quality", None)
    raw.pop("language_quality", None)
    return CatalogEntry.model_validate(raw | changes)


def errors_of(tmp_path: Path, raw: dict) -> list[InputError]:
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump({"version": "t", "models": [raw]}, sort_keys=False), encoding="utf-8")
    with pytest.raises(InputError) as info:
        parse_catalog_file(path)
    return info.value.errors if isinstance(info.value, InputErrors) else [info.value]


# ------------------------------------------------------------------ the schema


def test_quality_tasks_are_the_contract() -> None:
    assert QUALITY_TASKS == ("general", "code", "reasoning", "long_context", "instruction_following")


@pytest.mark.parametrize("score", [0, 0.0, 55.5, 100])
def test_scores_on_the_scale_are_accepted(score: float) -> None:
    assert entry(quality={"general": rated(score)}).quality_score("general") == score


@pytest.mark.parametrize("score", [-0.1, 100.1, 250])
def test_scores_off_the_scale_are_refused(tmp_path: Path, score: float) -> None:
    raw = entry().model_dump(mode="json", exclude_none=True) | {"quality": {"code": rated(score)}}
    (error,) = errors_of(tmp_path, raw)
    assert error.entry == "Qwen/Qwen2.5-7B-Instruct" and "quality" in error.field and "score" in error.field


def test_a_score_needs_a_sourced_dated_figure(tmp_path: Path) -> None:
    base = entry().model_dump(mode="json", exclude_none=True)
    cases = {
        "figures": {"general": {"score": 50, "figures": []}},
        "source": {"general": {"score": 50, "figures": [{k: v for k, v in figure().items() if k != "source"}]}},
        "date": {"general": {"score": 50, "figures": [{k: v for k, v in figure().items() if k != "date"}]}},
    }
    for field, quality in cases.items():
        (error,) = errors_of(tmp_path, base | {"quality": quality})
        assert field in error.field, (field, error.field)
    for bad_date in ("2024", "2024-13", "last year", "2024-02-30x"):
        (error,) = errors_of(tmp_path, base | {"quality": {"general": rated(date=bad_date)}})
        assert "date" in error.field and "not a date" in error.message
    entry(quality={"general": rated(date="2024-09-19")})  # a full day is fine too


def test_unknown_task_and_language_are_refused(tmp_path: Path) -> None:
    base = entry().model_dump(mode="json", exclude_none=True)
    (error,) = errors_of(tmp_path, base | {"quality": {"chat": rated()}})
    assert "quality" in error.field
    (error,) = errors_of(tmp_path, base | {"language_quality": {"french": rated()}})
    assert "language_quality" in error.field and "ISO 639-1" in error.message


def test_tier_and_its_source_go_together() -> None:
    with pytest.raises(ValueError, match="go together"):
        entry(quality_tier=None, quality_source="model card")
    with pytest.raises(ValueError, match="go together"):
        entry(quality_tier=3, quality_source=None)
    unrated = entry(quality_tier=None, quality_source=None)
    assert not unrated.is_rated and unrated.quality_score("general") is None


# ------------------------------------------------------------------ the accessor


def test_quality_score_language_rule() -> None:
    model = entry(
        quality={"general": rated(70), "code": rated(40)},
        language_quality={"fr": rated(55), "de": rated(80), "en": rated(10)},
    )
    assert model.quality_score("general") == 70
    assert model.quality_score("general", ["en"]) == 70  # English is the reference, never a cap
    assert model.quality_score("general", ["fr"]) == 55  # French measured lower: capped
    assert model.quality_score("general", ["de"]) == 70  # measured higher: unchanged, never raised
    assert model.quality_score("code", ["fr"]) == 40  # already below French
    assert model.quality_score("general", ["fr", "de"]) == 55
    assert model.quality_score("general", ["it"]) == 70  # no figure for Italian: the filter's job
    assert model.quality_score("reasoning", ["fr"]) is None  # not rated for the task


# ------------------------------------------------------------------ the normalisation rule


def fig(benchmark: str, value: float):
    from advisor.catalog import QualityFigure

    return QualityFigure(benchmark=benchmark, value=value, date="2025-05", source="test")


def test_anchor_names_are_exact() -> None:
    from advisor.catalog.quality import is_anchor, is_language_anchor

    assert is_anchor("general", "MMLU-Redux") and is_anchor("general", "MMLU-Redux (thinking mode)")
    assert not is_anchor("general", "MMLU") and not is_anchor("general", "MMLU-Pro")
    assert is_anchor("reasoning", "MATH") and is_anchor("reasoning", "MATH-500 (thinking mode)")
    assert not is_anchor("reasoning", "MATHVista")
    assert is_anchor("code", "LiveCodeBench v5") and not is_anchor("code", "HumanEval")
    assert is_language_anchor("MMMLU (fr)") and is_language_anchor("MMLU 5-shot (fr)")
    for other in ("MMLU-Pro", "MMLU-ProX (fr)", "Global-MMLU-Lite (fr)"):
        assert not is_language_anchor(other), other


def test_chance_correction_on_both_sides() -> None:
    from advisor.catalog.quality import normalise, task_score

    assert normalise("general", 25.0) == 0.0  # chance on four options
    assert normalise("general", 100.0) == 100.0
    assert normalise("general", 62.5) == 50.0
    assert normalise("general", 10.0) == 0.0  # below chance is clipped, never negative
    assert normalise("code", 31.3) == 31.3  # no chance level for generated programs
    assert task_score("general", [fig("MMLU-Redux", 85.0), fig("MMLU-Redux", 70.0)]) == 70.0  # mean of 80 and 60
    with pytest.raises(ValueError, match="not the anchor"):
        task_score("general", [fig("MMLU-Pro", 70.0)])


def test_language_score_uses_translated_mmlu() -> None:
    from advisor.catalog.quality import language_score

    assert language_score([fig("MMMLU (fr)", 77.5)]) == 70.0
    assert language_score([fig("MMMLU (fr)", 20.0)]) == 0.0
    with pytest.raises(ValueError, match="translated MMLU"):
        language_score([fig("MMLU-ProX (fr)", 50.0)])


# ------------------------------------------------------------------ the built-in catalog


def test_every_figure_has_benchmark_value_date_and_source() -> None:
    figures = [
        (e.id, f)
        for e in CATALOG.entries
        for q in [*e.quality.values(), *e.language_quality.values()]
        for f in q.figures
    ]
    assert len(figures) >= 80, "the built-in catalog is expected to hold sourced quality figures"
    for model_id, f in figures:
        assert f.benchmark.strip() and f.source.strip() and len(f.source) >= 10, model_id
        assert f.date.startswith("20") and len(f.date) in (7, 10), model_id


def test_every_score_is_what_the_rule_computes_from_its_figures() -> None:
    from advisor.catalog.quality import language_score, task_score

    checked = 0
    for e in CATALOG.entries:
        for task, rated in e.quality.items():
            assert rated.score == task_score(task, rated.figures), (e.id, task)
            checked += 1
        for code, rated in e.language_quality.items():
            assert rated.score == language_score(rated.figures), (e.id, code)
            checked += 1
    assert checked >= 100


def test_rated_models_order_as_the_sources_do() -> None:
    # Cross-family comparisons the scale must keep (same harness, Qwen3 report tables 16 and 18).
    score = {e.id: e.quality_score("general") for e in CATALOG.entries}
    assert score["google/gemma-3-27b-it"] > score["google/gemma-3-12b-it"] > score["meta-llama/Llama-3.1-8B-Instruct"]
    assert score["Qwen/Qwen3-8B"] > score["Qwen/Qwen2.5-7B-Instruct"]
    code = CATALOG.get("Qwen/Qwen3-32B").quality_score("code")
    assert code is not None and code > CATALOG.get("Qwen/Qwen3-8B").quality_score("code")


def test_generative_models_teams_use_are_rated_for_general_use() -> None:
    for model_id in (
        "Qwen/Qwen3-8B",
        "google/gemma-3-27b-it",
        "meta-llama/Llama-3.1-8B-Instruct",
        "microsoft/phi-4",
        "Qwen/Qwen2.5-72B-Instruct",
    ):
        assert CATALOG.get(model_id).quality_score("general") is not None, model_id


def test_french_caps_a_model_weaker_in_french() -> None:
    qwen = CATALOG.get("Qwen/Qwen3-4B")
    general, french = qwen.quality_score("general"), qwen.language_quality["fr"].score
    assert french < general and qwen.quality_score("general", ["fr"]) == french


def test_catalog_header_documents_the_scale() -> None:
    from advisor.catalog import BUILTIN_CATALOG

    header = BUILTIN_CATALOG.read_text(encoding="utf-8").split("\nmodels:", 1)[0]
    for words in ("0-100", "quality_score", "language_quality", "chance", "MMLU-Redux", "unrated"):
        assert words in header, words
