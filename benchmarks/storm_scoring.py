"""Storm response at scale: scoring a million assets, and the whole response on PostgreSQL.

Two measurements, each with its reference in the same run:

1. scoring: `gridflow.storm.scoring.score_frame` (chunks of `score_chunk_rows`, calibration
   included) against raw `xgboost.Booster.inplace_predict` on the very same feature frame; target
   within 1.2x.
2. response: read the alert area's assets from PostgreSQL, build features, score, build the crew
   plan, write predictions and the plan in one transaction (what gridflow.storm.responder does),
   for an alert covering every asset; the reference is the 15 s budget. A re-delivery of the same
   alert version (predictions already stored) is timed too.

PostgreSQL comes from GRIDFLOW_TEST_POSTGRES_URL (default: the local trust-auth server); the
benchmark works in a schema of its own and drops it afterwards.
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

POSTGRES_URL = os.environ.get("GRIDFLOW_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BUDGET_S = 15.0
REPEATS = 3


def _train_model():
    """An outage model fitted on a generated history (small: the benchmark is about scoring)."""
    from gridflow.storm.features import build_features
    from gridflow.storm.history import generate_storm_history
    from gridflow.storm.inventory import generate_inventory
    from gridflow.storm.scoring import fit_calibration, fit_outage_model

    assets = generate_inventory(20_000, seed=1)
    rows = generate_storm_history(assets, n_storms=30, seed=1).merge(assets, on="asset_id")
    X = build_features(rows)
    model = fit_outage_model(X, rows["failed"], rows["storm_id"], folds=3)
    if model.method == "none":
        # The data may find the booster calibrated already; the benchmark always pays for a map
        # (isotonic, the costlier one) so the measured path is the worst case.
        model.method = "isotonic"
        model.calibration = fit_calibration(model.raw_probability(X), rows["failed"].to_numpy(float), "isotonic")
    return model


def _respond(engine, model, alert: dict, chain_id: str, version: int, chunk_rows: int, settings) -> dict[str, float]:
    """One storm response as gridflow.storm.responder runs it; returns seconds per step."""
    from gridflow.storm.features import alert_area, build_features, storm_attributes
    from gridflow.storm.plan import build_crew_plan
    from gridflow.storm.scoring import score_frame
    from gridflow.warehouse import storm as store

    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    counties, zones = alert_area(alert["same_codes"], alert["ugc_codes"], alert.get("county_fips", ()))
    with engine.connect() as conn:
        assets = store.read_assets(conn, county_fips=counties, nws_zones=zones)
    t1 = time.perf_counter()
    feats = build_features(assets, storm_attributes(alert))
    t2 = time.perf_counter()
    probability = score_frame(model, feats, chunk_rows=chunk_rows)
    t3 = time.perf_counter()
    scored = assets[["asset_id", "service_center", "customers_served"]].assign(probability=probability)
    plan = build_crew_plan(scored, settings.crews_per_outage, settings.priority_assets_per_center,
                           context=f"{alert['event']} v{version}")
    t4 = time.perf_counter()
    with engine.begin() as conn:
        store.write_predictions(conn, chain_id, version, "1", scored)
    t5 = time.perf_counter()
    with engine.begin() as conn:
        store.store_plan(conn, plan, chain_id, f"{chain_id}.{version}", version, "outage_risk", "1")
    t6 = time.perf_counter()
    seconds.update(read_assets=t1 - t0, features=t2 - t1, score=t3 - t2, plan=t4 - t3,
                   write_predictions=t5 - t4, store_plan=t6 - t5, total=t6 - t0, assets=float(len(assets)))
    return seconds


def run(workdir: Path, rows: int) -> list[dict]:
    """Both measurements on `rows` synthetic assets (default 1,000,000)."""
    import sqlalchemy as sa

    from gridflow.config import get_settings
    from gridflow.storm.features import build_features
    from gridflow.storm.inventory import generate_inventory
    from gridflow.storm.scoring import score_frame
    from gridflow.warehouse.engine import make_engine, upgrade
    from gridflow.warehouse.storm import write_assets

    settings = get_settings().storm
    model = _train_model()
    inventory = generate_inventory(rows, seed=0)
    alert = {"event": "Ice Storm Warning", "severity": "Severe", "max_wind_gust_mph": 35.0, "max_hail_in": None,
             "same_codes": sorted({"0" + c for c in inventory["county_fips"]}), "ugc_codes": [], "county_fips": []}

    # 1. Scoring against raw XGBoost on the same frame, alternating, best of REPEATS.
    from gridflow.storm.features import storm_attributes

    feats = build_features(inventory, storm_attributes(alert))
    booster = model.booster
    best = {"raw": float("inf"), "ours": float("inf")}
    for _ in range(REPEATS):
        started = time.perf_counter()
        booster.inplace_predict(feats)
        best["raw"] = min(best["raw"], time.perf_counter() - started)
        started = time.perf_counter()
        score_frame(model, feats, chunk_rows=settings.score_chunk_rows)
        best["ours"] = min(best["ours"], time.perf_counter() - started)
    out = [{
        "benchmark": f"outage scoring, {rows:,} assets (chunks of {settings.score_chunk_rows:,}, calibration "
                     f"{model.method})",
        "baseline": f"raw Booster.inplace_predict, same frame (best of {REPEATS})",
        "baseline_s": best["raw"], "measured_s": best["ours"], "ratio": best["ours"] / best["raw"],
    }]

    # 2. The whole response on PostgreSQL.
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = sa.engine.make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        upgrade(engine)
        started = time.perf_counter()
        with engine.begin() as conn:
            write_assets(conn, inventory)
        seed_s = time.perf_counter() - started
        runs = [_respond(engine, model, alert, f"chain-{i}", 1, settings.score_chunk_rows, settings)
                for i in range(REPEATS)]
        fastest = min(runs, key=lambda r: r["total"])
        again = _respond(engine, model, alert, "chain-0", 1, settings.score_chunk_rows, settings)
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    steps = ", ".join(f"{k} {v:.2f}" for k, v in fastest.items() if k not in ("total", "assets"))
    print(f"storm response, {int(fastest['assets']):,} assets in the area: {steps} s "
          f"(total {fastest['total']:.2f} s; re-delivery {again['total']:.2f} s, writing predictions "
          f"{again['write_predictions']:.2f} s; seeding the inventory took {seed_s:.1f} s)")
    out.append({
        "benchmark": f"storm response on PostgreSQL, alert over {int(fastest['assets']):,} assets "
                     "(read, features, score, plan, write predictions + plan)",
        "baseline": f"the {BUDGET_S:.0f} s budget",
        "baseline_s": BUDGET_S, "measured_s": fastest["total"], "ratio": fastest["total"] / BUDGET_S,
    })
    out.append({
        "benchmark": "same alert version delivered again (predictions already stored)",
        "baseline": f"the {BUDGET_S:.0f} s budget",
        "baseline_s": BUDGET_S, "measured_s": again["total"], "ratio": again["total"] / BUDGET_S,
    })
    return out
