"""Which meters make up a feeder: explicit meter ids or shell-style patterns (`SGSC-*`)."""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase

from gridflow.errors import ConfigError


def feeder_of(meters: Iterable[str], feeders: dict[str, list[str]]) -> dict[str, str]:
    """Meter id -> its feeder, for the meters some feeder names; a meter two feeders claim is an error."""
    out: dict[str, str] = {}
    for meter in meters:
        owners = [name for name, members in feeders.items() if any(fnmatchcase(meter, p) for p in members)]
        if len(owners) > 1:
            raise ConfigError(f"meter {meter!r} belongs to several feeders: {', '.join(owners)}")
        if owners:
            out[meter] = owners[0]
    return out


def like_patterns(members: list[str]) -> list[str]:
    """SQL LIKE patterns of a feeder's members (`*` -> `%`, `?` -> `_`): a pre-filter for the read,
    which may over-match an id containing `_` or `%`; `feeder_of` then decides exactly."""
    return [m.replace("*", "%").replace("?", "_") for m in members]
