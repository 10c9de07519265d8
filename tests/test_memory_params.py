"""The analytic parameter counts against transformers' own models built on the meta device.

Slow (imports torch and transformers, about 10 s): the estimator never needs them, but this is what
proves that counting from a config needs neither.
"""

from __future__ import annotations

from typing import Any

import pytest

from advisor.memory import build_architecture
from advisor.memory.tensor_roles import count_with_transformers, role_of
from tests.memory_configs import FLAN_T5_BASE, REAL_CONFIGS

pytestmark = pytest.mark.slow

# transformers 5 ties T5 v1.1's lm_head to the embedding whatever the config says
# (T5Config forces tie_word_embeddings=True); the checkpoint has its own lm_head.
TRANSFORMERS_DIFFERS = {"google/flan-t5-base"}


@pytest.fixture(scope="module", autouse=True)
def _transformers() -> None:
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    pytest.importorskip("accelerate")


def _meta_roles(config: dict[str, Any]) -> dict[str, int]:
    text = config.get("text_config", config)
    roles = count_with_transformers(text)
    assert roles is not None, "transformers could not build this config"
    return roles


@pytest.mark.parametrize("name", [n for n in REAL_CONFIGS if n not in TRANSFORMERS_DIFFERS])
def test_analytic_count_equals_meta_device_count(name: str) -> None:
    config = REAL_CONFIGS[name]
    arch = build_architecture(config.get("text_config", config))
    meta = _meta_roles(config)
    assert arch.total_params == sum(meta.values())
    # the same split into roles, so quantized sizes agree too (fused qkv / gate_up land in one role)
    for role in ("embed", "lm_head", "router"):
        assert arch.roles.get(role, 0) == meta.get(role, 0), role
    experts = {k: v for k, v in arch.roles.items() if k.startswith("experts")}
    assert experts == {k: v for k, v in meta.items() if k.startswith("experts")}


def test_flan_t5_keeps_its_own_lm_head() -> None:
    arch = build_architecture(FLAN_T5_BASE)
    assert arch.total_params == 247_577_856  # google/flan-t5-base checkpoint
    assert arch.total_params - sum(_meta_roles(FLAN_T5_BASE).values()) == 32128 * 768


def test_unknown_model_type_is_counted_by_transformers() -> None:
    # a family llm-advisor does not restate (OLMoE): exact through the meta device
    config = {"model_type": "olmoe", "hidden_size": 256, "intermediate_size": 128, "num_hidden_layers": 2,
              "num_attention_heads": 4, "num_key_value_heads": 4, "num_experts": 8, "num_experts_per_tok": 2,
              "vocab_size": 1000}  # fmt: skip
    arch = build_architecture(config)
    assert arch.params_source == "transformers-meta"
    assert arch.total_params == sum(_meta_roles(config).values())
    assert arch.roles.get("experts_up", 0) > 0


@pytest.mark.parametrize(
    ("name", "role"),
    [
        ("model.layers.3.self_attn.v_proj.weight", "attn_v"),
        ("transformer.h.0.attn.c_attn.weight", "attn_qk"),
        ("transformer.h.0.attn.c_proj.weight", "attn_o"),
        ("transformer.h.0.mlp.c_proj.weight", "mlp_down"),
        ("model.layers.0.mlp.experts.gate_up_proj", "experts_up"),
        ("model.layers.0.mlp.experts.down_proj", "experts_down"),
        ("model.layers.0.mlp.shared_experts.down_proj.weight", "mlp_down"),
        ("model.layers.0.mlp.gate.weight", "router"),
        ("encoder.block.0.layer.0.SelfAttention.v.weight", "attn_v"),
        ("backbone.layers.0.mixer.in_proj.weight", "ssm"),
        ("vision_tower.encoder.layers.0.mlp.fc1.weight", "other"),
        ("lm_head.weight", "lm_head"),
    ],
)
def test_tensor_names_map_to_roles(name: str, role: str) -> None:
    shape = (8, 8, 8) if "experts." in name and "shared" not in name else (8, 8)
    assert role_of(name, shape) == role
