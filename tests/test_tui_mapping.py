"""The terminal app renders the approach -> outcome question (already_tried) and keeps its answer."""

from __future__ import annotations

from textual.widgets import Select

from advisor.questionnaire import load_answers
from tests.test_tui import SIZE, field, make_app, settle


async def test_already_tried_is_shown_changed_and_relabelled() -> None:
    answers = {"task_type": "document_qa", "already_tried": {"prompting": "insufficient"}}
    app = make_app(answers=answers)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        tried = field(app, "already_tried")
        assert tried.value() == {"prompting": "insufficient"}
        assert app.answers.already_tried == {"prompting": "insufficient"}
        tried.query_one("#q-already_tried-rag", Select).value = "good_enough"
        await settle(pilot)
        assert app.answers.already_tried == {"prompting": "insufficient", "rag": "good_enough"}
        app.lang = "fr"
        await settle(pilot)
        assert field(app, "already_tried").value() == {"prompting": "insufficient", "rag": "good_enough"}
        tried.show(None)
        await settle(pilot)
        assert app.answers.already_tried is None
    assert load_answers({"already_tried": {"rag": "good_enough"}}).already_tried == {"rag": "good_enough"}
