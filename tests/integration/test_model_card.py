"""What a retrain leaves for a person to look at: its plots in MLflow, a model card per registered
version (logged with the version, naming the decision, the approval and the lineage), an evaluation
artifact in Prefect that links both, and an MLflow run description that links the Prefect run.

Real Prefect server, real MLflow store, SQLite warehouse."""

from __future__ import annotations

import asyncio

import pytest

from tests.conftest import write_pjme_excerpt

pytestmark = pytest.mark.integration


def _artifacts(flow_run_id: str) -> dict[str, str]:
    """The markdown artifacts of one flow run, by key."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    async def read():
        async with get_client() as client:
            return await client.read_artifacts(
                artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id])))

    return {a.key: a.data for a in asyncio.run(read()) if a.key}


def _card_and_run(model: str, run_id: str, version: str) -> tuple[str, dict[str, str], dict[str, str]]:
    """The model card logged in the run, the run's tags and the version's tags."""
    import mlflow

    client = mlflow.MlflowClient()
    card = mlflow.artifacts.load_text(f"runs:/{run_id}/model_card.md")
    return card, client.get_run(run_id).data.tags, client.get_model_version(model, version).tags


def _plots(run_id: str) -> set[str]:
    import mlflow

    return {a.path for a in mlflow.MlflowClient().list_artifacts(run_id, "plots")}


def _check_links(model_slug: str, flow_run_id: str, run_id: str, tags: dict[str, str], plots: set[str]) -> str:
    """The run description links the Prefect run; the evaluation artifact links the card and every
    plot; the card is also a Prefect artifact. Returns the evaluation artifact."""
    from gridflow.config import get_settings
    from gridflow.services.stack import ui_url

    prefect_run = f"{ui_url(get_settings())}/runs/flow-run/{flow_run_id}"
    note = tags["mlflow.note.content"]
    assert f"]({prefect_run})" in note, note
    assert "model_card.md" in note

    artifacts = _artifacts(flow_run_id)
    evaluation = artifacts[f"{model_slug}-evaluation"]
    assert f"/runs/{run_id}/artifactPath/model_card.md)" in evaluation, evaluation
    for path in plots:
        assert f"/runs/{run_id}/artifactPath/{path})" in evaluation, path
    assert "/artifacts/artifact/" in evaluation  # the card's Prefect artifact
    prefect_card = artifacts[f"{model_slug}-model-card"]
    # In Prefect the card's images come from the MLflow UI, not from paths relative to the run.
    assert f"get-artifact?run_uuid={run_id}&path=plots/" in prefect_card
    return evaluation


def test_load_forecast_retrain_logs_plots_and_a_model_card(gridflow_env, tmp_path):
    from flows.ingest_pjm_load import ingest_pjm_load
    from flows.retrain import retrain
    from gridflow.provenance import git_commit, lock_file_sha256

    ingest_pjm_load(str(write_pjme_excerpt(tmp_path / "pjme.csv", "2013-01-01", "2016-01-01")))
    state = retrain(model="load_forecast", trigger="test: model card", return_state=True)
    result = state.result()
    flow_run_id = str(state.state_details.flow_run_id)
    assert result.decision.action == "promote", result.decision.reason

    plots = _plots(result.mlflow_run_id)
    assert plots == {"plots/PJME_forecast_vs_actual.png", "plots/PJME_error_by_hour.png",
                     "plots/PJME_error_by_month.png", "plots/feature_importance.png"}

    card, tags, version_tags = _card_and_run("load_forecast", result.mlflow_run_id, result.version)
    assert version_tags["gridflow.model_card"] == f"runs:/{result.mlflow_run_id}/model_card.md"
    assert card.startswith(f"# Model card: load_forecast version {result.version}")
    # The decision and its reason, the approval, the data, the features, the metrics table.
    assert f"**Decision:** v{result.version} promoted to champion — {result.decision.reason}" in card
    assert "Not required for this model" in card
    assert f"| content digest | `{tags['gridflow.data_digest']}` |" in card
    assert "validation | passed: suite 'pjm_load': all" in card
    assert "`lag_1d`" in card
    assert f"| mape (gate) | {result.evaluation.challenger['mape']:,.4g} |" in card
    # Lineage: commit, lock hash, the Prefect run; the plots, shown relative to the run's artifacts.
    assert f"| code (git commit) | `{git_commit()}` |" in card
    assert f"`{lock_file_sha256()}`" in card
    assert f"(`{flow_run_id}`)" in card and f"/runs/flow-run/{flow_run_id})" in card
    for path in plots:
        assert f"]({path})" in card
    assert "## Known limits" in card and "Day-ahead hourly load only" in card

    evaluation = _check_links("load-forecast", flow_run_id, result.mlflow_run_id, tags, plots)
    assert "PROMOTE" in evaluation


def test_outage_risk_retrain_logs_reliability_and_storm_plots(gridflow_env):
    from flows.retrain import retrain
    from gridflow.storm.history import generate_storm_history
    from gridflow.storm.inventory import generate_inventory
    from gridflow.warehouse.storm import write_assets, write_storm_outcomes
    from tasks.common import warehouse

    assets = generate_inventory(4_000, seed=3)
    with warehouse().begin() as conn:
        write_assets(conn, assets)
        write_storm_outcomes(conn, generate_storm_history(assets, n_storms=36, seed=3))

    state = retrain(model="outage_risk", trigger="test: model card", return_state=True)
    result = state.result()
    flow_run_id = str(state.state_details.flow_run_id)

    plots = _plots(result.mlflow_run_id)
    assert plots == {"plots/reliability.png", "plots/storm_expected_vs_actual.png", "plots/feature_importance.png"}
    card, tags, _ = _card_and_run("outage_risk", result.mlflow_run_id, result.version)
    assert f"v{result.version} {'promoted to champion' if result.decision.promote else 'not promoted'}" in card
    assert "| brier (gate) |" in card and "climatology baseline" in card
    assert "SYNTHETIC" in card  # the known limits say where the demo's storms come from
    _check_links("outage-risk", flow_run_id, result.mlflow_run_id, tags, plots)


def test_the_card_records_an_approval_that_timed_out(gridflow_env, monkeypatch, tmp_path):
    from flows.ingest_pjm_load import ingest_pjm_load
    from flows.retrain import retrain
    from gridflow.config import reset_settings

    for key, value in {"GRIDFLOW_LOAD_FORECAST__REQUIRE_APPROVAL": "true",
                       "GRIDFLOW_LOAD_FORECAST__APPROVAL_TIMEOUT_HOURS": str(15 / 3600)}.items():
        monkeypatch.setenv(key, value)
    reset_settings()
    ingest_pjm_load(str(write_pjme_excerpt(tmp_path / "pjme.csv", "2013-01-01", "2016-01-01")))

    result = retrain("load_forecast", trigger="test: card approval")
    assert result.decision.action == "reject"
    card, _, _ = _card_and_run("load_forecast", result.mlflow_run_id, result.version)
    # The gate passed; the operator's silence turned it into a rejection, and the card says both.
    assert "then the operator where approval is required): **reject** — gate passed (" in card
    assert f"**Decision:** v{result.version} not promoted — " in card
    assert "**timed_out** by nobody at " in card and "no answer within 15 s" in card
