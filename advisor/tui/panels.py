"""The hardware panel (what was detected, what to plan for instead) and the live recommendation panel."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from textual import on
from textual.app import ComposeResult
from textual.containers import Grid, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Static

from advisor.i18n import Lang, LocalizedText
from advisor.tui import render
from advisor.tui.presets import find_preset, gpu_presets
from advisor.tui.texts import localized, t
from advisor.units import GIB, format_number

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


# Bounds of the boxes, as the hardware override accepts them (advisor.hardware.HardwareOverride).
MAX_VRAM_GIB = 4096
MAX_GPU_COUNT = 1024
MAX_RAM_GIB = 1 << 20


def _number(text: str, kind: type[float] | type[int], maximum: float, *, zero_ok: bool) -> float | int | None:
    """A box's number (None when empty); raises ValueError with the message key when it is not usable."""
    text = text.strip().replace(",", ".") if kind is float else text.strip()
    if not text:
        return None
    try:
        value = kind(text)
    except ValueError:
        raise ValueError("tui.hw.number_invalid") from None
    if value != value or value < 0 or (value == 0 and not zero_ok):  # NaN, negative, zero
        raise ValueError("tui.hw.positive" if not zero_ok else "tui.hw.not_negative")
    if value > maximum:
        raise ValueError("tui.hw.too_large")
    return value


def build_override(
    name: str, vram: str, count: str, ram: str, base: HardwareProfile | None
) -> tuple[dict[str, Any] | None, LocalizedText | None]:
    """The ``hardware=`` override the four boxes describe (None when all are empty), or an error.

    Empty boxes keep the base figures: a GPU count alone multiplies the largest base GPU, a
    memory alone resizes every GPU, a name alone renames them, or, when it is a GPU of the GPU
    table, brings its memory and bandwidth; 0 GPUs plans for a CPU-only machine.
    """
    values: dict[str, Any] = {}
    for box, text, kind, maximum, zero_ok in (
        ("vram", vram, float, MAX_VRAM_GIB, False),
        ("count", count, int, MAX_GPU_COUNT, True),
        ("ram", ram, float, MAX_RAM_GIB, False),
    ):
        try:
            values[box] = _number(text, kind, maximum, zero_ok=zero_ok)
        except ValueError as exc:
            return None, localized(str(exc), box=localized(f"tui.hw.box.{box}"), maximum=maximum)
    vram_gb, gpu_count, ram_gb = values["vram"], values["count"], values["ram"]
    name = " ".join(name.split())[:80]
    preset = find_preset(name) if name else None
    bandwidth = preset.bandwidth_gbps if preset is not None else None
    data: dict[str, Any] = {}
    if name or vram_gb is not None or gpu_count is not None:
        usable = base.usable_gpus if base is not None else []
        if vram_gb is not None:
            size = vram_gb
        elif preset is not None:
            size = preset.memory_gib
        else:
            size = max((g.total_bytes for g in usable), default=0) / GIB
        number = gpu_count if gpu_count is not None else max(1, len(usable))
        if number == 0:
            data["gpus"] = []
        elif size > 0:
            gpu: dict[str, Any] = {"name": name or "GPU", "vram_gb": size}
            if bandwidth is not None and vram_gb is None:
                gpu["bandwidth_gbps"] = bandwidth
            data["gpus"] = [dict(gpu) for _ in range(number)]
        else:
            # A name or a count without any memory figure to go with it cannot make a GPU.
            return None, localized("tui.hw.needs_memory")
    if ram_gb is not None:
        data["ram_gb"] = ram_gb
    return (data or None), None


def _plain(value: Any) -> str:
    """24.0 -> "24", 22.5 -> "22.5": a figure as a user would type it back."""
    number = float(value)
    return str(int(number)) if number.is_integer() else str(number)


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
        # Above the boxes: at 80x24 a message under them would be off screen while one types.
        yield Static(id="hw-planning")
        with Grid(id="hw-grid"):
            for input_id, key, _kind in _OVERRIDE_FIELDS:
                yield Static(Content(t(key, self.lang)), id=f"{input_id}-label", classes="hw-label")
                # Typed "text": Textual's number boxes mark an empty box invalid (red) and drop "-";
                # the panel checks the text itself and says why a figure is refused.
                yield Input(id=input_id, placeholder=t(f"{key}.placeholder", self.lang), classes="hw-box")

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
        """Type into the boxes (tests, presets, a reloaded file)."""
        for (input_id, _, _), value in zip(_OVERRIDE_FIELDS, (name, vram, count, ram), strict=True):
            self.query_one(f"#{input_id}", Input).value = value

    def use_preset(self, name: str) -> None:
        """Plan for the GPU ``name`` of the GPU table: its name in the first box, memory from the table."""
        _, vram, count, ram = self.values()
        self.fill(name=name, vram="", count=count, ram=ram)
        self.query_one("#hw-gpu-name", Input).focus()

    def show_override(self, override: dict[str, Any] | None) -> None:
        """Fill the boxes from a saved ``hardware:`` block (None or empty: clear them)."""
        if not override:
            self.fill()
            return
        gpus = override.get("gpus")
        name = vram = count = ""
        if gpus is not None:
            count = str(len(gpus))
            if gpus:
                first = gpus[0]
                name = str(first.get("name") or "")
                preset = find_preset(name)
                size = first.get("vram_gb")
                if size is not None and not (preset is not None and float(size) == preset.memory_gib):
                    vram = _plain(size)
                if name == "GPU":
                    name = ""
        elif override.get("vram_gb") is not None:
            vram = _plain(override["vram_gb"])
            count = str(override.get("gpu_count") or "")
        ram = _plain(override["ram_gb"]) if override.get("ram_gb") is not None else ""
        self.fill(name=name, vram=vram, count=count, ram=ram)

    def saved_override(self) -> dict[str, Any] | None:
        """The override to save with the answers: what the boxes describe, when it is valid."""
        override, error = self.override()
        return None if error is not None else override

    def relabel(self, lang: Lang) -> None:
        """Redraw every text in ``lang``."""
        self.lang = lang
        self.query_one("#hw-override-title", Static).update(Content(t("tui.hw.override_title", lang)))
        for input_id, key, _ in _OVERRIDE_FIELDS:
            self.query_one(f"#{input_id}-label", Static).update(Content(t(key, lang)))
            self.query_one(f"#{input_id}", Input).placeholder = t(f"{key}.placeholder", lang)
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
            lines.extend(f"  {render.hardware_note(note, lang)}" for note in self.base.notes)
        self.query_one("#hw-status", Static).update(Content("\n".join(lines)))
        planning: list[str] = []
        if self.override_error is not None:
            planning.append(t("tui.hw.override_error", lang, error=self.override_error.get(lang)))
        preset = find_preset(self.values()[0]) if self.is_mounted else None
        if preset is not None:
            planning.append(
                t(
                    "tui.hw.preset_found",
                    lang,
                    name=preset.name,
                    memory=format_number(preset.memory_gib, lang, 0),
                    bandwidth=format_number(preset.bandwidth_gbps or 0, lang, 0),
                )
            )
        elif self.values()[0].strip() and gpu_presets():
            planning.append(t("tui.hw.preset_unknown", lang))
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
