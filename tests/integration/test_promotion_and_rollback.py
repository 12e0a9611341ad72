"""Alias moves and the audit trail on a real MLflow store and a real warehouse (SQLite, PostgreSQL)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

from gridflow.errors import RegistryError
from gridflow.registry import mlflow_registry as registry
from gridflow.registry.gate import GateThresholds, decide_promotion
from gridflow.registry.promotion import apply_gate_decision, rollback_champion
from gridflow.warehouse import audit

pytestmark = pytest.mark.integration
GATE = GateThresholds(metric="mape", min_relative_improvement=0.01)




def register(experiment_id: str, slope: float) -> registry.LoggedModel:
    x = pd.DataFrame({"x": np.arange(20, dtype=float)})
    model = LinearRegression().fit(x, slope * x["x"])
    return registry.log_challenger(
        model_name="toy", experiment_id=experiment_id, model=model, params={"slope": slope},
        metrics={"holdout_mape": slope}, tags={}, training_frame=x.assign(y=slope * x["x"]),
        training_source={"warehouse": "test"}, target="y", input_example=x.head(3),
    )


def promote(engine, logged, mape, champion_mape=None, champion_version=None):
    decision = decide_promotion(GATE, mape, 10.0, champion_mape, logged.version, champion_version)
    return apply_gate_decision(engine, decision, model_name="toy", actor="test", trigger="test",
                               mlflow_run_id=logged.run_id, metrics={"mape": mape})


def test_promote_reject_and_rollback_chain(engine, mlflow_store):
    v1 = register(mlflow_store, 1.0)
    assert registry.alias_version("toy", "challenger").version == v1.version == "1"
    assert registry.alias_version("toy", "champion") is None

    first = promote(engine, v1, 5.0)
    assert (first.action, first.from_version, first.to_version) == ("promote", None, "1")
    v2 = register(mlflow_store, 2.0)
    assert promote(engine, v2, 4.0, 5.0, "1").action == "promote"
    v3 = register(mlflow_store, 3.0)
    rejected = promote(engine, v3, 3.99, 4.0, "2")
    assert rejected.action == "reject"
    assert registry.alias_version("toy", "champion").version == "2"
    assert registry.alias_version("toy", "challenger").version == "3"
    assert registry.alias_version("toy", "champion").tags["gate.action"] == "promote"

    back = rollback_champion(engine, "toy", actor="operator", reason="bad forecasts on Monday")
    assert (back.from_version, back.to_version) == ("2", "1")
    assert registry.alias_version("toy", "champion").version == "1"
    loaded = registry.load_model("toy", "1")
    assert loaded.predict(pd.DataFrame({"x": [2.0]}))[0] == pytest.approx(2.0)

    with pytest.raises(RegistryError, match="no earlier champion"):
        rollback_champion(engine, "toy", actor="operator", reason="again")

    with engine.connect() as conn:
        trail = audit.decision_history(conn, "toy")
    assert [(r["action"], r["from_version"], r["to_version"]) for r in trail] == [
        ("rollback", "2", "1"), ("reject", "2", "3"), ("promote", "1", "2"), ("promote", None, "1"),
    ]
    assert trail[0]["actor"] == "operator"
    assert "bad forecasts on Monday" in trail[0]["reason"]


def test_rollback_without_champion_is_a_clear_error(engine, mlflow_store):
    register(mlflow_store, 1.0)
    with pytest.raises(RegistryError, match="no champion to roll back"):
        rollback_champion(engine, "toy", actor="operator", reason="x")
