"""Reading YAML and validating it with pydantic, with errors a person can fix.

Every YAML file llm-advisor reads (answers, rules, catalog, question texts) goes through here, so a
syntax error always names the file and line, and a validation error always names the file, the
entry and the field, with the allowed values and a did-you-mean where one exists.
"""

from __future__ import annotations

import difflib
import hashlib
import marshal
import os
import re
import reprlib
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from advisor.errors import InputError, InputErrors
from advisor.settings import ENV_NO_CACHE, env

PACKAGE_DIR = Path(__file__).resolve().parent
"""Set to parse the package's YAML every time (while editing the knowledge base or catalog)."""

try:  # libyaml's loader is ~10x faster; the pure-Python one gives the same results
    _SafeLoader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _SafeLoader = yaml.SafeLoader

M = TypeVar("M", bound=BaseModel)

KiB = 1024
MiB = 1024 * KiB
MAX_FILE_BYTES = 1 * MiB
"""Largest answers or hardware file read: a filled-in questionnaire is a few kilobytes."""
MAX_CATALOG_BYTES = 16 * MiB
"""Largest catalog file read (the built-in one is about 90 KB for some 90 models)."""
MAX_YAML_NODES = 200_000
"""Most YAML nodes a file may describe once its aliases are expanded. Aliases are legitimate (the
built-in catalog shares lists with them) but each one repeats a whole subtree, so a few hundred
bytes of nested aliases describe billions of nodes ("billion laughs"); counting before expansion
refuses those in milliseconds instead of spending minutes in validation and error wording."""
MAX_REPORTED_ERRORS = 20
"""Problems listed for one file; the rest are counted. A list of 100,000 bad items needs one fix."""
EXCERPT_CHARS = 60
"""Longest quotation of a bad value in a message: enough to recognise it, never the whole value."""


def read_yaml(path: str | Path, *, max_bytes: int = MAX_FILE_BYTES) -> Any:
    """Parse one YAML file safely; a missing, oversized or malformed file becomes an ``InputError``.

    At most ``max_bytes`` are read: a larger file is refused with the limit named, before any
    parsing. The package's own data files (catalog, rules, questions) are parsed once per content
    of the file and the result kept in the cache folder: building Python objects from YAML costs
    about 100 ms per run for the catalog alone, reading them back from ``marshal`` a few.
    """
    path = Path(path)
    raw = read_bounded(path, max_bytes, what="YAML file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason})", file=str(path)) from None
    cached = _parsed_cache(path, raw)
    if cached is not None:
        return cached.load(raw, text)
    return parse_yaml(text, str(path), max_bytes=max_bytes)


def read_bounded(path: Path, max_bytes: int, *, what: str = "file") -> bytes:
    """The bytes of ``path``, refusing (``InputError`` naming the limit) a file over ``max_bytes``.

    Reads at most ``max_bytes + 1`` bytes whatever the file claims, so a FIFO or a growing file is
    bounded too.
    """
    try:
        with open(path, "rb") as handle:
            raw = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise InputError("file not found", file=str(path)) from None
    except IsADirectoryError:
        raise InputError(f"is a directory, expected a {what}", file=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", file=str(path)) from None
    if len(raw) > max_bytes:
        raise InputError(
            f"larger than the {format_size(max_bytes)} limit for a {what}; refused unread",
            file=str(path),
            hint="is this the file you meant?",
        )
    return raw


def format_size(n: int) -> str:
    """``1 MiB``, ``16 MiB``, ``64 KiB``: limits as people read them."""
    for unit, size in (("GiB", 1024 * MiB), ("MiB", MiB), ("KiB", KiB)):
        if n >= size and n % size == 0:
            return f"{n // size} {unit}"
    return f"{n:,} bytes"


_CACHE_FORMAT = 2
"""Bumped when the cache file layout changes; older files are then parsed again."""


class _ParsedCache:
    """The parsed form of one package data file, keyed by the file's content, checked on every read.

    The key is a hash of the file's bytes (not its size and modification time, which a checkout or
    a copy can keep while the content changes). The cache file holds ``(format, key, digest, blob)``
    where ``digest`` is the hash of the marshalled data: a cache file that was truncated, replaced or
    edited does not match and is treated as a miss (parsed again and rewritten), never trusted.
    """

    def __init__(self, source: Path, raw: bytes) -> None:
        from advisor.settings import cache_dir

        self.key = hashlib.sha256(raw + repr(sys.version_info[:2]).encode()).hexdigest()
        self.source = source
        self.file = cache_dir() / "parsed" / f"{source.stem}-{self.key[:24]}.marshal"

    def read(self) -> Any:
        """The cached data, or ``_MISS`` when the file is absent or does not check out."""
        try:
            stored = marshal.loads(self.file.read_bytes())
        except (OSError, ValueError, EOFError, TypeError):
            return _MISS
        if not (isinstance(stored, tuple) and len(stored) == 4 and stored[:2] == (_CACHE_FORMAT, self.key)):
            return _MISS
        digest, blob = stored[2], stored[3]
        if not isinstance(blob, bytes) or hashlib.sha256(blob).hexdigest() != digest:
            return _MISS
        try:
            data = marshal.loads(blob)
        except (ValueError, EOFError, TypeError):
            return _MISS
        return data if data is None or isinstance(data, (dict, list)) else _MISS

    def load(self, raw: bytes, text: str) -> Any:
        data = self.read()
        if data is not _MISS:
            return data
        data = parse_yaml(text, str(self.source), max_bytes=max(len(raw), MAX_FILE_BYTES))
        try:
            blob = marshal.dumps(data)  # plain data only; a date or a custom tag is not cached
            stored = marshal.dumps((_CACHE_FORMAT, self.key, hashlib.sha256(blob).hexdigest(), blob))
            self.file.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.file.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_bytes(stored)
            temporary.replace(self.file)  # atomic: concurrent runs never read half a file
        except (OSError, ValueError, TypeError):
            pass  # a read-only home or odd data: parse every time, still correct
        return data


_MISS = object()


def _parsed_cache(path: Path, raw: bytes) -> _ParsedCache | None:
    if env(ENV_NO_CACHE):
        return None
    try:
        resolved = path.resolve()
        if PACKAGE_DIR not in resolved.parents:
            return None  # the user's own files (answers, a catalog to validate) are read fresh
        return _ParsedCache(resolved, raw)
    except OSError:
        return None


def parse_yaml(text: str, source: str, *, max_bytes: int = MAX_FILE_BYTES) -> Any:
    """Parse YAML text; ``source`` names it in errors (a path, or ``<answers>``).

    Refuses text over ``max_bytes`` and text whose aliases expand past :data:`MAX_YAML_NODES`
    before building any object.
    """
    if len(text) > max_bytes or len(text.encode("utf-8", errors="replace")) > max_bytes:
        raise InputError(f"larger than the {format_size(max_bytes)} limit; refused unread", file=source)
    if "*" in text:  # an alias needs a '*': files without one cost nothing more
        _check_alias_expansion(text, source)
    try:
        return yaml.load(text, Loader=_SafeLoader)  # noqa: S506 - a safe loader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or "invalid YAML"
        column = f", column {mark.column + 1}" if mark is not None else ""
        raise InputError(f"YAML syntax error{column}: {problem}", file=source, line=line) from None
    except yaml.YAMLError as exc:
        raise InputError(f"YAML error: {clip(str(exc))}", file=source) from None


def _check_alias_expansion(text: str, source: str) -> None:
    """Count the nodes the text describes with every alias expanded, from parser events only.

    An anchored node's expanded size is remembered when it closes; an alias adds that size. The
    count stops (and the file is refused) as soon as it passes :data:`MAX_YAML_NODES`, so the cost
    is bounded by the text's length, never by the expansion. Syntax errors are left to the loader.
    """
    sizes: dict[str, int] = {}
    stack: list[list[Any]] = [[None, 0]]  # [anchor, expanded nodes so far]
    total = 0
    try:
        for event in yaml.parse(text, Loader=_SafeLoader):
            if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                stack.append([event.anchor, 1])
                continue
            if isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                anchor, size = stack.pop()
                if anchor is not None:
                    sizes[anchor] = size
            elif isinstance(event, yaml.ScalarEvent):
                size = 1
                if event.anchor is not None:
                    sizes[event.anchor] = 1
            elif isinstance(event, yaml.AliasEvent):
                size = sizes.get(event.anchor, 1) if event.anchor is not None else 1
                total += size
            else:
                continue
            stack[-1][1] += size
            if stack[-1][1] > MAX_YAML_NODES or total > MAX_YAML_NODES:
                raise InputError(
                    f"its aliases (*name) expand to more than {MAX_YAML_NODES:,} values; refused before "
                    "expansion (a file that large by repetition is not an answers, catalog or hardware file)",
                    file=source,
                    hint="write the repeated parts out, or use fewer nested aliases",
                )
    except yaml.YAMLError:
        return  # the loader reports syntax errors with their line


def excerpt(value: Any, limit: int = EXCERPT_CHARS) -> str:
    """A short ``repr`` of ``value`` for a message: at most ``limit`` characters, whatever its size.

    Built with :mod:`reprlib` (a bounded number of items per level and of levels), so a 50 MB string
    or a list that shares its items a billion times costs microseconds, not a full ``repr``.
    """
    short = reprlib.Repr()
    short.maxstring = limit
    short.maxother = limit
    short.maxlist = short.maxtuple = short.maxdict = short.maxset = 6
    short.maxlevel = 3
    text = short.repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def clip(text: str, limit: int = 300) -> str:
    """``text`` cut to ``limit`` characters with the cut marked (validator messages, library errors)."""
    return text if len(text) <= limit else text[: limit - 15] + f"... ({len(text):,} chars)"


def validate(model: type[M], data: Any, *, file: str | None = None, entry: str | None = None) -> M:
    """Build ``model`` from ``data`` or raise ``InputErrors`` naming file, entry and field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InputErrors(errors_from_validation(exc, model, file=file, entry=entry)) from None


def errors_from_validation(
    exc: ValidationError, model: type[BaseModel] | None = None, *, file: str | None, entry: str | None
) -> list[InputError]:
    """Turn each pydantic error into an ``InputError`` with allowed values and a did-you-mean."""
    found: list[InputError] = []
    errors = exc.errors(include_url=False, include_input=True)
    for err in errors[:MAX_REPORTED_ERRORS]:
        loc = _without_union_tags(err["loc"])
        field = format_loc(loc)
        bad = err.get("input")
        kind = err["type"]
        if kind == "extra_forbidden":
            known = _known_keys(model, loc[:-1]) if model else []
            message = f"unknown key {excerpt(loc[-1])}" + _did_you_mean_short(loc[-1], known)
            if known:
                message += f"; known keys: {', '.join(known)}"
        elif kind in ("literal_error", "enum"):
            allowed = _allowed_from_ctx(err.get("ctx", {}))
            message = f"{excerpt(bad)} is not allowed" + _did_you_mean_short(bad, allowed)
            if allowed:
                message += f"; allowed: {', '.join(allowed)}"
        elif kind == "value_error":
            message = clip(str(err.get("ctx", {}).get("error", err["msg"])))
        elif kind == "missing":
            message = "required, but missing"
        else:
            message = f"{clip(err['msg'])} (got {excerpt(bad)})"
        found.append(InputError(message, file=file, entry=entry, field=field or None))
    if len(errors) > MAX_REPORTED_ERRORS:
        found.append(
            InputError(
                f"... and {len(errors) - MAX_REPORTED_ERRORS:,} more problems of the same kinds "
                f"(the first {MAX_REPORTED_ERRORS} are listed)",
                file=file,
                entry=entry,
            )
        )
    return found


def _did_you_mean_short(word: Any, choices: Iterable[str]) -> str:
    # difflib is quadratic in the word's length: a long value is nobody's typo.
    short = isinstance(word, (str, int, float)) and len(str(word)) <= 64
    return did_you_mean(str(word), choices) if short else ""


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` when one choice is close to ``word``, else an empty string."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def format_loc(loc: Sequence[int | str]) -> str:
    """``('rules', 3, 'when')`` -> ``rules[3].when``."""
    out = ""
    for part in loc:
        text = str(part) if len(str(part)) <= EXCERPT_CHARS else excerpt(str(part))
        out += f"[{part}]" if isinstance(part, int) else (f".{text}" if out else text)
    return out


def _without_union_tags(loc: Sequence[int | str]) -> list[int | str]:
    # pydantic inserts the member type name (``Leaf``, ``list[str]``, ``function-after[...]``) or
    # the discriminator tag (advisor.rules.schema: leaf, all, any, not) into locations of union
    # fields; they mean nothing to the person editing the YAML.
    kept: list[int | str] = []
    for i, part in enumerate(loc):
        following = loc[i + 1] if i + 1 < len(loc) else None
        is_type_name = isinstance(part, str) and (part[:1].isupper() or "[" in part)
        is_tag = part == "leaf" or (part in ("all", "any", "not") and following == part)
        if not (is_type_name or is_tag):
            kept.append(part)
    return kept


def _known_keys(model: type[BaseModel], loc: Sequence[int | str]) -> list[str]:
    current: Any = model
    for part in loc:
        if isinstance(part, int) or not (isinstance(current, type) and issubclass(current, BaseModel)):
            continue
        field = current.model_fields.get(str(part))
        if field is None:
            return []
        current = _first_model(field.annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or name for name, f in current.model_fields.items()]
    return []


def _first_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _first_model(arg)
        if found is not None:
            return found
    return None


_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'")


def _allowed_from_ctx(ctx: dict[str, Any]) -> list[str]:
    expected = ctx.get("expected")
    if not expected:
        return []
    return _QUOTED.findall(str(expected))
