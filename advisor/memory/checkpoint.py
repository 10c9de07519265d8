"""A local model directory: its config.json and, when present, exact tensor counts from safetensors.

A safetensors file starts with an 8-byte little-endian length and a JSON header listing every
tensor's dtype and shape (huggingface/safetensors format spec), so the exact parameter count of a
checkpoint costs a few kilobytes of reading, never the weights themselves.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from advisor.errors import InputError
from advisor.memory.plausibility import check_config, check_tensor_shape

# Bytes per element of each safetensors dtype (huggingface/safetensors, Dtype enum).
SAFETENSORS_DTYPE_BYTES: dict[str, float] = {
    "F64": 8, "I64": 8, "U64": 8, "F32": 4, "I32": 4, "U32": 4, "F16": 2, "BF16": 2, "I16": 2, "U16": 2,
    "F8_E4M3": 1, "F8_E5M2": 1, "F8_E8M0": 1, "I8": 1, "U8": 1, "BOOL": 1, "F4": 0.5, "F6_E2M3": 0.75,
    "F6_E3M2": 0.75,
}  # fmt: skip
# Packed or 8-bit storage: element counts are not parameter counts (GPTQ/AWQ int32, MXFP4 U8 blocks).
PACKED_DTYPES = frozenset({"I32", "U32", "I8", "U8", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F4", "I16", "U16"})
# A header larger than this is not a safetensors header (the format caps it at 100 MB).
MAX_HEADER_BYTES = 100_000_000
MAX_CONFIG_BYTES = 4 * 1024 * 1024
"""Largest config.json read; real ones are a few kilobytes (multimodal ones a few tens)."""
MAX_INDEX_BYTES = 64 * 1024 * 1024
"""Largest model.safetensors.index.json read (one line per tensor: a few MB for the largest models)."""


@dataclass
class Checkpoint:
    """What a model directory says about itself."""

    path: Path
    config: dict[str, Any]
    tensors: list[tuple[str, tuple[int, ...], str]] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    @property
    def stored_bytes(self) -> int:
        return int(sum(math.prod(shape) * SAFETENSORS_DTYPE_BYTES.get(dtype, 2) for _, shape, dtype in self.tensors))

    @property
    def packed(self) -> bool:
        """Quantized on disk (packed integers, FP8/FP4): tensor sizes are not parameter counts."""
        if self.config.get("quantization_config"):
            return True
        return any(dtype in PACKED_DTYPES and len(shape) >= 2 for _, shape, dtype in self.tensors)

    @property
    def quant_label(self) -> str | None:
        qc = self.config.get("quantization_config")
        if not isinstance(qc, dict):
            return None
        method = qc.get("quant_method", "quantized")
        bits = qc.get("bits") or qc.get("w_bit")
        return f"{method} {bits}-bit" if bits else str(method)


def read_safetensors_header(path: Path) -> dict[str, Any]:
    """The JSON header of one safetensors file, reading only its first bytes."""
    try:
        with path.open("rb") as fh:
            prefix = fh.read(8)
            if len(prefix) != 8:
                raise InputError("truncated safetensors file (no header length)", file=str(path))
            (length,) = struct.unpack("<Q", prefix)
            if length > MAX_HEADER_BYTES:
                raise InputError("not a safetensors file (its header length is implausible)", file=str(path))
            raw = fh.read(length)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", file=str(path)) from None
    if len(raw) != length:
        raise InputError("truncated safetensors header", file=str(path))
    try:
        header = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"safetensors header is not JSON ({type(exc).__name__})", file=str(path)) from None
    if not isinstance(header, dict):
        raise InputError("safetensors header is not a JSON object", file=str(path))
    return header


def _weight_files(directory: Path) -> list[Path]:
    """The safetensors files that make the model: those of the index when there is one.

    Mistral repos ship both HF shards and a ``consolidated.safetensors``; the index (or the
    ``model*`` naming) keeps them from being counted twice. An index entry must name a file inside
    the folder (no absolute path, no ``..``): it is checked on the names, not on resolved paths, so
    the symlinks of a Hugging Face cache snapshot (into ``../../blobs``) keep working.
    """
    from advisor.datafiles import excerpt, read_bounded

    index = directory / "model.safetensors.index.json"
    if index.is_file():
        raw = read_bounded(index, MAX_INDEX_BYTES, what="safetensors index")
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(
                f"unreadable index ({type(exc).__name__} at byte {getattr(exc, 'pos', '?')})", file=str(index)
            ) from None
        weight_map = data.get("weight_map", {}) if isinstance(data, dict) else None
        if not isinstance(weight_map, dict):
            raise InputError("'weight_map' must map tensor names to file names", file=str(index), field="weight_map")
        files: set[Path] = set()
        for tensor, name in weight_map.items():
            if not isinstance(name, str) or not _inside(name):
                raise InputError(
                    f"tensor {excerpt(tensor)} points to {excerpt(name)}, outside the model folder",
                    file=str(index),
                    field="weight_map",
                    hint="an index lists shard files of its own folder (model-00001-of-00002.safetensors)",
                )
            files.add(directory / name)
        return sorted(files)
    shards = sorted(directory.glob("*.safetensors"))
    preferred = [f for f in shards if f.name.startswith("model")]
    return preferred or shards


def _inside(name: str) -> bool:
    """A relative path that stays in its folder: no root, no drive, no ``..`` component."""
    from pathlib import PurePosixPath, PureWindowsPath

    if not name or "\x00" in name:
        return False
    for pure in (PurePosixPath(name), PureWindowsPath(name)):
        if pure.is_absolute() or pure.anchor or ".." in pure.parts:
            return False
    return True


def read_checkpoint(directory: str | Path) -> Checkpoint:
    """config.json and tensor shapes of a local model directory (weights are never read)."""
    path = Path(directory)
    config_path = path / "config.json"
    if not config_path.is_file():
        raise InputError("no config.json in this directory", file=str(path), hint="point to a model folder")
    config = read_config_json(config_path)
    checkpoint = Checkpoint(path=path, config=config)
    for file in _weight_files(path):
        if not file.is_file():
            raise InputError("listed in the safetensors index but missing", file=str(file))
        for name, info in read_safetensors_header(file).items():
            if name == "__metadata__":
                continue
            if not isinstance(info, dict) or "shape" not in info or "dtype" not in info:
                raise InputError(f"tensor {_short(name)} has no dtype/shape", file=str(file))
            shape = check_tensor_shape(name, info["shape"], str(file))
            checkpoint.tensors.append((name, shape, str(info["dtype"])[:16]))
        checkpoint.files.append(file)
    return checkpoint


def read_config_json(config_path: Path) -> dict[str, Any]:
    """config.json as a dict: bounded in size, valid JSON, an object, plausible (advisor.memory.plausibility)."""
    from advisor.datafiles import read_bounded

    raw = read_bounded(config_path, MAX_CONFIG_BYTES, what="config.json")
    try:
        config = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        position = f" at line {exc.lineno}, column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        raise InputError(
            f"config.json is not valid JSON ({type(exc).__name__}{position})", file=str(config_path)
        ) from None
    if not isinstance(config, dict):
        raise InputError("config.json must hold a JSON object", file=str(config_path))
    check_config(config, str(config_path))
    return config


def _short(value: Any) -> str:
    from advisor.datafiles import excerpt

    return excerpt(value)
