"""The generic retrain flow trains, gates and promotes `outage_risk` on a seeded storm history,
against a real Prefect server and a real MLflow store; the champion then scores assets natively."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.integration


def test_retrain_outage_risk_promotes_a_calibrated_champion(gridflow_env):
    from flows.retrain import retrain
    from gridflow.registry import mlflow_registry as registry
    from gridflow.storm.features import FEATURE_COLUMNS, build_features
    from gridflow.storm.history import generate_storm_history
    from gridflow.storm.inventory import generate_inventory
    from gridflow.storm.scoring import OutageRiskModel, score_frame
    from gridflow.warehouse import audit
    from gridflow.warehouse.storm import write_assets, write_storm_outcomes
    from tasks.common import mlflow_ready, warehouse

    assets = generate_inventory(4_000, seed=3)
    history = generate_storm_history(assets, n_storms=36, seed=3)
    with warehouse().begin() as conn:
        write_assets(conn, assets)
        write_storm_outcomes(conn, history)

    state = retrain(model="outage_risk", trigger="test: storm season", return_state=True)
    result = state.result()
    decision = result.decision
    assert decision.action == "promote", decision.reason
    assert decision.metric == "brier"
    evaluation = result.evaluation
    assert evaluation.challenger["brier"] < evaluation.baseline["brier"]
    assert evaluation.challenger["pr_auc"] > evaluation.baseline["pr_auc"]
    assert evaluation.rows > 0

    mlflow_ready()
    champion = registry.alias_version("outage_risk", registry.CHAMPION)
    assert champion is not None and champion.version == result.version
    assert champion.metrics["holdout_brier"] == pytest.approx(evaluation.challenger["brier"])
    with warehouse().connect() as conn:
        (row,) = audit.decision_history(conn, "outage_risk")
    assert row["action"] == "promote" and row["trigger"] == "test: storm season"

    # The storm response loads the champion natively and gets the same probabilities the pyfunc
    # (which the retrain flow's evaluation uses) serves.
    native = registry.load_native_model("outage_risk", champion.version)
    assert isinstance(native, OutageRiskModel)
    alert = {"event": "Hurricane Warning", "severity": "Extreme", "max_wind_gust_mph": 110.0, "max_hail_in": None}
    feats = build_features(assets.head(500), alert)
    p = score_frame(native, feats, chunk_rows=1_000)
    assert ((p >= 0) & (p <= 1)).all()
    pyfunc = registry.load_model("outage_risk", champion.version)
    np.testing.assert_allclose(np.asarray(pyfunc.predict(feats[FEATURE_COLUMNS])), p, rtol=1e-6)

    # Same data, same estimator: the second challenger cannot be 1 % better.
    second = retrain(model="outage_risk", trigger="test: again")
    assert second.decision.action == "reject", second.decision.reason
    assert second.evaluation.champion is not None
