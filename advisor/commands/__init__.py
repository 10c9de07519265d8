"""One module per CLI verb, imported only when that verb runs (see advisor.cli.COMMANDS).

``SHORT_HELP`` is the one-line description of each verb. ``advisor --help`` lists it without
importing the verbs' modules, and each verb declares it as its click ``short_help``, so the two
cannot say different things (tests/test_cli_recommend.py checks that every verb does).
"""

SHORT_HELP: dict[str, str] = {
    "recommend": "Recommend an approach, model and quantization for a questionnaire.",
    "rules": "Check the knowledge base, or show the full trace of a decision.",
    "estimate": "Estimate the memory a model needs (inference or training).",
    "detect": "Show the GPUs and memory this machine has, and what is usable.",
    "catalog": "List, show, validate, add, refresh or discover catalog models.",
    "smoke": "Load a model for real, generate, and measure its memory and speed.",
    "questions": "List the questionnaire keys, their allowed values and help.",
    "init": "Write an answers template with every question, ready to fill in.",
}
