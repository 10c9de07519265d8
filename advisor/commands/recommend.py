"""``advisor recommend FILE``: the recommendation for a questionnaire, as a summary, JSON or a report."""

from __future__ import annotations

from pathlib import Path

import click

from advisor.commands import SHORT_HELP
from advisor.commands.hardware_options import hardware_options, override_from_options
from advisor.errors import ExitCode
from advisor.i18n import resolve_lang
from advisor.output import note, print_json


@click.command(short_help=SHORT_HELP["recommend"])
@click.argument("answers_file", type=click.Path(dir_okay=False, path_type=Path))
@hardware_options
@click.option("--lang", type=click.Choice(["en", "fr"]), default=None, help="Language of the summary and report.")
@click.option("--json", "as_json", is_flag=True, help="The full recommendation as JSON on stdout.")
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Also write the Markdown justification report to this file.",
)
@click.option("--smoke-test", "smoke", is_flag=True, help="Load the chosen model and generate, to prove it fits.")
@click.pass_context
def recommend(
    ctx: click.Context,
    answers_file: Path,
    lang: str | None,
    as_json: bool,
    report_path: Path | None,
    smoke: bool,
    **hardware: float | int | None,
) -> int:
    """Recommend an approach, a model and a quantization for the answers in FILE (YAML)."""
    from advisor.advice import recommend as run

    language = resolve_lang(lang or (ctx.obj or {}).get("lang"))
    if smoke:
        from advisor.commands.smoke import smoke_progress

        with smoke_progress(str(answers_file), language) as progress:
            rec = run(
                answers_file, hardware=override_from_options(**hardware), smoke_test=True, smoke_progress=progress
            )
    else:
        rec = run(answers_file, hardware=override_from_options(**hardware))
    if report_path is not None:
        report_path.write_text(rec.to_markdown(lang=language), encoding="utf-8")
        note(f"report written to {report_path}")
    if as_json:
        print_json(rec)
    else:
        from advisor.report.summary import print_summary

        print_summary(rec, language)
    if smoke and rec.smoke is not None and not getattr(rec.smoke, "ok", True):
        return int(ExitCode.SMOKE_FAILED)
    return int(ExitCode.OK)
