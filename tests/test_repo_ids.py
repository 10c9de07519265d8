"""Repo ids: the restated rules agree with huggingface_hub's own validator, edge by edge."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.repo_ids import is_valid_repo_id, validate_with_hub

EDGES = [
    "Qwen/Qwen3-8B",
    "Qwen/Qwen3-8B-",  # ends on '-': refused by the Hub, accepted by the old local regexes
    "Qwen/Qwen3-8B.",
    "Qwen/.Qwen3",
    "a/b",
    "gpt2",
    "a/b/c",
    "../x",
    "a--b/c",
    "a/b..c",
    "org/model.git",
    "org/" + "m" * 96,
    "org/" + "m" * 97,
    "org/café",
    "",
    "/name",
    "org/",
]


@pytest.mark.parametrize("text", EDGES)
def test_edges_agree_with_huggingface_hub(text: str) -> None:
    assert is_valid_repo_id(text, namespace_required=False) is validate_with_hub(text)


def test_catalog_ids_need_an_owner() -> None:
    assert is_valid_repo_id("gpt2", namespace_required=False)
    assert not is_valid_repo_id("gpt2")
    assert is_valid_repo_id("openai-community/gpt2")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab-._/é1", min_size=0, max_size=12))
def test_generated_ids_agree_with_huggingface_hub(text: str) -> None:
    assert is_valid_repo_id(text, namespace_required=False) is validate_with_hub(text)
