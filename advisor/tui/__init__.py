"""The terminal questionnaire (Textual). The only part of llm-advisor that imports ``textual``.

``advisor`` with no verb calls :func:`run_app`. Importing this package costs nothing: the app
module (and Textual) load when :func:`run_app` runs or ``AdvisorApp`` is first named.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from advisor.hardware.profile import HardwareProfile
    from advisor.questionnaire import Answers
    from advisor.tui.app import AdvisorApp

__all__ = ["AdvisorApp", "run_app"]


def run_app(
    lang: str | None = None,
    *,
    answers: Answers | dict[str, Any] | str | Path | None = None,
    hardware: dict[str, Any] | HardwareProfile | None = None,
) -> None:
    """Open the questionnaire in this terminal and return when the user quits."""
    from advisor.tui.app import AdvisorApp, stop_smoke_children

    try:
        AdvisorApp(lang=lang, answers=answers, hardware=hardware).run()
    finally:
        # Whatever ended the app (quit, a crash, a signal Textual turned into an exit), no smoke
        # test child outlives it: a download could otherwise go on for minutes, unseen.
        stop_smoke_children()


def __getattr__(name: str) -> Any:
    if name == "AdvisorApp":
        from advisor.tui.app import AdvisorApp

        return AdvisorApp
    raise AttributeError(f"module 'advisor.tui' has no attribute {name!r}")
