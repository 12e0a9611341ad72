"""The value types every source shares: one parse result, one outcome per input, one report per run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

# Outcomes of one input (file, document, API chunk); "not-run" is a chunk held back on purpose.
STATUSES = ("loaded", "skipped", "quarantined", "failed", "not-run")


@dataclass(frozen=True)
class Parsed:
    """A parsed input: the canonical frame, notes for an operator, data rows read, detected format."""

    frame: pd.DataFrame
    issues: list[str] = field(default_factory=list)
    rows_read: int = 0
    format: str = ""


@dataclass(frozen=True)
class Outcome:
    """What happened to one input. `facts` holds the source's own columns (doc id, pages, watermark...)."""

    item: str  # file path, document id or chunk label
    status: str
    rows_read: int = 0
    rows_written: int = 0
    ledger_id: int | None = None
    reason: str = ""
    issues: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class IngestReport:
    """One ingestion run of any source: its outcomes, its headline and its artifact table.

    `headline` is the line the CLI prints; `totals` holds source-level counts (`listed`, `pages`);
    `rows` are the artifact table rows, rendered by the source when the run ends.
    """

    source: str
    subject: str  # the file, folder, report or feed this run ingested
    outcomes: list[Outcome]
    headline: str
    artifact_key: str
    description: str
    rows: list[dict[str, Any]]
    totals: dict[str, Any] = field(default_factory=dict)

    def count(self, status: str) -> int:
        """Inputs that ended with `status`."""
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def rows_read(self) -> int:
        """Rows (or items) read by every input."""
        return sum(o.rows_read for o in self.outcomes)

    @property
    def rows_written(self) -> int:
        """Rows inserted or replaced by every input."""
        return sum(o.rows_written for o in self.outcomes)

    @property
    def status(self) -> str:
        """The status every input ended with (a one-file run's status), else ``mixed``."""
        statuses = {o.status for o in self.outcomes}
        return statuses.pop() if len(statuses) == 1 else "mixed"

    @property
    def reason(self) -> str:
        """The reason of a one-input run; the first non-empty reason otherwise."""
        return next((o.reason for o in self.outcomes if o.reason), "")

    def describe(self) -> str:
        """The one line the CLI prints for this run."""
        return self.headline

    def table_rows(self) -> list[dict[str, Any]]:
        """The rows of this run's table artifact."""
        return self.rows


def counter_line(pairs: Sequence[tuple[str, Any]]) -> str:
    """``name: value, ...`` with underscores as spaces, empty values left out."""
    return ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in pairs if v not in ("", None))
