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


@pytest.mark.parametrize(
    "model_id",
    [
        "Qwen/Qwen3-4B-Instruct-2507",
        "Qwen/Qwen3-4B-Thinking-2507",
        "Qwen/Qwen3-30B-A3B-Instruct-2507",
        "Qwen/Qwen3-30B-A3B-Thinking-2507",
        "Qwen/Qwen3-235B-A22B-Instruct-2507",
        "Qwen/Qwen3-Coder-30B-A3B-Instruct",
        "Qwen/Qwen2.5-Coder-7B-Instruct",
        "Qwen/Qwen2.5-Coder-14B-Instruct",
        "Qwen/Qwen2.5-Coder-32B-Instruct",
        "Qwen/Qwen3-8B-Base",
        "meta-llama/Llama-3.1-8B",
        "mistralai/Mistral-7B-v0.3",
        "deepseek-ai/DeepSeek-V3",
        "deepseek-ai/DeepSeek-R1",
        "Qwen/Qwen3-Embedding-4B",
        "Qwen/Qwen3-Embedding-8B",
        "HuggingFaceTB/SmolLM3-3B",
        "microsoft/Phi-4-reasoning",
    ],
)
def test_models_teams_deploy_in_late_2025_are_present(model_id: str) -> None:
    assert model_id in CATALOG


def test_2507_updates_have_their_native_context_and_thinking_mode() -> None:
    for model_id, thinking in (("Qwen/Qwen3-4B-Instruct-2507", "none"), ("Qwen/Qwen3-30B-A3B-Thinking-2507", "always")):
        e = CATALOG.get(model_id)
        assert e.context_length == e.config["max_position_embeddings"] == 262_144 and e.thinking == thinking
    assert CATALOG.get("Qwen/Qwen3-8B").context_length == 32_768  # the original Qwen3: 32,768 native


def test_base_checkpoints_are_not_instruct_and_match_their_chat_version() -> None:
    pairs = (
        ("Qwen/Qwen3-8B-Base", "Qwen/Qwen3-8B"),
        ("meta-llama/Llama-3.1-8B", "meta-llama/Llama-3.1-8B-Instruct"),
        ("mistralai/Mistral-7B-v0.3", "mistralai/Mistral-7B-Instruct-v0.3"),
        ("Qwen/Qwen3-30B-A3B-Base", "Qwen/Qwen3-30B-A3B"),
        ("meta-llama/Llama-3.2-3B", "meta-llama/Llama-3.2-3B-Instruct"),
        ("meta-llama/Llama-3.1-70B", "meta-llama/Llama-3.1-70B-Instruct"),
        ("google/gemma-3-27b-pt", "google/gemma-3-27b-it"),
    )
    for base, chat in pairs:
        b, c = CATALOG.get(base), CATALOG.get(chat)
        assert not b.instruct and c.instruct and b.total_params == c.total_params, base


def test_deepseek_v3_is_mla_and_published_in_fp8() -> None:
    e = CATALOG.get("deepseek-ai/DeepSeek-V3")
    assert e.config["kv_lora_rank"] == 512 and e.config["qk_rope_head_dim"] == 64  # the estimator caches the latent
    assert e.release_format == "fp8" and e.is_moe and 36e9 < e.active_params < 38e9
    assert e.quality_score("general") is not None


def test_translation_model_lists_breton() -> None:
    m2m = CATALOG.get("facebook/m2m100_418M")
    assert m2m.kind == "encoder-decoder" and m2m.tasks == ["translation"]
    assert {"fr", "br", "oc", "en"} <= set(m2m.languages) and len(m2m.languages) == 96
    assert m2m.total_params * 4 == 1_935_622_144  # the fp32 pytorch_model.bin is 1.94 GB


def test_nllb_is_non_commercial_and_has_no_breton() -> None:
    nllb = CATALOG.get("facebook/nllb-200-distilled-600M")
    assert not nllb.licence.commercial_use and nllb.licence.id == "cc-by-nc-4.0"
    assert "br" not in nllb.languages and {"fr", "oc"} <= set(nllb.languages)
    assert nllb.total_params * 4 == 2_460_295_168  # the fp32 pytorch_model.bin is 2.46 GB
