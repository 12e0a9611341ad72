"""The vectorised text pieces of the binary COPY are byte for byte the per-value ones."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gridflow.warehouse import pg_copy


@settings(max_examples=200, deadline=None)
@given(
    uniques=st.lists(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12),
                     min_size=1, max_size=60),
    picks=st.lists(st.integers(min_value=-1, max_value=10_000), min_size=1, max_size=300),
)
def test_utf8_pieces_match_the_per_value_encoding(uniques, picks):
    # Codes point into `uniques` (-1 is NULL), repeated and out of order as a factorized column's are.
    codes = np.array([p if p < 0 else p % len(uniques) for p in picks], dtype=np.int64)
    slow = pg_copy._coded_pieces(codes, [pg_copy._value_piece(u.encode("utf-8")) for u in uniques])
    fast = pg_copy._utf8_coded_pieces(codes, uniques)
    # Framed by a fixed-width column on each side, as in a real COPY tuple.
    edge = pg_copy._Fixed(np.full((len(codes), 3), 7, dtype=np.uint8))
    assert pg_copy._copy_chunk([edge, fast, edge]) == pg_copy._copy_chunk([edge, slow, edge])
    assert type(fast) is type(slow)


def test_equal_width_ids_stay_one_matrix():
    uniques = [f"TX-{i:07d}" for i in range(5_000)]
    codes = np.arange(5_000, dtype=np.int64)[::-1].copy()
    fast = pg_copy._utf8_coded_pieces(codes, uniques)
    assert isinstance(fast, pg_copy._Fixed)
    assert fast.matrix.shape == (5_000, 4 + 10)
    assert fast.matrix[0].tobytes() == (10).to_bytes(4, "big") + b"TX-0004999"
