"""Tiny random-weight models on disk, built offline, for tests that need a real checkpoint.

Any test that loads, sizes or inspects a model directory can use these instead of a download: the
weights are random (the output is gibberish) but the files are exactly what ``save_pretrained``
writes, so transformers, the safetensors headers and the estimator see a genuine Llama checkpoint.
Building one takes about a second once torch is imported; nothing touches the network.

Import as ``from tests.tiny_models import save_tiny_model`` (tests/ is a package).

Helpers that only write files (``write_safetensors_header_only``, ``save_bin_only_model``,
``save_remote_code_model``) do not import torch, so refusal tests stay fast.
"""

from __future__ import annotations

import json
import pickle
import struct
from pathlib import Path
from typing import Any

# Small enough to build and run in a second on one CPU core, big enough to exercise GQA
# (4 query heads sharing 2 KV heads), two decoder layers and untied embeddings.
TINY_LLAMA: dict[str, Any] = {
    "model_type": "llama",
    "architectures": ["LlamaForCausalLM"],
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "vocab_size": 256,
    "max_position_embeddings": 256,
    "tie_word_embeddings": False,
    "bos_token_id": 1,
    "eos_token_id": 2,
    "pad_token_id": 0,
}

# Words the tiny tokenizer knows; anything else becomes [UNK]. The smoke-test prompt and typical
# test sentences are covered so encoded prompts are not all unknown tokens.
_CORPUS = [
    "Reply with one short sentence : what is a language model ?",
    "A language model predicts the next token from the previous tokens .",
    "Bonjour , le modèle répond en une phrase courte .",
    "Summarise this document in French and cite the source .",
    "The team runs the model on one GPU with enough memory .",
    "Say hello in one word .",
]
SPECIAL_TOKENS = ["<pad>", "<s>", "</s>", "[UNK]", "<|system|>", "<|user|>", "<|assistant|>"]

# A minimal chat format in jinja, rendered by transformers in its sandboxed environment.
TINY_CHAT_TEMPLATE = (
    "{% for message in messages %}<|{{ message['role'] }}|> {{ message['content'] }} </s> {% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


def tiny_llama_config(**overrides: Any) -> Any:
    """A ``LlamaConfig`` with the tiny sizes above (``overrides`` replace any field)."""
    from transformers import LlamaConfig

    fields = {k: v for k, v in TINY_LLAMA.items() if k not in ("model_type", "architectures")}
    fields.update(overrides)
    return LlamaConfig(**fields)


def build_tiny_tokenizer(vocab_size: int = TINY_LLAMA["vocab_size"], chat_template: bool = True) -> Any:
    """A word-level fast tokenizer built in memory from a few sentences, with a chat template.

    Specials come first (so ``<pad>`` = 0, ``<s>`` = 1, ``</s>`` = 2 as in the tiny config), then
    the corpus words, then filler words ``w<id>`` up to exactly ``vocab_size``: every id a random
    model can generate decodes to a visible word, so tests can assert on generated text.
    """
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    words = list(SPECIAL_TOKENS)
    for sentence in _CORPUS:
        words.extend(w for w in sentence.split() if w not in words)
    if len(words) > vocab_size:
        raise ValueError(f"tiny tokenizer needs {len(words)} ids > vocab_size {vocab_size}")
    words.extend(f"w{i}" for i in range(len(words), vocab_size))
    tokenizer = Tokenizer(models.WordLevel(vocab={w: i for i, w in enumerate(words)}, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    wrapped = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        unk_token="[UNK]",
        pad_token="<pad>",
        bos_token="<s>",
        eos_token="</s>",
        additional_special_tokens=["<|system|>", "<|user|>", "<|assistant|>"],
    )
    if chat_template:
        wrapped.chat_template = TINY_CHAT_TEMPLATE
    return wrapped


def save_tiny_model(
    directory: str | Path,
    *,
    with_tokenizer: bool = True,
    chat_template: bool = True,
    seed: int = 0,
    **config_overrides: Any,
) -> Path:
    """Write a random-weight tiny Llama (safetensors + config.json [+ tokenizer]) into ``directory``.

    The seed makes the weights, and so greedy generations, reproducible across runs.
    """
    import torch
    from transformers import GenerationConfig, LlamaForCausalLM

    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    model = LlamaForCausalLM(tiny_llama_config(**config_overrides))
    # An explicit, empty-ish generation config avoids inheriting sampling defaults into the test.
    model.generation_config = GenerationConfig(bos_token_id=1, eos_token_id=2, pad_token_id=0)
    model.save_pretrained(path)
    if with_tokenizer:
        build_tiny_tokenizer(chat_template=chat_template).save_pretrained(path)
    return path


def write_config(directory: str | Path, **fields: Any) -> Path:
    """Write a tiny Llama ``config.json`` (plus ``fields``) without importing transformers."""
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    config = {**TINY_LLAMA, **fields}
    (path / "config.json").write_text(json.dumps(config, indent=2))
    return path


def write_safetensors_header_only(file: str | Path, tensors: dict[str, list[int]] | None = None) -> Path:
    """Write a valid safetensors file of zero-filled fp32 tensors, without torch or numpy.

    Format (safetensors README): 8-byte little-endian header length, a JSON header mapping each
    name to dtype/shape/data_offsets, then the raw bytes.
    """
    shapes = tensors or {"model.embed_tokens.weight": [TINY_LLAMA["vocab_size"], TINY_LLAMA["hidden_size"]]}
    header: dict[str, Any] = {}
    offset = 0
    for name, shape in shapes.items():
        size = 4
        for dim in shape:
            size *= dim
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    blob = json.dumps(header).encode()
    blob += b" " * (-len(blob) % 8)  # the reference writer pads the header to 8 bytes
    target = Path(file)
    target.write_bytes(struct.pack("<Q", len(blob)) + blob + b"\0" * offset)
    return target


class _MarkerOnUnpickle:
    """Unpickling this creates a file: proof, if the file appears, that a pickle was loaded."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (str(self.marker), "w"))


def save_bin_only_model(directory: str | Path, marker: str | Path | None = None) -> Path:
    """A model directory whose only weights are ``pytorch_model.bin`` (a pickle).

    With ``marker``, the pickle creates that file when unpickled, so a test can assert that
    nothing ever loaded it.
    """
    path = write_config(directory)
    payload: Any = {"note": "not real weights"}
    if marker is not None:
        payload = {"model.embed_tokens.weight": _MarkerOnUnpickle(Path(marker))}
    (path / "pytorch_model.bin").write_bytes(pickle.dumps(payload))
    return path


def save_remote_code_model(directory: str | Path, marker: str | Path) -> Path:
    """A model directory whose config asks for custom code (``auto_map``) that would create ``marker``.

    The python files sit next to config.json, as on the Hub; importing either one writes the
    marker, so a test can prove the code never ran.
    """
    path = write_config(
        directory,
        model_type="tiny-custom",
        architectures=["TinyCustomForCausalLM"],
        auto_map={
            "AutoConfig": "configuration_tiny_custom.TinyCustomConfig",
            "AutoModelForCausalLM": "modeling_tiny_custom.TinyCustomForCausalLM",
        },
    )
    code = f"from pathlib import Path\nPath({str(marker)!r}).write_text('remote code ran')\n"
    (path / "configuration_tiny_custom.py").write_text(code)
    (path / "modeling_tiny_custom.py").write_text(code)
    write_safetensors_header_only(path / "model.safetensors")
    return path
