"""The training data snapshot of a use case: read, fingerprinted and checked by its suite."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields, is_dataclass
from typing import Any

import pandas as pd
from sqlalchemy.engine import Engine

from gridflow.errors import ValidationFailed
from gridflow.runtime import log
from gridflow.usecases.base import UseCase
from gridflow.validation import gx_adapter
from gridflow.validation.report import ValidationReport


@dataclass(frozen=True)
class TrainingData:
    """A snapshot of the training data with a content digest for lineage."""

    frame: pd.DataFrame
    digest: str
    source: str


def load_training_data(use_case: UseCase, engine: Engine) -> TrainingData:
    """Read the use case's dataset from the warehouse and fingerprint it."""
    with engine.connect() as conn:
        frame = use_case.load_dataset(conn)
    digest = dataset_digest(frame)
    source = f"{engine.url.render_as_string(hide_password=True)}#{use_case.dataset}"
    log().info("%s: %d rows from %s (digest %s)", use_case.name, len(frame), source, digest)
    return TrainingData(frame, digest, source)


def dataset_digest(frame: pd.DataFrame) -> str:
    """Content digest of a dataset: its rows and every frame riding in its `attrs` (the load
    forecast's weather), so a change of weather history changes the lineage too."""
    parts = [_frame_hash(frame)]
    for key in sorted(frame.attrs):
        parts += [f"{key}.{name}:{_frame_hash(part)}" for name, part in _frames_in(frame.attrs[key])]
    if len(parts) == 1:
        return parts[0]  # unchanged for datasets without attrs: digests of earlier runs still compare
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def _frame_hash(frame: pd.DataFrame) -> str:
    return f"{int(pd.util.hash_pandas_object(frame, index=False).sum()) & (2**64 - 1):016x}"


def _frames_in(value: Any) -> list[tuple[str, pd.DataFrame]]:
    if isinstance(value, pd.DataFrame):
        return [("", value)]
    if is_dataclass(value):
        return [(fd.name, getattr(value, fd.name)) for fd in fields(value)
                if isinstance(getattr(value, fd.name), pd.DataFrame)]
    return []


def validate_training_data(use_case: UseCase, data: TrainingData) -> ValidationReport:
    """Run the use case's suite; a failure raises ValidationFailed before any training."""
    report = gx_adapter.validate_frame(use_case.validation_view(data.frame), use_case.suite)
    if not report.success:
        raise ValidationFailed(use_case.dataset, [fl.as_dict() for fl in report.failures])
    log().info(report.reason)
    return report
