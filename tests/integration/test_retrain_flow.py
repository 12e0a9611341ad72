"""The retrain DAG end to end on a real Prefect server, a real MLflow store and a SQLite warehouse."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from tests.conftest import write_pjme_excerpt

pytestmark = pytest.mark.integration


def _count(engine, table: str) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()


def test_ingest_then_retrain_promotes_then_keeps_champion(gridflow_env, tmp_path):
    from prefect.client.orchestration import get_client

    from flows.ingest_pjm_load import ingest_pjm_load
    from flows.retrain import retrain
    from gridflow.warehouse import audit
    from gridflow_cli.main import app
    from tasks.common import warehouse

    source = write_pjme_excerpt(tmp_path / "PJME_2013_2015.csv", "2013-01-01", "2016-01-01")
    first = ingest_pjm_load(str(source))
    assert first.status == "loaded"
    rows = _count(warehouse(), "load_observation")
    assert rows == first.rows_written > 26_000

    again = ingest_pjm_load(str(source))
    assert again.status == "skipped"
    assert _count(warehouse(), "load_observation") == rows  # no duplicate rows

    state = retrain(model="load_forecast", trigger="test: first", return_state=True)
    result = state.result()
    decision = result.decision
    assert decision.action == "promote", decision.reason
    assert "no champion yet" in decision.reason
    evaluation = result.evaluation
    assert evaluation.challenger["mape"] < evaluation.baseline["mape"]

    second_state = retrain(model="load_forecast", trigger="test: second", return_state=True)
    second = second_state.result()
    # Same data, same estimator: the challenger cannot be 1 % better than the champion.
    assert second.decision.action == "reject", second.decision.reason
    assert "champion stays" in second.decision.reason
    assert second.evaluation.champion is not None

    with warehouse().connect() as conn:
        trail = audit.decision_history(conn, "load_forecast")
    assert [row["action"] for row in trail] == ["reject", "promote"]
    assert trail[0]["trigger"] == "test: second"
    assert trail[0]["reason"] == second.decision.reason
    # The gate decides on MAPE of P50; the band's coverage is recorded in the audit row beside it.
    recorded = trail[1]["metrics"]["challenger_recorded"]
    assert 0.6 < recorded["holdout_coverage_p10_p90"] < 0.95 and recorded["holdout_pinball_mean"] > 0

    listing = CliRunner().invoke(app, ["models", "--json"])
    assert listing.exit_code == 0, listing.output
    (entry,) = json.loads(listing.output)
    assert entry["champion"]["version"] == result.version
    assert entry["challenger"]["version"] == second.version
    assert entry["champion"]["metrics"]["holdout_mape"] == pytest.approx(evaluation.challenger["mape"])
    # The champion carries its P10-P90 band: coverage and pinball are recorded, the plots logged.
    champion_metrics = entry["champion"]["metrics"]
    assert 0.6 < champion_metrics["holdout_coverage_p10_p90"] < 0.95
    assert champion_metrics["holdout_pinball_mean"] > 0
    import mlflow

    logged = {a.path for a in mlflow.MlflowClient().list_artifacts(result.mlflow_run_id, "plots")}
    assert logged == {"plots/PJME_forecast_vs_actual.png", "plots/PJME_error_by_hour.png",
                      "plots/PJME_error_by_month.png", "plots/feature_importance.png"}

    run_ids = [state.state_details.flow_run_id, second_state.state_details.flow_run_id]

    async def artifacts():
        from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey

        async with get_client() as client:
            return await client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["load-forecast-evaluation"]),
                                               flow_run_id=ArtifactFilterFlowRunId(any_=run_ids))
            )

    import asyncio

    found = asyncio.run(artifacts())
    assert len(found) == 2
    assert any("REJECT" in a.data and second.decision.reason in a.data for a in found)


def test_failed_validation_quarantines_and_loads_nothing(gridflow_env, tmp_path):
    from flows.ingest_pjm_load import ingest_pjm_load
    from gridflow.errors import ValidationFailed
    from gridflow.warehouse import ledger
    from tasks.common import warehouse

    good = write_pjme_excerpt(tmp_path / "good.csv", "2015-01-01", "2015-02-01")
    bad = tmp_path / "bad.csv"
    text = good.read_text().splitlines()
    # A metering fault: one hour reads 0 MW (as in the real FE zone file).
    text[10] = text[10].split(",")[0] + ",0.0"
    bad.write_text("\n".join(text) + "\n")

    with pytest.raises(ValidationFailed) as failure:
        ingest_pjm_load(str(bad))
    assert "expect_column_values_to_be_between" in str(failure.value)
    assert "quarantined" in str(failure.value)
    assert _count(warehouse(), "load_observation") == 0

    with warehouse().connect() as conn:
        (entry,) = ledger.list_ingests(conn, dataset="pjm_load")
    assert entry["status"] == "quarantined"
    assert "load_mw" in entry["reason"]
    kept = entry["details"]["kept_at"]
    assert Path(kept).read_text() == bad.read_text()

    assert ingest_pjm_load(str(good)).status == "loaded"
