"""Model and quantization selection over the real catalog, for hardware the tests describe."""

from __future__ import annotations

from typing import Any

import pytest

import advisor
from tests.conftest import HARDWARE

RAG_FR = {
    "task_type": "document_qa",
    "needs_language_understanding": "high",
    "knowledge_source": "domain_documents",
    "knowledge_change_frequency": "monthly",
    "corpus_size_pages": 3000,
    "needs_citations": True,
    "languages": ["fr"],
    "team_ml_skills": "basic",
    "context_tokens": 8192,
}
FINE_TUNE = {
    "task_type": "drafting_generation",
    "knowledge_source": "none",
    "style_terminology_need": "strong",
    "labelled_examples": 3000,
    "labelled_examples_type": "input_output_pairs",
    "team_ml_skills": "advanced",
}


def rec_for(answers: dict[str, Any], hardware: dict[str, Any]) -> advisor.Recommendation:
    return advisor.recommend(answers, hardware=hardware)


def test_rag_in_french_on_a_24_gib_gpu() -> None:
    rec = rec_for(RAG_FR, HARDWARE["gpu24"])
    assert rec.approach == "rag"
    chosen = rec.model.chosen
    assert chosen.fit in ("comfortable", "tight") and chosen.margin_bytes >= 0
    assert chosen.french_support in ("good", "strong")
    assert chosen.context_length >= 8192
    assert rec.quantization == chosen.quantization and rec.memory is chosen.memory
    assert rec.memory.per_gpu_bytes <= rec.hardware.max_gpu_usable_bytes
    assert rec.model.embedding is not None and "fr" in rec.model.embedding.languages
    assert rec.model.runner_ups and all(r.id != chosen.id for r in rec.model.runner_ups)
    assert [r.score for r in rec.model.runner_ups] == sorted((r.score for r in rec.model.runner_ups), reverse=True)
    assert rec.versions.catalog


def test_licence_filters_are_honoured() -> None:
    commercial = rec_for({**RAG_FR, "commercial_use_required": True}, HARDWARE["gpu24"])
    assert all(o.commercial_use for o in [commercial.model.chosen, *commercial.model.runner_ups])
    apache = rec_for({**RAG_FR, "allowed_licences": ["apache-2.0"]}, HARDWARE["gpu24"])
    assert all(o.licence == "apache-2.0" for o in [apache.model.chosen, *apache.model.runner_ups])


def test_cpu_only_gets_a_gguf_plan_in_ram() -> None:
    rec = rec_for({**RAG_FR, "context_tokens": 4096}, {"gpus": [], "ram_gb": 16})
    chosen = rec.model.chosen
    assert chosen.device == "cpu" and chosen.runtime == "llama.cpp"
    assert chosen.quantization.startswith("gguf-")
    assert chosen.memory.per_gpu_bytes <= rec.hardware.usable_ram_bytes
    hint = next(n for n in rec.model.notes if "With a GPU" in n.en)
    assert chosen.id in hint.en and "Avec un GPU" in hint.fr and "Gio" in hint.fr


def test_gpu_needed_is_the_inverse_of_usable() -> None:
    from advisor.hardware.profile import gpu_bytes_needed, usable_gpu_bytes

    for total in (8, 24, 80):
        usable = usable_gpu_bytes(total * 1024**3)
        assert abs(gpu_bytes_needed(usable) - total * 1024**3) <= 2


def test_more_memory_never_gets_a_worse_quantization_of_the_same_model() -> None:
    from advisor.quantization import get_quantization

    small = rec_for(RAG_FR, HARDWARE["gpu8"]).model
    large = rec_for(RAG_FR, HARDWARE["gpu24"]).model
    by_id = {o.id: o for o in [large.chosen, *large.runner_ups]}
    for option in [small.chosen, *small.runner_ups]:
        if option.id in by_id:
            assert (
                get_quantization(by_id[option.id].quantization).quality_rank
                <= get_quantization(option.quantization).quality_rank
            )


def test_nothing_fits_says_what_it_would_take() -> None:
    rec = rec_for(RAG_FR, {"gpus": [{"name": "tiny", "vram_gb": 1.2}], "ram_gb": 4})
    assert rec.model.chosen.fit == "does-not-fit" and rec.model.chosen.margin_bytes < 0
    assert any("Nothing fits" in note.en and "Rien ne tient" in note.fr for note in rec.model.notes)


def test_fine_tuning_gets_a_training_plan_that_fits() -> None:
    rec = rec_for(FINE_TUNE, HARDWARE["gpu24"])
    assert rec.approach == "fine-tuning"
    plan = rec.model.training
    assert plan is not None and plan.method in ("lora", "qlora") and plan.fit != "does-not-fit"
    assert plan.memory.mode == plan.method and plan.memory.per_gpu_bytes <= rec.hardware.max_gpu_usable_bytes
    assert plan.lora_rank and plan.sequence_length >= 512


def test_fine_tuning_trains_the_strongest_base_that_fits_at_full_length_over_every_gpu() -> None:
    rec = rec_for(FINE_TUNE, HARDWARE["gpu80x2"])
    plan, chosen = rec.model.training, rec.model.chosen
    assert plan is not None and plan.num_gpus == 2 and plan.distribution in ("fsdp", "zero3")
    assert plan.launcher == "accelerate launch --num_processes 2" and plan.serve_adapter == (plan.method != "full")
    # No size penalty: on 2 x 80 GB the base is a 70B-class model, not a 4-14B one.
    assert chosen.total_params > 60e9
    small = rec_for(FINE_TUNE, HARDWARE["gpu24"])
    assert small.model.chosen.total_params < chosen.total_params


def test_full_fine_tuning_needs_many_examples_and_an_advanced_team() -> None:
    many = {**FINE_TUNE, "labelled_examples": 50000}
    rec = rec_for(many, HARDWARE["gpu80x2"])
    plan = rec.model.training
    # Many examples do not trade the strongest base for full fine-tuning of a small one: the plan
    # trains the 70B-class base with adapters (full fine-tuning of it does not fit 2 x 80 GB).
    assert plan is not None and plan.method in ("lora", "qlora") and rec.model.chosen.total_params > 60e9
    few = rec_for(FINE_TUNE, HARDWARE["gpu80x2"]).model.training
    assert few is not None and few.method != "full"


def test_no_llm_has_no_model_and_says_why() -> None:
    rec = rec_for({"needs_language_understanding": "none"}, HARDWARE["gpu24"])
    assert rec.approach == "no-llm" and rec.model is None and rec.quantization is None
    assert rec.selection_note is not None and rec.selection_note.fr


def test_training_without_gpu_is_said_plainly() -> None:
    rec = rec_for({**FINE_TUNE, "data_privacy": "private_cloud_ok"}, HARDWARE["cpu"])
    assert rec.approach == "fine-tuning"  # private cloud: the GPUs can be rented, so it stays the plan
    assert rec.model.training is None
    assert any("Training needs a GPU" in n.en for n in rec.model.notes)


@pytest.mark.parametrize("hardware", sorted(HARDWARE))
def test_selection_is_json_serialisable(hardware: str) -> None:
    rec = rec_for(RAG_FR, HARDWARE[hardware])
    data = rec.model_dump(mode="json")
    assert data["model"]["chosen"]["memory"]["total_bytes"] > 0
    assert data["quantization"] == data["model"]["chosen"]["quantization"]
