"""The Prefect result serializer that persists large frames by reference (see gridflow.frame_store).

Registered under the type `gridflow-frame`: a persisted result names it, and any process that
imports this module (every flow that uses it does) reads the result back, e.g. on an operator's Retry.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from prefect.serializers import Serializer
from prefect.settings import get_current_settings
from pydantic import Field

from gridflow.frame_store import FrameStore

FRAMES_FOLDER = "frames"


class FrameResultSerializer(Serializer):
    """Pickle with every large DataFrame stored as a content-addressed parquet file beside the results."""

    type: str = Field(default="gridflow-frame", frozen=True)

    def dumps(self, obj: Any) -> bytes:
        """The result's pickle, its large frames written to the frame store (base64: the record is JSON)."""
        return base64.encodebytes(frame_store().dumps(obj))

    def loads(self, blob: bytes) -> Any:
        """The result back, its frames read from the frame store."""
        return frame_store().loads(base64.decodebytes(blob))


def frame_store() -> FrameStore:
    """The frame store in the folder of Prefect's local results (shared like the results are)."""
    return FrameStore(Path(get_current_settings().results.local_storage_path).expanduser() / FRAMES_FOLDER)
