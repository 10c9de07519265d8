"""Finding one's way in the terminal app and telling it about hardware: help, palette, sections,
hardware boxes and presets, the hardware saved with the answers, questions that apply, French texts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.command import CommandPalette
from textual.widgets import Input, OptionList, ProgressBar, Static, TabbedContent

from advisor.errors import InputError, InputErrors
from advisor.hardware.profile import GIB
from advisor.questionnaire import load_answers, load_questions
from advisor.results import SmokeResult
from advisor.tui import AdvisorApp, render
from advisor.tui import panels as panels_module
from advisor.tui.dialogs import HELP_GROUPS, HelpScreen, help_text
from advisor.tui.fields import ListField
from advisor.tui.hardware_file import read_hardware, with_hardware
from advisor.tui.panels import HardwarePanel, build_override
from advisor.tui.presets import GpuPreset
from advisor.tui.screens import QuestionnaireScreen
from advisor.tui.texts import localize_error, t
from tests.test_tui import field, settle

HARDWARE = {"gpus": [{"name": "RTX 4090", "vram_gb": 24}], "ram_gb": 64}
SIZE = (100, 40)
RAG = {
    "task_type": "document_qa",
    "needs_language_understanding": "high",
    "knowledge_source": "domain_documents",
    "knowledge_change_frequency": "monthly",
    "languages": ["fr", "en"],
}
H100 = GpuPreset("H100 SXM", 80.0, 3350.0)


@pytest.fixture
def presets(monkeypatch: pytest.MonkeyPatch) -> None:
    """The GPU table as the hardware boxes see it (one entry), whether or not the table is installed."""
    monkeypatch.setattr(panels_module, "find_preset", lambda name: H100 if "h100" in name.lower() else None)
    monkeypatch.setattr(panels_module, "gpu_presets", lambda: [H100])
    monkeypatch.setattr("advisor.tui.app.gpu_presets", lambda: [H100])


def hardware_panel(app: AdvisorApp) -> HardwarePanel:
    return app.questionnaire.query_one(HardwarePanel)


def planning(app: AdvisorApp) -> str:
    return hardware_panel(app).query_one("#hw-planning", Static).content.plain


def shown_help(app: AdvisorApp) -> str:
    from tests.test_tui_safety import render_plain

    return render_plain(app.screen.query_one("#help-body", Static).content)


# --- help and palette ---------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["f1", "question_mark"])
async def test_help_lists_every_key_and_follows_the_language(key: str) -> None:
    app = AdvisorApp(hardware=HARDWARE, lang="en")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.set_focus(None)  # "?" in a text box is a character, not the help key
        await pilot.press(key)
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        body = shown_help(app)
        for _, keys in HELP_GROUPS:
            for shown, _ in keys:
                assert shown in body
        assert "Smoke test" in body and "Quit" in body
        await pilot.press("f2")
        await pilot.pause()
        body = shown_help(app)
        assert "Test de chargement" in body and "Quitter" in body
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, QuestionnaireScreen)


def test_help_text_names_every_binding_of_the_screens() -> None:
    from advisor.tui.app import AdvisorApp as App
    from advisor.tui.screens import QuestionnaireScreen as Q
    from advisor.tui.screens import ResultsScreen as R

    listed = {what for _, keys in HELP_GROUPS for _, what in keys}
    for cls in (App, Q, R):
        for binding in cls.BINDINGS:
            ident = binding.id  # type: ignore[union-attr]
            if ident in ("tui.key.help_short", "tui.key.section", "tui.key.next_field", "tui.key.previous_field"):
                continue  # listed under another line (F1, ?), (1-8), (Tab)
            if ident == "tui.key.language":
                assert "tui.help.language" in listed
                continue
            if ident in ("tui.key.next_section", "tui.key.previous_section"):
                assert "tui.help.sections" in listed
                continue
            assert ident in listed, ident
    for lang in ("en", "fr"):
        assert "Ctrl+Q" in help_text(lang)


async def test_palette_offers_the_apps_actions_in_french(presets: None) -> None:
    app = AdvisorApp(hardware=HARDWARE, lang="fr")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for expected in ("Ouvrir des réponses", "Enregistrer les réponses", "Enregistrer le rapport", "Quitter"):
            assert expected in titles
        assert "Lancer le test de chargement" in titles
        assert "Prévoir le GPU\u202f: H100 SXM" in titles
        assert any(title.startswith("Section\u202f: Connaissances") for title in titles)
        assert not any("theme" in title.lower() for title in titles)  # Textual's own English commands
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert CommandPalette.is_open(app)


async def test_preset_command_fills_the_gpu_and_the_plan_follows(presets: None) -> None:
    app = AdvisorApp(hardware=HARDWARE, lang="en")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.apply_preset("H100 SXM")
        await settle(pilot)
        assert app.questionnaire.query_one(TabbedContent).active == "tab-hardware"
        gpus = app.recommendation.hardware.gpus
        assert [g.total_bytes for g in gpus] == [80 * GIB]
        assert "H100 SXM from the GPU table: 80 GiB, 3,350 GB/s" in planning(app)


# --- sections ------------------------------------------------------------------------------------------


async def test_tab_from_the_last_question_goes_to_the_next_section() -> None:
    app = AdvisorApp(hardware=HARDWARE, lang="en")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.questionnaire
        tabs = screen.query_one(TabbedContent)
        pane = screen.query_one("#tab-use_case")
        chain = [w for w in screen.focus_chain if pane in w.ancestors]
        chain[-2].focus()
        await pilot.press("tab")
        await pilot.pause()
        assert tabs.active == "tab-use_case" and app.focused is chain[-1]  # inside a section: next control
        await pilot.press("tab")
        await settle(pilot)
        assert tabs.active == "tab-knowledge"
        assert any(w is app.focused for w in screen.focus_chain if screen.query_one("#tab-knowledge") in w.ancestors)
        await pilot.press("shift+tab")
        await settle(pilot)
        assert tabs.active == "tab-use_case"


async def test_questions_that_do_not_apply_are_hidden_and_not_counted() -> None:
    app = AdvisorApp(hardware=HARDWARE, lang="en", answers={"task_type": "document_qa", "num_classes": 12})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+pagedown")
        await settle(pilot)
        classes = field(app, "num_classes")
        assert not classes.display
        assert app.answers.num_classes is None  # kept in its box, not counted
        field(app, "task_type").show("classification")
        await settle(pilot)
        assert classes.display and app.answers.num_classes == 12


def test_applies_when_is_checked_against_the_choices() -> None:
    book = load_questions()
    question = book.get("num_classes")
    assert question.applies({}) and question.applies({"task_type": "classification"})
    assert not question.applies({"task_type": "document_qa"})
    for q in book.questions:
        for key, values in q.applies_when.items():
            assert book.get(key).widget == "select" and set(values) <= set(book.get(key).choices)


async def test_numbers_have_a_sanity_bound() -> None:
    app = AdvisorApp(hardware=HARDWARE, lang="en")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+pagedown")
        await settle(pilot)
        pages = field(app, "corpus_size_pages")
        box = pages.query_one(Input)
        maximum = load_questions().get("corpus_size_pages").maximum
        assert maximum is not None
        box.value = str(maximum + 1)
        await settle(pilot)
        assert app.answers.corpus_size_pages is None
        assert "At most" in pages.query_one(".q-error", Static).content.plain
        box.value = str(maximum)
        await settle(pilot)
        assert app.answers.corpus_size_pages == maximum


async def test_multi_line_paste_into_a_list_keeps_every_line() -> None:
    from textual import events

    app = AdvisorApp(hardware=HARDWARE, lang="en")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        licences = next(f for f in app.questionnaire.query(ListField) if f.key == "allowed_licences")
        box = licences.query_one(".list-input", Input)
        box.focus()
        box.post_message(events.Paste("apache-2.0\nmit\n\nbsd-3-clause\n"))
        await settle(pilot)
        assert box.value == "apache-2.0, mit, bsd-3-clause"
        assert list(app.answers.allowed_licences or []) == ["apache-2.0", "mit", "bsd-3-clause"]


# --- hardware boxes ------------------------------------------------------------------------------------


def test_empty_boxes_keep_the_detected_figures_without_an_error() -> None:
    assert build_override("", "", "", "", None) == (None, None)
    assert build_override("", "  ", "", "", None) == (None, None)


@pytest.mark.parametrize(
    ("vram", "count", "ram", "expected"),
    [
        ("-24", "", "", "Memory per GPU must be more than 0"),
        ("0", "", "", "Memory per GPU must be more than 0"),
        ("abc", "", "", "Memory per GPU: not a number"),
        ("", "-1", "", "cannot be negative"),
        ("", "", "-8", "RAM must be more than 0"),
        ("5000", "", "", "above 4096"),
        ("", "2000", "", "above 1024"),
    ],
)
def test_bad_figures_say_what_is_wrong(vram: str, count: str, ram: str, expected: str) -> None:
    override, error = build_override("", vram, count, ram, None)
    assert override is None and error is not None
    assert expected in error.en
    assert error.fr and error.fr != error.en


def test_figures_at_their_bounds_are_accepted() -> None:
    assert build_override("", "4096", "1024", "0.5", None)[1] is None
    assert build_override("", "", "0", "", None)[0] == {"gpus": []}
    assert build_override("", "24,5", "", "", None)[0] == {"gpus": [{"name": "GPU", "vram_gb": 24.5}]}


def test_a_known_gpu_name_brings_memory_and_bandwidth(presets: None) -> None:
    override, error = build_override("h100", "", "2", "", None)
    assert error is None
    assert override == {"gpus": [{"name": "h100", "vram_gb": 80.0, "bandwidth_gbps": 3350.0}] * 2}
    typed, _ = build_override("h100", "94", "", "", None)  # a memory typed wins over the table's
    assert typed == {"gpus": [{"name": "h100", "vram_gb": 94.0}]}
    unknown, error = build_override("Mystery 9000", "", "", "", None)
    assert unknown is None and error is not None  # no memory to go with the name


async def test_boxes_are_real_boxes_and_an_empty_one_is_not_red() -> None:
    app = AdvisorApp(hardware=HARDWARE, lang="fr")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        panel = hardware_panel(app)
        box = panel.query_one("#hw-vram", Input)
        assert box.placeholder and box.region.height >= 3  # bordered, not one bare line
        box.value = "24"
        await settle(pilot)
        box.value = ""
        await settle(pilot)
        assert not panel.has_class("-invalid") and not box.has_class("-invalid")
        box.value = "-24"
        await settle(pilot)
        assert panel.has_class("-invalid")
        assert "doit être supérieure à 0" in planning(app)


async def test_hardware_is_saved_with_the_answers_and_reloaded(tmp_path: Path) -> None:
    out = tmp_path / "plan.yaml"
    app = AdvisorApp(hardware=HARDWARE, lang="en", answers=RAG)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        hardware_panel(app).fill(vram="80", count="2", ram="256")
        await settle(pilot)
        await pilot.press("f6")
        await pilot.pause()
        app.screen.query_one("#dialog-path", Input).value = str(out)
        await pilot.press("enter")
        await settle(pilot)
    text = out.read_text(encoding="utf-8")
    assert "hardware:" in text
    assert load_answers(out).task_type == "document_qa"  # what advisor recommend reads: the block is left out
    assert read_hardware(out) == {"gpus": [{"name": "GPU", "vram_gb": 80.0}] * 2, "ram_gb": 256.0}
    again = AdvisorApp(hardware=HARDWARE, lang="en", answers=out)
    async with again.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert hardware_panel(again).values() == ("", "80", "2", "256")
        assert [g.total_bytes for g in again.recommendation.hardware.gpus] == [80 * GIB, 80 * GIB]
        assert not again.unsaved


def test_a_bad_hardware_block_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("task_type: classification\nhardware: {vram_gb: -3}\n", encoding="utf-8")
    with pytest.raises(InputErrors) as raised:
        read_hardware(bad)
    assert str(bad) in str(raised.value) and "hardware" in str(raised.value)
    assert with_hardware("task_type: x\n", None) == "task_type: x\n"


# --- results ------------------------------------------------------------------------------------------


async def test_results_have_a_table_of_contents_and_number_keys() -> None:
    app = AdvisorApp(hardware=HARDWARE, lang="fr", answers=RAG)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        screen = app.screen
        contents = screen.query_one("#results-contents", Static).content.plain
        assert "5 Modèle" in contents and contents.endswith("8 Test")
        scroll = screen.query_one("#results")
        assert scroll.scroll_y == 0
        await pilot.press("8")
        await pilot.pause()
        assert scroll.scroll_y > 0


async def test_model_ids_are_not_cut_at_80_columns() -> None:
    app = AdvisorApp(hardware=HARDWARE, lang="en", answers=RAG)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        from tests.test_tui_safety import render_plain

        model_id = app.recommendation.model.id
        drawn = render_plain(app.screen.query_one("#body-model", Static).content).replace("\n", "")
        assert "…" not in drawn
        squeezed = "".join(drawn.split())
        assert "".join(model_id.split()) in squeezed


async def test_memory_bars_use_the_width() -> None:
    widths = {}
    for size in ((80, 24), (160, 45)):
        app = AdvisorApp(hardware=HARDWARE, lang="en", answers=RAG)
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            await pilot.press("f4")
            await settle(pilot)
            widths[size[0]] = app.screen.bar_width()
    assert widths[80] == render.BAR_WIDTH
    assert widths[160] > 2 * widths[80]


@pytest.fixture
def failing_smoke(monkeypatch: pytest.MonkeyPatch) -> None:
    from advisor.smoke import runner as smoke

    def fails(model: str, quantization: str | None = None, progress: Any = None, **kwargs: Any) -> Any:
        for step in render.SMOKE_STEPS[:3]:
            progress(step, None)
        return SmokeResult(
            ok=False, verdict="could-not-run", model=model, error={"code": "offline-not-cached", "message": "offline"}
        )

    monkeypatch.setattr(smoke, "smoke_test", fails)


async def test_f8_says_the_test_started_and_a_failure_shows_no_full_bar(failing_smoke: None) -> None:
    app = AdvisorApp(hardware=HARDWARE, lang="en", answers=RAG)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("f8")
        await pilot.pause()
        assert any("Smoke test started" in n.message for n in app._notifications)
        await settle(pilot)
        assert app.smoke.state == "done" and not app.smoke.result.ok
        assert not app.screen.query_one("#smoke-progress", ProgressBar).display
        assert "offline" in app.screen.query_one("#body-smoke", Static).content.plain


async def test_last_test_message_goes_when_the_model_changes(failing_smoke: None) -> None:
    app = AdvisorApp(hardware=HARDWARE, lang="en", answers=RAG)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f4", "t")
        await settle(pilot)
        assert app.smoke.state == "done"
        await pilot.press("escape")
        hardware_panel(app).fill(count="0", ram="512")  # CPU only: another plan
        await settle(pilot)
        assert render.smoke_target(app.recommendation) != (app.smoke.model, app.smoke.quantization) or (
            app.smoke.state == "idle"
        )
        assert app.smoke.state == "idle"


async def test_a_follow_up_question_jumps_to_its_question() -> None:
    app = AdvisorApp(hardware=HARDWARE, lang="en", answers={"task_type": "document_qa"})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.recommendation.follow_up_questions
        key = app.recommendation.follow_up_questions[0].key
        await pilot.press("f4")
        await settle(pilot)
        box = app.screen.query_one("#body-follow_ups", OptionList)
        box.focus()
        box.highlighted = 0
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, QuestionnaireScreen)
        assert app.focused is not None and field(app, key) in app.focused.ancestors


# --- French -------------------------------------------------------------------------------------------


def test_rule_effects_in_french() -> None:
    def reason(kind: str, effect: str) -> Any:
        return type("R", (), {"kind": kind, "effect": effect})()

    assert render.effect_label(reason("veto", "excludes fine-tuning, raft"), "fr").startswith(
        "exclut\u202f: Fine-tuning, RAFT"
    )
    assert render.effect_label(reason("gate", "decides no-llm"), "fr").startswith("décide\u202f: ")
    assert render.effect_label(reason("score", "rag +3, fine-tuning -3"), "fr") == "RAG +3, Fine-tuning -3"
    assert render.effect_label(reason("veto", "excludes fine-tuning"), "en") == "excludes Fine-tuning"


def test_hardware_notes_in_french() -> None:
    note = "GPU: given, not detected (2 GPU(s))."
    assert render.hardware_note(note, "fr") == "GPU\u202f: indiqué, non détecté (2 GPU)."
    assert render.hardware_note(note, "en") == note
    assert render.hardware_note("NVIDIA: something new", "fr") == "NVIDIA: something new"  # unknown: as is


def test_file_errors_are_framed_in_french() -> None:
    error = InputErrors([InputError("'x' is not allowed", file="a.yaml", field="task_type")])
    text = localize_error(error, "fr")
    assert text.startswith(t("tui.error.invalid_file", "fr"))
    assert "a.yaml, champ task_type\u202f: 'x' is not allowed" in text
    assert localize_error(error, "en") == str(error)


def test_smoke_test_is_called_a_load_test_in_french() -> None:
    assert t("tui.key.smoke", "fr") == "Test de chargement"
    assert "rapide" not in t("tui.smoke.title", "fr")


def test_a_blank_questionnaire_with_hardware_saves_as_valid_commented_yaml() -> None:
    import yaml

    from advisor.questionnaire import Answers, dump_answers
    from advisor.tui.hardware_file import with_hardware

    text = with_hardware(dump_answers(Answers()), {"gpus": [{"name": "RTX 4090", "vram_gb": 24}]})
    assert "advisor questions" in text and "{}" not in text
    assert yaml.safe_load(text) == {"hardware": {"gpus": [{"name": "RTX 4090", "vram_gb": 24}]}}
