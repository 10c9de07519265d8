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
    "questions": "advisor.commands.questions:questions",
    "init": "advisor.commands.questions:init",
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
        command: click.Command = getattr(importlib.import_module(module_name), attribute)
        return command


@click.group(cls=LazyGroup, invoke_without_command=True, epilog=EXIT_CODES_HELP)
@click.option("--lang", type=click.Choice(["en", "fr"]), default=None, help="Language of texts (default: locale).")
@click.version_option(package_name="llm-advisor", prog_name="advisor")
@click.pass_context
def cli(ctx: click.Context, lang: str | None) -> None:
    """llm-advisor: which LLM approach, model and quantization for your use case and hardware.

    With no verb, opens the terminal questionnaire (when stdin and stdout are a terminal; otherwise
    prints this help and exits 2).
    """
    ctx.ensure_object(dict)
    ctx.obj["lang"] = lang
    if ctx.invoked_subcommand is None:
        if not _interactive():
            # The terminal app would write escape codes into a file or a pipe and wait for keys that
            # never come: say what to do instead.
            click.echo(ctx.get_help(), err=True)
            _error("no verb given, and the questionnaire needs a terminal (stdin and stdout): name a verb")
            ctx.exit(int(ExitCode.USAGE))
        from advisor.tui import run_app  # Textual costs ~150 ms: only the questionnaire needs it

        run_app(lang=lang)


def _interactive() -> bool:
    """Whether stdin and stdout are both a terminal, as the questionnaire app needs."""
    try:
        return sys.stdin is not None and sys.stdout is not None and sys.stdin.isatty() and sys.stdout.isatty()
    except (ValueError, OSError):  # a closed stream
        return False


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
    except SystemExit:
        # click answers a closed stdout (EPIPE) itself, even outside standalone mode: it wraps
        # sys.stdout in a wrapper that swallows the final flush and exits 1. That is the same quiet
        # case as below, not a failure.
        if type(sys.stdout).__name__ == "_PacifyFlushWrapper":
            _silence_stdout()
            return int(ExitCode.OK)
        raise
    except BrokenPipeError:
        # stdout closed early (`advisor recommend x | head -1`): the reader has what it wanted, so
        # exit 0 without a message, as ripgrep does. stdout is pointed at /dev/null so that the
        # interpreter's final flush does not raise again.
        _silence_stdout()
        return int(ExitCode.OK)
    except MemoryError:
        # A huge input (a file or a value far beyond any real questionnaire or model) exhausted memory
        # while it was read or sized: the input is at fault, not the program.
        _error("out of memory while reading or sizing the input: check the size of the files and values given")
        return int(ExitCode.INPUT)
    except Exception as exc:  # a bug: one line, the traceback only on request
        if env(ENV_DEBUG):
            raise
        _error(f"internal error: {type(exc).__name__}: {exc}\n  hint: set ADVISOR_DEBUG=1 for the traceback")
        return int(ExitCode.ERROR)
    return result if isinstance(result, int) else int(ExitCode.OK)


def _silence_stdout() -> None:
    """Send whatever is still buffered for stdout to /dev/null (the reader has gone)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def _error(message: str) -> None:
    click.echo(f"advisor: error: {message}", err=True)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
