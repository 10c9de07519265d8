"""Every French report reads as French: no English words from a list outside code, and French
typography (no plain space before « : ; ? ! », spaces inside « », decimal comma, Gio).

The reports are those of tests/test_report_all.py: every example and scenario on four hardware
profiles. Code (fenced blocks, inline code) is left out: commands and identifiers stay as written.
"""

from __future__ import annotations

import re

import pytest

from advisor.units import french_typography
from tests.test_report_all import CASES, PROFILES, rendered

# English words that have no business in French prose (proper names and ML terms French teams use,
# such as "prompt", "fine-tuning", "reranker", "token", stay allowed).
ENGLISH = {
    "the",
    "and",
    "with",
    "without",
    "per",
    "detected",
    "given",
    "mixed",
    "excludes",
    "decides",
    "smoke",
    "fits",
    "usable",
    "parameters",
    "bytes",
    "memory",
    "sequence",
    "layer",
    "every",
    "kept",
    "computed",
    "from",
    "which",
    "should",
    "would",
    "between",
    "weights",
    "embeddings",
    "overall",
}
WORD = re.compile(r"[A-Za-zÀ-ÿ]+(?:'[A-Za-zÀ-ÿ]+)?")


def prose(text: str) -> str:
    text = re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)
    return re.sub(r"`[^`\n]*`", " ", text)


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("case", CASES)
def test_french_report_has_no_english_words_and_french_spacing(case: str, profile: str) -> None:
    text = prose(rendered(case, profile, "fr"))
    # Appendices list publication titles (proper names, often English): the word scan stops there.
    body = text.split("\n## A. ")[0]
    words = {w.lower() for w in WORD.findall(body)}
    english = sorted(words & ENGLISH)
    assert not english, f"English words in the French report: {english}"
    assert not re.search(r" [:;?!]", text), re.search(r".{30} [:;?!].{10}", text)
    assert not re.search(r"«[^\u00a0\u202f]|[^\u00a0\u202f]»", text)
    assert "GiB" not in text and "MiB" not in text
    # Every estimator and detection note these plans produce has its French (data/estimator_notes.yaml).
    assert "non traduite" not in rendered(case, profile, "fr")


def glossary_avoid() -> list[str]:
    from advisor.report.markdown import load_glossary

    words = [word for term in load_glossary().terms for word in term.avoid]
    assert "test de fumée" in words and "reclasseur" in words
    return words


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("case", CASES)
def test_french_report_uses_the_glossary_terms(case: str, profile: str) -> None:
    text = prose(rendered(case, profile, "fr")).lower()
    found = [word for word in glossary_avoid() if re.search(rf"\b{re.escape(word)}\b", text)]
    assert not found, f"terms the glossary says to avoid: {found}"


def test_decimal_comma_and_units_in_prose() -> None:
    text = prose(rendered("05_public_product_chatbot", "gpu24", "fr"))
    assert re.search(r"\d,\d Gio", text) and not re.search(r"\d\.\d Gio", text)


def test_typography_rules_apply_outside_code_only() -> None:
    assert french_typography("Approche : RAG ; vrai ? oui ! « cité »") == (
        "Approche\u00a0: RAG\u202f; vrai\u202f? oui\u202f! «\u00a0cité\u00a0»"
    )
    assert french_typography("`a : b` et\n```\nx ; y\n```\n") == "`a : b` et\n```\nx ; y\n```\n"
    assert french_typography("à 10:30, https://x.org") == "à 10:30, https://x.org"


def test_notes_translate_numbers_the_french_way() -> None:
    from advisor.report.notes import french_note

    assert french_note("KV cache in bf16 (2 bytes per element), 65,536 bytes per token per sequence") == (
        "cache KV en bf16 (2 octets par élément), 65\u202f536 octets par token et par séquence"
    )
    assert french_note("loss over 151,936-entry logits in fp32 for every token (8.11 GiB)") == (
        "perte calculée sur des logits de 151\u202f936 entrées en fp32 pour chaque token (8,1 Gio)"
    )
    assert french_note("a note nobody wrote a pattern for") is None
