"""``advisor recommend FILE``: the recommendation for a questionnaire, as a summary, JSON or a report."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from advisor.commands import SHORT_HELP
from advisor.commands.hardware_options import hardware_options, override_from_options
from advisor.errors import ExitCode, InputError
from advisor.i18n import Lang, message, resolve_lang
from advisor.output import note, print_json

if TYPE_CHECKING:
    from advisor.results import Recommendation


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
    help="Also write the Markdown justification report to this file (its folder must exist, see --mkdir).",
)
@click.option("--mkdir", "make_dirs", is_flag=True, help="Create the report's folder when it does not exist.")
@click.option("--smoke-test", "smoke", is_flag=True, help="Load the chosen model and generate, to prove it fits.")
@click.pass_context  # type: ignore[arg-type]  # click types the context as positional-only
def recommend(
    ctx: click.Context,
    answers_file: Path,
    lang: str | None,
    as_json: bool,
    report_path: Path | None,
    make_dirs: bool,
    smoke: bool,
    **hardware: Any,
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
    if not rec.answers.answered():
        note(
            f"advisor: warning: {answers_file} answers no question: every rule that needs an answer is left "
            f"unevaluated (`advisor questions` lists the keys; `advisor init FILE` writes a template)"
        )
    # The result goes out first: a report that cannot be written must not cost the summary.
    if as_json:
        print_json(rec)
    else:
        from advisor.report.summary import print_summary

        print_summary(rec, language)
        if smoke:
            _print_smoke(rec, language)
    if report_path is not None:
        write_report(report_path, rec.to_markdown(lang=language), make_dirs=make_dirs)
        note(f"report written to {report_path}")
    if smoke and rec.smoke is not None:
        from advisor.smoke.runner import exit_code  # 3 bad model input, 4 Hub, 5 did not fit or run

        return exit_code(rec.smoke)
    return int(ExitCode.OK)


def write_report(path: Path, text: str, *, make_dirs: bool = False) -> None:
    """Write the report, turning a missing folder or a refused write into an input error (exit 3)."""
    folder = path.parent
    if not folder.exists():
        if not make_dirs:
            raise InputError(
                f"cannot write the report: the folder {str(folder)!r} does not exist",
                file=str(path),
                hint="create it first, or add --mkdir to create it",
            )
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"cannot create the report's folder: {exc.strerror or exc}", file=str(folder)) from exc
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write the report: {exc.strerror or exc}", file=str(path)) from exc


def _print_smoke(rec: Recommendation, lang: Lang) -> None:
    """The smoke test's verdict and its reason, after the summary (the same table ``advisor smoke`` prints)."""
    from advisor.commands.smoke import print_smoke_result
    from advisor.output import stdout_console

    result = rec.smoke
    console = stdout_console()
    console.print(f"[bold]{message('summary.smoke').get(lang)}[/bold]")
    if result is None:
        console.print("  " + message("summary.smoke_skipped").get(lang), markup=False, highlight=False)
        return
    print_smoke_result(result, lang)
