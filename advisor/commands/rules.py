"""``advisor rules lint|explain``: check the knowledge base, and show how it decided for a use case."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from advisor.commands import SHORT_HELP
from advisor.commands.hardware_options import hardware_options, override_from_options
from advisor.errors import ExitCode
from advisor.output import print_json, stdout_console


@click.group(short_help=SHORT_HELP["rules"])
def rules() -> None:
    """Check the knowledge base, or show the full trace of a decision."""


@rules.command("lint")
@click.option(
    "--dir",
    "directory",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="A knowledge base directory other than the built-in one.",
)
@click.option("--json", "as_json", is_flag=True, help="Findings as JSON on stdout.")
def lint_command(directory: Path | None, as_json: bool) -> int:
    """Validate the rules, and report rules that can never fire, are never reached, or conflict.

    Exits 0 when there is no error (warnings allowed), 3 otherwise.
    """
    from advisor.rules.lint import lint
    from advisor.rules.loader import load_knowledge_base

    kb = load_knowledge_base(directory)
    findings = lint(kb)
    errors = [f for f in findings if f.level == "error"]
    if as_json:
        print_json(
            {
                "kb_version": kb.version,
                "rules": len(kb.rules),
                "findings": [{"level": f.level, "rule": f.rule, "message": f.message} for f in findings],
            }
        )
    else:
        counts = {kind: sum(r.kind == kind for r in kb.rules) for kind in ("gate", "veto", "score", "advice")}
        click.echo(f"knowledge base {kb.version}: {rule_counts(len(kb.rules), counts)}")
        for finding in findings:
            click.echo(f"{finding.level}: {finding.rule}: {finding.message}")
        warnings = len(findings) - len(errors)
        click.echo(f"{_count(len(errors), 'error')}, {_count(warnings, 'warning')}")
    return int(ExitCode.INPUT if errors else ExitCode.OK)


@rules.command("explain")
@click.argument("answers_file", type=click.Path(dir_okay=False, path_type=Path))
@hardware_options
@click.option("--json", "as_json", is_flag=True, help="The trace as JSON on stdout.")
@click.option("--all", "show_all", is_flag=True, help="Also list rules that did not fire.")
def explain_command(answers_file: Path, as_json: bool, show_all: bool, **hardware: Any) -> int:
    """Print the full trace: every rule, the facts it read, fired or not, and why."""
    from rich.table import Table

    from advisor.advice import recommend

    rec = recommend(answers_file, hardware=override_from_options(**hardware))
    if as_json:
        print_json(
            {
                "approach": rec.approach,
                "decided_by": rec.decided_by,
                "scores": rec.scores,
                "trace": rec.model_dump(mode="json", include={"trace"})["trace"],
            }
        )
        return int(ExitCode.OK)
    table = Table(title=f"{rec.approach} (decided by {rec.decided_by})", show_lines=False)
    # Rule ids are what a reader greps for and quotes: never cut or wrapped, the facts column folds instead.
    shown = [e for e in rec.trace if show_all or e.outcome not in ("not_fired", "not_reached")]
    widest = max((len(entry.id) for entry in shown), default=4)
    table.add_column("rule", no_wrap=True, min_width=widest)
    table.add_column("kind", no_wrap=True)
    table.add_column("outcome")
    table.add_column("facts read", overflow="fold")
    for entry in shown:
        facts = ", ".join(f"{t.fact} {t.op} {t.value!r} -> {_mark(t.result)} ({t.actual!r})" for t in entry.tests)
        if entry.missing:
            facts += f"  [unanswered: {', '.join(entry.missing)}]"
        outcome = entry.outcome + ("" if entry.applied or entry.outcome != "fired" else " (not applied)")
        table.add_row(entry.id, entry.kind, outcome, facts)
    console = stdout_console()
    console.print(table)
    console.print("scores: " + ", ".join(f"{a} {s}" for a, s in rec.scores.items()))
    return int(ExitCode.OK)


_KIND_NOUNS = {"gate": ("gate", "gates"), "veto": ("veto", "vetoes"), "score": ("score", "scores"),
               "advice": ("advice rule", "advice rules")}  # fmt: skip


def rule_counts(total: int, counts: dict[str, int]) -> str:
    """``61 rules: 4 gates, 6 vetoes, 27 scores, 24 advice rules`` (singular for one)."""
    parts = [f"{n} {_KIND_NOUNS[kind][n != 1]}" for kind, n in counts.items()]
    return f"{total} rule{'s' if total != 1 else ''}: " + ", ".join(parts)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"


def _mark(result: bool | None) -> str:
    return {True: "true", False: "false", None: "unknown"}[result]
