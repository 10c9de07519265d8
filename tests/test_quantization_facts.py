"""How each format loads lives in data/quantizations.yaml only: the smoke test and the report read it there."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from advisor.quantization import (
    TransformersLoad,
    load_quantizations,
    loaded_on_the_fly,
    needs_cuda_to_load,
    prequantized_name,
)


def test_every_format_transformers_runs_says_how_it_loads() -> None:
    for q in load_quantizations().quantizations:
        runs_in_transformers = "transformers" in q.engines
        assert (q.transformers_load is not None) is runs_in_transformers, q.name


def test_formats_made_from_plain_weights_and_those_needing_cuda() -> None:
    assert set(loaded_on_the_fly()) == {"fp32", "bf16", "fp16", "int8", "nf4", "nf4-dq"}
    assert {n for n in loaded_on_the_fly() if needs_cuda_to_load(n)} == {"int8", "nf4", "nf4-dq"}


@pytest.mark.parametrize(
    ("method", "bits", "name"),
    [("awq", 4, "awq-int4"), ("gptq", 4, "gptq-int4"), ("gptq", 8, "gptq-int8"), ("mxfp4", None, "mxfp4"),
     ("fp8", None, "fp8"), ("gptq", 3, None), ("hqq", 4, None)],
)  # fmt: skip
def test_a_checkpoint_config_names_its_format(method: str, bits: int | None, name: str | None) -> None:
    assert prequantized_name(method, bits) == name


def test_a_load_must_carry_what_its_kind_needs() -> None:
    with pytest.raises(ValidationError, match="needs bnb"):
        TransformersLoad(kind="bitsandbytes")
    with pytest.raises(ValidationError, match="needs quant_method"):
        TransformersLoad(kind="prequantized")
