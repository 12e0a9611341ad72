"""Metrics, holdout and the repeated-K-fold interval of the transformer health model."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from gridflow.transformers.health_model import cv_interval, health_metrics, in_holdout, make_estimator


def test_attention_metrics_cut_at_or_above_the_threshold():
    y = np.array([10.0, 50.0, 60.0, 20.0])
    p = np.array([55.0, 49.0, 70.0, 20.0])
    m = health_metrics(y, p, threshold=50.0)
    # actual attention: 50, 60; flagged: 55, 70 -> one hit of two each way.
    assert (m["attention_recall"], m["attention_precision"], m["attention_f1"]) == (0.5, 0.5, 0.5)
    assert m["mae"] == pytest.approx((45 + 1 + 10 + 0) / 4)
    assert m["attention_share"] == 0.5


def test_perfect_predictions_score_perfectly():
    y = np.array([13.4, 38.5, 60.0])
    m = health_metrics(y, y, 50.0)
    assert m["mae"] == 0 and m["r2"] == 1.0 and m["attention_recall"] == 1.0


def test_holdout_is_stable_per_reading_and_near_its_share():
    ids = pd.Series([f"TX-{i:04d}-S1" for i in range(1, 2001)])
    held = in_holdout(ids, 0.2)
    assert 0.17 < held.mean() < 0.23
    assert (in_holdout(ids[::-1], 0.2)[::-1] == held).all()  # row order does not matter


def test_the_corrected_interval_is_wider_than_the_naive_one():
    values = np.array([6.1, 5.8, 6.5, 6.9, 5.2, 6.0, 6.3, 5.9, 6.6, 6.2])
    mean, low, high = cv_interval(values, test_share=0.2)
    naive_half = 2.262 * values.std(ddof=1) / math.sqrt(len(values))
    assert mean == pytest.approx(values.mean())
    assert low < mean < high and (high - low) / 2 > naive_half
    assert math.isnan(cv_interval(np.array([1.0]), 0.2)[1])


def test_unknown_estimator_is_refused():
    with pytest.raises(ValueError, match="unknown estimator 'svm'"):
        make_estimator("svm")
