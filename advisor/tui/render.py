"""What the panels show, as Rich renderables built from a ``Recommendation``.

Kept apart from the widgets so the wording and the arithmetic (bar lengths, margins) are plain
functions: the screens only decide where each block goes. Nothing here imports Textual.
Model and memory fields are read defensively (``_get``) because the selection fills them with
pydantic objects today and the JSON round trip gives dicts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from advisor.i18n import Lang
from advisor.tui.texts import colon, t, t_or
from advisor.units import format_bytes, format_number

if TYPE_CHECKING:
    from advisor.hardware.profile import HardwareProfile
    from advisor.results import Recommendation

BAR_WIDTH = 28
"""Cells of a memory bar: fits next to an 18-cell label and a size within 80 columns."""

SMOKE_STEPS: tuple[str, ...] = ("start", "resolve", "download", "load", "warm-up", "generate")
"""Progress steps the smoke child reports, in order; the progress bar counts them."""

APPROACH_STYLE = "bold cyan"


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def approach_label(approach: str, lang: Lang) -> str:
    """The approach as people call it ("No LLM", "RAG")."""
    return t(f"approach.{approach}", lang)


def effect_label(reason: Any, lang: Lang) -> str:
    """What a rule did, in ``lang``: "excludes Fine-tuning, RAFT", "RAG +3, Fine-tuning -3".

    The core writes the effect in a few English symbols (``advice.effect_text``); its shape follows
    the rule's kind, so the app rebuilds it from the approach names of the message data.
    """
    effect = str(reason.effect)
    kind = getattr(reason, "kind", "")
    if kind == "gate" and effect.startswith("decides "):
        return t("tui.effect.decides", lang, approach=approach_label(effect.removeprefix("decides "), lang))
    if kind == "veto" and effect.startswith("excludes "):
        names = [approach_label(a.strip(), lang) for a in effect.removeprefix("excludes ").split(",")]
        return t("tui.effect.excludes", lang, approaches=", ".join(names))
    if kind == "score":
        parts = []
        for part in effect.split(","):
            approach, _, points = part.strip().rpartition(" ")
            parts.append(f"{approach_label(approach, lang)} {points}" if approach else part.strip())
        return ", ".join(parts)
    if effect.startswith("technique "):
        return t("tui.effect.technique", lang, technique=effect.removeprefix("technique "))
    return effect


def chosen_fits(rec: Recommendation) -> bool:
    """Whether the chosen plan fits the hardware (selection falls back to the smallest when none does)."""
    return bool(_get(_get(rec.model, "chosen"), "fit") != "does-not-fit")


def decided_text(rec: Recommendation, lang: Lang) -> str:
    """How the approach was settled: by a gate, or by the scores."""
    if rec.decided_by == "scores":
        return t("summary.decided_by_scores", lang)
    return t("summary.decided_by_gate", lang, gate=rec.decided_by)


# --- hardware -------------------------------------------------------------------------------------


def hardware_lines(profile: HardwareProfile, lang: Lang) -> list[str]:
    """One line per GPU, then RAM, as the hardware panel lists them."""
    lines = []
    for gpu in profile.gpus:
        line = t(
            "tui.hw.gpu_line",
            lang,
            index=gpu.index,
            name=gpu.name,
            total=format_bytes(gpu.total_bytes, lang),
            usable=format_bytes(gpu.usable_bytes, lang),
        )
        if gpu.status != "ok":
            line += f" ({t('tui.hw.gpu_status', lang, status=gpu.status)})"
        lines.append(line)
    if not profile.usable_gpus:
        lines.append(t("tui.hw.no_gpu", lang))
    if profile.ram_bytes:
        lines.append(
            t(
                "tui.hw.ram_line",
                lang,
                total=format_bytes(profile.ram_bytes, lang),
                usable=format_bytes(profile.usable_ram_bytes, lang),
            )
        )
    return lines


HARDWARE_NOTE_KEYS: tuple[str, ...] = ("tui.hw.note.no_gpu", "tui.hw.note.no_usable_gpu", "tui.hw.note.given")
"""Notes of the hardware module the app shows in French: their English text is the core's, word for word."""


def hardware_note(note: str, lang: Lang) -> str:
    """A note of the hardware profile in ``lang`` when the app knows it; the core's English otherwise."""
    if lang == "en":
        return note
    import re

    from advisor.i18n import message

    for key in HARDWARE_NOTE_KEYS:
        text = message(key, count="{count}")
        pattern = re.escape(text.en).replace(re.escape("{count}"), r"(?P<count>\d+)")
        found = re.fullmatch(pattern, note)
        if found:
            return text.fr.replace("{count}", found.groupdict().get("count") or "")
    return note


def hardware_summary(profile: HardwareProfile, lang: Lang) -> str:
    """The machine a plan is sized for, in one line: "2 x RTX 4090 (21.6 GiB usable), RAM 64 GiB"."""
    groups: dict[tuple[str, int], int] = {}
    for gpu in profile.usable_gpus:
        groups[(gpu.name, gpu.usable_bytes)] = groups.get((gpu.name, gpu.usable_bytes), 0) + 1
    usable = t("tui.hw.usable", lang)
    parts = [
        f"{count} x " * (count > 1) + f"{name} ({format_bytes(size, lang)} {usable})"
        for (name, size), count in groups.items()
    ]
    text = ", ".join(parts) if parts else t("tui.hw.no_gpu", lang)
    if profile.ram_bytes:
        text += f", RAM {format_bytes(profile.ram_bytes, lang)}"
    return f"{text} ({t(f'tui.hw.source.{profile.source}', lang)})"


# --- live panel ----------------------------------------------------------------------------------


def live_panel(
    rec: Recommendation | None,
    lang: Lang,
    *,
    answered: int,
    total: int,
    invalid: int,
    error: str | None = None,
    compact: bool = False,
) -> RenderableType:
    """The live panel: approach, how it was decided, the rules that fired, what is still open.

    ``compact`` is the strip under the questions on narrow terminals: the same facts, run on.
    """
    out = Text()
    title = t("tui.live.title", lang)
    out.append(title + (colon(lang) if compact else "\n"), style="bold")
    if error is not None:
        out.append(t("tui.live.error", lang, error=error) + "\n", style="red")
    if rec is None:
        if error is None:
            out.append(t("tui.live.computing", lang), style="dim")
        return out
    if answered == 0:
        # No answer yet: what the rules say for an empty questionnaire is not advice.
        out.append(t("tui.live.empty", lang) + "\n", style="dim")
        out.append(t("tui.live.hint_empty", lang), style="dim")
        return out
    out.append(approach_label(rec.approach, lang), style=APPROACH_STYLE)
    out.append(f"  ({decided_text(rec, lang)})" if compact else "\n" + decided_text(rec, lang), style="italic")
    out.append("\n")
    if rec.model is not None:
        chosen = _get(rec.model, "chosen")
        name = _get(chosen, "id") or _get(rec.model, "id") or ""
        quantization = rec.quantization or _get(chosen, "quantization") or ""
        if chosen_fits(rec):
            out.append(f"{name} ({quantization})\n", style="green")
        else:
            # The selection names the smallest plan when nothing fits; it is not a recommendation.
            out.append(t("tui.live.nothing_fits", lang) + "\n", style="bold red")
            out.append(t("tui.live.smallest", lang, model=name, quantization=quantization) + "\n", style="red")
    if not compact:
        out.append("\n")
    out.append(t("tui.live.rules", lang) + (colon(lang) if compact else "\n"), style="bold")
    if not rec.reasons:
        out.append(t("tui.live.no_rules", lang) + "\n", style="dim")
    for index, reason in enumerate(rec.reasons):
        if compact:
            out.append(", " if index else "")
            out.append(reason.id, style="cyan")
            out.append(f" ({effect_label(reason, lang)})", style="dim")
        else:
            out.append("• ")
            out.append(reason.id + "\n", style="cyan")
            out.append(f"  {effect_label(reason, lang)}\n", style="dim")
    out.append("\n" if compact else "\n\n" if rec.reasons else "\n")
    status = [(t("tui.live.answered", lang, count=answered, total=total), "")]
    if invalid:
        status.append((t("tui.live.invalid", lang, count=invalid), "red"))
    if rec.follow_up_questions:
        status.append((t("tui.live.follow_ups", lang, count=len(rec.follow_up_questions)), "yellow"))
    status.append((t("tui.live.hint", lang), "dim"))
    for index, (text, style) in enumerate(status):
        if index:
            out.append(" · " if compact else "\n")
        out.append(text, style=style)
    return out


# --- results --------------------------------------------------------------------------------------


def heading(text: str) -> Text:
    """A section title of the results view."""
    return Text(text, style="bold underline")


def approach_block(rec: Recommendation, lang: Lang) -> RenderableType:
    """Approach, how it was settled, and the hardware it is sized for."""
    out = Text()
    out.append(t("summary.approach", lang) + colon(lang), style="bold")
    out.append(approach_label(rec.approach, lang), style=APPROACH_STYLE)
    out.append(f"  ({decided_text(rec, lang)})\n")
    out.append(t("summary.hardware", lang) + colon(lang), style="bold")
    out.append(hardware_summary(rec.hardware, lang))
    return out


def reasons_block(rec: Recommendation, lang: Lang) -> RenderableType:
    """Every rule that fired, with its effect and its text."""
    out = Text()
    if not rec.reasons:
        out.append(t("tui.live.no_rules", lang), style="dim")
    for index, reason in enumerate(rec.reasons):
        if index:
            out.append("\n")
        out.append("• ")
        out.append(reason.id, style="cyan")
        out.append(f" ({effect_label(reason, lang)}){colon(lang)}", style="dim")
        out.append(reason.text.get(lang))
    return out


def alternatives_table(rec: Recommendation, lang: Lang) -> RenderableType:
    """The other approaches, defensible ones first, with their score and why they rank lower."""
    table = Table(expand=True, show_edge=False, pad_edge=False)
    table.add_column(t("tui.results.col.approach", lang), no_wrap=True)
    table.add_column(t("tui.results.col.score", lang), justify="right", no_wrap=True)
    table.add_column(t("tui.results.col.why", lang), ratio=1)
    for alt in rec.alternatives:
        name = Text(approach_label(alt.approach, lang))
        if alt.defensible:
            name.append(f"\n{t('summary.defensible', lang)}", style="green")
        table.add_row(name, str(alt.score), alt.why.get(lang))
    return table


def techniques_block(rec: Recommendation, lang: Lang) -> RenderableType | None:
    """How to carry out the chosen approach (advice rules), or None when there is none."""
    if not rec.techniques:
        return None
    out = Text()
    for index, technique in enumerate(rec.techniques):
        if index:
            out.append("\n")
        out.append("• ")
        out.append(technique.name.get(lang), style="bold")
        out.append(": " + technique.text.get(lang))
    return out


def fit_label(fit: str | None, lang: Lang) -> Text:
    """A fit level in words, coloured: comfortable green, tight yellow, does-not-fit red."""
    if not fit:
        return Text("")
    style = {"comfortable": "green", "tight": "yellow", "does-not-fit": "red"}.get(fit, "")
    return Text(t(f"tui.fit.{fit}", lang), style=style)


NARROW_TABLE = 100
"""Below this width the model plans are listed one per two lines instead of in a table."""


def _model_lines(options: list[Any], fits: bool, lang: Lang) -> Text:
    """The plans stacked: the model id on its own line (never cut), its figures under it."""
    out = Text()
    for index, option in enumerate(options):
        if index:
            out.append("\n")
        out.append(str(_get(option, "id") or ""), style="bold" if index == 0 else "")
        if index == 0:
            label, style = ("tui.results.chosen", "green") if fits else ("tui.results.smallest", "red")
            out.append(f" ({t(label, lang)})", style=style)
        _, total = memory_parts(_get(option, "memory"))
        margin = _get(option, "margin_bytes")
        out.append("\n  " + " · ".join(x for x in (str(_get(option, "quantization") or ""), _runtime(option)) if x))
        if total:
            out.append(f" · {format_bytes(total, lang)} · ")
            out.append_text(fit_label(_get(option, "fit"), lang))
        if margin is not None:
            out.append(f" · {t('tui.results.col.margin', lang).lower()} {format_bytes(margin, lang)}", style="dim")
    return out


def _runtime(option: Any) -> str:
    gpus = _get(option, "num_gpus") or 1
    runtime = str(_get(option, "runtime") or "")
    if _get(option, "device") == "gpu" and gpus > 1:
        runtime += f" x{gpus}"
    return runtime


def model_table(rec: Recommendation, lang: Lang, width: int = 160) -> RenderableType:
    """The chosen model and its runner-ups: quantization, runtime, memory, fit and margin."""
    if rec.model is None:
        if rec.approach == "no-llm":
            return Text(t("tui.results.no_model", lang), style="dim")
        note = rec.selection_note.get(lang) if rec.selection_note else t("tui.results.no_memory", lang)
        return Text(note, style="dim")
    table = Table(expand=True, show_edge=False, pad_edge=False)
    # A model id is never cut: it folds onto a second line in a narrow terminal.
    table.add_column(t("tui.results.col.model", lang), ratio=1, overflow="fold", min_width=16)
    table.add_column(t("tui.results.col.quantization", lang), no_wrap=True)
    table.add_column(t("tui.results.col.runtime", lang), no_wrap=True)
    table.add_column(t("tui.results.col.memory", lang), justify="right", no_wrap=True)
    table.add_column(t("tui.results.col.fit", lang), no_wrap=True)
    table.add_column(t("tui.results.col.margin", lang), justify="right", no_wrap=True)
    chosen = _get(rec.model, "chosen")
    fits = chosen_fits(rec)
    options = [chosen, *(_get(rec.model, "runner_ups") or [])]
    for index, option in enumerate(o for o in options if o is not None):
        _, total = memory_parts(_get(option, "memory"))
        runtime = _runtime(option)
        name = Text(str(_get(option, "id") or ""), style="bold" if index == 0 else "")
        if index == 0 and fits:
            name.append(f" ({t('tui.results.chosen', lang)})", style="green")
        elif index == 0:
            name.append(f" ({t('tui.results.smallest', lang)})", style="red")
        margin = _get(option, "margin_bytes")
        table.add_row(
            name,
            str(_get(option, "quantization") or ""),
            runtime,
            format_bytes(total, lang) if total else "",
            fit_label(_get(option, "fit"), lang),
            format_bytes(margin, lang) if margin is not None else "",
        )
    extra: list[RenderableType] = [table]
    if width < NARROW_TABLE:
        extra = [_model_lines([o for o in options if o is not None], fits, lang)]
    if not fits:
        extra.insert(0, Text(t("tui.results.nothing_fits", lang), style="bold red"))
    training = _get(rec.model, "training")
    if training is not None:
        _, train_total = memory_parts(_get(training, "memory"))
        extra.append(
            Text(
                t(
                    "tui.results.training",
                    lang,
                    method=_get(training, "method"),
                    quantization=_get(training, "base_quantization"),
                    memory=format_bytes(train_total or 0, lang),
                    fit=fit_label(_get(training, "fit"), lang).plain,
                )
            )
        )
    embedding = _get(rec.model, "embedding")
    if embedding is not None:
        extra.append(Text(t("tui.results.embedding", lang, model=_get(embedding, "id") or "")))
    for note in _get(rec.model, "notes") or []:
        extra.append(Text(note.get(lang) if hasattr(note, "get") else str(note), style="dim"))
    return Group(*extra)


def memory_parts(memory: Any) -> tuple[dict[str, int], int | None]:
    """The byte breakdown of an estimate and its total, whatever form the estimate takes."""
    if memory is None:
        return {}, None
    if isinstance(memory, (int, float)):
        return {}, int(memory)
    breakdown = _get(memory, "breakdown") or {}
    parts = {str(k): int(v) for k, v in dict(breakdown).items() if isinstance(v, (int, float)) and v > 0}
    total = _get(memory, "total_bytes")
    if total is None and parts:
        total = sum(parts.values())
    return parts, int(total) if total is not None else None


def usable_for(rec: Recommendation) -> tuple[int, str]:
    """The memory the chosen plan may take, and what it is ("GPU" or "RAM")."""
    chosen = _get(rec.model, "chosen")
    usable = _get(chosen, "usable_bytes")
    device = "RAM" if _get(chosen, "device") == "cpu" else "GPU"
    if usable is None:
        usable = rec.hardware.max_gpu_usable_bytes or rec.hardware.usable_ram_bytes
        device = "GPU" if rec.hardware.max_gpu_usable_bytes else "RAM"
    return int(usable or 0), device


def _bar(size: int, scale: int, style: str, width: int = BAR_WIDTH) -> Text:
    filled = 0 if scale <= 0 else min(width, round(size / scale * width))
    if size > 0 and filled == 0:
        filled = 1  # a component that exists gets at least one cell
    return Text.assemble(("█" * filled, style), ("·" * (width - filled), "dim"))


def bars(parts: dict[str, int], total: int, usable: int, device: str, lang: Lang, width: int = BAR_WIDTH) -> Text:
    """One bar per component, the total, and the usable memory, all on one scale, then the margin."""
    scale = max(total, usable, 1)
    labels = {name: t_or(f"tui.memory.{name}", lang, name.replace("_", " ")) for name in parts}
    usable_label = f"{t('tui.results.usable', lang)} {device}"
    total_label = t("tui.results.total", lang)
    label_width = max(len(x) for x in [*labels.values(), usable_label, total_label]) + 1
    out = Text()
    for name, size in parts.items():
        out.append(labels[name].ljust(label_width))
        out.append_text(_bar(size, scale, "cyan", width))
        out.append(f" {format_bytes(size, lang)}\n")
    fits = total <= usable
    out.append(total_label.ljust(label_width), style="bold")
    out.append_text(_bar(total, scale, "green" if fits else "red", width))
    out.append(f" {format_bytes(total, lang)}\n", style="bold")
    out.append(usable_label.ljust(label_width))
    out.append_text(_bar(usable, scale, "blue", width))
    out.append(f" {format_bytes(usable, lang)}\n")
    gap = usable - total
    if fits:
        out.append(t("tui.results.left", lang, amount=format_bytes(gap, lang)), style="green")
    else:
        out.append(t("tui.results.over", lang, amount=format_bytes(-gap, lang)), style="red")
    return out


def memory_bars(rec: Recommendation, lang: Lang, width: int = BAR_WIDTH) -> RenderableType:
    """The inference estimate against usable memory, and the training one (per GPU) when it trains."""
    parts, total = memory_parts(rec.memory)
    if total is None:
        parts, total = memory_parts(_get(_get(rec.model, "chosen"), "memory"))
    if total is None:
        return Text(t("tui.results.no_memory", lang), style="dim")
    usable, device = usable_for(rec)
    blocks: list[RenderableType] = []
    training = _get(rec.model, "training")
    train_parts, train_total = memory_parts(_get(training, "memory"))
    if train_total is not None:
        blocks.append(Text(t("tui.results.inference_bars", lang, quantization=rec.quantization or ""), style="italic"))
    blocks.append(bars(parts, total, usable, device, lang, width))
    if train_total is not None:
        margin = _get(training, "margin_bytes")
        train_usable = train_total + margin if margin is not None else rec.hardware.max_gpu_usable_bytes
        method = str(_get(training, "method") or "")
        blocks.append(Text("\n" + t("tui.results.training_bars", lang, method=method), style="italic"))
        blocks.append(bars(train_parts, train_total, train_usable, "GPU", lang, width))
    return Group(*blocks)


def follow_ups_block(rec: Recommendation, lang: Lang) -> RenderableType | None:
    """Unanswered questions that could change the result, most telling first."""
    if not rec.follow_up_questions:
        return None
    out = Text()
    for index, question in enumerate(rec.follow_up_questions):
        if index:
            out.append("\n")
        out.append("• ")
        out.append(question.question.get(lang), style="yellow")
        could = "; ".join(c.get(lang) for c in question.could[:2])
        if could:
            out.append(f" ({could})", style="dim")
    return out


# --- smoke test -----------------------------------------------------------------------------------

SmokeState = Literal["idle", "running", "done", "cancelled", "missing"]


@dataclass
class SmokeView:
    """Where the smoke test stands, as the results screen shows it."""

    state: SmokeState = "idle"
    step: str | None = None
    started: float | None = None
    result: Any = None
    error: str | None = None
    model: str | None = None
    quantization: str | None = None

    @property
    def progress(self) -> int:
        """Steps done so far, for the progress bar."""
        if self.state == "done":
            return len(SMOKE_STEPS)
        if self.step in SMOKE_STEPS:
            return SMOKE_STEPS.index(self.step) + 1
        return 0


def smoke_target(rec: Recommendation | None) -> tuple[str, str | None] | None:
    """The model id and quantization the smoke test would load, or None without a model."""
    if rec is None or rec.model is None:
        return None
    chosen = _get(rec.model, "chosen")
    model = _get(rec.model, "id") or _get(chosen, "id")
    if not model:
        return None
    return str(model), rec.quantization or _get(chosen, "quantization")


def smoke_block(view: SmokeView, rec: Recommendation | None, lang: Lang, now: float | None = None) -> Text:
    """What the smoke test did, is doing, or would do."""
    out = Text()
    if view.state == "missing":
        out.append(t("tui.smoke.missing", lang, error=view.error or ""), style="red")
        return out
    if view.state == "running":
        elapsed = int((now if now is not None else time.monotonic()) - (view.started or 0))
        step = t_or(f"tui.smoke.step.{view.step}", lang, view.step or "") if view.step else "..."
        out.append(t("tui.smoke.running", lang, elapsed=elapsed, step=step))
        return out
    if view.state == "cancelled":
        out.append(t("tui.smoke.cancelled", lang), style="yellow")
        return out
    if view.state == "done" and view.result is not None:
        return smoke_result_text(view.result, lang)
    target = smoke_target(rec)
    if target is None:
        out.append(t("tui.smoke.no_model", lang), style="dim")
    else:
        model, quantization = target
        out.append(t("tui.smoke.idle", lang, model=model, quantization=quantization or "bf16"))
    return out


def smoke_result_text(result: Any, lang: Lang) -> Text:
    """A smoke result in one or two lines: measured peak and speed, or why it did not run."""
    out = Text()
    unknown = t("tui.smoke.unknown", lang)
    if _get(result, "ok"):
        peak = _get(result, "peak_memory_bytes")
        speed = _get(result, "tokens_per_second")
        out.append(
            t(
                "tui.smoke.fits",
                lang,
                device=_get(result, "device") or unknown,
                peak=format_bytes(peak, lang) if peak else unknown,
                speed=format_number(speed, lang) if speed else unknown,
            ),
            style="green",
        )
        ratio = _get(result, "measured_over_estimated")
        if ratio:
            out.append("\n" + t("tui.smoke.ratio", lang, ratio=format_number(ratio, lang, 2)))
        return out
    error = _get(result, "error")
    verdict = str(_get(result, "verdict") or "could-not-run")
    message = str(_get(error, "message") or "")
    hint = _get(error, "hint")
    out.append(
        t("tui.smoke.failed", lang, verdict=t_or(f"tui.smoke.verdict.{verdict}", lang, verdict), message=message),
        style="red",
    )
    if hint:
        out.append(f"\n{hint}", style="dim")
    return out
