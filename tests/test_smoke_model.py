"""Smoke test end to end: a real child loads a tiny random-weight Llama and generates, offline.

Each test starts a child that imports torch and transformers (a few seconds each), hence ``slow``;
they still run in CI. GPU tests are marked ``gpu`` and skipped without CUDA.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from advisor.smoke import runner as smoke
from tests.tiny_models import TINY_LLAMA, save_tiny_model

pytest.importorskip("torch")
pytest.importorskip("transformers")

pytestmark = pytest.mark.slow

MAX_NEW_TOKENS = 6


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_model(tmp_path_factory.mktemp("tiny") / "tiny-llama")


@pytest.fixture(scope="module")
def tiny_model_without_tokenizer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_model(tmp_path_factory.mktemp("tiny") / "no-tokenizer", with_tokenizer=False)


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No Hub at all: an empty cache and offline mode, as in CI."""
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture
def cuda() -> None:
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA GPU")


def test_tiny_model_fits_with_real_generation_and_measured_figures(tiny_model: Path, offline: None) -> None:
    result = smoke.smoke_test(tiny_model, max_new_tokens=MAX_NEW_TOKENS, device="cpu", timeout_s=300)
    assert result.error is None, result.error
    assert (result.ok, result.verdict, result.device, result.quantization) == (True, "fits", "cpu", "bf16")
    assert len(result.generated_token_ids) == result.new_tokens == MAX_NEW_TOKENS
    assert all(0 <= i < TINY_LLAMA["vocab_size"] for i in result.generated_token_ids)
    assert result.generated_text  # the tiny tokenizer decodes every id to a word
    assert "prompt: chat template" in result.notes
    assert result.prompt_tokens and result.prompt_tokens > 3
    assert result.peak_memory_bytes and result.peak_memory_bytes > 0
    assert result.baseline_memory_bytes and result.peak_memory_bytes >= result.baseline_memory_bytes
    assert result.tokens_per_second and result.tokens_per_second > 0
    assert result.time_to_first_token_s and result.time_to_first_token_s > 0
    assert result.load_seconds and result.load_seconds > 0
    assert result.model_path == str(tiny_model.resolve())
    assert result.memory_measure and "RSS" in result.memory_measure
    assert result.load_peak_memory_bytes and result.generation_peak_memory_bytes
    assert result.peak_memory_bytes == max(result.load_peak_memory_bytes, result.generation_peak_memory_bytes)
    if importlib.util.find_spec("advisor.memory") is not None:  # the estimator, once it has landed
        assert result.estimate_bytes and result.measured_over_estimated and result.measured_over_estimated > 0
        assert result.comparison and result.comparison.startswith("CPU")


def test_without_a_tokenizer_fixed_token_ids_are_fed(tiny_model_without_tokenizer: Path, offline: None) -> None:
    result = smoke.smoke_test(
        tiny_model_without_tokenizer, quantization="fp32", max_new_tokens=MAX_NEW_TOKENS, device="cpu"
    )
    assert result.ok, result.error
    assert result.quantization == "fp32"
    assert result.generated_text is None
    assert len(result.generated_token_ids) == MAX_NEW_TOKENS
    assert any("fixed token ids" in note for note in result.notes)


def test_under_a_memory_cap_the_verdict_is_does_not_fit_not_a_crash(tiny_model: Path, offline: None) -> None:
    result = smoke.smoke_test(tiny_model, memory_limit_bytes=1 << 20, device="cpu", timeout_s=300)
    assert result.verdict == "does-not-fit", result.error
    assert result.error is not None and result.error.code == "out-of-memory"
    assert result.peak_memory_bytes and result.peak_memory_bytes > 0  # measured up to the failure
    assert any("memory cap" in note for note in result.notes)


def test_bitsandbytes_formats_need_cuda(tiny_model: Path, offline: None) -> None:
    result = smoke.smoke_test(tiny_model, quantization="nf4", device="cpu")
    assert result.verdict == "could-not-run"
    assert result.error is not None and result.error.code == "cuda-required"


@pytest.mark.gpu
def test_tiny_model_on_gpu_bf16(tiny_model: Path, offline: None, cuda: None) -> None:
    result = smoke.smoke_test(tiny_model, quantization="bf16", max_new_tokens=MAX_NEW_TOKENS, device="cuda")
    assert result.ok, result.error
    assert result.device and result.device.startswith("cuda")
    assert result.memory_per_device and all(v > 0 for v in result.memory_per_device.values())
    assert result.tokens_per_second and result.tokens_per_second > 0


@pytest.mark.gpu
def test_tiny_model_on_gpu_nf4(tiny_model: Path, offline: None, cuda: None) -> None:
    pytest.importorskip("bitsandbytes")
    result = smoke.smoke_test(tiny_model, quantization="nf4", max_new_tokens=MAX_NEW_TOKENS, device="cuda")
    assert result.ok, result.error
    assert result.quantization == "nf4"
