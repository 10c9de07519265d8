"""Absurd model folders, Hub configs and Hub-metadata cache entries: exit 3 (or a cache miss), never a crash.

Each hostile config.json of issue 19 is written into a real folder and read through the real CLI;
the bounds are tested on both sides; the Hub side uses the fake Hub of tests/test_hub.py (real
huggingface_hub error classes).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from advisor.cli import main
from advisor.errors import InputError
from advisor.memory import plausibility
from advisor.memory.plausibility import BOUNDS, check_config
from tests.test_hub import FakeHub, _httpx, hub  # noqa: F401 - the fake Hub fixture
from tests.tiny_models import TINY_LLAMA, write_config, write_safetensors_header_only


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def raw_config(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(text, encoding="utf-8")
    return folder


HOSTILE: dict[str, tuple[str, str]] = {
    # name: (config.json text, the field the error must name)
    "10^12 layers": (json.dumps({**TINY_LLAMA, "num_hidden_layers": 10**12}), "num_hidden_layers"),
    "10^8 layers": (json.dumps({**TINY_LLAMA, "num_hidden_layers": 10**8}), "num_hidden_layers"),
    "hidden 10^15": (json.dumps({**TINY_LLAMA, "hidden_size": 10**15}), "hidden_size"),
    "zero heads": (json.dumps({**TINY_LLAMA, "num_attention_heads": 0}), "num_attention_heads"),
    "jamba period 0": (json.dumps({**TINY_LLAMA, "model_type": "jamba", "attn_layer_period": 0}), "attn_layer_period"),
    "NaN vocabulary": (json.dumps({**TINY_LLAMA, "vocab_size": float("nan")}), "vocab_size"),
    "Infinity context": (
        json.dumps({**TINY_LLAMA, "max_position_embeddings": float("inf")}),
        "max_position_embeddings",
    ),
    "string width": (json.dumps({**TINY_LLAMA, "hidden_size": "4096"}), "hidden_size"),
    "list of heads": (json.dumps({**TINY_LLAMA, "num_key_value_heads": [1, 2]}), "num_key_value_heads"),
    "NaN elsewhere": (json.dumps({**TINY_LLAMA, "rope_scaling": {"factor": float("nan")}}), "rope_scaling.factor"),
    "nested text_config": (
        json.dumps({"model_type": "llava", "text_config": {**TINY_LLAMA, "n_layer": -1}}),
        "text_config.n_layer",
    ),
    "GPT-2 alias": (json.dumps({**TINY_LLAMA, "n_head": 0, "num_attention_heads": None}), "n_head"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_config_is_exit_3_naming_file_and_field(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    text, field = HOSTILE[name]
    folder = raw_config(tmp_path / "model", text)
    monkeypatch.setenv("ADVISOR_USER_CATALOG", str(tmp_path / "user.yaml"))
    code, out, err = run(capsys, "estimate", str(folder), "--quant", "bf16", "--context", "1024")
    assert code == 3, err
    assert str(folder / "config.json") in err and f"field {field!r}" in err
    assert "internal error" not in err and "Traceback" not in err
    code, _, err = run(capsys, "catalog", "add", str(folder))
    assert code == 3 and f"field {field!r}" in err
    assert not (tmp_path / "user.yaml").exists()  # nothing stored


@pytest.mark.parametrize("field", sorted(BOUNDS))
def test_each_bound_on_both_sides(field: str) -> None:
    low, high = BOUNDS[field]
    check_config({field: high}, "c")
    check_config({field: low}, "c")
    with pytest.raises(InputError, match="implausible") as caught:
        check_config({field: high + 1}, "c")
    assert caught.value.field == field
    with pytest.raises(InputError, match="implausible"):
        check_config({field: low - 1}, "c")


def test_the_bounds_are_far_above_every_catalog_model() -> None:
    """Each bound is at least 8 times the largest value of the built-in catalog (the docstring's promise)."""
    from advisor.catalog import load_catalog

    aliases = plausibility._aliases()
    largest: dict[str, float] = {}
    for entry in load_catalog().entries:
        check_config(entry.config, entry.id)  # every real model passes
        nested = [entry.config[k] for k in plausibility.NESTED if isinstance(entry.config.get(k), dict)]
        levels = [entry.config, *nested]
        for level in levels:
            for key, value in level.items():
                canonical = key if key in BOUNDS else aliases.get(key)
                if canonical and isinstance(value, (int, float)) and not isinstance(value, bool):
                    largest[canonical] = max(largest.get(canonical, 0), value)
    assert {"num_hidden_layers", "hidden_size", "vocab_size", "max_position_embeddings"} <= set(largest)
    for field, value in largest.items():
        assert BOUNDS[field][1] >= 8 * value, field


def test_a_layer_count_at_the_bound_is_still_estimated(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = write_config(tmp_path / "deep", num_hidden_layers=plausibility.LAYERS)
    code, out, err = run(capsys, "estimate", str(folder), "--quant", "bf16", "--context", "1024", "--json")
    assert code == 0, err and json.loads(out)


# ---------------------------------------------------------------------------------------------
# Safetensors index entries stay in the folder


@pytest.mark.parametrize(
    "target", ["../../outside.safetensors", "/etc/passwd", "sub/../../x.safetensors", "C:\\Windows\\x.safetensors"]
)
def test_an_index_pointing_outside_is_refused_unread(
    target: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = tmp_path / "outside.safetensors"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    folder = write_config(tmp_path / "a" / "model")
    (folder / "model.safetensors.index.json").write_text(json.dumps({"weight_map": {"w": target}}))
    code, out, err = run(capsys, "estimate", str(folder), "--quant", "bf16", "--context", "1024")
    assert code == 3 and "outside the model folder" in err and "weight_map" in err
    assert "root:x" not in err


def test_a_hub_cache_snapshot_with_symlinks_still_reads(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The Hugging Face cache layout: snapshots/<sha>/file -> ../../blobs/<hash>."""
    blobs = tmp_path / "models--o--m" / "blobs"
    snapshot = tmp_path / "models--o--m" / "snapshots" / "abc"
    blobs.mkdir(parents=True)
    snapshot.mkdir(parents=True)
    write_safetensors_header_only(blobs / "1111", {"model.embed_tokens.weight": [256, 64]})
    (blobs / "2222").write_text(json.dumps({**TINY_LLAMA, "hidden_size": 64}))
    (blobs / "3333").write_text(json.dumps({"weight_map": {"model.embed_tokens.weight": "model-1.safetensors"}}))
    for name, blob in (
        ("model-1.safetensors", "1111"),
        ("config.json", "2222"),
        ("model.safetensors.index.json", "3333"),
    ):
        os.symlink(f"../../blobs/{blob}", snapshot / name)
    code, out, err = run(capsys, "estimate", str(snapshot), "--quant", "bf16", "--context", "1024", "--json")
    assert code == 0, err


def test_a_huge_tensor_shape_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = write_config(tmp_path / "m")
    write_safetensors_header_only(folder / "model.safetensors", {"model.embed_tokens.weight": [1, 1]})
    blob = (folder / "model.safetensors").read_bytes()
    length = int.from_bytes(blob[:8], "little")
    header = json.loads(blob[8 : 8 + length])
    header["model.embed_tokens.weight"]["shape"] = [10**15, 10**15]
    raw = json.dumps(header).encode()
    (folder / "model.safetensors").write_bytes(len(raw).to_bytes(8, "little") + raw + blob[8 + length :])
    code, _, err = run(capsys, "estimate", str(folder), "--quant", "bf16", "--context", "1024")
    assert code == 3 and "implausible" in err and "model.safetensors" in err


def test_an_oversized_config_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from advisor.memory.checkpoint import MAX_CONFIG_BYTES

    folder = raw_config(tmp_path / "m", json.dumps({**TINY_LLAMA, "pad": "x" * MAX_CONFIG_BYTES}))
    code, _, err = run(capsys, "estimate", str(folder), "--quant", "bf16", "--context", "1024")
    assert code == 3 and "4 MiB limit" in err


# ---------------------------------------------------------------------------------------------
# The Hub side and its metadata cache

REPO = "acme-lab/smollm2-135m-support-fr"


def _cache_files(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "cache" / "hub").glob("*.json"))


def _edit_cache(tmp_path: Path, change: Any) -> None:
    (file,) = _cache_files(tmp_path)
    data = json.loads(file.read_text())
    change(data)
    file.write_text(json.dumps(data))


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.update(tensor_count="many"),  # a wrong type
        lambda d: d.update(config=["not", "a", "mapping"]),
        lambda d: d["config"].update(num_hidden_layers=10**12),  # an implausible config
        lambda d: d.update(ref="someone/else"),  # the facts of another repo
        lambda d: d.pop("source"),  # a missing field
    ],
    ids=["type", "config-type", "config-absurd", "other-repo", "missing"],
)
def test_an_invalid_hub_cache_entry_is_a_miss(change: Any, hub: FakeHub, tmp_path: Path) -> None:  # noqa: F811
    from advisor.sources.hub import read_hub

    first = read_hub(REPO)
    calls = len(hub.calls)
    _edit_cache(tmp_path, change)
    assert read_hub(REPO) == first
    assert len(hub.calls) == 2 * calls  # read again from the Hub
    assert read_hub(REPO) == first and len(hub.calls) == 2 * calls  # and the cache rewritten whole


def test_a_valid_hub_cache_entry_is_used(hub: FakeHub, tmp_path: Path) -> None:  # noqa: F811
    from advisor.sources.hub import read_hub

    read_hub(REPO)
    calls = len(hub.calls)
    _edit_cache(tmp_path, lambda d: d.update(licence="mit"))  # a plausible edit is the cache's to keep
    assert read_hub(REPO).licence == "mit" and len(hub.calls) == calls


def test_an_invalid_cache_is_named_when_the_hub_fails_too(
    hub: FakeHub,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from advisor.sources.hub import read_hub

    read_hub(REPO)
    _edit_cache(tmp_path, lambda d: d.update(roles="INJECTED"))
    httpx = _httpx()
    hub.fail[(REPO, "model_info")] = httpx.ConnectError("connection refused")
    code, _, err = run(capsys, "estimate", REPO, "--quant", "bf16", "--context", "1024")
    assert code == 4 and "could not be reached" in err
    assert str(_cache_files(tmp_path)[0]) in err and "were invalid" in err


def test_an_absurd_hub_config_is_exit_3_and_not_cached(
    hub: FakeHub,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    original = hub.hf_hub_download

    def absurd(repo_id: str, filename: str, **kwargs: Any) -> str:
        path = Path(original(repo_id, filename, **kwargs))
        path.write_text(json.dumps({**json.loads(path.read_text()), "num_attention_heads": 0}))
        return str(path)

    monkeypatch.setattr(hub, "hf_hub_download", absurd)
    code, _, err = run(capsys, "catalog", "add", REPO)
    assert code == 3 and f"{REPO}/config.json" in err and "num_attention_heads" in err
    assert _cache_files(tmp_path) == []


def test_an_absurd_entry_in_the_user_catalog_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An entry written by an older version (3 x 10**7 layers) is reported, not sized on every run."""
    import yaml

    from advisor.catalog import clear_cache
    from tests.test_user_catalog import tiny_dir

    user = tmp_path / "user.yaml"
    monkeypatch.setenv("ADVISOR_USER_CATALOG", str(user))
    clear_cache()
    assert main(["catalog", "add", str(tiny_dir(tmp_path / "deep"))]) == 0
    data = yaml.safe_load(user.read_text())
    data["models"][0]["config"]["num_hidden_layers"] = 3 * 10**7
    user.write_text(yaml.safe_dump(data))
    capsys.readouterr()
    code, _, err = run(capsys, "catalog", "list")
    assert code == 3 and str(user) in err and "entry 'local/deep'" in err
    assert "field 'config.num_hidden_layers'" in err and "30000000 is implausible" in err
    clear_cache()


def test_an_alias_bomb_in_a_model_card_is_not_expanded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.test_bounded_input import BOMB
    from tests.test_user_catalog import tiny_dir

    monkeypatch.setenv("ADVISOR_USER_CATALOG", str(tmp_path / "user.yaml"))
    folder = tiny_dir(tmp_path / "carded")
    (folder / "README.md").write_text("---\nlicense: mit\n" + BOMB + "---\n# card\n", encoding="utf-8")
    code, out, err = run(capsys, "catalog", "add", str(folder), "--json")
    assert code == 0, err
    assert json.loads(out)["entry"]["licence"]["id"] != "mit"  # the card was set aside whole
