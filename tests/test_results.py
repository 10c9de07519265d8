"""The typed results: what every view reads must survive JSON and say its type in the schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

import advisor
from advisor.results import ModelChoice, Recommendation, SmokeResult

EXAMPLES = sorted(Path(__file__).resolve().parent.parent.joinpath("examples").glob("*.yaml"))
HARDWARE = [
    {"gpus": [], "ram_gb": 32},
    {"gpus": [{"name": "RTX 4090", "vram_gb": 24}], "ram_gb": 64},
]


@pytest.mark.parametrize("hardware", HARDWARE, ids=["cpu-32", "gpu-24"])
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_json_round_trip_gives_back_an_equal_recommendation(example: Path, hardware: dict[str, Any]) -> None:
    rec = advisor.recommend(example, hardware=hardware)
    back = Recommendation.model_validate_json(rec.model_dump_json())
    assert back == rec
    if rec.approach != "no-llm" and rec.model is not None:
        assert isinstance(back.model, ModelChoice) and back.model.chosen.id == rec.model.chosen.id
        assert back.memory is not None and back.memory.total_bytes == rec.memory.total_bytes  # type: ignore[union-attr]


def _untyped(node: Any, path: str = "") -> list[str]:
    """Properties of a JSON schema that say nothing about their type."""
    found: list[str] = []
    if isinstance(node, dict):
        for name, prop in node.get("properties", {}).items():
            if not any(key in prop for key in ("type", "$ref", "anyOf", "allOf", "oneOf", "enum", "const")):
                found.append(f"{path}.{name}")
        for key, value in node.items():
            found += _untyped(value, f"{path}/{key}")
    elif isinstance(node, list):
        for value in node:
            found += _untyped(value, path)
    return found


@pytest.mark.parametrize("model", [Recommendation, SmokeResult])
def test_the_json_schema_types_every_field(model: type) -> None:
    assert _untyped(model.model_json_schema()) == []


def test_the_schema_check_sees_an_untyped_field() -> None:
    """The check above can fail: a field declared Any has no type in the schema."""
    from pydantic import create_model

    loose = create_model("Loose", anything=(Any, None))
    assert _untyped(loose.model_json_schema()) == [".anything"]


def test_the_recommendation_is_validated_when_built() -> None:
    rec = advisor.recommend(EXAMPLES[0], hardware=HARDWARE[1])
    data = rec.model_dump()
    data["model"] = {"id": "not-a-plan"}
    with pytest.raises(ValidationError, match="chosen"):
        Recommendation.model_validate(data)
    data = rec.model_dump()
    data["smoke"] = 3
    with pytest.raises(ValidationError, match="smoke"):
        Recommendation.model_validate(data)
