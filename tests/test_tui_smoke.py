"""The terminal app's smoke test for real: a child process loads a tiny random-weight model, offline.

Slow (the child imports torch and transformers); skipped without them. The fast tests in
test_tui_results fake ``smoke_test``; these check the worker, the progress, and that stopping
really ends the child's process group.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Static

from advisor.tui import AdvisorApp
from advisor.tui import app as app_module
from tests.test_tui import settle
from tests.tiny_models import save_tiny_model

pytest.importorskip("torch")
pytest.importorskip("transformers")
psutil = pytest.importorskip("psutil")

pytestmark = pytest.mark.slow

HARDWARE = {"gpus": [], "ram_gb": 16}


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_model(tmp_path_factory.mktemp("tui-tiny") / "tiny-llama")


@pytest.fixture
def tiny_target(tiny_model: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setattr(app_module, "smoke_target", lambda rec: (str(tiny_model), None))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return tiny_model


def smoke_children() -> list[Any]:
    me = psutil.Process(os.getpid())
    return [c for c in me.children(recursive=True) if "advisor.smoke.child" in " ".join(c.cmdline())]


async def test_real_smoke_test_runs_and_reports(tiny_target: Path) -> None:
    app = AdvisorApp(hardware=HARDWARE, lang="en")
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f4", "t")
        await settle(pilot)
        assert app.smoke.state == "done", app.smoke
        result = app.smoke.result
        assert result.ok, result.error
        assert "It ran on cpu" in app.screen.query_one("#body-smoke", Static).content.plain
    assert smoke_children() == []


async def test_stopping_a_real_smoke_test_ends_its_process(tiny_target: Path) -> None:
    app = AdvisorApp(hardware=HARDWARE, lang="en")
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f4", "t")
        for _ in range(1200):  # until the child reports its first step (bounded; not a timing check)
            await pilot.pause(0.05)
            if app.smoke.step is not None and smoke_children():
                break
        assert app.smoke.state == "running"
        assert smoke_children()
        await pilot.press("c")
        await settle(pilot)
        assert app.smoke.state == "cancelled"
        assert smoke_children() == []
