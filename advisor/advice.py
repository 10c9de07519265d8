"""``recommend()``: from answers and hardware to a ``Recommendation`` with its reasons.

This is the one place where the parts meet: the questionnaire, the hardware profile, the rules
engine, and the model selection. Each part stays testable on its own; this module only wires them
and turns the engine's trace into what a person reads (reasons, alternatives, follow-ups).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor import __version__
from advisor.hardware.profile import HardwareProfile
from advisor.i18n import LocalizedText, approach_name, join_localized, message, points
from advisor.questionnaire import QUESTION_KEYS, Answers, load_answers, load_questions
from advisor.results import (
    Alternative,
    FollowUpQuestion,
    Reason,
    Recommendation,
    SmokeResult,
    SourceRef,
    Technique,
    Versions,
)
from advisor.rules.engine import Evaluation, moot_by
from advisor.rules.facts import build_facts
from advisor.rules.loader import KnowledgeBase, load_knowledge_base
from advisor.rules.schema import APPROACHES, Approach, Rule

if TYPE_CHECKING:
    from advisor.selection.models import Selection

# Alternatives within this many points of the winner are still called defensible.
DEFENSIBLE_MARGIN = 2
# Derived facts point back to the question whose answer they come from.
_FACT_TO_KEY = {
    "corpus_tokens": "corpus_size_pages",
    "rare_language": "languages",
    "on_device": "deployment_target",
    "tried_no_llm": "already_tried",
    "tried_prompting": "already_tried",
    "tried_rag": "already_tried",
    "tried_fine_tuning": "already_tried",
}
# The reason given when the base scores (not a rule) decided: "start with prompting".
BASE_SCORES_ID = "BASE-SCORES"
_KIND_WEIGHT = {"gate": 100, "veto": 50, "score": 0, "advice": 1}


def recommend(
    answers: Answers | dict[str, Any] | str | Path | None,
    hardware: HardwareProfile | dict[str, Any] | None = None,
    *,
    smoke_test: bool = False,
    smoke_progress: Callable[[str, str | None], None] | None = None,
    knowledge_base: KnowledgeBase | None = None,
) -> Recommendation:
    """Recommend an approach (and, with the catalog, a model and quantization) for these answers.

    ``answers``: a dict, an ``Answers``, or the path of a YAML file. ``hardware``: None to detect
    this machine, a dict such as ``{"gpus": [{"name": "RTX 4090", "vram_gb": 24}], "ram_gb": 64}``
    to plan for hardware the team does not have yet, or a ``HardwareProfile``. ``smoke_test``
    loads the chosen model for real in a child process and attaches the measured result
    (``smoke_progress`` receives each step: resolve, download, load, generate).
    """
    parsed = load_answers(answers)
    profile = _hardware(hardware)
    kb = knowledge_base or load_knowledge_base()
    facts = build_facts(parsed, profile, kb.meta)
    evaluation = kb.evaluate(facts)
    from advisor.selection.models import select_for_approach

    techniques = frozenset(
        str(kb.rule(t.id).then.technique) for t in evaluation.trace if t.kind == "advice" and t.applied
    )
    selection = select_for_approach(parsed, profile, evaluation.approach, techniques=techniques)
    rec = assemble(parsed, profile, kb, evaluation, selection)
    if smoke_test and rec.model is not None:
        rec = rec.model_copy(update={"smoke": _smoke_test(rec, smoke_progress)})
    return rec


def _hardware(hardware: HardwareProfile | dict[str, Any] | None) -> HardwareProfile:
    from advisor.hardware.detect import resolve_hardware  # detection imports pynvml and psutil: only when needed

    return resolve_hardware(hardware)


def assemble(
    answers: Answers, hardware: HardwareProfile, kb: KnowledgeBase, ev: Evaluation, selection: Selection | None = None
) -> Recommendation:
    """Turn an evaluation and the model plan into one validated result: reasons, alternatives, follow-ups."""
    rules = {rule.id: rule for rule in kb.rules}
    choice = selection.choice if selection else None
    return Recommendation(
        approach=ev.approach,
        decided_by=ev.decided_by,
        reasons=_reasons(ev, rules, kb),
        alternatives=_alternatives(ev, kb.meta.fallbacks.get(ev.approach, [])),
        follow_up_questions=_follow_ups(ev, rules, kb),
        techniques=_techniques(ev, rules, kb),
        scores=ev.scores,
        excluded=ev.excluded,
        model=choice,
        quantization=choice.chosen.quantization if choice else None,
        memory=choice.chosen.memory if choice else None,
        selection_note=selection.note if selection else None,
        answers=answers,
        hardware=hardware,
        versions=Versions(
            advisor=__version__,
            knowledge_base=kb.version,
            catalog=selection.catalog_version if selection else None,
        ),
        trace=ev.trace,
    )


def effect_text(rule: Rule) -> str:
    """A rule's effect in a few symbols, e.g. ``rag +3, fine-tuning -3``."""
    effect = rule.then
    if rule.kind == "gate":
        return f"decides {effect.decide}"
    if rule.kind == "veto":
        return "excludes " + ", ".join(effect.exclude)
    if rule.kind == "score":
        return ", ".join(f"{a} {p:+d}" for a, p in effect.score.items())
    return f"technique {effect.technique}"


def _sources(rule: Rule, kb: KnowledgeBase) -> list[SourceRef]:
    return [_source_ref(s, kb) for s in rule.sources]


def _source_ref(source_id: str, kb: KnowledgeBase) -> SourceRef:
    source = kb.meta.sources[source_id]
    return SourceRef(id=source_id, title=source.title, locator=source.locator)


def _reasons(ev: Evaluation, rules: dict[str, Rule], kb: KnowledgeBase) -> list[Reason]:
    fired = [t for t in ev.trace if t.applied and t.kind != "advice"]
    approach = ev.approach

    def rank(entry: Any) -> tuple[int, int]:
        rule = rules[entry.id]
        if rule.kind == "gate":
            return (0, 0)
        if rule.kind == "veto":
            return (1, 0)
        return (2, -rule.then.score.get(approach, 0))  # what backed the winner first

    reasons = [
        Reason(
            id=t.id,
            kind=t.kind,
            text=rules[t.id].text,
            effect=effect_text(rules[t.id]),
            facts=t.facts,
            sources=_sources(rules[t.id], kb),
        )
        for t in sorted(fired, key=rank)
    ]
    base = kb.meta.base_scores.get(approach, 0)
    if ev.decided_by == "scores" and (base > 0 or not reasons):
        reasons.append(
            Reason(
                id=BASE_SCORES_ID,
                kind="score",
                text=kb.meta.base_scores_why,
                effect=", ".join(f"{a} {p:+d}" for a, p in kb.meta.base_scores.items() if p),
                facts={},
                sources=[_source_ref(s, kb) for s in kb.meta.base_scores_sources],
            )
        )
    return reasons


def _alternatives(ev: Evaluation, fallbacks: list[Approach]) -> list[Alternative]:
    winner = ev.approach
    winner_score = ev.scores[winner]
    winner_name = approach_name(winner)
    out: list[Alternative] = []
    for approach in APPROACHES:
        if approach == winner:
            continue
        score = ev.scores[approach]
        if approach in ev.excluded:
            vetoes = ev.excluded[approach]
            out.append(
                Alternative(
                    approach=approach,
                    status="excluded",
                    defensible=False,
                    score=score,
                    rules=vetoes,
                    why=message("alternative.excluded", rules=", ".join(vetoes)),
                )
            )
        elif ev.decided_by != "scores":
            named = approach in ev.gate_alternatives
            key = "alternative.gate_defensible" if named else "alternative.gate"
            out.append(
                Alternative(
                    approach=approach,
                    status="set_aside_by_gate",
                    defensible=named,
                    score=score,
                    rules=[ev.decided_by],
                    why=message(key, gate=ev.decided_by, approach=winner_name),
                )
            )
        else:
            key = "alternative.tie" if score == winner_score else "alternative.lower"
            out.append(
                Alternative(
                    approach=approach,
                    status="ranked_lower",
                    defensible=score >= winner_score - DEFENSIBLE_MARGIN or approach in fallbacks,
                    score=score,
                    rules=[],
                    why=message(key, score=points(score), winner_score=points(winner_score), approach=winner_name),
                )
            )
    out.sort(key=lambda alt: (not alt.defensible, alt.status == "excluded", -alt.score))
    return out


def _follow_ups(ev: Evaluation, rules: dict[str, Rule], kb: KnowledgeBase) -> list[FollowUpQuestion]:
    questions = load_questions()
    by_key: dict[str, dict[str, Any]] = {}
    for entry in ev.trace:
        if entry.outcome != "not_evaluated":
            continue
        rule = rules[entry.id]
        if rule.kind == "advice" and ev.approach not in rule.then.applies_to:
            continue  # advice for a plan that was not chosen changes nothing
        if not _could_matter(rule, ev):
            continue  # it could only push towards approaches already vetoed
        for fact in entry.missing:
            key = _FACT_TO_KEY.get(fact, fact)
            if key not in QUESTION_KEYS:
                continue  # a hardware fact: detected or given, never asked
            slot = by_key.setdefault(key, {"rules": [], "could": [], "weight": 0})
            if rule.id not in slot["rules"]:
                slot["rules"].append(rule.id)
                slot["could"].append(_could(rule, kb))
                slot["weight"] += _weight(rule)
    _add_gate_undoers(ev, rules, by_key)
    out = [
        FollowUpQuestion(
            key=key,
            question=questions.get(key).label,
            rules=slot["rules"],
            could=slot["could"],
            weight=slot["weight"],
        )
        for key, slot in by_key.items()
    ]
    out.sort(key=lambda q: (-q.weight, q.key))
    return out


def _add_gate_undoers(ev: Evaluation, rules: dict[str, Rule], by_key: dict[str, dict[str, Any]]) -> None:
    """Questions whose answer could lift the gate that settled the approach.

    A gate fires on known answers, except where it tests that a question is still unanswered
    (``is_unset``, as in "unless a script was tried and fell short"): answering that question may
    lift the gate, so it is worth asking, with the gate's weight.
    """
    if ev.decided_by == "scores":
        return
    entry = next(t for t in ev.trace if t.id == ev.decided_by)
    gate = rules[entry.id]
    for test in entry.tests:
        if test.op != "is_unset" or test.actual is not None:
            continue
        key = _FACT_TO_KEY.get(test.fact, test.fact)
        if key not in QUESTION_KEYS:
            continue
        slot = by_key.setdefault(key, {"rules": [], "could": [], "weight": 0})
        if gate.id not in slot["rules"]:
            slot["rules"].append(gate.id)
            slot["could"].append(message("followup.undo_gate", rule=gate.id, approach=approach_name(ev.approach)))
            slot["weight"] += _KIND_WEIGHT["gate"]


def _could_matter(rule: Rule, ev: Evaluation) -> bool:
    """Whether answering the facts a rule lacks could change anything given the vetoes that fired.

    Once a gate has settled the approach, vetoes and scores count for nothing; a score rule whose
    favoured approaches are all vetoed would be moot if it fired; a veto whose approaches are all
    excluded already removes nothing more. Asking for either wastes the team's
    time, and the question would print a reason that contradicts a veto.
    """
    if ev.decided_by != "scores" and rule.kind in ("veto", "score"):
        return False  # a gate settled the approach before any veto or score could count
    if rule.kind == "gate" and rule.then.decide == ev.approach:
        return False  # it would settle on the approach already chosen
    if rule.kind == "score":
        return not moot_by(rule, ev.excluded)
    if rule.kind == "veto":
        return any(a not in ev.excluded for a in rule.then.exclude)
    return True


def _weight(rule: Rule) -> int:
    if rule.kind == "score":
        return max(abs(points) for points in rule.then.score.values())
    return _KIND_WEIGHT[rule.kind]


def _could(rule: Rule, kb: KnowledgeBase) -> LocalizedText:
    effect = rule.then
    if rule.kind == "gate":
        return message("followup.gate", approach=approach_name(str(effect.decide)), rule=rule.id)
    if rule.kind == "veto":
        names = join_localized([approach_name(a) for a in effect.exclude])
        return message("followup.veto", approaches=names, rule=rule.id)
    if rule.kind == "score":
        points = [
            LocalizedText(en=f"{n.en} {p:+d}", fr=f"{n.fr} {p:+d}".replace(f" -{abs(p)}", f" \u2212{abs(p)}"))
            for n, p in ((approach_name(a), p) for a, p in rule.then.score.items())
        ]
        return message("followup.score", effect=join_localized(points), rule=rule.id)
    return message("followup.advice", technique=kb.meta.techniques[str(effect.technique)], rule=rule.id)


def _techniques(ev: Evaluation, rules: dict[str, Rule], kb: KnowledgeBase) -> list[Technique]:
    out = []
    for entry in ev.trace:
        if entry.kind == "advice" and entry.applied:
            rule = rules[entry.id]
            technique = str(rule.then.technique)
            out.append(
                Technique(
                    id=technique,
                    name=kb.meta.techniques[technique],
                    text=rule.text,
                    rule=rule.id,
                    sources=_sources(rule, kb),
                )
            )
    return out


def _smoke_test(rec: Recommendation, progress: Callable[[str, str | None], None] | None) -> SmokeResult:
    """Load the chosen model the way the plan says, and keep the measured result next to the estimate.

    The smoke test loads through transformers. A plan in a format transformers loads (bf16, fp16,
    fp32, bitsandbytes) is tested as is. A pre-quantized plan (AWQ, GPTQ, FP8, MXFP4) is tested on
    the published checkpoint the catalog names for that format. A plan served by llama.cpp (GGUF)
    or quantized by vLLM at load time has no checkpoint transformers can load in that format: the
    model itself is tested in bf16, stepping down on out-of-memory, which checks that it loads and
    generates here, and a note says the served format was not what was measured.
    """
    from advisor.smoke.runner import smoke_test

    assert rec.model is not None
    from advisor.quantization import loaded_on_the_fly

    quant = rec.quantization or "bf16"
    if quant in loaded_on_the_fly():  # transformers makes it from the plain weights
        return smoke_test(rec.model.id, quantization=quant, estimate=rec.memory, progress=progress)
    from advisor.catalog import load_catalog

    entry = load_catalog().find(rec.model.id)
    published = {str(fmt): repo for fmt, repo in entry.quantized_repos.items()} if entry is not None else {}
    repo = published.get(quant) or (rec.model.id if entry is not None and entry.release_format == quant else None)
    if repo is not None:
        result = smoke_test(repo, quantization=None, progress=progress)
        note = f"the {quant} plan was smoke-tested on its published checkpoint {repo}"
    else:
        result = smoke_test(rec.model.id, quantization="bf16", fallback=True, progress=progress)
        note = (
            f"the plan serves {quant} ({rec.model.chosen.engine}); the smoke test loads through transformers, "
            "so it checked the model in bf16 (stepping down on out-of-memory), not the served format"
        )
    return result.model_copy(update={"notes": [*result.notes, note]})
