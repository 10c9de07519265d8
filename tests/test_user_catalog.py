"""The user catalog: models added with ``advisor catalog add``, laid over the built-in catalog.

Each test points ``ADVISOR_USER_CATALOG`` at its own temporary file; Hub models come from the
fake Hub of tests/test_hub.py, local ones are tiny models written in the test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from advisor.catalog import BUILTIN_CATALOG, clear_cache, load_catalog
from advisor.catalog.user import read_user_catalog, user_catalog_path, write_user_catalog
from advisor.cli import main
from advisor.errors import InputError
from tests.test_hub import FakeHub, hub  # noqa: F401 - the fake Hub fixture
from tests.tiny_models import write_config, write_safetensors_header_only

SMOLLM2 = "HuggingFaceTB/SmolLM2-135M-Instruct"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def user_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "user" / "catalog.yaml"
    monkeypatch.setenv("ADVISOR_USER_CATALOG", str(path))
    clear_cache()
    yield path
    clear_cache()


def tiny_dir(path: Path, hidden: int = 64) -> Path:
    """A model folder without torch: a tiny Llama config and one zero-filled embedding tensor."""
    directory = write_config(path, hidden_size=hidden)
    write_safetensors_header_only(directory / "model.safetensors", {"model.embed_tokens.weight": [256, hidden]})
    return directory


# ---------------------------------------------------------------------------------------------
# Overlay


def test_no_user_catalog_is_the_builtin_one(user_file: Path) -> None:
    catalog = load_catalog()
    assert not user_file.exists()
    assert "+" not in catalog.version and catalog.sources == [str(BUILTIN_CATALOG)]
    assert load_catalog() is catalog  # cached: a warm call does no parsing


def test_the_path_follows_the_environment(user_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert user_catalog_path() == user_file
    monkeypatch.delenv("ADVISOR_USER_CATALOG")
    default = user_catalog_path()
    assert default.name == "catalog.yaml" and default.parent.name == "llm-advisor"  # platformdirs data folder


def test_add_a_directory_then_it_is_in_the_catalog(
    user_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = len(load_catalog())
    code, out, err = run(capsys, "catalog", "add", str(tiny_dir(tmp_path / "support-bot")))
    assert code == 0 and "local/support-bot" in out and f"added in {user_file}" in err
    catalog = load_catalog()
    assert len(catalog) == before + 1 and catalog.version.endswith("+user")
    assert str(user_file) in catalog.sources
    entry = catalog.get("local/support-bot")
    assert entry.total_params == 256 * 64 and not entry.is_rated and entry.quality_tier is None
    assert entry.release_date is None  # a folder does not say when the model was released (not today)
    assert catalog.get("support-bot") is entry  # by name alone, like built-in entries
    saved = yaml.safe_load(user_file.read_text())
    assert saved["models"][0]["source"] == {"dir": str((tmp_path / "support-bot").resolve())}
    code, out, _ = run(capsys, "catalog", "show", "local/support-bot", "--json")
    assert code == 0 and json.loads(out)["total_params"] == 256 * 64


def test_same_id_replaces_the_builtin_entry(
    user_file: Path,
    hub: FakeHub,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    builtin = load_catalog().get(SMOLLM2)
    count = len(load_catalog())
    code, out, err = run(capsys, "catalog", "add", SMOLLM2, "--json")
    assert code == 0, err
    assert json.loads(out)["replaced"] == "built-in"
    catalog = load_catalog()
    assert len(catalog) == count  # replaced, not added
    mine = catalog.get(SMOLLM2)
    assert mine is not builtin and mine.params_source == "published" and builtin.params_source == "transformers"
    assert mine.total_params == builtin.total_params  # the headers agree with the curated figure
    assert load_catalog(BUILTIN_CATALOG).get(SMOLLM2) == builtin  # an explicit file is never overlaid


def test_adding_again_updates_in_place(user_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    directory = tiny_dir(tmp_path / "bot")
    run(capsys, "catalog", "add", str(directory))
    code, _, err = run(capsys, "catalog", "add", str(directory))
    assert code == 0 and "updated" in err
    assert len(read_user_catalog().entries) == 1


def test_directory_with_an_explicit_id(user_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "catalog", "add", str(tiny_dir(tmp_path / "bot")), "--id", "acme/support-bot")
    assert code == 0, err
    assert load_catalog().get("acme/support-bot").name == "bot"
    code, _, err = run(capsys, "catalog", "add", str(tiny_dir(tmp_path / "bot2")), "--id", "not an id")
    assert code == 3 and "field 'id'" in err


def test_readme_front_matter_feeds_the_entry(
    user_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from advisor.catalog.user import UserCatalog

    directory = tiny_dir(tmp_path / "bot")
    (directory / "README.md").write_text("---\nlicense: apache-2.0\nlanguage: [fr]\ntags: [conversational]\n---\n")
    run(capsys, "catalog", "add", str(directory))
    entry = load_catalog().get("local/bot")
    assert entry.french_support == "good" and entry.licence.commercial_use and entry.instruct
    user = read_user_catalog()
    assert isinstance(user, UserCatalog) and user.find("LOCAL/BOT") == entry


# ---------------------------------------------------------------------------------------------
# Refresh


def test_refresh_reads_the_directory_again_and_keeps_a_hand_set_tier(
    user_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = tiny_dir(tmp_path / "bot")
    run(capsys, "catalog", "add", str(directory))
    data = yaml.safe_load(user_file.read_text())
    figure = {"benchmark": "our 200 support tickets", "value": 81.0, "date": "2025-11", "source": "internal evaluation"}
    data["models"][0].update(
        quality_tier=5,
        quality_source="our evaluation on 200 tickets",
        quality={"general": {"score": 70, "figures": [figure]}},
    )
    user_file.write_text(yaml.safe_dump(data, sort_keys=False))
    tiny_dir(directory, hidden=128)  # retrained wider
    code, out, err = run(capsys, "catalog", "refresh")
    assert code == 0, err
    assert "local/bot: refreshed (" in out and "total_params" in out and "config" in out
    entry = load_catalog().get("local/bot")
    assert entry.total_params == 256 * 128
    assert (entry.quality_tier, entry.quality_source) == (5, "our evaluation on 200 tickets")
    assert entry.quality_score("general") == 70 and entry.quality["general"].figures[0].value == 81.0


def test_refresh_one_hub_entry(user_file: Path, hub: FakeHub, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    run(capsys, "catalog", "add", "acme-lab/smollm2-135m-support-fr")
    calls = len(hub.calls)
    code, out, _ = run(capsys, "catalog", "refresh", "acme-lab/smollm2-135m-support-fr", "--json")
    assert code == 0
    report = json.loads(out)
    assert report["refreshed"] == [
        {"id": "acme-lab/smollm2-135m-support-fr", "source": {"hub": "acme-lab/smollm2-135m-support-fr"}, "changed": []}
    ]
    assert len(hub.calls) == 2 * calls  # read from the Hub again, not from the cache


def test_refresh_offline_leaves_hub_entries_alone(
    user_file: Path,
    hub: FakeHub,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from huggingface_hub import constants

    run(capsys, "catalog", "add", "acme-lab/smollm2-135m-support-fr")
    before = user_file.read_bytes()
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    code, _, err = run(capsys, "catalog", "refresh")
    assert code == 4 and "offline (HF_HUB_OFFLINE=1)" in err and "left as they were" in err
    assert user_file.read_bytes() == before


def test_refresh_goes_on_past_a_failure(user_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gone, kept = tiny_dir(tmp_path / "gone"), tiny_dir(tmp_path / "kept")
    run(capsys, "catalog", "add", str(gone))
    run(capsys, "catalog", "add", str(kept))
    (gone / "config.json").unlink()
    (gone / "model.safetensors").unlink()
    gone.rmdir()
    tiny_dir(kept, hidden=32)
    code, out, err = run(capsys, "catalog", "refresh")
    assert code == 3 and "local/gone" in err and "is gone" in err and "local/kept: refreshed" in out
    assert load_catalog().get("local/kept").total_params == 256 * 32
    assert load_catalog().get("local/gone").total_params == 256 * 64  # left as it was


def test_refresh_unknown_id(user_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "catalog", "refresh", SMOLLM2)
    assert code == 3 and "not in your user catalog" in err and "built-in" in err


def test_refresh_with_nothing_to_do(user_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "catalog", "refresh")
    assert code == 0 and "no user catalog entries" in err and not user_file.exists()


# ---------------------------------------------------------------------------------------------
# A file that does not parse is reported, and never overwritten


def _corrupt(user_file: Path, text: str) -> None:
    user_file.parent.mkdir(parents=True, exist_ok=True)
    user_file.write_text(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("version: user\nmodels:\n  - id: [unclosed\n", ["YAML syntax error", "catalog.yaml:4", "left untouched"]),
        ("- just\n- a list\n", ["a user catalog is a mapping"]),
        ("version: user\nmodels: {}\nextra: 1\n", ["unknown key 'extra'", "'models' must be a list"]),
    ],
    ids=["yaml-syntax", "not-a-mapping", "bad-keys"],
)
def test_corrupt_file_is_reported_and_kept(
    user_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, expected: list[str]
) -> None:
    _corrupt(user_file, text)
    for args in (("catalog", "list"), ("catalog", "add", str(tiny_dir(tmp_path / "bot")))):
        code, _, err = run(capsys, *args)
        assert code == 3, args
        assert str(user_file) in err and all(e in err for e in expected), err
        assert "Traceback" not in err
    assert user_file.read_text() == text  # never overwritten


def test_bad_entry_names_file_entry_and_field(
    user_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "catalog", "add", str(tiny_dir(tmp_path / "bot")))
    data = yaml.safe_load(user_file.read_text())
    data["models"][0]["quality_tier"] = 9
    del data["models"][0]["source"]
    text = yaml.safe_dump(data, sort_keys=False)
    user_file.write_text(text)
    with pytest.raises(InputError) as caught:
        load_catalog()
    message = str(caught.value)
    assert str(user_file) in message and "entry 'local/bot'" in message
    assert "field 'quality_tier'" in message and "field 'source'" in message  # both problems at once
    code, _, err = run(capsys, "catalog", "refresh")
    assert code == 3 and "field 'quality_tier'" in err
    assert user_file.read_text() == text


def test_write_is_atomic_and_leaves_no_temporary_file(
    user_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import os

    run(capsys, "catalog", "add", str(tiny_dir(tmp_path / "bot")))
    before = user_file.read_text()
    user = read_user_catalog()

    def fail(*args: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        write_user_catalog(user)
    assert user_file.read_text() == before
    # The lock file may stay (filelock leaves it on POSIX); no temporary file does.
    assert sorted(p.name for p in user_file.parent.iterdir()) == [".catalog.yaml.lock", "catalog.yaml"]


def test_an_empty_file_is_an_empty_catalog(user_file: Path) -> None:
    _corrupt(user_file, "")
    assert "+" not in load_catalog().version and read_user_catalog().entries == []


def test_an_alias_bomb_under_an_entry_config_is_refused(user_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    levels = "".join(
        f"      {b}: &{b} [{', '.join(['*' + a] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi", strict=True)
    )
    _corrupt(
        user_file,
        "version: user\nmodels:\n  - id: local/bomb\n    source: {dir: /x}\n    config:\n"
        "      a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + levels,
    )
    code, out, err = run(capsys, "catalog", "show", "local/bomb")
    assert code == 3 and out == ""
    assert str(user_file) in err and "expand to more than" in err


def test_parallel_adds_keep_every_entry(user_file: Path, tmp_path: Path) -> None:
    """Eight `advisor catalog add` processes at once: each re-reads the file under the lock."""
    import os
    import subprocess
    import sys

    folders = [tiny_dir(tmp_path / f"m{i}") for i in range(8)]
    env = dict(os.environ, ADVISOR_USER_CATALOG=str(user_file), ADVISOR_CACHE_DIR=str(tmp_path / "cache"))
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "advisor", "catalog", "add", str(folder), "--json"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for folder in folders
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err.decode()
    clear_cache()
    assert sorted(entry.id for entry in read_user_catalog().entries) == [f"local/m{i}" for i in range(8)]
