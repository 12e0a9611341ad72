"""Shadow and A/B traffic on uvicorn (loopback) over a real MLflow store and warehouse, then the A/B
report through the real flow: two transformer-health versions (a deliberately weak champion and a
stronger challenger the gate kept out), shadow mode answers from the champion only and logs both
arms of every row, A/B mode is sticky per reading and matches the stable hash, and the report
promotes the challenger through the gate with an audit row."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.integration.test_scoring_api import ApiServer, _wait_until

pytestmark = pytest.mark.integration

SHIPPED = Path(__file__).resolve().parents[2] / "data" / "transformer" / "transformer_health_index.csv"
MODEL = "transformer_health"
KEY = "gfk_traffic-test-key"
AUTH = {"X-API-Key": KEY}


def _serve(monkeypatch, rule: dict):
    from gridflow.config import reset_settings
    from gridflow.serving.build import build_app

    monkeypatch.setenv("GRIDFLOW_API__TRAFFIC", json.dumps({MODEL: rule}))
    reset_settings()
    return ApiServer(build_app())


def _both_loaded(client, champion: str, challenger: str) -> bool:
    """Champion and challenger are loaded: the two holders poll independently, either may be first."""
    body = client.get("/ready").json()
    return body.get("serving") == {MODEL: champion} and body.get("challengers") == {MODEL: challenger}


def _log_rows() -> list[dict]:
    from gridflow.runtime import warehouse

    with warehouse().connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.text(
            "SELECT request_id, row_index, arm, mode, returned, model_version, request_key, prediction "
            "FROM prediction_log ORDER BY id"))]


def test_shadow_and_ab_traffic_then_the_report_promotes_through_the_gate(gridflow_env, monkeypatch):
    import httpx
    from typer.testing import CliRunner

    from flows.ab_report import ab_report
    from flows.ingest_transformers import ingest_transformer_readings
    from flows.retrain import retrain
    from gridflow.config import reset_settings
    from gridflow.registry import mlflow_registry as registry
    from gridflow.registry.gate import GateDecision
    from gridflow.registry.promotion import apply_gate_decision
    from gridflow.runtime import warehouse
    from gridflow.serving import traffic
    from gridflow.serving.auth import hash_key
    from gridflow.transformers import health_model as hm
    from gridflow.usecases.configs import TrafficRule
    from gridflow.warehouse import audit
    from gridflow.warehouse.transformers import read_transformer_readings
    from gridflow_cli.main import app as cli

    for key, value in {
        "GRIDFLOW_TRANSFORMER_HEALTH__CV_REPEATS": "1",
        "GRIDFLOW_TRANSFORMER_HEALTH__CV_FOLDS": "2",
        # The champion: a deliberately weak forest (5 stumps), so the experiment has a clear winner.
        "GRIDFLOW_TRANSFORMER_HEALTH__ESTIMATOR_PARAMS": json.dumps({"n_estimators": 5, "max_depth": 1}),
        "GRIDFLOW_API__KEYS": json.dumps({"tests": hash_key(KEY)}),
        "GRIDFLOW_API__MODELS": json.dumps([MODEL]),
        "GRIDFLOW_API__POLL_SECONDS": "0.3",
        "GRIDFLOW_API__LOG_FLUSH_SECONDS": "0.2",
    }.items():
        monkeypatch.setenv(key, value)
    reset_settings()
    assert ingest_transformer_readings(str(SHIPPED)).status == "loaded"
    weak = retrain(model=MODEL, trigger="test: weak champion")
    if weak.decision.action != "promote":  # stumps may not beat the key-gas rule: promote as an operator would
        apply_gate_decision(warehouse(), GateDecision(True, "mae", 0.0, None, None, weak.version, None, "test: forced"),
                            model_name=MODEL, actor="test", trigger="test", mlflow_run_id=None, metrics={})
    # The challenger: a real forest that the gate may not promote (it would need a 10,000 % gain), so it
    # stays `challenger` and only live traffic can decide.
    monkeypatch.setenv("GRIDFLOW_TRANSFORMER_HEALTH__ESTIMATOR_PARAMS", json.dumps({"n_estimators": 40}))
    monkeypatch.setenv("GRIDFLOW_TRANSFORMER_HEALTH__MIN_RELATIVE_IMPROVEMENT", "100")
    reset_settings()
    strong = retrain(model=MODEL, trigger="test: challenger kept out by the gate")
    assert strong.decision.action == "reject", strong.decision.reason
    champion, challenger = weak.version, strong.version
    assert registry.alias_version_number(MODEL, registry.CHAMPION) == champion
    assert registry.alias_version_number(MODEL, registry.CHALLENGER) == challenger != champion

    with warehouse().connect() as conn:
        raw = read_transformer_readings(conn)
    features = hm.build_features(raw)[hm.FEATURE_COLUMNS]
    features.insert(0, "reading_id", raw["reading_id"].to_numpy())
    records = features.head(60).to_dict(orient="records")

    # Shadow: the champion answers every request; both arms of every row land in the log.
    with _serve(monkeypatch, {"mode": "shadow", "key": "reading_id"}) as api, \
            httpx.Client(base_url=api.url, headers=AUTH, timeout=30) as client:
        _wait_until(lambda: _both_loaded(client, champion, challenger), 60, "both versions to load")
        shadow_ids = []
        for start in range(0, 60, 3):
            answer = client.post(f"/models/{MODEL}/predict", json={"dataframe_records": records[start:start + 3]})
            assert answer.status_code == 200, answer.text
            assert answer.json()["version"] == answer.headers["X-Model-Version"] == champion
            assert answer.headers["X-Model-Arm"] == "champion" and len(answer.json()["predictions"]) == 3
            shadow_ids.append(answer.headers["X-Request-Id"])
    logged = _log_rows()  # the server has shut down: its last batch was written on the way out
    assert {(r["request_id"], r["row_index"], r["arm"]) for r in logged} == {
        (rid, i, arm) for rid in shadow_ids for i in range(3) for arm in ("champion", "challenger")}
    assert all(r["mode"] == "shadow" for r in logged)
    assert {(r["arm"], r["model_version"], bool(r["returned"])) for r in logged} == {
        ("champion", champion, True), ("challenger", challenger, False)}
    assert {r["request_key"] for r in logged} == {str(r["reading_id"]) for r in records}

    # A/B: half the readings go to the challenger, always the same ones, exactly as the stable hash says.
    rule = TrafficRule(mode="ab", share=0.5, key="reading_id")
    keys = [str(r["reading_id"]) for r in records[:40]]
    expected = {k: traffic.choose_arm(rule, MODEL, k) for k in keys}
    seen: dict[str, set[tuple[str, str]]] = {k: set() for k in keys}
    with _serve(monkeypatch, rule.model_dump(exclude_none=True)) as api, \
            httpx.Client(base_url=api.url, headers=AUTH, timeout=30) as client:
        _wait_until(lambda: _both_loaded(client, champion, challenger), 60, "both versions to load")
        for _ in range(2):
            for record in records[:40]:
                answer = client.post(f"/models/{MODEL}/predict", json={"dataframe_records": [record]})
                assert answer.status_code == 200, answer.text
                assert answer.json()["version"] == answer.headers["X-Model-Version"]
                seen[str(record["reading_id"])].add((answer.headers["X-Model-Arm"], answer.json()["version"]))
        metrics = client.get("/metrics").text
    versions = {"champion": champion, "challenger": challenger}
    assert seen == {k: {(arm, versions[arm])} for k, arm in expected.items()}  # sticky, one version per key
    share = sum(arm == "challenger" for arm in expected.values()) / len(expected)
    assert 0.25 <= share <= 0.75, share
    assert f'arm="challenger",model="{MODEL}",status="200",version="{challenger}"' in metrics
    assert sum(r["mode"] == "ab" for r in _log_rows()) == 80

    # The report: a dry run from the CLI records nothing; the flow applies it through the gate.
    with warehouse().connect() as conn:
        audited = len(audit.decision_history(conn, MODEL))
    dry = CliRunner().invoke(cli, ["ab", "report", MODEL])
    assert dry.exit_code == 0, dry.output
    assert "recommendation: PROMOTE" in dry.output and "60 paired rows" in dry.output, dry.output
    assert "nothing recorded: dry run" in dry.output
    with warehouse().connect() as conn:
        assert len(audit.decision_history(conn, MODEL)) == audited

    result = ab_report(model=MODEL, apply=True, actor="test-operator")
    report = result.comparison
    assert (report.mode, report.n_champion, report.n_challenger) == ("shadow", 60, 60)
    assert report.mae_challenger < report.mae_champion and report.p_value < 0.05
    assert result.move is not None and result.move.action == "promote", report.reason
    assert registry.alias_version_number(MODEL, registry.CHAMPION) == challenger
    with warehouse().connect() as conn:
        latest = audit.decision_history(conn, MODEL, limit=1)[0]
        assert audit.current_champion(conn, MODEL) == challenger
    assert (latest["action"], latest["trigger"], latest["actor"]) == ("promote", "ab-report", "test-operator")
    assert (latest["from_version"], latest["to_version"]) == (champion, challenger)
    assert latest["reason"].startswith("A/B report (shadow): challenger v")
