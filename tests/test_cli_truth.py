"""What the CLI tells a user matches what happened: report paths, no terminal, broken pipes, exit
codes, "nothing fits", context limits, stable plans, number formatting and the questionnaire keys.

Terminal behaviour (no tty, a closed pipe) runs the real ``advisor`` in a subprocess; the rest
calls ``advisor.cli.main`` in-process.
"""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

from advisor.cli import main
from advisor.commands.rules import rule_counts
from advisor.errors import EXIT_CODE_MEANINGS, ExitCode
from advisor.hardware import detect as hardware_detect
from advisor.hardware import other as hardware_other
from advisor.hardware import profile as hardware
from advisor.hardware.profile import busy_note, usable_ram_bytes
from advisor.questionnaire import QUESTION_KEYS, Answers, load_answers, load_questions
from advisor.questions_doc import answers_template, questions_text, readme_sections
from advisor.units import GIB

ROOT = Path(__file__).resolve().parent.parent
RH = str(ROOT / "examples" / "03_assistant_rh_fr.yaml")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def advisor_process(*args: str, **kwargs: object) -> subprocess.Popen[bytes]:
    env = {**os.environ, "COLUMNS": "100"}
    return subprocess.Popen([sys.executable, "-m", "advisor", *args], env=env, **kwargs)  # type: ignore[call-overload]


# --- report path ------------------------------------------------------------------------------


def test_report_in_a_missing_folder_is_exit_3_after_the_summary(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "missing" / "r.md"
    code, out, err = run(capsys, "recommend", RH, "--vram", "24", "--report", str(target))
    assert code == ExitCode.INPUT
    assert "Recommended approach" in out  # the summary came first
    assert "the folder" in err and "does not exist" in err and "--mkdir" in err
    assert "internal error" not in err and not target.exists()


def test_mkdir_creates_the_report_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "r.md"
    code, _, err = run(capsys, "recommend", RH, "--vram", "24", "--report", str(target), "--mkdir")
    assert code == ExitCode.OK and target.read_text(encoding="utf-8").startswith("#")
    assert "report written" in err


def test_report_that_cannot_be_written_is_exit_3(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, out, err = run(capsys, "recommend", RH, "--vram", "24", "--report", str(blocker / "r.md"), "--mkdir")
    assert code == ExitCode.INPUT and "Recommended approach" in out and "report" in err


# --- no terminal ------------------------------------------------------------------------------


def test_no_verb_without_a_terminal_prints_help_and_exits_2() -> None:
    proc = advisor_process(stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == ExitCode.USAGE
    assert b"Commands:" in err and b"needs a terminal" in err and out == b""


def test_no_verb_with_a_terminal_stdin_but_redirected_stdout_exits_2() -> None:
    leader, follower = pty.openpty()
    try:
        proc = advisor_process(stdin=follower, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        _, err = proc.communicate(timeout=60)
    finally:
        os.close(leader)
        os.close(follower)
    assert proc.returncode == ExitCode.USAGE and b"needs a terminal" in err


# --- exit codes -------------------------------------------------------------------------------


@pytest.mark.parametrize("extra", [[], ["--json"]])
def test_a_closed_stdout_is_quiet(extra: list[str]) -> None:
    proc = advisor_process("recommend", RH, "--vram", "24", *extra, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the first write, as after `| head -1`
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == ExitCode.OK
    assert err == b""


def test_memory_error_on_input_is_exit_3(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import advisor.advice

    def exhausted(*args: object, **kwargs: object) -> None:
        raise MemoryError

    monkeypatch.setattr(advisor.advice, "recommend", exhausted)
    code, _, err = run(capsys, "recommend", RH)
    assert code == ExitCode.INPUT and "out of memory" in err and "internal error" not in err


def test_the_readme_carries_the_exit_code_table_and_the_help_too(capsys: pytest.CaptureFixture[str]) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for start, _end, section in readme_sections():
        assert section in readme, f"README section {start!r} is stale: python -m advisor.questions_doc README.md"
    code, out, _ = run(capsys, "--help")
    assert code == ExitCode.OK
    for exit_code in EXIT_CODE_MEANINGS:
        assert re.search(rf"^\s+{exit_code.value}\s", out, re.MULTILINE)


# --- contradictory options and hardware files --------------------------------------------------


@pytest.mark.parametrize("args", [["--gpus", "0", "--vram", "24"], ["--vram", "0", "--gpus", "2"]])
def test_contradictory_gpu_options_are_refused(capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    code, out, err = run(capsys, "recommend", RH, *args)
    assert code == ExitCode.USAGE and "contradict" in err and out == ""


@pytest.mark.parametrize("args", [["--gpus", "0"], ["--vram", "0"], ["--gpus", "2", "--vram", "24"]])
def test_consistent_gpu_options_are_accepted(capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    code, _, err = run(capsys, "recommend", RH, "--ram", "32", *args)
    assert code == ExitCode.OK, err


def test_contradictory_environment_is_exit_3(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADVISOR_GPUS", "0")
    monkeypatch.setenv("ADVISOR_VRAM_GB", "24")
    code, _, err = run(capsys, "detect")
    assert code == ExitCode.INPUT and "contradict" in err


def test_a_missing_hardware_file_is_named(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ADVISOR_HARDWARE", str(tmp_path / "hw.yaml"))
    code, _, err = run(capsys, "detect", "--json")
    assert code == ExitCode.INPUT and "no such file" in err and "hw.yaml" in err
    assert "expected a mapping" not in err
    (tmp_path / "hw.yaml").write_text("gpus: []\nram_gb: 16\n")
    code, out, _ = run(capsys, "detect", "--json")
    assert code == ExitCode.OK and json.loads(out)["gpus"] == []


# --- nothing fits, context limits, smoke verdict ------------------------------------------------


def test_nothing_fits_is_said_in_the_summary(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "recommend", RH, "--vram", "2", "--gpus", "1")
    assert code == ExitCode.OK
    assert "Nothing fits this hardware" in out and "Model:" not in out
    code, out, _ = run(capsys, "recommend", RH, "--vram", "24", "--gpus", "1")
    assert "Nothing fits" not in out and "Model:" in out and "usable" in out


def test_nothing_fits_in_french(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "recommend", RH, "--vram", "2", "--gpus", "1", "--lang", "fr")
    assert "Rien ne tient sur ce matériel" in out


def test_context_beyond_every_model_is_said_and_sized_at_the_limit(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_text(Path(RH).read_text(encoding="utf-8") + "\ncontext_tokens: 10000000\n", encoding="utf-8")
    code, out, _ = run(capsys, "recommend", str(answers), "--vram", "80", "--gpus", "1", "--ram", "64", "--json")
    chosen = json.loads(out)["model"]["chosen"]
    assert code == ExitCode.OK and chosen["memory"]["context_tokens"] == chosen["context_length"]
    assert chosen["memory"]["total_bytes"] < 80 * GIB
    _, out, _ = run(capsys, "recommend", str(answers), "--vram", "80", "--gpus", "1", "--ram", "64")
    assert "10,000,000 tokens" in " ".join(out.split()) and "beyond what" in " ".join(out.split())


def test_estimate_warns_past_the_model_context(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "estimate", "Qwen/Qwen2.5-7B-Instruct", "--context", "1000000")
    assert code == ExitCode.OK and "beyond what Qwen/Qwen2.5-7B-Instruct reads (32,768 tokens)" in err
    code, _, err = run(capsys, "estimate", "Qwen/Qwen2.5-7B-Instruct", "--context", "32768")
    assert code == ExitCode.OK and "beyond" not in err
    _, _, err = run(capsys, "estimate", "Qwen/Qwen2.5-7B-Instruct", "--context", "32768", "--new-tokens", "1")
    assert "beyond" in err


def test_smoke_test_verdict_and_reason_in_the_summary(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import advisor.smoke.runner
    from advisor.results import SmokeError, SmokeResult

    def refused(model: str, **kwargs: object) -> SmokeResult:
        return SmokeResult(
            ok=False,
            verdict="could-not-run",
            model=model,
            error=SmokeError(code="missing-dependency", message="torch is not installed",
                             hint='pip install "llm-advisor[smoke]"'),
        )  # fmt: skip

    monkeypatch.setattr(advisor.smoke.runner, "smoke_test", refused)
    code, out, _ = run(capsys, "recommend", RH, "--vram", "24", "--smoke-test")
    assert code == ExitCode.SMOKE_FAILED
    assert "Smoke test" in out and "could-not-run" in out and "torch is not installed" in out
    assert "llm-advisor[smoke]" in out  # rich markup does not eat the extra


# --- stable plans -------------------------------------------------------------------------------


def test_ram_plan_does_not_follow_free_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = []
    for available in (30 * GIB, 5 * GIB):
        monkeypatch.setattr(hardware_other, "detect_ram", lambda a=available: hardware_other.RamInfo(32 * GIB, a))
        profile = hardware_detect._detect(gpus=False)
        seen.append(profile.usable_ram_bytes)
        busy = [n for n in profile.notes if "free now" in n]
        assert bool(busy) == (available < usable_ram_bytes(32 * GIB))
    assert seen == [usable_ram_bytes(32 * GIB)] * 2


def test_busy_note_both_sides_of_the_usable_figure() -> None:
    assert busy_note("RAM", 10 * GIB, 10 * GIB) is None
    assert busy_note("RAM", None, 10 * GIB) is None
    note = busy_note("RAM", 10 * GIB - 1, 10 * GIB)
    assert note is not None and note.startswith("RAM: ") and "free now" in note


# --- display ----------------------------------------------------------------------------------


def test_identical_gpus_are_collapsed_in_the_summary(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "recommend", RH, "--vram", "80", "--gpus", "64", "--ram", "512")
    hardware_line = " ".join(out.split("Hardware:")[1].split())
    assert "64 × 71.1 GiB usable" in hardware_line and hardware_line.count("GiB") == 2


def test_rules_lint_counts_read_as_english(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "rules", "lint")
    assert code == ExitCode.OK and re.search(r"\d+ rules: \d+ gates, \d+ vetoes, \d+ scores, \d+ advice rules", out)
    assert rule_counts(1, {"gate": 1, "veto": 0}) == "1 rule: 1 gate, 0 vetoes"


def test_rules_explain_keeps_rule_ids_whole(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from advisor.output import stdout_console

    stdout_console.cache_clear()
    monkeypatch.setenv("COLUMNS", "80")
    try:
        code, out, _ = run(capsys, "rules", "explain", RH, "--all", "--vram", "24")
    finally:
        stdout_console.cache_clear()
    assert code == ExitCode.OK
    from advisor.rules.loader import load_knowledge_base

    for rule in load_knowledge_base().rules:
        assert rule.id in out, rule.id
    assert "…" not in out.split("facts read")[0]


def test_catalog_list_uses_one_count_and_context_style(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "catalog", "list")
    assert code == ExitCode.OK
    assert not re.search(r"│\s+\d+k\s+│", out)  # no "32k" cell next to "32,768"
    assert not re.search(r"(?<![\d.])0M\b|(?<![\d.])0\.00B\b|\d,\d{3}M\b", out)
    row = next(line for line in out.splitlines() if "google/gemma-3-1b-it" in line)
    assert "1.0B" in row


# --- questionnaire keys -------------------------------------------------------------------------


def test_questions_lists_every_key_with_values_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "questions")
    assert code == ExitCode.OK
    for question in load_questions().questions:
        assert f"{question.key}: {question.label.en}" in out
        assert question.help.en in out
        for value in question.choices:
            assert value in out
    code, out, _ = run(capsys, "questions", "--lang", "fr")
    assert "Que doit faire le système ?" in out and "une valeur parmi\u202f:" in out


def test_init_writes_a_template_that_loads_as_unanswered(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "answers.yaml"
    code, _, err = run(capsys, "init", str(target), "--lang", "fr")
    assert code == ExitCode.OK and "advisor recommend" in err
    text = target.read_text(encoding="utf-8")
    assert all(re.search(rf"^{key}:$", text, re.MULTILINE) for key in QUESTION_KEYS)
    assert "Que doit faire le système ?" in text
    assert load_answers(target) == Answers()


def test_init_never_overwrites_without_force(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "answers.yaml"
    target.write_text("task_type: classification\n")
    code, _, err = run(capsys, "init", str(target))
    assert code == ExitCode.INPUT and "already exists" in err and "--force" in err
    assert target.read_text() == "task_type: classification\n"
    code, _, _ = run(capsys, "init", str(target), "--force")
    assert code == ExitCode.OK and "task_type:\n" in target.read_text()


def test_a_filled_template_is_read(tmp_path: Path) -> None:
    text = answers_template("en").replace("\ntask_type:\n", "\ntask_type: classification\n")
    target = tmp_path / "a.yaml"
    target.write_text(text)
    assert load_answers(target).answered() == {"task_type": "classification"}


def test_blank_answers_are_warned_about(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    blank = tmp_path / "blank.yaml"
    blank.write_text("{}\n")
    code, _, err = run(capsys, "recommend", str(blank), "--vram", "24")
    assert code == ExitCode.OK and "answers no question" in err
    _, _, err = run(capsys, "recommend", RH, "--vram", "24")
    assert "answers no question" not in err


def test_readme_lists_every_key_and_no_design_file() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "DESIGN.md" not in readme
    for key in QUESTION_KEYS:
        assert f"| `{key}` |" in readme
    assert questions_text("en").count("\n\n") >= len(QUESTION_KEYS) - 1


def test_detect_collapses_identical_gpus_into_one_row(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "ADVISOR_HARDWARE",
        '{"gpus": [{"name": "A100", "vram_gb": 80}, {"name": "A100", "vram_gb": 80}, {"name": "L4", "vram_gb": 24}],'
        ' "ram_gb": 256}',
    )
    code, out, _ = run(capsys, "detect")
    assert code == ExitCode.OK
    assert "GPU 0-1: 2 × A100" in out and "GPU 2: L4" in out and out.count("A100") == 1


@pytest.mark.parametrize(
    ("option", "ok", "too_big"),
    [
        ("--gpus", str(hardware.MAX_GPUS), str(hardware.MAX_GPUS + 1)),
        ("--vram", "4096", "4097"),
        ("--ram", "1048576", "1048577"),
    ],
)
def test_hardware_option_bounds_are_command_line_errors(
    capsys: pytest.CaptureFixture[str], option: str, ok: str, too_big: str
) -> None:
    extra = ["--vram", "80"] if option == "--gpus" else ["--gpus", "1"] if option == "--vram" else ["--gpus", "0"]
    code, _, err = run(capsys, "detect", "--json", option, too_big, *extra)
    assert code == ExitCode.USAGE and option in err
    code, _, err = run(capsys, "detect", "--json", option, ok, *extra, *([] if option == "--ram" else ["--ram", "8"]))
    assert code == ExitCode.OK, err


def test_estimate_of_a_tiny_model_writes_its_count_and_context_limit(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from tests.tiny_models import write_config

    folder = write_config(tmp_path / "tiny")
    code, out, err = run(capsys, "estimate", str(folder), "--context", "256")
    assert code == ExitCode.OK and "beyond" not in err
    assert re.search(r"\b\d+(\.\d)?K parameters", out) and "0.00B" not in out and "0M" not in out
    code, _, err = run(capsys, "estimate", str(folder), "--context", "257")
    assert code == ExitCode.OK and "reads (256 tokens)" in err


def test_the_summary_says_when_less_is_free_now_than_planned(monkeypatch: pytest.MonkeyPatch) -> None:
    from advisor.advice import recommend
    from advisor.report.summary import _busy_lines

    for available, said in ((4 * GIB, True), (30 * GIB, False)):
        monkeypatch.setattr(hardware_other, "detect_ram", lambda a=available: hardware_other.RamInfo(32 * GIB, a))
        rec = recommend(RH, hardware={"gpus": []})
        assert rec.hardware.usable_ram_bytes == usable_ram_bytes(32 * GIB)
        lines = _busy_lines(rec, "fr")
        assert bool(lines) == said
        if said:
            assert lines[0].startswith("RAM\u202f: 4,0 Gio libres en ce moment")


@pytest.mark.parametrize(("free_gib", "said"), [(40, True), (79, False)])
def test_a_busy_gpu_keeps_its_plan_and_gets_a_note(monkeypatch: pytest.MonkeyPatch, free_gib: int, said: bool) -> None:
    from advisor.hardware import nvidia as hardware_nvidia
    from advisor.hardware.profile import GpuInfo, usable_gpu_bytes

    usable = usable_gpu_bytes(80 * GIB)
    gpu = GpuInfo(name="A100", total_bytes=80 * GIB, free_bytes=free_gib * GIB, usable_bytes=usable)
    monkeypatch.setattr(hardware_other, "detect_ram", lambda: hardware_other.RamInfo(64 * GIB, 60 * GIB))
    monkeypatch.setattr(
        hardware_nvidia,
        "detect_nvidia",
        lambda ram, timeout_s: hardware_nvidia.NvidiaResult(status="ok", gpus=[gpu], physical_count=1),
    )
    profile = hardware_detect._detect(gpus=True)
    assert profile.gpus[0].usable_bytes == usable
    assert any(n.startswith("GPU 0: ") and "free now" in n for n in profile.notes) == said
