"""Large frames in task results by reference: content-addressed parquet files plus a small pickle.

Pickling a million-row frame into a persisted task result (pickle, then base64 inside a JSON
record) costs more than the tasks that pass it on. Here every large frame anywhere in a result
(a dataclass field, a list, another frame's `attrs`) is written once as `<digest>.parquet` and
the result pickles only its digest; reading the result back reads the file. The digest is the
frame's content fingerprint, remembered for the frame object so cache keys do not hash it again.
"""

from __future__ import annotations

import io
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

import cloudpickle
import pandas as pd

from gridflow.errors import FrameMissing
from gridflow.fingerprint import frame_digest, remember_frame_digest

# Below this a frame stays inside the pickle: one file per small frame costs more than it saves.
MIN_BYTES = 1 << 20
_TAG = "gridflow-frame/1"


class FrameStore:
    """A folder of parquet files named by the digest of the frame they hold."""

    def __init__(self, root: Path, min_bytes: int = MIN_BYTES) -> None:
        self.root = Path(root)
        self.min_bytes = min_bytes

    def path(self, digest: str) -> Path:
        """Where the frame with this digest is stored."""
        return self.root / digest[:2] / f"{digest}.parquet"

    def put(self, frame: pd.DataFrame) -> str:
        """Store the frame (once per content) and return its digest."""
        digest = frame_digest(frame)
        target = self.path(digest)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            bare = frame.copy(deep=False)
            bare.attrs = {}  # travel in the pickle: they may hold frames and other objects
            # Written aside, then renamed: a reader never sees half a file, two writers agree.
            handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".part")
            os.close(handle)
            try:
                bare.to_parquet(temporary, engine="pyarrow", compression="lz4")
                os.replace(temporary, target)
            finally:
                Path(temporary).unlink(missing_ok=True)
        remember_frame_digest(frame, digest)
        return digest

    def get(self, digest: str) -> pd.DataFrame:
        """The stored frame with this digest; FrameMissing when its file is gone."""
        target = self.path(digest)
        try:
            frame = pd.read_parquet(target, engine="pyarrow")
        except FileNotFoundError as exc:
            raise FrameMissing(digest, str(target)) from exc
        remember_frame_digest(frame, digest)
        return frame

    def by_reference(self, frame: pd.DataFrame) -> bool:
        """Large enough to store apart, and of a shape parquet gives back exactly."""
        return int(frame.memory_usage(index=True, deep=False).sum()) >= self.min_bytes and round_trips(frame)

    def dumps(self, value: Any) -> bytes:
        """Pickle `value` with its large frames stored as files and referenced by digest."""
        buffer = io.BytesIO()
        _ReferencingPickler(buffer, self).dump(value)
        return buffer.getvalue()

    def loads(self, blob: bytes) -> Any:
        """The value `dumps` pickled, its frames read back from their files."""
        return _ResolvingUnpickler(io.BytesIO(blob), self).load()


def round_trips(frame: pd.DataFrame) -> bool:
    """True when parquet gives the frame back with the same columns, dtypes and index."""
    names = list(frame.columns)
    if not all(isinstance(name, str) for name in names) or len(set(names)) != len(names):
        return False
    index = frame.index
    if not isinstance(index, pd.RangeIndex) and (isinstance(index, pd.MultiIndex) or not _plain(index.dtype)):
        return False
    if isinstance(index, pd.DatetimeIndex) and index.freq is not None:
        return False  # parquet drops the frequency
    return all(_plain(dtype) for dtype in frame.dtypes)


def _plain(dtype: Any) -> bool:
    # Numbers, booleans, timestamps (with or without zone) and strings: types parquet keeps exactly.
    if isinstance(dtype, pd.StringDtype):
        return True
    if isinstance(dtype, pd.DatetimeTZDtype):
        return True
    return getattr(dtype, "kind", "O") in "biufM" and not isinstance(dtype, pd.ArrowDtype | pd.SparseDtype)


class _ReferencingPickler(cloudpickle.Pickler):
    def __init__(self, file: io.BytesIO, store: FrameStore) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._store = store

    def persistent_id(self, obj: Any) -> Any:
        if type(obj) is pd.DataFrame and self._store.by_reference(obj):
            # The attrs are pickled with the reference, so frames inside them are referenced too.
            return (_TAG, self._store.put(obj), dict(obj.attrs))
        return None


class _ResolvingUnpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, store: FrameStore) -> None:
        super().__init__(file)
        self._store = store

    def persistent_load(self, pid: Any) -> Any:
        if not (isinstance(pid, tuple) and len(pid) == 3 and pid[0] == _TAG):
            raise pickle.UnpicklingError(f"unknown reference in a gridflow result: {pid!r:.80}")
        frame = self._store.get(pid[1])
        frame.attrs = pid[2]
        return frame
