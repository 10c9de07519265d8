"""``advisor recommend`` and ``advisor rules``: data on stdout, messages on stderr, documented exit codes."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from advisor.cli import COMMANDS, main
from advisor.commands import SHORT_HELP
from advisor.errors import ExitCode

ROOT = Path(__file__).resolve().parent.parent
RH = str(ROOT / "examples" / "03_assistant_rh_fr.yaml")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_recommend_json_is_the_recommendation(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "recommend", RH, "--vram", "24", "--json")
    assert code == ExitCode.OK
    data = json.loads(out)
    assert data["schema_version"] == 1 and data["approach"] == "rag"
    assert {r["id"] for r in data["reasons"]} >= {"SCORE-RAG-FRESH-KNOWLEDGE", "SCORE-RAG-CITATIONS"}
    assert data["hardware"]["gpus"][0]["total_bytes"] == 24 * 1024**3
    assert data["excluded"]["fine-tuning"] == [
        "VETO-FT-TEAM-SKILLS",
        "VETO-FT-FEW-EXAMPLES",
        "VETO-FT-NO-TRAINING-DATA",
    ]
    assert "versions" in data and data["versions"]["knowledge_base"]


def test_recommend_summary_in_french(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "recommend", RH, "--vram", "24", "--lang", "fr")
    assert code == ExitCode.OK
    assert "Approche recommandée" in out and "Pourquoi" in out and "SCORE-RAG-CITATIONS" in out


def test_recommend_cpu_only_override(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "recommend", str(ROOT / "examples" / "06_clinical_guidelines_raft.yaml"), "--gpus", "0", "--json"
    )
    assert code == ExitCode.OK
    data = json.loads(out)
    assert data["hardware"]["gpus"] == []
    assert data["approach"] == "rag"  # on premises with no GPU: RAFT cannot train here
    assert "VETO-FT-NO-LOCAL-GPU" in data["excluded"]["raft"]


def test_bad_answers_file_is_a_clear_error_without_traceback(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text("task_type: clasification\nbudget: low\n", encoding="utf-8")
    code, out, err = run(capsys, "recommend", str(path), "--json")
    assert code == ExitCode.INPUT
    assert out == ""
    assert "did you mean 'classification'" in err and str(path) in err
    assert "Traceback" not in err


def test_missing_file_and_usage_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "recommend", str(tmp_path / "none.yaml"))
    assert code == ExitCode.INPUT and "file not found" in err
    code, _, err = run(capsys, "recommend", RH, "--vram", "lots")
    assert code == ExitCode.USAGE and "lots" in err


def test_rules_lint_and_explain(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "rules", "lint", "--json")
    assert code == ExitCode.OK
    data = json.loads(out)
    assert data["rules"] >= 40 and not [f for f in data["findings"] if f["level"] == "error"]
    code, out, _ = run(capsys, "rules", "explain", RH, "--vram", "24", "--json")
    assert code == ExitCode.OK
    trace = json.loads(out)["trace"]
    fired = {t["id"] for t in trace if t["outcome"] == "fired"}
    assert "SCORE-RAG-CITATIONS" in fired
    gate = next(t for t in trace if t["id"] == "GATE-NO-NLU")
    assert gate["outcome"] == "not_fired" and gate["facts"]["needs_language_understanding"] == "high"


def test_help_lists_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == ExitCode.OK
    assert "Exit codes" in out and "input" in out and "recommend" in out


def test_recommend_smoke_test_reports_offline_model_clearly(capsys: pytest.CaptureFixture[str]) -> None:
    # HF_HUB_OFFLINE=1 (conftest) and an empty HF_HOME: the chosen Hub model cannot be loaded here,
    # and the smoke test must say so, without a traceback, with the Hub's exit code (4), as `advisor smoke`.
    code, out, err = run(
        capsys,
        "recommend",
        str(ROOT / "examples" / "05_public_product_chatbot.yaml"),
        "--vram",
        "24",
        "--smoke-test",
        "--json",
    )
    assert code == ExitCode.HUB
    data = json.loads(out)
    assert data["smoke"]["verdict"] == "could-not-run"
    assert data["smoke"]["error"]["code"] == "offline-not-cached"
    assert data["model"]["id"] in data["smoke"]["error"]["message"]
    assert "Traceback" not in err


def test_no_llm_has_nothing_to_smoke_test() -> None:
    import advisor

    rec = advisor.recommend({"needs_language_understanding": "none"}, hardware={"gpus": []}, smoke_test=True)
    assert rec.approach == "no-llm" and rec.smoke is None


@pytest.mark.parametrize("verb", sorted(COMMANDS))
def test_every_verb_says_of_itself_what_the_verb_list_says(verb: str) -> None:
    # `advisor --help` lists SHORT_HELP without importing the verbs; each verb must declare the same line.
    module_name, attribute = COMMANDS[verb].split(":")
    command = getattr(importlib.import_module(module_name), attribute)
    assert command.name == verb
    assert command.get_short_help_str(limit=200) == SHORT_HELP[verb]
    assert set(COMMANDS) == set(SHORT_HELP)
