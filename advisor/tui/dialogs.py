"""Modal screens that ask before something is lost (overwrite, quit) and the help screen.

A dialog carries its own footer: the footer of the screen underneath would otherwise keep
listing keys (F3-F6) that do nothing while the dialog is open.
"""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from advisor.i18n import Lang
from advisor.tui.texts import localize_bindings, t


class FollowsLanguage:
    """A screen that redraws itself in the app's language, now and whenever it changes (F2)."""

    def on_mount(self) -> None:
        self.relabel(self.app.lang)  # type: ignore[attr-defined]
        self.watch(self.app, "lang", self.relabel, init=False)  # type: ignore[attr-defined]

    def relabel(self, lang: Lang) -> None:
        raise NotImplementedError


class ConfirmDialog(FollowsLanguage, ModalScreen[bool]):
    """A yes/no question: ``y`` or Enter answers yes, ``n`` or Esc answers no.

    ``title_key`` and ``body_key`` are message keys; ``values`` fill the body's placeholders. The
    texts follow the language switch like every other screen.
    """

    BINDINGS = [
        Binding("y,o,enter", "answer(True)", "Yes", id="tui.key.yes"),
        Binding("n,escape", "answer(False)", "No", id="tui.key.no"),
    ]

    def __init__(self, title_key: str, body_key: str, *, purpose: str = "", **values: Any) -> None:
        super().__init__()
        self.title_key = title_key
        self.body_key = body_key
        self.values = values
        self.purpose = purpose

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="confirm"):
            yield Static(id="confirm-title", classes="section-title")
            yield Static(id="confirm-body")
            yield Static(id="confirm-keys", classes="dialog-keys")
        yield Footer()

    def relabel(self, lang: Lang) -> None:
        """Redraw in ``lang``."""
        localize_bindings(self, lang)
        self.query_one("#confirm-title", Static).update(Content(t(self.title_key, lang)))
        self.query_one("#confirm-body", Static).update(Content(t(self.body_key, lang, **self.values)))
        self.query_one("#confirm-keys", Static).update(Content(t("tui.confirm.keys", lang)))

    def action_answer(self, yes: bool) -> None:
        """Close with the answer."""
        self.dismiss(yes)


HELP_GROUPS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "tui.help.everywhere",
        (
            ("F1, ?", "tui.key.help"),
            ("Ctrl+P", "tui.key.palette"),
            ("F2, Ctrl+L", "tui.help.language"),
            ("Ctrl+Q", "tui.key.quit"),
        ),
    ),
    (
        "tui.help.questionnaire",
        (
            ("Tab, Shift+Tab", "tui.help.tab"),
            ("Ctrl+PgDn, Ctrl+PgUp", "tui.help.sections"),
            ("Space, Enter", "tui.help.choose"),
            ("F3", "tui.key.hardware"),
            ("F4, Ctrl+R", "tui.key.results"),
            ("F5, Ctrl+O", "tui.key.open"),
            ("F6, Ctrl+S", "tui.key.save"),
        ),
    ),
    (
        "tui.help.results",
        (
            ("Esc, F4", "tui.key.back"),
            ("1-7", "tui.help.jump"),
            ("F7, r", "tui.key.report"),
            ("F8, t", "tui.key.smoke"),
            ("c", "tui.key.cancel_smoke"),
        ),
    ),
    (
        "tui.help.dialogs",
        (
            ("Enter", "tui.key.confirm"),
            ("Esc", "tui.key.cancel"),
            ("y / n", "tui.help.yes_no"),
        ),
    ),
)
"""Every key of the app, by where it works, as the help screen lists them (texts are message keys)."""


def help_text(lang: Lang) -> str:
    """The help screen's text in ``lang``: every key and what it does, grouped by screen."""
    lines = [t("tui.help.intro", lang), ""]
    for group_key, keys in HELP_GROUPS:
        lines.append(t(group_key, lang))
        width = max(len(k) for k, _ in keys)
        lines.extend(f"  {k.ljust(width)}  {t(what, lang)}" for k, what in keys)
        lines.append("")
    return "\n".join(lines).rstrip()


def help_table(lang: Lang) -> Group:
    """The help as a table: keys in one column, what they do in the other (wrapped under itself)."""
    table = Table(show_header=False, show_edge=False, box=None, pad_edge=False, expand=True)
    table.add_column(no_wrap=True, style="bold")
    table.add_column(ratio=1)
    for group_key, keys in HELP_GROUPS:
        table.add_row("", "")
        table.add_row(Text(t(group_key, lang), style="bold underline"), "")
        for shown, what in keys:
            table.add_row(f"  {shown}", t(what, lang))
    return Group(Text(t("tui.help.intro", lang), style="italic"), table)


class HelpScreen(FollowsLanguage, ModalScreen[None]):
    """Every key in the current language (F1 or ``?``); Esc, F1 or ``q`` closes it."""

    BINDINGS = [Binding("escape,f1,q,question_mark", "close", "Close", id="tui.key.close")]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="help"):
            yield Static(id="help-title", classes="section-title")
            with VerticalScroll(id="help-scroll"):
                yield Static(id="help-body")
        yield Footer()

    def relabel(self, lang: Lang) -> None:
        """Redraw in ``lang``."""
        localize_bindings(self, lang)
        self.query_one("#help-title", Static).update(Content(t("tui.help.title", lang)))
        self.query_one("#help-body", Static).update(help_table(lang))

    def action_close(self) -> None:
        """Back to where the user was."""
        self.dismiss(None)
