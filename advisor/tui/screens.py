"""The screens: the questionnaire (the first thing a user sees), the results, and a file dialog."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widget import MountError, Widget
from textual.widgets import (
    Footer,
    Header,
    Input,
    OptionList,
    ProgressBar,
    RadioButton,
    RadioSet,
    Static,
    TabbedContent,
    TabPane,
)
from textual.widgets.option_list import Option

from advisor.i18n import LANGS, Lang
from advisor.questionnaire import Answers, load_questions
from advisor.tui import render
from advisor.tui.dialogs import ConfirmDialog
from advisor.tui.fields import QuestionField, make_field
from advisor.tui.panels import HardwarePanel, LivePanel
from advisor.tui.texts import localize_bindings, t

if TYPE_CHECKING:
    from advisor.tui.app import AdvisorApp

HARDWARE_TAB = "tab-hardware"


NARROW_HIDDEN_KEYS = frozenset({"tui.key.hardware", "tui.key.open"})
"""Footer keys left out below 132 columns so the others fit in 80; F1 and Ctrl+P list them all."""


def fit_footer(screen: Any) -> None:
    """Show every key on a wide screen; on a narrow one, leave out the ones in NARROW_HIDDEN_KEYS."""
    from dataclasses import replace

    narrow = screen.has_class("-narrow")
    bindings = screen._bindings
    for key, items in list(bindings.key_to_bindings.items()):
        bindings.key_to_bindings[key] = [
            replace(b, show=not narrow) if b.id in NARROW_HIDDEN_KEYS else b for b in items
        ]
    with suppress(Exception):
        screen.query_one(Footer).show_command_palette = not narrow
    screen.refresh_bindings()


class AfterFirstPaint(Widget):
    """Stands in for a widget that is built and mounted once the screen has been painted.

    Like ``textual.lazy.Lazy``, for hidden tabs; unlike it, it builds the widget only then, and
    does nothing if the app is already closing (quitting during the first frame is not an error).
    """

    DEFAULT_CSS = "AfterFirstPaint { display: none; }"

    def __init__(self, build: Callable[[], Widget]) -> None:
        super().__init__()
        self._build = build

    def on_mount(self) -> None:
        self.call_after_refresh(self._reveal)

    async def _reveal(self) -> None:
        parent = self.parent
        if not isinstance(parent, Widget) or not parent.is_attached or not self.is_attached:
            return
        with suppress(MountError):
            await parent.mount(self._build(), after=self)
            await self.remove()


def _questions_scroll() -> VerticalScroll:
    # Not focusable itself: Tab goes from control to control and the scroll follows the focus.
    return VerticalScroll(classes="questions", can_focus=False)


class AdvisorScreen(Screen[None]):
    """Common ground: the app's language, and localized footer keys."""

    def __init__(self) -> None:
        super().__init__()
        # The width class Textual's breakpoints would set on the first resize, set now: switching it
        # after the widgets are styled restyles them all, a tenth of a second before the first paint.
        with suppress(Exception):
            width = self.app.size.width
            for minimum, name in reversed(self.app.HORIZONTAL_BREAKPOINTS or []):
                if width >= minimum:
                    self.add_class(name)
                    break

    @property
    def advisor(self) -> AdvisorApp:
        """The app, typed."""
        return self.app  # type: ignore[return-value]

    def on_mount(self) -> None:
        localize_bindings(self, self.advisor.lang)
        fit_footer(self)
        self.watch(self.app, "lang", self._lang_changed, init=False)

    def on_resize(self) -> None:
        fit_footer(self)

    def _lang_changed(self, lang: Lang) -> None:
        localize_bindings(self, lang)
        self.relabel(lang)

    def relabel(self, lang: Lang) -> None:
        """Redraw the screen's texts in ``lang``."""


class QuestionnaireScreen(AdvisorScreen):
    """Questions by section in tabs, the hardware tab, and the live recommendation beside them."""

    BINDINGS = [
        Binding("f3", "hardware", "Hardware", id="tui.key.hardware"),
        Binding("f4,ctrl+r", "app.results", "Results", id="tui.key.results"),
        Binding("f5,ctrl+o", "app.open_answers", "Open", id="tui.key.open"),
        Binding("f6,ctrl+s", "app.save_answers", "Save", id="tui.key.save"),
        # Priority: the scrolling containers bind the same keys (horizontal paging) and would hide these.
        Binding(
            "ctrl+pagedown", "section(1)", "Next section", key_display="^PgDn", id="tui.key.next_section", priority=True
        ),
        Binding(
            "ctrl+pageup", "section(-1)", "Previous section", show=False, id="tui.key.previous_section", priority=True
        ),
        Binding("tab", "next_field(1)", "Next", show=False, id="tui.key.next_field"),
        Binding("shift+tab", "next_field(-1)", "Previous", show=False, id="tui.key.previous_field"),
    ]

    def compose(self) -> ComposeResult:
        lang = self.advisor.lang
        book = load_questions()
        yield Header()
        with Horizontal(id="main"):
            with TabbedContent(id="sections"):
                for index, (group, title) in enumerate(book.groups.items()):
                    # Only the first section is built before the first paint; the others are hidden
                    # tabs, mounted just after it, which takes a third off the time to a screen.
                    def section(group: str = group) -> VerticalScroll:
                        fields = [make_field(q, lang) for q in book.questions if q.group == group]
                        return VerticalScroll(*fields, classes="questions", can_focus=False)

                    with TabPane(title.get(lang), id=f"tab-{group}"):
                        yield section() if index == 0 else AfterFirstPaint(section)
                with TabPane(t("summary.hardware", lang), id=HARDWARE_TAB), _questions_scroll():
                    yield HardwarePanel(lang, id="hardware")
            yield LivePanel(id="live")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        # Tab labels final before the first paint: a label that grows later animates the underline.
        self.update_progress()
        self.sub_title = t("tui.subtitle.questionnaire", self.advisor.lang)
        self.watch(self.app, "recommendation", self._show_recommendation, init=False)
        first = next(iter(self.fields().values()))
        self.set_focus(first_control(first))
        self.advisor.questionnaire_ready()

    # --- reading and writing answers ---------------------------------------------------------------

    def fields(self) -> dict[str, QuestionField]:
        """The question fields mounted so far, by key (sections after the first mount lazily)."""
        return {f.key: f for f in self.query(QuestionField)}

    def show_answers(self, answers: Answers) -> None:
        """Put every answer into its mounted field; fields mounted later read them from the app."""
        data = answers.model_dump()
        for key, field in self.fields().items():
            field.show(data.get(key))

    @on(QuestionField.Edited)
    def _answer_edited(self, event: QuestionField.Edited) -> None:
        field = event.field
        self.advisor.set_answer(field.key, field.value(), field.error)

    @on(HardwarePanel.Edited)
    def _hardware_edited(self) -> None:
        self.advisor.schedule_update()

    # --- showing the result ----------------------------------------------------------------------

    def _show_recommendation(self, rec: Any) -> None:
        app = self.advisor
        self.query_one(LivePanel).show(
            rec,
            app.lang,
            answered=len(app.answers.answered()),
            total=sum(1 for q in load_questions().questions if q.applies(app.values)),
            invalid=len(app.invalid_keys),
            error=app.error,
        )
        self.query_one(HardwarePanel).set_planned(app.planned_hardware, app.override_error)
        self.update_progress()

    def relabel(self, lang: Lang) -> None:
        self.sub_title = t("tui.subtitle.questionnaire", lang)
        book = load_questions()
        tabs = self.query_one(TabbedContent)
        for group, title in book.groups.items():
            tabs.get_tab(f"tab-{group}").label = Content(title.get(lang))
        tabs.get_tab(HARDWARE_TAB).label = Content(t("summary.hardware", lang))
        for field in self.fields().values():
            field.relabel(lang)
        self.query_one(HardwarePanel).relabel(lang)
        self._show_recommendation(self.advisor.recommendation)

    # --- actions ---------------------------------------------------------------------------------

    def _focus_first_in(self, pane_id: str) -> None:
        pane = self.query_one(f"#{pane_id}", TabPane)
        for widget in self.focus_chain:
            if pane in widget.ancestors:
                widget.focus()
                return

    def action_hardware(self) -> None:
        """Open the hardware tab and put the cursor in its first box."""
        self.query_one(TabbedContent).active = HARDWARE_TAB
        self.call_after_refresh(self._focus_first_in, HARDWARE_TAB)

    def show_section(self, group: str | None) -> None:
        """Open ``group``'s tab (None: the hardware tab) and put the cursor in its first control."""
        target = HARDWARE_TAB if group is None else f"tab-{group}"
        self.query_one(TabbedContent).active = target
        self.call_after_refresh(self._focus_first_in, target)

    def focus_question(self, key: str) -> None:
        """Open the section of question ``key`` and put the cursor on it (a follow-up question)."""
        question = next((q for q in load_questions().questions if q.key == key), None)
        if question is None:
            return
        self.query_one(TabbedContent).active = f"tab-{question.group}"

        def focus() -> None:
            with suppress(Exception):
                field = self.query_one(f"#q-{key}", QuestionField)
                first_control(field).focus()
                field.scroll_visible(top=True, animate=False)

        self.call_after_refresh(focus)

    def action_next_field(self, step: int) -> None:
        """Tab: the next control; from the last one of a section, the first of the next section."""
        tabs = self.query_one(TabbedContent)
        pane = tabs.query_one(f"#{tabs.active}", TabPane) if tabs.active else None
        chain = [w for w in self.focus_chain if pane is not None and pane in w.ancestors]
        focused = self.focused
        if chain and focused in chain:
            index = chain.index(focused)
            if (step > 0 and index == len(chain) - 1) or (step < 0 and index == 0):
                self.action_section(step)
                return
        if step > 0:
            self.focus_next()
        else:
            self.focus_previous()

    def show_applicable(self) -> None:
        """Hide the questions that do not apply to the answers so far (num_classes outside classification)."""
        values = self.advisor.values
        for field in self.fields().values():
            field.display = field.question.applies(values)

    def update_progress(self) -> None:
        """Each section's tab says how many of its questions are answered ("Task 3/5")."""
        lang = self.advisor.lang
        book = load_questions()
        answered = self.advisor.values
        tabs = self.query_one(TabbedContent)
        narrow = self.has_class("-narrow")
        for group, title in book.groups.items():
            keys = [q.key for q in book.questions if q.group == group and q.applies(answered)]
            done = sum(1 for k in keys if k in answered)
            # At 80 columns the five tabs fill the line: a finished section gets a tick instead.
            if narrow:
                label = title.get(lang) + (" ✓" if done == len(keys) else "")
            else:
                label = f"{title.get(lang)} {done}/{len(keys)}"
            with suppress(Exception):
                tabs.get_tab(f"tab-{group}").label = Content(label)

    def action_section(self, step: int) -> None:
        """Go to the next (or previous) section."""
        tabs = self.query_one(TabbedContent)
        ids = [pane.id for pane in tabs.query(TabPane) if pane.id]
        index = ids.index(tabs.active) if tabs.active in ids else 0
        target = ids[(index + step) % len(ids)]
        tabs.active = target
        self.call_after_refresh(self._focus_first_in, target)


RESULT_SECTIONS: tuple[tuple[str, str | None], ...] = (
    ("approach", "summary.approach"),
    ("reasons", "summary.why"),
    ("alternatives", "summary.alternatives"),
    ("techniques", "summary.plan"),
    ("model", "summary.model"),
    ("memory", "tui.results.memory"),
    ("follow_ups", "summary.follow_ups"),
    ("smoke", "tui.smoke.title"),
)
"""The results' sections in order, with the message key of their title (keys 1-8 jump to them)."""


class ResultsScreen(AdvisorScreen):
    """Approach, reasons, alternatives, model table, memory bars, follow-ups and the smoke test."""

    BINDINGS = [
        Binding("escape,f4", "app.pop_screen", "Back", id="tui.key.back"),
        Binding("f7,r", "app.save_report", "Report", id="tui.key.report"),
        Binding("f8,t", "app.smoke", "Smoke test", id="tui.key.smoke"),
        Binding("c", "app.cancel_smoke", "Stop test", id="tui.key.cancel_smoke"),
        *(
            Binding(str(number), f"jump('{name}')", "Go to section", show=False, id="tui.key.section")
            for number, (name, _) in enumerate(RESULT_SECTIONS, start=1)
        ),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="results-contents")
        with VerticalScroll(id="results"):
            for name, _ in RESULT_SECTIONS:
                yield Static(classes="section-title", id=f"title-{name}")
                if name == "follow_ups":
                    yield OptionList(id="body-follow_ups", classes="section-body")
                else:
                    yield Static(classes="section-body", id=f"body-{name}")
            yield ProgressBar(total=len(render.SMOKE_STEPS), show_eta=False, id="smoke-progress")
        yield Footer()

    def on_mount(self) -> None:
        self.watch(self.app, "recommendation", self._redraw, init=False)
        self.watch(self.app, "smoke", self._redraw_smoke, init=False)
        self.set_interval(1.0, self._tick)
        self.relabel(self.advisor.lang)
        self.query_one("#results").focus()

    def on_resize(self) -> None:
        self._redraw()  # the model list and the bars follow the width

    def bar_width(self) -> int:
        """Memory bars use the width left after the labels and sizes (28 cells at 80 columns)."""
        return max(16, min(120, self.size.width - 52))

    def _section(self, name: str, title_key: str | None, body: Any) -> None:
        title = self.query_one(f"#title-{name}", Static)
        content = self.query_one(f"#body-{name}")
        visible = body is not None
        content.display = visible
        title.display = visible and title_key is not None
        if visible:
            number = [n for n, _ in RESULT_SECTIONS].index(name) + 1
            title.update(Content(f"{number}. {t(title_key, self.advisor.lang)}") if title_key else "")
            if isinstance(content, Static):
                content.update(body)

    def _contents(self) -> None:
        """The table of contents: the sections shown, with the key that jumps to each."""
        lang = self.advisor.lang
        parts = []
        for number, (name, _) in enumerate(RESULT_SECTIONS, start=1):
            if self.query_one(f"#body-{name}").display:
                parts.append(f"{number} {t(f'tui.results.toc.{name}', lang)}")
        self.query_one("#results-contents", Static).update(Content(" · ".join(parts)))

    def _redraw(self, _rec: Any = None) -> None:
        rec = self.advisor.recommendation
        lang = self.advisor.lang
        if rec is None or not self.is_mounted:
            return
        self._section("approach", None, render.approach_block(rec, lang))
        self._section("reasons", "summary.why", render.reasons_block(rec, lang))
        self._section("alternatives", "summary.alternatives", render.alternatives_table(rec, lang))
        self._section("techniques", "summary.plan", render.techniques_block(rec, lang))
        self._section("model", "summary.model", render.model_table(rec, lang, self.size.width))
        bars = render.memory_bars(rec, lang, self.bar_width()) if rec.model is not None else None
        self._section("memory", "tui.results.memory", bars)
        self._show_follow_ups(rec, lang)
        self._redraw_smoke()

    def _show_follow_ups(self, rec: Any, lang: Lang) -> None:
        questions = list(rec.follow_up_questions or [])
        box = self.query_one("#body-follow_ups", OptionList)
        self._section("follow_ups", "summary.follow_ups", questions or None)
        box.clear_options()
        for question in questions:
            could = "; ".join(c.get(lang) for c in question.could[:2])
            label = question.question.get(lang) + (f" ({could})" if could else "")
            box.add_option(Option(Content(label), id=question.key))
        if questions:
            box.tooltip = t("tui.results.ask", lang)

    @on(OptionList.OptionSelected, "#body-follow_ups")
    def _ask(self, event: OptionList.OptionSelected) -> None:
        """Enter on a follow-up question: back to the questionnaire, on that question."""
        key = event.option.id
        if key:
            self.app.pop_screen()
            self.advisor.questionnaire.focus_question(key)

    def action_jump(self, name: str) -> None:
        """Scroll to a section (keys 1-8)."""
        with suppress(Exception):
            self.query_one(f"#title-{name}").scroll_visible(top=True, animate=False)

    def _redraw_smoke(self, _view: Any = None) -> None:
        app = self.advisor
        view = app.smoke
        self._section("smoke", "tui.smoke.title", render.smoke_block(view, app.recommendation, app.lang))
        bar = self.query_one("#smoke-progress", ProgressBar)
        # A bar full of steps says "it worked": only a running test, or one that ran, shows it.
        bar.display = view.state == "running" or (view.state == "done" and bool(render._get(view.result, "ok")))
        bar.update(progress=view.progress)
        self._contents()
        self.refresh_bindings()

    def _tick(self) -> None:
        if self.advisor.smoke.state == "running":
            self._redraw_smoke()

    def relabel(self, lang: Lang) -> None:
        self.sub_title = t("tui.subtitle.results", lang)
        self._redraw()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Show "stop test" only while a test runs."""
        if action == "cancel_smoke":
            return self.advisor.smoke.state == "running"
        return True


class PathDialog(ModalScreen[Path | None]):
    """Ask for a file path (and for a report, its language); stays open on error, showing why.

    ``act(path, lang)`` does the work and returns an error text, or None on success; the dialog
    keeps what was typed, so a wrong path is fixed rather than retyped. ``initial`` may depend on
    the chosen language (a report's default name); an untouched default follows the choice.
    """

    BINDINGS = [Binding("escape", "dismiss_dialog", "Cancel", id="tui.key.cancel")]

    def __init__(
        self,
        title_key: str,
        initial: str | Callable[[Lang], str],
        act: Callable[[Path, Lang], str | None],
        *,
        choose_language: bool = False,
        confirm_overwrite: bool = False,
    ) -> None:
        super().__init__()
        self.title_key = title_key
        self.initial = initial
        self.act = act
        self.choose_language = choose_language
        self.confirm_overwrite = confirm_overwrite

    @property
    def lang(self) -> Lang:
        """The app's language."""
        lang: Lang = self.app.lang  # type: ignore[attr-defined]  # the AdvisorApp (a plain App to Textual)
        return lang

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(id="dialog-title", classes="section-title")
            yield Static(id="dialog-path-label")
            yield Input(self._default_path(self.lang), id="dialog-path")
            if self.choose_language:
                yield Static(id="dialog-lang-label")
                with RadioSet(id="dialog-lang"):
                    for code in LANGS:
                        yield RadioButton(t(f"tui.lang.{code}", self.lang), value=code == self.lang, name=code)
            yield Static(id="dialog-error")
            yield Static(id="dialog-keys", classes="dialog-keys")
        yield Footer()

    def on_mount(self) -> None:
        self.relabel(self.lang)
        self.watch(self.app, "lang", self.relabel, init=False)
        self.query_one("#dialog-path", Input).focus()

    def relabel(self, lang: Lang) -> None:
        """Redraw the dialog in ``lang``."""
        localize_bindings(self, lang)
        self.query_one("#dialog-title", Static).update(Content(t(self.title_key, lang)))
        self.query_one("#dialog-path-label", Static).update(Content(t("tui.dialog.path", lang)))
        self.query_one("#dialog-keys", Static).update(Content(t("tui.dialog.keys", lang)))
        if self.choose_language:
            self.query_one("#dialog-lang-label", Static).update(Content(t("tui.dialog.report_lang", lang)))
            for button in self.query(RadioButton):
                button.label = t(f"tui.lang.{button.name}", lang)

    def _default_path(self, lang: Lang) -> str:
        return self.initial(lang) if callable(self.initial) else self.initial

    @on(RadioSet.Changed, "#dialog-lang")
    def _language_picked(self, event: RadioSet.Changed) -> None:
        box = self.query_one("#dialog-path", Input)
        new = self.chosen_language()
        if box.value in {self._default_path(lang) for lang in LANGS}:
            box.value = self._default_path(new)

    def chosen_language(self) -> Lang:
        """The report language picked in the dialog (the app's language by default)."""
        if not self.choose_language:
            return self.lang
        button = self.query_one("#dialog-lang", RadioSet).pressed_button
        return button.name if button is not None and button.name in LANGS else self.lang

    def show_error(self, text: str | None) -> None:
        """Show why the last attempt failed (None clears it)."""
        box = self.query_one("#dialog-error", Static)
        box.update(Content(text or ""))
        box.display = bool(text)

    @on(Input.Submitted, "#dialog-path")
    def submit(self) -> None:
        """Run the action; close on success, keep everything and show the error otherwise."""
        text = self.query_one("#dialog-path", Input).value.strip()
        if not text:
            self.show_error(t("tui.dialog.empty_path", self.lang))
            return
        path = Path(text).expanduser()
        if path.is_dir():
            self.show_error(t("tui.dialog.is_dir", self.lang, path=str(path)))
            return
        if self.confirm_overwrite and path.exists():
            dialog = ConfirmDialog("tui.confirm.overwrite_title", "tui.confirm.overwrite", path=str(path))
            self.app.push_screen(dialog, lambda yes: self._act(path) if yes else self._not_written())
            return
        self._act(path)

    def _act(self, path: Path) -> None:
        error = self.act(path, self.chosen_language())
        if error is not None:
            self.show_error(error)
            return
        self.dismiss(path)

    def _not_written(self) -> None:
        self.show_error(t("tui.notify.kept_open", self.lang))
        self.query_one("#dialog-path", Input).focus()

    def action_dismiss_dialog(self) -> None:
        """Close without doing anything."""
        self.dismiss(None)


def first_control(field: Widget) -> Widget:
    """The widget that takes the keys for a question (tests and focus moves use it)."""
    return field.query_one("Select, Input, RadioSet, SelectionList")
