"""Content fingerprints of task inputs that survive a round trip through pickle.

Prefect's input cache keys pickle their inputs; a DataFrame inside a dataclass, or one read back
from a persisted result, pickles to different bytes than the original, so a Retry would miss the
cache and redo finished work. Hashing content instead of bytes keeps the key stable.

Hashing a million-row frame for every task that takes it costs more than the task's own work, so a
frame persisted as a task result (see gridflow.frame_store) has its digest remembered: the frames
passed between tasks are values, never changed in place, and the next cache key reuses the digest.
"""

from __future__ import annotations

import dataclasses
import hashlib
import pickle
import threading
import weakref
from typing import Any

import numpy as np
import pandas as pd


def fingerprint(value: Any) -> str:
    """A hex digest that depends only on the value's content."""
    digest = hashlib.sha256()
    _feed(digest, value)
    return digest.hexdigest()


# id(frame) -> (weak reference, shape and column names when remembered, digest)
_REMEMBERED: dict[int, tuple[weakref.ref, tuple[Any, ...], str]] = {}
_LOCK = threading.RLock()  # re-entrant: a weakref callback may run inside the lock, during a collection


def frame_digest(frame: pd.DataFrame) -> str:
    """Content digest of a frame (dtypes, index and values); a remembered digest when there is one."""
    known = _REMEMBERED.get(id(frame))
    if known is not None and known[0]() is frame and known[1] == _outline(frame):
        return known[2]
    digest = hashlib.sha256(b"frame")
    digest.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    return digest.hexdigest()


def remember_frame_digest(frame: pd.DataFrame, digest: str) -> None:
    """Reuse `digest` for this very frame object while it lives (a persisted task result)."""
    key = id(frame)

    def forget(_ref: weakref.ref, key: int = key) -> None:
        with _LOCK:
            if _REMEMBERED.get(key, (None,))[0] is _ref:
                del _REMEMBERED[key]

    with _LOCK:
        _REMEMBERED[key] = (weakref.ref(frame, forget), _outline(frame), digest)


def _outline(frame: pd.DataFrame) -> tuple[Any, ...]:
    # A cheap guard: a column added or rows dropped since the digest was remembered forget it.
    return frame.shape, tuple(map(str, frame.columns))


def _feed(digest: Any, value: Any) -> None:
    custom = getattr(type(value), "__fingerprint__", None)
    if custom is not None:  # a type that knows a cheaper digest of its content (see ScoredArea)
        digest.update(b"custom" + type(value).__qualname__.encode())
        digest.update(custom(value).encode())
    elif isinstance(value, pd.DataFrame):
        digest.update(b"frame" + frame_digest(value).encode())
    elif isinstance(value, pd.Series):
        digest.update(b"series" + str(value.dtype).encode() + str(value.name).encode())
        digest.update(pd.util.hash_pandas_object(value, index=True).to_numpy().tobytes())
    elif isinstance(value, np.ndarray):
        digest.update(b"array" + str(value.dtype).encode() + repr(value.shape).encode())
        digest.update(np.ascontiguousarray(value).tobytes())
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        digest.update(b"dc" + type(value).__qualname__.encode())
        for item in dataclasses.fields(value):
            digest.update(item.name.encode())
            _feed(digest, getattr(value, item.name))
    elif isinstance(value, dict):
        digest.update(b"dict")
        for key in sorted(value, key=repr):
            digest.update(repr(key).encode())
            _feed(digest, value[key])
    elif isinstance(value, list | tuple):
        digest.update(b"seq")
        for item in value:
            _feed(digest, item)
    elif value is None or isinstance(value, str | int | float | bool):
        digest.update(repr(value).encode())
    elif hasattr(value, "get_booster"):  # xgboost's scikit-learn wrappers: the trees are the content
        digest.update(b"xgb" + bytes(value.get_booster().save_raw("ubj")))
    else:
        digest.update(pickle.dumps(value, protocol=5))
