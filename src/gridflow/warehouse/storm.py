"""Storm-response storage: asset inventory, storm outcomes, outage predictions and crew plans.

Every write runs inside the caller's transaction (commit is the caller's decision) and is
idempotent on its natural key:

- assets and storm outcomes are upserts (`upsert_frame`);
- predictions are keyed by (chain id, alert version, model version, asset): writing the same key
  again replaces that key's rows (delete, then insert), so a re-delivered alert never doubles them;
- a plan is keyed by (chain id, alert version, model version): storing it again returns the plan
  already there. A plan for a newer alert version supersedes the chain's active plan in the same
  transaction, and the partial unique index `uq_crew_plan_active` guarantees one active plan per
  chain whatever the interleaving. On PostgreSQL a transaction-scoped advisory lock per chain
  serialises concurrent deliveries of one warning; SQLite allows one writer at a time anyway.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, case, delete, func, insert, or_, select, text, update

from gridflow.storm.history import OUTCOME_COLUMNS
from gridflow.storm.inventory import ASSET_COLUMNS
from gridflow.storm.plan import LOCATION_COLUMNS, CrewPlan
from gridflow.warehouse import pg_copy, upsert
from gridflow.warehouse.loads import raw
from gridflow.warehouse.tables import asset, crew_plan, crew_plan_line, outage_prediction, storm_outcome

# The training frame: every storm_outcome column and the asset's attributes beside it.
TRAINING_COLUMNS = [*OUTCOME_COLUMNS, *[c for c in ASSET_COLUMNS if c != "asset_id"]]
_INTEGER_ASSET_COLUMNS = ("customers_served", "outages_5y")
_FLOAT_ASSET_COLUMNS = ("latitude", "longitude", "age_years", "vegetation_exposure")


def write_assets(conn: Connection, frame: pd.DataFrame) -> int:
    """Upsert inventory rows (`ASSET_COLUMNS`); returns rows written. Changed attributes overwrite."""
    _require(frame, ASSET_COLUMNS, "asset")
    out = frame.loc[:, ASSET_COLUMNS].copy()
    out["updated_at"] = datetime.now(UTC)
    return upsert.upsert_frame(conn, asset, out, ["asset_id"])


def read_assets(conn: Connection, county_fips: Iterable[str] | None = None,
                nws_zones: Iterable[str] | None = None) -> pd.DataFrame:
    """Assets (`ASSET_COLUMNS`) in any of `county_fips` or any of `nws_zones`, ordered by asset id;
    every asset when both are None. Pair with `gridflow.storm.features.alert_area` for an alert."""
    c = asset.c
    stmt = select(*(c[name] for name in ASSET_COLUMNS))
    if county_fips is not None or nws_zones is not None:
        counties = sorted(set(county_fips or ()))
        zones = sorted(set(nws_zones or ()))
        conditions = []
        if counties:
            conditions.append(c.county_fips.in_(counties))
        if zones:
            conditions.append(c.nws_zone.in_(zones))
        if not conditions:
            return _empty(ASSET_COLUMNS)
        stmt = stmt.where(or_(*conditions))
    return _read_frame(conn, stmt.order_by(c.asset_id), ASSET_COLUMNS)


def read_asset_locations(conn: Connection, asset_ids: Iterable[str]) -> pd.DataFrame:
    """Where the given assets are (`LOCATION_COLUMNS`), for the few a crew plan lists first."""
    ids = sorted(set(asset_ids))
    columns = [asset.c[name] for name in LOCATION_COLUMNS]
    # In slices: SQLite builds before 3.32 bind at most 999 parameters per statement.
    rows = [row for start in range(0, len(ids), 500)
            for row in conn.execute(select(*columns).where(asset.c.asset_id.in_(ids[start:start + 500])))]
    return pd.DataFrame(rows, columns=LOCATION_COLUMNS)


def write_storm_outcomes(conn: Connection, frame: pd.DataFrame) -> int:
    """Upsert storm outcome rows (`OUTCOME_COLUMNS`); returns rows written."""
    _require(frame, OUTCOME_COLUMNS, "storm_outcome")
    out = frame.loc[:, OUTCOME_COLUMNS].copy()
    out["failed"] = out["failed"].astype(bool)
    for name in ("max_wind_gust_mph", "max_hail_in"):
        out[name] = pd.to_numeric(out[name], errors="coerce").astype("float64")
    out["updated_at"] = datetime.now(UTC)
    return upsert.upsert_frame(conn, storm_outcome, out, ["storm_id", "asset_id"])


def read_training_frame(conn: Connection) -> pd.DataFrame:
    """Every storm outcome joined to its asset (`TRAINING_COLUMNS`), ordered by storm start, storm,
    asset. Outcomes of assets no longer in the inventory are left out (no attributes to learn from)."""
    o, a = storm_outcome.c, asset.c
    dialect = conn.dialect.name
    columns = [raw(o.storm_start_utc, dialect).label("storm_start_utc") if name == "storm_start_utc" else o[name]
               for name in OUTCOME_COLUMNS]
    columns += [a[name] for name in ASSET_COLUMNS if name != "asset_id"]
    stmt = (select(*columns).select_from(storm_outcome.join(asset, o.asset_id == a.asset_id))
            .order_by(o.storm_start_utc, o.storm_id, o.asset_id))
    frame = _read_frame(conn, stmt, TRAINING_COLUMNS)
    if len(frame):
        # Naive UTC text (SQLite, CSV) or datetimes: ISO8601 parsing covers both.
        frame["storm_start_utc"] = pd.to_datetime(
            pd.Index(frame["storm_start_utc"].to_numpy(), dtype=object).astype(str), utc=True, format="ISO8601"
        ).as_unit("ns")
    else:
        frame["storm_start_utc"] = pd.Series(dtype="datetime64[ns, UTC]")
    failed = frame["failed"]
    # PostgreSQL's CSV spells booleans t/f; SQLite stores 0/1.
    frame["failed"] = failed.isin(["t", "true", "True", True, 1, "1"]).to_numpy() if failed.dtype != bool else failed
    for name in ("max_wind_gust_mph", "max_hail_in"):
        frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
    return frame


def write_predictions(conn: Connection, chain_id: str, alert_version: int, model_version: str,
                      frame: pd.DataFrame, scored_at: datetime | None = None) -> int:
    """Store the outage probability of each asset (`frame`: asset_id, probability) for one alert
    version scored by one model version; returns rows written (0 when exactly these scores were
    stored already, e.g. a re-delivered alert).

    Idempotent: rows of the same (chain, alert version, model version) are replaced, so writing
    the same scores again leaves exactly the same rows, never twice as many.
    """
    _require(frame, ["asset_id", "probability"], "outage_prediction")
    if frame["asset_id"].duplicated().any():
        raise ValueError("scores name an asset more than once; one probability per asset and alert version")
    _lock_chain(conn, chain_id)
    stored = read_predictions(conn, chain_id, alert_version, model_version)
    if len(stored):
        # Both sides sorted here: the database's collation may order ids differently from Python.
        stored = stored.sort_values("asset_id", kind="stable", ignore_index=True)
        mine = frame[["asset_id", "probability"]].sort_values("asset_id", kind="stable", ignore_index=True)
        if _same_scores(stored, mine):
            # A re-delivered alert scored by the same model: the rows are already there. Replacing
            # a million identical rows would cost more than the scoring (index entries of the
            # deleted rows are checked on every insert until vacuum).
            return 0
        key = (outage_prediction.c.chain_id == chain_id) & (
            outage_prediction.c.alert_version == int(alert_version)) & (
            outage_prediction.c.model_version == str(model_version))
        conn.execute(delete(outage_prediction).where(key))
    n = len(frame)
    if n == 0:
        return 0
    stamp = pd.Timestamp(scored_at or datetime.now(UTC))
    if conn.dialect.name == "postgresql":
        # No row of this key is stored (checked above, under the chain's lock): a plain binary
        # COPY into the table, about twice as fast as the staged upsert for a million rows. The
        # key's constant columns are encoded once and patched into every row, not repeated and
        # encoded a million times (1.5-2 s of the write at 1M rows).
        constants = {"chain_id": chain_id, "alert_version": int(alert_version), "model_version": str(model_version),
                     "scored_at": stamp}
        scores = pd.DataFrame({"asset_id": frame["asset_id"].to_numpy(), "probability": frame["probability"]
                               .to_numpy(dtype="float64")})
        return pg_copy.copy_encoded(conn, pg_copy.encode_rows(conn, outage_prediction, scores, constants), constants)
    out = pd.DataFrame({
        "chain_id": np.repeat(chain_id, n).astype(object),
        "alert_version": np.full(n, int(alert_version), dtype=np.int64),
        "model_version": np.repeat(str(model_version), n).astype(object),
        "asset_id": frame["asset_id"].to_numpy(dtype=object),
        "probability": frame["probability"].to_numpy(dtype="float64"),
        "scored_at": pd.DatetimeIndex(np.repeat(stamp, n)),
    })
    return upsert.upsert_frame(conn, outage_prediction, out,
                               ["chain_id", "alert_version", "model_version", "asset_id"], update_columns=[])


def read_predictions(conn: Connection, chain_id: str, alert_version: int, model_version: str) -> pd.DataFrame:
    """The stored probabilities (asset_id, probability) of one alert version and model version."""
    p = outage_prediction.c
    stmt = (select(p.asset_id, p.probability)
            .where(p.chain_id == chain_id, p.alert_version == int(alert_version), p.model_version == str(model_version))
            .order_by(p.asset_id))
    frame = _read_frame(conn, stmt, ["asset_id", "probability"])
    frame["probability"] = frame["probability"].astype("float64")
    return frame


def store_plan(conn: Connection, plan: CrewPlan, chain_id: str, alert_id: str, alert_version: int,
               model_name: str, model_version: str, flow_run_id: str | None = None) -> int:
    """Store a crew plan and its lines; returns the plan id. Idempotent on (chain, alert version,
    model version): a re-delivered alert gets the plan already stored, unchanged.

    The new plan becomes the chain's active plan, superseding the previous one in this
    transaction, unless it is stale: a plan for a later alert version exists (a late delivery of
    an older update), or the chain's plans were cancelled (the warning was withdrawn). A stale
    plan is still stored, for the record, as `superseded` or `cancelled`.
    """
    t = crew_plan.c
    _lock_chain(conn, chain_id)
    existing = conn.execute(
        select(t.id).where(t.chain_id == chain_id, t.alert_version == int(alert_version),
                           t.model_version == str(model_version))
    ).scalar_one_or_none()
    if existing is not None:
        return int(existing)
    latest = conn.execute(select(func.max(t.alert_version)).where(t.chain_id == chain_id)).scalar_one_or_none()
    cancelled = conn.execute(
        select(func.count()).select_from(crew_plan).where(t.chain_id == chain_id, t.status == "cancelled")
    ).scalar_one()
    if cancelled:
        status = "cancelled"
    elif latest is not None and latest > int(alert_version):
        status = "superseded"
    else:
        status = "active"
        conn.execute(update(crew_plan).where(t.chain_id == chain_id, t.status == "active")
                     .values(status="superseded", updated_at=datetime.now(UTC)))
    now = datetime.now(UTC)
    plan_id = conn.execute(
        insert(crew_plan).values(
            chain_id=chain_id, alert_id=alert_id, alert_version=int(alert_version), model_name=model_name,
            model_version=str(model_version), status=status, assets_scored=plan.assets_scored,
            expected_outages=plan.expected_outages, expected_customers_out=plan.expected_customers_out,
            crews_needed=plan.crews_needed, reason=plan.reason, flow_run_id=flow_run_id,
            created_at=now, updated_at=now,
        )
    ).inserted_primary_key[0]
    if plan.lines:
        conn.execute(insert(crew_plan_line), [
            {"plan_id": plan_id, "service_center": line.service_center, "assets_in_area": line.assets_in_area,
             "expected_outages": line.expected_outages, "expected_customers_out": line.expected_customers_out,
             "crews_needed": line.crews_needed,
             "priority_assets": [a.stored() for a in line.priority_assets]}
            for line in plan.lines
        ])
    return int(plan_id)


def cancel_plans(conn: Connection, chain_id: str) -> int:
    """Mark the chain's active plan cancelled (the warning was withdrawn); returns plans changed.

    Plans stored later for this chain are stored cancelled (see `store_plan`).
    """
    t = crew_plan.c
    _lock_chain(conn, chain_id)
    result = conn.execute(update(crew_plan).where(t.chain_id == chain_id, t.status == "active")
                          .values(status="cancelled", updated_at=datetime.now(UTC)))
    changed = int(result.rowcount)
    if changed == 0:
        # No active plan (e.g. the Cancel arrived before any plan): mark the newest one, if any, so
        # a late delivery of an older update cannot bring the warning back.
        newest = conn.execute(select(t.id).where(t.chain_id == chain_id, t.status != "cancelled")
                              .order_by(t.alert_version.desc(), t.id.desc()).limit(1)).scalar_one_or_none()
        if newest is not None:
            conn.execute(update(crew_plan).where(t.id == newest).values(status="cancelled",
                                                                        updated_at=datetime.now(UTC)))
            changed = 1
    return changed


def read_plan(conn: Connection, chain_or_alert_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """(plan row, its lines by expected outages) for a chain id or alert id: the active plan, else
    the latest one (highest alert version, then newest); None when there is none."""
    t = crew_plan.c
    rank = case((t.status == "active", 1), else_=0)
    stmt = (select(crew_plan).where(or_(t.chain_id == chain_or_alert_id, t.alert_id == chain_or_alert_id))
            .order_by(rank.desc(), t.alert_version.desc(), t.id.desc()).limit(1))
    row = conn.execute(stmt).mappings().first()
    if row is None:
        return None
    line = crew_plan_line.c
    lines = conn.execute(select(crew_plan_line).where(line.plan_id == row["id"])
                         .order_by(line.expected_outages.desc(), line.service_center)).mappings().all()
    return dict(row), [dict(x) for x in lines]


def list_plans(conn: Connection, chain_id: str) -> list[dict[str, Any]]:
    """Every plan of a chain, oldest first (history of a warning's plans)."""
    t = crew_plan.c
    return [dict(r) for r in conn.execute(select(crew_plan).where(t.chain_id == chain_id).order_by(t.id)).mappings()]


def _lock_chain(conn: Connection, chain_id: str) -> None:
    if conn.dialect.name == "postgresql":
        # Held until the transaction ends: two deliveries of one warning plan one after the other.
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:chain))"), {"chain": f"crew_plan:{chain_id}"})


def _require(frame: pd.DataFrame, columns: list[str], table: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"frame for {table!r} lacks column(s) {missing}")


def _fetch(conn: Connection, stmt: Any) -> list[tuple]:
    result = conn.execute(stmt)
    try:
        # Plain driver tuples: no per-row Row objects for a million assets.
        return result.cursor.fetchall()
    finally:
        result.close()


def _empty(columns: list[str]) -> pd.DataFrame:
    return _asset_frame([], columns)


def _read_frame(conn: Connection, stmt: Any, columns: list[str]) -> pd.DataFrame:
    """The statement's rows as a frame with the asset dtypes; a CSV COPY on PostgreSQL."""
    if conn.dialect.name != "postgresql":
        return _asset_frame(_fetch(conn, stmt), columns)
    # COPY streams a million rows as CSV in about a second and pyarrow parses it in a fraction of
    # that; fetching Python tuples took over five. The statement's values are bound as literals
    # (COPY takes no parameters); they are codes from alerts and ids, quoted by SQLAlchemy.
    sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    buffer = io.BytesIO()
    with conn.connection.driver_connection.cursor() as cursor, cursor.copy(
        f"COPY ({sql}) TO STDOUT (FORMAT CSV)"
    ) as copy:
        for data in copy:
            buffer.write(data)
    if buffer.tell() == 0:
        return _asset_frame([], columns)
    buffer.seek(0)
    text_columns = [c for c in columns if c not in (*_FLOAT_ASSET_COLUMNS, *_INTEGER_ASSET_COLUMNS, "probability",
                                                    "max_wind_gust_mph", "max_hail_in")]
    import pyarrow as pa
    from pyarrow import csv

    table = csv.read_csv(
        buffer,
        read_options=csv.ReadOptions(column_names=columns),
        # Text stays text ('007' is a county code, not 7); an unquoted empty field is NULL.
        convert_options=csv.ConvertOptions(column_types={c: pa.string() for c in text_columns},
                                           strings_can_be_null=True, quoted_strings_can_be_null=False),
    )
    frame = table.to_pandas()
    return _typed(frame)


def _same_scores(stored: pd.DataFrame, mine: pd.DataFrame) -> bool:
    if len(stored) != len(mine):
        return False
    if not np.array_equal(stored["asset_id"].to_numpy(dtype=object), mine["asset_id"].to_numpy(dtype=object)):
        return False
    # float8 round-trips exactly; the tolerance only forgives CSV's shortest-repr formatting.
    return bool(np.allclose(stored["probability"].to_numpy(dtype="float64"),
                            mine["probability"].to_numpy(dtype="float64"), rtol=0, atol=1e-12))


def _asset_frame(rows: list[tuple], columns: list[str]) -> pd.DataFrame:
    if not rows:
        frame = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    else:
        values = list(zip(*rows, strict=True))
        frame = pd.DataFrame({c: np.array(v, dtype=object) for c, v in zip(columns, values, strict=True)})
    return _typed(frame)


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    # Both read paths (COPY to CSV on PostgreSQL, rows elsewhere) end with the same dtypes.
    for name in _FLOAT_ASSET_COLUMNS:
        if name in frame:
            frame[name] = frame[name].astype("float64")
    for name in _INTEGER_ASSET_COLUMNS:
        if name in frame:
            frame[name] = frame[name].astype("int64")
    return frame
