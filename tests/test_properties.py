"""Properties of the decision over any valid answers (hypothesis)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import advisor
from advisor.questionnaire import QUESTION_KEYS, Answers, choices_of, language_codes, mapping_of
from tests.conftest import HARDWARE

APPROACHES = {"no-llm", "prompting", "rag", "fine-tuning", "raft"}


def _value_strategy(key: str) -> st.SearchStrategy:
    mapping = mapping_of(key)
    if mapping is not None:
        return st.dictionaries(st.sampled_from(mapping[0]), st.sampled_from(mapping[1]), max_size=len(mapping[0]))
    choices = choices_of(key)
    if choices:
        return st.sampled_from(choices)
    annotation = str(Answers.model_fields[key].annotation)
    if "bool" in annotation:
        return st.booleans()
    if key == "languages":
        return st.lists(st.sampled_from(sorted(language_codes())), min_size=1, max_size=3).map(tuple)
    if key == "allowed_licences":
        return st.lists(st.sampled_from(["apache-2.0", "mit", "llama3.1", "gemma"]), min_size=1, max_size=2).map(tuple)
    return st.integers(min_value=1, max_value=200_000)


answers_strategy = st.fixed_dictionaries({}, optional={key: _value_strategy(key) for key in QUESTION_KEYS})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answers=answers_strategy, hardware=st.sampled_from(sorted(HARDWARE)))
def test_any_valid_answers_yield_one_approach_with_a_reason(answers: dict, hardware: str) -> None:
    rec = advisor.recommend(answers, hardware=HARDWARE[hardware])
    assert rec.approach in APPROACHES
    assert rec.approach not in rec.excluded
    assert len(rec.reasons) >= 1
    assert {alt.approach for alt in rec.alternatives} == APPROACHES - {rec.approach}


@settings(max_examples=60, deadline=None)
@given(answers=answers_strategy)
def test_decision_is_deterministic(answers: dict) -> None:
    first = advisor.recommend(answers, hardware=HARDWARE["gpu24"])
    second = advisor.recommend(dict(reversed(list(answers.items()))), hardware=HARDWARE["gpu24"])
    assert first.approach == second.approach
    assert first.model_dump(mode="json", exclude={"hardware"}) == second.model_dump(mode="json", exclude={"hardware"})
