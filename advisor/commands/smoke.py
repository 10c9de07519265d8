"""``advisor smoke MODEL``: load a model for real, generate a few tokens, compare with the estimate.

Progress (resolve, download, load, generate) goes to stderr; the result table or JSON to stdout.
Exit code 0 when the model fits; 3 when the folder is missing or not a model; 4 when the Hub refused or
could not be reached; 5 (``ExitCode.SMOKE_FAILED``) when it does not fit or could not run
(:func:`advisor.smoke.runner.exit_code`).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from advisor.commands import SHORT_HELP
from advisor.i18n import Lang, resolve_lang
from advisor.output import note, print_json, stderr_console, stdout_console
from advisor.units import format_bytes, format_number

if TYPE_CHECKING:
    from advisor.results import SmokeResult

# Size suffixes for --memory-limit: SI (KB, MB, GB) are powers of 1000, IEC (KiB, MiB, GiB) and the
# one-letter forms docker and ulimit users type (k, m, g) are powers of 1024.
_SIZE_UNITS = {
    "": 1,
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "k": 2**10,
    "kib": 2**10,
    "m": 2**20,
    "mib": 2**20,
    "g": 2**30,
    "gib": 2**30,
    "t": 2**40,
    "tib": 2**40,
}
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")

_STEPS = {
    "en": {
        "start": "Starting the smoke test of {detail}",
        "resolve": "Checking {detail}",
        "download": "Downloading config, safetensors and tokenizer of {detail}",
        "load": "Loading the weights ({detail})",
        "warm-up": "Warming up",
        "generate": "Generating {detail}",
        "fallback": "Out of memory: retrying as {detail}",
    },
    "fr": {
        "start": "Démarrage du test de {detail}",
        "resolve": "Vérification de {detail}",
        "download": "Téléchargement de la config, des safetensors et du tokenizer de {detail}",
        "load": "Chargement des poids ({detail})",
        "warm-up": "Préchauffage",
        "generate": "Génération : {detail}",
        "fallback": "Mémoire insuffisante : nouvel essai en {detail}",
    },
}

_LABELS = {
    "en": {
        "verdict": "Verdict",
        "model": "Model",
        "device": "Device",
        "quantization": "Quantization",
        "load": "Load time",
        "ttft": "Time to first token",
        "speed": "Decode speed",
        "peak": "Peak memory",
        "phases": "Peak loading / generating",
        "estimate": "Estimate",
        "ratio": "Measured / estimated",
        "compared": "Compared",
        "text": "Generated text",
        "error": "Error",
        "hint": "Hint",
        "attempts": "Attempts",
        "notes": "Notes",
        "tok_s": "tokens/s",
    },
    "fr": {
        "verdict": "Verdict",
        "model": "Modèle",
        "device": "Matériel",
        "quantization": "Quantification",
        "load": "Chargement",
        "ttft": "Premier jeton",
        "speed": "Vitesse de décodage",
        "peak": "Mémoire de pointe",
        "phases": "Pointe chargement / génération",
        "estimate": "Estimation",
        "ratio": "Mesuré / estimé",
        "compared": "Comparaison",
        "text": "Texte généré",
        "error": "Erreur",
        "hint": "Conseil",
        "attempts": "Essais",
        "notes": "Notes",
        "tok_s": "jetons/s",
    },
}


@contextmanager
def smoke_progress(model: str, lang: Lang) -> Iterator[Callable[[str, str | None], None]]:
    """A progress callback for ``smoke_test`` that shows each step on stderr (a spinner on a
    terminal, one line per step otherwise). Shared by ``advisor smoke`` and ``advisor recommend``."""
    steps = _STEPS[lang]
    plain = not sys.stderr.isatty()
    with stderr_console().status(steps["start"].format(detail=model)) as status:

        def progress(step: str, detail: str | None) -> None:
            text = steps.get(step, step).format(detail=detail or "")
            status.update(text)
            if plain:
                note(f"advisor: smoke: {text}")

        yield progress


def parse_size(text: str) -> int:
    """``"8GiB"`` -> 8589934592; raises ``click.BadParameter`` with the accepted forms."""
    match = _SIZE_RE.match(text)
    unit = match.group(2).lower() if match else None
    if match is None or unit not in _SIZE_UNITS:
        raise click.BadParameter(f"{text!r}: expected a size such as 512MiB, 8GiB, 8G or 16GB")
    return int(float(match.group(1)) * _SIZE_UNITS[unit])


@click.command(short_help=SHORT_HELP["smoke"])
@click.argument("model")
@click.option("--quant", "quantization", default=None, help="bf16 (default), fp16, fp32, int8, nf4, nf4-dq.")
@click.option("--max-new-tokens", type=click.IntRange(1, 4096), default=16, show_default=True)
@click.option("--timeout", "timeout_s", type=click.FloatRange(min=1), default=None, help="Seconds, download included.")
@click.option("--fallback", is_flag=True, help="After an out-of-memory, walk down the quantization ladder.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@click.option("--memory-limit", default=None, help="Simulate a smaller machine: memory the model may take (8GiB).")
@click.option("--revision", default=None, help="Hub branch, tag or commit (pin a commit for reproducible runs).")
@click.option("--offline", is_flag=True, help="Use only the local Hugging Face cache (HF_HUB_OFFLINE=1).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def smoke(
    ctx: click.Context,
    model: str,
    quantization: str | None,
    max_new_tokens: int,
    timeout_s: float | None,
    fallback: bool,
    device: str,
    memory_limit: str | None,
    revision: str | None,
    offline: bool,
    as_json: bool,
) -> int:
    """Load MODEL (Hub id or directory) in an isolated process, generate, measure peak memory and speed.

    The Hub token is read from HF_TOKEN or the stored login, never from the command line.
    """
    from advisor.smoke.runner import DEFAULT_TIMEOUT_S, smoke_test

    lang = resolve_lang((ctx.obj or {}).get("lang"))
    limit = parse_size(memory_limit) if memory_limit else None
    with smoke_progress(model, lang) as progress:
        result = smoke_test(
            model,
            quantization=quantization,
            max_new_tokens=max_new_tokens,
            timeout_s=timeout_s or DEFAULT_TIMEOUT_S,
            fallback=fallback,
            memory_limit_bytes=limit,
            device=device,  # type: ignore[arg-type]
            revision=revision,
            offline=True if offline else None,
            progress=progress,
        )
    if as_json:
        print_json(result)
    else:
        print_smoke_result(result, lang)
    from advisor.smoke.runner import exit_code

    return exit_code(result)


def print_smoke_result(result: SmokeResult, lang: Lang) -> None:
    """The verdict, measurements and reason of a smoke test as a two-column table on stdout."""
    from rich.markup import escape
    from rich.table import Table

    # Every text from the result is escaped: a hint such as pip install "llm-advisor[smoke]" must
    # keep its brackets, which rich would otherwise read as markup and drop.
    labels = _LABELS[lang]
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    colour = {"fits": "green", "does-not-fit": "yellow", "could-not-run": "red"}[result.verdict]
    table.add_row(labels["verdict"], f"[{colour}]{result.verdict}[/]")
    table.add_row(labels["model"], escape(result.model))
    if result.device:
        table.add_row(labels["device"], escape(result.device))
    if result.quantization:
        table.add_row(labels["quantization"], escape(result.quantization))
    if result.load_seconds is not None:
        table.add_row(labels["load"], f"{format_number(result.load_seconds, lang, 2)} s")
    if result.time_to_first_token_s is not None:
        table.add_row(labels["ttft"], f"{format_number(result.time_to_first_token_s * 1000, lang, 0)} ms")
    if result.tokens_per_second is not None:
        table.add_row(labels["speed"], f"{format_number(result.tokens_per_second, lang, 1)} {labels['tok_s']}")
    if result.peak_memory_bytes is not None:
        table.add_row(
            labels["peak"], escape(f"{format_bytes(result.peak_memory_bytes, lang)} ({result.memory_measure})")
        )
    if result.load_peak_memory_bytes is not None and result.generation_peak_memory_bytes is not None:
        table.add_row(
            labels["phases"],
            f"{format_bytes(result.load_peak_memory_bytes, lang)} / "
            f"{format_bytes(result.generation_peak_memory_bytes, lang)}",
        )
    if result.estimate_bytes is not None:
        table.add_row(labels["estimate"], format_bytes(result.estimate_bytes, lang))
    if result.measured_over_estimated is not None:
        table.add_row(
            labels["ratio"],
            f"{format_number(result.measured_over_estimated, lang, 2)} "
            f"({format_bytes(result.compared_measured_bytes or 0, lang)} / "
            f"{format_bytes(result.compared_estimate_bytes or 0, lang)})",
        )
        table.add_row(labels["compared"], escape(result.comparison or ""))
    if result.generated_text is not None:
        table.add_row(labels["text"], escape(repr(result.generated_text)))
    if result.error is not None:
        # Escaped: messages and hints are text, and `pip install "llm-advisor[smoke]"` is not markup.
        table.add_row(labels["error"], escape(f"{result.error.code}: {result.error.message}"), style="red")
        if result.error.hint:
            table.add_row(labels["hint"], escape(result.error.hint))
    if len(result.attempts) > 1:
        table.add_row(labels["attempts"], ", ".join(f"{a.quantization}: {a.verdict}" for a in result.attempts))
    if result.notes:
        table.add_row(labels["notes"], escape("\n".join(result.notes)))
    stdout_console().print(table, markup=True, highlight=False)
