"""The hardware panel (what was detected, what to plan for instead) and the live recommendation panel."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from textual import on
from textual.app import ComposeResult
from textual.containers import Grid, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Static

from advisor.hardware.profile import GIB
from advisor.i18n import Lang, LocalizedText
from advisor.tui import render
from advisor.tui.texts import localized, t

if TYPE_CHECKING:
    from advisor.hardware.profile import HardwareProfile
    from advisor.results import Recommendation

HardwareState = Literal["detecting", "detected", "given", "unavailable", "failed"]

# (input id, message key of its label, input type)
_OVERRIDE_FIELDS: tuple[tuple[str, str, Literal["text", "number", "integer"]], ...] = (
    ("hw-gpu-name", "tui.hw.gpu_name", "text"),
    ("hw-vram", "tui.hw.vram", "number"),
    ("hw-gpu-count", "tui.hw.gpu_count", "integer"),
    ("hw-ram", "tui.hw.ram", "number"),
)


def build_override(
    name: str, vram: str, count: str, ram: str, base: HardwareProfile | None
) -> tuple[dict[str, Any] | None, LocalizedText | None]:
    """The ``hardware=`` override the four boxes describe (None when all are empty), or an error.

    Empty boxes keep the base figures: a GPU count alone multiplies the largest base GPU, a
    memory alone resizes every GPU, a name alone renames them; 0 GPUs plans for a CPU-only machine.
    """
    try:
        vram_gb = float(vram) if vram.strip() else None
        gpu_count = int(count) if count.strip() else None
        ram_gb = float(ram) if ram.strip() else None
    except ValueError:
        return None, localized("tui.hw.number_invalid")
    name = name.strip()
    data: dict[str, Any] = {}
    if name or vram_gb is not None or gpu_count is not None:
        usable = base.usable_gpus if base is not None else []
        size = vram_gb if vram_gb is not None else max((g.total_bytes for g in usable), default=0) / GIB
        number = gpu_count if gpu_count is not None else max(1, len(usable))
        if number == 0:
            data["gpus"] = []
        elif size > 0:
            data["gpus"] = [{"name": name or "GPU", "vram_gb": size} for _ in range(number)]
        elif name or gpu_count is not None:
            # A name or a count without any memory figure to go with it cannot make a GPU.
            return None, localized("tui.hw.needs_memory")
    if ram_gb is not None:
        data["ram_gb"] = ram_gb
    return (data or None), None


class HardwarePanel(Vertical):
    """Detected GPUs and RAM, and four boxes to plan for other hardware instead."""

    class Edited(Message):
        """An override box changed."""

    def __init__(self, lang: Lang, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self.lang = lang
        self.state: HardwareState = "detecting"
        self.base: HardwareProfile | None = None
        self.detail: str | None = None
        self.override_error: LocalizedText | None = None
        self.planned: HardwareProfile | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="hw-status")
        yield Static(Content(t("tui.hw.override_title", self.lang)), id="hw-override-title", classes="section-title")
        with Grid(id="hw-grid"):
            for input_id, key, kind in _OVERRIDE_FIELDS:
                yield Static(Content(t(key, self.lang)), id=f"{input_id}-label", classes="hw-label")
                yield Input(id=input_id, type=kind, compact=True)
        yield Static(id="hw-planning")

    def on_mount(self) -> None:
        self.redraw()

    def set_base(self, state: HardwareState, base: HardwareProfile | None, detail: str | None = None) -> None:
        """Show what was detected (or given), or why nothing was."""
        self.state, self.base, self.detail = state, base, detail
        self.redraw()

    def set_planned(self, planned: HardwareProfile | None, error: LocalizedText | None) -> None:
        """Show the profile the recommendation is sized for, and an override that was refused."""
        self.planned, self.override_error = planned, error
        self.redraw()

    def values(self) -> tuple[str, str, str, str]:
        """The four boxes as typed."""
        return tuple(self.query_one(f"#{input_id}", Input).value for input_id, _, _ in _OVERRIDE_FIELDS)  # type: ignore[return-value]

    def override(self) -> tuple[dict[str, Any] | None, LocalizedText | None]:
        """The override the boxes describe, or the reason it cannot be used."""
        return build_override(*self.values(), base=self.base)

    def fill(self, *, name: str = "", vram: str = "", count: str = "", ram: str = "") -> None:
        """Type into the boxes (tests, and a future "plan for" preset)."""
        for (input_id, _, _), value in zip(_OVERRIDE_FIELDS, (name, vram, count, ram), strict=True):
            self.query_one(f"#{input_id}", Input).value = value

    def relabel(self, lang: Lang) -> None:
        """Redraw every text in ``lang``."""
        self.lang = lang
        self.query_one("#hw-override-title", Static).update(Content(t("tui.hw.override_title", lang)))
        for input_id, key, _ in _OVERRIDE_FIELDS:
            self.query_one(f"#{input_id}-label", Static).update(Content(t(key, lang)))
        self.redraw()

    def redraw(self) -> None:
        """Rewrite the status and planning lines from the current state."""
        if not self.is_mounted:
            return
        lang = self.lang
        lines: list[str] = []
        if self.state == "detecting":
            lines.append(t("tui.hw.detecting", lang))
        elif self.state == "unavailable":
            lines.append(t("tui.hw.unavailable", lang))
        elif self.state == "failed":
            lines.append(t("tui.hw.failed", lang, error=self.detail or ""))
        else:
            lines.append(t("tui.hw.given" if self.state == "given" else "tui.hw.detected", lang))
        if self.base is not None and self.state in ("detected", "given"):
            lines.extend(f"  {line}" for line in render.hardware_lines(self.base, lang))
            lines.extend(f"  {note}" for note in self.base.notes)
        self.query_one("#hw-status", Static).update(Content("\n".join(lines)))
        planning: list[str] = []
        if self.override_error is not None:
            planning.append(t("tui.hw.override_error", lang, error=self.override_error.get(lang)))
        if self.planned is not None:
            planning.append(t("tui.hw.planning", lang, summary=render.hardware_summary(self.planned, lang)))
        self.query_one("#hw-planning", Static).update(Content("\n".join(planning)))
        self.set_class(self.override_error is not None, "-invalid")

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.Edited())


class LivePanel(VerticalScroll):
    """The recommendation for the answers so far, redrawn on every change.

    Beside the questions it is a column; under them (narrow terminals) a strip, drawn compact.
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self._shown: tuple[Any, ...] | None = None
        self._compact: bool | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="live-text")

    def on_resize(self) -> None:
        if self._shown is not None and self._is_compact() != self._compact:
            self._draw()

    def _is_compact(self) -> bool:
        return self.screen.has_class("-narrow")

    def show(
        self,
        rec: Recommendation | None,
        lang: Lang,
        *,
        answered: int,
        total: int,
        invalid: int,
        error: str | None = None,
    ) -> None:
        """Draw ``rec`` with how much of the questionnaire is filled in."""
        self._shown = (rec, lang, answered, total, invalid, error)
        self._draw()

    def _draw(self) -> None:
        assert self._shown is not None
        rec, lang, answered, total, invalid, error = self._shown
        self._compact = self._is_compact()
        self.query_one("#live-text", Static).update(
            render.live_panel(
                rec, lang, answered=answered, total=total, invalid=invalid, error=error, compact=self._compact
            )
        )
