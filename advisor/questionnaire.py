"""The questionnaire: the answers a team gives about its use case, and the questions that ask for them.

``Answers`` is the contract (DESIGN.md lists its keys): every key is optional, because an
unanswered question is information too: the rules that need it are reported as not evaluated and
the question comes back as a follow-up. The question texts (labels, help, choice labels, in
English and French) live in ``data/questions.yaml`` so the CLI, the report and the terminal app
all ask the same thing the same way.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from advisor.datafiles import PACKAGE_DIR, errors_from_validation, excerpt, parse_yaml, read_yaml, validate
from advisor.errors import InputError, InputErrors
from advisor.i18n import LocalizedText

TaskType = Literal[
    "parsing_structured",
    "data_transformation",
    "information_extraction",
    "classification",
    "summarization",
    "translation",
    "drafting_generation",
    "conversational_assistant",
    "document_qa",
    "reasoning",
    "code_generation",
    "numeric_analytics",
]
Level3 = Literal["none", "low", "high"]
InputNature = Literal["structured", "semi_structured", "free_text"]
InputLength = Literal["short", "medium", "long"]
KnowledgeSource = Literal["none", "general_knowledge", "domain_documents"]
ChangeFrequency = Literal["not_applicable", "static", "yearly", "quarterly", "monthly", "weekly", "daily", "realtime"]
ExamplesType = Literal[
    "none",
    "class_labels",
    "input_output_pairs",
    "qa_pairs",
    "qa_pairs_with_source_docs",
    "dialogues",
    "preference_pairs",
]
StyleNeed = Literal["none", "light", "strong"]
OutputFormat = Literal["free_text", "structured_json", "strict_schema", "label"]
DataPrivacy = Literal["public_api_ok", "private_cloud_ok", "on_prem_only"]
Latency = Literal["realtime_lt_1s", "interactive_lt_5s", "relaxed", "batch"]
Skills = Literal["none", "basic", "intermediate", "advanced"]
LowMediumHigh = Literal["low", "medium", "high"]
EndUsers = Literal["internal_technical", "internal_non_technical", "external_public", "developers"]
TriedApproach = Literal["no-llm", "prompting", "rag", "fine-tuning"]
TriedOutcome = Literal["insufficient", "good_enough"]
DeploymentTarget = Literal["server", "workstation", "laptop", "mobile_edge"]

_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")
_LICENCE_ID = re.compile(r"^[a-z0-9][a-z0-9.\-]*$")


MAX_LIST_ITEMS = 500
"""Most items in a list answer (languages, licences): ISO 639-1 has 184 codes; a longer list is a
mistake, refused before its items are validated one by one."""


class Answers(BaseModel):
    """A team's answers about one use case. Every field is optional; None means "not answered"."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    task_type: TaskType | None = Field(None, description="What the model must do.")
    needs_language_understanding: Level3 | None = Field(
        None, description="How much fine understanding of natural language the task needs."
    )
    input_nature: InputNature | None = Field(None, description="Shape of the inputs.")
    input_length: InputLength | None = Field(None, description="Typical input length.")
    languages: tuple[str, ...] | None = Field(
        None, max_length=MAX_LIST_ITEMS, description="ISO 639 codes of the languages involved."
    )
    knowledge_source: KnowledgeSource | None = Field(None, description="Where the knowledge for answers lives.")
    knowledge_change_frequency: ChangeFrequency | None = Field(None, description="How often that knowledge changes.")
    corpus_size_pages: int | None = Field(None, ge=0, description="Size of the document corpus, in pages.")
    needs_citations: bool | None = Field(None, description="Answers must cite their sources.")
    labelled_examples: int | None = Field(None, ge=0, description="How many labelled examples exist.")
    labelled_examples_type: ExamplesType | None = Field(None, description="What kind of labelled examples.")
    num_classes: int | None = Field(None, ge=1, description="Number of classes (classification).")
    style_terminology_need: StyleNeed | None = Field(None, description="Need for a house style or jargon.")
    output_format: OutputFormat | None = Field(None, description="Shape of the expected output.")
    data_privacy: DataPrivacy | None = Field(None, description="Where the data may be sent.")
    latency_requirement: Latency | None = Field(None, description="Time allowed per answer.")
    volume_per_day: int | None = Field(None, ge=0, description="Requests per day.")
    team_ml_skills: Skills | None = Field(None, description="Machine-learning skills of the team.")
    budget: LowMediumHigh | None = Field(None, description="Budget for the project.")
    criticality: LowMediumHigh | None = Field(None, description="Cost of a wrong answer.")
    end_users: EndUsers | None = Field(None, description="Who uses the result.")
    context_tokens: int | None = Field(None, ge=1, description="Typical prompt plus documents per request, in tokens.")
    commercial_use_required: bool | None = Field(None, description="The model must allow commercial use.")
    allowed_licences: tuple[str, ...] | None = Field(
        None, max_length=MAX_LIST_ITEMS, description="Licence ids the organisation accepts."
    )
    already_tried: dict[TriedApproach, TriedOutcome] | None = Field(
        None,
        description="What the team already tried and how it went: approach (no-llm, prompting, rag, fine-tuning)"
        " -> insufficient or good_enough. An approach left out was not tried.",
    )
    deployment_target: DeploymentTarget | None = Field(None, description="Where the model runs.")
    confusable_documents: bool | None = Field(
        None, description="Many documents look alike (versions, near-identical pages), so retrieval often errs."
    )
    model_independence: bool | None = Field(
        None, description="The application must stay free to switch model or provider."
    )
    unlabelled_text_pages: int | None = Field(
        None, ge=0, description="Raw domain text without labels, in pages (for continued pre-training)."
    )
    peak_concurrent_requests: int | None = Field(None, ge=1, description="Requests in flight at the busiest moment.")
    output_tokens: int | None = Field(None, ge=1, description="Typical length of one answer, in tokens.")

    @field_validator("languages")
    @classmethod
    def _iso_codes(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is None:
            return None
        codes = tuple(code.strip().lower() for code in value)
        known = language_codes()
        for code in codes:
            if not _LANGUAGE_CODE.match(code) or (len(code) == 2 and code not in known):
                raise ValueError(f"{excerpt(code)} is not an ISO 639 language code (e.g. 'fr', 'en', 'de')")
        return codes

    @field_validator("already_tried", mode="before")
    @classmethod
    def _tried_is_mapping(cls, value: Any) -> Any:
        if value is not None and not isinstance(value, dict):
            raise ValueError(
                f"expected each approach tried with its outcome, e.g. {{prompting: insufficient, rag: good_enough}},"
                f" got {excerpt(value)}"
            )
        return value

    @field_validator("allowed_licences")
    @classmethod
    def _licence_ids(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is None:
            return None
        ids = tuple(item.strip().lower() for item in value)
        for item in ids:
            if not _LICENCE_ID.match(item):
                raise ValueError(f"{excerpt(item)} is not a licence id (e.g. 'apache-2.0', 'mit', 'llama3.1')")
        return ids

    def answered(self) -> dict[str, Any]:
        """The answered keys only, in questionnaire order."""
        return {key: value for key, value in self.model_dump().items() if value is not None}


QUESTION_KEYS: tuple[str, ...] = tuple(Answers.model_fields)


def choices_of(key: str) -> tuple[Any, ...]:
    """The allowed values of an enum key (``("none", "low", "high")``), or ``()`` for free values."""
    annotation = Answers.model_fields[key].annotation
    for member in get_args(annotation):
        values = get_args(member)
        if values and all(isinstance(v, str) for v in values):
            return values
    return ()


def mapping_of(key: str) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """For a mapping key (``already_tried``): its allowed keys and allowed values; None otherwise."""
    for member in get_args(Answers.model_fields[key].annotation):
        if getattr(member, "__origin__", None) is dict:
            keys, values = get_args(member)
            return get_args(keys), get_args(values)
    return None


# --- loading answers ------------------------------------------------------------------------------


def load_answers(source: Answers | dict[str, Any] | str | Path | None) -> Answers:
    """Accept an ``Answers``, a dict, or the path of a YAML file; errors name the file and the key."""
    if source is None:
        return Answers()
    if isinstance(source, Answers):
        return source
    if isinstance(source, dict):
        return _answers_from_mapping(source, file=None)
    if isinstance(source, (str, Path)):
        path = Path(source)
        data = read_yaml(path)
        return _answers_from_mapping(data, file=str(path))
    raise InputError(f"answers must be a dict, an Answers or a YAML path, not {type(source).__name__}")


def answers_from_text(text: str, source: str = "<answers>") -> Answers:
    """Parse answers from YAML text (the terminal app's load, tests)."""
    return _answers_from_mapping(parse_yaml(text, source), file=source)


def _answers_from_mapping(data: Any, file: str | None) -> Answers:
    if data is None:
        return Answers()
    if not isinstance(data, dict):
        raise InputError(f"expected a mapping of questionnaire keys to answers, got {type(data).__name__}", file=file)
    # The terminal app saves the hardware it planned for under "hardware:" next to the answers;
    # it is not an answer, so the questionnaire leaves it out (the app reads it back itself).
    data = {key: _scalar_to_list(key, value) for key, value in data.items() if key != "hardware"}
    try:
        return Answers.model_validate(data)
    except ValidationError as exc:
        raise InputErrors(errors_from_validation(exc, Answers, file=file, entry=None)) from None


def _scalar_to_list(key: str, value: Any) -> Any:
    # "languages: fr" is what people write for one language; accept it as ["fr"].
    if key in ("languages", "allowed_licences") and isinstance(value, str):
        if len(value) > 4096:  # no list of codes is that long: left whole for the validator to refuse
            return [value]
        return [part for part in re.split(r"[,\s]+", value) if part]
    return value


def dump_answers(answers: Answers) -> str:
    """YAML text of the answered keys, in questionnaire order, readable and reloadable."""
    import yaml

    data = {k: list(v) if isinstance(v, tuple) else v for k, v in answers.answered().items()}
    if not data:  # a bare "{}" says nothing to the person who opens the file later
        return (
            "# No question answered yet: every key is optional. `advisor questions` lists them,\n"
            "# `advisor init FILE` writes a commented template.\n"
            "# Aucune question renseignée : toutes les clés sont facultatives. `advisor questions --lang fr`\n"
            "# les liste, `advisor init FICHIER --lang fr` écrit un modèle commenté.\n"
            "{}\n"
        )
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


# --- question texts -------------------------------------------------------------------------------

QUESTIONS_FILE = PACKAGE_DIR / "data" / "questions.yaml"
LANGUAGES_FILE = PACKAGE_DIR / "data" / "languages.yaml"


class Question(BaseModel):
    """How one key is asked: its group, label, help and choice labels in English and French."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str
    group: Literal["use_case", "knowledge", "constraints", "team"]
    widget: Literal["select", "multi", "integer", "boolean", "mapping"]
    label: LocalizedText
    help: LocalizedText
    choices: dict[str, LocalizedText] = Field(default_factory=dict, description="Label of each allowed value.")
    items: dict[str, LocalizedText] = Field(
        default_factory=dict, description="mapping: label of each allowed key (one choice is asked per key)."
    )
    minimum: int | None = None
    maximum: int | None = None
    example: Any = None
    applies_when: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Ask only when each named select question is unanswered or has one of these answers.",
    )

    def applies(self, answers: dict[str, Any]) -> bool:
        """Whether to ask this question given the answers so far (an unanswered condition asks it)."""
        return all(answers.get(key) is None or answers.get(key) in values for key, values in self.applies_when.items())


class QuestionBook(BaseModel):
    """All questions, in the order they are asked, plus group titles."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    groups: dict[str, LocalizedText]
    questions: list[Question]

    def get(self, key: str) -> Question:
        for question in self.questions:
            if question.key == key:
                return question
        raise KeyError(key)


@lru_cache(maxsize=1)
def load_questions() -> QuestionBook:
    """The shipped question texts, checked against ``Answers`` so the two can never drift apart."""
    file = str(QUESTIONS_FILE)
    book = validate(QuestionBook, read_yaml(QUESTIONS_FILE), file=file)
    keys = [q.key for q in book.questions]
    problems: list[InputError] = []
    for missing in sorted(set(QUESTION_KEYS) - set(keys)):
        problems.append(InputError("no question for this questionnaire key", file=file, entry=missing))
    for question in book.questions:
        if question.key not in QUESTION_KEYS:
            problems.append(InputError("not a questionnaire key", file=file, entry=question.key, field="key"))
            continue
        mapping = mapping_of(question.key)
        if mapping is not None:
            for field, labels, allowed in (
                ("items", question.items, mapping[0]),
                ("choices", question.choices, mapping[1]),
            ):
                if question.widget != "mapping" or set(labels) != set(allowed):
                    problems.append(
                        InputError(
                            f"a mapping question needs widget 'mapping' and {field} {sorted(allowed)}",
                            file=file,
                            entry=question.key,
                            field=field,
                        )
                    )
            continue
        expected = set(choices_of(question.key))
        if question.widget == "select" and set(question.choices) != expected:
            problems.append(
                InputError(
                    f"choices {sorted(question.choices)} differ from the allowed values {sorted(expected)}",
                    file=file,
                    entry=question.key,
                    field="choices",
                )
            )
    for question in book.questions:
        for key, values in question.applies_when.items():
            known: set[str] = set(choices_of(key)) if key in QUESTION_KEYS else set()
            if not known or not set(values) <= known:
                problems.append(
                    InputError(
                        f"applies_when must name a select question and some of its values, got {key}: {values}",
                        file=file,
                        entry=question.key,
                        field="applies_when",
                    )
                )
    if len(keys) != len(set(keys)):
        problems.append(InputError("a key is asked twice", file=file))
    if problems:
        raise InputErrors(problems)
    return book


@lru_cache(maxsize=1)
def _languages_file() -> dict[str, Any]:
    return dict(read_yaml(LANGUAGES_FILE))


@lru_cache(maxsize=1)
def language_names() -> dict[str, LocalizedText]:
    """Languages offered in pickers, with their names in English and French (ISO 639-1 order)."""
    data = _languages_file()
    return {
        code: validate(LocalizedText, names, file=str(LANGUAGES_FILE), entry=code)
        for code, names in data["offered"].items()
    }


@lru_cache(maxsize=1)
def language_codes() -> frozenset[str]:
    """Every ISO 639-1 code, for validating ``languages``."""
    data = _languages_file()
    return frozenset(data["iso639_1"])
