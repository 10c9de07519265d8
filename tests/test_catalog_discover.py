"""`advisor catalog discover`: trusted publishers' new models, without merges, conversions or
community fine-tunes, added not rated; offline or unreachable is exit 4.

The Hub is faked at ``HfApi.list_models`` with answers in the API's JSON shape
(tests/fixtures/hub/list_models/answers.json) turned into real ``huggingface_hub.ModelInfo``
objects; failures are the library's own error classes. Everything above runs for real.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from advisor.catalog import clear_cache, load_catalog
from advisor.cli import main
from advisor.errors import ExitCode, HubError, InputError
from advisor.sources.discover import PUBLISHERS_FILE, discover, load_publishers
from tests.test_hub import FakeHub, _httpx, hub, rate_limit_error  # noqa: F401 - the fake Hub fixture

ANSWERS = json.loads((Path(__file__).parent / "fixtures" / "hub" / "list_models" / "answers.json").read_text())


class FakeListing:
    """``HfApi.list_models`` from recorded answers; ``fail`` raises instead; every call recorded."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.fail: BaseException | None = None

    def __call__(
        self,
        author: str | None = None,
        pipeline_tag: str | None = None,
        sort: str | None = None,
        limit: int | None = None,
        **kwargs: Any,
    ) -> Any:
        from huggingface_hub import ModelInfo

        self.calls.append({"author": author, "pipeline_tag": pipeline_tag, "sort": sort, "limit": limit, **kwargs})
        if self.fail is not None:
            raise self.fail
        rows = [r for r in ANSWERS.get(author or "", []) if pipeline_tag is None or r["pipeline_tag"] == pipeline_tag]
        rows.sort(key=lambda r: -r["downloads"])
        return iter([ModelInfo(**r) for r in rows[: limit or None]])


@pytest.fixture
def listing(hub: FakeHub, monkeypatch: pytest.MonkeyPatch) -> FakeListing:  # noqa: F811
    from huggingface_hub import HfApi

    fake = FakeListing()
    monkeypatch.setattr(HfApi, "list_models", lambda self, **kw: fake(**kw))
    return fake


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def known() -> list[str]:
    return [e.id for e in load_catalog().entries]


# ------------------------------------------------------------------ the allowlist file


def test_allowlist_names_the_labs_the_issue_trusts() -> None:
    rules = load_publishers()
    for org in (
        "meta-llama",
        "mistralai",
        "Qwen",
        "google",
        "microsoft",
        "openai",
        "deepseek-ai",
        "zai-org",
        "moonshotai",
        "MiniMaxAI",
        "ibm-granite",
        "allenai",
        "HuggingFaceTB",
        "utter-project",
        "swiss-ai",
        "nvidia",
    ):
        assert org in rules.publishers, org
    assert set(rules.tasks) == {"text-generation", "embedding", "reranking", "translation"}


def test_a_broken_allowlist_is_a_located_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import advisor.sources.discover as module

    bad = tmp_path / "publishers.yaml"
    data = yaml.safe_load(PUBLISHERS_FILE.read_text())
    data["publishers"].append("Qwen")  # twice
    bad.write_text(yaml.safe_dump(data))
    monkeypatch.setattr(module, "PUBLISHERS_FILE", bad)
    load_publishers.cache_clear()
    try:
        with pytest.raises(InputError) as info:
            load_publishers()
        assert str(bad) in str(info.value) and "publishers" in str(info.value) and "twice" in str(info.value)
    finally:
        load_publishers.cache_clear()


# ------------------------------------------------------------------ what is offered


def test_new_models_of_a_lab_are_offered_and_conversions_skipped(listing: FakeListing) -> None:
    found = discover(["Qwen"], known_ids=known())
    offered = [c.id for c in found.offered]
    # Most downloaded first; the lab's own fine-tune of its own base is the lab's release.
    assert offered == ["Qwen/Qwen3-Next-80B-A3B-Instruct", "Qwen/Qwen3-Reranker-0.6B"]
    reasons = {c.id: c.skipped for c in found.skipped}
    assert reasons["Qwen/Qwen3-4B-Instruct-2507"] == "in catalog"
    assert reasons["Qwen/Qwen3-8B-GGUF"] == reasons["Qwen/Qwen3-4B-FP8"] == "conversion, merge or variant"
    assert listing.calls[0]["author"] == "Qwen" and listing.calls[0]["sort"] == "downloads"
    assert listing.calls[0]["limit"] == 20 and "createdAt" in listing.calls[0]["expand"]
    next_model = found.offered[0]
    assert (next_model.created, next_model.downloads, next_model.pipeline_tag) == (
        "2025-09-09",
        900000,
        "text-generation",
    )


def test_task_filters_by_pipeline_tag(listing: FakeListing) -> None:
    found = discover(["Qwen"], "reranking", known_ids=known())
    assert [c.id for c in found.offered] == ["Qwen/Qwen3-Reranker-0.6B"]
    assert [call["pipeline_tag"] for call in listing.calls] == ["text-ranking"]
    found = discover(["Qwen"], "embedding", known_ids=known())
    assert [call["pipeline_tag"] for call in listing.calls[1:]] == ["feature-extraction", "sentence-similarity"]
    with pytest.raises(InputError, match="not a discover task"):
        discover(["Qwen"], "chat")


def test_merges_uncensored_and_community_fine_tunes_need_all(listing: FakeListing) -> None:
    found = discover(["some-user"], known_ids=known())
    assert found.offered == []
    reasons = {c.id: c.skipped for c in found.skipped}
    assert reasons["some-user/Qwen3-8B-abliterated"] == "conversion, merge or variant"
    assert reasons["some-user/qwen-llama-merge-7b"] == "conversion, merge or variant"
    assert reasons["some-user/Qwen3-8B-support-tickets"] == "fine-tune of qwen/qwen3-8b"
    everything = discover(["some-user"], known_ids=known(), include_all=True)
    assert len(everything.offered) == 3


def test_cli_lists_to_stdout_and_counts_skipped_on_stderr(
    listing: FakeListing, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "catalog", "discover", "--publisher", "mistralai")
    assert code == ExitCode.OK
    assert "mistralai/Mistral-Small-3.2-24B-Instruct-2506" in out and "1,500,000" in out
    assert "Mistral-7B-Instruct-v0.3" not in out  # in the catalog
    assert "1 skipped" in err and "not rated" in err
    code, out, _ = run(capsys, "catalog", "discover", "--publisher", "mistralai", "--json")
    data = json.loads(out)
    assert [c["id"] for c in data["offered"]] == ["mistralai/Mistral-Small-3.2-24B-Instruct-2506"]
    assert data["skipped"][0]["skipped"] == "in catalog" and data["added"] == []


def test_every_allowlisted_publisher_is_asked_by_default(
    listing: FakeListing, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, _ = run(capsys, "catalog", "discover", "--limit", "5")
    assert code == ExitCode.OK
    assert [c["author"] for c in listing.calls] == load_publishers().publishers
    assert {c["limit"] for c in listing.calls} == {5}


def test_publisher_outside_the_allowlist_needs_all(listing: FakeListing, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "catalog", "discover", "--publisher", "some-user")
    assert code == ExitCode.USAGE and out == "" and "allowlist" in err and "--all" in err
    assert listing.calls == []  # refused before asking the Hub
    code, _, err = run(capsys, "catalog", "discover", "--task", "chat")
    assert code == ExitCode.USAGE and "text-generation" in err


def test_add_goes_through_catalog_add_and_arrives_not_rated(
    listing: FakeListing,
    hub: FakeHub,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "catalog", "discover", "--publisher", "acme-lab", "--all", "--add")
    assert code == ExitCode.OK, err
    assert "added 1 to your user catalog, not rated" in err
    clear_cache()
    entry = load_catalog().get("acme-lab/smollm2-135m-support-fr")
    assert not entry.is_rated and entry.quality_tier is None and entry.quality_score("general") is None
    assert entry.total_params == 134_515_008  # read from the safetensors headers, as `catalog add` does
    assert hub.count("get_safetensors_metadata") == 1
    # Once added, the next discovery skips it.
    code, out, err = run(capsys, "catalog", "discover", "--publisher", "acme-lab", "--all")
    assert "nothing new" in err and out == ""


# ------------------------------------------------------------------ offline, unreachable, refused


def test_offline_is_a_clear_exit_4(
    listing: FakeListing, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    code, out, err = run(capsys, "catalog", "discover")
    assert code == ExitCode.HUB and out == ""
    assert "offline" in err and "HF_HUB_OFFLINE" in err and "Traceback" not in err
    assert listing.calls == []


def test_unreachable_hub_is_exit_4(listing: FakeListing, capsys: pytest.CaptureFixture[str]) -> None:
    httpx = _httpx()
    listing.fail = httpx.ConnectError("[Errno -3] Temporary failure in name resolution")
    code, out, err = run(capsys, "catalog", "discover", "--publisher", "Qwen")
    assert code == ExitCode.HUB and out == "" and "could not be reached" in err and "Traceback" not in err
    with pytest.raises(HubError):
        discover(["Qwen"])


def test_rate_limited_is_exit_4(listing: FakeListing, capsys: pytest.CaptureFixture[str]) -> None:
    listing.fail = rate_limit_error("Qwen")
    code, out, err = run(capsys, "catalog", "discover", "--publisher", "Qwen")
    assert code == ExitCode.HUB and out == "" and "Traceback" not in err
