"""Shared test setup: no network, no Hub token, no user overrides leaking in from the environment."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from advisor.settings import VARIABLES

_SESSION_HOME: Path | None = None


def pytest_configure(config: pytest.Config) -> None:
    """Isolate the whole session, collection included: modules that load the catalog or the package
    data at import time must already see a private user catalog and cache, never the real home's."""
    global _SESSION_HOME
    _SESSION_HOME = Path(tempfile.mkdtemp(prefix="advisor-tests-"))
    for name in VARIABLES:
        os.environ.pop(name, None)
    os.environ["ADVISOR_USER_CATALOG"] = str(_SESSION_HOME / "no-user-catalog.yaml")
    os.environ["ADVISOR_CACHE_DIR"] = str(_SESSION_HOME / "advisor-cache")
    os.environ["HF_HOME"] = str(_SESSION_HOME / "hf_home")
    os.environ["HF_HUB_OFFLINE"] = "1"


def pytest_unconfigure(config: pytest.Config) -> None:
    if _SESSION_HOME is not None:
        shutil.rmtree(_SESSION_HOME, ignore_errors=True)


# Hardware profiles the scenario and CLI tests plan for (the machine running the tests has no GPU).
HARDWARE = {
    "cpu": {"gpus": [], "ram_gb": 32},
    "gpu4": {"gpus": [{"name": "GTX 1650", "vram_gb": 4}], "ram_gb": 16},
    "gpu8": {"gpus": [{"name": "RTX 4060", "vram_gb": 8}], "ram_gb": 32},
    "gpu24": {"gpus": [{"name": "RTX 4090", "vram_gb": 24}], "ram_gb": 64},
    "gpu80x2": {"gpus": [{"name": "H100 80GB", "vram_gb": 80}, {"name": "H100 80GB", "vram_gb": 80}], "ram_gb": 512},
}


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    for name in (
        "HF_TOKEN",
        "HUGGING_FACE_HUB_TOKEN",
        "ADVISOR_LANG",
        "ADVISOR_HARDWARE",
        "ADVISOR_VRAM_GB",
        "ADVISOR_GPUS",
        "ADVISOR_RAM_GB",
        "ADVISOR_GPU",
        "ADVISOR_NODES",
        "ADVISOR_DEBUG",
        "LANGUAGE",
        "LC_ALL",
        "LC_MESSAGES",
        "LANG",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path_factory.getbasetemp() / "hf_home"))
    # The user catalog overlays the built-in one in every load_catalog(): never the real home's.
    monkeypatch.setenv("ADVISOR_USER_CATALOG", str(tmp_path_factory.getbasetemp() / "no-user-catalog.yaml"))
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "advisor-cache"))
