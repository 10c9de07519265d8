"""Smoke test: the parent side and the child's refusals, without loading torch.

Fake children (a few lines of python run as the child command) stand in for hangs, crashes and
garbage; the real child is used where its refusals happen before torch is imported, so these tests
stay fast. The real generation with a tiny model is in test_smoke_model.py.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import types
from pathlib import Path
from typing import Any

import pytest

from advisor.repo_ids import is_valid_repo_id
from advisor.smoke import runner as smoke
from advisor.smoke.child import (
    MARKER,
    SmokeFailure,
    check_weight_files,
    classify_hub_error,
    is_out_of_memory,
    scrub_secrets,
)
from tests.tiny_models import (
    save_bin_only_model,
    save_remote_code_model,
    write_config,
    write_safetensors_header_only,
)

FAKE_TOKEN = "hf_" + "AbCdEfGhIjKlMnOpQrStUvWxYz0123"


def fake_child(monkeypatch: pytest.MonkeyPatch, body: str) -> None:
    """Make smoke_test run ``body`` as its child; ``request`` and ``emit(event)`` are predefined."""
    prelude = textwrap.dedent(
        f"""
        import json, os, signal, subprocess, sys, time
        request = json.loads(sys.argv[1])
        def emit(event):
            sys.stdout.write({MARKER!r} + json.dumps(event) + "\\n")
            sys.stdout.flush()
        """
    )
    code = prelude + textwrap.dedent(body)
    monkeypatch.setattr(smoke, "child_command", lambda request: [sys.executable, "-c", code, json.dumps(request)])


def ok_result(**fields: Any) -> str:
    base = {"event": "result", "ok": True, "error": None, "device": "cpu", "quantization": "bf16"}
    base.update(fields)
    return json.dumps(base)


def is_gone(pid: int) -> bool:
    """True once ``pid`` has exited (a zombie waiting for init to reap it counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


def wait_gone(pid: int, attempts: int = 50) -> bool:
    for _ in range(attempts):
        if is_gone(pid):
            return True
        time.sleep(0.1)
    return False


# -------------------------------------------------------------------------------------------------
# The import contract


def test_importing_smoke_loads_no_ml_library() -> None:
    code = (
        "import sys, advisor.smoke.runner, advisor.smoke.child, advisor.commands.smoke;"
        "bad = [m for m in ('torch', 'transformers', 'accelerate') if m in sys.modules];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


# -------------------------------------------------------------------------------------------------
# Children that misbehave


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="process states read from /proc")
def test_hang_times_out_and_the_whole_process_group_is_killed(monkeypatch, tmp_path) -> None:
    pids = tmp_path / "pids"
    fake_child(
        monkeypatch,
        f"""
        helper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
        open({str(pids)!r}, "w").write(f"{{os.getpid()}} {{helper.pid}}")
        emit({{"event": "progress", "step": "load", "detail": "bf16"}})
        time.sleep(300)
        """,
    )
    steps: list[str] = []
    result = smoke.smoke_test("org/model", timeout_s=3, progress=lambda step, detail: steps.append(step))
    assert result.verdict == "could-not-run"
    assert result.error is not None and result.error.code == "timeout"
    # The limit the user set, not the part of it left when the child started ("2.99999 s").
    assert "did not finish within 3 s;" in result.error.message
    assert steps == ["load"]
    child_pid, helper_pid = (int(p) for p in pids.read_text().split())
    assert wait_gone(child_pid)
    assert wait_gone(helper_pid), "the helper the child started outlived the timeout"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="process states read from /proc")
def test_raising_from_progress_stops_the_test_and_kills_the_child(monkeypatch, tmp_path) -> None:
    pid_file = tmp_path / "pid"
    fake_child(
        monkeypatch,
        f"""
        open({str(pid_file)!r}, "w").write(str(os.getpid()))
        emit({{"event": "progress", "step": "load", "detail": "bf16"}})
        time.sleep(300)
        """,
    )

    class Stop(Exception):
        pass

    def progress(step: str, detail: Any) -> None:
        raise Stop

    with pytest.raises(Stop):
        smoke.smoke_test("org/model", timeout_s=120, progress=progress)
    assert wait_gone(int(pid_file.read_text()))


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGSEGV])
def test_child_killed_by_a_signal_is_reported_as_crashed_with_the_signal_named(monkeypatch, sig) -> None:
    fake_child(
        monkeypatch,
        f"""
        emit({{"event": "progress", "step": "load", "detail": "bf16"}})
        sys.stderr.write("loading shard 1 of 4\\n"); sys.stderr.flush()
        os.kill(os.getpid(), {int(sig)})
        """,
    )
    result = smoke.smoke_test("org/model", timeout_s=60)
    assert result.verdict == "could-not-run"
    assert result.error is not None and result.error.code == "crashed"
    assert sig.name in result.error.message
    assert "loading shard 1 of 4" in result.error.message  # the stderr tail explains what it was doing
    if sig == signal.SIGKILL:
        assert "out-of-memory killer" in result.error.message


def test_garbage_and_no_result_is_crashed_and_tokens_never_leak(monkeypatch) -> None:
    monkeypatch.setenv("HF_TOKEN", "plain-secret-value-42")
    fake_child(
        monkeypatch,
        f"""
        print("some library printed this on stdout {FAKE_TOKEN}")
        print({MARKER!r} + "{{not json")
        sys.stderr.write("error with " + os.environ["HF_TOKEN"] + " and {FAKE_TOKEN}\\n")
        sys.stderr.write("x" * 200000 + "\\n")
        sys.exit(3)
        """,
    )
    result = smoke.smoke_test("org/model", timeout_s=60)
    assert result.error is not None and result.error.code == "crashed"
    assert "code 3" in result.error.message
    dumped = result.model_dump_json()
    assert FAKE_TOKEN not in dumped
    assert "plain-secret-value-42" not in dumped
    assert "some library printed this" in dumped  # the garbage is quoted, scrubbed
    assert len(result.error.message) < 20000  # a megabyte of noise is not copied whole


def test_the_token_is_never_put_on_the_child_command_line(monkeypatch) -> None:
    monkeypatch.setenv("HF_TOKEN", FAKE_TOKEN)
    argv = smoke.child_command({"model": "org/model", "quantization": None})
    assert FAKE_TOKEN not in " ".join(argv)
    assert smoke._child_env(offline=None)["HF_TOKEN"] == FAKE_TOKEN  # it reaches the child by env only


def test_offline_flag_sets_the_variable_before_the_child_starts(monkeypatch) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    assert smoke._child_env(offline=True)["HF_HUB_OFFLINE"] == "1"
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert "HF_HUB_OFFLINE" not in smoke._child_env(offline=False)
    assert smoke._child_env(offline=None)["HF_HUB_OFFLINE"] == "1"


def test_progress_events_are_relayed_and_the_result_parsed(monkeypatch) -> None:
    fake_child(
        monkeypatch,
        f"""
        for step in ("resolve", "load", "warm-up", "generate"):
            emit({{"event": "progress", "step": step, "detail": None}})
        print("noise between events")
        print({MARKER!r} + {ok_result(peak_memory_bytes=10, tokens_per_second=5.0, generated_text="hi")!r})
        """,
    )
    steps: list[str] = []
    result = smoke.smoke_test("org/model", progress=lambda step, detail: steps.append(step))
    assert steps == ["resolve", "load", "warm-up", "generate"]
    assert result.ok and result.verdict == "fits"
    assert (result.tokens_per_second, result.generated_text) == (5.0, "hi")
    assert [a.verdict for a in result.attempts] == ["fits"]


def test_a_child_reporting_out_of_memory_means_does_not_fit(monkeypatch) -> None:
    error = {"code": "out-of-memory", "message": "out of memory", "hint": None}
    fake_child(monkeypatch, f"print({MARKER!r} + {ok_result(ok=False, error=error)!r})")
    result = smoke.smoke_test("org/model")
    assert (result.ok, result.verdict, result.error.code) == (False, "does-not-fit", "out-of-memory")


# -------------------------------------------------------------------------------------------------
# Fallback down the quantization ladder


FALLBACK_CHILD = f"""
q = request["quantization"] or "bf16"
if q in request["model"].split(","):
    error = {{"code": "out-of-memory", "message": "CUDA out of memory", "hint": None}}
    result = {{"event": "result", "ok": False, "error": error, "quantization": q, "device": "cuda:0"}}
else:
    result = {{"event": "result", "ok": True, "error": None, "quantization": q, "device": "cuda:0",
              "peak_memory_bytes": 1000}}
print({MARKER!r} + json.dumps(result))
"""


def test_fallback_walks_down_until_a_quantization_fits(monkeypatch) -> None:
    fake_child(monkeypatch, FALLBACK_CHILD)
    steps: list[tuple[str, Any]] = []
    result = smoke.smoke_test("bf16,int8", fallback=True, progress=lambda s, d: steps.append((s, d)))
    # The ladder of data/quantizations.yaml, kept to what transformers makes from plain weights:
    # bf16, int8, then nf4-dq (the smaller of the two NF4 forms at equal quality).
    assert result.verdict == "fits" and result.quantization == "nf4-dq"
    assert [(a.quantization, a.verdict) for a in result.attempts] == [
        ("bf16", "does-not-fit"),
        ("int8", "does-not-fit"),
        ("nf4-dq", "fits"),
    ]
    assert ("fallback", "int8") in steps and ("fallback", "nf4-dq") in steps


def test_without_fallback_one_out_of_memory_ends_the_run(monkeypatch) -> None:
    fake_child(monkeypatch, FALLBACK_CHILD)
    result = smoke.smoke_test("bf16", fallback=False)
    assert result.verdict == "does-not-fit" and len(result.attempts) == 1


def test_fallback_ends_with_does_not_fit_when_the_ladder_is_exhausted(monkeypatch) -> None:
    fake_child(monkeypatch, FALLBACK_CHILD)
    result = smoke.smoke_test("bf16,int8,nf4-dq", fallback=True)
    assert result.verdict == "does-not-fit"
    assert [a.quantization for a in result.attempts] == ["bf16", "int8", "nf4-dq"]
    assert any("no smaller quantization" in note for note in result.notes)


def test_on_cpu_the_ladder_skips_formats_that_need_cuda() -> None:
    assert smoke.next_quantization("fp32", cuda=False) == "bf16"
    assert smoke.next_quantization("bf16", cuda=False) is None
    assert smoke.next_quantization("fp16", cuda=True) == "int8"
    assert smoke.next_quantization("nf4", cuda=True) is None


def test_with_the_project_ladder_each_retry_is_smaller() -> None:
    seen = ["bf16"]
    while (following := smoke.next_quantization(seen[-1], cuda=True)) is not None:
        seen.append(following)
    assert seen[:2] == ["bf16", "int8"]  # never fp16 (as big as bf16) nor a pre-quantized format
    assert seen[-1] in ("nf4", "nf4-dq")
    assert smoke.next_quantization("bf16", cuda=False) is None


# -------------------------------------------------------------------------------------------------
# Measured against estimated


def test_cpu_ratio_compares_what_the_weights_added_with_the_estimate_minus_gpu_overhead(monkeypatch) -> None:
    mib = 2**20
    fake_child(
        monkeypatch,
        f"print({MARKER!r} + {ok_result(peak_memory_bytes=300 * mib, baseline_memory_bytes=200 * mib)!r})",
    )
    estimate = {"total_bytes": 150 * mib, "breakdown": {"weights": 90 * mib, "overhead": 50 * mib}}
    result = smoke.smoke_test("org/model", estimate=estimate)
    assert result.estimate_bytes == 150 * mib
    assert (result.compared_measured_bytes, result.compared_estimate_bytes) == (100 * mib, 100 * mib)
    assert result.measured_over_estimated == pytest.approx(1.0)
    assert "CPU" in result.comparison and "overhead" in result.comparison


def test_gpu_ratio_compares_the_gpu_peak_with_the_whole_estimate(monkeypatch) -> None:
    report = ok_result(device="cuda:0", peak_memory_bytes=3000, baseline_memory_bytes=500)
    fake_child(monkeypatch, f"print({MARKER!r} + {report!r})")
    result = smoke.smoke_test("org/model", estimate=2000)
    assert result.measured_over_estimated == pytest.approx(1.5)
    assert result.comparison.startswith("GPU")


def test_the_estimator_is_asked_for_what_actually_ran(monkeypatch) -> None:
    calls: list[tuple[Any, dict[str, Any]]] = []

    def estimate_memory(model: Any, **kwargs: Any) -> Any:
        calls.append((model, kwargs))
        return types.SimpleNamespace(total_bytes=4000, breakdown={"overhead": 1000})

    monkeypatch.setitem(sys.modules, "advisor.memory", types.SimpleNamespace(estimate_memory=estimate_memory))
    config = {"model_type": "llama", "hidden_size": 64}
    report = ok_result(device="cuda:0", quantization="nf4", config=config, prompt_tokens=20, peak_memory_bytes=5000)
    fake_child(monkeypatch, f"print({MARKER!r} + {report!r})")
    result = smoke.smoke_test("org/model", quantization="nf4", max_new_tokens=12)
    assert calls == [
        (
            config,
            {
                "quantization": "nf4",
                "batch_size": 1,
                "mode": "inference",
                "context_tokens": 20,
                "max_new_tokens": 12,
                "device": "gpu",
            },
        )
    ]
    assert result.measured_over_estimated == pytest.approx(1.25)


def test_an_architecture_the_estimator_refuses_means_no_ratio_and_a_note(monkeypatch) -> None:
    import advisor.memory
    from advisor.errors import InputError

    def refuses(*args: Any, **kwargs: Any) -> None:
        raise InputError("unknown model_type 'exotic'", field="model_type")

    monkeypatch.setattr(advisor.memory, "estimate_memory", refuses)
    fake_child(monkeypatch, f"print({MARKER!r} + {ok_result(peak_memory_bytes=10, config={'a': 1})!r})")
    result = smoke.smoke_test("org/model")
    assert result.ok and result.measured_over_estimated is None
    assert any("no estimate" in note and "exotic" in note for note in result.notes)


def test_a_bug_in_the_estimator_is_not_hidden(monkeypatch) -> None:
    """Only the estimator's own refusals become a note; anything else is a bug and surfaces."""
    import advisor.memory

    def broken(*args: Any, **kwargs: Any) -> None:
        raise KeyError("hidden_size")

    monkeypatch.setattr(advisor.memory, "estimate_memory", broken)
    fake_child(monkeypatch, f"print({MARKER!r} + {ok_result(peak_memory_bytes=10, config={'a': 1})!r})")
    with pytest.raises(KeyError):
        smoke.smoke_test("org/model")


# -------------------------------------------------------------------------------------------------
# Refusals by the real child (before torch is imported)


def test_bin_only_directory_is_refused_and_the_pickle_never_opened(tmp_path) -> None:
    marker = tmp_path / "unpickled"
    model = save_bin_only_model(tmp_path / "model", marker=marker)
    result = smoke.smoke_test(model, timeout_s=120)
    assert result.verdict == "could-not-run"
    assert result.error.code == "bin-weights-only"
    assert "safetensors required" in result.error.message
    assert not marker.exists()


def test_remote_code_is_refused_and_never_runs(tmp_path) -> None:
    marker = tmp_path / "remote-code-ran"
    model = save_remote_code_model(tmp_path / "model", marker=marker)
    result = smoke.smoke_test(model, timeout_s=120)
    assert result.verdict == "could-not-run"
    assert result.error.code == "needs-remote-code"
    assert "remote code" in result.error.message and "modeling_tiny_custom" in result.error.message
    assert not marker.exists()


def test_remote_code_in_the_tokenizer_config_is_refused_too(tmp_path) -> None:
    model = write_config(tmp_path / "model")
    write_safetensors_header_only(model / "model.safetensors")
    (model / "tokenizer_config.json").write_text(json.dumps({"auto_map": {"AutoTokenizer": ["tok.Tok", None]}}))
    result = smoke.smoke_test(model, timeout_s=120)
    assert result.error.code == "needs-remote-code" and "tokenizer_config.json" in result.error.message


def test_hub_id_offline_and_not_cached(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.delenv("HUGGINGFACE_HUB_CACHE", raising=False)
    result = smoke.smoke_test("acme/never-downloaded-model", offline=True, timeout_s=120)
    assert result.verdict == "could-not-run"
    assert result.error.code == "offline-not-cached"
    assert "acme/never-downloaded-model" in result.error.message
    assert not (tmp_path / "hf" / "hub" / "models--acme--never-downloaded-model" / "blobs").exists()


def test_missing_directory_is_not_found(tmp_path) -> None:
    result = smoke.smoke_test(tmp_path / "nope" / "model", timeout_s=120)
    assert result.error.code == "not-found"


def test_directory_without_config_is_not_found(tmp_path) -> None:
    (tmp_path / "m").mkdir()
    result = smoke.smoke_test(tmp_path / "m", timeout_s=120)
    assert result.error.code == "not-found" and "config.json" in result.error.message


# -------------------------------------------------------------------------------------------------
# Child helpers, in process


def test_weight_files_need_safetensors() -> None:
    check_weight_files(["config.json", "model-00001-of-00002.safetensors"], "m")
    with pytest.raises(SmokeFailure) as refused:
        check_weight_files(["config.json", "pytorch_model.bin"], "m")
    assert refused.value.code == "bin-weights-only"
    with pytest.raises(SmokeFailure) as empty:
        check_weight_files(["config.json"], "m")
    assert empty.value.code == "not-found"


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Qwen/Qwen2.5-0.5B", True), ("gpt2", True), ("./model", False), ("/abs/path", False), ("a/b/c", False)],
)
def test_hub_ids_and_paths_are_told_apart(name: str, expected: bool) -> None:
    assert is_valid_repo_id(name, namespace_required=False) is expected


def test_scrub_masks_token_shapes_and_the_env_value(monkeypatch) -> None:
    monkeypatch.setenv("HF_TOKEN", "plain-secret-value-42")
    text = scrub_secrets(f"a {FAKE_TOKEN} b plain-secret-value-42 c")
    assert FAKE_TOKEN not in text and "plain-secret-value-42" not in text and text.startswith("a hf_****")


def test_out_of_memory_is_found_through_wrapped_exceptions() -> None:
    try:
        try:
            raise RuntimeError("[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: can't allocate memory")
        except RuntimeError as inner:
            raise ValueError("loading failed") from inner
    except ValueError as outer:
        assert is_out_of_memory(outer)
    assert is_out_of_memory(MemoryError())
    assert not is_out_of_memory(ValueError("shape mismatch"))


def _hub_error(kind: str) -> BaseException:
    import importlib

    from huggingface_hub import errors

    httpx = importlib.import_module(errors.Response.__module__.split(".")[0])
    response = httpx.Response(403, request=httpx.Request("GET", "https://huggingface.co/acme/m"))
    return getattr(errors, kind)("refused", response=response)


@pytest.mark.parametrize(
    ("kind", "code"),
    [("GatedRepoError", "gated-needs-token"), ("RepositoryNotFoundError", "not-found")],
)
def test_hub_errors_are_classified_even_when_transformers_wraps_them(kind: str, code: str) -> None:
    try:
        try:
            raise _hub_error(kind)
        except OSError as inner:
            raise OSError("You are trying to access a gated repo.") from inner
    except OSError as wrapped:
        failure = classify_hub_error(wrapped, "acme/m")
    assert failure is not None and failure.code == code


def test_offline_cache_miss_is_classified(monkeypatch) -> None:
    from huggingface_hub.errors import LocalEntryNotFoundError

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    failure = classify_hub_error(OSError("x").with_traceback(None), "acme/m")
    assert failure is None
    failure = classify_hub_error(LocalEntryNotFoundError("not cached"), "acme/m")
    assert failure is not None and failure.code == "offline-not-cached" and "HF_HUB_OFFLINE" in failure.message


# -------------------------------------------------------------------------------------------------
# The CLI verb


def test_cli_json_and_exit_code_zero_when_it_fits(monkeypatch, capsys) -> None:
    from advisor.cli import main

    fake_child(monkeypatch, f"print({MARKER!r} + {ok_result(peak_memory_bytes=10, generated_text='hi')!r})")
    code = main(["smoke", "org/model", "--json", "--max-new-tokens", "4"])
    out = capsys.readouterr().out
    assert code == 0
    assert json.loads(out)["verdict"] == "fits"


def test_cli_exit_code_five_and_a_table_when_it_does_not_fit(monkeypatch, capsys) -> None:
    from advisor.cli import main
    from advisor.errors import ExitCode

    error = {"code": "out-of-memory", "message": "out of memory", "hint": "try nf4"}
    fake_child(monkeypatch, f"print({MARKER!r} + {ok_result(ok=False, error=error)!r})")
    code = main(["smoke", "org/model", "--memory-limit", "512MiB"])
    out = capsys.readouterr().out
    assert code == ExitCode.SMOKE_FAILED == 5
    assert "does-not-fit" in out and "out-of-memory" in out and "try nf4" in out


def test_cli_passes_memory_limit_in_bytes(monkeypatch, capsys) -> None:
    from advisor.cli import main

    fake_child(
        monkeypatch,
        """
        emit({"event": "result", "ok": True, "error": None, "notes": [str(request["memory_limit_bytes"])]})
        """,
    )
    assert main(["smoke", "org/model", "--memory-limit", "1.5GiB", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["notes"][0] == str(int(1.5 * 2**30))


def test_cli_rejects_a_bad_size(capsys) -> None:
    from advisor.cli import main

    assert main(["smoke", "org/model", "--memory-limit", "lots"]) == 2
    assert "512MiB" in capsys.readouterr().err


def test_environment_is_left_alone(monkeypatch) -> None:
    # smoke_test must not change the caller's environment, offline or not.
    before = dict(os.environ)
    fake_child(monkeypatch, f"print({MARKER!r} + {ok_result()!r})")
    smoke.smoke_test("org/model", offline=True)
    assert dict(os.environ) == before
