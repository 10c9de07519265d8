"""The human-readable summary ``advisor recommend`` prints: short enough for a terminal, complete
enough to act on. The full justification is the Markdown report; this is its front page."""

from __future__ import annotations

from typing import Any

from advisor.i18n import Lang, message
from advisor.output import stdout_console
from advisor.results import Recommendation
from advisor.units import format_bytes

MAX_FOLLOW_UPS = 5


def print_summary(rec: Recommendation, lang: Lang) -> None:
    """Print the summary of ``rec`` to stdout in ``lang``."""
    from rich.markup import escape
    from rich.panel import Panel

    from advisor.i18n import approach_name

    def t(key: str, **values: Any) -> str:
        return escape(message(key, **values).get(lang))

    console = stdout_console()
    decided = (
        t("summary.decided_by_scores")
        if rec.decided_by == "scores"
        else t("summary.decided_by_gate", gate=rec.decided_by)
    )
    head = f"[bold]{escape(approach_name(rec.approach).get(lang))}[/bold]  ({decided})"
    model_line = _model_line(rec, lang)
    console.print(Panel(head + (f"\n{model_line}" if model_line else ""), title=t("summary.approach")))
    console.print(f"[bold]{t('summary.why')}[/bold]")
    for reason in rec.reasons:
        console.print(f"  • [cyan]{reason.id}[/cyan] ({escape(reason.effect)}): {escape(reason.text.get(lang))}")
    console.print(f"[bold]{t('summary.alternatives')}[/bold]")
    for alt in rec.alternatives:
        flag = f" [green]{t('summary.defensible')}[/green]" if alt.defensible else ""
        console.print(f"  • {escape(approach_name(alt.approach).get(lang))}{flag}: {escape(alt.why.get(lang))}")
    if rec.techniques:
        console.print(f"[bold]{t('summary.plan')}[/bold]")
        for technique in rec.techniques:
            console.print(f"  • [bold]{escape(technique.name.get(lang))}[/bold]: {escape(technique.text.get(lang))}")
    if rec.follow_up_questions:
        console.print(f"[bold]{t('summary.follow_ups')}[/bold]")
        for question in rec.follow_up_questions[:MAX_FOLLOW_UPS]:
            could = "; ".join(c.get(lang) for c in question.could[:2])
            console.print(
                f"  • [yellow]{question.key}[/yellow]: {escape(question.question.get(lang))} ({escape(could)})"
            )
        hidden = len(rec.follow_up_questions) - MAX_FOLLOW_UPS
        if hidden > 0:
            console.print("  " + t("summary.more", count=hidden))
    console.print(f"[bold]{t('summary.hardware')}[/bold]: {escape(_hardware_line(rec, lang))}")


def _model_line(rec: Recommendation, lang: Lang) -> str:
    from rich.markup import escape

    if rec.model is None:
        return escape(rec.selection_note.get(lang)) if rec.selection_note else ""
    name = getattr(rec.model, "id", None) or str(rec.model)
    memory = getattr(rec.memory, "total_bytes", None)
    size = f", {format_bytes(memory, lang)}" if memory else ""
    return f"{message('summary.model').get(lang)}: [bold]{escape(name)}[/bold] ({escape(rec.quantization or '')}{size})"


def _hardware_line(rec: Recommendation, lang: Lang) -> str:
    hw = rec.hardware
    gpus = [f"{g.name} {format_bytes(g.usable_bytes, lang)}" for g in hw.usable_gpus]
    text = ", ".join(gpus) if gpus else message("summary.no_gpu").get(lang)
    if hw.ram_bytes:
        text += f"; RAM {format_bytes(hw.ram_bytes, lang)}"
    return text + f" ({hw.source})"
