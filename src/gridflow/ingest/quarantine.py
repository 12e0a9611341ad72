"""Quarantine: set a rejected input aside, close its ledger row with why, and announce it."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from gridflow import events
from gridflow.config import get_settings
from gridflow.runtime import log
from gridflow.warehouse import ledger


def quarantine(engine: Engine, dataset: str, ledger_id: int, reason: str, details: dict[str, Any], *,
               name: str, path: str | Path | None = None, data: bytes | None = None, move: bool = False,
               rows_read: int | None = None, locator: str | None = None) -> Path:
    """Keep the input (`data`, or the file at `path`) as ``<quarantine>/<dataset>/<ledger id>-<name>``,
    mark ledger row `ledger_id` quarantined and emit DATA_QUARANTINED; returns where it is kept.

    `move=True` takes a file out of a drop folder so the next scan does not see it again; otherwise
    the operator's original stays in place (a file named on the command line).
    """
    if (path is None) == (data is None):
        raise ValueError("quarantine takes either the input's bytes or its path")
    folder = get_settings().quarantine_dir / dataset
    folder.mkdir(parents=True, exist_ok=True)
    kept = folder / f"{ledger_id}-{name}"
    if data is not None:
        kept.write_bytes(data)
    elif move:
        shutil.move(str(path), kept)
    else:
        shutil.copy2(path, kept)
    with engine.begin() as conn:
        ledger.finish_ingest(conn, ledger_id, "quarantined", rows_read=rows_read, reason=reason,
                             details={**details, "kept_at": str(kept)})
    where = locator or str(path if path is not None else name)
    payload_key = "file" if path is not None else "locator"
    events.emit(events.Event(
        event=events.DATA_QUARANTINED,
        resource=events.resource(events.dataset_resource(dataset)),
        payload={"ledger_id": ledger_id, payload_key: where, "reason": reason[:2000]},
    ))
    log().error("quarantined %s (ledger id %s): %s", where, ledger_id, reason)
    return kept
