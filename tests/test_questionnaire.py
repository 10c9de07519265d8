"""The questionnaire: every key optional, every bad input a clear error naming key, value and file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from advisor.errors import InputError
from advisor.questionnaire import (
    QUESTION_KEYS,
    Answers,
    answers_from_text,
    choices_of,
    dump_answers,
    load_answers,
    load_questions,
    mapping_of,
)

DESIGN_KEYS = [
    "task_type",
    "needs_language_understanding",
    "input_nature",
    "input_length",
    "languages",
    "knowledge_source",
    "knowledge_change_frequency",
    "corpus_size_pages",
    "needs_citations",
    "labelled_examples",
    "labelled_examples_type",
    "num_classes",
    "style_terminology_need",
    "output_format",
    "data_privacy",
    "latency_requirement",
    "volume_per_day",
    "team_ml_skills",
    "budget",
    "criticality",
    "end_users",
    "context_tokens",
    "commercial_use_required",
    "allowed_licences",
    "already_tried",
    "deployment_target",
    "confusable_documents",
    "model_independence",
    "unlabelled_text_pages",
    "peak_concurrent_requests",
    "output_tokens",
]


def test_keys_are_exactly_the_contract() -> None:
    assert sorted(QUESTION_KEYS) == sorted(DESIGN_KEYS)
    assert choices_of("deployment_target") == ("server", "workstation", "laptop", "mobile_edge")
    assert mapping_of("already_tried") == (
        ("no-llm", "prompting", "rag", "fine-tuning"),
        ("insufficient", "good_enough"),
    )
    assert choices_of("labelled_examples_type") == (
        "none",
        "class_labels",
        "input_output_pairs",
        "qa_pairs",
        "qa_pairs_with_source_docs",
        "dialogues",
        "preference_pairs",
    )


def test_every_key_is_optional() -> None:
    assert Answers().answered() == {}
    assert load_answers({}) == Answers()
    assert load_answers(None) == Answers()


def test_accepts_dict_answers_and_yaml_path(tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text("task_type: classification\nlanguages: fr\nneeds_citations: true\n", encoding="utf-8")
    from_file = load_answers(path)
    assert from_file.languages == ("fr",)
    assert load_answers(str(path)) == from_file
    assert load_answers(from_file) is from_file
    assert load_answers({"task_type": "classification", "languages": ["fr"], "needs_citations": True}) == from_file


def test_unknown_value_names_key_value_allowed_and_suggestion() -> None:
    with pytest.raises(InputError) as info:
        load_answers({"task_type": "clasification"})
    text = str(info.value)
    assert "task_type" in text and "'clasification'" in text
    assert "did you mean 'classification'" in text
    assert "summarization" in text  # the allowed values are listed


def test_unknown_key_suggests_the_right_one(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text("task_typ: classification\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_answers(path)
    text = str(info.value)
    assert str(path) in text and "unknown key 'task_typ'" in text and "did you mean 'task_type'" in text


def test_several_errors_reported_together() -> None:
    with pytest.raises(InputError) as info:
        load_answers({"budget": "huge", "labelled_examples": -1, "languages": ["fr", "xx"]})
    text = str(info.value)
    assert "budget" in text and "labelled_examples" in text and "'xx'" in text


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("task_type: classification\nlanguages: [fr, en\nbudget: low\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_answers(path)
    assert info.value.file == str(path)
    assert info.value.line is not None and info.value.line >= 2
    assert f"{path}:{info.value.line}" in str(info.value)


def test_missing_file_and_wrong_shape(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        load_answers(tmp_path / "nope.yaml")
    path = tmp_path / "list.yaml"
    path.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(InputError, match="expected a mapping"):
        load_answers(path)
    with pytest.raises(InputError):
        load_answers(42)  # type: ignore[arg-type]


def test_bad_language_and_licence_codes() -> None:
    with pytest.raises(InputError, match="ISO 639"):
        load_answers({"languages": ["french"]})
    with pytest.raises(InputError, match="licence id"):
        load_answers({"allowed_licences": ["Apache 2.0!"]})
    assert load_answers({"languages": ["FR", "br"]}).languages == ("fr", "br")


def test_dump_and_reload_round_trip() -> None:
    answers = load_answers(
        {"task_type": "document_qa", "languages": ["fr", "en"], "corpus_size_pages": 1200, "needs_citations": True}
    )
    assert answers_from_text(dump_answers(answers)) == answers


def test_question_texts_cover_every_key_in_both_languages() -> None:
    book = load_questions()
    assert sorted(q.key for q in book.questions) == sorted(QUESTION_KEYS)
    for question in book.questions:
        assert question.label.en and question.label.fr and question.label.en != question.label.fr
        assert question.help.en and question.help.fr
        if question.widget == "select":
            assert set(question.choices) == set(choices_of(question.key))
        assert question.group in book.groups


def test_a_blank_questionnaire_saves_as_a_commented_file_that_loads_as_nothing_answered() -> None:
    from advisor.questionnaire import Answers, dump_answers, load_answers

    text = dump_answers(Answers())
    assert text != "{}\n" and "advisor questions" in text and "advisor init" in text
    assert load_answers(yaml.safe_load(text) or {}).answered() == {}
    assert dump_answers(Answers(task_type="classification")).startswith("task_type: classification")
