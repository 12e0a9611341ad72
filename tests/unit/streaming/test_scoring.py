"""Scoring: the model sees its training features (TDCG derived), one version scores the batch, and
the threshold is inclusive (the index rises as a unit deteriorates)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from gridflow.serving.holder import Served
from gridflow.streaming.messages import Reading
from gridflow.streaming.scoring import ModelMismatch, model_inputs, score_readings
from gridflow.transformers.health_model import FEATURE_COLUMNS, MEASURED

NOW = datetime(2024, 5, 1, tzinfo=UTC)


class Recorder:
    """A model answering the hydrogen value, remembering the frames it was given."""

    def __init__(self) -> None:
        self.frames = []

    def predict(self, frame):
        self.frames.append(frame)
        return frame["hydrogen_ppm"].to_numpy()


def reading(rid: str, hydrogen: float) -> Reading:
    values = {name: 1.0 for name in MEASURED} | {"hydrogen_ppm": hydrogen}
    return Reading(rid, f"A-{rid}", None, values)


def test_inputs_are_the_training_features_with_tdcg():
    frame = model_inputs([reading("r1", 100.0)])
    assert list(frame.columns) == FEATURE_COLUMNS
    # TDCG = H2 + CH4 + C2H6 + C2H4 + C2H2 + CO
    assert frame.loc[0, "tdcg_ppm"] == 100.0 + 5 * 1.0
    assert frame.dtypes.unique().tolist() == [np.dtype("float64")]


def test_the_signature_order_is_followed_and_unknown_inputs_refused():
    model = Recorder()
    served = Served("transformer_health", "7", model, {"tdcg_ppm": "double", "hydrogen_ppm": "double"})
    score_readings(served, [reading("r1", 3.0)], 50.0, NOW)
    assert list(model.frames[0].columns) == ["tdcg_ppm", "hydrogen_ppm"]
    with pytest.raises(ModelMismatch, match="life_expectation"):
        model_inputs([reading("r1", 3.0)], [*FEATURE_COLUMNS, "life_expectation"])


def test_scores_carry_the_version_and_degraded_is_at_or_above_the_threshold():
    served = Served("transformer_health", "7", Recorder())
    scores = score_readings(served, [reading("low", 49.99), reading("at", 50.0), reading("high", 80.0)], 50.0, NOW)
    assert [(s.reading_id, s.health_index, s.degraded) for s in scores] == [
        ("low", 49.99, False), ("at", 50.0, True), ("high", 80.0, True)]
    assert {(s.model_name, s.model_version, s.threshold, s.scored_at_utc) for s in scores} == {
        ("transformer_health", "7", 50.0, NOW)}
    assert score_readings(served, [], 50.0, NOW) == []


def test_a_broken_model_answer_is_an_error_not_a_score():
    class Nan:
        def predict(self, frame):
            return np.full(len(frame), np.nan)

    class Short:
        def predict(self, frame):
            return np.zeros(len(frame) - 1)

    with pytest.raises(ModelMismatch, match="non-finite"):
        score_readings(Served("m", "1", Nan()), [reading("r", 1.0)], 50.0, NOW)
    with pytest.raises(ModelMismatch, match="answered 1 values for 2"):
        score_readings(Served("m", "1", Short()), [reading("a", 1.0), reading("b", 2.0)], 50.0, NOW)
