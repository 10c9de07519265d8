"""``AdvisorApp``: the terminal questionnaire, its live recommendation, results, files and smoke test.

The app holds the state every screen shows (language, answers, hardware, recommendation, smoke
test) and does the work; screens read that state and redraw when it changes. Slow things never
run on the UI thread: hardware detection and the smoke test are thread workers, and the smoke
test can be stopped. ``recommend()`` takes a few milliseconds, so it runs on every change.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import CommandPalette
from textual.reactive import reactive, var
from textual.screen import Screen
from textual.worker import get_current_worker

from advisor.errors import AdvisorError
from advisor.hardware.profile import HardwareProfile
from advisor.i18n import Lang, LocalizedText, resolve_lang
from advisor.questionnaire import Answers, dump_answers, load_answers, load_questions
from advisor.tui.dialogs import ConfirmDialog, HelpScreen
from advisor.tui.hardware_file import read_hardware, with_hardware
from advisor.tui.presets import gpu_presets
from advisor.tui.render import SmokeView, smoke_target
from advisor.tui.screens import PathDialog, QuestionnaireScreen, ResultsScreen
from advisor.tui.texts import localize_bindings, localize_error, t
from advisor.units import format_number

DEFAULT_ANSWERS_FILE = "answers.yaml"
SMOKE_MAX_NEW_TOKENS = 16


def report_file_name(lang: Lang) -> str:
    """Default file name of the report in ``lang``."""
    return f"llm-advisor-report.{lang}.md"


class SmokeCancelled(Exception):
    """Raised from the progress callback to end a smoke test the user stopped."""


class AdvisorApp(App[None]):
    """The llm-advisor questionnaire.

    ``lang``: "en" or "fr" (default: ``ADVISOR_LANG``, then the locale). ``answers``: a dict, an
    ``Answers`` or a YAML path to start from. ``hardware``: a ``hardware=`` override dict (as for
    ``recommend``) or a ``HardwareProfile``; when given, nothing is detected, which makes runs
    reproducible (tests, snapshots, planning for a machine one does not have).
    """

    CSS_PATH = Path(__file__).with_name("advisor.tcss")  # absolute: subclasses elsewhere find it too
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (132, "-wide")]  # type: ignore[misc]
    BINDINGS = [
        # Priority: the switch works everywhere, dialogs (modal screens) included; no widget here uses these keys.
        Binding("f2,ctrl+l", "toggle_language", "Français", id="tui.key.language", priority=True),
        Binding("ctrl+q", "quit", "Quit", id="tui.key.quit", priority=True),
        Binding("f1", "help", "Help", id="tui.key.help"),
        Binding("question_mark", "help", "Help", show=False, id="tui.key.help_short"),
        Binding("ctrl+p", "command_palette", "Commands", show=False, id="tui.key.palette", priority=True),
    ]

    lang: reactive[Lang] = reactive("en", init=False)
    recommendation: var[Any] = var(None, init=False, always_update=True)
    smoke: var[SmokeView] = var(SmokeView, init=False, always_update=True)

    def __init__(
        self,
        *,
        lang: str | None = None,
        answers: Answers | dict[str, Any] | str | Path | None = None,
        hardware: dict[str, Any] | HardwareProfile | None = None,
    ) -> None:
        super().__init__()
        self.set_reactive(AdvisorApp.lang, resolve_lang(lang))
        initial_hardware = read_hardware(Path(answers)) if isinstance(answers, (str, Path)) else None
        self.initial_answers = load_answers(answers) if answers is not None else None
        self.initial_override = initial_hardware
        self.answers = Answers()
        self.values: dict[str, Any] = dict(self.initial_answers.answered()) if self.initial_answers else {}
        self.field_errors: dict[str, Any] = {}
        self.error: str | None = None
        self.override_error: Any = None
        self.planned_hardware: HardwareProfile | None = None
        self.hardware_state = "detecting"
        self.hardware_detail: str | None = None
        self.base_hardware: HardwareProfile | None = None
        if hardware is not None:
            from advisor.hardware.profile import profile_from_override

            self.base_hardware = hardware if isinstance(hardware, HardwareProfile) else profile_from_override(hardware)
            self.hardware_state = "given"
        self._update_pending = False
        self.last_answers_path: str = DEFAULT_ANSWERS_FILE
        self.saved_state: Any = self.state_to_save()

    def state_to_save(self) -> tuple[Any, ...]:
        """What a save writes (answers as typed, hardware boxes): unsaved when it differs from the last save."""
        boxes: Any = None
        with contextlib.suppress(Exception):
            boxes = self.questionnaire.query_one("#hardware").values()  # type: ignore[attr-defined]
        if boxes is None or not any(boxes):
            boxes = None
        # JSON, so an answer read from a file (a tuple) equals the same answer from a field (a list).
        return (json.dumps(self.values, sort_keys=True, default=str), boxes)

    @property
    def unsaved(self) -> bool:
        """Answers or hardware boxes changed since the last open or save."""
        return bool(self.state_to_save() != self.saved_state)

    def get_default_screen(self) -> QuestionnaireScreen:
        return QuestionnaireScreen()

    def on_mount(self) -> None:
        self.title = t("tui.title", self.lang)
        localize_bindings(self, self.lang)

    def questionnaire_ready(self) -> None:
        """Start detection and the first recommendation once the first screen is painted."""
        self._show_hardware_state()
        if self.initial_override:
            self.questionnaire.query_one("#hardware").show_override(self.initial_override)  # type: ignore[attr-defined]
        self.saved_state = self.state_to_save()  # what the app opened with is not "unsaved"
        if self.hardware_state == "detecting":
            self.call_after_refresh(self.detect_hardware)
        self.call_after_refresh(self.schedule_update)

    @property
    def invalid_keys(self) -> list[str]:
        """Questions whose content is not a valid answer (and so is not counted)."""
        return list(self.field_errors)

    def answer_for(self, key: str) -> Any:
        """The current answer to ``key`` (None: unanswered), for a field being mounted."""
        return self.values.get(key)

    def set_answer(self, key: str, value: Any, error: Any = None) -> None:
        """Record what a field holds: its answer (None: unanswered or invalid) and why it is invalid."""
        if value is None:
            self.values.pop(key, None)
        else:
            self.values[key] = value
        if error is None:
            self.field_errors.pop(key, None)
        else:
            self.field_errors[key] = error
        self.schedule_update()

    def applicable_values(self) -> dict[str, Any]:
        """The answers to the questions that apply; a hidden question's answer is kept, not counted."""
        book = load_questions()
        return {k: v for k, v in self.values.items() if book.get(k).applies(self.values)}

    @property
    def questionnaire(self) -> QuestionnaireScreen:
        """The questionnaire screen (the bottom of the stack)."""
        screen = self.screen_stack[0]
        assert isinstance(screen, QuestionnaireScreen)
        return screen

    # --- language ---------------------------------------------------------------------------------

    def action_toggle_language(self) -> None:
        """Switch every text between English and French; answers stay as they are."""
        self.lang = "en" if self.lang == "fr" else "fr"

    def watch_lang(self, lang: Lang) -> None:
        localize_bindings(self, lang)
        self.title = t("tui.title", lang)

    # --- help, quit -------------------------------------------------------------------------------

    def action_help(self) -> None:
        """Show every key (F1 or ?)."""
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_help_quit(self) -> None:
        """Ctrl+C: say in the app's language how to quit (Textual's own toast is English)."""
        self.notify(t("tui.notify.how_to_quit", self.lang), timeout=3)

    def action_command_palette(self) -> None:
        """Ctrl+P: the app's actions, searchable, in the app's language."""
        if not CommandPalette.is_open(self):  # type: ignore[arg-type]  # App[None] is an App
            self.push_screen(
                CommandPalette(placeholder=t("tui.palette.placeholder", self.lang), id="--command-palette")
            )

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """The palette's commands: the app's actions only (Textual's own are English and off-topic)."""
        lang = self.lang

        def command(key: str, callback: Any) -> SystemCommand:
            return SystemCommand(t(f"tui.palette.{key}", lang), t(f"tui.palette.{key}.help", lang), callback)

        yield command("open", self.action_open_answers)
        yield command("save", self.action_save_answers)
        yield command("results", self.action_results)
        yield command("report", self.action_save_report)
        yield command("smoke", self.action_smoke)
        if self.smoke.state == "running":
            yield command("cancel_smoke", self.action_cancel_smoke)
        yield command("language", self.action_toggle_language)
        yield command("help", self.action_help)
        yield command("hardware", self.action_hardware)
        for name, memory, _bandwidth in gpu_presets():
            yield SystemCommand(
                t("tui.palette.preset", lang, name=name),
                t("tui.palette.preset.help", lang, memory=format_number(memory, lang)),
                lambda name=name: self.apply_preset(name),
            )
        book = load_questions()
        for group, title in book.groups.items():
            yield SystemCommand(
                t("tui.palette.section", lang, section=title.get(lang)),
                t("tui.palette.section.help", lang),
                lambda group=group: self.go_to_section(group),
            )
        yield command("quit", self.action_quit)

    def action_hardware(self) -> None:
        """Back to the questionnaire's hardware tab."""
        self.go_to_section(None)

    def go_to_section(self, group: str | None) -> None:
        """Show the questionnaire at ``group``'s tab (None: the hardware tab)."""
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.questionnaire.show_section(group)

    def apply_preset(self, name: str) -> None:
        """Plan for the GPU ``name`` from the GPU table (memory and bandwidth filled in)."""
        self.go_to_section(None)
        self.questionnaire.query_one("#hardware").use_preset(name)  # type: ignore[attr-defined]

    async def action_quit(self) -> None:
        """Quit, after asking when a test runs or answers are unsaved; Ctrl+Q twice quits anyway."""
        if isinstance(self.screen, ConfirmDialog) and self.screen.purpose == "quit":
            self.quit_now()
            return
        running = self.smoke.state == "running"
        if not running and not self.unsaved:
            self.quit_now()
            return
        body = "tui.confirm.quit_running" if running else "tui.confirm.quit_unsaved"
        dialog = ConfirmDialog("tui.confirm.quit_title", body, purpose="quit")
        self.push_screen(dialog, lambda yes: self.quit_now() if yes else None)

    def quit_now(self) -> None:
        """Stop a running smoke test (its whole process group), then leave."""
        self.stop_smoke()
        self.exit()

    def stop_smoke(self) -> None:
        """End the smoke worker and the child's process group, whatever the test's state."""
        self.workers.cancel_group(self, "smoke")
        stop_smoke_children()

    # --- recommendation ---------------------------------------------------------------------------

    def schedule_update(self) -> None:
        """Recompute once after the current burst of changes (a load changes every field at once)."""
        if not self._update_pending:
            self._update_pending = True
            self.call_later(self.update_recommendation)

    def update_recommendation(self) -> None:
        """Read the answers and the hardware here, on the UI thread, and recommend in a worker.

        ``recommend`` is a few milliseconds once warm, but its first call loads the rules, the
        catalog and the estimators; the questionnaire must stay responsive meanwhile. A newer
        change supersedes a computation still running: only the latest result is shown.
        """
        from advisor.hardware.profile import profile_from_override

        self._update_pending = False
        screen = self.questionnaire
        self.error = None
        screen.show_applicable()
        try:
            self.answers = load_answers(self.applicable_values())
        except AdvisorError as exc:  # the fields check each value; this is a last line of defence
            self.error = str(exc)
        panel = screen.query_one("#hardware")
        override, self.override_error = panel.override()  # type: ignore[attr-defined]
        base = self.base_hardware
        profile = base if base is not None else HardwareProfile(source="override")
        if override is not None:
            try:
                profile = profile_from_override(override, base=base)
                if base is not None and base.source == "override":
                    profile.source = "override"  # given at start, changed here: still nothing detected
            except AdvisorError as exc:
                self.override_error = LocalizedText(en=str(exc), fr=str(exc))
        self.planned_hardware = profile
        self.recommend_in_background(self.answers, profile)

    @work(thread=True, exclusive=True, group="recommend")
    def recommend_in_background(self, answers: Answers, profile: HardwareProfile) -> None:
        """``recommend()`` off the UI thread; a superseded (cancelled) run publishes nothing."""
        from advisor.advice import recommend

        worker = get_current_worker()
        rec, error = None, None
        try:
            rec = recommend(answers, profile)
        except AdvisorError as exc:
            error = str(exc)
        except Exception as exc:  # a bug in the engine must not take the questionnaire down
            error = f"{type(exc).__name__}: {exc}"
        if not worker.is_cancelled:
            self.call_from_thread(self._publish, rec, error)

    def _publish(self, rec: Any, error: str | None) -> None:
        if error is not None:
            self.error = error
        view = self.smoke
        if (
            view.state in ("done", "cancelled", "missing")
            and view.model
            and smoke_target(rec)
            != (
                view.model,
                view.quantization,
            )
        ):
            # The last test's outcome was about another model: it must not read as this one's.
            self.smoke = SmokeView()
        self.recommendation = rec

    # --- hardware ---------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="detect")
    def detect_hardware(self) -> None:
        """Detect GPUs and RAM off the UI thread (NVML can take seconds)."""
        from advisor.hardware.detect import detect_hardware as detect

        try:
            profile = detect()
        except Exception as exc:  # detection problems must never take the questionnaire down
            self.call_from_thread(self._hardware_found, "failed", None, f"{type(exc).__name__}: {exc}")
            return
        self.call_from_thread(self._hardware_found, "detected", profile, None)

    def _hardware_found(self, state: str, profile: HardwareProfile | None, detail: str | None) -> None:
        self.hardware_state = state
        self.base_hardware = profile
        self.hardware_detail = detail
        self._show_hardware_state()
        self.schedule_update()

    def _show_hardware_state(self) -> None:
        panel = self.questionnaire.query_one("#hardware")
        panel.set_base(self.hardware_state, self.base_hardware, self.hardware_detail)  # type: ignore[attr-defined]

    # --- screens and files ------------------------------------------------------------------------

    def action_results(self) -> None:
        """Open the results screen (Esc comes back)."""
        if not isinstance(self.screen, ResultsScreen):
            self.push_screen(ResultsScreen())

    def action_open_answers(self) -> None:
        """Ask for a YAML file and load its answers; a bad file changes nothing."""
        self.push_screen(PathDialog("tui.dialog.open_title", self.last_answers_path, self._open_answers))

    def _open_answers(self, path: Path, _lang: Lang) -> str | None:
        try:
            answers = load_answers(path)
            hardware = read_hardware(path)
        except AdvisorError as exc:
            return f"{localize_error(exc, self.lang)}\n{t('tui.dialog.kept', self.lang)}"
        self.apply_answers(answers, hardware)
        # The save dialog does not offer the opened file: one Enter must not replace a shipped
        # example (and its comments); the last file saved here, or answers.yaml, is offered.
        self.notify(t("tui.notify.loaded", self.lang, path=str(path)))
        return None

    def apply_answers(self, answers: Answers, hardware: dict[str, Any] | None = None) -> None:
        """Replace every answer (and the hardware boxes) with those given, show them, recommend."""
        self.values = dict(answers.answered())
        self.field_errors = {}
        self.questionnaire.show_answers(answers)
        self.questionnaire.query_one("#hardware").show_override(hardware)  # type: ignore[attr-defined]
        self.saved_state = self.state_to_save()
        self.schedule_update()

    def action_save_answers(self) -> None:
        """Ask for a path and write the answers as YAML, the format ``advisor recommend`` reads."""
        self.push_screen(
            PathDialog("tui.dialog.save_title", self.last_answers_path, self._save_answers, confirm_overwrite=True)
        )

    def _save_answers(self, path: Path, _lang: Lang) -> str | None:
        override = self.questionnaire.query_one("#hardware").saved_override()  # type: ignore[attr-defined]
        try:
            path.write_text(with_hardware(dump_answers(self.answers), override), encoding="utf-8")
        except OSError as exc:
            return t("tui.error.write", self.lang, path=str(path), error=exc.strerror or str(exc))
        self.last_answers_path = str(path)
        self.saved_state = self.state_to_save()
        self.notify(t("tui.notify.saved", self.lang, path=str(path)))
        if self.invalid_keys:
            self.notify(t("tui.notify.left_out", self.lang, count=len(self.invalid_keys)), severity="warning")
        return None

    def action_save_report(self) -> None:
        """Ask for a path and a language, and write the Markdown report."""
        self.push_screen(
            PathDialog(
                "tui.dialog.report_title",
                report_file_name,
                self._save_report,
                choose_language=True,
                confirm_overwrite=True,
            )
        )

    def _save_report(self, path: Path, lang: Lang) -> str | None:
        rec = self.recommendation
        if rec is None:
            return self.error or ""
        view = self.smoke
        if view.state == "done" and view.result is not None and smoke_target(rec) == (view.model, view.quantization):
            rec = rec.model_copy(update={"smoke": view.result})
        try:
            text = rec.to_markdown(lang)
        except AdvisorError as exc:
            return localize_error(exc, self.lang)
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            return t("tui.error.write", self.lang, path=str(path), error=exc.strerror or str(exc))
        self.notify(t("tui.notify.report_saved", self.lang, path=str(path)))
        return None

    # --- smoke test -------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Offer "stop test" only while one runs."""
        if action == "cancel_smoke":
            return self.smoke.state == "running"
        return True

    def action_smoke(self) -> None:
        """Start the smoke test of the chosen model in a worker thread."""
        if self.smoke.state == "running":
            self.notify(t("tui.smoke.busy", self.lang), severity="warning")
            return
        target = smoke_target(self.recommendation)
        if target is None:
            self.notify(t("tui.smoke.no_model", self.lang), severity="warning")
            return
        model, quantization = target
        self.smoke = SmokeView(state="running", started=time.monotonic(), model=model, quantization=quantization)
        self.run_smoke(model, quantization)
        # The smoke section is at the bottom of the results: show it, and say the test started.
        if isinstance(self.screen, ResultsScreen):
            self.screen.action_jump("smoke")
        self.notify(t("tui.notify.smoke_started", self.lang), timeout=4)

    @work(thread=True, exclusive=True, group="smoke")
    def run_smoke(self, model: str, quantization: str | None) -> None:
        """The smoke test itself (a child process); progress comes back through call_from_thread."""
        worker = get_current_worker()
        from advisor.smoke.runner import smoke_test  # the runner only: torch is imported in the child

        def progress(step: str, detail: str | None) -> None:
            if worker.is_cancelled:
                raise SmokeCancelled
            self.call_from_thread(self._smoke_step, step)

        try:
            result = smoke_test(
                model, quantization=quantization, max_new_tokens=SMOKE_MAX_NEW_TOKENS, progress=progress
            )
        except SmokeCancelled:
            return
        except Exception as exc:  # a failure of the test must not end the app
            if not worker.is_cancelled:
                self.call_from_thread(self._smoke_failed, f"{type(exc).__name__}: {exc}")
            return
        if not worker.is_cancelled:
            self.call_from_thread(self._smoke_done, result)

    def _smoke_step(self, step: str) -> None:
        if self.smoke.state == "running":
            self.smoke.step = step
            self.smoke = self.smoke

    def _smoke_done(self, result: Any) -> None:
        view = self.smoke
        self.smoke = SmokeView(state="done", result=result, model=view.model, quantization=view.quantization)

    def _smoke_failed(self, error: str) -> None:
        view = self.smoke
        self.smoke = SmokeView(state="missing", error=error, model=view.model, quantization=view.quantization)

    def action_cancel_smoke(self) -> None:
        """Stop the smoke test: the worker is cancelled and the test's process group is killed."""
        if self.smoke.state != "running":
            return
        self.stop_smoke()
        view = self.smoke
        self.smoke = SmokeView(state="cancelled", model=view.model, quantization=view.quantization)


def stop_smoke_children() -> int:
    """Kill the process group of every smoke-test child this process started; returns how many.

    ``smoke_test`` starts its child in its own session and kills that group itself on timeout;
    a user who stops the test should not wait for the timeout, so the app ends it here. Only
    direct children of this process running ``advisor.smoke.child`` are touched.
    """
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil is a dependency
        return 0
    count = 0
    for child in psutil.Process(os.getpid()).children():
        try:
            if "advisor.smoke.child" not in " ".join(child.cmdline()):
                continue
            if os.name == "posix":
                os.killpg(child.pid, signal.SIGKILL)
            else:  # pragma: no cover
                child.kill()
            count += 1
        except (psutil.Error, ProcessLookupError, PermissionError):
            with contextlib.suppress(psutil.Error):
                child.kill()
    return count
