"""Hub repo ids, accepted exactly as the Hub accepts them.

huggingface_hub's ``validate_repo_id`` is the authority, but importing it costs about 0.25 s (it
pulls the HTTP client), and the catalog validates every entry's id on each cold ``advisor
recommend``. So the rules are restated here and ``tests/test_repo_ids.py`` checks them against
huggingface_hub's own validator on generated ids; code off the start-up path (the Hub reader, the
smoke child) can call the real one through :func:`validate_with_hub`.
"""

from __future__ import annotations

import re

# huggingface_hub utils/_validators.py REPO_ID_REGEX: an optional namespace, then a name, each of
# 1-96 ASCII word characters, '-' or '.', starting and ending on a word character; at most one '/';
# no '--' or '..'; not ending in '.git'.
_REPO_ID = re.compile(r"(\b[\w\-.]{1,96}\b/)?\b[\w\-.]{1,96}\b", flags=re.ASCII)


def is_valid_repo_id(text: str, *, namespace_required: bool = True) -> bool:
    """True when the Hub accepts ``text`` as a model repo id (``owner/name``; a bare legacy ``name``
    such as ``gpt2`` too when ``namespace_required`` is False)."""
    if not isinstance(text, str) or text.count("/") > 1:
        return False
    if namespace_required and "/" not in text:
        return False
    if not _REPO_ID.fullmatch(text):
        return False
    return "--" not in text and ".." not in text and not text.endswith(".git")


def validate_with_hub(text: str) -> bool:
    """huggingface_hub's own verdict on ``text`` (imports huggingface_hub)."""
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id  # type: ignore[attr-defined]  # public, re-exported lazily

    try:
        validate_repo_id(text)
    except HFValidationError:
        return False
    return True
