"""Facts that change a plan: licence terms beyond commercial use, the release format, the repo ids
of published conversions, thinking behaviour. Every id, code and term in the catalog is well formed."""

from __future__ import annotations

import re

import pytest

from advisor.catalog import QUANTIZATIONS, CatalogEntry, load_catalog
from advisor.questionnaire import language_codes

CATALOG = load_catalog()
REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,95}/[A-Za-z0-9][A-Za-z0-9_.\-]{0,95}$")


def entry(model_id: str = "Qwen/Qwen2.5-7B-Instruct", **changes: object) -> CatalogEntry:
    raw = CATALOG.get(model_id).model_dump(mode="json", exclude_none=True)
    return CatalogEntry.model_validate(raw | changes)


# ------------------------------------------------------------------ well formed, catalog-wide


def test_every_repo_id_licence_id_and_language_code_is_well_formed() -> None:
    codes = language_codes()
    repos = 0
    for e in CATALOG.entries:
        assert REPO_ID.match(e.id), e.id
        assert re.match(r"^[a-z0-9][a-z0-9.\-]*$", e.licence.id), (e.id, e.licence.id)
        for code in [*e.languages, *e.language_quality]:
            assert code in codes and len(code) == 2, (e.id, code)
        for fmt, repo in e.quantized_repos.items():
            assert fmt in QUANTIZATIONS and REPO_ID.match(repo) and repo != e.id, (e.id, fmt, repo)
            assert "<" not in repo and "placeholder" not in repo.lower(), (e.id, repo)
            repos += 1
    assert repos >= 10, "the catalog is expected to name published conversions"


def test_quantized_repos_name_their_format() -> None:
    # An AWQ repo named for GPTQ, or a GGUF repo under an fp8 key, would send users to the wrong file.
    markers = {"awq": "awq", "gptq": "gptq", "gguf": "gguf", "fp8": "fp8"}
    for e in CATALOG.entries:
        for fmt, repo in e.quantized_repos.items():
            marker = next((m for key, m in markers.items() if fmt.startswith(key)), None)
            if marker is not None:
                assert marker in repo.lower(), (e.id, fmt, repo)


def test_french_texts_use_french_typography() -> None:
    for e in CATALOG.entries:
        for text in (e.notes, e.thinking_switch):
            if text is not None:
                assert not re.search(r" [:;?!]", text.fr), (e.id, text.fr)


# ------------------------------------------------------------------ the schema refuses bad facts


def test_a_repo_for_an_unlisted_format_is_refused() -> None:
    with pytest.raises(ValueError, match="missing from quantized_formats"):
        entry("Qwen/Qwen2.5-7B-Instruct", quantized_repos={"fp8": "Qwen/Qwen2.5-7B-Instruct-FP8"})
    with pytest.raises(ValueError, match="not a Hub repo id"):
        entry("Qwen/Qwen2.5-7B-Instruct", quantized_repos={"awq-int4": "<awq-repo>"})
    assert entry("openai/gpt-oss-20b").release_format == "mxfp4"


def test_licence_terms_need_a_source_and_a_known_territory() -> None:
    licence = {"id": "llama4", "commercial_use": True, "gated": True}
    with pytest.raises(ValueError, match="terms_source"):
        entry(licence=licence | {"monthly_active_user_cap": 700_000_000})
    with pytest.raises(ValueError, match="known territory"):
        entry(licence=licence | {"excluded_territories": ["Europe"], "terms_source": "use policy"})
    ok = entry(licence=licence | {"excluded_territories": ["EU"], "terms_source": "Llama 4 use policy"})
    assert ok.licence.excluded_territories == ["EU"]


def test_thinking_switch_needs_a_thinking_model() -> None:
    switch = {"en": "enable_thinking=False", "fr": "enable_thinking=False"}
    with pytest.raises(ValueError, match="thinking_switch"):
        entry(thinking="none", thinking_switch=switch)
    assert entry(thinking="hybrid", thinking_switch=switch).thinking == "hybrid"


# ------------------------------------------------------------------ the facts themselves


def test_meta_licences_carry_the_user_cap() -> None:
    meta = [e for e in CATALOG.entries if e.id.startswith("meta-llama/")]
    assert meta
    for e in meta:
        assert e.licence.monthly_active_user_cap == 700_000_000 and e.licence.terms_source, e.id


def test_thinking_behaviour_of_known_families() -> None:
    assert CATALOG.get("Qwen/Qwen3-8B").thinking == "hybrid"
    assert "enable_thinking" in CATALOG.get("Qwen/Qwen3-8B").thinking_switch.en
    assert CATALOG.get("deepseek-ai/DeepSeek-R1-Distill-Qwen-7B").thinking == "always"
    assert CATALOG.get("openai/gpt-oss-120b").thinking == "always"


def test_small_reasoning_distill_is_not_offered_for_code() -> None:
    assert "code_generation" not in CATALOG.get("deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B").tasks
    assert "code_generation" in CATALOG.get("deepseek-ai/DeepSeek-R1-Distill-Qwen-7B").tasks


def test_gpt_oss_gguf_note_says_experts_stay_mxfp4() -> None:
    for model_id in ("openai/gpt-oss-20b", "openai/gpt-oss-120b"):
        notes = CATALOG.get(model_id).notes
        assert notes is not None and "MXFP4" in notes.en and "MXFP4" in notes.fr and "GGUF" in notes.en
