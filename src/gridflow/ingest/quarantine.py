"""Quarantine: set a rejected input aside, close its ledger row with why, and announce it.

Every step can be repeated by a retried task without harm: the kept copy is named by its content,
so copying it again is a no-op; a drop-folder file is removed only after its ledger row says where
its copy is, so a retry either finds the file still there or finds that row
(`moved_earlier`); the announcement has an id made from the content and the run, so the Prefect
server stores it once.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from gridflow import events
from gridflow.config import get_settings
from gridflow.errors import ParseError
from gridflow.provenance import file_sha256
from gridflow.runtime import log
from gridflow.warehouse import ledger
from gridflow.warehouse.tables import ingest_ledger

# Characters of the content digest in a kept file's name: enough to never collide in one dataset.
KEY_CHARS = 16
_EVENT_NAMESPACE = uuid.UUID("6f1f5f3e-4a51-4c1e-9d0b-8f0c2a7e1d14")


def kept_path(dataset: str, sha256: str, name: str) -> Path:
    """Where the input with content digest `sha256` and file name `name` is kept."""
    return get_settings().quarantine_dir / dataset / f"{sha256[:KEY_CHARS]}-{Path(name).name}"


def keep_copy(kept: Path, sha256: str, *, path: str | Path | None = None, data: bytes | None = None) -> Path:
    """Copy the file at `path` (or write `data`) to `kept`, whole or not at all; a no-op when `kept`
    already holds content `sha256` (a retried copy)."""
    if (path is None) == (data is None):
        raise ValueError("keep_copy takes either the input's bytes or its path")
    if kept.is_file() and file_sha256(kept) == sha256:
        return kept
    kept.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the target and renamed: a crash mid-copy never leaves half a file under the key.
    fd, temp = tempfile.mkstemp(dir=kept.parent, prefix=".part-", suffix=kept.suffix)
    try:
        with os.fdopen(fd, "wb") as out:
            if data is not None:
                out.write(data)
            elif path is not None:
                with open(path, "rb") as source:
                    shutil.copyfileobj(source, out, 1 << 20)
        if path is not None:
            shutil.copystat(path, temp)
        else:
            os.chmod(temp, 0o644)  # mkstemp's 0600 would hide it from the operator's other accounts
        os.replace(temp, kept)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return kept


def quarantine(engine: Engine, dataset: str, ledger_id: int, reason: str, details: dict[str, Any], *,
               name: str, path: str | Path | None = None, data: bytes | None = None, move: bool = False,
               rows_read: int | None = None, locator: str | None = None, sha256: str | None = None) -> Path:
    """Keep the input (`data`, or the file at `path`) as ``<quarantine>/<dataset>/<digest>-<name>``,
    mark ledger row `ledger_id` quarantined and emit DATA_QUARANTINED; returns where it is kept.

    `move=True` takes a file out of a drop folder so the next scan does not see it again; otherwise
    the operator's original stays in place (a file named on the command line). `sha256` is the
    content digest when the caller has it; a moved file already gone is fine when its copy holds it.
    """
    if (path is None) == (data is None):
        raise ValueError("quarantine takes either the input's bytes or its path")
    source = None if path is None else Path(path)
    if sha256 is None:
        sha256 = hashlib.sha256(data).hexdigest() if data is not None else _digest_of(source)
    kept = kept_path(dataset, sha256, name)
    if source is not None and not source.exists():
        # Moved by an earlier attempt: only its copy can stand in for it.
        if not (move and kept.is_file() and file_sha256(kept) == sha256):
            raise ParseError(str(source), "no such file")
    else:
        keep_copy(kept, sha256, path=source, data=data)
    run = _flow_run_id()
    recorded = {**details, "kept_at": str(kept)}
    if move and source is not None:
        recorded |= {"moved_from": str(source.resolve()), "flow_run_id": run}
    with engine.begin() as conn:
        ledger.finish_ingest(conn, ledger_id, "quarantined", rows_read=rows_read, reason=reason,
                             details=recorded)
    if move and source is not None:
        # Only now: until the ledger row says where the copy is, the drop folder keeps the original.
        source.unlink(missing_ok=True)
    where = locator or str(path if path is not None else name)
    payload_key = "file" if path is not None else "locator"
    events.emit(events.Event(
        event=events.DATA_QUARANTINED,
        resource=events.resource(events.dataset_resource(dataset)),
        payload={"ledger_id": ledger_id, payload_key: where, "reason": reason[:2000]},
        # One event per input and run: the server drops the copy a retried task sends.
        event_id=uuid.uuid5(_EVENT_NAMESPACE, f"{dataset}/{sha256}/{name}/{run or ledger_id}"),
    ))
    log().error("quarantined %s (ledger id %s): %s", where, ledger_id, reason)
    return kept


@dataclass(frozen=True)
class Moved:
    """A drop-folder file an earlier attempt of this run already moved to quarantine."""

    ledger_id: int
    kept_at: str
    reason: str
    rows_read: int | None


def moved_earlier(engine: Engine, dataset: str, path: str | Path) -> Moved | None:
    """The quarantine of the file that was at `path`, by an earlier attempt of the current flow run
    (any run, outside one), whose kept copy holds the content it recorded; None otherwise."""
    located = str(Path(path).resolve())
    run = _flow_run_id()
    t = ingest_ledger.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(t.id, t.content_sha256, t.reason, t.rows_read, t.details)
            .where(t.dataset == dataset, t.locator == located, t.status == "quarantined")
            .order_by(t.id.desc())
        ).all()
    for row in rows:
        details = row.details if isinstance(row.details, dict) else {}
        if details.get("moved_from") != located or (run is not None and details.get("flow_run_id") != run):
            continue
        kept = Path(str(details.get("kept_at", "")))
        if kept.is_file() and file_sha256(kept) == row.content_sha256:
            return Moved(int(row.id), str(kept), row.reason or "", row.rows_read)
    return None


def _digest_of(path: Path | None) -> str:
    if path is None:
        raise ValueError("quarantine takes either the input's bytes or its path")
    try:
        return file_sha256(path)
    except FileNotFoundError as exc:
        raise ParseError(str(path), "no such file") from exc


def _flow_run_id() -> str | None:
    # The run whose retries must find each other's moves; None outside any flow run.
    from gridflow.run_attempts import current_attempt

    attempt = current_attempt()
    return None if attempt is None else attempt.flow_run_id
