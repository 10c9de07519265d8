"""The ``advisor`` console script: a thin layer of click over the headless core.

Each verb lives in ``advisor/commands/<verb>.py`` and is imported only when it runs, so
``advisor recommend`` never pays for the terminal app, torch or the Hub client. stdout carries
data (tables, JSON, Markdown); messages, progress and errors go to stderr.
"""

from __future__ import annotations

import importlib
import os
import sys

import click

from advisor.commands import SHORT_HELP
from advisor.errors import EXIT_CODE_MEANINGS, AdvisorError, ExitCode
from advisor.settings import ENV_DEBUG, env

# verb -> "module:attribute"; the module is imported on first use only.
COMMANDS: dict[str, str] = {
    "recommend": "advisor.commands.recommend:recommend",
    "rules": "advisor.commands.rules:rules",
    "estimate": "advisor.commands.estimate:estimate",
    "detect": "advisor.commands.detect:detect",
    "catalog": "advisor.commands.catalog:catalog",
    "smoke": "advisor.commands.smoke:smoke",
}

EXIT_CODES_HELP = "\b\nExit codes:\n" + "\n".join(
    f"  {code.value:<4}{meaning}" for code, meaning in EXIT_CODE_MEANINGS.items()
)


class LazyGroup(click.Group):
    """A click group whose sub-commands are imported when called, not at start-up."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, SHORT_HELP.get(name, "")) for name in self.list_commands(ctx)])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        return getattr(importlib.import_module(module_name), attribute)


@click.group(cls=LazyGroup, invoke_without_command=True, epilog=EXIT_CODES_HELP)
@click.option("--lang", type=click.Choice(["en", "fr"]), default=None, help="Language of texts (default: locale).")
@click.version_option(package_name="llm-advisor", prog_name="advisor")
@click.pass_context
def cli(ctx: click.Context, lang: str | None) -> None:
    """llm-advisor: which LLM approach, model and quantization for your use case and hardware.

    With no verb, opens the terminal questionnaire.
    """
    ctx.ensure_object(dict)
    ctx.obj["lang"] = lang
    if ctx.invoked_subcommand is None:
        from advisor.tui import run_app  # Textual costs ~150 ms: only the questionnaire needs it

        run_app(lang=lang)


# pydantic looks for plugins by scanning the entry points of every installed distribution when the
# first model is defined: about 85 us per distribution measured here (5 ms for 59), so 25-40 ms in
# the 300-500 package environments data scientists often work in. The CLI uses no pydantic plugin;
# a value the user set is kept.
PYDANTIC_PLUGINS_ENV = "PYDANTIC_DISABLE_PLUGINS"


def main(argv: list[str] | None = None) -> int:
    """Entry point: runs the CLI and turns known failures into one clear message and an exit code."""
    os.environ.setdefault(PYDANTIC_PLUGINS_ENV, "__all__")
    try:
        # Without standalone mode click returns the command's value, or the code of ctx.exit().
        result = cli.main(args=argv, prog_name="advisor", standalone_mode=False)
    except AdvisorError as exc:
        _error(str(exc))
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return int(exc.exit_code)
    except click.Abort:
        _error("aborted")
        return int(ExitCode.INTERRUPT)
    except KeyboardInterrupt:
        _error("interrupted")
        return int(ExitCode.INTERRUPT)
    except BrokenPipeError:
        # stdout closed early (e.g. piped into `head`): not an error worth a message.
        sys.stderr.close()
        return int(ExitCode.OK)
    except Exception as exc:  # a bug: one line, the traceback only on request
        if env(ENV_DEBUG):
            raise
        _error(f"internal error: {type(exc).__name__}: {exc}\n  hint: set ADVISOR_DEBUG=1 for the traceback")
        return int(ExitCode.ERROR)
    return result if isinstance(result, int) else int(ExitCode.OK)


def _error(message: str) -> None:
    click.echo(f"advisor: error: {message}", err=True)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
