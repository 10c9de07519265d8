"""Settings: every variable the advisor reads is named in advisor/settings.py and documented for users."""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path

from advisor import settings

ROOT = Path(__file__).resolve().parents[1]


def test_every_variable_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    table = set(re.findall(r"^\| `(ADVISOR_[A-Z_]+)` \|", readme, flags=re.M))
    assert table == set(settings.VARIABLES)


def test_no_module_spells_an_advisor_variable_outside_settings() -> None:
    """A new variable read anywhere else would escape the README table above."""
    offenders = []
    for path in (ROOT / "advisor").rglob("*.py"):
        if path.name == "settings.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            is_text = isinstance(node, ast.Constant) and isinstance(node.value, str)
            if is_text and re.fullmatch(r"ADVISOR_[A-Z_]+", node.value):
                offenders.append(f"{path.relative_to(ROOT)}: {node.value}")
    assert offenders == []


def test_collection_and_tests_never_see_the_real_user_files() -> None:
    """The session is isolated before collection (conftest.pytest_configure), not only per test."""
    home = Path.home()
    for name in ("ADVISOR_USER_CATALOG", "ADVISOR_CACHE_DIR"):
        assert home not in Path(os.environ[name]).parents or "advisor-tests-" in os.environ[name]
    assert settings.cache_dir() == Path(os.environ["ADVISOR_CACHE_DIR"])
