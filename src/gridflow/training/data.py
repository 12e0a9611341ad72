"""The training data snapshot of a use case: read, fingerprinted and checked by its suite."""

from __future__ import annotations

from dataclasses import dataclass

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
    digest = f"{int(pd.util.hash_pandas_object(frame, index=False).sum()) & (2**64 - 1):016x}"
    source = f"{engine.url.render_as_string(hide_password=True)}#{use_case.dataset}"
    log().info("%s: %d rows from %s (digest %s)", use_case.name, len(frame), source, digest)
    return TrainingData(frame, digest, source)


def validate_training_data(use_case: UseCase, data: TrainingData) -> ValidationReport:
    """Run the use case's suite; a failure raises ValidationFailed before any training."""
    report = gx_adapter.validate_frame(use_case.validation_view(data.frame), use_case.suite)
    if not report.success:
        raise ValidationFailed(use_case.dataset, [fl.as_dict() for fl in report.failures])
    log().info(report.reason)
    return report
