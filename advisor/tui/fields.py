"""One widget per question type, all rendered from the shipped question data.

Each field owns its control(s), turns what the user entered into an answer (or an error that says
why it is not counted), shows an answer it is given, and redraws its texts when the language
changes. The user's text is never rewritten: an invalid number stays in its box, marked, and the
question simply counts as unanswered until it is fixed.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.validation import Integer
from textual.widgets import Input, RadioButton, RadioSet, Select, SelectionList, Static
from textual.widgets.selection_list import Selection

from advisor.errors import AdvisorError
from advisor.i18n import Lang, LocalizedText
from advisor.questionnaire import Question, language_names, load_answers
from advisor.tui.texts import localized, t

_LIST_SPLIT = re.compile(r"[,\s;]+")


def split_list(text: str) -> list[str]:
    """``"fr, en de"`` -> ``["fr", "en", "de"]``: what people type for several codes."""
    return [part for part in _LIST_SPLIT.split(text.strip()) if part]


def parse_integer(text: str, minimum: int | None, maximum: int | None) -> tuple[int | None, LocalizedText | None]:
    """An integer answer from the box: ``(value, None)``, ``(None, None)`` when empty, or an error."""
    text = text.strip()
    if not text:
        return None, None
    try:
        value = int(text)
    except ValueError:
        return None, localized("tui.integer.invalid")
    if minimum is not None and value < minimum:
        return None, localized("tui.integer.minimum", minimum=minimum)
    if maximum is not None and value > maximum:
        return None, localized("tui.integer.maximum", maximum=maximum)
    return value, None


def check_list(key: str, values: list[str]) -> LocalizedText | None:
    """The questionnaire's own validation of a list answer, as a message (None when it is valid)."""
    try:
        load_answers({key: values})
    except AdvisorError as exc:
        reason = str(exc).split(": ", 1)[-1] if ": " in str(exc) else str(exc)
        return localized("tui.multi.invalid", error=reason)
    return None


class ListInput(Input):
    """A box for several codes: a multi-line paste keeps every line, joined with commas.

    Textual's Input keeps only the first line of a paste; for a list, each line is an entry the
    user meant to give, so they are joined and the user is told.
    """

    def _on_paste(self, event: events.Paste) -> None:
        lines = [line.strip() for line in event.text.splitlines() if line.strip()]
        if len(lines) <= 1:
            return  # Input's own handler (called after this one) pastes the single line
        event.prevent_default()  # Input's handler would paste the first line again
        event.stop()
        joined = ", ".join(lines)
        if self.selection.is_empty:
            self.insert_text_at_cursor(joined)
        else:
            self.replace(joined, *self.selection)
        lang: Lang = "fr" if getattr(self.app, "lang", "en") == "fr" else "en"
        self.app.notify(t("tui.multi.lines", lang))


class QuestionField(Vertical):
    """A question: its label, its help, its control, and why the answer is not counted (if so)."""

    DEFAULT_CLASSES = "question"

    class Edited(Message):
        """The answer of a question may have changed; the screen recomputes the recommendation."""

        def __init__(self, field: QuestionField) -> None:
            super().__init__()
            self.field = field

    def __init__(self, question: Question, lang: Lang) -> None:
        super().__init__(id=f"q-{question.key}")
        self.question = question
        self.lang = lang
        self.error: LocalizedText | None = None

    @property
    def key(self) -> str:
        """The questionnaire key this field answers."""
        return self.question.key

    def on_mount(self) -> None:
        # Answers live in the app; a field mounted after they were given (a lazy section) shows them.
        answer_for = getattr(self.app, "answer_for", None)
        value = answer_for(self.key) if answer_for is not None else None
        if value is not None:
            self.show(value)
        values = getattr(self.app, "values", None)
        if isinstance(values, dict):
            self.display = self.question.applies(values)

    def compose(self) -> ComposeResult:
        yield Static(Content(self.question.label.get(self.lang)), classes="q-label")
        yield Static(Content(self.question.help.get(self.lang)), classes="q-help")
        yield from self.compose_control()
        yield Static("", classes="q-error")

    def compose_control(self) -> ComposeResult:  # pragma: no cover - every subclass overrides it
        yield from ()

    def value(self) -> Any:
        """The answer as ``Answers`` expects it, or None (unanswered or invalid)."""
        raise NotImplementedError

    def show(self, value: Any) -> None:
        """Put ``value`` (None: unanswered) into the control."""
        raise NotImplementedError

    def relabel(self, lang: Lang) -> None:
        """Redraw every text in ``lang``, keeping the answer."""
        self.lang = lang
        self.query_one(".q-label", Static).update(Content(self.question.label.get(lang)))
        self.query_one(".q-help", Static).update(Content(self.question.help.get(lang)))
        self._show_error()

    def edited(self) -> None:
        """Refresh the answered/invalid marks and tell the screen."""
        self.refresh_state()
        self.post_message(self.Edited(self))

    def refresh_state(self) -> None:
        """Update the marks from the control (without telling anyone)."""
        self.error = self.compute_error()
        self.set_class(self.value() is not None, "-answered")
        self.set_class(self.error is not None, "-invalid")
        self._show_error()

    def compute_error(self) -> LocalizedText | None:
        """Why the control's content is not a valid answer (None when it is, or is empty)."""
        return None

    def _show_error(self) -> None:
        box = self.query_one(".q-error", Static)
        box.update(Content(self.error.get(self.lang)) if self.error else "")
        box.display = self.error is not None


class SelectField(QuestionField):
    """An enum: a Select whose blank entry, "(not answered)", is a real answer state."""

    def _options(self, lang: Lang) -> list[tuple[Content, str]]:
        return [(Content(text.get(lang)), value) for value, text in self.question.choices.items()]

    def compose_control(self) -> ComposeResult:
        yield Select(self._options(self.lang), prompt=t("tui.not_answered", self.lang), allow_blank=True)

    @property
    def control(self) -> Select[str]:
        """The Select."""
        return self.query_one(Select)

    def value(self) -> str | None:
        return self.control.selection

    def show(self, value: Any) -> None:
        if value is None:
            self.control.clear()
        else:
            self.control.value = value

    def relabel(self, lang: Lang) -> None:
        super().relabel(lang)
        select = self.control
        current = select.value
        select.prompt = t("tui.not_answered", lang)
        select.set_options(self._options(lang))
        select.value = current

    @on(Select.Changed)
    def _changed(self, event: Select.Changed) -> None:
        event.stop()
        self.edited()


class BooleanField(QuestionField):
    """A yes/no question as three radio buttons, so "not answered" stays a choice."""

    STATES: ClassVar[tuple[bool | None, ...]] = (None, True, False)
    _KEYS: ClassVar[tuple[str, ...]] = ("tui.not_answered", "tui.yes", "tui.no")

    def compose_control(self) -> ComposeResult:
        with RadioSet():
            for index, key in enumerate(self._KEYS):
                yield RadioButton(t(key, self.lang), value=index == 0)

    @property
    def control(self) -> RadioSet:
        """The RadioSet."""
        return self.query_one(RadioSet)

    def value(self) -> bool | None:
        index = self.control.pressed_index
        return self.STATES[index] if index >= 0 else None

    def show(self, value: Any) -> None:
        buttons = list(self.query(RadioButton))
        buttons[self.STATES.index(value if value is None else bool(value))].value = True

    def relabel(self, lang: Lang) -> None:
        super().relabel(lang)
        for button, key in zip(self.query(RadioButton), self._KEYS, strict=True):
            button.label = t(key, lang)

    @on(RadioSet.Changed)
    def _changed(self, event: RadioSet.Changed) -> None:
        event.stop()
        self.edited()


class IntegerField(QuestionField):
    """A count: an integer box; empty means unanswered, a bad value is shown and not counted."""

    def _placeholder(self, lang: Lang) -> str:
        example = self.question.example if self.question.example is not None else self.question.minimum or 0
        return t("tui.integer.placeholder", lang, example=example)

    def compose_control(self) -> ComposeResult:
        yield Input(
            placeholder=self._placeholder(self.lang),
            type="integer",
            validators=[Integer(minimum=self.question.minimum, maximum=self.question.maximum)],
            valid_empty=True,
        )

    @property
    def control(self) -> Input:
        """The Input."""
        return self.query_one(Input)

    def value(self) -> int | None:
        return parse_integer(self.control.value, self.question.minimum, self.question.maximum)[0]

    def compute_error(self) -> LocalizedText | None:
        return parse_integer(self.control.value, self.question.minimum, self.question.maximum)[1]

    def show(self, value: Any) -> None:
        self.control.value = "" if value is None else str(value)

    def relabel(self, lang: Lang) -> None:
        super().relabel(lang)
        self.control.placeholder = self._placeholder(lang)

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self.edited()


class ListField(QuestionField):
    """Several free ids (licences): a comma-separated box, checked by the questionnaire's rules."""

    def _placeholder(self, lang: Lang) -> str:
        example = self.question.example or []
        return t("tui.multi.placeholder", lang, example=", ".join(str(x) for x in example))

    def compose_control(self) -> ComposeResult:
        yield ListInput(placeholder=self._placeholder(self.lang), classes="list-input")

    def typed(self) -> list[str]:
        """What is in the box, split."""
        return [code.lower() for code in split_list(self.query_one(".list-input", Input).value)]

    def value(self) -> list[str] | None:
        values = self.typed()
        if not values or check_list(self.key, values) is not None:
            return None
        return values

    def compute_error(self) -> LocalizedText | None:
        values = self.typed()
        return check_list(self.key, values) if values else None

    def show(self, value: Any) -> None:
        self.query_one(".list-input", Input).value = ", ".join(value or [])

    def relabel(self, lang: Lang) -> None:
        super().relabel(lang)
        self.query_one(".list-input", Input).placeholder = self._placeholder(lang)

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self.edited()


class LanguagesField(ListField):
    """Languages: the offered ones in a selection list, plus a box for any other ISO 639 code."""

    def _selections(self, lang: Lang, selected: set[str]) -> list[Selection[str]]:
        return [
            Selection(Content(f"{names.get(lang)} ({code})"), code, code in selected)
            for code, names in language_names().items()
        ]

    def compose_control(self) -> ComposeResult:
        yield SelectionList[str](*self._selections(self.lang, set()))
        yield Static(Content(t("tui.multi.other_codes", self.lang)), classes="q-sublabel")
        yield ListInput(placeholder="ar, eu, br", classes="list-input")

    @property
    def control(self) -> SelectionList[str]:
        """The SelectionList of offered languages."""
        return self.query_one(SelectionList)

    def on_mount(self) -> None:
        # Space must tick the first language as soon as the list has the focus.
        self.control.highlighted = 0

    def picked(self) -> list[str]:
        """The languages ticked in the list, in the list's order."""
        selected = set(self.control.selected)
        return [code for code in language_names() if code in selected]

    def typed(self) -> list[str]:
        picked = self.picked()
        return picked + [code for code in super().typed() if code not in picked]

    def value(self) -> list[str] | None:
        # A bad code in the box does not cancel the languages ticked in the list.
        return super().value() or self.picked() or None

    def show(self, value: Any) -> None:
        codes = list(value or [])
        offered = language_names()
        selection = self.control
        selection.deselect_all()
        for code in codes:
            if code in offered:
                selection.select(code)
        self.query_one(".list-input", Input).value = ", ".join(c for c in codes if c not in offered)

    def relabel(self, lang: Lang) -> None:
        QuestionField.relabel(self, lang)
        selection = self.control
        selected = set(selection.selected)
        highlighted = selection.highlighted
        selection.clear_options()
        selection.add_options(self._selections(lang, selected))
        selection.highlighted = highlighted
        self.query_one(".q-sublabel", Static).update(Content(t("tui.multi.other_codes", lang)))

    @on(SelectionList.SelectedChanged)
    def _picked(self, event: SelectionList.SelectedChanged[str]) -> None:
        event.stop()
        self.edited()


class MappingField(QuestionField):
    """Approach -> outcome (``already_tried``): one Select per key; a key left blank is not in the answer."""

    def _options(self, lang: Lang) -> list[tuple[Content, str]]:
        return [(Content(text.get(lang)), value) for value, text in self.question.choices.items()]

    def compose_control(self) -> ComposeResult:
        for item, label in self.question.items.items():
            yield Static(Content(label.get(self.lang)), classes="q-sublabel")
            yield Select(
                self._options(self.lang),
                prompt=t("tui.not_answered", self.lang),
                allow_blank=True,
                id=f"q-{self.key}-{item}",
            )

    def _selects(self) -> list[tuple[str, Select[str]]]:
        return [(item, self.query_one(f"#q-{self.key}-{item}", Select)) for item in self.question.items]

    def value(self) -> dict[str, str] | None:
        chosen = {item: select.selection for item, select in self._selects() if select.selection is not None}
        return chosen or None

    def show(self, value: Any) -> None:
        for item, select in self._selects():
            if value and item in value:
                select.value = value[item]
            else:
                select.clear()

    def relabel(self, lang: Lang) -> None:
        super().relabel(lang)
        for (item, select), label in zip(self._selects(), self.query(".q-sublabel").results(Static), strict=True):
            current = select.value
            select.prompt = t("tui.not_answered", lang)
            select.set_options(self._options(lang))
            select.value = current
            label.update(Content(self.question.items[item].get(lang)))

    @on(Select.Changed)
    def _changed(self, event: Select.Changed) -> None:
        event.stop()
        self.edited()


def make_field(question: Question, lang: Lang) -> QuestionField:
    """The field for a question, chosen by its widget type in the question data."""
    if question.widget == "select":
        return SelectField(question, lang)
    if question.widget == "boolean":
        return BooleanField(question, lang)
    if question.widget == "integer":
        return IntegerField(question, lang)
    if question.widget == "mapping":
        return MappingField(question, lang)
    if question.key == "languages":
        return LanguagesField(question, lang)
    return ListField(question, lang)
