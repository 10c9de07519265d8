"""New models without waiting for a release: list recent, popular models of trusted publishers.

The built-in catalog is curated and ships with a release; a lab publishes every few weeks. ``advisor
catalog discover`` asks the Hub (``HfApi.list_models``) for each publisher of an allowlist
(``data/publishers.yaml``) and keeps what a team could adopt: models that are not already in the
catalog, not a merge, not an uncensored variant, not a quantized conversion (``catalog add`` reads
the original; conversions belong in its ``quantized_formats``), and not someone else's fine-tune.
``--all`` lifts those filters, for a publisher outside the allowlist or a fine-tune a team trusts.

Chosen models go through the same ``catalog add`` machinery (config.json and safetensors headers,
never weights) and arrive **not rated**: empty ``quality`` until someone curates them. Selection
ranks an unrated model below every rated model that serves the task (README, "Unrated models").

Nothing here imports huggingface_hub at module level.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from advisor.datafiles import PACKAGE_DIR, errors_from_validation, read_yaml
from advisor.errors import InputErrors

PUBLISHERS_FILE = PACKAGE_DIR / "data" / "publishers.yaml"
DEFAULT_LIMIT = 20
"""Models asked per publisher and pipeline tag, most downloaded first: recent releases of a lab
are among its most downloaded within weeks, and 20 keeps one call per publisher small."""
EXPAND: list[Any] = ["createdAt", "downloads", "likes", "pipeline_tag", "tags", "gated"]
"""The ``list_models`` properties read (``expand`` keeps each answer small)."""


class PublishersFile(BaseModel):
    """data/publishers.yaml: the allowlist, the task names and the skip rules."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    publishers: list[str] = Field(min_length=1, description="Hub organisations whose own models are listed.")
    tasks: dict[str, list[str]] = Field(min_length=1, description="--task name -> Hub pipeline tags.")
    skip_name_parts: list[str] = Field(description="Name parts that mark a conversion, merge or variant.")
    skip_tags: list[str] = Field(description="Hub tags that mark a merge, an uncensored variant or a GGUF.")

    @field_validator("publishers")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        lowered = [v.lower() for v in value]
        if len(set(lowered)) != len(lowered):
            raise ValueError("a publisher is listed twice")
        return value


@lru_cache(maxsize=1)
def load_publishers() -> PublishersFile:
    """The allowlist file, validated (an error names the file and the field)."""
    from pydantic import ValidationError

    data = read_yaml(PUBLISHERS_FILE)
    try:
        return PublishersFile.model_validate(data)
    except ValidationError as exc:
        raise InputErrors(errors_from_validation(exc, PublishersFile, file=str(PUBLISHERS_FILE), entry=None)) from None


@dataclass(frozen=True)
class Candidate:
    """A model the Hub listed, with why it is (or is not) offered."""

    id: str
    pipeline_tag: str | None
    downloads: int
    likes: int
    created: str | None
    gated: bool
    skipped: str | None = None
    """None when offered; else the reason: 'in catalog', 'conversion or variant', 'fine-tune of ...'."""


@dataclass
class Discovery:
    """What one ``discover`` call found: the offered candidates, the skipped ones, the calls made."""

    offered: list[Candidate] = field(default_factory=list)
    skipped: list[Candidate] = field(default_factory=list)
    publishers: list[str] = field(default_factory=list)


def discover(
    publishers: Iterable[str] | None = None,
    task: str | None = None,
    *,
    known_ids: Iterable[str] = (),
    limit: int = DEFAULT_LIMIT,
    include_all: bool = False,
) -> Discovery:
    """Models of ``publishers`` (default: the allowlist) for ``task``, most downloaded first.

    ``known_ids`` are skipped (the catalog in use). Raises ``HubError`` (exit 4) when offline or when
    the Hub cannot be reached, and ``InputError`` for an unknown task.
    """
    from advisor.errors import InputError
    from advisor.sources.hub import HubReadError, _offline, hub_error

    rules = load_publishers()
    if task is not None and task not in rules.tasks:
        raise InputError(f"{task!r} is not a discover task; tasks: {', '.join(rules.tasks)}")
    orgs = list(publishers) if publishers else list(rules.publishers)
    if _offline():
        raise HubReadError(
            "offline",
            "discovering models needs the Hub, and offline mode is on (HF_HUB_OFFLINE)",
            "unset HF_HUB_OFFLINE, or add a model you already have with `advisor catalog add DIR`",
        )
    from huggingface_hub import HfApi

    api = HfApi()
    tags = rules.tasks[task] if task else [None]
    known = {i.lower() for i in known_ids}
    seen: set[str] = set()
    found = Discovery(publishers=orgs)
    for org in orgs:
        for tag in tags:
            try:
                infos = list(
                    api.list_models(
                        author=org, pipeline_tag=tag, sort="downloads", limit=limit, expand=EXPAND, token=None
                    )
                )
            except Exception as exc:
                mapped = hub_error(exc, org)
                if mapped is None:
                    raise
                raise mapped from None
            for info in infos:
                candidate = _candidate(info, org, known, rules, include_all)
                if candidate.id.lower() in seen:
                    continue
                seen.add(candidate.id.lower())
                (found.skipped if candidate.skipped else found.offered).append(candidate)
    found.offered.sort(key=lambda c: (-c.downloads, c.id.lower()))
    return found


def _candidate(info: Any, org: str, known: set[str], rules: PublishersFile, include_all: bool) -> Candidate:
    created = getattr(info, "created_at", None)
    tags = [str(t) for t in (getattr(info, "tags", None) or [])]
    candidate = Candidate(
        id=str(info.id),
        pipeline_tag=getattr(info, "pipeline_tag", None),
        downloads=int(getattr(info, "downloads", 0) or 0),
        likes=int(getattr(info, "likes", 0) or 0),
        created=created.date().isoformat() if created is not None and hasattr(created, "date") else None,
        gated=bool(getattr(info, "gated", False)),
    )
    reason = _skip_reason(candidate.id, tags, known, rules, include_all)
    if reason is None:
        return candidate
    return Candidate(**{**candidate.__dict__, "skipped": reason})


def _skip_reason(
    model_id: str, tags: list[str], known: set[str], rules: PublishersFile, include_all: bool
) -> str | None:
    if model_id.lower() in known:
        return "in catalog"
    if include_all:
        return None
    name = model_id.split("/", 1)[-1].lower()
    lowered = {t.lower() for t in tags}
    if any(part in name for part in rules.skip_name_parts) or lowered & {t.lower() for t in rules.skip_tags}:
        return "conversion, merge or variant"
    if any(tag.startswith("base_model:quantized:") for tag in lowered):
        return "conversion, merge or variant"
    owner = model_id.split("/", 1)[0].lower()
    for tag in lowered:
        # The Hub tags a fine-tune 'base_model:finetune:<owner>/<name>'; a lab fine-tuning its own
        # base is the lab's release, anyone else's is a community fine-tune.
        if tag.startswith(("base_model:finetune:", "base_model:adapter:", "base_model:merge:")):
            base_owner = tag.rsplit(":", 1)[-1].split("/", 1)[0]
            if base_owner != owner:
                return f"fine-tune of {tag.rsplit(':', 1)[-1]}"
    return None


def is_allowlisted(org: str) -> bool:
    """Whether ``org`` is on the publisher allowlist (any case)."""
    return org.lower() in {p.lower() for p in load_publishers().publishers}
