"""Hostile or accidental huge input: refused with the limit named, quoted only in short excerpts.

The time bound (a 398-byte alias bomb answered in well under a second) is measured in
benchmarks/bounded_input.py; these tests check the behaviour: what is refused, what still passes
on the other side of each limit, and how long the messages are.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel, ValidationError

from advisor import datafiles
from advisor.catalog.loader import parse_catalog_file
from advisor.cli import main
from advisor.errors import InputError, InputErrors
from advisor.questionnaire import load_answers

# The classic "billion laughs" in 398 bytes: nine levels of nine aliases, 9**9 strings expanded.
BOMB = "a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n" + "".join(
    f"{b}: &{b} [{','.join(['*' + a] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi", strict=True)
)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_bomb_is_as_small_as_the_one_reported() -> None:
    assert len(BOMB) <= 398  # the size of the one reported (its exact text was not kept)


def test_an_alias_bomb_is_refused_before_expansion(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    answers = tmp_path / "bomb.yaml"
    answers.write_text(BOMB, encoding="utf-8")
    code, out, err = run(capsys, "recommend", str(answers), "--vram", "24", "--ram", "64")
    assert code == 3 and out == ""
    assert "expand to more than 200,000 values" in err and str(answers) in err
    assert len(err) < 1000


def test_the_alias_limit_on_both_sides(monkeypatch: pytest.MonkeyPatch) -> None:
    # mapping 1 + key 1 + [1,2,3] 4 + key 1 + [*a, *a] (1 + 4 + 4) = 16 values once expanded
    text = "a: &a [1, 2, 3]\nb: [*a, *a]\n"
    monkeypatch.setattr(datafiles, "MAX_YAML_NODES", 16)
    assert datafiles.parse_yaml(text, "<t>") == {"a": [1, 2, 3], "b": [[1, 2, 3], [1, 2, 3]]}
    monkeypatch.setattr(datafiles, "MAX_YAML_NODES", 15)
    with pytest.raises(InputError, match="expand to more than 15 values"):
        datafiles.parse_yaml(text, "<t>")


def test_the_builtin_catalog_keeps_its_aliases() -> None:
    from advisor.catalog import BUILTIN_CATALOG

    assert "*thebloke_formats" in BUILTIN_CATALOG.read_text(encoding="utf-8")
    assert len(parse_catalog_file(BUILTIN_CATALOG)) > 10


def test_an_answers_file_over_the_limit_is_refused_unread(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = "task_type: classification\n"
    limit = datafiles.MAX_FILE_BYTES
    at_limit = tmp_path / "at.yaml"
    at_limit.write_text(body + "#" * (limit - len(body) - 1) + "\n", encoding="utf-8")
    assert at_limit.stat().st_size == limit
    assert load_answers(at_limit).task_type == "classification"
    over = tmp_path / "over.yaml"
    over.write_text(body + "#" * (limit - len(body)) + "\n", encoding="utf-8")
    code, out, err = run(capsys, "recommend", str(over), "--vram", "24", "--ram", "64")
    assert code == 3 and "larger than the 1 MiB limit" in err and str(over) in err


def test_a_50_mb_list_in_a_file_is_refused_by_size(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    answers = tmp_path / "list.yaml"
    answers.write_text("languages: [" + "fr, " * 12_500_000 + "fr]\n", encoding="utf-8")
    code, _, err = run(capsys, "recommend", str(answers), "--vram", "24", "--ram", "64")
    assert code == 3 and "limit" in err and len(err) < 1000


def test_a_catalog_over_its_limit_is_refused(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.yaml"
    catalog.write_bytes(b"version: x\nmodels: []\n" + b"#" * datafiles.MAX_CATALOG_BYTES)
    with pytest.raises(InputError, match="larger than the 16 MiB limit"):
        parse_catalog_file(catalog)


def test_a_hardware_file_over_the_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    hardware = tmp_path / "hw.yaml"
    hardware.write_text("ram_gb: 64\n" + "#" * datafiles.MAX_FILE_BYTES + "\n", encoding="utf-8")
    monkeypatch.setenv("ADVISOR_HARDWARE", str(hardware))
    code, _, err = run(capsys, "detect")
    assert code == 3 and "1 MiB limit" in err


def test_a_50_mb_string_is_quoted_in_a_short_excerpt() -> None:
    with pytest.raises(InputErrors) as caught:
        load_answers({"languages": "x" * 50_000_000})
    message = str(caught.value)
    assert "is not an ISO 639 language code" in message and "languages" in message
    assert len(message) < 400
    assert "xxxx" in message  # an excerpt, still recognisable


class _Codes(BaseModel):
    codes: list[Literal["a", "b"]]


def _listed(count: int) -> list[InputError]:
    with pytest.raises(ValidationError) as caught:
        _Codes.model_validate({"codes": ["zz"] * count})
    return datafiles.errors_from_validation(caught.value, _Codes, file="f.yaml", entry=None)


def test_a_huge_list_of_bad_items_lists_the_first_problems_only() -> None:
    errors = _listed(100_000)
    assert len(errors) == datafiles.MAX_REPORTED_ERRORS + 1
    assert "99,980 more problems" in errors[-1].message
    assert sum(len(str(e)) for e in errors) < 20_000


def test_a_list_at_the_error_limit_has_no_more_line() -> None:
    errors = _listed(datafiles.MAX_REPORTED_ERRORS)
    assert len(errors) == datafiles.MAX_REPORTED_ERRORS
    assert not any("more problems" in e.message for e in errors)


def test_a_huge_unknown_key_is_quoted_short() -> None:
    with pytest.raises(InputErrors) as caught:
        load_answers({"k" * 1_000_000: 1})
    assert "unknown key" in str(caught.value) and len(str(caught.value)) < 2000


def test_excerpt_is_bounded_for_any_value() -> None:
    shared: list[object] = ["lol"] * 9
    for _ in range(9):
        shared = [shared] * 9  # 9**10 leaves by reference: a full repr would never end
    for value in ("y" * 10_000_000, shared, {"k" * 1000: "v"}, 12345):
        assert len(datafiles.excerpt(value)) <= datafiles.EXCERPT_CHARS
    assert datafiles.excerpt("fr") == "'fr'"


def test_a_list_answer_is_bounded_on_both_sides() -> None:
    from advisor.questionnaire import MAX_LIST_ITEMS

    assert len(load_answers({"languages": ["fr"] * MAX_LIST_ITEMS}).languages or ()) == MAX_LIST_ITEMS
    with pytest.raises(InputErrors) as caught:
        load_answers({"languages": ["fr"] * 5_000_000})
    assert f"at most {MAX_LIST_ITEMS} items" in str(caught.value) and len(str(caught.value)) < 400


def test_a_long_string_is_not_split_as_a_list_of_codes() -> None:
    assert load_answers({"languages": "fr, en de"}).languages == ("fr", "en", "de")
    with pytest.raises(InputErrors) as caught:
        load_answers({"languages": "fr " * 2000})  # 6,000 characters: refused whole, not split
    assert "is not an ISO 639 language code" in str(caught.value)
