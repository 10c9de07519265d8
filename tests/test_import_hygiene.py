"""The headless core stays light: importing it never loads torch, transformers, accelerate or textual."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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


def test_cli_recommend_cold_path_stays_lean(tmp_path: Path) -> None:
    # What `advisor recommend FILE --json` must not pay for (benchmarks/README.md, "Speed"): the
    # report and summary libraries, psutil and subprocess on Linux (RAM comes from /proc/meminfo),
    # nvidia-ml-py where no NVIDIA library loads, and pydantic's scan of every distribution for plugins.
    from advisor.hardware.nvidia import nvml_library_loadable

    answers = tmp_path / "answers.yaml"
    answers.write_text("task_type: document_qa\nlanguages: [fr]\n")
    code = (
        "import io, contextlib, json, sys\n"
        "from advisor.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    main(['recommend', {str(answers)!r}, '--vram', '24', '--json'])\n"
        "from pydantic.plugin import _loader\n"
        "print(json.dumps([sorted(sys.modules), _loader._plugins is None]))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env).stdout
    modules, plugins_not_scanned = json.loads(out.strip().splitlines()[-1])
    unwanted = ["rich", "jinja2", "huggingface_hub", *HEAVY]
    if sys.platform.startswith("linux"):
        unwanted += ["psutil", "subprocess"]
    if not nvml_library_loadable():
        unwanted.append("pynvml")
    assert [name for name in unwanted if name in modules] == []
    assert plugins_not_scanned


def test_a_pydantic_plugin_setting_of_the_user_is_kept(tmp_path: Path) -> None:
    code = (
        "import os\nfrom advisor.cli import main\nmain(['--version'])\nprint(os.environ['PYDANTIC_DISABLE_PLUGINS'])\n"
    )
    env = {**os.environ, "PYDANTIC_DISABLE_PLUGINS": "logfire-plugin"}
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env).stdout
    assert out.strip().splitlines()[-1] == "logfire-plugin"
