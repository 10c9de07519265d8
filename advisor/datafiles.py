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


def read_yaml(path: str | Path) -> Any:
    """Parse one YAML file safely; a missing file or a syntax error becomes an ``InputError``.

    The package's own data files (catalog, rules, questions) are parsed once per version of the
    file and the result kept in the cache folder: building Python objects from YAML costs about
    100 ms per run for the catalog alone, reading them back from ``marshal`` a few.
    """
    path = Path(path)
    cached = _parsed_cache(path)
    if cached is not None:
        return cached.load()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("file not found", file=str(path)) from None
    except IsADirectoryError:
        raise InputError("is a directory, expected a YAML file", file=str(path)) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason})", file=str(path)) from None
    return parse_yaml(text, str(path))


class _ParsedCache:
    """The parsed form of one package data file, keyed by its path, size and modification time."""

    def __init__(self, source: Path, stat: os.stat_result) -> None:
        from advisor.settings import cache_dir

        key = f"{source}:{stat.st_size}:{stat.st_mtime_ns}:{sys.version_info[:2]}"
        digest = hashlib.sha256(key.encode()).hexdigest()[:24]
        self.source = source
        self.file = cache_dir() / "parsed" / f"{source.stem}-{digest}.marshal"

    def load(self) -> Any:
        try:
            return marshal.loads(self.file.read_bytes())
        except (OSError, ValueError, EOFError, TypeError):
            pass
        text = self.source.read_text(encoding="utf-8")
        data = parse_yaml(text, str(self.source))
        try:
            blob = marshal.dumps(data)  # plain data only; a date or a custom tag is not cached
            self.file.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.file.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_bytes(blob)
            temporary.replace(self.file)  # atomic: concurrent runs never read half a file
        except (OSError, ValueError, TypeError):
            pass  # a read-only home or odd data: parse every time, still correct
        return data


def _parsed_cache(path: Path) -> _ParsedCache | None:
    if env(ENV_NO_CACHE):
        return None
    try:
        resolved = path.resolve()
        if PACKAGE_DIR not in resolved.parents:
            return None  # the user's own files (answers, a catalog to validate) are read fresh
        return _ParsedCache(resolved, resolved.stat())
    except OSError:
        return None


def parse_yaml(text: str, source: str) -> Any:
    """Parse YAML text; ``source`` names it in errors (a path, or ``<answers>``)."""
    try:
        return yaml.load(text, Loader=_SafeLoader)  # noqa: S506 - a safe loader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or "invalid YAML"
        column = f", column {mark.column + 1}" if mark is not None else ""
        raise InputError(f"YAML syntax error{column}: {problem}", file=source, line=line) from None
    except yaml.YAMLError as exc:
        raise InputError(f"YAML error: {exc}", file=source) from None


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
    for err in exc.errors(include_url=False):
        loc = _without_union_tags(err["loc"])
        field = format_loc(loc)
        bad = err.get("input")
        kind = err["type"]
        if kind == "extra_forbidden":
            known = _known_keys(model, loc[:-1]) if model else []
            message = f"unknown key {loc[-1]!r}" + did_you_mean(str(loc[-1]), known)
            if known:
                message += f"; known keys: {', '.join(known)}"
        elif kind in ("literal_error", "enum"):
            allowed = _allowed_from_ctx(err.get("ctx", {}))
            message = f"{bad!r} is not allowed" + did_you_mean(str(bad), allowed)
            if allowed:
                message += f"; allowed: {', '.join(allowed)}"
        elif kind == "value_error":
            message = str(err.get("ctx", {}).get("error", err["msg"]))
        elif kind == "missing":
            message = "required, but missing"
        else:
            message = f"{err['msg']} (got {_short(bad)})"
        found.append(InputError(message, file=file, entry=entry, field=field or None))
    return found


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` when one choice is close to ``word``, else an empty string."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def format_loc(loc: Sequence[int | str]) -> str:
    """``('rules', 3, 'when')`` -> ``rules[3].when``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
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


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
