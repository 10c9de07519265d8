"""Training choices of the memory estimate: precision, optimizer, attention, checkpointing, loss.

Each rule has a test that fails when the rule is removed or its constant changed; the defaults
keep what estimates said before the choices existed (mixed precision, AdamW, SDPA, checkpointing,
standard loss).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from advisor.errors import InputError
from advisor.memory import estimate_bytes
from advisor.memory.training_choices import KINDS, load_training_choices, trainer_setting
from advisor.sources.models import estimate_memory
from advisor.sources.models import resolve_architecture as architecture_for
from tests.memory_configs import LLAMA_31_8B, QWEN3_06B

# bert-large-uncased config.json (attention_probs_dropout_prob 0.1).
BERT_LARGE: dict[str, Any] = {
    "model_type": "bert",
    "hidden_size": 1024,
    "intermediate_size": 4096,
    "num_hidden_layers": 24,
    "num_attention_heads": 16,
    "vocab_size": 30522,
    "max_position_embeddings": 512,
    "type_vocab_size": 2,
    "attention_probs_dropout_prob": 0.1,
}


@pytest.mark.parametrize(
    ("precision", "optimizer", "per_param"),
    [
        ("mixed", "adamw", (2, 2, 12)),
        ("mixed", "adamw-8bit", (2, 2, 6)),
        ("mixed", "paged-adamw-8bit", (2, 2, 6)),
        ("bf16", "adamw", (2, 2, 4)),
        ("bf16", "adamw-8bit", (2, 2, 2)),
        ("bf16", "paged-adamw-8bit", (2, 2, 2)),
        ("fp32", "adamw", (4, 4, 8)),
        ("fp32", "adamw-8bit", (4, 4, 2)),
    ],
)
def test_full_fine_tuning_bytes_per_parameter(precision: str, optimizer: str, per_param: tuple[int, ...]) -> None:
    est = estimate_memory(LLAMA_31_8B, "bf16", 512, mode="full", precision=precision, optimizer=optimizer)
    p = est.total_params
    parts = (est.breakdown["weights"], est.breakdown["gradients"], est.breakdown["optimizer"])
    assert parts == tuple(b * p for b in per_param)
    assert est.training is not None and est.training["precision"] == precision
    assert est.training["optimizer"] == optimizer


def test_defaults_keep_the_previous_estimate() -> None:
    """Mixed precision for a 16-bit model, fp32 for an fp32 model, AdamW, SDPA, checkpointing, standard loss."""
    est = estimate_memory(LLAMA_31_8B, "bf16", 1024, mode="full")
    assert est.training == {
        "precision": "mixed", "optimizer": "adamw", "attention": "sdpa", "checkpointing": "on", "loss": "standard",
    }  # fmt: skip
    assert est.total_bytes == estimate_memory(LLAMA_31_8B, "bf16", 1024, mode="full", precision="mixed").total_bytes
    assert estimate_memory(BERT_LARGE, "fp32", 128, mode="full").training["precision"] == "fp32"
    assert estimate_memory(LLAMA_31_8B, "bf16", 1024).training is None  # inference


def test_fp32_training_keeps_32_bit_activations() -> None:
    arch = architecture_for(LLAMA_31_8B)
    f32 = estimate_bytes(arch, "bf16", 1024, mode="full", precision="fp32").details["layer_checkpoints"]
    mixed = estimate_bytes(arch, "bf16", 1024, mode="full", precision="mixed").details["layer_checkpoints"]
    assert f32 == 2 * mixed == arch.num_layers * 1024 * arch.hidden_size * 4


@pytest.mark.parametrize(("optimizer", "state_bytes"), [("adamw", 8), ("adamw-8bit", 2), ("paged-adamw-8bit", 2)])
def test_lora_adapter_optimizer_states(optimizer: str, state_bytes: int) -> None:
    est = estimate_memory(LLAMA_31_8B, "bf16", 512, mode="lora", optimizer=optimizer)
    assert est.breakdown["optimizer"] == est.trainable_params * state_bytes


def test_eager_attention_keeps_scores_softmax_and_dropout() -> None:
    """BERT-large, fp32, batch 4 x 512, no checkpointing: 24 layers x 4 x 16 heads x 512^2 scores, each
    kept as the softmax (4 bytes), the dropout mask (1) and the dropped-out copy (4)."""
    kw: dict[str, Any] = {"batch_size": 4, "mode": "full", "gradient_checkpointing": False}
    eager = estimate_memory(BERT_LARGE, "fp32", 512, flash_attention=False, **kw)
    sdpa = estimate_memory(BERT_LARGE, "fp32", 512, flash_attention=True, **kw)
    scores = 24 * 4 * 16 * 512 * 512 * (4 + 1 + 4)
    assert eager.breakdown["activations"] - sdpa.breakdown["activations"] == scores
    assert eager.details["attention_scores"] == scores and "attention_scores" not in sdpa.details
    assert eager.training is not None and eager.training["attention"] == "eager"
    # The published measurement (calibration.yaml F-bert-large-fp32): 14,949 MiB with nvidia-smi.
    assert 0.8 < eager.total_bytes / (14949 * 2**20) < 1.0


def test_eager_scores_without_dropout_in_16_bit() -> None:
    """A decoder without attention dropout keeps the fp32 softmax and its 16-bit copy: 6 bytes a score."""
    arch = architecture_for(LLAMA_31_8B)
    assert not arch.attention_dropout
    eager = estimate_bytes(arch, "bf16", 2048, mode="full", flash_attention=False, gradient_checkpointing=False)
    assert eager.details["attention_scores"] == arch.attention_layers * 32 * 2048 * 2048 * 6


def test_checkpointing_recomputes_one_layer_of_scores() -> None:
    arch = architecture_for(LLAMA_31_8B)
    on = estimate_bytes(arch, "bf16", 2048, mode="full", flash_attention=False, gradient_checkpointing=True)
    sdpa = estimate_bytes(arch, "bf16", 2048, mode="full", flash_attention=True, gradient_checkpointing=True)
    assert on.activations - sdpa.activations == 32 * 2048 * 2048 * 6  # one layer, recomputed


def test_gradient_checkpointing_keeps_one_hidden_state_per_layer() -> None:
    arch = architecture_for(LLAMA_31_8B)
    on = estimate_bytes(arch, "bf16", 2048, mode="lora", gradient_checkpointing=True).details
    off = estimate_bytes(arch, "bf16", 2048, mode="lora", gradient_checkpointing=False).details
    assert on["layer_checkpoints"] == 32 * 2048 * 4096 * 2
    assert on["recomputed_layer"] == 2048 * arch.train_act_elems * 2
    assert off["saved_activations"] == 32 * 2048 * arch.train_act_elems * 2


def test_chunked_loss_removes_the_full_vocabulary_logits() -> None:
    """Qwen3 at 4k tokens: 4096 x 151,936 fp32 logits with their gradients vs Liger's chunks."""
    arch = architecture_for(QWEN3_06B)
    standard = estimate_bytes(arch, "bf16", 4096, mode="lora").details["logits_and_loss"]
    chunked = estimate_bytes(arch, "bf16", 4096, mode="lora", loss="chunked").details["logits_and_loss"]
    chunk = 2 ** math.ceil(math.log2(math.ceil(4096 / math.ceil(151936 / 1024))))
    assert chunked == chunk * 151936 * 2 + 4096 * 1024 * 2
    assert standard > 40 * chunked
    est = estimate_memory(QWEN3_06B, "bf16", 4096, mode="lora", loss="chunked")
    assert est.training is not None and est.training["loss"] == "chunked"
    assert any("chunked" in line for line in est.assumptions)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"precision": "bf17"}, "precision"), ({"loss": "fused"}, "loss"), ({"optimizer": "sgd"}, "optimizer")],
)
def test_bad_training_choice_names_the_field(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as err:
        estimate_memory(LLAMA_31_8B, "bf16", 512, mode="full", **kwargs)
    assert err.value.field == field


def test_choice_texts_exist_in_both_languages() -> None:
    table = load_training_choices()
    assert set(table) == set(KINDS)
    for kind, values in KINDS.items():
        assert set(table[kind]) == set(values)
        for choice in table[kind].values():
            assert choice.en and choice.fr and choice.fr != choice.en
            assert " :" not in choice.fr and " ;" not in choice.fr  # French typography: U+202F before : ;
    est = estimate_memory(LLAMA_31_8B, "bf16", 512, mode="full", precision="bf16")
    assert est.training_assumptions("fr")[0].startswith("bf16 pur")
    assert trainer_setting("optimizer", "paged-adamw-8bit") == 'optim="paged_adamw_8bit"'


def test_cli_training_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from advisor.cli import main

    (tmp_path / "config.json").write_text(json.dumps(LLAMA_31_8B))
    args = ["estimate", str(tmp_path), "--mode", "full", "--context", "512", "--json"]
    assert main([*args, "--precision", "bf16", "--optimizer", "paged-adamw-8bit", "--eager-attention",
                 "--loss", "chunked"]) == 0  # fmt: skip
    data = json.loads(capsys.readouterr().out)
    assert data["training"] == {
        "precision": "bf16", "optimizer": "paged-adamw-8bit", "attention": "eager", "checkpointing": "on",
        "loss": "chunked",
    }  # fmt: skip
    assert main([*args, "--precision", "half"]) == 3
    assert "precision" in capsys.readouterr().err
