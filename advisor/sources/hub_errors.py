"""One vocabulary for what the Hugging Face Hub says, and no token in anything we print.

The catalog's Hub reader, the estimator's Hub lookups and the smoke test's child all meet the same
huggingface_hub errors; classifying them here words a gated, missing or unreachable model the same
way in ``advisor catalog add``, ``advisor estimate`` and ``advisor smoke``. Repo ids are checked with
huggingface_hub's own validator, so what we accept is what the Hub accepts.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

# Hub tokens look like hf_ followed by 30-odd letters and digits; huggingface_hub masks them as
# token[:3] + "****" + token[-4:] (_login.py). Any run of 20+ is masked here, whatever its length.
_TOKEN_RE = re.compile(r"hf_[A-Za-z0-9]{20,}")
_TOKEN_ENV_VARS = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HUGGINGFACE_HUB_TOKEN")


@dataclass(frozen=True)
class HubFailure:
    """A Hub failure with a stable code, a message and what to do about it (tokens masked)."""

    code: str
    message: str
    hint: str | None = None


def scrub_secrets(text: str) -> str:
    """Mask Hub tokens in ``text``: the value of the token variables and anything shaped like one."""
    for name in _TOKEN_ENV_VARS:
        value = os.environ.get(name)
        if value and len(value) >= 8:
            text = text.replace(value, "hf_****")
    return _TOKEN_RE.sub("hf_****", text)


def classify_hub_error(exc: BaseException, model: str) -> HubFailure | None:
    """Map huggingface_hub errors (possibly wrapped by transformers in OSError) to codes.

    Gated is checked before not-found because GatedRepoError subclasses RepositoryNotFoundError
    (huggingface_hub errors.py).
    """
    from huggingface_hub import errors

    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    offline = os.environ.get("HF_HUB_OFFLINE", "").upper() in ("1", "ON", "YES", "TRUE")

    def find(kind: type[BaseException]) -> BaseException | None:
        return next((e for e in chain if isinstance(e, kind)), None)

    if find(errors.GatedRepoError):
        return HubFailure(
            "gated-needs-token",
            f"{model} is gated: this account has not been granted access",
            f"accept the licence at https://huggingface.co/{model}, then set HF_TOKEN or run `hf auth login`",
        )
    if find(errors.RepositoryNotFoundError):
        return HubFailure(
            "not-found",
            f"{model} was not found on the Hub",
            "check the id; a private or gated repo also answers 'not found' without a token (set HF_TOKEN)",
        )
    if find(errors.RevisionNotFoundError):
        return HubFailure("not-found", f"{model}: the requested revision does not exist")
    if find(errors.LocalEntryNotFoundError) or find(errors.OfflineModeIsEnabled):
        if offline:
            return HubFailure(
                "offline-not-cached",
                f"{model}: offline (HF_HUB_OFFLINE=1) and not in the cache",
                "download it once with network access, or unset HF_HUB_OFFLINE",
            )
        return HubFailure(
            "offline-not-cached",
            f"{model}: the Hub could not be reached and the model is not in the cache",
            "check the network or proxy, or download the model where the Hub is reachable",
        )
    entry = getattr(errors, "RemoteEntryNotFoundError", None) or errors.EntryNotFoundError
    if find(entry):
        return HubFailure("not-found", f"{model} has no config.json on the Hub: not a transformers model")
    http = find(errors.HfHubHTTPError)
    if http is not None:
        status = getattr(getattr(http, "response", None), "status_code", None)
        if status == 429:
            return HubFailure(
                "hub-error",
                f"{model}: rate limited by the Hub (HTTP 429 Too Many Requests)",
                "the Hub rate-limits anonymous calls: set HF_TOKEN or retry in a few minutes",
            )
        return HubFailure("hub-error", f"{model}: the Hub refused the request (HTTP {status}): {http}")
    return None
