"""``advisor questions`` and ``advisor init``: the questionnaire keys, and a template to fill in.

An answers file is YAML with the questionnaire keys; these two verbs let a user find them without
the terminal app: the listing (keys, allowed values, help) and a commented file of every question.
"""

from __future__ import annotations

from pathlib import Path

import click

from advisor.commands import SHORT_HELP
from advisor.errors import ExitCode, InputError
from advisor.i18n import Lang, resolve_lang
from advisor.output import note


def _lang(ctx: click.Context, lang: str | None) -> Lang:
    return resolve_lang(lang or (ctx.find_root().obj or {}).get("lang"))


@click.command(short_help=SHORT_HELP["questions"])
@click.option("--lang", type=click.Choice(["en", "fr"]), default=None, help="Language of labels and help.")
@click.pass_context
def questions(ctx: click.Context, lang: str | None) -> int:
    """List every questionnaire key with its allowed values and help, by group."""
    from advisor.questions_doc import questions_text

    click.echo(questions_text(_lang(ctx, lang)), nl=False)
    return int(ExitCode.OK)


@click.command(short_help=SHORT_HELP["init"])
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--lang", type=click.Choice(["en", "fr"]), default=None, help="Language of the comments.")
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
@click.pass_context
def init(ctx: click.Context, file: Path, lang: str | None, force: bool) -> int:
    """Write an answers template to FILE: every question as a comment, every key left empty."""
    from advisor.questions_doc import answers_template

    if file.exists() and not force:
        # The file may hold a team's answers: never replaced without being asked.
        raise InputError("already exists: not overwritten", file=str(file), hint="choose another name, or add --force")
    try:
        file.write_text(answers_template(_lang(ctx, lang), file.name), encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write the template: {exc.strerror or exc}", file=str(file)) from exc
    note(f"template written to {file}: fill it in, then run: advisor recommend {file}")
    return int(ExitCode.OK)
