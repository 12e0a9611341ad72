"""The daily issue end to end: a trained champion, the `issue-load-forecast/day-ahead` deployment
run by a real `gridflow serve` process, a re-run that changes nothing, a day whose load has not
arrived failing with the reason, and the drift monitor measuring the champion on what it issued."""

from __future__ import annotations

import asyncio
import json
from datetime import date

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from tests.conftest import wait_final, write_pjme_excerpt
from tests.integration.served import served, task_states, wait_deployment

pytestmark = pytest.mark.integration

DEPLOYMENT = "issue-load-forecast/day-ahead"
LAST_DAY = "2015-12-31"  # the excerpt's last full local day: issued as of 2015-12-30 09:00
NO_LOAD_DAY = "2016-01-05"  # issue time 2016-01-04 09:00: no load after 2015-12-31 in the warehouse


def _issued_rows(warehouse) -> list[dict]:
    with warehouse.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.text(
            "SELECT zone, target_start_utc, issued_at_utc, model_version, p10_mw, p50_mw, p90_mw, flow_run_id "
            "FROM load_forecast_issued ORDER BY target_start_utc"))]


def test_issue_on_a_served_deployment_is_idempotent_and_fails_loudly(gridflow_env, tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId
    from prefect.client.schemas.objects import StateType

    from flows.ingest_pjm_load import ingest_pjm_load
    from flows.monitor_drift import monitor_drift
    from flows.retrain import retrain
    from gridflow_cli.forecast import demo_issue_step
    from gridflow_cli.main import app
    from tasks.common import warehouse

    # Kaggle labels are hour-ending: "2016-01-01 00:00:00" is the last hour of 2015-12-31.
    ingest_pjm_load(str(write_pjme_excerpt(tmp_path / "pjme.csv", "2013-01-01", "2016-01-01 00:30")))
    trained = retrain(model="load_forecast", trigger="test: champion to issue")
    assert trained.decision.action == "promote", trained.decision.reason
    version = str(trained.version)

    async def run(client, deployment, for_date):
        created = await client.create_flow_run_from_deployment(
            deployment.id, parameters={"zones": ["PJME"], "for_date": for_date})
        return await wait_final(client, created.id, timeout=300)

    async def scenario(serve):
        async with get_client() as client:
            deployment = await wait_deployment(client, DEPLOYMENT, serve)
            first = await run(client, deployment, LAST_DAY)
            rows_after_first = _issued_rows(warehouse())
            again = await run(client, deployment, LAST_DAY)
            missing = await run(client, deployment, NO_LOAD_DAY)
            artifacts = await client.read_artifacts(
                artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[first.id])))
            return first, rows_after_first, again, missing, artifacts, await task_states(client, missing.id)

    log = tmp_path / "serve.log"
    with served(gridflow_env, log, DEPLOYMENT) as serve:
        first, rows_first, again, missing, artifacts, missing_tasks = asyncio.run(scenario(serve))

    assert first.state.type == StateType.COMPLETED, log.read_text()[-3000:]
    assert len(rows_first) == 24
    assert {r["model_version"] for r in rows_first} == {version}
    assert {r["flow_run_id"] for r in rows_first} == {str(first.id)}
    assert all(r["p10_mw"] <= r["p50_mw"] <= r["p90_mw"] for r in rows_first)
    issued_at = {str(r["issued_at_utc"])[:16] for r in rows_first}
    assert issued_at == {"2015-12-30 14:00"}  # D-1 09:00 EST

    # The re-run for the same issue time and version changes nothing: first write wins.
    assert again.state.type == StateType.COMPLETED, log.read_text()[-3000:]
    assert _issued_rows(warehouse()) == rows_first

    # A day whose inputs have not arrived fails the run with the reason, and stores nothing.
    assert missing.state.type == StateType.FAILED
    assert "PJME" in missing.state.message and "not issued for 2016-01-05" in missing.state.message, \
        missing.state.message
    assert "MissingInputError" in missing.state.message
    assert missing_tasks["issue-PJME-2016-01-05"] == ["Failed"]
    assert len(_issued_rows(warehouse())) == 24

    # One table and one plot artifact per issued forecast; the plot is an embedded PNG.
    by_key = {a.key: a for a in artifacts}
    assert by_key["load-forecast-pjme"].type == "table"
    assert by_key["load-forecast-pjme-plot"].data.count("data:image/png;base64,") == 1
    assert list((tmp_path / "gridflow" / "forecasts" / "PJME").glob(f"{LAST_DAY}_load_forecast_v{version}.png"))

    shown = CliRunner().invoke(app, ["forecast", "show", "PJME", LAST_DAY, "--json"])
    assert shown.exit_code == 0, shown.output
    table = json.loads(shown.output)
    assert len(table) == 24 and all(r["actual MW"] is not None for r in table)
    assert table[0]["model"] == f"load_forecast v{version}"

    # The CLI issues through the same flow: again nothing new; a day without load fails with the reason.
    rerun = CliRunner().invoke(app, ["forecast", "issue", "--zone", "PJME", "--for", LAST_DAY])
    assert rerun.exit_code == 0, rerun.output
    assert "already stored (first write wins)" in rerun.output
    failing = CliRunner().invoke(app, ["forecast", "issue", "--zone", "PJME", "--for", NO_LOAD_DAY])
    assert failing.exit_code == 1 and "not issued for 2016-01-05" in failing.output, failing.output
    shown_lines: list[str] = []
    demo_issue_step(shown_lines.append, "PJME", date.fromisoformat(LAST_DAY))
    assert "load_forecast v" in shown_lines[0] and shown_lines[1].strip().startswith("local hour")
    assert "peak P50" in shown_lines[-1]
    assert _issued_rows(warehouse()) == rows_first

    # The monitor measures the champion on what it issued, beside its backtest figure.
    check = monitor_drift(model="load_forecast", window_days=14)
    accuracy = check.accuracy
    assert accuracy["source"] == "issued", accuracy
    assert accuracy["rows"] == 24 and accuracy["metric"] == "issued mape"
    expected = sum(abs(r["p50_mw"] - a) / a for r, a in zip(rows_first, [t["actual MW"] for t in table],
                                                              strict=True)) / 24 * 100
    assert accuracy["current_error"] == pytest.approx(expected, rel=1e-3)
    assert accuracy["reference_error"] is not None
    assert [d["local_date"] for d in accuracy["per_day"]] == [LAST_DAY]
