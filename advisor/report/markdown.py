"""The justification report: a Markdown document a lead can forward, in English or French.

Three layers keep the report reviewable and translatable. The wording (every heading and sentence,
in both languages) lives in ``data/report_texts.yaml``; the layout lives in the jinja2 templates
under ``templates/``; this module only decides *what* to say (which engine, which rows, which
numbers) and formats numbers and sizes the way each reader expects (``1 234,5 Gio`` in French).
Templates receive ready-made values and call ``t()`` for words, so no sentence is assembled by
string concatenation here.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import jinja2
from pydantic import BaseModel, ConfigDict, Field

from advisor.datafiles import PACKAGE_DIR, read_yaml, validate
from advisor.i18n import Lang, LocalizedText, points
from advisor.results import Recommendation
from advisor.rules.schema import APPROACHES
from advisor.units import GIB, format_bytes, format_number

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
TEXTS_FILE = PACKAGE_DIR / "data" / "report_texts.yaml"

# Parts of a memory estimate in the order a reader expects them (advisor.memory breakdown keys).
MEMORY_PARTS = ("weights", "kv_cache", "activations", "overhead", "gradients", "optimizer", "adapters")
BAR_WIDTH = 30
# Quantizations each engine loads (names from data/quantizations.yaml).
_VLLM_QUANTS = {"bf16", "fp16", "fp8", "awq-int4", "gptq-int4", "gptq-int8", "mxfp4"}
_TRANSFORMERS_QUANTS = {
    "fp32",
    "bf16",
    "fp16",
    "int8",
    "nf4",
    "nf4-dq",
    "awq-int4",
    "gptq-int4",
    "gptq-int8",
    "mxfp4",
}
_PREQUANTIZED = {"awq-int4": "awq", "gptq-int4": "gptq", "gptq-int8": "gptq"}
# How transformers (>= 5: ``dtype=``) loads each quantization; pre-quantized checkpoints carry their own.
_TORCH_DTYPES = {
    "fp32": "torch.float32",
    "fp16": "torch.float16",
    "awq-int4": '"auto"',
    "gptq-int4": '"auto"',
    "gptq-int8": '"auto"',
    "mxfp4": '"auto"',
}
_BNB_ARGS = {
    "int8": "load_in_8bit=True",
    "nf4": 'load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=torch.bfloat16',
    "nf4-dq": 'load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=torch.bfloat16, '
    "bnb_4bit_use_double_quant=True",
}


class RagSettings(BaseModel):
    """Starting values for a retrieval pipeline; the report scales passages to the context."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    chunk_tokens: int = Field(gt=0)
    overlap_tokens: int = Field(ge=0)
    candidates: int = Field(gt=0, description="Passages fetched by hybrid search before reranking.")
    passages: int = Field(gt=0, description="Passages kept after reranking and put in the prompt.")
    context_share: float = Field(gt=0, le=1, description="Share of the context the passages may take.")
    sources: list[str] = Field(min_length=1)


class TrainingSettings(BaseModel):
    """Defaults for the training command when the plan leaves them open."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lora_alpha_factor: int = Field(gt=0, description="lora_alpha = factor x rank.")
    holdout_share: float = Field(gt=0, lt=1)
    sources: list[str] = Field(min_length=1)


class ReportData(BaseModel):
    """``data/report_texts.yaml``: every heading and sentence in both languages, and plan defaults."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rag: RagSettings
    training: TrainingSettings
    texts: dict[str, LocalizedText]


@lru_cache(maxsize=1)
def load_report_data() -> ReportData:
    """The report's texts and defaults, validated once."""
    return validate(ReportData, read_yaml(TEXTS_FILE), file=str(TEXTS_FILE))


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The jinja2 environment of the report: strict, so a missing value fails loudly in tests."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters["cell"] = table_cell
    return env


def render_markdown(rec: Recommendation, lang: Lang = "en") -> str:
    """The justification report of ``rec`` in ``lang``."""
    view = ReportView(rec, lang)
    text = environment().get_template("report.md.j2").render(rec=rec, v=view, t=view.t, lang=lang)
    return _tidy(text)


def table_cell(value: object) -> str:
    """A value safe inside a Markdown table cell: no pipe, no line break."""
    return str(value).replace("|", "\\|").replace("\r", " ").replace("\n", " ").strip()


def _tidy(text: str) -> str:
    # Optional blocks leave runs of blank lines; Markdown reads one as well as three.
    lines: list[str] = []
    for line in text.splitlines():
        line = line.rstrip()
        if line == "" and (not lines or lines[-1] == ""):
            continue
        lines.append(line)
    while lines and lines[-1] == "":
        lines.pop()
    return "\n".join(lines) + "\n"


class ReportView:
    """What the templates show, computed once from a recommendation, in one language."""

    def __init__(self, rec: Recommendation, lang: Lang) -> None:
        self.rec = rec
        self.lang: Lang = lang
        self.data = load_report_data()

    # --- words and numbers --------------------------------------------------------------------

    def t(self, key: str, **values: Any) -> str:
        """A text of ``report_texts.yaml`` in the reader's language, placeholders filled."""
        try:
            text = self.data.texts[key].get(self.lang)
        except KeyError:
            raise KeyError(f"{key!r} is not in {TEXTS_FILE.name}") from None
        if not values:
            return text
        return text.format(
            **{k: v.get(self.lang) if isinstance(v, LocalizedText) else v for k, v in values.items()}
        )

    def has(self, key: str) -> bool:
        return key in self.data.texts

    def loc(self, text: LocalizedText | str | None) -> str:
        """A LocalizedText in the reader's language (plain strings are ids or names: shown as given)."""
        if text is None:
            return ""
        return text.get(self.lang) if isinstance(text, LocalizedText) else str(text)

    def num(self, value: float | int | None, decimals: int = 0) -> str:
        if value is None:
            return self.t("value.unknown")
        return format_number(value, self.lang, decimals)

    def size(self, value: float | int | None) -> str:
        if value is None:
            return self.t("value.unknown")
        sign = "−" if value < 0 else ""
        return sign + format_bytes(abs(value), self.lang)

    def pct(self, ratio: float) -> str:
        return self.t("unit.percent", value=format_number(ratio * 100, self.lang, 0))

    def params(self, count: int | None) -> str:
        """Parameter counts the way model cards write them: 7.6 B (en), 7,6 Md (fr)."""
        if not count:
            return "—"
        if count >= 1e9:
            return self.t("unit.billion", value=format_number(count / 1e9, self.lang, 1))
        return self.t("unit.million", value=format_number(count / 1e6, self.lang, 0))

    def yes_no(self, value: bool | None) -> str:
        return self.t("value.unknown") if value is None else self.t("value.yes" if value else "value.no")

    def approach(self, approach: str) -> str:
        from advisor.i18n import approach_name

        return approach_name(approach).get(self.lang)

    # --- answers and facts --------------------------------------------------------------------

    @cached_property
    def _questions(self) -> Any:
        from advisor.questionnaire import load_questions

        return load_questions()

    def question(self, key: str) -> str:
        """The question for ``key``, or the name of a derived fact."""
        try:
            return self._questions.get(key).label.get(self.lang)
        except KeyError:
            return self.t(f"fact.{key}") if self.has(f"fact.{key}") else key

    def answer(self, key: str, value: Any) -> str:
        """An answer (or fact value) as the reader's questionnaire showed it."""
        if value is None:
            return self.t("value.unanswered")
        if isinstance(value, bool):
            return self.yes_no(value)
        if isinstance(value, dict):  # already_tried: "Prompting: Tried: not good enough; ..."
            question = self._questions.get(key)
            colon, semicolon = (" : ", " ; ") if self.lang == "fr" else (": ", "; ")  # as the rest of the texts
            return semicolon.join(
                f"{question.items[k].get(self.lang) if k in question.items else k}{colon}{self.answer(key, v)}"
                for k, v in value.items()
            )
        if isinstance(value, (list, tuple)):
            if key == "languages":
                from advisor.questionnaire import language_names

                names = language_names()
                return ", ".join(names[c].get(self.lang) if c in names else c for c in value)
            return ", ".join(str(item) for item in value)
        if isinstance(value, str) and key.startswith("tried_"):  # facts derived from already_tried
            if value == "not_tried":
                return self.t("value.not_tried")
            key = "already_tried"
        if isinstance(value, str):
            try:
                choice = self._questions.get(key).choices.get(value)
            except KeyError:
                choice = None
            return choice.get(self.lang) if choice else value
        if key.endswith("_gb") and isinstance(value, (int, float)):
            return self.t("unit.gib", value=format_number(value, self.lang, 1))
        if isinstance(value, float) and not value.is_integer():
            return format_number(value, self.lang, 1)
        return format_number(value, self.lang, 0)

    def answered(self) -> list[tuple[str, str, str]]:
        """(question, key, answer) for every answered question, in questionnaire order."""
        return [
            (self.question(k), f"`{k}`", self.answer(k, v)) for k, v in self.rec.answers.answered().items()
        ]

    # --- section 1 and 2: the decision --------------------------------------------------------

    @cached_property
    def kb(self) -> Any:
        from advisor.rules.loader import load_knowledge_base

        return load_knowledge_base()

    def runner_up(self) -> str | None:
        """The best approach after the chosen one among those not ruled out."""
        others = [a for a in APPROACHES if a != self.rec.approach and a not in self.rec.excluded]
        if not others:
            return None
        return max(others, key=lambda a: (self.rec.scores.get(a, 0), -APPROACHES.index(a)))

    def decided(self) -> str:
        rec = self.rec
        if rec.decided_by != "scores":
            return self.t("decided.gate", gate=rec.decided_by)
        runner = self.runner_up()
        if runner is None:
            return self.t("decided.only", score=points(rec.scores[rec.approach]))
        return self.t(
            "decided.scores",
            score=points(rec.scores[rec.approach]),
            runner=self.approach(runner),
            runner_score=points(rec.scores[runner]),
        )

    def effect(self, rule_id: str) -> str:
        """What a rule did, in the reader's words."""
        rule = self.kb.rule(rule_id)
        if rule.kind == "gate":
            return self.t("effect.gate", approach=self.approach(str(rule.then.decide)))
        if rule.kind == "veto":
            return self.t("effect.veto", approaches=", ".join(self.approach(a) for a in rule.then.exclude))
        if rule.kind == "score":
            return ", ".join(f"{self.approach(a)} {signed(p)}" for a, p in rule.then.score.items())
        return self.t("effect.advice", technique=self.loc(self.kb.meta.techniques[str(rule.then.technique)]))

    def facts_read(self, facts: dict[str, Any]) -> str:
        return "; ".join(
            self.t("fact.pair", question=self.question(k), answer=self.answer(k, v)) for k, v in facts.items()
        )

    def kind(self, kind: str) -> str:
        return self.t(f"kind.{kind}")

    def section_of(self, rule_id: str) -> str:
        file = self.kb.rule_files.get(rule_id)
        section = self.kb.sections.get(file) if file else None
        return self.loc(section)

    def score_rows(self) -> list[tuple[str, int, str]]:
        rows = []
        for approach in APPROACHES:
            if approach == self.rec.approach:
                status = self.t("status.chosen")
            elif approach in self.rec.excluded:
                status = self.t("status.excluded", rules=", ".join(self.rec.excluded[approach]))
            else:
                status = self.t("status.open")
            rows.append((self.approach(approach), self.rec.scores.get(approach, 0), status))
        return rows

    def fired_elsewhere(self) -> list[str]:
        """Rules that fired without counting here: advice for the plans of other approaches."""
        counted = {r.id for r in self.rec.reasons} | {t.rule for t in self.rec.techniques}
        return [e.id for e in self.rec.trace if e.outcome == "fired" and e.id not in counted]

    def sources(self) -> list[tuple[str, str, str]]:
        """Every source cited by a reason or a technique, once, in order of first citation."""
        seen: dict[str, tuple[str, str, str]] = {}
        for item in [*self.rec.reasons, *self.rec.techniques]:
            for source in item.sources:
                seen.setdefault(source.id, (f"`{source.id}`", source.title, source.locator))
        return list(seen.values())

    # --- section 3: alternatives and sensitivity ----------------------------------------------

    def alternative_rows(self) -> list[tuple[str, int, str, str]]:
        return [
            (self.approach(a.approach), a.score, self.alternative_status(a), self.loc(a.why))
            for a in self.rec.alternatives
        ]

    def alternative_status(self, alt: Any) -> str:
        status = self.t(f"alt_status.{alt.status}")
        return self.t("alt_status.defensible", status=status) if alt.defensible else status

    @cached_property
    def flips(self) -> list[Any]:
        from advisor.report.sensitivity import flips

        return flips(self.rec.answers, self.rec.hardware, knowledge_base=self.kb)

    def flip_rows(self) -> list[tuple[str, str, str, str, str]]:
        """(question, key, answer given, answers that flip, approach then), one row per key and outcome."""
        from advisor.report.sensitivity import candidates_for

        groups: dict[tuple[str, str, str], list[Any]] = {}
        for flip in self.flips:
            groups.setdefault((flip.key, flip.approach, flip.decided_by), []).append(flip)
        rows = []
        for (key, approach, decided_by), items in groups.items():
            current = items[0].current
            values = [f.value for f in items]
            if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
                shown = self._int_flip(key, current, values, candidates_for(key, self.kb))
            else:
                shown = " / ".join(self.answer(key, v) for v in values)
            then = self.approach(approach)
            if decided_by != "scores":
                then = self.t("flip.by_gate", approach=then, gate=decided_by)
            rows.append((self.question(key), f"`{key}`", self.answer(key, current), shown, then))
        return rows

    def _int_flip(self, key: str, current: int | None, values: list[int], candidates: list[int]) -> str:
        """The nearest number that flips, as a bound when every tried number beyond it flips too.

        Rules only compare a number with fixed values, so the tried numbers (just below, at and just
        above each) stand for every number between them: a bound drawn from them holds for all.
        """
        anchor = current if isinstance(current, int) else 0
        nearest = min(values, key=lambda v: (abs(v - anchor), v))
        flipping = set(values)
        if nearest < anchor and all(c in flipping for c in candidates if c <= nearest):
            return self.t("flip.at_most", value=self.num(nearest))
        if nearest > anchor and all(c in flipping for c in candidates if c >= nearest):
            return self.t("flip.at_least", value=self.num(nearest))
        return self.num(nearest)

    def follow_up_rows(self) -> list[tuple[str, str, str]]:
        return [
            (self.loc(q.question), f"`{q.key}`", "; ".join(self.loc(c) for c in q.could))
            for q in self.rec.follow_up_questions
        ]

    # --- section 4 and 5: model and memory ----------------------------------------------------

    @property
    def choice(self) -> Any:
        return self.rec.model if getattr(self.rec.model, "chosen", None) is not None else None

    @cached_property
    def classic_model(self) -> Any:
        """For a no-LLM classifier plan, the encoder it fine-tunes, named and sized (advisor.selection.classic)."""
        from advisor.catalog import load_catalog
        from advisor.selection.classic import encoder_note

        rec = self.rec
        return encoder_note(rec.answers, rec.approach, [t.id for t in rec.techniques], load_catalog().entries)

    def model_rows(self) -> list[list[str]]:
        choice = self.choice
        if choice is None:
            return []
        rows = []
        for rank, option in enumerate([choice.chosen, *choice.runner_ups], start=1):
            rows.append(self.option_cells(option, rank))
        return rows

    def option_cells(self, option: Any, rank: int | str) -> list[str]:
        active = self.params(option.active_params) if option.active_params else "—"
        french = (
            self.t(f"french.{option.french_support}")
            if self.has(f"french.{option.french_support}")
            else option.french_support
        )
        return [
            str(rank),
            f"{option.name} (`{option.id}`)",
            f"{self.params(option.total_params)} / {active}",
            self.t("model.languages", codes=", ".join(option.languages), french=french),
            self.t("model.licence", licence=option.licence, commercial=self.yes_no(option.commercial_use)),
            self.num(option.context_length),
            f"`{option.quantization}`",
            self.size(self.total_of(option.memory)),
            self.t("model.margin", margin=self.size(option.margin_bytes), fit=self.fit(option.fit)),
        ]

    def fit(self, level: str) -> str:
        return self.t(f"fit.{level}")

    @staticmethod
    def total_of(memory: Any) -> int | None:
        return getattr(memory, "total_bytes", None)

    def format_line(self, option: Any) -> str:
        """How the weights are stored and run, e.g. 'GGUF file for llama.cpp and Ollama'."""
        quant = option.quantization
        family = (
            "gguf"
            if quant.startswith("gguf-")
            else "prequantized"
            if quant in _PREQUANTIZED
            else "bitsandbytes"
            if quant in ("int8", "nf4", "nf4-dq")
            else "native"
            if quant in ("fp32", "bf16", "fp16")
            else "other"
        )
        return self.t(f"format.{family}", quant=quant, runtime=self.t(f"runtime.{option.runtime}"))

    def per_device(self, memory: Any, devices: int = 1) -> int | None:
        """What one device holds: the estimate's per-GPU figure when sharded, else its share of the total."""
        total = self.total_of(memory)
        if total is None:
            return None
        per = getattr(memory, "per_gpu_bytes", None)
        if per:
            return int(per)
        return total // max(1, devices)

    def memory_view(self, memory: Any, usable: int, devices: int = 1) -> dict[str, Any]:
        """Rows and bar chart of one device's share of an estimate, against what that device may use."""
        breakdown: dict[str, int] = dict(getattr(memory, "breakdown", {}) or {})
        order = [p for p in MEMORY_PARTS if p in breakdown] + [p for p in breakdown if p not in MEMORY_PARTS]
        whole = self.total_of(memory) or sum(breakdown.values())
        total = self.per_device(memory, devices) or whole
        factor = total / whole if whole else 1.0  # the estimator shards every part alike
        parts = [(self.part(p), round(breakdown[p] * factor)) for p in order if breakdown[p]]
        rows = [
            (label, self.size(value), self.pct(value / usable) if usable else "—") for label, value in parts
        ]
        bars = [*parts, (self.t("memory.total"), total), (self.t("memory.usable"), usable)]
        notes = list(getattr(memory, "assumptions", []) or [])
        return {
            "rows": rows,
            "total": self.size(total),
            "whole": self.size(whole),
            "total_share": self.pct(total / usable) if usable else "—",
            "usable": self.size(usable),
            "margin": self.size(usable - total),
            "chart": bar_chart(bars, lambda v: self.size(v)),
            "context": getattr(memory, "context_tokens", None),
            "batch": getattr(memory, "batch_size", None),
            "notes_localized": [self.loc(a) for a in notes if isinstance(a, LocalizedText)],
            "notes_raw": [str(a) for a in notes if not isinstance(a, LocalizedText)],
        }

    def part(self, key: str) -> str:
        return self.t(f"part.{key}") if self.has(f"part.{key}") else key

    def inference_memory(self) -> dict[str, Any] | None:
        choice = self.choice
        if choice is None:
            return None
        option = choice.chosen
        memory = self.rec.memory if self.rec.memory is not None else option.memory
        devices = max(1, int(option.num_gpus or 1)) if option.device != "cpu" else 1
        return self.memory_view(memory, option.usable_bytes // devices, devices)

    def training_memory(self) -> dict[str, Any] | None:
        choice = self.choice
        training = getattr(choice, "training", None) if choice is not None else None
        if training is None:
            return None
        devices = max(1, int(training.num_gpus or 1))
        per = self.per_device(training.memory, devices) or 0
        return self.memory_view(training.memory, per + training.margin_bytes, devices)

    def per_gpu_usable(self) -> str:
        return self.size(self.rec.hardware.max_gpu_usable_bytes)

    # --- section 6: plan ----------------------------------------------------------------------

    def rag(self) -> dict[str, Any]:
        settings = self.data.rag
        passages = settings.passages
        context = self.rec.answers.context_tokens
        budget = None
        if context:
            budget = int(context * settings.context_share)
            passages = max(1, min(passages, budget // settings.chunk_tokens))
        return {
            "chunk": self.num(settings.chunk_tokens),
            "overlap": self.num(settings.overlap_tokens),
            "candidates": self.num(settings.candidates),
            "passages": self.num(passages),
            "budget": self.num(budget) if budget else None,
            "sources": ", ".join(settings.sources),
        }

    def examples_type(self) -> str:
        kind = self.rec.answers.labelled_examples_type
        return kind if kind and kind != "none" else "unknown"

    # --- section 7: commands ------------------------------------------------------------------

    def source_ids(self, sources: Iterable[Any]) -> str:
        return self.code_list([s.id for s in sources])

    @staticmethod
    def code_list(items: Iterable[str]) -> str:
        return ", ".join(f"`{item}`" for item in items)

    def has_technique(self, technique: str) -> bool:
        return any(t.id == technique for t in self.rec.techniques)

    def commands(self) -> dict[str, Any] | None:
        """What the next-step commands need; None when there is no model to run."""
        choice = self.choice
        if choice is None:
            return None
        option = choice.chosen
        quant = option.quantization
        memory = self.rec.memory if self.rec.memory is not None else option.memory
        context = getattr(memory, "context_tokens", None) or self.rec.answers.context_tokens
        tp = max(1, int(option.num_gpus or 1))
        training = choice.training
        kind = "gguf" if quant.startswith("gguf-") else _PREQUANTIZED.get(quant)
        placeholder = f"<{kind}-repo>" if kind else None
        weights = placeholder or option.id
        gguf_tag = quant.removeprefix("gguf-").upper()
        vllm_dtype = {"fp16": "float16", "bf16": "bfloat16"}.get(quant)
        vllm_args = [f"vllm serve {weights}"]
        if context:
            vllm_args.append(f"--max-model-len {context}")
        if vllm_dtype:
            vllm_args.append(f"--dtype {vllm_dtype}")
        if quant == "fp8":
            vllm_args.append("--quantization fp8")
        if tp > 1:
            vllm_args.append(f"--tensor-parallel-size {tp}")
        llama_args = ["llama-server", "-hf", f"{weights}:{gguf_tag}"]
        if context:
            llama_args += ["-c", str(context)]
        llama_args += ["-ngl", "0" if option.device == "cpu" else "99"]
        return {
            "id": option.id,
            "quant": quant,
            "context": context,
            "tp": tp,
            "placeholder": placeholder,
            "placeholder_kind": kind,
            "weights": weights,
            "transformers": quant in _TRANSFORMERS_QUANTS,
            "vllm": quant in _VLLM_QUANTS and option.device != "cpu",
            "gguf": kind == "gguf",
            "gguf_tag": gguf_tag,
            "dtype": _TORCH_DTYPES.get(quant, "torch.bfloat16"),
            "bnb": _BNB_ARGS.get(quant),
            "vllm_args": vllm_args,
            "llama_args": llama_args,
            "embedding": choice.embedding.id if choice.embedding is not None else None,
            "training": training,
            "trl_args": self._trl_args(option.id, training) if training is not None else [],
        }

    def _trl_args(self, model_id: str, plan: Any) -> list[str]:
        """``trl sft`` flags for the training plan (TRL CLI, ModelConfig and SFTConfig names)."""
        args = ["trl sft", f"--model_name_or_path {model_id}", "--dataset_name ./data", "--dtype bfloat16"]
        if plan.method in ("lora", "qlora"):
            rank = plan.lora_rank or 16
            args += [
                "--use_peft",
                f"--lora_r {rank}",
                f"--lora_alpha {rank * self.data.training.lora_alpha_factor}",
            ]
        if plan.method == "qlora":
            args += ["--load_in_4bit", "--bnb_4bit_quant_type nf4"]
        args += [f"--max_length {plan.sequence_length}", f"--per_device_train_batch_size {plan.batch_size}"]
        if plan.gradient_checkpointing:
            args.append("--gradient_checkpointing")
        if plan.num_gpus > 1:
            args.append("--accelerate_config zero3")  # ZeRO-3 shards weights, gradients and optimizer states
        args.append("--output_dir ./checkpoints")
        return args

    def recommend_command(self, smoke: bool = False) -> list[str]:
        """The CLI line that reproduces this report on the same (or the same stated) hardware."""
        parts = ["advisor recommend answers.yaml"]
        hw = self.rec.hardware
        if hw.source != "detected":
            gpus = hw.usable_gpus
            if gpus:
                from advisor.gpu_specs import find_gpu

                largest = max(g.total_bytes for g in gpus) / GIB
                spec = find_gpu(gpus[0].name)
                if spec is not None and all(find_gpu(g.name) is spec for g in gpus):
                    # A named GPU brings its bandwidth and formats; its memory only when it differs.
                    parts.append(f'--gpu "{gpus[0].name}" --gpus {len(gpus)}')
                    if spec.memory_gb != largest:
                        parts.append(f"--vram {largest:g}")
                else:
                    parts.append(f"--vram {largest:g} --gpus {len(gpus)}")
                if hw.nodes > 1:
                    parts.append(f"--nodes {hw.nodes}")
            else:
                parts.append("--gpus 0")
            if hw.ram_bytes:
                parts.append(f"--ram {hw.ram_bytes / GIB:g}")
        parts.append(f"--lang {self.lang} --report report.md")
        if smoke:
            parts.append("--smoke-test")
        return [" ".join(parts)]

    def answers_yaml(self) -> list[str]:
        from advisor.questionnaire import dump_answers

        return dump_answers(self.rec.answers).splitlines() or ["{}"]

    # --- section 8 and 9: proof and reproducibility -------------------------------------------

    def smoke_rows(self) -> list[tuple[str, str]]:
        s = self.rec.smoke
        rows: list[tuple[str, str]] = [(self.t("smoke.model"), f"`{s.model}` (`{s.quantization or '—'}`)")]
        if s.device:
            rows.append((self.t("smoke.device"), f"`{s.device}`"))
        if s.peak_memory_bytes is not None:
            rows.append((self.t("smoke.peak"), self.size(s.peak_memory_bytes)))
        if s.estimate_bytes is not None:
            rows.append((self.t("smoke.estimate"), self.size(s.estimate_bytes)))
        if s.measured_over_estimated is not None:
            rows.append(
                (self.t("smoke.ratio"), self.t("unit.ratio", value=self.num(s.measured_over_estimated, 2)))
            )
        if s.load_seconds is not None:
            rows.append((self.t("smoke.load"), self.t("unit.seconds", value=self.num(s.load_seconds, 1))))
        if s.time_to_first_token_s is not None:
            rows.append(
                (self.t("smoke.ttft"), self.t("unit.seconds", value=self.num(s.time_to_first_token_s, 2)))
            )
        if s.tokens_per_second is not None:
            rows.append(
                (
                    self.t("smoke.speed"),
                    self.t("unit.tokens_per_second", value=self.num(s.tokens_per_second, 1)),
                )
            )
        return rows

    def smoke_error_lines(self) -> list[str]:
        error = self.rec.smoke.error
        lines = [f"{error.code}: {error.message}"]
        if error.hint:
            lines.append(error.hint)
        return lines

    def gpu_rows(self) -> list[tuple[str, str, str, str]]:
        return [
            (g.name, self.size(g.total_bytes), self.size(g.usable_bytes), self.t(f"gpu_status.{g.status}"))
            for g in self.rec.hardware.gpus
        ]

    def hardware_notes(self) -> list[str]:
        """What detection said, as it said it (English, like any tool log)."""
        hw = self.rec.hardware
        return [*hw.notes, *(f"GPU {g.index}: {g.note}" for g in hw.gpus if g.note)]

    def trace_count(self, outcome: str) -> int:
        return sum(1 for entry in self.rec.trace if entry.outcome == outcome)


def signed(points: int) -> str:
    """+3 or −3 (a true minus sign, as in print)."""
    return f"+{points}" if points >= 0 else f"−{-points}"


def bar_chart(rows: Iterable[tuple[str, int]], size: Any, width: int = BAR_WIDTH) -> list[str]:
    """Fixed-width text bars scaled to the largest value, with the value at the end of each line."""
    items = list(rows)
    scale = max((value for _, value in items), default=0) or 1
    label_width = max((len(label) for label, _ in items), default=0)
    sizes = [size(value) for _, value in items]
    size_width = max((len(s) for s in sizes), default=0)
    lines = []
    for (label, value), shown in zip(items, sizes, strict=True):
        filled = round(max(0, value) / scale * width)
        if value > 0 and filled == 0:
            filled = 1  # a part that exists shows at least one block
        lines.append(
            f"{label.ljust(label_width)}  {'█' * filled}{'░' * (width - filled)}  {shown.rjust(size_width)}"
        )
    return lines
