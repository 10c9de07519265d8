"""The child side of the smoke test: resolve, check, load, generate and measure, in its own process.

Run as ``python -m advisor.smoke.child REQUEST_JSON`` by :mod:`advisor.smoke.runner`, never imported by the
caller for its work. A fresh interpreter (rather than a ``multiprocessing`` fork) is deliberate: a
forked child inherits any CUDA context of the parent and cannot use CUDA; ``HF_HUB_OFFLINE`` must be
in the environment *before* huggingface_hub is imported (it is read once, at import); the child is
the leader of its own process group so the parent can kill it and any helper it spawned with one
``killpg``; and an out-of-memory, a CUDA "sticky" error or a segfault in bitsandbytes can only be
survived by the process that did not have it.

Protocol: the child moves the real stdout aside at start and points file descriptor 1 at stderr, so
whatever libraries print never mixes with the protocol. On the kept stdout it writes only lines
``MARKER + JSON``: ``{"event": "progress", "step": ...}`` while working, then exactly one
``{"event": "result", ...}``. Anything else, or nothing, means the child crashed.

This module imports only the standard library at top level; torch, transformers and
huggingface_hub are imported inside the steps, after the refusals that need none of them.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import statistics
import sys
import threading
import time
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

MARKER = "@@advisor-smoke@@ "
"""Prefix of every protocol line on the child's stdout."""

PROMPT = "Reply with one short sentence: what is a language model?"
"""The fixed prompt, so runs of different models and machines compare like with like."""

FALLBACK_PROMPT_LENGTH = 16
"""Prompt length in tokens for a model directory without a tokenizer (fixed ids are fed instead)."""

WARMUP_NEW_TOKENS = 2
"""New tokens of the warm-up generation: enough to run prefill and one decode step, which pays
lazy CUDA module loading, cuBLAS initialisation and kernel selection before timing starts
(reliability.md section 4.4, after optimum-benchmark's warm-up runs)."""

# Files a Hub snapshot needs for a transformers load: configs, safetensors shards and their index,
# tokenizer files. Never *.py (remote code) nor *.bin/*.pt (pickles).
HUB_ALLOW_PATTERNS = ["*.json", "*.safetensors", "*.model", "merges.txt", "*.tiktoken", "*.jinja"]

PICKLE_WEIGHT_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl")

DISK_MARGIN_BYTES = 1 << 30
"""Free space kept on the cache's disk beyond the download itself (1 GiB): a disk filled to the
last byte breaks more than the smoke test."""

CHILD_GRACE_S = 10.0
"""The child's own deadline is the parent's timeout plus this: normally the parent ends it first
and reports the timeout; the child's deadline only matters when the parent is stuck or gone."""

WATCH_S = 1.0
"""How often the child's watchdog checks its deadline and that its parent is alive."""

_OOM_PHRASES = (
    "out of memory",  # torch CUDA/MPS/HPU messages, accelerate's should_reduce_batch_size
    "can't allocate memory",  # torch DefaultCPUAllocator
    "cannot allocate memory",  # ENOMEM from mmap/open (safetensors: "os error 12")
    "os error 12",
    "std::bad_alloc",
    "failed to allocate",
)

REMOTE_CODE_CONFIG_FILES = (
    "config.json",
    "tokenizer_config.json",
    "processor_config.json",
    "preprocessor_config.json",
)


from advisor.quantization import (  # noqa: E402
    prequantized_name,
    quantization_names,
    transformers_load_of,
)
from advisor.repo_ids import is_valid_repo_id  # noqa: E402
from advisor.sources.hub_errors import classify_hub_error, scrub_secrets  # noqa: E402


class SmokeFailure(Exception):
    """A failure with a known code: it becomes the ``error`` of the result, no traceback."""

    def __init__(self, code: str, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint


class Channel:
    """The protocol stream: the original stdout, kept away from every library's prints."""

    def __init__(self) -> None:
        sys.stdout.flush()
        self._fd = os.dup(1)
        os.dup2(2, 1)  # C and Python writes to fd 1 now land on stderr
        sys.stdout = sys.stderr
        self._file = os.fdopen(self._fd, "w", buffering=1, encoding="utf-8")

    def send(self, event: dict[str, Any]) -> None:
        self._file.write(MARKER + json.dumps(event, default=str) + "\n")
        self._file.flush()

    def progress(self, step: str, detail: str | None = None) -> None:
        self.send({"event": "progress", "step": step, "detail": detail})


# ---------------------------------------------------------------------------------------------
# Resolution and refusals (no torch, no transformers)


def check_remote_code(directory: Path) -> None:
    """Refuse a model whose configs name custom code (``auto_map``) before anything reads them.

    transformers would refuse too with ``trust_remote_code=False``, but only after importing
    itself and parsing the config; refusing here is faster, clearer and does not depend on how a
    future version treats ``auto_map``.
    """
    for name in REMOTE_CODE_CONFIG_FILES:
        file = directory / name
        if not file.is_file():
            continue
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SmokeFailure("failed", f"{name} is not valid JSON: {exc}") from None
        if isinstance(data, dict) and data.get("auto_map"):
            classes = ", ".join(sorted(str(v) for v in _flatten(data["auto_map"])))
            raise SmokeFailure(
                "needs-remote-code",
                f"the model needs remote code: {name} maps to custom classes ({classes}); "
                "the smoke test never runs code shipped with a model (trust_remote_code=False)",
                "use a checkpoint whose architecture transformers supports natively, or read the code "
                "and run it yourself outside the advisor",
            )


def _flatten(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [item for v in value.values() for item in _flatten(v)]
    if isinstance(value, (list, tuple)):
        return [item for v in value for item in _flatten(v)]
    return [value]


def check_weight_files(names: list[str], where: str) -> None:
    """Require safetensors weights; a pickle-only model is refused without being opened."""
    base_names = [name.rsplit("/", 1)[-1] for name in names]
    if any(name.endswith(".safetensors") for name in base_names):
        return
    pickles = sorted(name for name in base_names if name.endswith(PICKLE_WEIGHT_SUFFIXES))
    if pickles:
        raise SmokeFailure(
            "bin-weights-only",
            f"{where} has only .bin weights ({', '.join(pickles[:3])}) (safetensors required): pickle "
            "files can run arbitrary code when loaded",
            "convert the checkpoint to safetensors (transformers save_pretrained does) or pick a repo "
            "that publishes *.safetensors",
        )
    raise SmokeFailure("not-found", f"{where} has no weights (no *.safetensors file)")


def read_config(directory: Path) -> dict[str, Any]:
    """config.json as a dict, or a failure that says where it looked and what is wrong with it.

    Bounded and checked for plausibility like every config llm-advisor reads
    (advisor.memory.plausibility), before anything is downloaded or loaded from it.
    """
    file = directory / "config.json"
    if not file.is_file():
        raise SmokeFailure("not-found", f"{directory} has no config.json: not a transformers model directory")
    from advisor.errors import InputError
    from advisor.memory.checkpoint import read_config_json

    try:
        return read_config_json(file)
    except InputError as exc:
        raise SmokeFailure("invalid-model", exc.message, exc.hint) from None


def resolve_local(path: Path) -> tuple[Path, dict[str, Any]]:
    """Check a local model directory: config, no remote code, safetensors weights."""
    config = read_config(path)
    check_remote_code(path)
    check_weight_files([p.name for p in path.iterdir() if p.is_file()], str(path))
    return path, config


def inspect_hub(repo_id: str, revision: str | None, channel: Channel) -> tuple[Path, dict[str, Any], dict[str, int]]:
    """What can be refused from a Hub repo before its weights are downloaded, and the files to fetch.

    Downloads config.json (and, when the repo has them, the small configs that can name remote
    code), refuses remote code and pickle-only repos, and returns the snapshot folder, the config
    and ``{file: size in bytes}`` of what :func:`download_hub` would fetch (sizes from the Hub's
    file metadata; 0 when unknown or offline).
    """
    from huggingface_hub import HfApi, constants, hf_hub_download

    channel.progress("resolve", repo_id)
    config_file = Path(hf_hub_download(repo_id, "config.json", revision=revision))
    snapshot = config_file.parent
    config = read_config(snapshot)
    if constants.HF_HUB_OFFLINE:
        names = {str(p.relative_to(snapshot)): 0 for p in snapshot.rglob("*") if p.is_file()}
        if not any(n.endswith(".safetensors") for n in names) and not any(
            n.endswith(PICKLE_WEIGHT_SUFFIXES) for n in names
        ):
            raise SmokeFailure(
                "offline-not-cached",
                f"{repo_id}: offline (HF_HUB_OFFLINE=1) and its weights are not in the cache "
                f"({constants.HF_HUB_CACHE}); only config.json is",
                "download it once with network access, or unset HF_HUB_OFFLINE",
            )
    else:
        info = HfApi().model_info(repo_id, revision=revision, files_metadata=True)
        names = {sibling.rfilename: int(getattr(sibling, "size", None) or 0) for sibling in info.siblings or []}
        for name in REMOTE_CODE_CONFIG_FILES[1:]:
            if name in names:  # a few kilobytes each: remote code is refused before any weight moves
                hf_hub_download(repo_id, name, revision=revision)
    check_remote_code(snapshot)
    check_weight_files(list(names), repo_id)
    wanted = {name: size for name, size in names.items() if any(fnmatch(name, p) for p in HUB_ALLOW_PATTERNS)}
    return snapshot, config, wanted


def check_disk_space(repo_id: str, snapshot: Path, files: dict[str, int]) -> None:
    """Refuse a download that cannot fit on the disk of the Hugging Face cache, before it starts."""
    import shutil

    from huggingface_hub import constants

    needed = sum(size for name, size in files.items() if not (snapshot / name).exists())
    if needed == 0:
        return
    place = Path(constants.HF_HUB_CACHE)
    while not place.exists() and place != place.parent:
        place = place.parent
    free = shutil.disk_usage(place).free
    if needed + DISK_MARGIN_BYTES > free:
        raise SmokeFailure(
            "disk-space",
            f"{repo_id}: the download needs {needed / 2**30:.1f} GiB and {place} has {free / 2**30:.1f} GiB free "
            f"(with {DISK_MARGIN_BYTES / 2**30:.1f} GiB to spare); nothing was downloaded",
            "free some space, or point HF_HOME (or HF_HUB_CACHE) at a larger disk",
        )


def download_hub(repo_id: str, revision: str | None, channel: Channel) -> Path:
    """Download only safe files to an explicit snapshot and return its absolute path.

    Loading from that path (not the repo id) means a local folder that happens to be named like
    the repo can never be picked up instead.
    """
    from huggingface_hub import snapshot_download

    channel.progress("download", repo_id)
    path = Path(snapshot_download(repo_id, revision=revision, allow_patterns=HUB_ALLOW_PATTERNS))
    check_remote_code(path)  # the same files as before the download; checked again on what arrived
    return path


# ---------------------------------------------------------------------------------------------
# Loading and measuring (torch, transformers)


def import_runtime() -> tuple[Any, Any]:
    """torch and transformers, or a missing-dependency failure naming the extra to install."""
    try:
        import torch
        import transformers
    except ImportError as exc:
        missing = getattr(exc, "name", None) or str(exc)
        raise SmokeFailure(
            "missing-dependency",
            f"the smoke test needs torch and transformers ({missing} is not installed)",
            'pip install "llm-advisor[smoke]"',
        ) from None
    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    return torch, transformers


def _has_module(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def _known_loadable() -> str:
    return ", ".join(n for n in quantization_names() if transformers_load_of(n) is not None)


def runs_quantization(name: str, *, cuda: bool, checkpoint_quantization: str | None = None) -> bool:
    """Whether the smoke test can load a model as ``name`` on a machine with (or without) CUDA.

    What other parts ask before suggesting ``advisor smoke ... --quant NAME`` (the report's next
    steps): bf16/fp16/fp32 anywhere; int8/nf4/nf4-dq (bitsandbytes) with CUDA; GPTQ, AWQ, FP8 and
    MXFP4 only from a checkpoint already quantized that way (``checkpoint_quantization``, the
    label :func:`plan_quantization` gives its config); GGUF never (it runs in llama.cpp or Ollama).
    The optional runtimes (bitsandbytes, gptqmodel) are checked when the test runs, not here.
    """
    load = transformers_load_of(name)
    if load is None:
        return False
    if load.kind == "dtype":
        return True
    if load.kind == "bitsandbytes":
        return cuda
    return checkpoint_quantization == name


def check_quantization_name(requested: str | None) -> None:
    """Refuse, before anything is imported or downloaded, a quantization no checkpoint can be run as."""
    if requested is None or transformers_load_of(requested) is not None:
        return
    if requested.startswith("gguf"):
        raise SmokeFailure(
            "unsupported-quantization",
            f"{requested} is a GGUF format: it runs in llama.cpp or Ollama, not in transformers",
            "smoke-test the same model in bf16 (or nf4 on a GPU) to check the architecture loads",
        )
    raise SmokeFailure(
        "unsupported-quantization", f"unknown quantization {requested[:40]!r}; known: {_known_loadable()}"
    )


def plan_quantization(
    requested: str | None, config: dict[str, Any], cuda: bool, torch: Any, transformers: Any
) -> tuple[str, dict[str, Any]]:
    """The quantization label to report and the ``from_pretrained`` arguments that realise it."""
    pre = config.get("quantization_config")
    if isinstance(pre, dict) and pre.get("quant_method"):
        method = str(pre["quant_method"]).lower()
        bits = pre.get("bits")
        label = prequantized_name(method, bits if isinstance(bits, int) else None) or (
            f"{method}-int{bits}" if bits else method
        )
        if method == "bitsandbytes":
            label = "nf4" if pre.get("load_in_4bit") else "int8"
        if requested not in (None, label):
            raise SmokeFailure(
                "unsupported-quantization",
                f"the checkpoint is already quantized ({label}); it cannot be loaded as {requested}",
                f"run it as {label}, or smoke-test the unquantized base model",
            )
        _require_prequantized_runtime(method, cuda)
        return label, {"dtype": "auto"}
    quant = requested or "bf16"
    load = transformers_load_of(quant)
    if load is not None and load.kind == "dtype":
        return quant, {"dtype": getattr(torch, str(load.dtype))}
    if load is not None and load.kind == "bitsandbytes":
        if not cuda:
            raise SmokeFailure(
                "cuda-required",
                f"{quant} (bitsandbytes) needs a CUDA GPU and none is visible",
                "on CPU, smoke-test in bf16 or fp32; GGUF runtimes (llama.cpp, Ollama) serve CPUs",
            )
        if not _has_module("bitsandbytes"):
            raise SmokeFailure(
                "missing-dependency",
                f"{quant} needs bitsandbytes, which is not installed",
                "pip install bitsandbytes",
            )
        compute = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        arguments: dict[str, Any] = dict(load.bnb or {})
        if arguments.get("load_in_4bit"):
            arguments["bnb_4bit_compute_dtype"] = compute
        bnb = transformers.BitsAndBytesConfig(**arguments)
        return quant, {"dtype": compute, "quantization_config": bnb}
    if quant.startswith("gguf"):
        raise SmokeFailure(
            "unsupported-quantization",
            f"{quant} is a GGUF format: it runs in llama.cpp or Ollama, not in transformers",
            "smoke-test the same model in bf16 (or nf4 on a GPU) to check the architecture loads",
        )
    if load is not None and load.kind == "prequantized":
        raise SmokeFailure(
            "unsupported-quantization",
            f"{quant} needs a checkpoint already quantized that way; this one has no quantization_config",
            "point the smoke test at the quantized repo (often named ...-GPTQ-Int4 or ...-AWQ)",
        )
    raise SmokeFailure("unsupported-quantization", f"unknown quantization {quant!r}")


def _require_prequantized_runtime(method: str, cuda: bool) -> None:
    needs = {"gptq": ("optimum", "gptqmodel"), "awq": ("gptqmodel",), "bitsandbytes": ("bitsandbytes",)}
    for module in needs.get(method, ()):
        if not _has_module(module):
            raise SmokeFailure(
                "missing-dependency",
                f"loading a {method} checkpoint needs {module}, which is not installed",
                f"pip install {module}",
            )
    if method == "bitsandbytes" and not cuda:
        raise SmokeFailure("cuda-required", "this bitsandbytes checkpoint needs a CUDA GPU and none is visible")


def _proc_status(key: str) -> int | None:
    """A memory line of /proc/self/status in bytes (Linux), else None."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def current_rss() -> int:
    """Resident memory of this process now."""
    rss = _proc_status("VmRSS")
    if rss is not None:
        return rss
    import psutil

    return int(psutil.Process().memory_info().rss)


def reset_peak_rss() -> bool:
    """Reset the kernel's RSS high-water mark (Linux >= 4.0: write 5 to /proc/self/clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


def peak_rss() -> int:
    """Peak resident memory of this process.

    VmHWM belongs to this process's own address space, so it does not carry the parent's peak
    across fork+exec the way ``ru_maxrss`` can on Linux; ``ru_maxrss`` (KiB on Linux, bytes on
    macOS) is the fallback elsewhere.
    """
    hwm = _proc_status("VmHWM")
    if hwm is not None:
        return hwm
    import resource

    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(maxrss if sys.platform == "darwin" else maxrss * 1024)


class CpuMemoryCap:
    """Cap the address space (RLIMIT_AS) at its current size plus ``limit_bytes``, until released.

    Counting from the current size leaves the interpreter and libraries already loaded out of the
    budget, so the cap reads as "memory the model may take". RLIMIT_AS counts virtual memory, so it
    is stricter than the RSS reported as the peak. Only the soft limit is lowered, so ``release``
    can lift it again; a reserve block is held under the cap and freed first on release, so the
    code that reports an out-of-memory has room to run.
    """

    RESERVE_BYTES = 32 * 2**20
    """Headroom for the failure path: the traceback, the JSON report, reading /proc."""

    def __init__(self, limit_bytes: int) -> None:
        import resource

        self._resource = resource
        self._previous = resource.getrlimit(resource.RLIMIT_AS)
        self._reserve: bytearray | None = bytearray(self.RESERVE_BYTES)
        hard = self._previous[1]
        cap = (_proc_status("VmSize") or current_rss()) + limit_bytes
        self.cap = cap if hard == resource.RLIM_INFINITY else min(cap, hard)
        resource.setrlimit(resource.RLIMIT_AS, (self.cap, hard))

    def release(self) -> None:
        self._reserve = None
        self._resource.setrlimit(self._resource.RLIMIT_AS, self._previous)


def is_out_of_memory(exc: BaseException, torch: Any = None) -> bool:
    """Whether ``exc`` or anything in its cause chain is an out-of-memory."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, MemoryError):
            return True
        oom_type = getattr(torch, "OutOfMemoryError", None) if torch is not None else None
        if oom_type is not None and isinstance(current, oom_type):
            return True
        text = str(current).lower()
        if any(phrase in text for phrase in _OOM_PHRASES):
            return True
        current = current.__cause__ or current.__context__
    return False


def _device_label(model: Any, cuda: bool) -> str:
    device_map = getattr(model, "hf_device_map", None)
    if isinstance(device_map, dict) and device_map:
        places = sorted({str(v) for v in device_map.values()}, key=str)
        return ",".join(p if not p.isdigit() else f"cuda:{p}" for p in places)
    return str(getattr(model, "device", "cuda" if cuda else "cpu"))


def _prompt_inputs(tokenizer: Any, config: dict[str, Any], torch: Any) -> tuple[dict[str, Any], str]:
    """Tokenized prompt (chat template when the tokenizer has one) and how it was built."""
    if tokenizer is not None:
        if getattr(tokenizer, "chat_template", None):
            encoded = tokenizer.apply_chat_template(
                [{"role": "user", "content": PROMPT}],
                add_generation_prompt=True,
                return_tensors="pt",
                return_dict=True,
            )
            return dict(encoded), "chat template"
        return dict(tokenizer(PROMPT, return_tensors="pt")), "plain prompt"
    vocab = int(config.get("vocab_size") or 256)
    ids = torch.tensor([[(3 + i) % vocab for i in range(FALLBACK_PROMPT_LENGTH)]])
    return {"input_ids": ids, "attention_mask": torch.ones_like(ids)}, "fixed token ids (no tokenizer)"


def _load_tokenizer(path: Path, transformers: Any, notes: list[str]) -> Any:
    if not any((path / name).is_file() for name in ("tokenizer.json", "tokenizer_config.json", "tokenizer.model")):
        notes.append("no tokenizer files: fed fixed token ids")
        return None
    try:
        return transformers.AutoTokenizer.from_pretrained(str(path), trust_remote_code=False)
    except Exception as exc:  # a broken tokenizer should not hide whether the weights fit
        notes.append(
            f"tokenizer could not be loaded ({type(exc).__name__}: {scrub_secrets(str(exc))[:200]}): "
            "fed fixed token ids"
        )
        return None


def _cuda_devices(torch: Any) -> list[int]:
    return list(range(torch.cuda.device_count()))


def _cuda_snapshot(torch: Any, devices: list[int]) -> dict[int, tuple[int, int]]:
    """(total - free, reserved by torch) per device."""
    out = {}
    for d in devices:
        free, total = torch.cuda.mem_get_info(d)
        out[d] = (int(total - free), int(torch.cuda.memory_reserved(d)))
    return out


def run(request: dict[str, Any], channel: Channel, report: dict[str, Any]) -> None:
    """The whole smoke test, filling ``report`` as it goes (so a failure keeps what was learnt).

    Every refusal that does not need the weights comes before any download: the quantization's
    name, torch and transformers (the extra), the device, the licence gate and remote code (config
    files only), the quantization against the config and this machine, pickle-only repos, and the
    disk space the download needs.
    """
    notes: list[str] = report.setdefault("notes", [])
    model = str(request["model"])
    requested = request.get("quantization")
    check_quantization_name(requested)
    local = Path(model).expanduser()
    if not local.is_dir() and not is_valid_repo_id(model, namespace_required=False):
        raise SmokeFailure("not-found", f"{model}: no such directory, and not a Hub id (owner/name) either")
    if local.is_dir():  # nothing to download: the folder's own refusals first, they need no torch
        channel.progress("resolve", model)
        path, config = resolve_local(local.resolve())
        if is_valid_repo_id(model, namespace_required=False):
            notes.append(f"{model} is a local directory here: it was loaded instead of the Hub repo")
    torch, transformers = import_runtime()
    want = request.get("device") or "auto"
    cuda = want != "cpu" and torch.cuda.is_available()
    report["cuda_available"] = bool(torch.cuda.is_available())
    if want == "cuda" and not cuda:
        raise SmokeFailure("cuda-required", "device 'cuda' was asked for and no CUDA GPU is visible")
    report["device"] = "cuda" if cuda else "cpu"
    if local.is_dir():
        quant, load_kwargs = plan_quantization(requested, config, cuda, torch, transformers)
    else:
        try:
            snapshot, config, files = inspect_hub(model, request.get("revision"), channel)
            report["config"] = config
            quant, load_kwargs = plan_quantization(requested, config, cuda, torch, transformers)
            report["quantization"] = quant
            check_disk_space(model, snapshot, files)
            path = download_hub(model, request.get("revision"), channel)
        except SmokeFailure:
            raise
        except Exception as exc:
            failure = classify_hub_error(exc, model)
            if failure is None:
                raise
            raise SmokeFailure(failure.code, failure.message, failure.hint) from None
    report["model_path"] = str(path)
    report["config"] = config
    report["quantization"] = quant

    tokenizer = _load_tokenizer(path, transformers, notes)
    inputs, prompt_kind = _prompt_inputs(tokenizer, config, torch)
    notes.append(f"prompt: {prompt_kind}")
    # Import the generation code and the model class before the baseline, so the baseline holds
    # the libraries and the comparison holds only what the weights and generation add.
    auto_config = transformers.AutoConfig.from_pretrained(str(path), trust_remote_code=False)
    causal_lm_classes = transformers.AutoModelForCausalLM._model_mapping
    if type(auto_config) not in causal_lm_classes:
        raise SmokeFailure(
            "unsupported-model",
            f"{auto_config.model_type} has no causal-LM head in transformers {transformers.__version__}: "
            "the smoke test generates text, so it needs a decoder model",
        )
    causal_lm_classes[type(auto_config)]  # imports the modeling module before the baseline
    devices = _cuda_devices(torch) if cuda else []
    limit = request.get("memory_limit_bytes")
    baseline_cuda: dict[int, tuple[int, int]] | None = None
    if cuda:
        for d in devices:
            torch.cuda.reset_peak_memory_stats(d)
        baseline_cuda = _cuda_snapshot(torch, devices)
        report["baseline_memory_bytes"] = sum(used for used, _ in baseline_cuda.values())
        load_kwargs["device_map"] = "auto"
        # GPUs only, no "cpu" entry: left to itself accelerate would offload what does not fit to
        # RAM and the run would "fit" at a fraction of the speed; here it has to fit on the GPUs.
        free = {d: int(torch.cuda.mem_get_info(d)[0]) for d in devices}
        load_kwargs["max_memory"] = {d: min(free[d], int(limit)) if limit else free[d] for d in devices}
        if limit:
            for d in devices:
                total = torch.cuda.get_device_properties(d).total_memory
                torch.cuda.set_per_process_memory_fraction(min(1.0, limit / total), d)
            notes.append(f"memory cap: {limit} bytes per GPU (torch per-process memory fraction)")
    else:
        report["baseline_memory_bytes"] = current_rss()
        # Spin up the intra-op thread pool now: creating threads under a tight RLIMIT_AS can
        # abort inside OpenMP instead of raising a catchable MemoryError.
        torch.ones(256, 256) @ torch.ones(256, 256)
        report["peak_reset"] = reset_peak_rss()
        if limit:
            notes.append(f"memory cap: address space limited to {limit} bytes above the size before loading")

    cap = CpuMemoryCap(int(limit)) if limit and not cuda else None
    try:
        _load_and_generate(request, channel, report, path, config, quant, load_kwargs, tokenizer, inputs, cuda)
    finally:
        if cap is not None:
            cap.release()  # before anything else runs, the failure path included
        # Also after a failure: the peak reached before an out-of-memory is a useful lower bound.
        with contextlib.suppress(Exception):
            _record_peak_memory(report, torch, devices, baseline_cuda)


def _load_and_generate(
    request: dict[str, Any],
    channel: Channel,
    report: dict[str, Any],
    path: Path,
    config: dict[str, Any],
    quant: str,
    load_kwargs: dict[str, Any],
    tokenizer: Any,
    inputs: dict[str, Any],
    cuda: bool,
) -> None:
    """Load the weights, warm up, then time the measured generation(s) into ``report``."""
    import torch
    import transformers

    channel.progress("load", quant)
    started = time.perf_counter()
    model_obj = transformers.AutoModelForCausalLM.from_pretrained(
        str(path), use_safetensors=True, trust_remote_code=False, **load_kwargs
    )
    model_obj.eval()
    if cuda:
        torch.cuda.synchronize()
    report["load_seconds"] = time.perf_counter() - started
    # Split the peak: loading has transients (dtype casts, quantization buffers, the caching
    # allocator's warm-up block); generating is what the model needs to keep running.
    if cuda:
        devices = _cuda_devices(torch)
        report["_load_peak_allocated"] = {d: int(torch.cuda.max_memory_allocated(d)) for d in devices}
        for d in devices:
            torch.cuda.reset_peak_memory_stats(d)
    else:
        report["_load_peak_rss"] = peak_rss()
        report["_generation_reset"] = reset_peak_rss()
    report["device"] = _device_label(model_obj, cuda)
    device_map = getattr(model_obj, "hf_device_map", None) or {}
    offloaded = sorted({str(v) for v in device_map.values() if str(v) in ("cpu", "disk", "meta")})
    if cuda and offloaded:
        raise SmokeFailure(
            "out-of-memory",
            f"the model does not fit in GPU memory as {quant}: accelerate placed part of it on "
            f"{' and '.join(offloaded)}",
            "try a smaller quantization (fallback walks the ladder), more GPUs, or a smaller model",
        )
    first_device = model_obj.get_input_embeddings().weight.device
    inputs = {k: v.to(first_device) for k, v in inputs.items()}
    prompt_tokens = int(inputs["input_ids"].shape[-1])
    report["prompt_tokens"] = prompt_tokens

    pad = getattr(tokenizer, "pad_token_id", None) if tokenizer is not None else None
    if pad is None:
        pad = config.get("pad_token_id")
    if pad is None:
        eos = config.get("eos_token_id")
        pad = eos[0] if isinstance(eos, list) and eos else eos
    new_tokens = int(request.get("max_new_tokens") or 16)

    first_token_at: list[float] = []

    class FirstTokenClock(transformers.LogitsProcessor):
        """Timestamps the first call: the logits of the first new token exist then (TTFT)."""

        def __call__(self, input_ids: Any, scores: Any) -> Any:
            if not first_token_at:
                if cuda:
                    torch.cuda.synchronize()
                first_token_at.append(time.perf_counter())
            return scores

    def generate(count: int) -> tuple[Any, float, float]:
        first_token_at.clear()
        if cuda:
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        with torch.inference_mode():
            out = model_obj.generate(
                **inputs,
                max_new_tokens=count,
                min_new_tokens=count,
                do_sample=False,
                num_beams=1,
                pad_token_id=pad if pad is not None else 0,
                logits_processor=transformers.LogitsProcessorList([FirstTokenClock()]),
            )
        if cuda:
            torch.cuda.synchronize()
        t_end = time.perf_counter()
        t_first = first_token_at[0] if first_token_at else t_end
        return out, t_first - t0, t_end - t_first

    channel.progress("warm-up")
    generate(min(WARMUP_NEW_TOKENS, new_tokens))
    channel.progress("generate", f"{new_tokens} tokens")
    ttfts: list[float] = []
    rates: list[float] = []
    output = None
    for _ in range(max(1, int(request.get("runs") or 1))):
        output, ttft, decode_s = generate(new_tokens)
        produced = int(output.shape[-1]) - prompt_tokens
        ttfts.append(ttft)
        if produced > 1 and decode_s > 0:
            rates.append((produced - 1) / decode_s)  # vLLM's TPOT: decode steps after the first token
    assert output is not None
    generated = output[0, prompt_tokens:].tolist()
    report["new_tokens"] = len(generated)
    report["generated_token_ids"] = generated
    report["generated_text"] = tokenizer.decode(generated, skip_special_tokens=True) if tokenizer is not None else None
    report["time_to_first_token_s"] = statistics.median(ttfts)
    report["tokens_per_second"] = statistics.median(rates) if rates else None
    report["runs"] = len(ttfts)


def _record_peak_memory(
    report: dict[str, Any], torch: Any, devices: list[int], baseline_cuda: dict[int, tuple[int, int]] | None
) -> None:
    """Peak of the whole run, and of loading and generating apart when loading finished.

    GPU: torch's peak allocation per device plus non-torch memory; CPU: the process's peak RSS.
    """
    load_allocated: dict[int, int] | None = report.pop("_load_peak_allocated", None)
    load_rss: int | None = report.pop("_load_peak_rss", None)
    generation_reset = bool(report.pop("_generation_reset", False))
    if baseline_cuda is not None:
        end = _cuda_snapshot(torch, devices)
        per_device: dict[str, int] = {}
        load_total = generation_total = 0
        for d in devices:
            # Non-torch memory (CUDA context, cuBLAS workspaces, bitsandbytes buffers) is invisible
            # to torch's counters: (total - free) - reserved, as vLLM's MemorySnapshot measures it.
            # It includes other processes on the same GPU, if any.
            non_torch = max(end[d][0] - end[d][1], baseline_cuda[d][0] - baseline_cuda[d][1], 0)
            since_reset = int(torch.cuda.max_memory_allocated(d))
            loaded = (load_allocated or {}).get(d, 0)
            per_device[f"cuda:{d}"] = max(loaded, since_reset) + non_torch
            load_total += loaded + non_torch
            generation_total += since_reset + non_torch
        report["memory_per_device"] = per_device
        report["peak_memory_bytes"] = sum(per_device.values())
        if load_allocated is not None:
            report["load_peak_memory_bytes"] = load_total
            report["generation_peak_memory_bytes"] = generation_total
        report["memory_measure"] = "torch.cuda.max_memory_allocated + non-torch memory, summed over GPUs"
        report["peak_rss_bytes"] = peak_rss()
    else:
        high_water = peak_rss()
        report["peak_memory_bytes"] = max(high_water, load_rss or 0)
        report["peak_rss_bytes"] = report["peak_memory_bytes"]
        if load_rss is not None:
            report["load_peak_memory_bytes"] = load_rss
            if generation_reset:
                report["generation_peak_memory_bytes"] = high_water
        report["memory_measure"] = "peak RSS of the child process (VmHWM)"


def guard_lifetime(parent_pid: int | None, deadline_s: float | None, *, use_prctl: bool = True) -> None:
    """End this process (and its group) when its parent dies or its own deadline passes.

    A smoke child holds gigabytes of RAM or GPU memory; if the parent is killed (SIGTERM, SIGHUP,
    a closed terminal) or stops waiting, nothing else would end it. On Linux the kernel sends
    SIGKILL when the parent dies (``prctl(PR_SET_PDEATHSIG)``, through ctypes); everywhere a
    daemon thread checks every :data:`WATCH_S` seconds that the parent is still the one that
    started it and that ``deadline_s`` (seconds from now) has not passed.
    """
    if use_prctl and sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):  # no libc or no prctl: the watchdog still runs
            import ctypes

            pr_set_pdeathsig = 1
            ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0)
    if parent_pid is not None and os.getppid() != parent_pid:
        _end_group()  # the parent died before the signal was armed
    ends_at = None if deadline_s is None else time.monotonic() + deadline_s

    def watch() -> None:
        while True:
            time.sleep(WATCH_S)
            if parent_pid is not None and os.getppid() != parent_pid:
                _end_group()
            if ends_at is not None and time.monotonic() >= ends_at:
                _end_group()

    threading.Thread(target=watch, name="advisor-smoke-watchdog", daemon=True).start()


def _end_group() -> None:
    """SIGKILL this process and, when it leads its group (it does when the parent started it), the group."""
    with contextlib.suppress(OSError):
        if hasattr(os, "killpg") and os.getpgrp() == os.getpid():
            os.killpg(os.getpid(), signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL if hasattr(signal, "SIGKILL") else signal.SIGTERM)


def main(argv: list[str] | None = None) -> int:
    """Entry point: one request in (JSON argument), one result line out."""
    args = sys.argv[1:] if argv is None else argv
    channel = Channel()
    if not args:
        channel.send({"event": "result", "ok": False, "error": {"code": "failed", "message": "no request"}})
        return 2
    request = json.loads(args[0])
    guard_lifetime(request.get("parent_pid"), request.get("deadline_s"))
    report: dict[str, Any] = {"notes": []}
    error: dict[str, Any] | None = None
    try:
        run(request, channel, report)
    except SmokeFailure as failure:
        error = {"code": failure.code, "message": failure.message, "hint": failure.hint}
    except BaseException as exc:  # the child must always answer, whatever broke
        error = _describe(exc, request, report)
        if report.get("memory_measure"):
            report["memory_measure"] += ", until the failure"
    if error is not None:
        error["message"] = scrub_secrets(str(error["message"]))
    result = {"event": "result", "ok": error is None, "error": error, **report}
    channel.send(json.loads(scrub_secrets(json.dumps(result, default=str))))
    return 0


def _describe(exc: BaseException, request: dict[str, Any], report: dict[str, Any]) -> dict[str, Any]:
    """Turn an unexpected exception into a coded error (out-of-memory, Hub error, or failed)."""
    model = str(request.get("model"))
    # Under an address-space cap, a thread stack (8 MiB of virtual memory by default) that cannot
    # be mapped is the cap speaking: pthread_create fails with EAGAIN, Python says this.
    capped_thread = bool(request.get("memory_limit_bytes")) and "can't start new thread" in str(exc)
    # With GPUs only in max_memory, weights that do not fit are sent to "disk", which transformers
    # refuses without an offload folder (and bitsandbytes refuses as "dispatched on the CPU or the
    # disk"): on a GPU run that is the model not fitting.
    text = str(exc).lower()
    offload = str(report.get("device", "")).startswith("cuda") and ("offload" in text or "the disk" in text)
    if capped_thread or offload or is_out_of_memory(exc, sys.modules.get("torch")):
        where = "GPU memory" if str(report.get("device", "")).startswith("cuda") else "memory"
        quant = report.get("quantization") or request.get("quantization") or "the default precision"
        return {
            "code": "out-of-memory",
            "message": f"out of memory: the model does not fit in the {where} available as {quant} "
            f"({type(exc).__name__}: {scrub_secrets(str(exc))[:300] or 'no detail'})",
            "hint": "try a smaller quantization (fallback walks the ladder) or a smaller model",
        }
    hub = classify_hub_error(exc, model)
    if hub is not None:
        return {"code": hub.code, "message": hub.message, "hint": hub.hint}
    if isinstance(exc, ImportError):
        return {
            "code": "missing-dependency",
            "message": f"{type(exc).__name__}: {exc}",
            "hint": 'pip install "llm-advisor[smoke]"',
        }
    return {"code": "failed", "message": f"{type(exc).__name__}: {scrub_secrets(str(exc))[:1000]}", "hint": None}


if __name__ == "__main__":
    sys.exit(main())
