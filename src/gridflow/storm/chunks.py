"""Splitting an alert area's feature rows into scoring chunks, and joining the chunks' scores.

The storm response fans the scoring of a large area out as one task per chunk (on threads or Dask
workers); these are the pure parts: where the chunks start and stop, and putting their
probabilities back in row order, so the joined scores are exactly what one `score_frame` call over
the whole area returns. Nothing here knows about task runners.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class ScoringChunk:
    """Rows [start, stop) of an area's feature frame: what one scoring task receives."""

    index: int
    count: int
    start: int
    stop: int
    features: pd.DataFrame


@dataclass(frozen=True)
class ChunkScores:
    """The probabilities of one chunk's rows, in row order, with the seconds its steps took."""

    index: int
    start: int
    probability: np.ndarray
    seconds: dict[str, float] = field(default_factory=dict)


def chunk_bounds(n: int, max_rows: int) -> list[tuple[int, int]]:
    """[start, stop) ranges covering `n` rows in the fewest chunks of at most `max_rows` rows;
    sizes differ by at most one row, so no worker gets a runt. No rows, no chunks."""
    if max_rows < 1:
        raise ValueError(f"max_rows must be positive, got {max_rows}")
    if n < 0:
        raise ValueError(f"n must not be negative, got {n}")
    count = math.ceil(n / max_rows)
    if count == 0:
        return []
    size, extra = divmod(n, count)
    bounds, start = [], 0
    for i in range(count):
        stop = start + size + (1 if i < extra else 0)
        bounds.append((start, stop))
        start = stop
    return bounds


def split_features(features: pd.DataFrame, max_rows: int) -> list[ScoringChunk]:
    """The feature frame cut into `ScoringChunk`s of at most `max_rows` rows, in row order."""
    bounds = chunk_bounds(len(features), max_rows)
    # Positional slices are views of the frame: splitting copies nothing until a chunk is shipped.
    return [ScoringChunk(i, len(bounds), start, stop, features.iloc[start:stop])
            for i, (start, stop) in enumerate(bounds)]


def join_scores(parts: Sequence[ChunkScores], n: int) -> np.ndarray:
    """The chunks' probabilities as one array of `n` rows in row order, whatever order the parts
    arrived in; raises if they do not tile [0, n) exactly (a lost or doubled chunk)."""
    ordered = sorted(parts, key=lambda part: part.start)
    position = 0
    for part in ordered:
        if part.start != position:
            raise ValueError(f"chunk {part.index} starts at row {part.start}, expected {position}: "
                             "a chunk's scores are missing or doubled")
        position += len(part.probability)
    if position != n:
        raise ValueError(f"the chunks' scores cover {position} rows, the area has {n}")
    if not ordered:
        return np.empty(0, dtype="float64")
    return np.concatenate([np.asarray(part.probability, dtype="float64") for part in ordered])
