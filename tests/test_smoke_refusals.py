"""Smoke test: refused before any download, exit codes as the README says, a child that cannot outlive its parent.

The Hub is faked at huggingface_hub's functions (hf_hub_download, HfApi.model_info with file
metadata, snapshot_download), raising the library's own error classes; everything above them is
the real child code (advisor.smoke.child.run) with the real torch and transformers of this machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from advisor.cli import main
from advisor.smoke import runner as smoke
from advisor.smoke.child import SmokeFailure, _describe, run, runs_quantization, scrub_secrets
from tests.test_hub import gated_error
from tests.test_smoke import FAKE_TOKEN, fake_child, ok_result, wait_gone
from tests.tiny_models import TINY_LLAMA

REPO = "acme-lab/tiny-llama"


class Recorder:
    """Stands in for the child's protocol channel: keeps the progress steps."""

    def __init__(self) -> None:
        self.steps: list[str] = []

    def progress(self, step: str, detail: str | None = None) -> None:
        self.steps.append(step)

    def send(self, event: dict[str, Any]) -> None:  # pragma: no cover - run() only reports progress
        pass


class Downloaded(Exception):
    """Raised by the fake snapshot_download: the point past every refusal was reached."""


class Hub:
    """A fake Hub repo: files with sizes; records every call."""

    def __init__(self, root: Path, files: dict[str, Any], sizes: dict[str, int] | None = None) -> None:
        self.root, self.files, self.sizes = root, files, sizes or {}
        self.calls: list[tuple[str, str]] = []
        self.fail: BaseException | None = None

    def hf_hub_download(self, repo_id: str, filename: str, **kwargs: Any) -> str:
        self.calls.append(("hf_hub_download", filename))
        if self.fail is not None:
            raise self.fail
        target = self.root / "snapshots" / "abc" / filename
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(self.files[filename]))
        return str(target)

    def model_info(self, repo_id: str, **kwargs: Any) -> Any:
        from huggingface_hub import ModelInfo

        self.calls.append(("model_info", repo_id))
        assert kwargs.get("files_metadata") is True
        return ModelInfo(
            id=repo_id, siblings=[{"rfilename": name, "size": self.sizes.get(name, 1000)} for name in self.files]
        )

    def snapshot_download(self, repo_id: str, **kwargs: Any) -> str:
        self.calls.append(("snapshot_download", repo_id))
        raise Downloaded


@pytest.fixture
def fake_hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Hub:
    import huggingface_hub
    from huggingface_hub import HfApi, constants

    hub = Hub(tmp_path / "hub", {"config.json": TINY_LLAMA, "model.safetensors": {}, "tokenizer.json": {}})
    monkeypatch.setattr(huggingface_hub, "hf_hub_download", hub.hf_hub_download)
    monkeypatch.setattr(huggingface_hub, "snapshot_download", hub.snapshot_download)
    monkeypatch.setattr(HfApi, "model_info", lambda self, repo_id, **kw: hub.model_info(repo_id, **kw))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    return hub


def child_run(model: str = REPO, **request: Any) -> dict[str, Any]:
    report: dict[str, Any] = {"notes": []}
    run({"model": model, "device": "auto", **request}, Recorder(), report)  # type: ignore[arg-type]
    return report


def refused(code: str, **request: Any) -> SmokeFailure:
    with pytest.raises(SmokeFailure) as caught:
        child_run(**request)
    assert caught.value.code == code, caught.value.message
    return caught.value


def downloads(hub: Hub) -> int:
    return sum(call == "snapshot_download" for call, _ in hub.calls)


# -------------------------------------------------------------------------------------------------
# Refusals before the download


def test_a_model_that_passes_every_check_is_downloaded(fake_hub: Hub) -> None:
    with pytest.raises(Downloaded):
        child_run(quantization="bf16")
    assert downloads(fake_hub) == 1  # the refusals below are what stops it, not the fake


def test_gguf_is_refused_before_the_hub_is_asked(fake_hub: Hub) -> None:
    refused("unsupported-quantization", quantization="gguf-q2_k")
    assert fake_hub.calls == []


def test_an_unknown_quantization_is_refused_before_the_hub_is_asked(fake_hub: Hub) -> None:
    failure = refused("unsupported-quantization", quantization="int3-magic")
    assert "known: fp32" in failure.message and fake_hub.calls == []


def test_nf4_without_cuda_is_refused_before_the_download(fake_hub: Hub) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    refused("cuda-required", quantization="nf4")
    assert downloads(fake_hub) == 0


def test_gptq_of_an_unquantized_checkpoint_is_refused_before_the_download(fake_hub: Hub) -> None:
    refused("unsupported-quantization", quantization="gptq-int4")
    assert downloads(fake_hub) == 0


def test_a_missing_extra_is_refused_before_the_hub_is_asked(fake_hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "transformers", None)  # `import transformers` raises ImportError
    failure = refused("missing-dependency")
    assert failure.hint == 'pip install "llm-advisor[smoke]"'
    assert fake_hub.calls == []


def test_a_gated_repo_is_refused_before_the_download(fake_hub: Hub) -> None:
    fake_hub.fail = gated_error(REPO)
    refused("gated-needs-token")
    assert downloads(fake_hub) == 0


def test_remote_code_in_the_tokenizer_config_is_refused_before_the_download(fake_hub: Hub) -> None:
    fake_hub.files["tokenizer_config.json"] = {"auto_map": {"AutoTokenizer": ["tok.TinyTok", None]}}
    refused("needs-remote-code")
    assert ("hf_hub_download", "tokenizer_config.json") in fake_hub.calls and downloads(fake_hub) == 0


def test_a_pickle_only_repo_is_refused_before_the_download(fake_hub: Hub) -> None:
    del fake_hub.files["model.safetensors"]
    fake_hub.files["pytorch_model.bin"] = {}
    refused("bin-weights-only")
    assert downloads(fake_hub) == 0


def test_a_download_larger_than_the_free_disk_is_refused(fake_hub: Hub, tmp_path: Path) -> None:
    import shutil

    free = shutil.disk_usage(tmp_path).free
    fake_hub.sizes["model.safetensors"] = free  # plus the 1 GiB margin: does not fit
    failure = refused("disk-space")
    assert "nothing was downloaded" in failure.message and downloads(fake_hub) == 0


def test_a_download_within_the_free_disk_goes_ahead(fake_hub: Hub, tmp_path: Path) -> None:
    import shutil

    from advisor.smoke.child import DISK_MARGIN_BYTES

    fake_hub.sizes["model.safetensors"] = shutil.disk_usage(tmp_path).free - DISK_MARGIN_BYTES - 2**26
    with pytest.raises(Downloaded):
        child_run()


def test_an_implausible_config_is_refused_before_the_download(fake_hub: Hub) -> None:
    fake_hub.files["config.json"] = {**TINY_LLAMA, "num_attention_heads": 0}
    failure = refused("invalid-model")
    assert "num_attention_heads" in failure.message and downloads(fake_hub) == 0


# -------------------------------------------------------------------------------------------------
# Which quantizations the smoke test runs (what the report may suggest)


@pytest.mark.parametrize(
    ("name", "cuda", "checkpoint", "expected"),
    [
        ("bf16", False, None, True),
        ("fp32", False, None, True),
        ("fp16", True, None, True),
        ("nf4", False, None, False),
        ("nf4", True, None, True),
        ("int8", True, None, True),
        ("gptq-int4", True, None, False),
        ("gptq-int4", True, "gptq-int4", True),
        ("awq-int4", True, "gptq-int4", False),
        ("gguf-q2_k", True, None, False),
        ("gguf-q4_k_m", False, None, False),
        ("mystery", True, None, False),
    ],
)
def test_runs_quantization(name: str, cuda: bool, checkpoint: str | None, expected: bool) -> None:
    assert smoke.runs_quantization(name, cuda=cuda, checkpoint_quantization=checkpoint) is expected
    assert runs_quantization is smoke.runs_quantization


# -------------------------------------------------------------------------------------------------
# Exit codes and the CLI


def _result(code: str | None, model: str = REPO) -> smoke.SmokeResult:
    error = None if code is None else smoke.SmokeError(code=code, message="m")
    return smoke.SmokeResult(
        ok=code is None, verdict="fits" if code is None else "could-not-run", error=error, model=model
    )


@pytest.mark.parametrize(
    ("code", "model", "expected"),
    [
        (None, REPO, 0),
        ("gated-needs-token", REPO, 4),
        ("offline-not-cached", REPO, 4),
        ("hub-error", REPO, 4),
        ("not-found", REPO, 4),
        ("not-found", "/no/such/folder", 3),
        ("not-found", "./x", 3),
        ("invalid-model", REPO, 3),
        ("out-of-memory", REPO, 5),
        ("timeout", REPO, 5),
        ("crashed", REPO, 5),
        ("cuda-required", REPO, 5),
        ("unsupported-quantization", REPO, 5),
        ("disk-space", REPO, 5),
        ("missing-dependency", REPO, 5),
    ],
)
def test_exit_codes(code: str | None, model: str, expected: int) -> None:
    assert smoke.exit_code(_result(code, model)) == expected


def test_a_missing_folder_exits_3_through_the_real_child(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["smoke", str(tmp_path / "no-such-model")])
    out, err = capsys.readouterr()
    assert code == 3 and "no such directory" in out


def test_an_unreachable_hub_exits_4(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    fake_child(
        monkeypatch,
        """
        emit({"event": "result", "ok": False, "error": {"code": "offline-not-cached",
              "message": "acme-lab/tiny-llama: the Hub could not be reached", "hint": None}})
        """,
    )
    assert main(["smoke", REPO]) == 4


def test_the_install_hint_keeps_its_brackets(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_child(
        monkeypatch,
        """
        emit({"event": "result", "ok": False, "error": {"code": "missing-dependency",
              "message": "the smoke test needs torch and transformers", "hint": 'pip install "llm-advisor[smoke]"'}})
        """,
    )
    code = main(["smoke", REPO])
    out, _ = capsys.readouterr()
    assert code == 5 and 'pip install "llm-advisor[smoke]"' in out


def test_a_local_catalog_id_loads_its_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from advisor.catalog import clear_cache
    from tests.test_user_catalog import tiny_dir

    monkeypatch.setenv("ADVISOR_USER_CATALOG", str(tmp_path / "user.yaml"))
    clear_cache()
    folder = tiny_dir(tmp_path / "tiny")
    assert main(["catalog", "add", str(folder)]) == 0
    capsys.readouterr()
    seen = tmp_path / "seen"
    fake_child(
        monkeypatch,
        f"""
        open({str(seen)!r}, "w").write(request["model"])
        emit(json.loads({ok_result()!r}))
        """,
    )
    result = smoke.smoke_test("local/tiny", timeout_s=60)
    assert seen.read_text() == str(folder.resolve()) and result.ok
    assert any("local/tiny is the folder" in note for note in result.notes)
    clear_cache()


# -------------------------------------------------------------------------------------------------
# The child's lifetime


def _orphan_script(use_prctl: bool, deadline: float | None) -> str:
    """A parent that starts a guarded child, prints its pid, then waits to be killed."""
    child = textwrap.dedent(f"""
        import os, sys, time
        from advisor.smoke.child import guard_lifetime
        guard_lifetime(int(sys.argv[1]), {deadline!r}, use_prctl={use_prctl!r})
        print("armed", flush=True)
        time.sleep(120)
        """)
    return textwrap.dedent(f"""
        import os, subprocess, sys, time
        child = subprocess.Popen([sys.executable, "-c", {child!r}, str(os.getpid())], stdout=subprocess.PIPE,
                                 start_new_session=True)
        child.stdout.readline()
        print(child.pid, flush=True)
        time.sleep(120)
        """)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="process states read from /proc")
@pytest.mark.parametrize("use_prctl", [True, False], ids=["parent-death-signal", "parent-pid-watchdog"])
def test_the_child_ends_when_its_parent_is_killed(use_prctl: bool) -> None:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    parent = subprocess.Popen(
        [sys.executable, "-c", _orphan_script(use_prctl, None)], stdout=subprocess.PIPE, env=env, text=True
    )
    assert parent.stdout is not None
    child_pid = int(parent.stdout.readline())
    time.sleep(0.2)
    assert not wait_gone(child_pid, attempts=1)  # alive while its parent is
    parent.terminate()  # SIGTERM, as a closed terminal or a service manager sends
    parent.wait(timeout=30)
    assert wait_gone(child_pid, attempts=80), "the child outlived its parent"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="process states read from /proc")
def test_the_child_ends_at_its_own_deadline() -> None:
    started = time.monotonic()
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import time\nfrom advisor.smoke.child import guard_lifetime\nguard_lifetime(None, 1.0)\ntime.sleep(60)",
        ],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == -9 and time.monotonic() - started < 30


def test_the_request_carries_the_parent_and_a_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[dict[str, Any]] = []
    monkeypatch.setattr(smoke, "child_command", lambda request: seen.append(request) or [sys.executable, "-c", ""])
    smoke.smoke_test(REPO, timeout_s=30)
    assert seen[0]["parent_pid"] == os.getpid()
    assert 30 < seen[0]["deadline_s"] <= 30 + smoke.CHILD_GRACE_S


# -------------------------------------------------------------------------------------------------
# Secrets are masked before anything is cut


def test_a_token_across_the_cut_of_an_error_is_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    for cut_at in (280, 295, 300, 310):  # the token starts before, at and after the 300-character cut
        message = "x" * cut_at + FAKE_TOKEN + " out of memory"
        error = _describe(RuntimeError(message), {"model": REPO}, {})
        assert FAKE_TOKEN[:12] not in error["message"] and FAKE_TOKEN[-8:] not in error["message"]


def test_a_token_across_the_start_of_the_stderr_tail_is_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "s3cret-" + "Q" * 40
    monkeypatch.setenv("HF_TOKEN", secret)
    for token in (FAKE_TOKEN, secret):
        for overlap in (5, 20, len(token) - 3):
            text = "noise\n" * 10 + token + "\n" + "y" * (100 - overlap)
            # 101 characters kept: cut raw, the window would start with the token's last `overlap`
            raw_window = text[-101:]
            assert raw_window.startswith(token[-overlap:]) and scrub_secrets(raw_window) == raw_window
            tail = smoke.scrubbed_tail(text, 101)
            assert token[-overlap:] not in tail and tail.endswith("y" * (100 - overlap))
    on_one_line = "z" + FAKE_TOKEN + "tail"
    assert FAKE_TOKEN[-6:] not in smoke.scrubbed_tail(on_one_line, 10)
    assert smoke.scrubbed_tail("short " + FAKE_TOKEN, 1000) == "short hf_****"
    assert scrub_secrets(secret) == "hf_****"


def test_the_child_kills_its_group_when_the_parent_is_already_gone() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from advisor.smoke.child import guard_lifetime\n"
            "guard_lifetime(1, None, use_prctl=False)\nprint('survived')",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == -9 and "survived" not in done.stdout
