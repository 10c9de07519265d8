"""The errors llm-advisor raises on purpose, and the exit codes the CLI maps them to.

Every error a user can cause carries enough context to be fixed without reading code: the file,
the entry inside it and the field, plus a hint. Front ends print ``str(error)``; they never show a
traceback for these.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Exit codes of the ``advisor`` command, listed in its ``--help``."""

    OK = 0
    ERROR = 1
    USAGE = 2
    INPUT = 3
    HUB = 4
    SMOKE_FAILED = 5
    INTERRUPT = 130


# One table for every verb: ``advisor --help`` prints it and the README carries it (a test checks
# that the README's table is this one).
EXIT_CODE_MEANINGS: dict[ExitCode, str] = {
    ExitCode.OK: "success (a plan where nothing fits is a result, not an error; also when what reads "
    "stdout stops early, as head -1 does)",
    ExitCode.ERROR: "unexpected failure (a bug; ADVISOR_DEBUG=1 shows the traceback)",
    ExitCode.USAGE: "bad command line, contradictory options, or no verb without a terminal",
    ExitCode.INPUT: "bad input: answers, rules, catalog, model directory, hardware override, a report path "
    "that cannot be written, or an input too large for memory",
    ExitCode.HUB: "the Hugging Face Hub refused or could not be reached (gated, missing, offline)",
    ExitCode.SMOKE_FAILED: "the smoke test ran and the model did not fit or could not run",
    ExitCode.INTERRUPT: "interrupted",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def exit_code_table() -> str:
    """The exit codes as a Markdown table (the README's)."""
    rows = ["| code | meaning |", "| --- | --- |"]
    rows += [f"| {code.value} | {_cell(meaning)} |" for code, meaning in EXIT_CODE_MEANINGS.items()]
    return "\n".join(rows)


class AdvisorError(Exception):
    """Base class: a failure the user can act on, with an optional hint."""

    exit_code: ExitCode = ExitCode.ERROR

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class InputError(AdvisorError):
    """Bad user or data input, located by file, entry and field."""

    exit_code = ExitCode.INPUT

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        entry: str | None = None,
        field: str | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.file = file
        self.entry = entry
        self.field = field
        self.line = line
        super().__init__(_locate(message, file, entry, field, line), hint)


class InputErrors(InputError):
    """Several input problems found in one pass, reported together so nothing is fixed twice."""

    def __init__(self, errors: list[InputError]) -> None:
        self.errors = errors
        first = errors[0]
        body = "\n".join(f"- {e.message}" for e in errors) if len(errors) > 1 else first.message
        super().__init__(body, file=None, hint=first.hint)


class HubError(AdvisorError):
    """The Hub could not give what was asked: the message says why and what to do."""

    exit_code = ExitCode.HUB


def _locate(message: str, file: str | None, entry: str | None, field: str | None, line: int | None) -> str:
    where = []
    if file:
        where.append(f"{file}:{line}" if line else file)
    if entry:
        where.append(f"entry {entry!r}")
    if field:
        where.append(f"field {field!r}")
    return f"{', '.join(where)}: {message}" if where else message
