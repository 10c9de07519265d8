"""``advisor catalog list|show|validate``: the models the advisor knows; is a catalog file sound."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from advisor.catalog import KINDS, Catalog, CatalogEntry, load_catalog, parse_catalog_file
from advisor.commands import SHORT_HELP
from advisor.errors import ExitCode, InputError, InputErrors
from advisor.i18n import Lang, resolve_lang
from advisor.output import print_json, stdout_console
from advisor.units import format_count, format_number, format_tokens

if TYPE_CHECKING:
    from rich.console import Console

_FILE_OPTION = click.option(
    "--file",
    "catalog_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="A catalog YAML file other than the built-in one.",
)


@click.group(short_help=SHORT_HELP["catalog"])
def catalog() -> None:
    """List the model catalog, show one model's facts, validate a catalog file, add or discover models."""


@catalog.command("list")
@click.option("--kind", type=click.Choice(KINDS), default=None, help="Only models of this kind.")
@_FILE_OPTION
@click.option("--json", "as_json", is_flag=True, help="The entries as JSON on stdout.")
def list_command(kind: str | None, catalog_file: Path | None, as_json: bool) -> int:
    """One line per model: id, kind, parameters, context, licence, French support."""
    cat = load_catalog(catalog_file)
    entries = cat.of_kind(kind)
    if as_json:
        print_json(
            {
                "version": cat.version,
                "count": len(entries),
                "models": [entry.model_dump(mode="json") for entry in entries],
            }
        )
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
        cells += [
            _params_text(entry, lang),
            format_tokens(entry.context_length, lang),
            _licence_text(entry),
            entry.french_support,
        ]
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
        print_json(
            {
                "file": str(path),
                "valid": False,
                "errors": [{"file": e.file, "entry": e.entry, "field": e.field, "message": str(e)} for e in problems],
            }
        )
        return int(ExitCode.INPUT)
    counts = {kind: len(cat.of_kind(kind)) for kind in KINDS if cat.of_kind(kind)}
    if as_json:
        print_json({"file": str(path), "valid": True, "version": cat.version, "count": len(cat), "kinds": counts})
    else:
        click.echo(
            f"{path}: valid, catalog {cat.version}, {len(cat)} models ("
            + ", ".join(f"{n} {kind}" for kind, n in counts.items())
            + ")"
        )
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
        ("total params", f"{format_number(entry.total_params, lang, 0)} ({format_count(entry.total_params, lang)})"),
    ]
    if entry.active_params is not None:
        rows.append(("active params", format_number(entry.active_params, lang, 0) + " per token (MoE)"))
    if entry.params_source != "transformers":
        rows.append(("params source", f"{entry.params_source}: {entry.params_note}"))
    rows += [
        ("context", f"{format_tokens(entry.context_length, lang)} tokens"),
        ("languages", ", ".join(entry.languages)),
        ("French", f"{entry.french_support}: {entry.french_support_source}"),
        (
            "licence",
            f"{licence.id}; commercial use {'yes' if licence.commercial_use else 'no'}; "
            f"{'gated on the Hub' if licence.gated else 'not gated'}",
        ),
        (
            "quantized on the Hub",
            ", ".join(entry.quantized_formats) or "none published (bf16, int8, nf4 via transformers)",
        ),
        ("quality", _quality_text(entry)),
        ("released", entry.release_date or "unknown"),
        ("tasks", ", ".join(entry.tasks)),
    ]
    if entry.notes is not None:
        rows.append(("notes", entry.notes.get(lang)))
    rows.append(("catalog", cat.version))
    return rows


def _quality_text(entry: CatalogEntry) -> str:
    """Per-task scores (0-100) with the benchmarks behind them, or 'not rated'."""
    if not entry.quality:
        legacy = f"; legacy tier {entry.quality_tier}/5" if entry.quality_tier is not None else ""
        return f"not rated{legacy}"
    parts = []
    for task, rated in entry.quality.items():
        figures = ", ".join(f"{f.benchmark} {f.value:g}" for f in rated.figures)
        parts.append(f"{task} {rated.score:g} ({figures})")
    for code, rated in entry.language_quality.items():
        parts.append(f"{code} {rated.score:g}")
    return "; ".join(parts)


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
    text = format_count(entry.total_params, lang)
    if entry.active_params is not None:
        text += f"\n{format_count(entry.active_params, lang)} active"
    return text


def _licence_text(entry: CatalogEntry) -> str:
    licence = entry.licence
    flags = [flag for flag, on in (("non-commercial", not licence.commercial_use), ("gated", licence.gated)) if on]
    return licence.id + (f" ({', '.join(flags)})" if flags else "")


@catalog.command("add")
@click.argument("model")
@click.option(
    "--id", "entry_id", default=None, help="Catalog id for a local directory (owner/name; default local/<folder name>)."
)
@click.option("--revision", default=None, help="Hub branch, tag or commit to read (default: main).")
@click.option("--json", "as_json", is_flag=True, help="The new entry, its source and the file as JSON on stdout.")
def add_command(model: str, entry_id: str | None, revision: str | None, as_json: bool) -> int:
    """Add MODEL (a Hub id or a local model directory) to your user catalog.

    Reads the model card, config.json and safetensors headers (no weights are downloaded), and
    writes the entry to the user catalog ($ADVISOR_USER_CATALOG, or catalog.yaml in the user data
    folder), where it overlays the built-in catalog: an entry with a built-in id replaces it.
    Uses HF_TOKEN / the stored login for gated or private repos, and honours HF_HUB_OFFLINE.
    """
    from advisor.catalog import BUILTIN_CATALOG
    from advisor.catalog.user import read_user_catalog, update_user_catalog
    from advisor.output import note
    from advisor.sources.hub import default_id, entry_from_facts, read_model

    user = read_user_catalog()  # a file that does not parse stops here, before anything is written
    facts = read_model(model, revision=revision, refresh=True)
    if entry_id is not None and facts.source == "hub":
        raise click.UsageError("--id is for local directories: a Hub model keeps its repo id")
    entry = entry_from_facts(facts, entry_id=entry_id, previous=user.find(entry_id or default_id(facts)))
    # Read again and written under the file lock: an `add` running in parallel keeps its entry.
    replaced_user, path = update_user_catalog(lambda current: current.put(entry, {facts.source: facts.ref}))
    replaced_builtin = entry.id in load_catalog(BUILTIN_CATALOG)
    replaced = "user" if replaced_user else "built-in" if replaced_builtin else None
    if as_json:
        print_json(
            {
                "file": str(path),
                "source": {facts.source: facts.ref},
                "replaced": replaced,
                "entry": entry.model_dump(mode="json"),
            }
        )
        return int(ExitCode.OK)
    what = {"user": "updated", "built-in": "added (it replaces the built-in entry)", None: "added"}[replaced]
    note(f"{entry.id}: {what} in {path}")
    _print_facts(entry, load_catalog())
    return int(ExitCode.OK)


@catalog.command("refresh")
@click.argument("model_id", required=False)
@click.option("--json", "as_json", is_flag=True, help="What was refreshed and what changed, as JSON on stdout.")
def refresh_command(model_id: str | None, as_json: bool) -> int:
    """Read user-catalog entries again from their source (the Hub or their directory).

    All of them, or MODEL_ID only. Quality set by hand (quality, language_quality, tier) is kept.
    Entries that cannot be read are left as they were and reported; the others are still updated.
    """
    from advisor.catalog.user import read_user_catalog, update_user_catalog, user_catalog_path
    from advisor.errors import AdvisorError, HubError
    from advisor.output import note
    from advisor.sources.hub import entry_from_facts, read_directory, read_hub

    user = read_user_catalog()
    if model_id is not None:
        found = user.find(model_id)
        if found is None:
            builtin = model_id in load_catalog()
            raise InputError(
                f"{model_id!r} is not in your user catalog ({user.path})",
                hint="built-in entries ship with llm-advisor; `advisor catalog add ID` copies one into your catalog"
                if builtin
                else "`advisor catalog add HUB_ID_OR_DIR` adds a model",
            )
        targets = [found]
    else:
        targets = list(user.entries)
    if not targets:
        note(f"no user catalog entries to refresh ({user_catalog_path()})")
        if as_json:
            print_json({"file": str(user.path), "refreshed": [], "failed": []})
        return int(ExitCode.OK)

    refreshed: list[dict[str, Any]] = []
    updates: list[tuple[CatalogEntry, dict[str, str]]] = []
    failed: list[tuple[str, AdvisorError]] = []
    for old in targets:
        source = user.source_of(old.id)
        kind, ref = next(iter(source.items()))
        try:
            if kind == "hub":
                _refuse_offline(ref)
                facts = read_hub(ref, refresh=True)
            elif Path(ref).is_dir():
                facts = read_directory(ref)
            else:
                raise InputError("the directory this entry was added from is gone", file=ref, entry=old.id)
            entry = entry_from_facts(facts, entry_id=old.id, previous=old)
        except AdvisorError as exc:
            failed.append((old.id, exc))
            continue
        before, after = old.model_dump(mode="json"), entry.model_dump(mode="json")
        changed = [key for key in after if key != "notes" and before.get(key) != after.get(key)]
        updates.append((entry, source))
        refreshed.append({"id": entry.id, "source": source, "changed": changed})
    if updates:
        # Under the file lock, on the file as it is now: entries added meanwhile are kept.
        update_user_catalog(lambda current: [current.put(entry, source) for entry, source in updates])
    if as_json:
        print_json(
            {
                "file": str(user.path),
                "refreshed": refreshed,
                "failed": [{"id": i, "error": str(e), "exit_code": int(e.exit_code)} for i, e in failed],
            }
        )
        return int(failed[0][1].exit_code) if failed else int(ExitCode.OK)
    for item in refreshed:
        changes = ", ".join(item["changed"]) or "nothing changed"
        click.echo(f"{item['id']}: refreshed ({changes})")
    if failed:
        lines = "\n".join(f"- {i}: {e}" for i, e in failed)
        message = f"could not refresh {len(failed)} of {len(targets)} entries (left as they were):\n{lines}"
        if any(isinstance(e, HubError) for _, e in failed):
            raise HubError(message)
        raise InputError(message)
    return int(ExitCode.OK)


def _refuse_offline(repo_id: str) -> None:
    """Offline, a refresh could only re-read the cache: say so rather than pretend."""
    from advisor.sources.hub import HubReadError, _offline

    if _offline():
        raise HubReadError(
            "offline-not-cached",
            f"{repo_id}: offline (HF_HUB_OFFLINE=1), the Hub cannot be read again",
            "unset HF_HUB_OFFLINE and run the refresh where the Hub is reachable",
        )


def _print_facts(entry: CatalogEntry, cat: Catalog) -> None:
    from rich.table import Table

    facts = Table(title=entry.name, show_header=False, show_lines=False)
    facts.add_column("fact", style="bold")
    facts.add_column("value", overflow="fold")
    for label, value in _fact_rows(entry, cat, _lang()):
        facts.add_row(label, value)
    _data_console().print(facts)


@catalog.command("discover")
@click.option(
    "--publisher",
    "publishers",
    multiple=True,
    metavar="ORG",
    help="A Hub organisation to list (repeatable; default: every publisher of the allowlist).",
)
@click.option(
    "--task",
    default=None,
    metavar="TASK",
    help="text-generation, embedding, reranking or translation (default: every task).",
)
@click.option(
    "--limit",
    type=click.IntRange(1, 100),
    default=20,
    show_default=True,
    help="Models asked per publisher and task, most downloaded first.",
)
@click.option(
    "--all",
    "include_all",
    is_flag=True,
    help="Also list merges, uncensored variants, conversions and community fine-tunes, and "
    "allow publishers outside the allowlist.",
)
@click.option(
    "--add", "add_all", is_flag=True, help="Add every listed model to your user catalog (not rated until curated)."
)
@click.option("--json", "as_json", is_flag=True, help="Offered and skipped models as JSON on stdout.")
def discover_command(
    publishers: tuple[str, ...], task: str | None, limit: int, include_all: bool, add_all: bool, as_json: bool
) -> int:
    """List recent, popular models of trusted publishers that the catalog does not hold yet.

    Asks the Hugging Face Hub for the most downloaded models of each publisher on the allowlist
    (or of --publisher), and skips what is already in the catalog, merges, uncensored variants,
    quantized conversions and other people's fine-tunes (unless --all). With --add, each listed
    model goes through `advisor catalog add` (config.json and safetensors headers, no weights) and
    arrives not rated: selection ranks it below every rated model that serves the task. Needs the
    network: offline (HF_HUB_OFFLINE) or unreachable, it exits 4.
    """
    from advisor.output import note
    from advisor.sources.discover import discover, is_allowlisted, load_publishers

    if task is not None and task not in load_publishers().tasks:
        raise click.BadParameter(f"{task!r}; tasks: {', '.join(load_publishers().tasks)}", param_hint="--task")
    outside = [org for org in publishers if not is_allowlisted(org)]
    if outside and not include_all:
        raise click.UsageError(
            f"{', '.join(outside)} {'is' if len(outside) == 1 else 'are'} not on the publisher allowlist; "
            "add --all to list it anyway (its models may be merges or community fine-tunes)"
        )
    found = discover(
        publishers or None, task, known_ids=[e.id for e in load_catalog().entries], limit=limit, include_all=include_all
    )
    added: list[str] = []
    if add_all and found.offered:
        added = _add_discovered([c.id for c in found.offered])
    if as_json:
        print_json(
            {
                "publishers": found.publishers,
                "task": task,
                "offered": [c.__dict__ for c in found.offered],
                "skipped": [c.__dict__ for c in found.skipped],
                "added": added,
            }
        )
        return int(ExitCode.OK)
    if not found.offered:
        note(
            f"nothing new: {len(found.skipped)} models listed, all already in the catalog or skipped "
            "(--all lists merges, conversions and fine-tunes too)"
        )
        return int(ExitCode.OK)
    from rich.table import Table

    table = Table(title=f"{len(found.offered)} models not in the catalog", show_lines=False)
    for column, justify in (
        ("id", "left"),
        ("task", "left"),
        ("downloads", "right"),
        ("likes", "right"),
        ("created", "left"),
        ("gated", "left"),
    ):
        table.add_column(column, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for c in found.offered:
        table.add_row(
            c.id, c.pipeline_tag or "", f"{c.downloads:,}", f"{c.likes:,}", c.created or "", "yes" if c.gated else ""
        )
    _data_console().print(table)
    note(
        f"{len(found.skipped)} skipped (in the catalog, conversions, merges, variants, fine-tunes); "
        + (
            f"added {len(added)} to your user catalog, not rated"
            if added
            else "`advisor catalog add ID` adds one, `--add` adds them all (not rated until curated)"
        )
    )
    return int(ExitCode.OK)


def _add_discovered(model_ids: list[str]) -> list[str]:
    """Add each model through the `catalog add` machinery, in one write of the user catalog."""
    from advisor.catalog.user import read_user_catalog, write_user_catalog
    from advisor.sources.hub import default_id, entry_from_facts, read_model

    user = read_user_catalog()
    added = []
    for model_id in model_ids:
        facts = read_model(model_id, refresh=True)
        entry = entry_from_facts(facts, previous=user.find(default_id(facts)))
        user.put(entry, {facts.source: facts.ref})
        added.append(entry.id)
    write_user_catalog(user)
    return added
