"""The training choices a memory estimate assumes: precision, optimizer, attention, checkpointing, loss.

Each changes the peak of a fine-tuning run by gigabytes, so the estimate names the ones it
assumed (``MemoryEstimate.training``) and the training plans can set the same ones in the
commands they generate. The texts (English and French) and the matching transformers settings
live in ``advisor/data/training_choices.yaml``.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import BaseModel, ConfigDict, RootModel

from advisor.datafiles import PACKAGE_DIR, read_yaml, validate

CHOICES_FILE = PACKAGE_DIR / "data" / "training_choices.yaml"

PRECISIONS = ("mixed", "bf16", "fp32")
OPTIMIZERS = ("adamw", "adamw-8bit", "paged-adamw-8bit")
ATTENTIONS = ("sdpa", "eager")
CHECKPOINTING = ("on", "off")
LOSSES = ("standard", "chunked")
KINDS = {
    "precision": PRECISIONS,
    "optimizer": OPTIMIZERS,
    "attention": ATTENTIONS,
    "checkpointing": CHECKPOINTING,
    "loss": LOSSES,
}


class Choice(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    trainer: str
    """The transformers setting that makes a run match this choice."""
    en: str
    fr: str


class ChoiceTable(RootModel[dict[str, dict[str, Choice]]]):
    """kind -> value -> texts; every value of every kind must be present."""

    def check_complete(self) -> ChoiceTable:
        for kind, values in KINDS.items():
            have = self.root.get(kind, {})
            missing = [v for v in values if v not in have]
            extra = [v for v in have if v not in values]
            if missing or extra or kind not in self.root:
                raise ValueError(f"{kind}: missing {missing}, unknown {extra}")
        return self


@lru_cache(maxsize=1)
def load_training_choices() -> dict[str, dict[str, Choice]]:
    table = validate(ChoiceTable, read_yaml(CHOICES_FILE), file=str(CHOICES_FILE))
    try:
        table.check_complete()
    except ValueError as err:
        from advisor.errors import InputError

        raise InputError(str(err), file=str(CHOICES_FILE)) from None
    return table.root


def choice_text(kind: str, value: str, lang: str = "en") -> str:
    """The sentence that states one assumed choice, in ``lang`` (en or fr)."""
    choice = load_training_choices()[kind][value]
    return choice.fr if lang == "fr" else choice.en


def trainer_setting(kind: str, value: str) -> str:
    """How a transformers training command sets this choice (for generated training plans)."""
    return load_training_choices()[kind][value].trainer
