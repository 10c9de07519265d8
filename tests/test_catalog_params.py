"""Every architecture in the catalog rebuilds, in transformers, to exactly the parameters it claims.

A wrong ``head_dim``, a forgotten bias or an untied embedding changes the count, so a count that
matches to the parameter is strong evidence that ``config`` describes the real model, and the
memory estimator (which reads ``config``) sizes the real thing. Models are built on the meta
device: no memory is allocated and no weights are downloaded.
"""

from __future__ import annotations

import pytest

from advisor.catalog import CatalogEntry, load_catalog

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
accelerate = pytest.importorskip("accelerate")


def build_on_meta(entry: CatalogEntry) -> torch.nn.Module:
    """The model class named in ``config.architectures``, built from ``config`` with empty weights."""
    config = dict(entry.config)
    model_type = config.pop("model_type")
    architectures = config.get("architectures") or []
    hf_config = transformers.AutoConfig.for_model(model_type, **config)
    if architectures:
        model_class = getattr(transformers, architectures[0])
    elif entry.kind in ("decoder", "ssm", "hybrid"):
        model_class = transformers.AutoModelForCausalLM
    elif entry.kind == "encoder-decoder":
        model_class = transformers.AutoModelForSeq2SeqLM
    else:
        model_class = transformers.AutoModel
    # torch.device("meta") as well: some modules (fused MoE experts) create their tensors with
    # torch.empty before registering them, which init_empty_weights alone would allocate in RAM
    # (30 GB for one DeepSeek-V3 layer).
    with accelerate.init_empty_weights(include_buffers=False), torch.device("meta"):
        if hasattr(model_class, "from_config"):  # the Auto classes
            model = model_class.from_config(hf_config)
        else:
            model = model_class(hf_config)
    # init_empty_weights re-creates each registered parameter, which undoes the tying done at
    # construction; from_pretrained ties again after loading, and so must we.
    model.tie_weights()
    if entry.text_config.get("tie_word_embeddings") is False:
        _untie_output_embeddings(model)
    return model


def _untie_output_embeddings(model: torch.nn.Module) -> None:
    # transformers 5 forces T5Config.tie_word_embeddings to True, but T5 v1.1 / FLAN-T5 checkpoints
    # hold their own lm_head, which from_pretrained keeps (it only ties tensors that are equal or
    # missing). The checkpoint, not from_config, is what occupies memory.
    output, embeddings = model.get_output_embeddings(), model.get_input_embeddings()
    if output is not None and embeddings is not None and output.weight is embeddings.weight:
        output.weight = torch.nn.Parameter(torch.empty_like(output.weight, device="meta"))


def count_params(model: torch.nn.Module) -> tuple[int, int]:
    """(unique parameters, parameters inside routed experts); tied tensors are counted once."""
    total = 0
    experts = 0
    seen: set[int] = set()
    for name, param in model.named_parameters(remove_duplicate=False):
        if id(param) in seen:
            continue
        seen.add(id(param))
        total += param.numel()
        if ".experts." in name and "shared" not in name:
            experts += param.numel()
    return total, experts


def active_params(entry: CatalogEntry, total: int, expert_params: int) -> int | None:
    """total - (1 - k/E) x routed-expert parameters; None for dense models."""
    config = entry.text_config
    experts = config.get("num_local_experts") or config.get("num_experts") or config.get("n_routed_experts")
    per_token = config.get("num_experts_per_tok") or config.get("experts_per_token")
    if not experts or not per_token or not expert_params:
        return None
    return total - expert_params * (experts - per_token) // experts


CHECKED = [entry for entry in load_catalog().entries if entry.params_source == "transformers"]


@pytest.mark.parametrize("entry", CHECKED, ids=[entry.id for entry in CHECKED])
def test_total_params_match_transformers(entry: CatalogEntry) -> None:
    model = build_on_meta(entry)
    total, expert_params = count_params(model)
    assert total == entry.total_params, (
        f"{entry.id}: transformers builds {total:,} parameters from this config, the catalog says "
        f"{entry.total_params:,} (difference {total - entry.total_params:+,})"
    )
    assert active_params(entry, total, expert_params) == entry.active_params


def test_moe_entries_are_found_as_moe() -> None:
    # Guards the expert-name heuristic above: if transformers renamed its expert modules, every
    # MoE entry would silently be treated as dense and the active-params check would pass vacuously.
    moe = [entry for entry in CHECKED if entry.active_params is not None]
    assert moe, "the catalog is expected to hold MoE models"
    smallest = min(moe, key=lambda entry: entry.total_params)
    _, expert_params = count_params(build_on_meta(smallest))
    assert expert_params > smallest.total_params // 2


def test_catalog_checks_at_least_every_transformers_model() -> None:
    skipped = [entry.id for entry in load_catalog().entries if entry.params_source != "transformers"]
    assert len(skipped) <= 3, f"too many entries escape the parameter check: {skipped}"
