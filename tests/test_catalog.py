"""The model catalog: it loads, its facts hang together, bad files are refused with located errors,
and ``advisor catalog list|show|validate`` print data on stdout with documented exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

import advisor
from advisor.catalog import (
    BUILTIN_CATALOG,
    KINDS,
    Catalog,
    CatalogEntry,
    clear_cache,
    load_catalog,
    merge_catalogs,
    models,
    parse_catalog_file,
)
from advisor.cli import main
from advisor.errors import ExitCode, InputError, InputErrors

CATALOG = load_catalog()


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def raw_entry(model_id: str = "Qwen/Qwen2.5-7B-Instruct") -> dict:
    """A valid entry as the YAML holds it, to be broken on purpose."""
    return CATALOG.get(model_id).model_dump(mode="json", exclude_none=True)


def write_catalog(tmp_path: Path, entries: list[dict], version: str = "test.1") -> Path:
    path = tmp_path / "catalog.yaml"
    text = yaml.safe_dump({"version": version, "models": entries}, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def errors_of(path: Path) -> list[InputError]:
    with pytest.raises(InputError) as info:
        parse_catalog_file(path)
    return info.value.errors if isinstance(info.value, InputErrors) else [info.value]


# ------------------------------------------------------------------ the built-in catalog


def test_builtin_catalog_size_and_coverage() -> None:
    assert len(CATALOG) >= 45
    assert CATALOG.version and CATALOG.sources == [str(BUILTIN_CATALOG)]
    assert {entry.kind for entry in CATALOG.entries} == set(KINDS)
    assert len(models("embedding")) >= 4
    assert sum(entry.french_support == "strong" for entry in CATALOG.entries) >= 4


@pytest.mark.parametrize(
    "model_id",
    [
        "meta-llama/Llama-2-7b-chat-hf",
        "meta-llama/Llama-3.1-8B-Instruct",
        "meta-llama/Llama-3.3-70B-Instruct",
        "meta-llama/Llama-3.2-1B-Instruct",
        "mistralai/Mistral-7B-Instruct-v0.3",
        "mistralai/Mixtral-8x7B-Instruct-v0.1",
        "mistralai/Mistral-Nemo-Instruct-2407",
        "tiiuae/falcon-7b-instruct",
        "bigscience/bloom-560m",
        "google/gemma-2-9b-it",
        "google/gemma-3-27b-it",
        "Qwen/Qwen2.5-72B-Instruct",
        "Qwen/Qwen3-30B-A3B",
        "microsoft/phi-4",
        "HuggingFaceTB/SmolLM2-135M-Instruct",
        "allenai/OLMo-2-1124-13B-Instruct",
        "openai/gpt-oss-20b",
        "openai/gpt-oss-120b",
        "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B",
        "croissantllm/CroissantLLMChat-v0.1",
        "OpenLLM-France/Lucie-7B-Instruct-v1.1",
        "google-bert/bert-base-uncased",
        "FacebookAI/roberta-base",
        "distilbert/distilbert-base-uncased",
        "almanach/camembert-base",
        "google/flan-t5-base",
        "facebook/bart-large-cnn",
        "state-spaces/mamba-1.4b-hf",
        "ai21labs/AI21-Jamba-1.5-Mini",
        "BAAI/bge-m3",
        "intfloat/multilingual-e5-large-instruct",
    ],
)
def test_families_the_guide_names_are_present(model_id: str) -> None:
    assert model_id in CATALOG


def test_published_figures_we_rely_on() -> None:
    # Counts published with the models (safetensors metadata, model cards); test_catalog_params
    # proves the configs rebuild to these, this proves the figures themselves were not edited.
    assert CATALOG.get("meta-llama/Llama-3.1-8B-Instruct").total_params == 8_030_261_248
    assert CATALOG.get("Qwen/Qwen2.5-7B-Instruct").total_params == 7_615_616_512
    assert CATALOG.get("mistralai/Mistral-7B-Instruct-v0.3").total_params == 7_248_023_552
    qwen_moe = CATALOG.get("Qwen/Qwen3-30B-A3B")
    assert qwen_moe.config["moe_intermediate_size"] == 768
    assert (qwen_moe.config["num_experts"], qwen_moe.config["num_experts_per_tok"]) == (128, 8)


def test_moe_entries_and_only_they_have_active_params() -> None:
    for entry in CATALOG.entries:
        config = entry.text_config
        experts = config.get("num_local_experts") or config.get("num_experts") or config.get("n_routed_experts")
        has_experts = bool(experts)
        assert has_experts == entry.is_moe, entry.id
        if entry.is_moe:
            assert entry.active_params < entry.total_params // 2, entry.id
            assert entry.params_per_token == entry.active_params


@pytest.mark.parametrize("model_type", ["qwen3", "qwen3_moe", "gemma2", "gemma3_text", "gpt_oss"])
def test_families_with_explicit_head_dim_state_it(model_type: str) -> None:
    # These families set head_dim apart from hidden_size / heads (the classic KV-cache pitfall).
    entries = [e for e in CATALOG.entries if e.text_config["model_type"] == model_type]
    assert entries
    for entry in entries:
        assert "head_dim" in entry.text_config, entry.id


def test_context_fits_positions_and_languages_match_french_level() -> None:
    for entry in CATALOG.entries:
        positions = entry.text_config.get("max_position_embeddings")
        if positions is not None:
            assert entry.context_length <= positions, entry.id
        if entry.french_support in ("good", "strong"):
            assert "fr" in entry.languages, entry.id
        if entry.french_support == "none":
            assert "fr" not in entry.languages, entry.id


def test_restricted_licences_are_explained() -> None:
    for entry in CATALOG.entries:
        if not entry.licence.commercial_use:
            assert entry.notes is not None, f"{entry.id}: say why commercial use is not allowed"
    assert CATALOG.get("Qwen/Qwen2.5-3B-Instruct").licence.commercial_use is False
    assert CATALOG.get("Qwen/Qwen2.5-7B-Instruct").licence.commercial_use is True


def test_embedding_models_serve_retrieval() -> None:
    for entry in models(kind="embedding"):
        assert "document_qa" in entry.tasks and not entry.instruct


def test_public_api_and_kind_filter() -> None:
    assert advisor.models() == CATALOG.entries
    assert all(entry.kind == "encoder" for entry in advisor.models(kind="encoder"))
    with pytest.raises(InputError, match="did you mean 'embedding'"):
        models(kind="embeding")


def test_get_is_forgiving_and_unknown_ids_suggest() -> None:
    entry = CATALOG.get("qwen/qwen3-8b")
    assert entry.id == "Qwen/Qwen3-8B"
    assert CATALOG.get("Qwen3-8B") is entry  # the name alone, when it is unambiguous
    assert CATALOG.find("nobody/nothing") is None and "nobody/nothing" not in CATALOG
    with pytest.raises(InputError) as info:
        CATALOG.get("Qwen/Qwen3-8B-Instruct")
    assert "'Qwen/Qwen3-8B'" in str(info.value) and "did you mean" in str(info.value)
    assert info.value.exit_code == ExitCode.INPUT


def test_load_is_cached_fast_and_imports_nothing_heavy() -> None:
    assert load_catalog() is load_catalog()
    start = time.perf_counter()
    for _ in range(1000):
        load_catalog()
    assert (time.perf_counter() - start) / 1000 < 0.005
    code = (
        "import sys, advisor.catalog as c; c.load_catalog(); heavy = ('torch', 'transformers', "
        "'accelerate', 'textual'); print(sorted(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "[]"


def test_load_other_file_and_clear_cache(tmp_path: Path) -> None:
    path = write_catalog(tmp_path, [raw_entry()])
    first = load_catalog(path)
    assert [e.id for e in first.entries] == ["Qwen/Qwen2.5-7B-Instruct"] and first.version == "test.1"
    assert load_catalog(path) is first
    write_catalog(tmp_path, [raw_entry(), raw_entry("BAAI/bge-m3")], version="test.2")
    assert load_catalog(path) is first  # cached until told otherwise
    clear_cache()
    assert load_catalog(path).version == "test.2"


def test_merge_overlay_replaces_and_adds() -> None:
    mine = raw_entry("Qwen/Qwen2.5-7B-Instruct") | {"quality_tier": 5}
    new = raw_entry("BAAI/bge-m3") | {"id": "acme/internal-embedder", "name": "ACME embedder"}
    overlay = Catalog(
        version="user.1", entries=[CatalogEntry.model_validate(e) for e in (mine, new)], sources=["user.yaml"]
    )
    merged = merge_catalogs(CATALOG, overlay)
    assert len(merged) == len(CATALOG) + 1
    assert merged.get("Qwen/Qwen2.5-7B-Instruct").quality_tier == 5
    assert merged.get("acme/internal-embedder").name == "ACME embedder"
    assert merged.version == f"{CATALOG.version}+user.1" and merged.sources[-1] == "user.yaml"


# ------------------------------------------------------------------ bad catalog files


def test_unknown_quantization_names_file_entry_field_and_suggests(tmp_path: Path) -> None:
    entry = raw_entry() | {"quantized_formats": ["gguf-q8_0", "gguf-q4_k_s"]}
    (error,) = errors_of(write_catalog(tmp_path, [entry]))
    assert error.file == str(tmp_path / "catalog.yaml")
    assert error.entry == "Qwen/Qwen2.5-7B-Instruct"
    assert error.field == "quantized_formats[1]"
    assert "did you mean 'gguf-q4_k_m'" in error.message and "allowed:" in error.message


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    bad_active = raw_entry("Qwen/Qwen3-30B-A3B") | {"active_params": 40_000_000_000}
    typo = raw_entry("BAAI/bge-m3")
    typo["contxt_length"] = typo.pop("context_length")
    no_type = raw_entry("microsoft/phi-4")
    del no_type["config"]["model_type"]
    bad_lang = raw_entry("google/gemma-2-9b-it") | {"languages": ["en", "french"], "french_support": "great"}
    errors = errors_of(write_catalog(tmp_path, [bad_active, typo, no_type, bad_lang]))
    located = {(e.entry, e.field): e.message for e in errors}
    assert "exceeds total_params" in located[("Qwen/Qwen3-30B-A3B", None)]
    assert "did you mean 'context_length'" in located[("BAAI/bge-m3", "contxt_length")]
    assert "required" in located[("BAAI/bge-m3", "context_length")]
    assert "model_type" in located[("microsoft/phi-4", "config")]
    assert "ISO 639" in located[("google/gemma-2-9b-it", "languages")]
    assert "allowed: none, basic, good, strong" in located[("google/gemma-2-9b-it", "french_support")]


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    twin = raw_entry() | {"id": "qwen/qwen2.5-7b-instruct"}
    (error,) = errors_of(write_catalog(tmp_path, [raw_entry(), twin]))
    assert error.field == "id" and "2 times" in error.message


def test_entries_without_a_usable_id_are_located_by_position(tmp_path: Path) -> None:
    no_id = raw_entry()
    del no_id["id"]
    errors = errors_of(write_catalog(tmp_path, [raw_entry("BAAI/bge-m3"), no_id]))
    assert [(e.entry, e.field) for e in errors] == [("models[1]", "id")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("version: '1'\nmodels: [\n", "YAML syntax error"),
        ("- just a list\n", "mapping with 'version' and 'models'"),
        ("version: '1'\nmodels: []\n", "non-empty list of models"),
        ("versoin: '1'\nmodels: []\n", "did you mean 'version'"),
    ],
)
def test_malformed_files(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_text(text, encoding="utf-8")
    messages = " | ".join(str(e) for e in errors_of(path))
    assert expected in messages and str(path) in messages


# ------------------------------------------------------------------ the CLI


def test_cli_list_table_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "catalog", "list")
    assert code == ExitCode.OK and err == ""
    assert "Qwen/Qwen3-30B-A3B" in out and "3.4B" in out and "active" in out  # full ids on piped output

    code, out, _ = run(capsys, "catalog", "list", "--kind", "embedding", "--json")
    data = json.loads(out)
    assert code == ExitCode.OK
    assert set(data) == {"version", "count", "models"} and data["count"] == len(data["models"]) >= 4
    assert {m["kind"] for m in data["models"]} == {"embedding"}
    first = data["models"][0]
    assert {"id", "total_params", "config", "licence", "french_support", "quantized_formats"} <= set(first)
    assert CatalogEntry.model_validate(first).id == first["id"]


def test_cli_show(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "catalog", "show", "openai/gpt-oss-20b", "--json")
    assert code == ExitCode.OK
    assert json.loads(out) == CATALOG.get("openai/gpt-oss-20b").model_dump(mode="json")

    code, out, _ = run(capsys, "--lang", "fr", "catalog", "show", "Qwen/Qwen3-30B-A3B")
    assert code == ExitCode.OK
    assert "Mélange d'experts" in out and "moe_intermediate_size" in out
    assert "30\u202f532\u202f122\u202f624" in out  # French digit grouping


def test_cli_show_unknown_model(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "catalog", "show", "meta-llama/Llama-3.1-8B-Chat")
    assert code == ExitCode.INPUT and out == ""
    assert "did you mean" in err and "meta-llama/Llama-3.1-8B-Instruct" in err and "Traceback" not in err


def test_cli_validate_builtin_and_bad_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "catalog", "validate")
    assert code == ExitCode.OK and f"{len(CATALOG)} models" in out

    path = write_catalog(tmp_path, [raw_entry() | {"quality_tier": 9}])
    code, out, err = run(capsys, "catalog", "validate", str(path))
    assert code == ExitCode.INPUT and out == ""
    assert str(path) in err and "Qwen/Qwen2.5-7B-Instruct" in err and "quality_tier" in err

    code, out, _ = run(capsys, "catalog", "validate", str(path), "--json")
    data = json.loads(out)
    assert code == ExitCode.INPUT and data["valid"] is False
    first = data["errors"][0]
    assert (first["entry"], first["field"]) == ("Qwen/Qwen2.5-7B-Instruct", "quality_tier")

    code, out, _ = run(capsys, "catalog", "validate", "--json")
    assert code == ExitCode.OK and json.loads(out)["count"] == len(CATALOG)

    code, _, err = run(capsys, "catalog", "validate", str(tmp_path / "missing.yaml"))
    assert code == ExitCode.INPUT and "file not found" in err
