"""``advisor catalog list|show|validate``: the models the advisor knows; is a catalog file sound."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from advisor.catalog import KINDS, Catalog, CatalogEntry, load_catalog, parse_catalog_file
from advisor.errors import ExitCode, InputError, InputErrors
from advisor.i18n import Lang, format_number, resolve_lang
from advisor.output import print_json, stdout_console

if TYPE_CHECKING:
    from rich.console import Console

_FILE_OPTION = click.option(
    "--file",
    "catalog_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="A catalog YAML file other than the built-in one.",
)


@click.group()
def catalog() -> None:
    """List the model catalog, show one model's facts, or validate a catalog file."""


@catalog.command("list")
@click.option("--kind", type=click.Choice(KINDS), default=None, help="Only models of this kind.")
@_FILE_OPTION
@click.option("--json", "as_json", is_flag=True, help="The entries as JSON on stdout.")
def list_command(kind: str | None, catalog_file: Path | None, as_json: bool) -> int:
    """One line per model: id, kind, parameters, context, licence, French support."""
    cat = load_catalog(catalog_file)
    entries = cat.of_kind(kind)
    if as_json:
        print_json({"version": cat.version, "count": len(entries),
                    "models": [entry.model_dump(mode="json") for entry in entries]})
        return int(ExitCode.OK)

    from rich.table import Table

    console = _data_console()
    # Below ~100 columns the id (what people copy into other commands) needs the room of `kind`.
    show_kind = kind is None and console.width >= 100
    lang = _lang()
    table = Table(title=f"model catalog {cat.version}: {len(entries)} models", show_lines=False)
    table.add_column("id", overflow="fold", min_width=min(30, max(len(e.id) for e in entries)))
    if show_kind:
        table.add_column("kind")
    table.add_column("params", justify="right", max_width=8)
    table.add_column("context", justify="right")
    table.add_column("licence", overflow="fold", max_width=12)
    table.add_column("French")
    for entry in entries:
        cells = [entry.id, entry.kind] if show_kind else [entry.id]
        cells += [_params_text(entry, lang), _tokens_text(entry.context_length), _licence_text(entry),
                  entry.french_support]
        table.add_row(*cells)
    console.print(table)
    return int(ExitCode.OK)


@catalog.command("show")
@click.argument("model_id")
@_FILE_OPTION
@click.option("--json", "as_json", is_flag=True, help="The entry as JSON on stdout.")
def show_command(model_id: str, catalog_file: Path | None, as_json: bool) -> int:
    """Every fact the catalog holds on MODEL_ID (a Hub id such as Qwen/Qwen2.5-7B-Instruct)."""
    cat = load_catalog(catalog_file)
    entry = cat.get(model_id)
    if as_json:
        print_json(entry)
        return int(ExitCode.OK)

    from rich.table import Table

    lang = _lang()
    facts = Table(title=entry.name, show_header=False, show_lines=False)
    facts.add_column("fact", style="bold")
    facts.add_column("value", overflow="fold")
    for label, value in _fact_rows(entry, cat, lang):
        facts.add_row(label, value)
    config = Table(title="config (config.json keys)", show_header=False)
    config.add_column("key", style="bold")
    config.add_column("value", overflow="fold")
    for key, value in _flatten(entry.config):
        config.add_row(key, value)
    console = _data_console()
    console.print(facts)
    console.print(config)
    return int(ExitCode.OK)


@catalog.command("validate")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="The verdict and any errors as JSON on stdout.")
def validate_command(file: Path | None, as_json: bool) -> int:
    """Check a catalog file (default: the built-in one): schema, unique ids, known quantizations.

    Exits 0 when the file is valid, 3 when it is not, listing every problem with its file, entry
    (model id) and field.
    """
    from advisor.catalog import BUILTIN_CATALOG

    path = file if file is not None else BUILTIN_CATALOG
    try:
        cat = parse_catalog_file(path)
    except InputError as exc:
        if not as_json:
            raise
        problems = exc.errors if isinstance(exc, InputErrors) else [exc]
        print_json({"file": str(path), "valid": False, "errors": [
            {"file": e.file, "entry": e.entry, "field": e.field, "message": str(e)} for e in problems]})
        return int(ExitCode.INPUT)
    counts = {kind: len(cat.of_kind(kind)) for kind in KINDS if cat.of_kind(kind)}
    if as_json:
        print_json({"file": str(path), "valid": True, "version": cat.version, "count": len(cat),
                    "kinds": counts})
    else:
        click.echo(f"{path}: valid, catalog {cat.version}, {len(cat)} models ("
                   + ", ".join(f"{n} {kind}" for kind, n in counts.items()) + ")")
    return int(ExitCode.OK)


def _data_console() -> Console:
    console = stdout_console()
    if console.is_terminal:
        return console
    # Piped output has no width to respect: whole lines suit grep better than rich's default 80.
    from rich.console import Console

    return Console(width=160, soft_wrap=False)


def _lang() -> Lang:
    root = click.get_current_context().find_root()
    explicit = root.obj.get("lang") if isinstance(root.obj, dict) else None
    return resolve_lang(explicit)


def _fact_rows(entry: CatalogEntry, cat: Catalog, lang: Lang) -> list[tuple[str, str]]:
    licence = entry.licence
    rows = [
        ("id", entry.id),
        ("family", entry.family),
        ("kind", entry.kind + (" (instruct)" if entry.instruct else " (base)")),
        ("total params", format_number(entry.total_params, lang, 0)),
    ]
    if entry.active_params is not None:
        rows.append(("active params", format_number(entry.active_params, lang, 0) + " per token (MoE)"))
    if entry.params_source != "transformers":
        rows.append(("params source", f"{entry.params_source}: {entry.params_note}"))
    rows += [
        ("context", f"{format_number(entry.context_length, lang, 0)} tokens"),
        ("languages", ", ".join(entry.languages)),
        ("French", f"{entry.french_support}: {entry.french_support_source}"),
        ("licence", f"{licence.id}; commercial use {'yes' if licence.commercial_use else 'no'}; "
                    f"{'gated on the Hub' if licence.gated else 'not gated'}"),
        ("quantized on the Hub",
         ", ".join(entry.quantized_formats) or "none published (bf16, int8, nf4 via transformers)"),
        ("quality tier", f"{entry.quality_tier}/5 within {entry.kind} models: {entry.quality_source}"),
        ("released", entry.release_date),
        ("tasks", ", ".join(entry.tasks)),
    ]
    if entry.notes is not None:
        rows.append(("notes", entry.notes.get(lang)))
    rows.append(("catalog", cat.version))
    return rows


def _flatten(config: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and key.endswith("_config"):
            rows.extend(_flatten(value, prefix=f"{name}."))
        elif isinstance(value, list) and len(value) > 6:
            distinct = ", ".join(dict.fromkeys(str(item) for item in value))
            rows.append((name, f"[{len(value)} items: {distinct}]"))
        else:
            rows.append((name, "null" if value is None else str(value)))
    return rows


def _params_text(entry: CatalogEntry, lang: Lang) -> str:
    text = _short_count(entry.total_params, lang)
    if entry.active_params is not None:
        text += f"\n{_short_count(entry.active_params, lang)} active"
    return text


def _short_count(value: int, lang: Lang) -> str:
    if value >= 1_000_000_000:
        return format_number(value / 1e9, lang, 1) + "B"
    return format_number(value / 1e6, lang, 0) + "M"


def _tokens_text(tokens: int) -> str:
    return f"{tokens // 1024}k" if tokens >= 4096 and tokens % 1024 == 0 else f"{tokens:,}"


def _licence_text(entry: CatalogEntry) -> str:
    licence = entry.licence
    flags = [flag for flag, on in (("non-commercial", not licence.commercial_use), ("gated", licence.gated))
             if on]
    return licence.id + (f" ({', '.join(flags)})" if flags else "")
