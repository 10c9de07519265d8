"""The smoke test: load a model the way the team will run it, generate, and measure it for real.

An estimate is a promise; this keeps it. :func:`smoke_test` runs :mod:`advisor.smoke.child` in a
fresh interpreter that leads its own process group, waits at most ``timeout_s``, and turns whatever
happens there (a result, an out-of-memory, a crash, a hang) into a :class:`SmokeResult`. Nothing
that goes wrong in the child can take the caller down: a hang is ended by killing the whole group,
a crash is reported with the signal that ended it.

This module imports neither torch, transformers nor accelerate; only the child does.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from advisor.results import SmokeAttempt, SmokeError, SmokeResult, Verdict
from advisor.smoke.child import CHILD_GRACE_S, MARKER
from advisor.smoke.child import runs_quantization as runs_quantization  # what the report may suggest
from advisor.sources.hub_errors import scrub_secrets

DEFAULT_TIMEOUT_S = 900.0
"""Whole-run limit, download included. Loading 140 GB of bf16 weights (a 70B) from an NVMe at
~1-2 GB/s takes 1-2 minutes and a 15 GB download at 100 MB/s takes under 3; 15 minutes leaves
room for both on a slow disk or link while still ending a run that hangs."""

STDERR_TAIL_BYTES = 64 * 1024
"""How much of the child's stderr is kept for crash reports: tracebacks fit, megabytes of noise
do not fill the caller's memory (reliability.md section 4.1: cap captured output)."""

POLL_S = 0.5
"""How often the reader wakes without output, to notice the child's exit or the deadline."""

EXIT_DRAIN_S = 1.0
"""After the child exits, how long output still in the pipes is read before its group is killed."""

CRASH_TAIL_LINES = 12
"""Lines of the child's stderr quoted in a crashed/failed message."""

CRASH_TAIL_CHARS = 4000
"""Characters of stderr quoted at most, however long its lines (a traceback fits)."""


Progress = Callable[[str, "str | None"], None]


# ---------------------------------------------------------------------------------------------
# Running a child


@dataclass
class ChildOutcome:
    """What came back from one child: its last result event, how it ended, its stderr tail."""

    result: dict[str, Any] | None
    returncode: int | None
    timed_out: bool
    stderr_tail: str
    seconds: float
    garbage: list[str] = field(default_factory=list)


def child_command(request: dict[str, Any]) -> list[str]:
    """argv of the child. Tests replace this to run fake children; nothing secret goes in argv."""
    return [sys.executable, "-m", "advisor.smoke.child", json.dumps(request)]


def run_child(
    argv: Sequence[str],
    *,
    timeout_s: float,
    env: dict[str, str] | None = None,
    on_event: Callable[[dict[str, Any]], None] | None = None,
) -> ChildOutcome:
    """Run ``argv`` in a new session, read protocol lines as they come, kill the group on timeout.

    stdout and stderr are read together with a selector so neither pipe can fill and block the
    child; stderr keeps only its tail. Whatever happens, the process group is killed before
    returning, so helpers the child started cannot outlive it.
    """
    started = time.monotonic()
    deadline = started + timeout_s
    proc = subprocess.Popen(
        list(argv),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=True,
    )
    result: dict[str, Any] | None = None
    garbage: list[str] = []
    stdout_buffer = b""
    stderr_tail = b""
    timed_out = False
    selector = selectors.DefaultSelector()
    assert proc.stdout is not None and proc.stderr is not None
    selector.register(proc.stdout, selectors.EVENT_READ, "out")
    selector.register(proc.stderr, selectors.EVENT_READ, "err")
    drain_until: float | None = None
    try:
        while selector.get_map():
            now = time.monotonic()
            if now >= deadline:
                timed_out = True
                break
            if drain_until is None and proc.poll() is not None:
                # The child is gone; a helper it left behind may still hold the pipes open.
                drain_until = now + EXIT_DRAIN_S
            if drain_until is not None and now >= drain_until:
                break
            wait = min(deadline, drain_until or deadline) - now
            for key, _ in selector.select(timeout=min(wait, POLL_S)):
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    selector.unregister(key.fileobj)
                    continue
                if key.data == "err":
                    stderr_tail += chunk
                    if len(stderr_tail) > 2 * STDERR_TAIL_BYTES:
                        stderr_tail = stderr_tail[-2 * STDERR_TAIL_BYTES :]  # raw; cut again after the scrub
                    continue
                stdout_buffer += chunk
                *lines, stdout_buffer = stdout_buffer.split(b"\n")
                for line in lines:
                    event = _parse_line(line, garbage)
                    if event is None:
                        continue
                    if event.get("event") == "result":
                        result = event
                    elif on_event is not None:
                        on_event(event)
        if stdout_buffer:
            event = _parse_line(stdout_buffer, garbage)
            if event is not None and event.get("event") == "result":
                result = event
        if not timed_out:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                timed_out = True
    finally:
        selector.close()
        _kill_group(proc)
        proc.stdout.close()
        proc.stderr.close()
    return ChildOutcome(
        result=result,
        returncode=proc.returncode,
        timed_out=timed_out,
        stderr_tail=scrubbed_tail(stderr_tail.decode("utf-8", errors="replace"), STDERR_TAIL_BYTES),
        seconds=time.monotonic() - started,
        garbage=garbage,
    )


def scrubbed_tail(text: str, limit: int) -> str:
    """The last ``limit`` characters of ``text`` with secrets masked, the masking done before the cut.

    The text kept is a window into a longer stream, so its first line may start in the middle of
    a token that the scrub could no longer recognise (a suffix of ``hf_...`` or of the HF_TOKEN
    value): that partial first line is dropped, or, on one endless line, its leading run of token
    characters.
    """
    clean = scrub_secrets(text)
    if len(clean) <= limit:
        return clean
    cut = clean[-limit:]
    newline = cut.find("\n")
    if newline >= 0:
        return cut[newline + 1 :]
    return re.sub(r"^[A-Za-z0-9_\-]+", "...", cut)


def _parse_line(line: bytes, garbage: list[str]) -> dict[str, Any] | None:
    text = line.decode("utf-8", errors="replace").strip()
    if not text:
        return None
    if text.startswith(MARKER.strip()):
        try:
            event = json.loads(text[len(MARKER.strip()) :])
        except ValueError:
            event = None
        if isinstance(event, dict):
            return event
    if len(garbage) < 20:
        garbage.append(scrub_secrets(text)[:200])
    return None


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the child's whole process group (it leads it: start_new_session), then reap it."""
    if os.name == "posix":
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
    elif proc.poll() is None:  # pragma: no cover - no process groups to kill outside POSIX
        proc.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)


def _tail(text: str) -> str:
    """The last lines of ``text``, bounded in lines and characters."""
    tail = "\n".join(text.strip().splitlines()[-CRASH_TAIL_LINES:])
    return tail if len(tail) <= CRASH_TAIL_CHARS else "..." + tail[-CRASH_TAIL_CHARS:]


def _signal_name(returncode: int) -> str:
    try:
        return signal.Signals(-returncode).name
    except ValueError:
        return f"signal {-returncode}"


def outcome_error(outcome: ChildOutcome, timeout_s: float) -> SmokeError | None:
    """The error for a child that gave no valid result: timeout, or crashed with its cause named."""
    if outcome.timed_out:
        return SmokeError(
            code="timeout",
            message=f"the smoke test did not finish within {timeout_s:g} s; its process group was killed",
            hint="raise the timeout for a big download or a slow disk, or look for a hang in the log",
        )
    if outcome.result is not None:
        return None
    code = outcome.returncode
    tail = _tail(outcome.stderr_tail)
    if code is not None and code < 0:
        name = _signal_name(code)
        why = " (often the kernel's out-of-memory killer)" if name == "SIGKILL" else ""
        message = f"the smoke-test process was killed by {name}{why} before reporting a result"
    else:
        message = f"the smoke-test process exited with code {code} without reporting a result"
    if outcome.garbage:
        message += f"; it printed unexpected output: {outcome.garbage[0]!r}"
    if tail:
        message += f"\n{tail}"
    return SmokeError(
        code="crashed",
        message=scrub_secrets(message),
        hint="run again with a smaller model or quantization; a signal like SIGSEGV points to a driver or "
        "library fault",
    )


# ---------------------------------------------------------------------------------------------
# The public function


def smoke_test(
    model: str | os.PathLike[str],
    quantization: str | None = None,
    max_new_tokens: int = 16,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    fallback: bool = False,
    estimate: Any = None,
    *,
    memory_limit_bytes: int | None = None,
    device: Literal["auto", "cpu", "cuda"] = "auto",
    revision: str | None = None,
    offline: bool | None = None,
    runs: int = 1,
    progress: Progress | None = None,
) -> SmokeResult:
    """Load ``model`` (Hub id or local directory) in a child process, generate, and measure.

    ``quantization``: bf16 (default), fp16, fp32, int8 / nf4 / nf4-dq (bitsandbytes, CUDA only), or
    the format of a pre-quantized checkpoint (GPTQ/AWQ), detected from its config.
    ``estimate``: bytes, or a ``MemoryEstimate``, to compare with; by default
    ``advisor.estimate_memory`` is asked for the same model, quantization and context.
    ``fallback``: after an out-of-memory, retry one rung down the quantization ladder until
    something fits or the ladder ends; every run is listed in ``attempts``.
    ``memory_limit_bytes``: simulate a smaller machine. On CPU it caps the child's address space
    (RLIMIT_AS) at its size before loading plus this amount; on CUDA it caps torch's share of each
    GPU. A run that hits the cap reports does-not-fit.
    ``offline``: True sets HF_HUB_OFFLINE=1 for the child; None keeps the caller's environment.
    ``progress``: called with a step name (resolve, download, load, warm-up, generate, fallback)
    and a detail. An exception raised by it stops the test: the child's process group is killed and
    the exception propagates (the terminal app cancels a run this way).
    """
    if max_new_tokens < 1:
        raise ValueError("max_new_tokens must be >= 1")
    if timeout_s <= 0:
        raise ValueError("timeout_s must be > 0")
    started = time.monotonic()
    attempts: list[SmokeAttempt] = []
    notes: list[str] = []
    model, where = resolve_catalog_folder(str(model))
    if where is not None:
        notes.append(where)
    quant = quantization
    tried: list[str] = []
    while True:
        result = _attempt(
            model,
            quant,
            max_new_tokens=max_new_tokens,
            timeout_s=max(1.0, timeout_s - (time.monotonic() - started)),
            limit_s=timeout_s,
            estimate=estimate,
            memory_limit_bytes=memory_limit_bytes,
            device=device,
            revision=revision,
            offline=offline,
            runs=runs,
            progress=progress,
        )
        attempts.append(
            SmokeAttempt(
                quantization=result.quantization or quant,
                verdict=result.verdict,
                error_code=result.error.code if result.error else None,
                peak_memory_bytes=result.peak_memory_bytes,
                seconds=result.seconds or 0.0,
            )
        )
        tried.append(result.quantization or quant or "default")
        if not fallback or result.error is None or result.error.code != "out-of-memory":
            break
        cuda = "cuda" in (result.device or "")
        following = next_quantization(result.quantization or quant or "bf16", cuda=cuda)
        if following is None:
            notes.append(
                "fallback: no smaller quantization left that this machine can load"
                + ("" if cuda else " (int8/nf4 need a CUDA GPU)")
                + f"; tried {', '.join(tried)}"
            )
            break
        notes.append(f"fallback: {tried[-1]} ran out of memory, trying {following}")
        quant = following
        if progress is not None:
            progress("fallback", following)
    result.attempts = attempts
    result.notes = notes + result.notes
    result.seconds = time.monotonic() - started
    return result


HUB_ERROR_CODES = frozenset({"gated-needs-token", "offline-not-cached", "hub-error"})
"""Errors that are the Hub's answer (exit 4), whatever the model."""
INPUT_ERROR_CODES = frozenset({"invalid-model"})
"""Errors in what the user pointed at (exit 3)."""


def exit_code(result: SmokeResult) -> int:
    """The CLI exit code of a smoke result, as the README's table says.

    0 it ran; 4 the Hub refused or could not be reached (gated, offline and not cached, an HTTP
    error, a Hub id that does not exist); 3 bad input (a folder that does not exist or is not a
    model, an implausible config.json); 5 the smoke test ran or was refused and the model did not
    fit or could not run (out of memory, crash, timeout, a format or device it cannot use).
    """
    from advisor.errors import ExitCode

    if result.ok:
        return int(ExitCode.OK)
    code = result.error.code if result.error else "failed"
    if code in HUB_ERROR_CODES:
        return int(ExitCode.HUB)
    if code in INPUT_ERROR_CODES:
        return int(ExitCode.INPUT)
    if code == "not-found":
        from advisor.repo_ids import is_valid_repo_id

        model = result.model
        local = os.path.isdir(os.path.expanduser(model)) or not is_valid_repo_id(model, namespace_required=False)
        return int(ExitCode.INPUT) if local else int(ExitCode.HUB)
    return int(ExitCode.SMOKE_FAILED)


def resolve_catalog_folder(model: str) -> tuple[str, str | None]:
    """``(what to load, a note)``: an id of the user catalog added from a folder loads that folder.

    ``advisor catalog add ./tiny`` records ``local/tiny`` with ``source: {dir: /abs/tiny}``; that id
    is not a Hub repo, so ``advisor smoke local/tiny`` means the folder. An existing directory named
    like the id wins (it is what the user typed); a user catalog that does not parse is left to the
    commands that read it.
    """
    if os.path.isdir(os.path.expanduser(model)):
        return model, None
    try:
        from advisor.catalog.user import read_user_catalog
        from advisor.errors import InputError

        user = read_user_catalog()
    except (ImportError, InputError):
        return model, None
    entry = user.find(model)
    if entry is None:
        return model, None
    folder = user.source_of(entry.id).get("dir")
    if folder is None:
        return model, None
    return folder, f"{model} is the folder {folder} in your user catalog ({user.path})"


def next_quantization(current: str, *, cuda: bool) -> str | None:
    """The next rung below ``current`` that is smaller and that the child can load here, or None."""
    from advisor.quantization import loaded_on_the_fly, needs_cuda_to_load, quantization_ladder

    formats = loaded_on_the_fly()  # what the child can make from plain weights, with its stored bits
    size = formats[current].bits_per_weight if current in formats else None
    ladder = quantization_ladder("transformers")  # quality first, as selection walks it
    start = ladder.index(current) + 1 if current in ladder else 0
    for name in ladder[start:]:
        if name not in formats or (needs_cuda_to_load(name) and not cuda):
            continue
        if size is None or formats[name].bits_per_weight < size:
            return name
    return None


def _child_env(offline: bool | None) -> dict[str, str]:
    """The caller's environment (the token stays there, never in argv), quiet and offline if asked."""
    env = dict(os.environ)
    if offline is True:
        env["HF_HUB_OFFLINE"] = "1"
    elif offline is False:
        env.pop("HF_HUB_OFFLINE", None)
        env.pop("TRANSFORMERS_OFFLINE", None)
    env.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    env.setdefault("TRANSFORMERS_VERBOSITY", "error")
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    env["PYTHONUNBUFFERED"] = "1"
    # The child imports advisor from wherever the caller did, installed or not.
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    return env


def _attempt(
    model: str,
    quantization: str | None,
    *,
    max_new_tokens: int,
    timeout_s: float,
    limit_s: float,
    estimate: Any,
    memory_limit_bytes: int | None,
    device: str,
    revision: str | None,
    offline: bool | None,
    runs: int,
    progress: Progress | None,
) -> SmokeResult:
    request = {
        "model": model,
        "quantization": quantization,
        "max_new_tokens": max_new_tokens,
        "memory_limit_bytes": memory_limit_bytes,
        "device": device,
        "revision": revision,
        "runs": runs,
        # The child ends itself if this process dies, or if it outlives the time left by more than
        # CHILD_GRACE_S (advisor.smoke.child.guard_lifetime).
        "parent_pid": os.getpid(),
        "deadline_s": timeout_s + CHILD_GRACE_S,
    }

    def on_event(event: dict[str, Any]) -> None:
        if progress is not None and event.get("event") == "progress":
            progress(str(event.get("step")), event.get("detail"))

    outcome = run_child(child_command(request), timeout_s=timeout_s, env=_child_env(offline), on_event=on_event)
    report = outcome.result or {}
    error = outcome_error(outcome, limit_s)  # the limit the user set, not the part of it left
    if error is None and not report.get("ok"):
        raw = report.get("error") or {}
        try:
            error = SmokeError.model_validate(raw)
        except ValueError:
            error = SmokeError(code="failed", message=scrub_secrets(str(raw))[:1000])
        if error.code == "failed" and outcome.stderr_tail.strip():
            error.message += f"\n{_tail(outcome.stderr_tail)}"
    ok = error is None
    verdict: Verdict = "fits" if ok else "does-not-fit" if error and error.code == "out-of-memory" else "could-not-run"
    result = SmokeResult(
        ok=ok,
        verdict=verdict,
        error=error,
        model=model,
        revision=revision,
        model_path=report.get("model_path"),
        device=report.get("device"),
        quantization=report.get("quantization") or quantization,
        load_seconds=report.get("load_seconds"),
        time_to_first_token_s=report.get("time_to_first_token_s"),
        tokens_per_second=report.get("tokens_per_second"),
        prompt_tokens=report.get("prompt_tokens"),
        new_tokens=report.get("new_tokens"),
        runs=report.get("runs"),
        peak_memory_bytes=report.get("peak_memory_bytes"),
        load_peak_memory_bytes=report.get("load_peak_memory_bytes"),
        generation_peak_memory_bytes=report.get("generation_peak_memory_bytes"),
        memory_per_device=report.get("memory_per_device") or {},
        baseline_memory_bytes=report.get("baseline_memory_bytes"),
        peak_rss_bytes=report.get("peak_rss_bytes"),
        memory_measure=report.get("memory_measure"),
        generated_text=report.get("generated_text"),
        generated_token_ids=report.get("generated_token_ids") or [],
        notes=[scrub_secrets(str(n)) for n in report.get("notes") or []],
        seconds=outcome.seconds,
    )
    if result.verdict != "could-not-run":
        _compare(result, report, estimate, max_new_tokens)
    return result


# ---------------------------------------------------------------------------------------------
# Measured against estimated


def _compare(result: SmokeResult, report: dict[str, Any], estimate: Any, max_new_tokens: int) -> None:
    """Fill the estimate fields and the ratio, saying what was compared with what."""
    total, overhead = _estimate_parts(estimate)
    if total is None:
        total, overhead = _ask_estimator(result, report, max_new_tokens)
    if total is None:
        return
    result.estimate_bytes = total
    if result.peak_memory_bytes is None:
        return
    on_gpu = "cuda" in (result.device or "")
    if on_gpu:
        measured, estimated = result.peak_memory_bytes, total
        result.comparison = f"GPU peak ({result.memory_measure}) against the whole estimate"
    else:
        baseline = result.baseline_memory_bytes or 0
        measured = max(0, result.peak_memory_bytes - baseline)
        estimated = total - (overhead or 0)
        result.comparison = (
            "CPU: peak RSS minus the RSS before loading the weights (interpreter, torch, transformers, "
            "tokenizer) against the estimate minus its GPU runtime overhead"
            + (" (the estimate gave no breakdown to remove it from)" if overhead is None else "")
        )
    if not result.ok:
        result.comparison += "; the run stopped at the out-of-memory, so the measured side is a lower bound"
    if estimated > 0:
        result.compared_measured_bytes = int(measured)
        result.compared_estimate_bytes = int(estimated)
        result.measured_over_estimated = measured / estimated


def _estimate_parts(estimate: Any) -> tuple[int | None, int | None]:
    """(total, runtime overhead) from bytes, a MemoryEstimate-like object, or its dict form."""
    if estimate is None:
        return None, None
    if isinstance(estimate, (int, float)):
        return int(estimate), None
    if isinstance(estimate, dict):
        total = estimate.get("total_bytes")
        breakdown = estimate.get("breakdown") or {}
    else:
        total = getattr(estimate, "total_bytes", None)
        breakdown = getattr(estimate, "breakdown", None) or {}
    if not isinstance(breakdown, dict):
        breakdown = getattr(breakdown, "__dict__", {}) or {}
    overhead = breakdown.get("overhead")
    return (int(total) if total is not None else None), (int(overhead) if overhead is not None else None)


def _ask_estimator(result: SmokeResult, report: dict[str, Any], max_new_tokens: int) -> tuple[int | None, int | None]:
    """advisor.estimate_memory for what actually ran: its config, quantization and context length."""
    from advisor.errors import AdvisorError
    from advisor.memory import estimate_memory

    source: Any = result.model_path if result.model_path and os.path.isdir(result.model_path) else report.get("config")
    if source is None:
        return None, None
    on_gpu = "cuda" in (result.device or "")
    try:
        # Prompt and new tokens apart, and the device, so a CPU run is estimated without a CUDA context.
        estimate = estimate_memory(
            source,
            quantization=result.quantization or "bf16",
            context_tokens=max(1, result.prompt_tokens or 0),
            max_new_tokens=max_new_tokens,
            batch_size=1,
            mode="inference",
            device="gpu" if on_gpu else "cpu",
        )
    except AdvisorError as exc:  # an architecture or format the estimator does not know: said, not fatal
        result.notes.append(f"no estimate: {scrub_secrets(str(exc))[:200]}")
        return None, None
    return _estimate_parts(estimate)
