"""The storm flow scores its area in chunks, one task each, on threads and on a real local Dask
cluster of 2 worker processes: both give exactly the scores one process gives, and the same plan.

The Houston warning covers about 1,000 of the 6,000 seeded assets; chunks of 1,000 rows (the least
`score_task_rows` allows) make it two chunks, so each Dask worker scores one. On 2 busy cores the
Dask run takes about 15 s (cluster start, workers importing Prefect and XGBoost, then a 4 s wait
for the workers to exit) and the worker's MLflow load about 12 s; training the champion about 35 s.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from gridflow.replay.nws import SVR_ALERT_ID, svr_alert
from tests.integration.test_storm_response import HOUSTON_COUNTIES, prediction_keys, seed_and_train

pytestmark = pytest.mark.integration


def test_threads_and_a_local_dask_cluster_score_like_one_process(gridflow_env, monkeypatch):
    from distributed import Client, LocalCluster

    from flows.storm_response import storm_response
    from gridflow import runtime
    from gridflow.config import reset_settings
    from gridflow.registry import mlflow_registry as registry
    from gridflow.sources.nws_alerts import parse_alert_document
    from gridflow.storm import responder
    from gridflow.storm.alert_events import alert_payload
    from gridflow.storm.chunks import split_features
    from gridflow.storm.features import alert_area, build_features, select_assets, storm_attributes
    from gridflow.storm.scoring import score_frame
    from gridflow.task_runners import task_runner
    from gridflow.warehouse import alerts
    from gridflow.warehouse.storm import read_assets

    monkeypatch.setenv("GRIDFLOW_STORM__SCORE_TASK_ROWS", "1000")
    monkeypatch.setenv("GRIDFLOW_TASK_WORKERS", "2")
    reset_settings()
    model_version = seed_and_train()
    with runtime.warehouse().begin() as conn:
        alerts.record_alerts(conn, parse_alert_document(svr_alert()).alerts, received_via="push")
        payload = alert_payload(alerts.get_alert(conn, SVR_ALERT_ID))

    # The join and the plan run in the flow's process whatever the runner: record what they return.
    seen: dict[str, list] = {"area": [], "scored": [], "plan": []}

    def spy(name, step):
        def recorded(*args, **kwargs):
            out = step(*args, **kwargs)
            seen[name].append(out)
            return out
        return recorded

    monkeypatch.setattr(responder, "read_alert_area", spy("area", responder.read_alert_area))
    monkeypatch.setattr(responder, "store_area_scores", spy("scored", responder.store_area_scores))
    monkeypatch.setattr(responder, "plan_crews", spy("plan", responder.plan_crews))

    def scored_at() -> list:
        with runtime.warehouse().connect() as conn:
            return conn.execute(sa.text("SELECT DISTINCT scored_at FROM outage_prediction")).scalars().all()

    on_threads = storm_response.with_options(task_runner=task_runner("threads"))(SVR_ALERT_ID)
    stamps = scored_at()
    on_dask = storm_response.with_options(task_runner=task_runner("dask"))(SVR_ALERT_ID)

    assert on_threads.action == on_dask.action == "score"
    assert on_threads.plan_id == on_dask.plan_id is not None
    assert [len(area.chunks) for area in seen["area"]] == [2, 2]
    threads_scored, dask_scored = seen["scored"]
    pd.testing.assert_frame_equal(dask_scored.scored, threads_scored.scored, check_exact=True)
    assert (threads_scored.model_version, dask_scored.model_version) == (model_version, model_version)
    assert seen["plan"][0].as_dict() == seen["plan"][1].as_dict()

    # One process, one score_frame call over the whole area: the same numbers, bit for bit.
    counties, zones = alert_area(payload["same_codes"], payload["ugc_codes"], payload.get("county_fips", ()))
    with runtime.warehouse().connect() as conn:
        assets = read_assets(conn, county_fips=counties, nws_zones=zones)
        everything = read_assets(conn)
    model = registry.load_native_model("outage_risk", model_version)
    expected = score_frame(model, build_features(assets, storm_attributes(payload)))
    np.testing.assert_array_equal(dask_scored.scored["probability"].to_numpy(), expected)
    assert dask_scored.scored["asset_id"].tolist() == assets["asset_id"].tolist()
    assert len(assets) == int(select_assets(everything, HOUSTON_COUNTIES, []).sum())

    # Stored once: one row per asset, and the Dask run found exactly these scores already there.
    assert prediction_keys() == [(1, model_version, len(assets), len(assets))]
    assert scored_at() == stamps and len(stamps) == 1

    # The flow ships the loaded model with each chunk; a reference alone works too: a worker
    # process of a local cluster inherits this environment and loads the champion from MLflow.
    features = build_features(assets, storm_attributes(payload))
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        part = client.submit(responder.score_chunk, split_features(features, 10_000)[0],
                             responder.ModelRef("outage_risk", model_version)).result()
    np.testing.assert_array_equal(part.probability, expected)
