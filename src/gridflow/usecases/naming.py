"""Registered-model names: a use case, or a use case for one zone (`load_forecast.PJME`).

The zone is a dimension of the name, not a new use case: `load_forecast.PJME` and
`load_forecast.DOM` share the code and the settings of `load_forecast` and each have their own
registered model, champion, gate, audit rows and drift checks.
"""

from __future__ import annotations

import re

from gridflow.errors import UnknownUseCaseError

ZONE_SEPARATOR = "."
# A zone as PJM and ERCOT spell them (PJME, DOM, COAST, FAR_WEST, LZ_HOUSTON); no dots, no spaces.
_ZONE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]*")


def split_model_name(name: str) -> tuple[str, str | None]:
    """(use case, zone) of a registered-model name; the zone is None for a use-case-wide model."""
    base, separator, zone = name.partition(ZONE_SEPARATOR)
    if not separator:
        return name, None
    if not _ZONE.fullmatch(zone):
        raise UnknownUseCaseError(f"model {name!r}: {zone!r} is not a zone name (letters, digits, _ and -)")
    return base, zone


def zone_model_name(use_case: str, zone: str) -> str:
    """The registered-model name of `use_case` trained for `zone` alone."""
    name = f"{use_case}{ZONE_SEPARATOR}{zone}"
    split_model_name(name)  # refuses a zone that would not round-trip
    return name


def slug(name: str) -> str:
    """`name` as a Prefect artifact key or deployment-name part: lower case, dashes only."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
