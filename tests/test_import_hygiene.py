"""The headless core stays light: importing it never loads torch, transformers, accelerate or textual."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("torch", "transformers", "accelerate", "textual")


def _loaded_after(statement: str) -> list[str]:
    code = f"import sys, json\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    modules = json.loads(out.strip().splitlines()[-1])
    return [name for name in modules if name.split(".")[0] in HEAVY]


@pytest.mark.parametrize(
    "statement",
    [
        "import advisor",
        "import advisor; advisor.recommend({'task_type': 'document_qa'}, hardware={'gpus': []})",
        "from advisor.cli import main",
    ],
)
def test_core_never_imports_heavy_modules(statement: str) -> None:
    assert _loaded_after(statement) == []


def test_core_modules_do_not_import_textual_at_all() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "advisor"
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if "tui" not in path.parts and ("import textual" in path.read_text() or "from textual" in path.read_text())
    ]
    assert offenders == []
