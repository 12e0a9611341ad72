"""The plant model's pure parts: content groups, halves that keep groups whole, the vacuum offsets
(no training hour sees its own residual), the metrics and Dietterich's 5x2cv t-test."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridflow.plants import output_model as om
from gridflow.plants.vacuum_model import PlantOutputModel, make_estimator, vacuum_table

SMALL = {"n_estimators": 40, "learning_rate": 0.2, "max_bin": 256, "n_jobs": 1}


def _frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    at = rng.uniform(2, 37, n)
    vacuum = rng.choice(np.round(np.linspace(25, 81, 60), 2), n)  # coarse readings, as in the source
    frame = pd.DataFrame({"ambient_temp_c": at, "exhaust_vacuum_cmhg": vacuum,
                          "ambient_pressure_mbar": rng.uniform(993, 1033, n), "relative_humidity_pct": rng.uniform(25, 100, n)})
    frame[om.TARGET] = 500 - 2 * at - 0.2 * vacuum + rng.normal(0, 1, n)
    return frame


def test_group_of_strips_the_repeat_number():
    keys = pd.Series(["ab12-1", "ab12-2", "cd34-1"])
    assert om.group_of(keys).tolist() == ["ab12", "ab12", "cd34"]


def test_halves_keep_groups_whole_and_split_near_half():
    groups = pd.Series([f"g{i // 2}" if i < 40 else f"g{i}" for i in range(1000)])
    for seed in range(5):
        side = om.halves(groups, seed)
        assert abs(side.sum() - 500) <= 1
        assert pd.DataFrame({"g": groups, "s": side}).groupby("g")["s"].nunique().max() == 1
    assert not (om.halves(groups, 0) == om.halves(groups, 1)).all()  # each repeat halves anew


def test_output_metrics():
    metrics = om.output_metrics(np.array([450.0, 460.0, 470.0]), np.array([452.0, 457.0, 470.0]))
    assert metrics["rmse"] == pytest.approx(np.sqrt(13 / 3))
    assert metrics["mae"] == pytest.approx(5 / 3)
    assert metrics["max_abs_error"] == 3.0
    assert metrics["r2"] == pytest.approx(1 - 13 / 200)


def test_the_5x2cv_t_test_uses_the_first_fold_over_the_per_repeat_variance():
    model = np.array([3.0, 3.2, 3.1, 3.1, 3.0, 3.3, 3.2, 3.0, 3.1, 3.2])
    naive = np.array([4.5, 4.6, 4.5, 4.6, 4.6, 4.5, 4.5, 4.6, 4.6, 4.5])
    diff = (model - naive).reshape(5, 2)
    s2 = ((diff - diff.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
    t, p = om.paired_5x2_t(model, naive)
    assert t == pytest.approx(diff[0, 0] / np.sqrt(s2.mean()))
    assert t < 0 and 0 < p < 0.001


def test_a_training_hour_s_offset_leaves_out_its_own_residual_and_its_twins():
    vacuum = np.array([41.17, 41.17, 41.17, 41.17, 50.0])
    residual = np.array([1.0, 2.0, 2.0, 4.0, 3.0])
    groups = np.array([0, 1, 1, 2, 3])  # rows 1 and 2 are identical rows
    (values, sums, counts), own = vacuum_table(vacuum, residual, groups, smoothing=1.0)
    assert values.tolist() == [41.17, 50.0] and sums.tolist() == [9.0, 3.0] and counts.tolist() == [4, 1]
    # (sum of the others at the reading) / (their count + smoothing)
    assert own.tolist() == pytest.approx([8 / 4, 5 / 3, 5 / 3, 5 / 4, 0.0])


def test_the_fitted_model_looks_up_offsets_by_exact_reading():
    frame = _frame(400)
    model = PlantOutputModel(params=SMALL, vacuum_smoothing=5.0, vacuum_folds=3).fit(frame[om.INPUTS], frame[om.TARGET])
    assert len(model.vacuum_values_) == frame["exhaust_vacuum_cmhg"].nunique()
    assert model.vacuum_counts_.sum() == 400
    seen = model.vacuum_values_[0]
    assert model.offsets(np.array([seen]))[0] == pytest.approx(model.vacuum_sums_[0] / (model.vacuum_counts_[0] + 5.0))
    assert model.offsets(np.array([99.99]))[0] == 0.0  # a reading never seen: no offset
    predicted = model.predict(frame[om.INPUTS])
    assert predicted.shape == (400,) and np.isfinite(predicted).all()


def test_without_vacuum_folds_the_model_is_a_plain_booster():
    frame = _frame(300)
    model = PlantOutputModel(params=SMALL, vacuum_folds=0).fit(frame[om.INPUTS], frame[om.TARGET])
    assert len(model.vacuum_values_) == 0
    assert (model.offsets(frame["exhaust_vacuum_cmhg"].to_numpy()) == 0).all()


def test_make_estimator_splits_booster_and_offset_settings():
    model = make_estimator({"n_estimators": 10, "vacuum_smoothing": 2.0, "vacuum_folds": 0})
    assert model.vacuum_smoothing == 2.0 and model.vacuum_folds == 0
    assert model.params["n_estimators"] == 10 and "vacuum_folds" not in model.params
