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
    runner = _tied_with(rec)
    if runner is not None:  # a tie is said to be one, never a win on points
        decided = escape(_text("glance.tie", lang, runner=approach_name(runner).get(lang)))
    head = f"[bold]{escape(approach_name(rec.approach).get(lang))}[/bold]  ({decided})"
    model_line = _model_line(rec, lang)
    console.print(Panel(head + (f"\n{model_line}" if model_line else ""), title=t("summary.approach")))
    console.print(f"[bold]{t('summary.why')}[/bold]")
    for reason in rec.reasons:
        effect = _effect(reason.effect, lang)
        console.print(f"  • [cyan]{reason.id}[/cyan] ({escape(effect)}){_colon(lang)} {escape(reason.text.get(lang))}")
    console.print(f"[bold]{t('summary.alternatives')}[/bold]")
    for alt in rec.alternatives:
        flag = f" [green]{t('summary.defensible')}[/green]" if alt.defensible else ""
        name = escape(approach_name(alt.approach).get(lang))
        console.print(f"  • {name}{flag}{_colon(lang)} {escape(alt.why.get(lang))}")
    if rec.techniques:
        console.print(f"[bold]{t('summary.plan')}[/bold]")
        for technique in rec.techniques:
            name = escape(technique.name.get(lang))
            console.print(f"  • [bold]{name}[/bold]{_colon(lang)} {escape(technique.text.get(lang))}")
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
    console.print(f"[bold]{t('summary.hardware')}[/bold]{_colon(lang)} {escape(_hardware_line(rec, lang))}")


def _model_line(rec: Recommendation, lang: Lang) -> str:
    from rich.markup import escape

    if rec.model is None:
        return escape(rec.selection_note.get(lang)) if rec.selection_note else ""
    name = getattr(rec.model, "id", None) or str(rec.model)
    memory = getattr(rec.memory, "total_bytes", None)
    size = f", {format_bytes(memory, lang)}" if memory else ""
    return f"{message('summary.model').get(lang)}: [bold]{escape(name)}[/bold] ({escape(rec.quantization or '')}{size})"


def _text(key: str, lang: Lang, **values: Any) -> str:
    from advisor.report.markdown import load_report_data

    return load_report_data().texts[key].get(lang).format(**values)


def _tied_with(rec: Recommendation) -> str | None:
    """The approach that scored the same as the chosen one, when scores decided and tied."""
    if rec.decided_by != "scores":
        return None
    others = [a for a in rec.scores if a != rec.approach and a not in rec.excluded]
    tied = [a for a in others if rec.scores[a] == rec.scores[rec.approach]]
    return tied[0] if tied else None


def _colon(lang: Lang) -> str:
    return "\u00a0:" if lang == "fr" else ":"


def _effect(effect: str, lang: Lang) -> str:
    """The reason's effect in the reader's words, as the report writes it."""
    from advisor.i18n import approach_name
    from advisor.report.markdown import localized_effect

    return localized_effect(
        effect, lambda key, **v: _text(key, lang, **v), lambda a: approach_name(a).get(lang), lambda t: t
    )


def _hardware_line(rec: Recommendation, lang: Lang) -> str:
    hw = rec.hardware
    gpus = [f"{g.name} {format_bytes(g.usable_bytes, lang)}" for g in hw.usable_gpus]
    text = ", ".join(gpus) if gpus else message("summary.no_gpu").get(lang)
    if hw.ram_bytes:
        text += _text("summary.ram", lang, ram=format_bytes(hw.ram_bytes, lang))
    return text + " (" + _text(f"summary.source.{hw.source}", lang) + ")"
