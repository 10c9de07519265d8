"""Any model, not only the catalog: read a Hub repo or a local directory into a catalog entry.

A team asks about the model it already has in mind, or the one it fine-tuned. The facts the
advisor needs are all in files a model ships with, so they are read from there, never guessed
from the name alone, and nothing is downloaded beyond a few kilobytes:

- on the Hub: ``HfApi.model_info`` (model card metadata), ``config.json`` (one small file) and the
  safetensors headers (``get_safetensors_metadata``: exact tensor shapes and dtypes, no weights);
- in a local directory: its ``config.json``, the 8-byte length and JSON header of each safetensors
  file (parsed here: the core does not need the ``safetensors`` package), and the YAML front matter
  of ``README.md`` when there is one.

How each source field becomes a catalog field (:func:`entry_from_facts`):

===================  ==========================================================================
catalog field        read from
===================  ==========================================================================
id                   the repo id; ``local/<folder name>`` for a directory (or ``--id``)
name, family         repo / folder name; ``config.model_type``
kind                 embedding: sentence-transformers library/tag, or a feature-extraction /
                     sentence-similarity pipeline; else ``config.is_encoder_decoder``, the
                     model_type (encoders, SSM, hybrids) and architectures (``*ForMaskedLM``...);
                     else decoder
instruct             the name (Instruct, chat, -it, SFT, DPO) or the tags (conversational,
                     instruct, chat); False for embedding models and names ending in Base
total_params         the sum of the safetensors tensor sizes (exact, tied weights are stored once);
                     from config.json through the estimator's counter when the weights are
                     quantized on disk or not safetensors (params_source ``published`` and a
                     params_note that says which)
active_params        MoE only: the estimator's architecture built from config + tensor roles
config               config.json as is (minus ``_name_or_path`` and ``transformers_version``)
context_length       max_position_embeddings, n_positions, max_seq_len, seq_length, n_ctx,
                     max_sequence_length (of text_config when nested); 512 for T5; else 2048 with
                     a note
languages            ``card_data.language`` (README ``language:``) kept when ISO 639-1; ['en']
                     with a note when the card lists none
french_support       'good' when 'fr' is listed, else 'none'; source "model card language list"
licence.id           ``card_data.license``; ``license_name`` when the licence is ``other``;
                     'unknown' when absent
licence.commercial   True for licences known to allow it (:data:`COMMERCIAL_LICENCES`, plus
                     built-in catalog ids that all say so); otherwise False, with a note
licence.gated        ``ModelInfo.gated`` ('auto' / 'manual'); False for a directory
quantized_formats    ``config.quantization_config``: gptq (4/8 bits), awq, bitsandbytes (nf4,
                     nf4-dq, int8), mxfp4, fp8 / fbgemm_fp8 / compressed-tensors float 8-bit
quality              not rated: empty ``quality``, no ``quality_tier`` (a later refresh keeps the
                     quality, language_quality and tier set by hand); selection ranks an unrated
                     model below every rated one that serves the task (README, "Unrated models")
release_date         the repo's creation date on the Hub; empty for a directory (a file's
                     modification date says when it was copied, not when the model was released)
tasks                the pipeline tag, then the kind (and instruct) when the tag says too little
notes                where the facts come from, plus every fallback taken above (en and fr)
===================  ==========================================================================

Errors name the repo and say what to do: gated, not found, offline and not cached, rate limited,
unreachable (``HubError``, exit 4); a directory that is not a model (``InputError``, exit 3). A
config that needs remote code is sized from config.json and never executed; a repo without
safetensors is counted from config.json. Both are noted on the entry rather than refused.

Nothing here imports huggingface_hub at module level; ``import advisor.catalog`` does not import
this module at all.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.catalog.schema import CatalogEntry
from advisor.errors import HubError, InputError
from advisor.repo_ids import is_valid_repo_id
from advisor.settings import cache_dir

if TYPE_CHECKING:
    from advisor.memory import Architecture

CACHE_SCHEMA = 1
"""Bumped when :class:`ModelFacts` changes shape: older cache files are then read again."""

HUB_EXPAND: list[Any] = ["cardData", "gated", "tags", "pipeline_tag", "library_name", "sha", "createdAt"]
"""The ``model_info`` properties read (``expand`` keeps the answer small)."""

DEFAULT_CONTEXT = 2048
"""Context assumed when config.json states none: small on purpose, so nothing is over-promised."""

QUALITY_KEYS = ("quality_tier", "quality_source", "quality", "language_quality")
"""The fields a curator sets by hand on an added entry; ``catalog refresh`` keeps them."""

COMMERCIAL_LICENCES = frozenset({
    "apache-2.0", "mit", "bsd", "bsd-2-clause", "bsd-3-clause", "bsd-3-clause-clear", "isc", "zlib",
    "unlicense", "cc0-1.0", "cc-by-2.0", "cc-by-3.0", "cc-by-4.0", "cc-by-sa-3.0", "cc-by-sa-4.0",
    "mpl-2.0", "bsl-1.0", "artistic-2.0", "ecl-2.0", "afl-3.0", "gpl-2.0", "gpl-3.0", "lgpl-2.1",
    "lgpl-3.0", "agpl-3.0", "openrail", "openrail++", "bigscience-openrail-m", "creativeml-openrail-m",
    "bigscience-bloom-rail-1.0", "llama2", "llama3", "llama3.1", "llama3.2", "llama3.3", "llama4", "gemma",
})  # fmt: skip
"""Hub licence ids that allow commercial use (some with conditions the licence spells out)."""

_NON_COMMERCIAL = re.compile(r"^(cc-by-nc|.*-nc-|.*research|.*non-?commercial)")

_INSTRUCT_NAME = re.compile(r"(instruct|chat|(^|[-_.])it($|[-_.])|sft|dpo|rlhf|orpo|assistant)", re.I)
_BASE_NAME = re.compile(r"(^|[-_.])base($|[-_.])", re.I)
_CODE_NAME = re.compile(r"(code|coder)", re.I)
_CONTEXT_KEYS = ("max_position_embeddings", "n_positions", "max_seq_len", "seq_length", "n_ctx", "max_sequence_length")
_DROPPED_CONFIG_KEYS = ("_name_or_path", "transformers_version")
_ENCODER_TYPES = frozenset({
    "bert", "roberta", "xlm-roberta", "camembert", "distilbert", "electra", "deberta", "deberta-v2", "albert",
    "modernbert", "mpnet", "flaubert", "xlm", "eurobert", "neobert",
})  # fmt: skip
_SSM_TYPES = frozenset({"mamba", "mamba2", "falcon_mamba", "rwkv", "rwkv7"})
_HYBRID_TYPES = frozenset({"jamba", "zamba", "zamba2", "bamba", "falcon_h1", "granitemoehybrid", "nemotron_h"})
_ENCODER_HEADS = (
    "ForMaskedLM",
    "ForSequenceClassification",
    "ForTokenClassification",
    "ForQuestionAnswering",
    "ForMultipleChoice",
)
_EMBEDDING_PIPELINES = frozenset({"feature-extraction", "sentence-similarity"})

# Tasks by pipeline tag; the decoder lists follow the built-in catalog's general-purpose entries.
_GENERAL_TASKS = [
    "parsing_structured",
    "data_transformation",
    "information_extraction",
    "classification",
    "summarization",
    "drafting_generation",
    "conversational_assistant",
    "document_qa",
]
_TASKS_BY_KIND = {
    "embedding": ["document_qa", "classification"],
    "encoder": ["classification", "information_extraction"],
    "encoder-decoder": ["summarization", "translation", "data_transformation"],
}
_TASKS_BY_PIPELINE = {
    "summarization": ["summarization"],
    "translation": ["translation"],
    "text-classification": ["classification"],
    "zero-shot-classification": ["classification"],
    "token-classification": ["information_extraction", "classification"],
    "question-answering": ["document_qa", "information_extraction"],
    "fill-mask": ["classification", "information_extraction"],
    "feature-extraction": ["document_qa", "classification"],
    "sentence-similarity": ["document_qa", "classification"],
}


class HubReadError(HubError):
    """A Hub failure with a stable ``code`` (the smoke test's codes, plus ``rate-limited``)."""

    def __init__(self, code: str, message: str, hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.code = code


@dataclass(frozen=True)
class ModelFacts:
    """What a model's own files say about it, before any catalog decision (JSON-serialisable)."""

    source: str
    """``hub`` or ``dir``."""
    ref: str
    """The repo id, or the directory's absolute path."""
    config: dict[str, Any]
    revision: str | None = None
    params_by_dtype: dict[str, int] = field(default_factory=dict)
    """Elements per safetensors dtype (what the checkpoint stores)."""
    roles: dict[str, int] | None = None
    """Exact parameters per weight role; None when the weights are packed or not safetensors."""
    tensor_count: int = 0
    weights_note: str | None = None
    """Why there is no exact count (no safetensors, quantized on disk)."""
    packed_label: str | None = None
    card: str = "none"
    """Where licence and languages come from: ``hub`` (model_info), ``readme``, ``offline`` or ``none``."""
    licence: str | None = None
    licence_name: str | None = None
    languages: list[str] = field(default_factory=list)
    gated: bool = False
    tags: list[str] = field(default_factory=list)
    pipeline_tag: str | None = None
    library_name: str | None = None
    created: str | None = None
    """YYYY-MM-DD: repo creation date, or the directory's config.json modification date."""
    sentence_transformers: bool = False

    @property
    def total_params(self) -> int | None:
        """Exact parameter count from the safetensors headers, or None (packed / not safetensors)."""
        return sum(self.roles.values()) if self.roles else None

    @property
    def remote_code(self) -> bool:
        return bool(self.config.get("auto_map"))


# ---------------------------------------------------------------------------------------------
# Where a reference points


def is_hub_id(text: str) -> bool:
    """``owner/name`` as the Hub accepts repo ids (huggingface_hub's own validator)."""
    return is_valid_repo_id(text)


def read_model(ref: str, *, revision: str | None = None, refresh: bool = False) -> ModelFacts:
    """The facts of ``ref``: an existing directory first, else a Hub id (cached after the first read).

    ``refresh`` reads the Hub again instead of the cache.
    """
    path = Path(ref).expanduser()
    if path.is_dir():
        return read_directory(path)
    if not is_hub_id(ref):
        raise InputError(
            f"{ref!r} is neither a model directory nor a Hub id (owner/name)",
            field="model",
            hint="give a folder holding config.json, or a Hub repo id such as Qwen/Qwen2.5-7B-Instruct",
        )
    return read_hub(ref, revision=revision, refresh=refresh)


# ---------------------------------------------------------------------------------------------
# A local directory


def read_directory(directory: str | Path) -> ModelFacts:
    """Facts from a model folder: config.json, safetensors headers, README front matter."""
    from advisor.memory.checkpoint import read_checkpoint

    path = Path(directory).expanduser().resolve()
    checkpoint = read_checkpoint(path)  # InputError naming the file when it is not a model folder
    _require_model_type(checkpoint.config, str(path / "config.json"), InputError)
    tensors = checkpoint.tensors
    card = _front_matter(path / "README.md")
    weights_note = None
    if not tensors:
        pickles = sorted(p.name for p in path.iterdir() if p.suffix in (".bin", ".pt", ".pth", ".ckpt"))
        weights_note = f"only {', '.join(pickles)}" if pickles else "no weight files in the folder"
    return ModelFacts(
        source="dir",
        ref=str(path),
        config=checkpoint.config,
        created=None,  # a folder does not say when its model was released
        card="readme" if card else "none",
        sentence_transformers=(path / "modules.json").is_file() or (path / "sentence_bert_config.json").is_file(),
        **_tensor_facts(checkpoint.config, tensors),
        **_optional_note(weights_note),
        **_card_facts(card),
    )


def _front_matter(readme: Path) -> dict[str, Any]:
    """The YAML block between the first two ``---`` lines of a model card (empty when absent or bad)."""
    from advisor.datafiles import parse_yaml

    try:
        with open(readme, "rb") as handle:  # the front matter is at the top: a long card is not read whole
            text = handle.read(MAX_FRONT_MATTER_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return {}
    match = re.match(r"^---\s*\n(.*?)\n---\s*(\n|$)", text, re.S)
    if not match:
        return {}
    try:  # bounded like every YAML llm-advisor reads: an alias bomb in a card is refused, not expanded
        data = parse_yaml(match.group(1), str(readme), max_bytes=MAX_FRONT_MATTER_BYTES)
    except InputError:
        return {}
    return data if isinstance(data, dict) else {}


MAX_FRONT_MATTER_BYTES = 256 * 1024
"""How much of a model card is read for its YAML front matter (real ones are a few kilobytes)."""


def _optional_note(weights_note: str | None) -> dict[str, Any]:
    """The weights note as a keyword, only when there is one (the tensor facts may carry their own)."""
    return {"weights_note": weights_note} if weights_note else {}


def _card_facts(card: Mapping[str, Any]) -> dict[str, Any]:
    """Licence, languages, tags, pipeline and library from model card metadata (README or cardData)."""
    languages = card.get("language")
    tags = card.get("tags")
    return {
        "licence": _text(card.get("license")),
        "licence_name": _text(card.get("license_name")),
        "languages": [languages] if isinstance(languages, str) else [str(x) for x in languages or []],
        "tags": [tags] if isinstance(tags, str) else [str(x) for x in tags or []],
        "pipeline_tag": _text(card.get("pipeline_tag")),
        "library_name": _text(card.get("library_name")),
    }


def _text(value: Any) -> str | None:
    if isinstance(value, list):  # some cards list one licence in a list
        value = value[0] if value else None
    return str(value).strip() if value not in (None, "") else None


def _tensor_facts(config: Mapping[str, Any], tensors: list[tuple[str, tuple[int, ...], str]]) -> dict[str, Any]:
    """Counts from (name, shape, dtype) triples; roles only when sizes are parameter counts."""
    from advisor.memory.checkpoint import Checkpoint
    from advisor.memory.tensor_roles import roles_from_tensors

    by_dtype: dict[str, int] = {}
    for _, shape, dtype in tensors:
        numel = 1
        for dim in shape:
            numel *= dim
        by_dtype[dtype] = by_dtype.get(dtype, 0) + numel
    facts: dict[str, Any] = {"params_by_dtype": by_dtype, "tensor_count": len(tensors)}
    if not tensors:
        return facts
    checkpoint = Checkpoint(path=Path("."), config=dict(config), tensors=list(tensors))
    if checkpoint.packed:
        facts["packed_label"] = checkpoint.quant_label or "packed integer or 8-bit tensors"
        facts["weights_note"] = f"stored quantized: {facts['packed_label']}"
    else:
        facts["roles"] = roles_from_tensors((name, shape) for name, shape, _ in tensors)
    return facts


def _require_model_type(config: Mapping[str, Any], where: str, error: type[Exception]) -> None:
    model_type = config.get("model_type")
    if not isinstance(model_type, str) or not model_type:
        message = "config.json has no 'model_type': not a transformers model config"
        if error is InputError:
            raise InputError(message, file=where, field="model_type")
        raise HubReadError("not-a-model", f"{where}: {message}")


# ---------------------------------------------------------------------------------------------
# The Hub


def read_hub(repo_id: str, *, revision: str | None = None, refresh: bool = False) -> ModelFacts:
    """Facts of a Hub repo: from this machine's cache after the first read, unless ``refresh``.

    Offline (``HF_HUB_OFFLINE=1``), a repo read before comes from the cache even with ``refresh``:
    a degraded offline read must not replace good facts.
    """
    cached = _cache_read(repo_id, revision)
    if isinstance(cached, ModelFacts) and (not refresh or _offline()):
        return cached
    try:
        facts = _read_hub_now(repo_id, revision)
    except HubError as exc:
        _name_bad_cache(exc, cached)
        raise
    except Exception as exc:
        mapped = hub_error(exc, repo_id)
        if mapped is None:
            raise
        _name_bad_cache(mapped, cached)
        raise mapped from None
    if facts.card != "offline":
        _cache_write(facts, revision)
    return facts


def _offline() -> bool:
    from huggingface_hub import constants

    return bool(constants.is_offline_mode()) if hasattr(constants, "is_offline_mode") else constants.HF_HUB_OFFLINE


def _read_hub_now(repo_id: str, revision: str | None) -> ModelFacts:
    # token=None everywhere: huggingface_hub resolves HF_TOKEN / the stored login itself, and the
    # token never passes through this code (so it cannot end up in a message).
    from huggingface_hub import HfApi
    from huggingface_hub.errors import NotASafetensorsRepoError, OfflineModeIsEnabled, SafetensorsParsingError

    api = HfApi()
    info = None
    if not _offline():
        try:
            info = api.model_info(repo_id, revision=revision, expand=HUB_EXPAND, token=None)
        except OfflineModeIsEnabled:
            info = None
    pinned = getattr(info, "sha", None) or revision
    config_file = Path(api.hf_hub_download(repo_id, "config.json", revision=pinned, token=None))
    config = _read_json(config_file, repo_id)
    _require_model_type(config, f"{repo_id}/config.json", HubReadError)

    tensors: list[tuple[str, tuple[int, ...], str]] = []
    weights_note = None
    try:
        meta = api.get_safetensors_metadata(repo_id, revision=pinned, token=None)
    except NotASafetensorsRepoError:
        weights_note = "the repo has neither model.safetensors nor model.safetensors.index.json"
    except SafetensorsParsingError as exc:
        weights_note = f"its safetensors headers could not be parsed: {exc}"
    except OfflineModeIsEnabled:
        tensors, weights_note = _cached_snapshot_tensors(config_file.parent)
    else:
        for file_meta in meta.files_metadata.values():
            for name, tensor in file_meta.tensors.items():
                tensors.append((name, tuple(int(n) for n in tensor.shape), str(tensor.dtype)))

    card_data = getattr(info, "card_data", None)
    card = card_data.to_dict() if card_data is not None and hasattr(card_data, "to_dict") else dict(card_data or {})
    facts = _card_facts(card)
    if info is not None:
        facts["tags"] = list(getattr(info, "tags", None) or facts["tags"])
        facts["pipeline_tag"] = getattr(info, "pipeline_tag", None) or facts["pipeline_tag"]
        facts["library_name"] = getattr(info, "library_name", None) or facts["library_name"]
    created = getattr(info, "created_at", None)
    tensor_facts = _tensor_facts(config, tensors)
    if weights_note and "weights_note" not in tensor_facts:
        tensor_facts["weights_note"] = weights_note
    return ModelFacts(
        source="hub",
        ref=repo_id,
        config=config,
        revision=pinned or getattr(info, "sha", None),
        card="hub" if info is not None else "offline",
        gated=getattr(info, "gated", False) in ("auto", "manual", True),
        created=created.date().isoformat() if isinstance(created, _dt.datetime) else None,
        sentence_transformers=facts["library_name"] == "sentence-transformers"
        or "sentence-transformers" in facts["tags"],
        **tensor_facts,
        **facts,
    )


def _cached_snapshot_tensors(snapshot: Path) -> tuple[list[tuple[str, tuple[int, ...], str]], str | None]:
    """Offline: tensor shapes from the weights already in the Hugging Face cache, when all are there."""
    from advisor.memory.checkpoint import read_checkpoint

    try:
        checkpoint = read_checkpoint(snapshot)
    except InputError:
        return [], "offline, and the weights are not in the Hugging Face cache"
    if not checkpoint.tensors:
        return [], "offline, and the weights are not in the Hugging Face cache"
    return list(checkpoint.tensors), None


def _read_json(path: Path, repo_id: str) -> dict[str, Any]:
    from advisor.datafiles import read_bounded
    from advisor.memory.checkpoint import MAX_CONFIG_BYTES
    from advisor.memory.plausibility import check_config

    try:
        data = json.loads(read_bounded(path, MAX_CONFIG_BYTES, what="config.json"))
    except InputError as exc:
        raise HubReadError("not-a-model", f"{repo_id}: config.json: {exc.message}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HubReadError("not-a-model", f"{repo_id}: config.json is not valid JSON ({type(exc).__name__})") from None
    if not isinstance(data, dict):
        raise HubReadError("not-a-model", f"{repo_id}: config.json does not hold a JSON object")
    check_config(data, f"{repo_id}/config.json")  # InputError (exit 3) naming the field: before any cache write
    return data


def hub_error(exc: BaseException, repo_id: str) -> HubReadError | None:
    """One clear, token-free ``HubError`` for a huggingface_hub failure, or None if it is not one.

    The mapping is the smoke test's (:func:`advisor.sources.hub_errors.classify_hub_error`), so
    ``advisor catalog add``, ``advisor estimate`` and ``advisor smoke`` word the same failure the same
    way; a 429 gets its own code here, and a network failure that is not a Hub answer is named too.
    """
    from advisor.sources.hub_errors import classify_hub_error, scrub_secrets

    failure = classify_hub_error(exc, repo_id)
    if failure is not None:
        code = failure.code
        response = getattr(exc, "response", None)
        if code == "hub-error" and getattr(response, "status_code", None) == 429:
            code = "rate-limited"
        hint = scrub_secrets(failure.hint) if failure.hint else None
        return HubReadError(code, scrub_secrets(failure.message), hint)
    if _is_transport_error(exc):
        return HubReadError(
            "unreachable",
            scrub_secrets(f"{repo_id}: the Hub could not be reached ({type(exc).__name__}: {exc})"),
            "check the network or proxy (HF_ENDPOINT), or set HF_HUB_OFFLINE=1 to use what is cached",
        )
    return None


def _is_transport_error(exc: BaseException) -> bool:
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return True
    import importlib

    from huggingface_hub import errors

    httpx = importlib.import_module(errors.Response.__module__.split(".")[0])  # type: ignore[attr-defined]  # httpx, imported there
    transport = getattr(httpx, "TransportError", None)
    return transport is not None and isinstance(exc, transport)


# ---------------------------------------------------------------------------------------------
# The metadata cache (a few kilobytes per repo, under the user cache folder)


def _cache_file(repo_id: str, revision: str | None) -> Path:
    name = repo_id.lower().replace("/", "--") + (f"@{re.sub(r'[^A-Za-z0-9_.-]', '_', revision)}" if revision else "")
    return cache_dir() / "hub" / f"{name}.json"


MAX_CACHE_BYTES = 8 * 1024 * 1024
"""Largest Hub-metadata cache file read (a few kilobytes per repo; config.json dominates)."""


@dataclass(frozen=True)
class InvalidCache:
    """A cache file that was there but did not check out: treated as a miss, named if the Hub fails too."""

    path: Path
    why: str


def _cache_read(repo_id: str, revision: str | None) -> ModelFacts | InvalidCache | None:
    """The cached facts, None when there are none, ``InvalidCache`` when the file does not check out.

    Checked on every read: the schema version, every field's type (pydantic, strict), the repo it
    is for, and the config's plausibility, so an edited or corrupt entry is never trusted (it is
    read again from the Hub, and rewritten).
    """
    path = _cache_file(repo_id, revision)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_CACHE_BYTES + 1)
    except OSError:
        return None  # absent or unreadable: a cache is simply read again
    try:
        if len(raw) > MAX_CACHE_BYTES:
            raise ValueError(f"larger than {MAX_CACHE_BYTES:,} bytes")
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        if data.pop("cache_schema", None) != CACHE_SCHEMA:
            return None  # an older layout: read again, quietly
        data.pop("read_at", None)
        facts = _facts_adapter().validate_json(json.dumps(data), strict=True)
        if facts.source != "hub" or facts.ref.lower() != repo_id.lower():
            raise ValueError(f"it holds the facts of {facts.ref!r}")
        from advisor.memory.plausibility import check_config

        check_config(facts.config, f"{path}: config")
    except (ValueError, TypeError, InputError) as exc:  # pydantic's ValidationError is a ValueError
        return InvalidCache(path, str(exc).splitlines()[0][:200])
    return facts  # type: ignore[no-any-return]  # validated just above


@lru_cache(maxsize=1)
def _facts_adapter() -> Any:
    from pydantic import TypeAdapter

    return TypeAdapter(ModelFacts)


def _name_bad_cache(error: HubError, cached: ModelFacts | InvalidCache | None) -> None:
    """When the Hub fails after a bad cache entry was set aside, say so: the entry was the fallback."""
    if isinstance(cached, InvalidCache):
        note = f"the cached facts in {cached.path} were invalid ({cached.why}) and were ignored"
        error.hint = f"{error.hint}; {note}" if error.hint else note


def _cache_write(facts: ModelFacts, revision: str | None) -> None:
    path = _cache_file(facts.ref, revision)
    data = {"cache_schema": CACHE_SCHEMA, "read_at": _dt.datetime.now(_dt.timezone.utc).isoformat(), **asdict(facts)}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:  # a read-only home only costs a second read later
        return


# ---------------------------------------------------------------------------------------------
# Facts -> catalog entry


def entry_from_facts(
    facts: ModelFacts, *, entry_id: str | None = None, previous: CatalogEntry | None = None
) -> CatalogEntry:
    """The catalog entry the facts support (mapping in the module docstring).

    ``previous``: the user entry being refreshed; a quality tier set by hand survives the refresh.
    """
    from pydantic import ValidationError

    from advisor.datafiles import errors_from_validation
    from advisor.errors import InputErrors
    from advisor.i18n import join_localized, message

    notes: list[tuple[str, dict[str, Any]]] = []
    model_id = entry_id or default_id(facts)
    name = facts.ref.split("/")[-1] if facts.source == "hub" else Path(facts.ref).name
    notes.append(
        (
            "from-hub" if facts.source == "hub" else "from-dir",
            {"ref": facts.ref, "revision": (facts.revision or "main")[:12]},
        )
    )
    if facts.card == "offline":
        notes.append(("offline", {"id": model_id}))
    if facts.remote_code:
        notes.append(("remote-code", {}))
    kind = _kind(facts)
    instruct = kind != "embedding" and _instruct(name, facts.tags)
    total, active, params_source, params_note = _params(facts, notes)
    languages = _languages(facts, notes)
    licence = _licence(facts, notes)
    context = _context(facts.config, notes)
    # Not rated until someone curates it; what a curator set by hand survives a refresh.
    quality: dict[str, Any] = {}
    if previous is not None:
        quality = {key: getattr(previous, key) for key in QUALITY_KEYS}
    text = join_localized([message(f"hub_note.{key}", **values) for key, values in notes], sep=" ")
    raw = {
        "id": model_id,
        "name": name,
        "family": str(facts.config["model_type"]).lower(),
        "kind": kind,
        "instruct": instruct,
        "total_params": total,
        "active_params": active,
        "params_source": params_source,
        "params_note": params_note,
        "config": {k: v for k, v in facts.config.items() if k not in _DROPPED_CONFIG_KEYS},
        "context_length": context,
        "languages": languages,
        "french_support": "good" if "fr" in languages else "none",
        "french_support_source": "model card language list"
        if facts.languages
        else "no language list on the model card",
        "licence": licence,
        "quantized_formats": quantized_formats(facts.config),
        **quality,
        "release_date": facts.created,
        "tasks": _tasks(facts, kind, instruct, languages, name),
        "notes": text,
    }
    try:
        return CatalogEntry.model_validate(raw)
    except ValidationError as exc:
        problems = errors_from_validation(exc, CatalogEntry, file=facts.ref, entry=model_id)
        if facts.source == "dir":
            raise InputErrors(problems) from None
        raise HubReadError("not-a-model", "\n".join(p.message for p in problems)) from None


def default_id(facts: ModelFacts) -> str:
    """The repo id for the Hub, ``local/<folder name>`` for a directory."""
    return facts.ref if facts.source == "hub" else local_id(facts.ref)


def local_id(path: str) -> str:
    """``local/<folder name>`` made a valid repo id: the default id of a directory's entry."""
    name = re.sub(r"[^A-Za-z0-9_.\-]+", "-", Path(path).name).strip("-.") or "model"
    name = re.sub(r"-{2,}", "-", re.sub(r"\.{2,}", ".", name))
    return f"local/{name if name[0].isalnum() else 'm' + name}"


def _kind(facts: ModelFacts) -> str:
    config = facts.config
    model_type = str(config.get("model_type", "")).lower()
    architectures = [str(a) for a in config.get("architectures") or []]
    if facts.sentence_transformers or facts.pipeline_tag in _EMBEDDING_PIPELINES:
        return "embedding"
    if config.get("is_encoder_decoder") or model_type in ("t5", "mt5", "umt5", "bart", "mbart", "marian", "pegasus"):
        return "encoder-decoder"
    if model_type in _SSM_TYPES:
        return "ssm"
    if model_type in _HYBRID_TYPES:
        return "hybrid"
    if model_type in _ENCODER_TYPES or any(a.endswith(_ENCODER_HEADS) for a in architectures):
        return "encoder"
    return "decoder"


def _instruct(name: str, tags: Iterable[str]) -> bool:
    if _BASE_NAME.search(name):
        return False
    if _INSTRUCT_NAME.search(name):
        return True
    return bool({"conversational", "instruct", "chat"} & {t.lower() for t in tags})


def _params(facts: ModelFacts, notes: list[tuple[str, dict[str, Any]]]) -> tuple[int, int | None, str, str]:
    """(total, active or None, params_source, params_note): exact from safetensors, else from config."""
    arch = facts_architecture(facts)
    if facts.total_params:
        by_dtype = ", ".join(f"{n:,} {dtype}" for dtype, n in sorted(facts.params_by_dtype.items()))
        note = f"exact count from the safetensors headers of {facts.ref} ({facts.tensor_count:,} tensors: {by_dtype})"
        total = facts.total_params
    else:
        if facts.packed_label:
            notes.append(("packed", {"label": facts.packed_label}))
        else:
            notes.append(("no-safetensors", {"why": facts.weights_note or "none found"}))
        note = (
            f"computed from config.json by llm-advisor's parameter counter ({arch.params_source}); "
            f"not read from the weights: {facts.weights_note or 'no safetensors'}"
        )
        total = arch.total_params
    active = arch.active_params if 0 < arch.active_params < arch.total_params else None
    if active is not None and arch.total_params != total:
        active = round(active * total / arch.total_params)
    return total, active, "published", note


def facts_architecture(facts: ModelFacts) -> Architecture:
    """The estimator's architecture for the facts: config.json, with exact roles when there are some."""
    from advisor.memory import build_architecture

    where = f"{facts.ref}/config.json" if facts.source == "hub" else str(Path(facts.ref) / "config.json")
    try:
        return build_architecture(facts.config, facts.ref, source=where, roles=facts.roles, roles_source="safetensors")
    except InputError as exc:
        if facts.source == "dir":
            raise
        raise HubReadError(
            "not-a-model", f"{facts.ref}: llm-advisor cannot size this config ({exc.message})", exc.hint
        ) from None


def _languages(facts: ModelFacts, notes: list[tuple[str, dict[str, Any]]]) -> list[str]:
    from advisor.questionnaire import language_codes

    known = language_codes()
    kept: list[str] = []
    dropped: list[str] = []
    for raw in facts.languages:
        code = raw.strip().lower()
        code = code.split("-")[0].split("_")[0] if code not in known else code
        if code in known:
            if code not in kept:
                kept.append(code)
        else:
            dropped.append(raw)
    if dropped:
        notes.append(("dropped-languages", {"codes": ", ".join(dropped)}))
    if not kept:
        notes.append(("no-language", {}))
        kept = ["en"]
    return kept


def _licence(facts: ModelFacts, notes: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    licence = (facts.licence or "").lower()
    if licence == "other" and facts.licence_name:
        licence = facts.licence_name.lower()
    if not re.match(r"^[a-z0-9][a-z0-9.\-]*$", licence):
        licence = re.sub(r"[^a-z0-9.\-]+", "-", licence).strip("-.") or "unknown"
    if licence in ("unknown", ""):
        if facts.card != "offline":  # offline, the "offline" note already says the licence is unknown
            notes.append(("no-licence", {}))
        return {"id": "unknown", "commercial_use": False, "gated": facts.gated}
    commercial = licence in _commercial_licences()
    if not commercial:
        noncommercial = _NON_COMMERCIAL.match(licence) or licence in _catalog_licences(False)
        notes.append(("non-commercial" if noncommercial else "unknown-licence", {"licence": licence}))
    return {"id": licence, "commercial_use": commercial, "gated": facts.gated}


def _commercial_licences() -> frozenset[str]:
    return COMMERCIAL_LICENCES | _catalog_licences(True)


def _catalog_licences(commercial: bool) -> frozenset[str]:
    """Licence ids the curated catalog rates, all its entries agreeing, as allowing commercial use or not."""
    from advisor.catalog.loader import BUILTIN_CATALOG, parse_cached

    verdicts: dict[str, set[bool]] = {}
    for entry in parse_cached(str(BUILTIN_CATALOG)).entries:
        verdicts.setdefault(entry.licence.id, set()).add(entry.licence.commercial_use)
    return frozenset(k for k, v in verdicts.items() if v == {commercial} and k not in ("other", "unknown"))


def _context(config: Mapping[str, Any], notes: list[tuple[str, dict[str, Any]]]) -> int:
    nested = config.get("text_config")
    text = nested if isinstance(nested, dict) else config
    for source in (text, config):
        for key in _CONTEXT_KEYS:
            value = source.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                return value
    if str(config.get("model_type")) in ("t5", "mt5", "umt5"):
        notes.append(("t5-context", {}))
        return 512
    notes.append(("no-context", {"tokens": f"{DEFAULT_CONTEXT:,}"}))
    return DEFAULT_CONTEXT


def quantized_formats(config: Mapping[str, Any]) -> list[str]:
    """The catalog quantization name of a checkpoint stored quantized (``quantization_config``)."""
    qc = config.get("quantization_config")
    if not isinstance(qc, Mapping):
        nested = config.get("text_config")
        qc = nested.get("quantization_config") if isinstance(nested, Mapping) else None
    if not isinstance(qc, Mapping):
        return []
    method = str(qc.get("quant_method", "")).lower()
    bits = qc.get("bits") or qc.get("w_bit")
    if method == "gptq":
        return {4: ["gptq-int4"], 8: ["gptq-int8"]}.get(int(bits or 4), [])
    if method == "awq":
        return ["awq-int4"] if int(bits or 4) == 4 else []
    if method == "bitsandbytes":
        if qc.get("load_in_4bit"):
            return ["nf4-dq"] if qc.get("bnb_4bit_use_double_quant") else ["nf4"]
        return ["int8"] if qc.get("load_in_8bit") else []
    if method == "mxfp4":
        return ["mxfp4"]
    if method in ("fp8", "fbgemm_fp8"):
        return ["fp8"]
    if method == "compressed-tensors" and "float" in json.dumps(qc) and '"num_bits": 8' in json.dumps(qc):
        return ["fp8"]
    return []


def _tasks(facts: ModelFacts, kind: str, instruct: bool, languages: list[str], name: str) -> list[str]:
    if kind in ("embedding", "encoder"):
        return list(_TASKS_BY_PIPELINE.get(facts.pipeline_tag or "", _TASKS_BY_KIND[kind]))
    if facts.pipeline_tag in _TASKS_BY_PIPELINE and kind == "encoder-decoder":
        return list(_TASKS_BY_PIPELINE[facts.pipeline_tag or ""])
    if kind == "encoder-decoder":
        return list(_TASKS_BY_KIND[kind])
    tasks = list(_GENERAL_TASKS) if instruct else ["drafting_generation", "classification"]
    if instruct and len(languages) > 1:
        tasks.append("translation")
    if _CODE_NAME.search(name) or "code" in {t.lower() for t in facts.tags}:
        tasks.append("code_generation")
    return tasks


# ---------------------------------------------------------------------------------------------
# The estimator's hook


def require_hub_id(model_id: str) -> str:
    """``model_id`` when it can be a Hub repo id; the estimator's "what is this?" error otherwise."""
    if not is_hub_id(model_id):
        raise InputError(
            f"{model_id!r} is neither in the model catalog, nor a local directory, nor a Hub id (owner/name)",
            field="model",
            hint="use a catalog id (`advisor catalog list`), a config.json dict, a folder holding config.json, "
            "or a Hub repo id",
        )
    return model_id


def hub_architecture(model_id: str) -> Architecture:
    """What ``advisor.estimate_memory('owner/name')`` sizes: config.json plus exact safetensors counts.

    Read from the Hub once, then from the cache folder (``advisor catalog refresh`` reads again).
    """
    facts = read_hub(require_hub_id(model_id))
    key = (model_id.lower(), facts.revision)
    found = _ARCHITECTURES.get(key)
    if found is None:
        found = _ARCHITECTURES[key] = facts_architecture(facts)
    return found


_ARCHITECTURES: dict[tuple[str, str | None], Architecture] = {}
