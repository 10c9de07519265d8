"""The terminal questionnaire driven by keys (Textual's Pilot): answers, language, hardware, files."""

from __future__ import annotations

import subprocess
import sys
from contextlib import suppress
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, RadioSet, Select, Static, TabbedContent
from textual.worker import WorkerCancelled

from advisor.hardware.profile import GIB, HardwareProfile, profile_from_override
from advisor.questionnaire import answers_from_text, dump_answers, load_answers, load_questions
from advisor.tui import AdvisorApp
from advisor.tui.fields import BooleanField, IntegerField, LanguagesField, QuestionField, SelectField
from advisor.tui.panels import HardwarePanel
from advisor.tui.screens import PathDialog, QuestionnaireScreen, ResultsScreen

HARDWARE = {"gpus": [{"name": "RTX 4090", "vram_gb": 24}], "ram_gb": 64}
SIZE = (100, 40)
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

FIXTURE_YAML = """\
task_type: document_qa
needs_language_understanding: high
languages: [fr, en, br]
knowledge_source: domain_documents
knowledge_change_frequency: monthly
corpus_size_pages: 1200
needs_citations: true
commercial_use_required: false
allowed_licences: [apache-2.0, mit]
team_ml_skills: intermediate
"""


async def settle(pilot: Any) -> None:
    """Let key presses land, lazy sections mount, and the workers publish their results.

    A recommendation superseded by a newer change is cancelled; only the ones still due are awaited.
    """
    await pilot.pause()
    for _ in range(100):
        due = [w for w in pilot.app.workers if not w.is_finished and not w.is_cancelled]
        if not due:
            break
        for worker in due:
            with suppress(WorkerCancelled):
                await worker.wait()
        await pilot.pause()
    await pilot.pause()


def make_app(**kwargs: Any) -> AdvisorApp:
    kwargs.setdefault("hardware", HARDWARE)
    kwargs.setdefault("lang", "en")
    return AdvisorApp(**kwargs)


def text_of(widget: Static) -> str:
    content = widget.content
    return content.plain if hasattr(content, "plain") else str(content)


def field(app: AdvisorApp, key: str) -> QuestionField:
    return app.questionnaire.query_one(f"#q-{key}", QuestionField)


def live_text(app: AdvisorApp) -> str:
    return text_of(app.questionnaire.query_one("#live-text", Static))


async def open_dialog(pilot: Any, key: str, path: Path) -> PathDialog:
    await pilot.press(key)
    await settle(pilot)
    dialog = pilot.app.screen
    assert isinstance(dialog, PathDialog)
    dialog.query_one("#dialog-path", Input).value = str(path)
    await pilot.press("enter")
    await settle(pilot)
    return dialog


# --- filling the questionnaire ----------------------------------------------------------------------


async def test_first_screen_asks_the_first_question_with_focus_on_it() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, QuestionnaireScreen)
        first = load_questions().questions[0]
        assert app.focused is field(app, first.key).query_one(Select)
        assert text_of(field(app, first.key).query_one(".q-label", Static)) == first.label.en
        assert app.recommendation is not None
        assert "Recommendation (live)" in live_text(app)


async def test_answering_by_keys_updates_the_live_recommendation() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.recommendation.approach != "no-llm"
        # Tab to "needs fine understanding of language?", open it, pick the first real choice: none.
        await pilot.press("tab")
        assert app.focused is field(app, "needs_language_understanding").query_one(Select)
        await pilot.press("enter", "down", "enter")
        await settle(pilot)
        assert app.answers.needs_language_understanding == "none"
        assert app.recommendation.approach == "no-llm"
        assert "No LLM" in live_text(app)
        assert app.recommendation.decided_by == "GATE-NO-NLU" and "GATE-NO-NLU" in live_text(app)
        assert field(app, "needs_language_understanding").has_class("-answered")
        # Back to "not answered": the gate no longer fires.
        await pilot.press("enter", "up", "enter")
        await settle(pilot)
        assert app.answers.needs_language_understanding is None
        assert app.recommendation.approach != "no-llm"


async def test_boolean_keeps_a_not_answered_state() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        citations = field(app, "needs_citations")
        assert isinstance(citations, BooleanField)
        assert citations.value() is None
        citations.query_one(RadioSet).focus()
        await pilot.press("right", "enter")  # "Yes"
        await settle(pilot)
        assert app.answers.needs_citations is True
        await pilot.press("right", "enter")  # "No"
        await settle(pilot)
        assert app.answers.needs_citations is False
        await pilot.press("left", "left", "enter")  # back to "not answered"
        await settle(pilot)
        assert app.answers.needs_citations is None


async def test_integer_input_validates_and_does_not_count_a_bad_value() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        examples = field(app, "labelled_examples")
        assert isinstance(examples, IntegerField)
        examples.query_one(Input).focus()
        await pilot.press("-", "3")
        await settle(pilot)
        assert examples.has_class("-invalid")
        assert app.answers.labelled_examples is None
        assert "labelled_examples" in app.invalid_keys
        assert "at least 0" in text_of(examples.query_one(".q-error", Static))
        assert examples.query_one(Input).value == "-3"  # what was typed stays there
        await pilot.press("home", "delete", "end", "0", "0")
        await settle(pilot)
        assert app.answers.labelled_examples == 300
        assert not examples.has_class("-invalid")
        assert app.invalid_keys == []


async def test_languages_from_the_list_and_free_iso_codes() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        languages = field(app, "languages")
        assert isinstance(languages, LanguagesField)
        languages.control.focus()
        await pilot.press("space", "down", "space")  # the list starts with fr, en
        await settle(pilot)
        assert app.answers.languages == ("fr", "en")
        other = languages.query_one(".list-input", Input)
        other.value = "br, xx1"
        await settle(pilot)
        assert languages.has_class("-invalid")
        assert app.answers.languages == ("fr", "en")  # not counted while invalid
        other.value = "br"
        await settle(pilot)
        assert app.answers.languages == ("fr", "en", "br")


async def test_sections_are_reachable_by_keys() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        tabs = app.questionnaire.query_one(TabbedContent)
        assert tabs.active == "tab-use_case"
        await pilot.press("ctrl+pagedown")
        await settle(pilot)
        assert tabs.active == "tab-knowledge"
        assert isinstance(app.focused.parent, QuestionField) or app.focused in tabs.query("*")
        await pilot.press("f3")
        await settle(pilot)
        assert tabs.active == "tab-hardware"
        assert app.focused is app.questionnaire.query_one("#hw-gpu-name", Input)


# --- language ---------------------------------------------------------------------------------------


async def test_language_switch_relabels_everything_and_keeps_answers() -> None:
    book = load_questions()
    app = make_app(answers={"task_type": "classification", "needs_citations": True})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        task = field(app, "task_type")
        assert text_of(task.query_one(".q-label", Static)) == book.get("task_type").label.en
        await pilot.press("f2")
        await settle(pilot)
        assert app.lang == "fr"
        assert text_of(task.query_one(".q-label", Static)) == book.get("task_type").label.fr
        assert text_of(task.query_one(".q-help", Static)) == book.get("task_type").help.fr
        tab = app.questionnaire.query_one(TabbedContent).get_tab("tab-use_case")
        assert tab.label.plain.startswith(book.groups["use_case"].fr)  # then its progress when the screen is wide
        assert "Recommandation (en direct)" in live_text(app)
        footer = {b.binding.action: b.binding.description for b in app.screen.active_bindings.values()}
        assert footer["app.results"] == "Résultats"
        assert footer["toggle_language"] == "English"
        assert app.answers.task_type == "classification"
        assert app.answers.needs_citations is True
        assert task.query_one(Select).value == "classification"
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert app.lang == "en"
        assert text_of(task.query_one(".q-label", Static)) == book.get("task_type").label.en


async def test_app_starts_in_french_when_asked() -> None:
    app = make_app(lang="fr")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        first = load_questions().questions[0]
        assert text_of(field(app, first.key).query_one(".q-label", Static)) == first.label.fr
        assert field(app, "needs_language_understanding").query_one(Select).prompt == "(sans réponse)"


# --- hardware ---------------------------------------------------------------------------------------


async def test_hardware_override_changes_the_plan_and_what_is_shown() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        panel = app.questionnaire.query_one(HardwarePanel)
        assert "RTX 4090" in text_of(panel.query_one("#hw-status", Static))
        assert app.recommendation.hardware.max_gpu_usable_bytes < 24 * GIB
        await pilot.press("f3")
        await pilot.press("H", "1", "0", "0", "tab", "8", "0", "tab", "2")
        await settle(pilot)
        profile = app.recommendation.hardware
        assert [g.name for g in profile.gpus] == ["H100", "H100"]
        assert profile.gpus[0].total_bytes == 80 * GIB
        assert profile.ram_bytes == 64 * GIB  # RAM box left empty: kept
        planning = text_of(panel.query_one("#hw-planning", Static))
        assert "2 x H100" in planning
        # Zero GPUs plans for a CPU-only machine.
        count = panel.query_one("#hw-gpu-count", Input)
        count.value = "0"
        await settle(pilot)
        assert app.recommendation.hardware.gpus == []
        # The results screen sizes for the override too.
        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, ResultsScreen)
        assert "No usable GPU, RAM 64.0 GiB (given)" in text_of(app.screen.query_one("#body-approach", Static))


async def test_detection_runs_in_a_worker_and_is_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    from advisor.hardware import detect as hardware_detect

    detected = profile_from_override({"gpus": [{"name": "Detected GPU", "vram_gb": 16}], "ram_gb": 32})
    detected = detected.model_copy(update={"source": "detected"})
    monkeypatch.setattr(hardware_detect, "detect_hardware", lambda: detected)
    app = AdvisorApp(lang="en")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await app.workers.wait_for_complete()
        await settle(pilot)
        status = text_of(app.questionnaire.query_one("#hw-status", Static))
        assert "Detected on this machine" in status
        assert "Detected GPU" in status
        assert app.recommendation.hardware.gpus[0].name == "Detected GPU"


async def test_failed_detection_is_said_and_overrides_still_work(monkeypatch: pytest.MonkeyPatch) -> None:
    from advisor.hardware import detect as hardware_detect

    def broken() -> HardwareProfile:
        raise RuntimeError("NVML exploded")

    monkeypatch.setattr(hardware_detect, "detect_hardware", broken)
    app = AdvisorApp(lang="en")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await app.workers.wait_for_complete()
        await settle(pilot)
        panel = app.questionnaire.query_one(HardwarePanel)
        assert "NVML exploded" in text_of(panel.query_one("#hw-status", Static))
        panel.fill(vram="24")
        await settle(pilot)
        assert app.recommendation.hardware.gpus[0].total_bytes == 24 * GIB


# --- files ------------------------------------------------------------------------------------------


def _round_trip_sources() -> list[Any]:
    sources: list[Any] = [pytest.param(None, id="fixture")]
    for path in sorted(EXAMPLES.glob("*.yaml"))[:2]:
        sources.append(pytest.param(path, id=path.stem))
    return sources


@pytest.mark.parametrize("source", _round_trip_sources())
async def test_load_then_save_answers_round_trip(source: Path | None, tmp_path: Path) -> None:
    if source is None:
        source = tmp_path / "in.yaml"
        source.write_text(FIXTURE_YAML, encoding="utf-8")
    expected = load_answers(source)
    out = tmp_path / "out.yaml"
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_dialog(pilot, "f5", source)
        assert isinstance(app.screen, QuestionnaireScreen)  # the dialog closed
        assert app.answers == expected
        for key, value in expected.answered().items():
            assert field(app, key).value() == (list(value) if isinstance(value, tuple) else value)
        await open_dialog(pilot, "f6", out)
        assert isinstance(app.screen, QuestionnaireScreen)
    assert load_answers(out) == expected
    assert out.read_text(encoding="utf-8") == dump_answers(expected)


@pytest.mark.parametrize(
    "content",
    ["task_type: [unclosed\n", "task_type: teleportation\n", "- just\n- a list\n"],
    ids=["bad-yaml", "bad-value", "not-a-mapping"],
)
async def test_bad_file_shows_the_error_and_keeps_the_answers(content: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(content, encoding="utf-8")
    with pytest.raises(Exception) as raised:
        load_answers(bad)
    app = make_app(answers={"task_type": "classification", "labelled_examples": 40})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        before = app.answers
        dialog = await open_dialog(pilot, "f5", bad)
        assert app.screen is dialog  # still open, path kept for fixing
        assert dialog.query_one("#dialog-path", Input).value == str(bad)
        error = text_of(dialog.query_one("#dialog-error", Static))
        assert str(raised.value) in error
        assert "your answers are as they were" in error
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, QuestionnaireScreen)
        assert app.answers == before
        assert field(app, "task_type").query_one(Select).value == "classification"
        assert field(app, "labelled_examples").query_one(Input).value == "40"


async def test_missing_file_is_an_error_not_a_crash(tmp_path: Path) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        dialog = await open_dialog(pilot, "f5", tmp_path / "nope.yaml")
        assert app.screen is dialog
        assert "nope.yaml" in text_of(dialog.query_one("#dialog-error", Static))
        await pilot.press("f2")  # the language switches inside a dialog too
        await settle(pilot)
        assert app.lang == "fr"
        assert text_of(dialog.query_one("#dialog-title", Static)) == "Ouvrir des réponses (fichier YAML)"
        assert app.screen is dialog


async def test_save_report_in_the_chosen_language(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from advisor.results import Recommendation

    def fake_markdown(self: Recommendation, lang: str = "en") -> str:
        return f"# report {lang} {self.approach}\n"

    monkeypatch.setattr(Recommendation, "to_markdown", fake_markdown)
    app = make_app(answers={"needs_language_understanding": "none"})
    out = tmp_path / "report.md"
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await pilot.press("r")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, PathDialog)
        path_box = dialog.query_one("#dialog-path", Input)
        assert path_box.value == "llm-advisor-report.en.md"
        dialog.query_one("#dialog-lang", RadioSet).focus()
        await pilot.press("right", "enter")  # French
        await settle(pilot)
        assert path_box.value == "llm-advisor-report.fr.md"  # an untouched default follows the language
        path_box.value = str(out)
        dialog.query_one("#dialog-path", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ResultsScreen)
    assert out.read_text(encoding="utf-8") == "# report fr no-llm\n"


# --- results ----------------------------------------------------------------------------------------


async def test_results_screen_shows_approach_reasons_and_alternatives() -> None:
    app = make_app(answers=answers_from_text(FIXTURE_YAML))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ResultsScreen)
        rec = app.recommendation
        assert rec.approach == "rag"
        assert "RAG" in text_of(screen.query_one("#body-approach", Static))
        reasons = text_of(screen.query_one("#body-reasons", Static))
        for reason in rec.reasons:
            assert reason.id in reasons
        assert screen.query_one("#body-alternatives", Static).display
        await pilot.press("f2")
        await settle(pilot)
        assert "Approche recommandée" in text_of(screen.query_one("#body-approach", Static))
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, QuestionnaireScreen)


def test_import_tui_package_does_not_load_textual() -> None:
    code = "import sys, advisor.tui, advisor.advice; print('textual' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_every_question_gets_the_widget_of_its_type() -> None:
    from advisor.tui.fields import ListField, MappingField, make_field

    expected = {
        "select": SelectField,
        "boolean": BooleanField,
        "integer": IntegerField,
        "multi": ListField,
        "mapping": MappingField,
    }
    for question in load_questions().questions:
        assert isinstance(make_field(question, "en"), expected[question.widget])


@pytest.mark.parametrize("lang", ["en", "fr"])
async def test_usable_at_80x24(lang: str) -> None:
    """Every section tab and every footer key fits in 80 columns; the first question is on screen."""
    app = make_app(lang=lang)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.questionnaire
        assert screen.has_class("-narrow")
        tabs = screen.query_one(TabbedContent)
        for pane_id in ["tab-use_case", "tab-knowledge", "tab-constraints", "tab-team", "tab-hardware"]:
            region = tabs.get_tab(pane_id).region
            assert region.width > 0 and region.right <= 80, pane_id
        first = field(app, load_questions().questions[0].key).query_one(Select)
        assert first.region.bottom <= 24 - 1 - 6  # above the live strip and the footer
        from textual.widgets._footer import FooterKey

        keys = list(screen.query(FooterKey))
        assert len(keys) >= 6
        assert all(key.region.right <= 80 for key in keys)


def test_advisor_without_a_verb_opens_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    import advisor.cli
    import advisor.tui
    from advisor.cli import main

    calls: list[str | None] = []
    monkeypatch.setattr(advisor.tui, "run_app", lambda lang=None: calls.append(lang))
    monkeypatch.setattr(advisor.cli, "_interactive", lambda: True)  # pytest's stdin/stdout are no terminal
    assert main(["--lang", "fr"]) == 0
    assert main([]) == 0
    assert calls == ["fr", None]
