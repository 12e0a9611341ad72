"""Prediction request bodies (pure): the JSON forms `mlflow models serve` accepts, checked against a
model's input signature before a frame reaches the model."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import orjson
import pandas as pd

# MLflow signature type name -> pandas dtype the column is built with.
_DTYPES = {
    "double": "float64", "float": "float32", "long": "int64", "integer": "int32",
    "boolean": "bool", "string": "object", "datetime": "datetime64[ns]",
}
_FLOATS = {"double", "float"}
_INTEGERS = {"long", "integer"}
# Types that always fit a kind (bool is excluded from numbers: `type(True)` is bool, not int).
_EXACT_TYPES: dict[str, frozenset[type]] = {
    **dict.fromkeys(_FLOATS, frozenset({float, int, type(None)})), **dict.fromkeys(_INTEGERS, frozenset({int})),
    "boolean": frozenset({bool}), "string": frozenset({str}),
}


@dataclass
class RequestError(Exception):
    """A request the API refuses: the HTTP status and a JSON-able detail naming what is wrong."""

    status: int
    message: str
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    mistyped: dict[str, str] = field(default_factory=dict)

    def detail(self) -> dict[str, Any]:
        """The error body: the message, and the offending columns where there are any."""
        out: dict[str, Any] = {"error": self.message}
        for key in ("missing", "extra", "mistyped"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        return out

    def __str__(self) -> str:
        return self.message


def check_size(body: bytes, max_bytes: int) -> None:
    """413 when the body is larger than `max_bytes`."""
    if len(body) > max_bytes:
        raise RequestError(413, f"request body of {len(body)} bytes exceeds the limit of {max_bytes}")


def check_declared_size(content_length: str | None, max_bytes: int) -> None:
    """413 when a `Content-Length` header announces more than `max_bytes` (a bad header is ignored;
    the body read afterwards is checked by `check_size` anyway)."""
    if content_length is not None and content_length.strip().isdigit() and int(content_length) > max_bytes:
        raise RequestError(413, f"request body of {int(content_length)} bytes exceeds the limit of {max_bytes}")


def parse_records(body: bytes) -> list[dict[str, Any]]:
    """The rows of a `dataframe_split` or `dataframe_records` body as one dict per row."""
    form, content = _payload(body)
    if form == "dataframe_records":
        return _records(content)
    columns, data = _split_parts(content)
    return [dict(zip(columns, values, strict=True)) for values in data]


def _payload(body: bytes) -> tuple[str, Any]:
    try:
        # orjson: a 1,000-row body in about a seventh of the standard library's time.
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise RequestError(400, f"body is not JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise RequestError(400, "body must be a JSON object with `dataframe_split` or `dataframe_records`")
    formats = [key for key in ("dataframe_split", "dataframe_records") if key in payload]
    if len(formats) != 1:
        raise RequestError(400, "body needs exactly one of `dataframe_split` or `dataframe_records`")
    return formats[0], payload[formats[0]]


def to_frame(rows: list[dict[str, Any]], types: dict[str, str], max_rows: int) -> pd.DataFrame:
    """The rows as a frame in the signature's column order and dtypes: 413 over `max_rows` rows,
    422 naming missing, extra or mistyped columns."""
    if len(rows) > max_rows:
        raise RequestError(413, f"{len(rows)} rows exceed the limit of {max_rows} per request")
    if not rows:
        raise RequestError(422, "no rows to score")
    sent = list(dict.fromkeys(col for row in rows for col in row))
    missing = [col for col in types if any(col not in row for row in rows)]
    extra = [col for col in sent if col not in types]
    mistyped = {col: kind for col, kind in types.items()
                if col not in missing and not _all_fit([row[col] for row in rows], kind)}
    _refuse_bad_columns(missing, extra, mistyped)
    frame = pd.DataFrame.from_records(rows, columns=list(types))
    return frame.astype({col: _DTYPES.get(kind, "object") for col, kind in types.items()})


def _refuse_bad_columns(missing: list[str], extra: list[str], mistyped: dict[str, str]) -> None:
    if missing or extra or mistyped:
        parts = [f"{label} columns: {', '.join(cols)}"
                 for label, cols in (("missing", missing), ("extra", extra), ("mistyped", list(mistyped))) if cols]
        raise RequestError(422, "; ".join(parts), missing=missing, extra=extra, mistyped=mistyped)


def _records(records: Any) -> list[dict[str, Any]]:
    if not isinstance(records, list) or not all(isinstance(row, dict) for row in records):
        raise RequestError(400, "`dataframe_records` must be a list of objects")
    return records


def _split_parts(split: Any) -> tuple[list[str], list[list[Any]]]:
    if not isinstance(split, dict) or not isinstance(split.get("columns"), list) \
            or not isinstance(split.get("data"), list):
        raise RequestError(400, "`dataframe_split` must be an object with `columns` and `data` lists")
    columns = [str(col) for col in split["columns"]]
    if len(set(columns)) != len(columns):
        raise RequestError(422, "`dataframe_split` names a column twice")
    for number, values in enumerate(split["data"]):
        if not isinstance(values, list) or len(values) != len(columns):
            raise RequestError(422, f"row {number} of `dataframe_split` does not have {len(columns)} values")
    return columns, split["data"]


def _all_fit(values: list[Any], kind: str) -> bool:
    # JSON gives exact builtin types, so one set lookup per value settles the usual case (15,000
    # cells per 1,000-row request); anything else takes the full check of `_fits`.
    exact = _EXACT_TYPES.get(kind)
    if exact is not None and all(type(value) in exact for value in values):
        return True
    return all(_fits(value, kind) for value in values)


def _fits(value: Any, kind: str) -> bool:
    # bool is an int in Python, but a `true` in a numeric column is a client bug worth naming.
    if kind in _FLOATS:
        return value is None or (isinstance(value, int | float) and not isinstance(value, bool))
    if kind in _INTEGERS:
        return (isinstance(value, int) and not isinstance(value, bool)) or \
            (isinstance(value, float) and math.isfinite(value) and value.is_integer())
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    if kind == "datetime":
        return isinstance(value, str) and not pd.isna(pd.to_datetime(value, errors="coerce"))
    return True  # a type gridflow never logs (binary, arrays): the model's own check decides
