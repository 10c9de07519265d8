"""The human-readable summary ``advisor recommend`` prints: short enough for a terminal, complete
enough to act on. The full justification is the Markdown report; this is its front page."""

from __future__ import annotations

from typing import Any

from advisor.i18n import Lang, message
from advisor.output import stdout_console
from advisor.results import Recommendation
from advisor.units import NNBSP, format_bytes, format_gpu_list

MAX_FOLLOW_UPS = 5


def print_summary(rec: Recommendation, lang: Lang) -> None:
    """Print the summary of ``rec`` to stdout in ``lang``."""
    from rich.markup import escape
    from rich.panel import Panel

    from advisor.i18n import approach_name

    def t(key: str, **values: Any) -> str:
        return escape(message(key, **values).get(lang))

    console = stdout_console()
    c = _colon(lang)
    decided = (
        t("summary.decided_by_scores")
        if rec.decided_by == "scores"
        else t("summary.decided_by_gate", gate=rec.decided_by)
    )
    head = f"[bold]{escape(approach_name(rec.approach).get(lang))}[/bold]  ({decided})"
    model_line = _model_line(rec, lang)
    console.print(Panel(head + (f"\n{model_line}" if model_line else ""), title=t("summary.approach")))
    said = message("selection.nothing_fits").get(lang).split("{")[0]  # already in the panel's first line
    notes = [n.get(lang) for n in (getattr(rec.model, "notes", None) or []) if not n.get(lang).startswith(said)]
    if notes:
        # What the selection had to give up (nothing fits, a context beyond every model's limit,
        # a relaxed filter) is part of the plan, not a detail left to --json.
        console.print(f"[bold]{t('summary.notes')}[/bold]")
        for text in notes:
            console.print(f"  • [yellow]{escape(text)}[/yellow]")
    console.print(f"[bold]{t('summary.why')}[/bold]")
    for reason in rec.reasons:
        console.print(f"  • [cyan]{reason.id}[/cyan] ({escape(reason.effect)}){c}{escape(reason.text.get(lang))}")
    console.print(f"[bold]{t('summary.alternatives')}[/bold]")
    for alt in rec.alternatives:
        flag = f" [green]{t('summary.defensible')}[/green]" if alt.defensible else ""
        console.print(f"  • {escape(approach_name(alt.approach).get(lang))}{flag}{c}{escape(alt.why.get(lang))}")
    if rec.techniques:
        console.print(f"[bold]{t('summary.plan')}[/bold]")
        for technique in rec.techniques:
            console.print(f"  • [bold]{escape(technique.name.get(lang))}[/bold]{c}{escape(technique.text.get(lang))}")
    if rec.follow_up_questions:
        console.print(f"[bold]{t('summary.follow_ups')}[/bold]")
        for question in rec.follow_up_questions[:MAX_FOLLOW_UPS]:
            could = _semicolon(lang).join(text.get(lang) for text in question.could[:2])
            console.print(
                f"  • [yellow]{question.key}[/yellow]{c}{escape(question.question.get(lang))} ({escape(could)})"
            )
        hidden = len(rec.follow_up_questions) - MAX_FOLLOW_UPS
        if hidden > 0:
            console.print("  " + t("summary.more", count=hidden))
    console.print(f"[bold]{t('summary.hardware')}[/bold]{c}{escape(_hardware_line(rec, lang))}")
    for line in _busy_lines(rec, lang):
        console.print(f"  • [yellow]{escape(line)}[/yellow]")


def _model_line(rec: Recommendation, lang: Lang) -> str:
    """The model and how it fits; when nothing fits, that first, and the smallest plan as what it would take."""
    from rich.markup import escape

    if rec.model is None:
        return escape(rec.selection_note.get(lang)) if rec.selection_note else ""
    name = getattr(rec.model, "id", None) or str(rec.model)
    chosen = getattr(rec.model, "chosen", None)
    fit = getattr(chosen, "fit", None)
    usable = getattr(chosen, "usable_bytes", None)
    need = None if chosen is None or usable is None else usable - chosen.margin_bytes
    values = {
        "model": name,
        "quantization": rec.quantization or "",
        "need": format_bytes(need, lang) if need is not None else "?",
        "usable": format_bytes(usable, lang) if usable is not None else "?",
    }
    if fit == "does-not-fit":
        return f"[bold red]{escape(message('summary.nothing_fits', **values).get(lang))}[/bold red]"
    label = message("summary.model").get(lang)
    if fit in ("comfortable", "tight") and need is not None:
        detail = escape(message(f"summary.fit.{fit}", **values).get(lang))
        return f"{label}{_colon(lang)}[bold]{escape(name)}[/bold] ({detail})"
    memory = getattr(rec.memory, "total_bytes", None)
    size = f", {format_bytes(memory, lang)}" if memory else ""
    return f"{label}{_colon(lang)}[bold]{escape(name)}[/bold] ({escape(rec.quantization or '')}{size})"


def _hardware_line(rec: Recommendation, lang: Lang) -> str:
    hw = rec.hardware
    gpus = hw.usable_gpus
    if gpus:
        # An override names its GPUs "GPU": the prefix already says it.
        names = [g.name if g.name != "GPU" else "" for g in gpus]
        text = "GPU " + format_gpu_list([g.usable_bytes for g in gpus], lang, names=names)
        text += " " + message("summary.usable").get(lang)
    else:
        text = message("summary.no_gpu").get(lang)
    if hw.ram_bytes:
        text += f"{_semicolon(lang)}RAM {format_bytes(hw.ram_bytes, lang)}"
    return text + f" ({message(f'summary.source.{hw.source}').get(lang)})"


def _busy_lines(rec: Recommendation, lang: Lang) -> list[str]:
    """Devices with less free now than the plan counts on (plans are sized on the machine, so the
    difference is said, not planned around)."""
    hw = rec.hardware
    lines = []
    if hw.available_ram_bytes is not None and hw.available_ram_bytes < hw.usable_ram_bytes:
        lines.append(
            message(
                "summary.busy",
                device="RAM",
                free=format_bytes(hw.available_ram_bytes, lang),
                usable=format_bytes(hw.usable_ram_bytes, lang),
            ).get(lang)
        )
    for gpu in hw.usable_gpus:
        if gpu.free_bytes is not None and gpu.free_bytes < gpu.usable_bytes and not gpu.unified_memory:
            free, usable = format_bytes(gpu.free_bytes, lang), format_bytes(gpu.usable_bytes, lang)
            lines.append(message("summary.busy", device=f"GPU {gpu.index}", free=free, usable=usable).get(lang))
    return lines


def _colon(lang: Lang) -> str:
    """``: `` in English; French puts a narrow no-break space before the colon."""
    return f"{NNBSP}: " if lang == "fr" else ": "


def _semicolon(lang: Lang) -> str:
    return f"{NNBSP}; " if lang == "fr" else "; "
