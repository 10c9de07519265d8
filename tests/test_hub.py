"""Any model, not only the catalog: Hub repos and local directories read into catalog entries.

The Hub is faked at the ``HfApi`` boundary (``model_info``, ``hf_hub_download``,
``get_safetensors_metadata``): the fakes return huggingface_hub's own objects built from answers
recorded in tests/fixtures/hub, and raise huggingface_hub's own error classes, constructed the way
the library constructs them. Nothing here touches the network.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest

from advisor.catalog import load_catalog
from advisor.cli import main
from advisor.errors import HubError, InputError
from advisor.sources.hub import (
    ModelFacts,
    entry_from_facts,
    hub_error,
    quantized_formats,
    read_directory,
    read_hub,
)

FIXTURES = Path(__file__).parent / "fixtures" / "hub"
TOKEN = "hf_" + "Zq8XwT3kLmN5pR7sV9yB2dF4gH6jK1cE"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# ---------------------------------------------------------------------------------------------
# The fake Hub


def _httpx() -> Any:
    from huggingface_hub import errors

    return importlib.import_module(errors.Response.__module__.split(".")[0])


def http_error(kind: str, status: int, repo_id: str, message: str) -> Exception:
    """A huggingface_hub HTTP error with a real response, as hf_raise_for_status builds it."""
    from huggingface_hub import errors

    httpx = _httpx()
    url = f"https://huggingface.co/api/models/{repo_id}"
    response = httpx.Response(status, request=httpx.Request("GET", url), headers={"x-request-id": "Root=1-abc"})
    return getattr(errors, kind)(message, response=response)


def gated_error(repo_id: str) -> Exception:
    return http_error(
        "GatedRepoError",
        403,
        repo_id,
        f"403 Client Error. (Request ID: Root=1-abc)\n\nCannot access gated repo for url "
        f"https://huggingface.co/{repo_id}/resolve/main/config.json.\nAccess to model {repo_id} is restricted "
        f"and you are not in the authorized list. Visit https://huggingface.co/{repo_id} to ask for access.",
    )


def missing_error(repo_id: str) -> Exception:
    return http_error(
        "RepositoryNotFoundError",
        404,
        repo_id,
        f"404 Client Error. (Request ID: Root=1-abc)\n\nRepository Not Found for url: "
        f"https://huggingface.co/api/models/{repo_id}.\nPlease make sure you specified the correct `repo_id` "
        "and `repo_type`.\nIf you are trying to access a private or gated repo, make sure you are authenticated.",
    )


def rate_limit_error(repo_id: str) -> Exception:
    return http_error(
        "HfHubHTTPError",
        429,
        repo_id,
        f"429 Client Error: Too Many Requests for url: https://huggingface.co/api/models/{repo_id}",
    )


class FakeHub:
    """Answers from tests/fixtures/hub; ``fail[(repo, call)]`` raises instead. Records every call."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        self.fail: dict[tuple[str, str], BaseException] = {}

    def _folder(self, repo_id: str) -> Path:
        folder = FIXTURES / repo_id.replace("/", "__")
        if not folder.is_dir():
            raise missing_error(repo_id)
        return folder

    def _record(self, call: str, repo_id: str, kwargs: dict[str, Any]) -> None:
        self.calls.append((call, repo_id, kwargs))
        error = self.fail.get((repo_id, call))
        if error is not None:
            raise error

    def model_info(self, repo_id: str, **kwargs: Any) -> Any:
        from huggingface_hub import ModelInfo

        self._record("model_info", repo_id, kwargs)
        return ModelInfo(**json.loads((self._folder(repo_id) / "model_info.json").read_text()))

    def hf_hub_download(self, repo_id: str, filename: str, **kwargs: Any) -> str:
        from huggingface_hub.errors import RemoteEntryNotFoundError

        self._record("hf_hub_download", repo_id, {"filename": filename, **kwargs})
        source = self._folder(repo_id) / filename
        if not source.is_file():
            httpx = _httpx()
            response = httpx.Response(404, request=httpx.Request("GET", f"https://huggingface.co/{repo_id}"))
            raise RemoteEntryNotFoundError(f"404 Client Error. Entry Not Found for url: {filename}", response=response)
        target = self.root / repo_id.replace("/", "__") / (kwargs.get("revision") or "main") / filename
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.read_bytes())
        return str(target)

    def get_safetensors_metadata(self, repo_id: str, **kwargs: Any) -> Any:
        from huggingface_hub.errors import NotASafetensorsRepoError
        from huggingface_hub.utils import SafetensorsFileMetadata, SafetensorsRepoMetadata, TensorInfo

        self._record("get_safetensors_metadata", repo_id, kwargs)
        path = self._folder(repo_id) / "safetensors.json"
        if not path.is_file():
            raise NotASafetensorsRepoError(
                f"'{repo_id}' is not a safetensors repo. Couldn't find 'model.safetensors.index.json' or "
                "'model.safetensors' files."
            )
        data = json.loads(path.read_text())
        files = {
            name: SafetensorsFileMetadata(
                metadata=file["metadata"],
                tensors={
                    t: TensorInfo(dtype=i["dtype"], shape=i["shape"], data_offsets=tuple(i["data_offsets"]))
                    for t, i in file["tensors"].items()
                },
            )
            for name, file in data["files"].items()
        }
        return SafetensorsRepoMetadata(
            metadata=data["metadata"], sharded=data["sharded"], weight_map=data["weight_map"], files_metadata=files
        )

    def count(self, call: str) -> int:
        return sum(1 for c, _, _ in self.calls if c == call)


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeHub:
    from huggingface_hub import HfApi, constants

    fake = FakeHub(tmp_path / "hf-cache")
    monkeypatch.setattr(HfApi, "model_info", lambda self, repo_id, **kw: fake.model_info(repo_id, **kw))
    monkeypatch.setattr(
        HfApi, "hf_hub_download", lambda self, repo_id, filename, **kw: fake.hf_hub_download(repo_id, filename, **kw)
    )
    monkeypatch.setattr(
        HfApi, "get_safetensors_metadata", lambda self, repo_id, **kw: fake.get_safetensors_metadata(repo_id, **kw)
    )
    # conftest turns offline mode on for the whole suite; these tests play an online Hub.
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("ADVISOR_USER_CATALOG", str(tmp_path / "user" / "catalog.yaml"))
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(tmp_path / "cache"))
    from advisor.catalog import clear_cache
    from advisor.sources import hub as hub_module

    clear_cache()
    hub_module._ARCHITECTURES.clear()
    yield fake
    clear_cache()
    hub_module._ARCHITECTURES.clear()


# ---------------------------------------------------------------------------------------------
# Reading the Hub


def test_hub_repo_becomes_an_entry_with_the_exact_parameter_count(hub: FakeHub) -> None:
    repo = "HuggingFaceTB/SmolLM2-135M-Instruct"
    facts = read_hub(repo)
    entry = entry_from_facts(facts)
    builtin = load_catalog().get(repo)
    # The count is read from the safetensors headers, and equals the catalog's verified figure.
    assert entry.total_params == builtin.total_params == 134_515_008
    assert facts.params_by_dtype == {"BF16": 134_515_008}
    assert entry.params_source == "published" and "safetensors headers" in (entry.params_note or "")
    assert entry.active_params is None
    assert (entry.kind, entry.instruct, entry.family) == ("decoder", True, "llama")
    assert entry.context_length == 8192
    assert entry.languages == ["en"]
    assert (entry.french_support, entry.french_support_source) == ("none", "model card language list")
    licence = entry.licence.model_dump(exclude_defaults=True)
    assert licence == {"id": "apache-2.0", "commercial_use": True, "gated": False}
    # Not rated (issue: an unknown model was rated 3/5): no tier, no per-task score.
    assert (entry.quality_tier, entry.quality_source, entry.quality) == (None, None, {})
    assert not entry.is_rated and entry.quality_score("general") is None
    assert entry.release_date == "2024-10-31"
    assert "conversational_assistant" in entry.tasks
    assert entry.config["num_key_value_heads"] == 3 and "transformers_version" not in entry.config
    assert entry.notes is not None and "Hub" in entry.notes.en and "Hub" in entry.notes.fr


def test_hub_reads_pin_one_revision_and_leave_the_token_to_the_library(hub: FakeHub) -> None:
    read_hub("HuggingFaceTB/SmolLM2-135M-Instruct")
    sha = "12fd25f77366fa6b3b4b768ec3050bf629380bac"
    assert [c for c, _, _ in hub.calls] == ["model_info", "hf_hub_download", "get_safetensors_metadata"]
    for call, _, kwargs in hub.calls:
        assert "token" in kwargs and kwargs["token"] is None, call  # huggingface_hub resolves HF_TOKEN itself
    assert hub.calls[1][2]["revision"] == sha and hub.calls[2][2]["revision"] == sha
    assert hub.calls[1][2]["filename"] == "config.json"  # the only file downloaded


def test_french_fine_tune_is_a_new_entry(hub: FakeHub) -> None:
    entry = entry_from_facts(read_hub("acme-lab/smollm2-135m-support-fr"))
    assert entry.id == "acme-lab/smollm2-135m-support-fr"
    assert entry.languages == ["fr", "en"]
    assert (entry.french_support, entry.french_support_source) == ("good", "model card language list")
    assert entry.instruct  # the sft tag and the conversational tag
    assert "translation" in entry.tasks
    assert entry.release_date == "2025-03-14"


def test_hub_read_is_cached_after_the_first_time(hub: FakeHub, tmp_path: Path) -> None:
    first = read_hub("acme-lab/smollm2-135m-support-fr")
    calls = len(hub.calls)
    again = read_hub("acme-lab/smollm2-135m-support-fr")
    assert len(hub.calls) == calls and again == first
    assert list((tmp_path / "cache" / "hub").glob("*.json"))
    read_hub("acme-lab/smollm2-135m-support-fr", refresh=True)
    assert len(hub.calls) == 2 * calls


def test_corrupt_cache_file_is_read_again(hub: FakeHub, tmp_path: Path) -> None:
    read_hub("acme-lab/smollm2-135m-support-fr")
    for file in (tmp_path / "cache" / "hub").glob("*.json"):
        file.write_text("{not json")
    calls = len(hub.calls)
    assert read_hub("acme-lab/smollm2-135m-support-fr").total_params == 134_515_008
    assert len(hub.calls) == 2 * calls


def test_remote_code_config_is_sized_never_executed(hub: FakeHub) -> None:
    repo = "microsoft/Phi-3-mini-4k-instruct"
    facts = read_hub(repo)
    entry = entry_from_facts(facts)
    assert facts.remote_code and "auto_map" in entry.config
    # Two shards, counted from their headers: the catalog's verified count.
    assert entry.total_params == load_catalog().get(repo).total_params == 3_821_079_552
    assert entry.notes is not None and "auto_map" in entry.notes.en and "never run" in entry.notes.en
    assert "trust_remote_code" in entry.notes.fr
    downloaded = [kw["filename"] for call, _, kw in hub.calls if call == "hf_hub_download"]
    assert downloaded == ["config.json"]  # no *.py ever fetched
    assert "code_generation" in entry.tasks  # the 'code' tag


def test_repo_without_safetensors_is_counted_from_config(hub: FakeHub) -> None:
    entry = entry_from_facts(read_hub("microsoft/DialoGPT-medium"))
    assert entry.total_params == 354_823_168  # GPT-2 medium, from config.json alone
    assert "computed from config.json" in (entry.params_note or "")
    assert entry.notes is not None and "No safetensors" in entry.notes.en and "safetensors" in entry.notes.fr
    assert entry.context_length == 1024  # n_positions
    assert entry.licence.id == "mit" and entry.licence.commercial_use


def test_gated_repo(hub: FakeHub, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    repo = "meta-llama/Llama-3.2-1B-Instruct"
    hub.fail[(repo, "hf_hub_download")] = gated_error(repo)
    code, out, err = run(capsys, "catalog", "add", repo)
    assert code == 4 and out == ""
    assert f"{repo} is gated" in err and "HF_TOKEN" in err and f"https://huggingface.co/{repo}" in err
    assert "Traceback" not in err
    assert not (tmp_path / "user" / "catalog.yaml").exists()


def test_missing_repo(hub: FakeHub, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "catalog", "add", "acme-lab/no-such-model")
    assert code == 4
    assert "acme-lab/no-such-model was not found on the Hub" in err and "gated" not in err.split("\n")[0]
    assert "Traceback" not in err


def test_offline_and_not_cached(
    hub: FakeHub, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from huggingface_hub import constants
    from huggingface_hub.errors import LocalEntryNotFoundError

    repo = "acme-lab/smollm2-135m-support-fr"
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    hub.fail[(repo, "hf_hub_download")] = LocalEntryNotFoundError(
        "Cannot find the requested files in the disk cache and outgoing traffic has been disabled. To enable hf.co "
        "look-ups and downloads online, set 'local_files_only' to False."
    )
    code, _, err = run(capsys, "catalog", "add", repo)
    assert code == 4
    assert f"{repo}: offline (HF_HUB_OFFLINE=1) and not in the cache" in err and "Traceback" not in err
    assert hub.count("model_info") == 0  # offline: no call that can only fail


def test_offline_after_a_first_read_uses_the_cache(hub: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    from huggingface_hub import constants

    repo = "acme-lab/smollm2-135m-support-fr"
    online = read_hub(repo)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    calls = len(hub.calls)
    assert read_hub(repo, refresh=True) == online
    assert len(hub.calls) == calls


def test_offline_with_the_config_in_the_hf_cache(hub: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    from huggingface_hub import constants
    from huggingface_hub.errors import OfflineModeIsEnabled

    repo = "acme-lab/smollm2-135m-support-fr"
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    hub.fail[(repo, "get_safetensors_metadata")] = OfflineModeIsEnabled(
        "Cannot reach https://huggingface.co: offline mode is enabled."
    )
    facts = read_hub(repo)
    entry = entry_from_facts(facts)
    assert facts.card == "offline" and entry.licence.id == "unknown" and not entry.licence.commercial_use
    assert entry.notes is not None and "offline" in entry.notes.en and f"refresh {repo}" in entry.notes.en
    assert entry.total_params == 134_515_008  # from config.json (weights not cached)
    assert not list(Path(constants.HF_HUB_CACHE).glob("never-created"))


def test_rate_limited(hub: FakeHub, capsys: pytest.CaptureFixture[str]) -> None:
    repo = "acme-lab/smollm2-135m-support-fr"
    hub.fail[(repo, "model_info")] = rate_limit_error(repo)
    with pytest.raises(HubError) as caught:
        read_hub(repo)
    assert caught.value.code == "rate-limited"  # type: ignore[attr-defined]
    code, _, err = run(capsys, "catalog", "add", repo)
    assert code == 4 and f"{repo}: rate limited by the Hub (HTTP 429" in err and "HF_TOKEN" in err


def test_each_failure_has_its_own_code(hub: FakeHub) -> None:
    from huggingface_hub.errors import LocalEntryNotFoundError

    repo = "acme-lab/smollm2-135m-support-fr"
    codes = {
        hub_error(gated_error(repo), repo).code,  # type: ignore[union-attr]
        hub_error(missing_error(repo), repo).code,  # type: ignore[union-attr]
        hub_error(rate_limit_error(repo), repo).code,  # type: ignore[union-attr]
        hub_error(LocalEntryNotFoundError("not cached"), repo).code,  # type: ignore[union-attr]
        hub_error(ConnectionResetError("reset by peer"), repo).code,  # type: ignore[union-attr]
    }
    assert codes == {"gated-needs-token", "not-found", "rate-limited", "offline-not-cached", "unreachable"}
    assert hub_error(ValueError("a bug"), repo) is None  # not a Hub failure: not disguised as one


def test_the_token_never_shows(
    hub: FakeHub, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = "acme-lab/smollm2-135m-support-fr"
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    hub.fail[(repo, "model_info")] = http_error(
        "HfHubHTTPError", 500, repo, f"500 Server Error: echo of the request header 'Authorization: Bearer {TOKEN}'"
    )
    code, out, err = run(capsys, "catalog", "add", repo)
    assert code == 4 and TOKEN not in err + out and TOKEN[-8:] not in err
    assert "hf_****" in err


def test_entry_that_cannot_be_sized_is_refused(hub: FakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = "acme-lab/smollm2-135m-support-fr"
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text(json.dumps({"architectures": ["Foo"]}))
    info = FIXTURES / "acme-lab__smollm2-135m-support-fr" / "model_info.json"
    (broken / "model_info.json").write_text(info.read_text())
    monkeypatch.setattr(FakeHub, "_folder", lambda self, r: broken)
    with pytest.raises(HubError, match="model_type"):
        read_hub(repo)


# ---------------------------------------------------------------------------------------------
# The estimator's Hub path


def test_estimate_memory_takes_a_hub_id(hub: FakeHub) -> None:
    import advisor

    repo = "acme-lab/smollm2-135m-support-fr"
    estimate = advisor.estimate_memory(repo, quantization="bf16", context_tokens=1024)
    assert estimate.total_params == 134_515_008 and estimate.params_source == "safetensors"
    calls = len(hub.calls)
    from advisor.sources import hub as hub_module

    hub_module._ARCHITECTURES.clear()
    advisor.estimate_memory(repo, quantization="nf4", context_tokens=2048)
    assert len(hub.calls) == calls  # second read from the cache folder


def test_estimate_cli_takes_a_hub_id_and_reports_hub_errors(hub: FakeHub, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "estimate", "acme-lab/smollm2-135m-support-fr", "--json")
    assert code == 0 and json.loads(out)["total_params"] == 134_515_008
    code, _, err = run(capsys, "estimate", "acme-lab/no-such-model")
    assert code == 4 and "not found on the Hub" in err


def test_estimate_of_a_name_that_is_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "estimate", "no-such-thing")
    assert code == 3 and "no-such-thing" in err


# ---------------------------------------------------------------------------------------------
# A local directory


def _own_count(directory: Path) -> int:
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(directory)
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("tied", [False, True], ids=["untied", "tied"])
def test_local_directory_count_equals_the_models_own(tmp_path: Path, tied: bool) -> None:
    pytest.importorskip("torch")
    from tests.tiny_models import save_tiny_model

    directory = save_tiny_model(tmp_path / "my-finetune", with_tokenizer=False, tie_word_embeddings=tied)
    facts = read_directory(directory)
    assert facts.total_params == _own_count(directory)
    entry = entry_from_facts(facts)
    assert entry.id == "local/my-finetune" and entry.total_params == facts.total_params
    assert entry.licence.id == "unknown" and not entry.licence.commercial_use
    assert entry.notes is not None and "no language" in entry.notes.en


def test_estimate_cli_reports_the_directory_count_exactly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("torch")
    from tests.tiny_models import save_tiny_model

    directory = save_tiny_model(tmp_path / "ft", with_tokenizer=False)
    code, out, _ = run(capsys, "estimate", str(directory), "--json")
    assert code == 0 and json.loads(out)["total_params"] == _own_count(directory)


def test_local_readme_front_matter(tmp_path: Path) -> None:
    from tests.tiny_models import write_config, write_safetensors_header_only

    directory = write_config(tmp_path / "fr-model")
    write_safetensors_header_only(directory / "model.safetensors")
    (directory / "README.md").write_text(
        "---\nlicense: other\nlicense_name: cc-by-nc-4.0\nlanguage:\n- fr\n- en-GB\n- multilingual\n"
        "tags: [chat]\n---\n# Our model\n"
    )
    entry = entry_from_facts(read_directory(directory), entry_id="acme/fr-model")
    assert entry.id == "acme/fr-model"
    assert entry.languages == ["fr", "en"] and entry.french_support == "good"
    assert entry.licence.id == "cc-by-nc-4.0" and not entry.licence.commercial_use
    assert entry.notes is not None and "does not allow commercial use" in entry.notes.en
    assert "multilingual" in entry.notes.en  # the dropped language entry is named
    assert entry.instruct  # the chat tag
    assert entry.total_params == 256 * 64  # the one tensor in the file


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        (lambda d: None, "no config.json"),
        (lambda d: (d / "config.json").write_text("{oops"), "not valid JSON"),
        (
            lambda d: ((d / "config.json").write_text("{}"), (d / "model.safetensors").write_bytes(b"\x10\x00")),
            "truncated safetensors",
        ),
    ],
    ids=["no-config", "bad-json", "truncated-header"],
)
def test_bad_directories_are_input_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], setup: Any, expected: str
) -> None:
    directory = tmp_path / "not-a-model"
    directory.mkdir()
    setup(directory)
    with pytest.raises(InputError, match=expected):
        read_directory(directory)
    code, _, err = run(capsys, "catalog", "add", str(directory))
    assert code == 3 and expected in err and str(directory) in err and "Traceback" not in err


def test_directory_with_only_pickles_is_counted_from_config(tmp_path: Path) -> None:
    from tests.tiny_models import save_bin_only_model

    marker = tmp_path / "unpickled"
    entry = entry_from_facts(read_directory(save_bin_only_model(tmp_path / "legacy", marker=marker)))
    assert entry.notes is not None and "pytorch_model.bin" in entry.notes.en
    assert not marker.exists()  # the pickle was never loaded
    from advisor.memory import build_architecture
    from tests.tiny_models import TINY_LLAMA

    assert entry.total_params == build_architecture(TINY_LLAMA).total_params


def test_local_remote_code_is_never_run(tmp_path: Path) -> None:
    from tests.tiny_models import save_remote_code_model

    marker = tmp_path / "ran"
    entry = entry_from_facts(read_directory(save_remote_code_model(tmp_path / "custom", marker)))
    assert not marker.exists()
    assert entry.notes is not None and "auto_map" in entry.notes.en


def test_not_a_directory_nor_a_hub_id(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "catalog", "add", "./no/such/folder")
    assert code == 3 and "neither a model directory nor a Hub id" in err


# ---------------------------------------------------------------------------------------------
# Field mapping


def _facts(config: dict[str, Any], **fields: Any) -> ModelFacts:
    return ModelFacts(source="hub", ref="acme/m", config={"model_type": "llama", **config}, **fields)


@pytest.mark.parametrize(
    ("quantization_config", "expected"),
    [
        ({"quant_method": "gptq", "bits": 4}, ["gptq-int4"]),
        ({"quant_method": "gptq", "bits": 8}, ["gptq-int8"]),
        ({"quant_method": "awq", "bits": 4}, ["awq-int4"]),
        ({"quant_method": "bitsandbytes", "load_in_4bit": True, "bnb_4bit_use_double_quant": True}, ["nf4-dq"]),
        ({"quant_method": "bitsandbytes", "load_in_4bit": True}, ["nf4"]),
        ({"quant_method": "bitsandbytes", "load_in_8bit": True}, ["int8"]),
        ({"quant_method": "mxfp4"}, ["mxfp4"]),
        ({"quant_method": "fp8", "fmt": "e4m3"}, ["fp8"]),
        (
            {
                "quant_method": "compressed-tensors",
                "config_groups": {"group_0": {"weights": {"num_bits": 8, "type": "float"}}},
            },
            ["fp8"],
        ),
        ({"quant_method": "hqq"}, []),
        (None, []),
    ],
)
def test_quantized_formats_from_config(quantization_config: dict[str, Any] | None, expected: list[str]) -> None:
    config = (
        {"model_type": "llama"}
        if quantization_config is None
        else {"model_type": "llama", "quantization_config": quantization_config}
    )
    assert quantized_formats(config) == expected


@pytest.mark.parametrize(
    ("config", "fields", "kind"),
    [
        ({"model_type": "t5", "is_encoder_decoder": True}, {}, "encoder-decoder"),
        ({"model_type": "bert", "architectures": ["BertForMaskedLM"]}, {}, "encoder"),
        ({"model_type": "llama", "architectures": ["LlamaForSequenceClassification"]}, {}, "encoder"),
        ({"model_type": "qwen3"}, {"library_name": "sentence-transformers"}, "embedding"),
        ({"model_type": "xlm-roberta"}, {"pipeline_tag": "sentence-similarity"}, "embedding"),
        ({"model_type": "mamba"}, {}, "ssm"),
        ({"model_type": "jamba"}, {}, "hybrid"),
        ({"model_type": "qwen2"}, {}, "decoder"),
    ],
)
def test_kind(config: dict[str, Any], fields: dict[str, Any], kind: str) -> None:
    from advisor.sources.hub import _kind

    facts = _facts(config, sentence_transformers=fields.pop("library_name", None) == "sentence-transformers", **fields)
    assert _kind(facts) == kind


@pytest.mark.parametrize(
    ("name", "tags", "instruct"),
    [
        ("Qwen2.5-7B-Instruct", [], True),
        ("gemma-2-2b-it", [], True),
        ("Llama-3.1-8B", [], False),
        ("Qwen2.5-7B-Base", ["conversational"], False),
        ("my-model", ["conversational"], True),
    ],
)
def test_instruct(name: str, tags: list[str], instruct: bool) -> None:
    from advisor.sources.hub import _instruct

    assert _instruct(name, tags) is instruct


@pytest.mark.parametrize(
    ("licence", "name", "expected_id", "commercial", "note"),
    [
        ("apache-2.0", None, "apache-2.0", True, None),
        ("other", "qwen-research", "qwen-research", False, "does not allow commercial use"),
        ("qwen", None, "qwen", True, None),  # rated by the built-in catalog
        ("cc-by-nc-sa-4.0", None, "cc-by-nc-sa-4.0", False, "does not allow commercial use"),
        ("other", "Acme Model License v2", "acme-model-license-v2", False, "not one llm-advisor knows"),
        (None, None, "unknown", False, "states no licence"),
    ],
)
def test_licence(licence: str | None, name: str | None, expected_id: str, commercial: bool, note: str | None) -> None:
    entry = entry_from_facts(
        _facts(
            {
                "hidden_size": 64,
                "num_hidden_layers": 1,
                "num_attention_heads": 4,
                "intermediate_size": 128,
                "vocab_size": 100,
                "max_position_embeddings": 128,
            },
            card="hub",
            licence=licence,
            licence_name=name,
            languages=["en"],
        )
    )
    assert (entry.licence.id, entry.licence.commercial_use) == (expected_id, commercial)
    if note:
        assert entry.notes is not None and note in entry.notes.en
    else:
        assert entry.notes is not None and "licence" not in entry.notes.en.lower()


def test_context_fallbacks() -> None:
    base = {
        "hidden_size": 64,
        "num_hidden_layers": 1,
        "num_attention_heads": 4,
        "intermediate_size": 128,
        "vocab_size": 100,
    }
    entry = entry_from_facts(_facts(base, languages=["en"], licence="mit"))
    assert entry.context_length == 2048 and entry.notes is not None and "2,048 tokens assumed" in entry.notes.en
    text_config = {**base, "model_type": "llama", "max_position_embeddings": 131072}
    nested = entry_from_facts(_facts({"text_config": text_config}, languages=["en"], licence="mit"))
    assert nested.context_length == 131072
