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
