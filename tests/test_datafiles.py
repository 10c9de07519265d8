"""YAML reading: located errors, and the parsed-data cache of the package's own files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from advisor import datafiles
from advisor.errors import InputError


@pytest.fixture()
def package_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Pretend tmp_path/pkg is the package, so files there are cached like the shipped data."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    monkeypatch.setattr(datafiles, "PACKAGE_DIR", pkg.resolve())
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(tmp_path / "cache"))
    return pkg


def cached_files(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "cache" / "parsed").glob("*.marshal"))


def test_package_files_are_cached_and_a_change_is_seen(package_dir: Path, tmp_path: Path) -> None:
    data = package_dir / "data.yaml"
    data.write_text("a: 1\nb: [x, y]\n", encoding="utf-8")
    assert datafiles.read_yaml(data) == {"a": 1, "b": ["x", "y"]}
    assert len(cached_files(tmp_path)) == 1
    assert datafiles.read_yaml(data) == {"a": 1, "b": ["x", "y"]}  # from the cache
    data.write_text("a: 2\n", encoding="utf-8")
    os.utime(data, ns=(1, 10**18))  # a new modification time, whatever the clock's resolution
    assert datafiles.read_yaml(data) == {"a": 2}
    assert len(cached_files(tmp_path)) == 2


def test_corrupt_cache_is_ignored(package_dir: Path, tmp_path: Path) -> None:
    data = package_dir / "data.yaml"
    data.write_text("a: 1\n", encoding="utf-8")
    datafiles.read_yaml(data)
    (cache,) = cached_files(tmp_path)
    cache.write_bytes(b"\x00garbage")
    assert datafiles.read_yaml(data) == {"a": 1}


def test_syntax_errors_are_never_cached(package_dir: Path, tmp_path: Path) -> None:
    data = package_dir / "bad.yaml"
    data.write_text("a: [1, 2\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(InputError, match="YAML syntax error"):
            datafiles.read_yaml(data)
    assert cached_files(tmp_path) == []


def test_user_files_and_disabled_cache_are_read_fresh(
    package_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outside = tmp_path / "answers.yaml"
    outside.write_text("a: 1\n", encoding="utf-8")
    assert datafiles.read_yaml(outside) == {"a": 1}
    monkeypatch.setenv("ADVISOR_NO_CACHE", "1")
    inside = package_dir / "data.yaml"
    inside.write_text("a: 1\n", encoding="utf-8")
    assert datafiles.read_yaml(inside) == {"a": 1}
    assert cached_files(tmp_path) == []


def test_unreadable_cache_folder_still_works(
    package_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(blocker))
    data = package_dir / "data.yaml"
    data.write_text("a: 1\n", encoding="utf-8")
    assert datafiles.read_yaml(data) == {"a": 1}


def test_a_cache_entry_that_does_not_check_out_is_a_miss(package_dir: Path, tmp_path: Path) -> None:
    import marshal

    data = package_dir / "data.yaml"
    data.write_text("a: 1\n", encoding="utf-8")
    datafiles.read_yaml(data)
    (cache,) = cached_files(tmp_path)
    fmt, key, _digest, _blob = marshal.loads(cache.read_bytes())
    injected = marshal.dumps({"a": "INJECTED"})
    cache.write_bytes(marshal.dumps((fmt, key, "0" * 64, injected)))  # altered data, stale digest
    assert datafiles.read_yaml(data) == {"a": 1}
    cache.write_bytes(marshal.dumps("a string where a mapping belongs"))  # wrong type altogether
    assert datafiles.read_yaml(data) == {"a": 1}
    assert marshal.loads(cache.read_bytes())[:2] == (fmt, key)  # rewritten whole


def test_the_cache_follows_the_content_not_size_and_mtime(package_dir: Path, tmp_path: Path) -> None:
    data = package_dir / "data.yaml"
    data.write_text("a: 1\n", encoding="utf-8")
    os.utime(data, ns=(1, 10**18))
    assert datafiles.read_yaml(data) == {"a": 1}
    data.write_text("a: 2\n", encoding="utf-8")  # same size
    os.utime(data, ns=(1, 10**18))  # same modification time
    assert datafiles.read_yaml(data) == {"a": 2}
