"""The justification report: a Markdown document a lead can forward, in English or French.

Three layers keep the report reviewable and translatable. The wording (every heading and sentence,
in both languages) lives in ``data/report_texts.yaml``; the layout lives in the jinja2 templates
under ``templates/``; this module only decides *what* to say (which engine, which rows, which
numbers) and formats numbers and sizes the way each reader expects (``1 234,5 Gio`` in French).
Templates receive ready-made values and call ``t()`` for words, so no sentence is assembled by
string concatenation here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import jinja2
from pydantic import BaseModel, ConfigDict, Field

from advisor.datafiles import PACKAGE_DIR, read_yaml, validate
from advisor.i18n import Lang, LocalizedText, points
from advisor.quantization import find_quantization, transformers_load_of
from advisor.results import Recommendation
from advisor.rules.schema import APPROACHES, Approach
from advisor.units import GIB, format_bytes, format_count, format_gpu_list, format_number, french_typography, runs

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
TEXTS_FILE = PACKAGE_DIR / "data" / "report_texts.yaml"

# Parts of a memory estimate in the order a reader expects them (advisor.memory breakdown keys).
MEMORY_PARTS = ("weights", "kv_cache", "activations", "overhead", "gradients", "optimizer", "adapters")
BAR_WIDTH = 30
# The evidence before the appendices stays short: the strongest reasons, flips and runner-ups only;
# the appendices hold the rest.
MAX_REASONS = 3
MAX_FLIPS = 3
MAX_MODELS = 3
# How each format loads and where it runs comes from data/quantizations.yaml (advisor.quantization),
# the one place that knows it; these helpers only word it for the report's snippets.


def _runs_on(quant: str, engine: str) -> bool:
    q = find_quantization(quant)
    return q is not None and engine in q.engines and (engine != "transformers" or q.transformers_load is not None)


def _load_kind(quant: str) -> str | None:
    load = transformers_load_of(quant)
    return load.kind if load is not None else None


def _flag_pairs(args: list[str]) -> list[str]:
    """``["--a", "1", "--b", "2"]`` -> ``["--a 1", "--b 2"]``: one flag and its value per line of a command."""
    pairs: list[str] = []
    for arg in args:
        if pairs and not arg.startswith("-") and " " not in pairs[-1]:
            pairs[-1] += f" {arg}"
        else:
            pairs.append(arg)
    return pairs


def _conversion_method(quant: str) -> str | None:
    """awq or gptq for a published conversion (they carry a bit width); None for other formats."""
    load = transformers_load_of(quant)
    return load.quant_method if load is not None and load.kind == "prequantized" and load.bits else None


def _torch_dtype(quant: str) -> str:
    """The ``dtype=`` of the transformers snippet (>= 5); pre-quantized checkpoints carry their own."""
    load = transformers_load_of(quant)
    if load is not None and load.kind == "dtype":
        return f"torch.{load.dtype}"
    return '"auto"' if load is not None and load.kind == "prequantized" else "torch.bfloat16"


def _bnb_arguments(quant: str) -> str | None:
    """BitsAndBytesConfig arguments as Python source, the compute dtype set for a 4-bit load."""
    load = transformers_load_of(quant)
    if load is None or load.kind != "bitsandbytes" or not load.bnb:
        return None
    parts: list[str] = []
    for key, value in load.bnb.items():
        parts.append(f"{key}={value!r}" if isinstance(value, str) else f"{key}={value}")
        if key == "bnb_4bit_quant_type":
            parts.append("bnb_4bit_compute_dtype=torch.bfloat16")
    return ", ".join(p.replace("'", '"') for p in parts)


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
    epochs: int = Field(gt=0)
    learning_rate_lora: float = Field(gt=0)
    learning_rate_full: float = Field(gt=0)
    sources: list[str] = Field(min_length=1)


def _published_repo(option: Any, quant: str) -> str | None:
    """The Hub repo of a published ``quant`` checkpoint of ``option``, as the catalog names it.

    Catalog entries list their published conversions (``quantized_repos``, by format); the commands
    name that repo instead of a placeholder. A plan option that carries the field itself wins.
    """
    repos = getattr(option, "quantized_repos", None)
    if not isinstance(repos, dict):
        from advisor.catalog import load_catalog

        entry = load_catalog().find(option.id)
        repos = getattr(entry, "quantized_repos", None) or {}
    repo = repos.get(quant)
    return str(repo) if repo else None


def _smoke_runs(quant: str, device: str) -> bool:
    """Whether ``advisor smoke`` can load this format from the plain weights on this device."""
    from advisor.quantization import loaded_on_the_fly, needs_cuda_to_load

    return quant in loaded_on_the_fly() and not (needs_cuda_to_load(quant) and device == "cpu")


class ReportData(BaseModel):
    """``data/report_texts.yaml``: every heading and sentence in both languages, and plan defaults."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rag: RagSettings
    training: TrainingSettings
    texts: dict[str, LocalizedText]


class GlossaryTerm(BaseModel):
    """One term of the report and the French word for it (``avoid``: words French teams do not use)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    en: str
    fr: str
    avoid: list[str] = Field(default_factory=list)


class Glossary(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    terms: list[GlossaryTerm] = Field(min_length=1)


GLOSSARY_FILE = PACKAGE_DIR / "data" / "glossary.yaml"


@lru_cache(maxsize=1)
def load_glossary() -> Glossary:
    """The French terms of the report (data/glossary.yaml), validated once."""
    return validate(Glossary, read_yaml(GLOSSARY_FILE), file=str(GLOSSARY_FILE))


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
    env.filters["pystr"] = lambda value: json.dumps(str(value), ensure_ascii=False)
    return env


def render_markdown(rec: Recommendation, lang: Lang = "en") -> str:
    """The justification report of ``rec`` in ``lang``."""
    view = ReportView(rec, lang)
    text = _tidy(environment().get_template("report.md.j2").render(rec=rec, v=view, t=view.t, lang=lang))
    return french_typography(text) if lang == "fr" else text


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
        return text.format(**{k: v.get(self.lang) if isinstance(v, LocalizedText) else v for k, v in values.items()})

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
        """Parameter counts the way model cards write them (7.6B, 7,6 Md; 202K, never "0 M")."""
        if not count:
            return "—"
        return format_count(count, self.lang)

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
            return str(self._questions.get(key).label.get(self.lang))
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
        return [(self.question(k), f"`{k}`", self.answer(k, v)) for k, v in self.rec.answers.answered().items()]

    # --- section 1 and 2: the decision --------------------------------------------------------

    @cached_property
    def kb(self) -> Any:
        from advisor.rules.loader import load_knowledge_base

        return load_knowledge_base()

    def runner_up(self) -> Approach | None:
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

    def effect(self, reason: Any) -> str:
        """What a reason did, in the reader's words, read from the result's ``Reason.effect``.

        advice.py writes the effect as ``decides X``, ``excludes A, B``, ``technique T`` or
        ``A +3, B -2``; the view translates that, and never goes back to the rule base (the
        synthetic base-scores reason has no rule there).
        """
        return localized_effect(reason.effect, self.t, self.approach, self.technique_name)

    def winner_effect(self, reason: Any) -> str:
        """What a deciding reason gave the chosen approach, e.g. ``RAG +3`` (the full effect is in appendix A)."""
        if reason.kind != "score":
            return self.effect(reason)
        return f"{self.approach(self.rec.approach)} {signed(_points_for(reason.effect, self.rec.approach))}"

    def technique_name(self, technique: str) -> str:
        for item in self.rec.techniques:
            if item.id == technique:
                return self.loc(item.name)
        return technique

    def deciding_reasons(self) -> list[Any]:
        """The gate that settled it, or the score rules that gave the chosen approach points."""
        rec = self.rec
        if rec.decided_by != "scores":
            return [r for r in rec.reasons if r.id == rec.decided_by] or rec.reasons[:1]
        gains = [r for r in rec.reasons if r.kind == "score" and _points_for(r.effect, rec.approach) > 0]
        return sorted(gains, key=lambda r: -_points_for(r.effect, rec.approach))[:MAX_REASONS]

    def other_reasons(self) -> list[str]:
        """Reasons that counted elsewhere (vetoes, points for other approaches): in appendix A."""
        shown = {r.id for r in self.deciding_reasons()}
        return [r.id for r in self.rec.reasons if r.id not in shown]

    def facts_read(self, facts: dict[str, Any]) -> str:
        return "; ".join(
            self.t("fact.pair", question=self.question(k), answer=self.answer(k, v)) for k, v in facts.items()
        )

    def kind(self, kind: str) -> str:
        return self.t(f"kind.{kind}")

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
        cited = [source for reason in self.rec.reasons for source in reason.sources]
        cited += [source for technique in self.rec.techniques for source in technique.sources]
        for source in cited:
            title = self.t(f"source.{source.id}") if self.has(f"source.{source.id}") else source.title
            locator = source.locator.replace("part II", "partie II") if self.lang == "fr" else source.locator
            seen.setdefault(source.id, (f"`{source.id}`", title, locator))
        return list(seen.values())

    # --- at a glance: one page a lead can forward ------------------------------------------

    def is_tie(self) -> bool:
        """The chosen approach won on scores only because ties go to the simpler approach."""
        runner = self.runner_up()
        return (
            self.rec.decided_by == "scores"
            and runner is not None
            and self.rec.scores.get(runner, 0) == self.rec.scores.get(self.rec.approach, 0)
        )

    def one_line_why(self) -> str:
        """The reason that settled it: the gate, or the score rule that gave the winner the most."""
        rec = self.rec
        if rec.decided_by != "scores":
            for reason in rec.reasons:
                if reason.id == rec.decided_by:
                    return self.loc(reason.text)
        best = None
        for reason in rec.reasons:
            if reason.kind != "score":
                continue
            gain = _points_for(reason.effect, rec.approach)
            if gain > 0 and (best is None or gain > best[0]):
                best = (gain, reason)
        if best is not None:
            return self.loc(best[1].text)
        return self.loc(rec.reasons[0].text) if rec.reasons else ""

    def layout(self, option: Any) -> str:
        """Where the model runs: the processor, one GPU, or N GPUs in tensor parallel."""
        if option.device == "cpu":
            return self.t("glance.layout.cpu")
        gpus = max(1, int(getattr(option, "gpus_used", 0) or option.num_gpus or 1))
        name = getattr(option, "gpu_name", None) or (
            self.rec.hardware.usable_gpus[0].name if self.rec.hardware.usable_gpus else "GPU"
        )
        if gpus == 1:
            return self.t("glance.layout.one", gpu=name)
        return self.t("glance.layout.many", count=gpus, gpu=name)

    def fit_line(self) -> str:
        choice = self.choice
        option = choice.chosen
        total = self.size(self.total_of(option.memory))
        if option.fit == "does-not-fit":
            return self.t(
                "summary.no_fit",
                total=total,
                usable=self.size(option.usable_bytes),
                missing=self.size(-option.margin_bytes),
            )
        return self.t(
            f"summary.fits.{option.fit}",
            total=total,
            usable=self.size(option.usable_bytes),
            margin=self.size(option.margin_bytes),
        )

    def training_line(self) -> str | None:
        """Whether training fits; a training approach without a training plan says so (never "fits")."""
        choice = self.choice
        training = getattr(choice, "training", None) if choice is not None else None
        if training is None:
            return self.t("glance.no_training_plan") if self.needs_training_plan() else None
        key = "summary.training.no_fit" if training.fit == "does-not-fit" else "summary.training.fits"
        return self.t(
            key,
            method=self.t(f"method.{training.method}"),
            total=self.size(self.per_device(training.memory, training.num_gpus)),
            margin=self.size(abs(training.margin_bytes)),
        )

    def needs_training_plan(self) -> bool:
        """A fine-tuning or RAFT plan whose selection found a model to run but none to train."""
        choice = self.choice
        return self.rec.approach in ("fine-tuning", "raft") and choice is not None and choice.training is None

    def demand_line(self) -> str | None:
        """Whether the plan meets the stated latency and volume, when the result knows it.

        Selection results that carry ``meets_demand`` (serving plans sized for the demand) answer
        yes or no; older results only carry a rough decode speed, shown as such.
        """
        answers = self.rec.answers
        latency = getattr(answers, "latency_requirement", None)
        volume = getattr(answers, "volume_per_day", None)
        if latency is None and volume is None:
            return None
        asked = []
        if latency is not None:
            label = self.answer("latency_requirement", latency)
            asked.append(label[:1].lower() + label[1:])  # a choice label, inside a sentence
        if volume is not None:
            asked.append(self.t("glance.volume", count=self.num(volume)))
        need = ", ".join(asked)
        choice = self.choice
        if choice is None:
            return self.t("glance.demand.no_model", need=need) if self.rec.approach != "no-llm" else None
        option = choice.chosen
        meets = getattr(option, "meets_demand", None)
        speed = option.tokens_per_second
        if meets is True:
            return self.t("glance.demand.met", need=need)
        if meets is False:
            return self.t("glance.demand.not_met", need=need)
        if speed:
            return self.t("glance.demand.speed", need=need, speed=self.speed(speed))
        return self.t("glance.demand.unknown", need=need)

    def speed(self, tokens_per_second: float) -> str:
        """``environ 1 token/s``, ``about 45 tokens/s``: the unit agrees with the number."""
        value = round(tokens_per_second) if tokens_per_second >= 1 else round(tokens_per_second, 1)
        key = "unit.token_per_second" if value < 2 else "unit.tokens_per_second"
        return self.t(key, value=self.num(value, 0 if value >= 1 else 1))

    def main_risk(self) -> str:
        """The one thing most likely to make the plan fail, in the order a lead would worry about it."""
        rec = self.rec
        choice = self.choice
        if rec.smoke is not None and rec.smoke.verdict != "fits":
            return self.t(f"risk.smoke.{rec.smoke.verdict}")
        if choice is not None:
            option = choice.chosen
            if option.fit == "does-not-fit":
                return self.t("risk.no_fit")
            training = choice.training
            if training is not None and training.fit == "does-not-fit":
                return self.t("risk.training_no_fit")
            if self.needs_training_plan():
                return self.t("risk.no_training_plan")
            if getattr(option, "meets_demand", None) is False:
                return self.t("risk.demand")
            if option.fit == "tight":
                return self.t("risk.tight")
            if training is not None and training.fit == "tight":
                return self.t("risk.training_tight")
        elif rec.approach != "no-llm":
            return self.t("risk.no_model")
        if self.is_tie():
            return self.t("risk.tie", runner=self.approach(self.runner_up() or rec.approach))
        if rec.follow_up_questions:
            return self.t("risk.follow_up", question=self.loc(rec.follow_up_questions[0].question))
        if self.flips:
            flip = self.flips[0]
            return self.t("risk.flip", question=self.question(flip.key), approach=self.approach(flip.approach))
        return self.t(f"risk.default.{rec.approach}")

    def cost_line(self) -> str:
        """GPUs the plan occupies, or the hosted-API monthly estimate when the result carries one."""
        choice = self.choice
        hosted = getattr(choice, "hosted", None) if choice is not None else None
        options = [o for o in getattr(hosted, "options", []) or [] if getattr(o, "monthly_cost", None) is not None]
        api = None
        if options:
            cheapest = min(options, key=lambda o: o.monthly_cost)
            api = self.t(
                "glance.cost.api",
                provider=cheapest.provider,
                model=cheapest.model,
                cost=self.num(cheapest.monthly_cost),
                currency=cheapest.currency,
            )
        if choice is None:
            return self.t(f"glance.cost.none.{'no_llm' if self.rec.approach == 'no-llm' else 'pending'}")
        option = choice.chosen
        if option.fit == "does-not-fit":
            own = self.t("glance.cost.more")
        elif option.device == "cpu":
            own = self.t("glance.cost.cpu")
        else:
            own = self.t("glance.cost.gpus", layout=self.layout(option))
        training = choice.training
        if training is not None and training.num_gpus > (option.num_gpus or 1):
            own += " " + self.t("glance.cost.training", count=training.num_gpus)
        return f"{api} {own}" if api and getattr(hosted, "first", False) else (f"{own} {api}" if api else own)

    def first_steps(self) -> list[str]:
        """The first three next steps, as their headings say them."""
        return [title for title, _ in self.steps()][:3]

    def steps(self) -> list[tuple[str, str]]:
        """(heading, kind) of each next step, in the order a team runs them."""
        rec = self.rec
        out: list[tuple[str, str]] = []
        if rec.follow_up_questions:
            out.append((self.t("next.answer"), "answer"))
        cmd = self.commands()
        if cmd is None:
            if rec.approach == "no-llm":
                out.append((self.t("next.baseline"), "baseline"))
                out.append((self.t("next.measure"), "measure"))
            else:
                out.append((self.t("next.pending"), "pending"))
            return out
        if rec.approach in ("fine-tuning", "raft"):
            out.append((self.t("next.data"), "data"))
        if cmd["embedding"]:
            out.append((self.t("next.embedding"), "embedding"))
        if cmd["training"] is not None:
            out.append((self.t("next.train"), "train"))
        if not rec.smoke:
            out.append((self.t("next.smoke"), "smoke"))
        if cmd["transformers"] and not cmd["vllm"]:  # vLLM serves and answers the first request itself
            out.append((self.t("next.transformers"), "transformers"))
        if cmd["vllm"]:
            out.append((self.t("next.vllm"), "vllm"))
        if cmd["gguf"]:
            out.append((self.t("next.llamacpp"), "llamacpp"))
        out.append((self.t("next.evaluate"), "evaluate"))
        return out

    # --- section 3: alternatives and sensitivity ----------------------------------------------

    def alternative_rows(self) -> list[tuple[str, int, str]]:
        """(approach, score, why): the why already says ruled out or ranked lower; defensible ones say so."""
        return [
            (
                self.approach(a.approach),
                a.score,
                self.t("alt.defensible", why=self.loc(a.why)) if a.defensible else self.loc(a.why),
            )
            for a in self.rec.alternatives
        ]

    def alternative_status(self, alt: Any) -> str:
        status = self.t(f"alt_status.{alt.status}")
        return self.t("alt_status.defensible", status=status) if alt.defensible else status

    @cached_property
    def flips(self) -> list[Any]:
        from advisor.report.sensitivity import flips

        return flips(self.rec.answers, self.rec.hardware, knowledge_base=self.kb)

    def flip_rows(self) -> list[tuple[str, str, str, str]]:
        """(question, answer given, answers that flip, approach then), one row per key and outcome."""
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
            rows.append((self.question(key), self.answer(key, current), shown, then))
        return self.hardware_flip_rows() + rows

    @cached_property
    def hardware_flips(self) -> list[Any]:
        from advisor.report.sensitivity import hardware_flips

        return hardware_flips(self.rec.answers, self.rec.hardware, knowledge_base=self.kb)

    def hardware_flip_rows(self) -> list[tuple[str, str, str, str]]:
        """Other machines that would change the approach: hardware is a lever too."""
        rows = []
        gpus = self.rec.hardware.usable_gpus
        given = format_gpu_list([g.total_bytes for g in gpus], self.lang) if gpus else self.t("flip.no_gpu")
        groups: dict[tuple[str, str], list[str]] = {}
        for flip in self.hardware_flips:
            other = (
                format_gpu_list([g * GIB for g in flip.gpus_gb], self.lang) if flip.gpus_gb else self.t("flip.no_gpu")
            )
            groups.setdefault((flip.approach, flip.decided_by), []).append(other)
        for (approach, decided_by), machines in groups.items():
            then = self.approach(approach)
            if decided_by != "scores":
                then = self.t("flip.by_gate", approach=then, gate=decided_by)
            rows.append((self.t("flip.hardware"), given, " / ".join(machines), then))
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

    def first_sentence(self, text: LocalizedText) -> str:
        """The first sentence of a technique's text: what to do; the appendix keeps the rest."""
        whole = self.loc(text)
        match = re.match(r"(.+?[.!?])(?:\s|$)", whole)
        return match.group(1) if match else whole

    def technique_names(self, techniques: Iterable[Any]) -> str:
        return self.t("glance.sep").join(self.loc(t.name) for t in techniques)

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
        for rank, option in enumerate([choice.chosen, *choice.runner_ups][:MAX_MODELS], start=1):
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
            french,
            self.t("model.licence", licence=option.licence, commercial=self.yes_no(option.commercial_use)),
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
            if _conversion_method(quant)
            else "bitsandbytes"
            if _load_kind(quant) == "bitsandbytes"
            else "native"
            if _load_kind(quant) == "dtype"
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
        rows = [(label, self.size(value), self.pct(value / usable) if usable else "—") for label, value in parts]
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
            "notes": [self.note(a) for a in notes],
        }

    def note(self, note: LocalizedText | str) -> str:
        """An estimator or detection note in the reader's language (quoted as written if unknown)."""
        if isinstance(note, LocalizedText):
            return self.loc(note)
        if self.lang == "en":
            return str(note)
        from advisor.report.notes import french_note

        french = french_note(str(note))
        return french if french is not None else self.t("note.untranslated", note=str(note))

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
        kind = "gguf" if quant.startswith("gguf-") else _conversion_method(quant)
        published = _published_repo(option, quant)
        placeholder = f"<{kind}-repo>" if kind and not published else None
        weights = published or placeholder or option.id
        gguf_tag = quant.removeprefix("gguf-").upper()
        plan_args = _flag_pairs(option.launch_args)  # the plan's own engine arguments (selection)
        adapter = training is not None and training.method in ("lora", "qlora")
        if option.engine == "vllm" and plan_args:
            vllm_args = [f"vllm serve {weights}", *plan_args]
            online = quant == "fp8" and not published  # vLLM quantizes the 16-bit weights as it loads them
            if online and not any(arg.startswith("--quantization") for arg in plan_args):
                vllm_args.insert(1, "--quantization fp8")
        else:
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
        if adapter and training is not None:
            vllm_args += ["--enable-lora", "--lora-modules adapter=./checkpoints"]
            if (training.lora_rank or 16) > 16:  # vLLM's --max-lora-rank defaults to 16
                vllm_args.append(f"--max-lora-rank {training.lora_rank}")
        llama_args = ["llama-server", "-hf", f"{weights}:{gguf_tag}"]
        if option.engine == "llama.cpp" and plan_args:
            llama_args += [part for pair in plan_args for part in pair.split(" ", 1)]
        else:
            if context:
                llama_args += ["-c", str(context)]
            llama_args += ["-ngl", "0" if option.device == "cpu" else "99"]
        if adapter:
            llama_args += ["--lora", "adapter.gguf"]  # the trained adapter, converted to GGUF
        return {
            "id": option.id,
            "quant": quant,
            "context": context,
            "tp": tp,
            "placeholder": placeholder,
            "placeholder_kind": kind,
            "weights": weights,
            "transformers": _runs_on(quant, "transformers"),
            "vllm": _runs_on(quant, "vllm") and option.device != "cpu",
            "gguf": kind == "gguf",
            "gguf_tag": gguf_tag,
            "dtype": _torch_dtype(quant),
            "bnb": _bnb_arguments(quant),
            "vllm_args": vllm_args,
            "llama_args": llama_args,
            "embedding": choice.embedding.id if choice.embedding is not None else None,
            "training": training,
            "trl_args": self._trl_args(option.id, training) if training is not None else [],
            "smoke": _smoke_runs(quant, option.device),
            "thinking_off": self.thinking_off(option),
            "harmony": option.family.startswith("gpt-oss"),
            "prompt": self.test_prompt(),
            "gated": option.gated,
        }

    def curl_request(self) -> str:
        """A first request to the served model with the use case's own prompt (OpenAI chat API)."""
        cmd = self.commands()
        assert cmd is not None
        training = cmd["training"]
        model = "adapter" if training is not None and training.method in ("lora", "qlora") else cmd["weights"]
        body: dict[str, Any] = {"model": model, "messages": [{"role": "user", "content": cmd["prompt"]}]}
        if cmd["thinking_off"]:
            body["chat_template_kwargs"] = {"enable_thinking": False}
        payload = json.dumps(body, ensure_ascii=False).replace("'", "'\\''")
        return (
            f"curl http://localhost:8000/v1/chat/completions -H 'Content-Type: application/json' \\\n  -d '{payload}'"
        )

    def thinking_off(self, option: Any) -> bool:
        """Qwen3 hybrids think by default: switched off outside reasoning tasks."""
        return option.family.startswith("qwen3") and self.rec.answers.task_type != "reasoning"

    def test_prompt(self) -> str:
        """A first prompt drawn from the use case's own task, in its first language when it is French."""
        task = self.rec.answers.task_type or "default"
        key = f"prompt.{task}" if self.has(f"prompt.{task}") else "prompt.default"
        languages: list[str] = list(self.rec.answers.languages or [])
        lang: Lang = "fr" if (languages and languages[0] == "fr") else "en"
        return self.data.texts[key].get(lang)

    def metric(self) -> str:
        task = self.rec.answers.task_type or "default"
        key = f"metric.{task}" if self.has(f"metric.{task}") else "metric.default"
        return self.t(key)

    def _trl_args(self, model_id: str, plan: Any) -> list[str]:
        """``trl sft`` flags for the training plan (TRL CLI, ModelConfig and SFTConfig names)."""
        args = ["trl sft", f"--model_name_or_path {model_id}", "--dataset_name data/split", "--dtype bfloat16"]
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
        if plan.method in ("lora", "qlora"):
            args.append("--lora_target_modules all-linear")  # the estimate's adapters sit on every linear layer
        training = self.data.training
        args += [
            f"--num_train_epochs {training.epochs}",
            f"--learning_rate {training.learning_rate_lora if plan.method != 'full' else training.learning_rate_full}",
            "--eval_strategy epoch",
            "--dataset_test_split test",
        ]
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
                from advisor.hardware.gpus import find_gpu

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
        assert s is not None, "section 8 renders only with a smoke result"
        rows: list[tuple[str, str]] = [(self.t("smoke.model"), f"`{s.model}` (`{s.quantization or '—'}`)")]
        if s.device:
            rows.append((self.t("smoke.device"), f"`{s.device}`"))
        if s.peak_memory_bytes is not None:
            rows.append((self.t("smoke.peak"), self.size(s.peak_memory_bytes)))
        if s.estimate_bytes is not None:
            rows.append((self.t("smoke.estimate"), self.size(s.estimate_bytes)))
        if s.measured_over_estimated is not None:
            rows.append((self.t("smoke.ratio"), self.t("unit.ratio", value=self.num(s.measured_over_estimated, 2))))
        if s.load_seconds is not None:
            rows.append((self.t("smoke.load"), self.t("unit.seconds", value=self.num(s.load_seconds, 1))))
        if s.time_to_first_token_s is not None:
            rows.append((self.t("smoke.ttft"), self.t("unit.seconds", value=self.num(s.time_to_first_token_s, 2))))
        if s.tokens_per_second is not None:
            rows.append(
                (
                    self.t("smoke.speed"),
                    self.t("unit.tokens_per_second", value=self.num(s.tokens_per_second, 1)),
                )
            )
        return rows

    def smoke_error_lines(self) -> list[str]:
        error = self.rec.smoke.error if self.rec.smoke is not None else None
        assert error is not None, "error lines render only for a failed smoke result"
        lines = [f"{error.code}: {error.message}"]
        if error.hint:
            lines.append(error.hint)
        return lines

    def gpu_rows(self) -> list[tuple[str, str, str, str]]:
        """One row per run of identical GPUs ("8 × H100"): a planned cluster is a few rows, not hundreds."""
        rows = [
            (g.name, self.size(g.total_bytes), self.size(g.usable_bytes), self.t(f"gpu_status.{g.status}"))
            for g in self.rec.hardware.gpus
        ]
        return [(f"{n} × {row[0]}" if n > 1 else row[0], *row[1:]) for row, n in runs(rows)]

    def hardware_notes(self) -> list[str]:
        """What detection said, in the reader's language where the note is known; a note shared by
        several GPUs is said once."""
        hw = self.rec.hardware
        by_note: dict[str, list[int]] = {}
        for g in hw.gpus:
            if g.note:
                by_note.setdefault(g.note, []).append(g.index)
        gpu_notes = [
            f"GPU {ids[0]}: {note}" if len(ids) == 1 else f"GPU {ids[0]}-{ids[-1]}: {note}"
            for note, ids in by_note.items()
        ]
        return [self.note(n) for n in [*hw.notes, *gpu_notes]]

    def trace_count(self, outcome: str) -> int:
        return sum(1 for entry in self.rec.trace if entry.outcome == outcome)


def localized_effect(
    effect: str, t: Callable[..., str], approach: Callable[[str], str], technique: Callable[[str], str]
) -> str:
    """``Reason.effect`` (``decides rag``, ``excludes a, b``, ``rag +3, raft -2``) in the reader's words."""
    if effect.startswith("decides "):
        return t("effect.gate", approach=approach(effect.removeprefix("decides ")))
    if effect.startswith("excludes "):
        names = [approach(a.strip()) for a in effect.removeprefix("excludes ").split(",")]
        return t("effect.veto", approaches=", ".join(names))
    if effect.startswith("technique "):
        return t("effect.advice", technique=technique(effect.removeprefix("technique ")))
    parts = []
    for item in effect.split(","):
        match = re.fullmatch(r"\s*([a-z-]+) ([+-]\d+)\s*", item)
        if match is None:
            return effect
        parts.append(f"{approach(match.group(1))} {signed(int(match.group(2)))}")
    return ", ".join(parts)


def _points_for(effect: str, approach: str) -> int:
    """Points a score effect (``rag +3, raft -2``) gives ``approach``; 0 when it names it not."""
    match = re.search(rf"(?:^|, ){re.escape(approach)} ([+-]\d+)", effect)
    return int(match.group(1)) if match else 0


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
        lines.append(f"{label.ljust(label_width)}  {'█' * filled}{'░' * (width - filled)}  {shown.rjust(size_width)}")
    return lines
