"""The only module that imports Great Expectations: run a suite file on a pandas batch."""

from __future__ import annotations

import json
import threading
import warnings
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from gridflow.errors import ConfigError
from gridflow.validation.report import ExpectationFailure, ValidationReport

EXPECTATIONS_DIR = Path(__file__).resolve().parents[3] / "expectations"
# Validation on an ephemeral context is not thread-safe; Prefect's thread pool may run two at once.
_LOCK = threading.Lock()
_RESULT_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": 5}


def suite_path(name: str, directory: Path | None = None) -> Path:
    """Path of the suite file `expectations/<name>.json`."""
    return (directory or EXPECTATIONS_DIR) / f"{name}.json"


def load_suite_dict(name: str, directory: Path | None = None) -> dict[str, Any]:
    """The suite file as a dict, without the context-specific `id` keys GX would reject."""
    path = suite_path(name, directory)
    if not path.is_file():
        raise ConfigError(f"no expectation suite file {path}")
    raw = json.loads(path.read_text())
    raw.pop("id", None)
    for expectation in raw.get("expectations", []):
        expectation.pop("id", None)
    return raw


def validate_frame(frame: pd.DataFrame, suite_name: str, directory: Path | None = None) -> ValidationReport:
    """Run the suite file on the frame and return a plain report (never raises on failure)."""
    gx = _import_gx()
    suite_dict = load_suite_dict(suite_name, directory)
    with _LOCK:
        context = _context()
        suite = gx.ExpectationSuite(**suite_dict)
        batch = _batch_definition(context).get_batch(batch_parameters={"dataframe": frame})
        result = batch.validate(suite, result_format=_RESULT_FORMAT)
    failures = [_failure(r) for r in result.results if not r.success]
    return ValidationReport(
        suite=suite_name,
        success=bool(result.success),
        evaluated=len(result.results),
        rows=len(frame),
        failures=failures,
    )


def _import_gx():
    # GX 1.x imports the deprecated sre_* modules; their warnings say nothing about our data.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        import great_expectations as gx
    return gx


@cache
def _context():
    gx = _import_gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


@cache
def _batch_definition(context):
    source = context.data_sources.add_pandas("gridflow")
    asset = source.add_dataframe_asset("batch")
    return asset.add_batch_definition_whole_dataframe("whole")


def _failure(result) -> ExpectationFailure:
    config = result.expectation_config
    kwargs = dict(config.kwargs)
    details = result.result or {}
    sample = details.get("partial_unexpected_list") or []
    return ExpectationFailure(
        expectation=config.type,
        column=kwargs.get("column") or (",".join(kwargs["column_list"]) if "column_list" in kwargs else None),
        why=(config.meta or {}).get("why"),
        observed=details.get("observed_value"),
        unexpected_count=details.get("unexpected_count"),
        unexpected_percent=details.get("unexpected_percent"),
        sample=list(sample)[:5],
    )
