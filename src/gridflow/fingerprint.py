"""Content fingerprints of task inputs that survive a round trip through pickle.

Prefect's input cache keys pickle their inputs; a DataFrame inside a dataclass, or one read back
from a persisted result, pickles to different bytes than the original, so a Retry would miss the
cache and redo finished work. Hashing content instead of bytes keeps the key stable.
"""

from __future__ import annotations

import dataclasses
import hashlib
import pickle
from typing import Any

import numpy as np
import pandas as pd


def fingerprint(value: Any) -> str:
    """A hex digest that depends only on the value's content."""
    digest = hashlib.sha256()
    _feed(digest, value)
    return digest.hexdigest()


def _feed(digest: Any, value: Any) -> None:
    custom = getattr(type(value), "__fingerprint__", None)
    if custom is not None:  # a type that knows a cheaper digest of its content (see ScoredArea)
        digest.update(b"custom" + type(value).__qualname__.encode())
        digest.update(custom(value).encode())
    elif isinstance(value, pd.DataFrame):
        digest.update(b"frame")
        digest.update(repr([(str(c), str(t)) for c, t in value.dtypes.items()]).encode())
        digest.update(pd.util.hash_pandas_object(value, index=True).to_numpy().tobytes())
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
