"""The hosted-API route: when sending data to a model provider is allowed and self-hosting would
cost a small team more than it gives, the plan's first route is an API, priced from volume.

Rule (documented in the README): the route is offered only when the answers say the data may go
to a public API (``data_privacy: public_api_ok``), never for ``private_cloud_ok`` or
``on_prem_only``; it comes first when the team has no or basic ML skills, the budget is low, or
the volume is modest (at most MODEST_VOLUME requests a day). EU-hosted options are named first
when French or another European language is asked. Prices come from advisor/data/api_prices.yaml,
dated and sourced.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from advisor.datafiles import PACKAGE_DIR, read_yaml, validate
from advisor.results import HostedOption, HostedRoute

PRICES_FILE = PACKAGE_DIR / "data" / "api_prices.yaml"
# Up to this many requests a day, an API bill stays small next to a GPU server and its upkeep.
MODEST_VOLUME = 5000
DAYS_PER_MONTH = 30
# Languages whose data a team usually wants processed in the EU.
EUROPEAN_LANGUAGES = frozenset(
    {
        "fr",
        "de",
        "it",
        "es",
        "pt",
        "nl",
        "pl",
        "sv",
        "da",
        "fi",
        "cs",
        "sk",
        "sl",
        "hu",
        "ro",
        "bg",
        "el",
        "hr",
        "et",
        "lv",
        "lt",
        "ga",
        "mt",
        "br",
        "eu",
        "ca",
        "gl",
        "lb",
    }
)


class ApiPrice(BaseModel):
    """One hosted model and its price per million tokens."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    provider: str
    model: str
    input_per_million: float = Field(ge=0)
    output_per_million: float = Field(ge=0)
    currency: Literal["USD", "EUR"]
    eu_hosted: bool = Field(description="Processing can be kept in the EU.")
    region_note: str
    tier: Literal["economy", "strong"]
    as_of: str
    source: str


class ApiPriceTable(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    as_of: str
    providers: tuple[ApiPrice, ...]


@lru_cache(maxsize=1)
def load_prices() -> ApiPriceTable:
    return validate(ApiPriceTable, read_yaml(PRICES_FILE), file=str(PRICES_FILE))


def hosted_route(answers: Any, prompt_tokens: int, output_tokens: int) -> HostedRoute | None:
    """The API route for these answers, or None when the data may not leave or nothing favours it."""
    if getattr(answers, "data_privacy", None) != "public_api_ok":
        return None
    reasons = []
    if getattr(answers, "team_ml_skills", None) in ("none", "basic"):
        reasons.append("small_ml_team")
    if getattr(answers, "budget", None) == "low":
        reasons.append("low_budget")
    volume = getattr(answers, "volume_per_day", None)
    if volume is not None and volume <= MODEST_VOLUME:
        reasons.append("modest_volume")
    european = bool(EUROPEAN_LANGUAGES & set(getattr(answers, "languages", None) or ()))
    table = load_prices()
    options = []
    for price in table.providers:
        per_request = (prompt_tokens * price.input_per_million + output_tokens * price.output_per_million) / 1e6
        cost = None if volume is None else round(volume * DAYS_PER_MONTH * per_request, 2)
        options.append(
            HostedOption(
                provider=price.provider,
                model=price.model,
                eu_hosted=price.eu_hosted,
                region_note=price.region_note,
                monthly_cost=cost,
                cost_per_1000_requests=round(1000 * per_request, 3),
                currency=price.currency,
                price_as_of=price.as_of,
                source=price.source,
            )
        )
    # Cheapest first (USD and EUR compared one for one: close enough to order a short list).
    options.sort(key=lambda o: (european and not o.eu_hosted, o.cost_per_1000_requests, o.provider))
    return HostedRoute(first=bool(reasons), reasons=reasons, options=options, prices_as_of=table.as_of)
