"""Validation outcome as a plain value: what passed, what failed and why, free of GX types."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ExpectationFailure:
    """One failed expectation with the figures an operator needs to judge it."""

    expectation: str
    column: str | None
    why: str | None
    observed: Any
    unexpected_count: int | None
    unexpected_percent: float | None
    sample: list[Any] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe form for the ledger, MLflow and artifacts."""
        return {
            "expectation": self.expectation,
            "column": self.column,
            "why": self.why,
            "observed": _jsonable(self.observed),
            "unexpected_count": self.unexpected_count,
            "unexpected_percent": self.unexpected_percent,
            "sample": [_jsonable(v) for v in self.sample],
        }

    def describe(self) -> str:
        """One line: which expectation failed on which column, with the observed figure."""
        where = f" on {self.column}" if self.column else ""
        figures = []
        if self.unexpected_count is not None:
            pct = f" ({self.unexpected_percent:.3g} %)" if self.unexpected_percent is not None else ""
            figures.append(f"{self.unexpected_count} unexpected{pct}")
        if self.observed is not None:
            figures.append(f"observed {_jsonable(self.observed)}")
        if self.sample:
            figures.append(f"e.g. {[_jsonable(v) for v in self.sample[:3]]}")
        tail = f": {', '.join(figures)}" if figures else ""
        return f"{self.expectation}{where}{tail}"


@dataclass(frozen=True)
class ValidationReport:
    """The result of running one suite on one batch."""

    suite: str
    success: bool
    evaluated: int
    rows: int
    failures: list[ExpectationFailure]

    @property
    def reason(self) -> str:
        """Human-readable verdict, one failure per line when it failed."""
        if self.success:
            return f"suite {self.suite!r}: all {self.evaluated} expectations passed on {self.rows} rows"
        lines = [f"suite {self.suite!r}: {len(self.failures)} of {self.evaluated} expectations failed"]
        lines += [f"- {fail.describe()}" for fail in self.failures]
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "suite": self.suite,
            "success": self.success,
            "evaluated": self.evaluated,
            "rows": self.rows,
            "failures": [fail.as_dict() for fail in self.failures],
        }


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)
