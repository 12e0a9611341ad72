"""The steps of a storm response: load the alert -> read its area (features in chunks) -> score
each chunk -> join and store the scores -> crew plan -> store | cancel -> report.

Each step is one call of a task in tasks/storm_response.py; the flow picks the branch from the
alert's `ResponseDecision` and fans the chunks out on its task runner. What a chunk task receives
(`ScoringChunk`, `ModelRef`) and returns (`ChunkScores`) crosses to a Dask worker process by pickle.
"""

from __future__ import annotations

import contextvars
import hashlib
import os
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import pandas as pd
from sqlalchemy.exc import SQLAlchemyError

from gridflow import run_names
from gridflow.config import get_settings
from gridflow.errors import RegistryError, UnknownAlertError
from gridflow.registry import mlflow_registry as registry
from gridflow.runtime import log, mlflow_ready, warehouse
from gridflow.storm.alert_events import alert_payload
from gridflow.storm.chunks import ChunkScores, ScoringChunk, join_scores, split_features
from gridflow.storm.features import alert_area, build_features, storm_attributes
from gridflow.storm.plan import PLAN_INPUT_COLUMNS, CrewPlan, build_crew_plan, priority_asset_ids, with_locations
from gridflow.storm.response import (
    ResponseDecision,
    artifact_key,
    decide_response,
    plan_markdown,
    plan_table,
)
from gridflow.warehouse import alerts
from gridflow.warehouse import storm as storm_store


@dataclass(frozen=True)
class AlertContext:
    """The alert message a storm response answers, with its chain's state and the decision."""

    alert_id: str
    chain_id: str
    version: int
    message_type: str
    title: str
    payload: dict[str, Any]
    decision: ResponseDecision


@dataclass(frozen=True)
class ScoredArea:
    """Outage probabilities of every asset in an alert's area, from one model version."""

    scored: pd.DataFrame  # PLAN_INPUT_COLUMNS
    model_name: str
    model_version: str
    seconds: dict[str, float] = field(default_factory=dict)

    def __fingerprint__(self) -> str:
        """Cache-key digest from the numbers, not the million asset-id strings: hashing those
        cost 0.7 s per downstream task. Ids follow the probabilities' order, read sorted by id."""
        digest = hashlib.sha256(f"{self.model_name}/{self.model_version}/{len(self.scored)}".encode())
        digest.update(self.scored["probability"].to_numpy(dtype="float64").tobytes())
        digest.update(self.scored["customers_served"].to_numpy(dtype="int64").tobytes())
        if len(self.scored):
            digest.update(f"{self.scored['asset_id'].iloc[0]}/{self.scored['asset_id'].iloc[-1]}".encode())
        return digest.hexdigest()

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # Pickled (the persisted result an operator's Retry reads back) as Arrow IPC with the
        # service centers dictionary-encoded: about half the bytes of the frame's own pickle, which
        # Prefect then base64-encodes and writes (2-3 s of engine time at a million assets).
        import pyarrow as pa

        table = pa.Table.from_pandas(self.scored, preserve_index=False)
        if "service_center" in table.column_names:
            at = table.column_names.index("service_center")
            table = table.set_column(at, "service_center", table.column(at).dictionary_encode())
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        return _scored_area, (sink.getvalue().to_pybytes(), self.model_name, self.model_version, dict(self.seconds))


def _scored_area(ipc: bytes, model_name: str, model_version: str, seconds: dict[str, float]) -> ScoredArea:
    import pyarrow as pa

    table = pa.ipc.open_stream(ipc).read_all()
    if "service_center" in table.column_names:
        at = table.column_names.index("service_center")
        column = table.column(at)
        table = table.set_column(at, "service_center", column.cast(column.type.value_type))
    return ScoredArea(table.to_pandas(), model_name, model_version, seconds)


@dataclass(frozen=True)
class PlanReport:
    """The artifacts of a warning's current plan under the warning's own `key`: markdown always, a
    table when there is a plan; `statuses` (plan id -> status) of all its plans re-head the
    artifacts of earlier ones."""

    key: str
    markdown: str
    description: str
    table: list[dict[str, Any]] | None = None
    table_description: str = ""
    statuses: dict[int, str] = field(default_factory=dict)


def load_alert_context(alert_id: str) -> AlertContext:
    """The stored alert message and what to do about it: score, cancel, or nothing (stale)."""
    with warehouse().connect() as conn:
        message = alerts.get_alert(conn, alert_id)
        if message is None:
            raise UnknownAlertError(f"no weather alert {alert_id!r} in the warehouse; poll or push it first")
        head = alerts.chain_head(conn, message.chain_id) or message
    decision = decide_response(message.message_type, message.chain_version, head.status, head.chain_version)
    log().info("%s v%d (%s): %s", message.title, message.chain_version, message.message_type, decision.reason)
    return AlertContext(message.alert_id, message.chain_id, message.chain_version, message.message_type,
                        message.title, alert_payload(message), decision)


def run_name(alert_id: str) -> str:
    """The storm run's name from its stored alert: the warning, its first area and version."""
    try:
        with warehouse().connect() as conn:
            message = alerts.get_alert(conn, alert_id)
    except (SQLAlchemyError, OSError):  # a name never fails the run: load-alert then reports the cause
        message = None
    if message is None:
        return run_names.storm_fallback_name(alert_id)
    return run_names.storm_name(message.event, message.area_desc, message.chain_version, message.message_type)


@dataclass(frozen=True)
class ModelRef:
    """The registered model version an area is scored with; `model`, when set, is the loaded
    estimator shipped along with the reference (else each process loads it from MLflow once)."""

    name: str
    version: str
    model: Any = field(default=None, compare=False, repr=False)

    def __fingerprint__(self) -> str:
        """Cache-key digest: the registered name and version say which model it is, shipped or not."""
        return f"{self.name}/{self.version}"

    def load(self) -> Any:
        """The estimator: the shipped one, else this process's copy loaded from the registry."""
        if self.model is not None:
            return self.model
        mlflow_ready()  # a Dask worker process configures MLflow from the settings it inherited
        return _native_model(self.name, self.version)


@dataclass(frozen=True)
class AlertArea:
    """The assets under an alert, their features cut into scoring chunks, and the champion to use."""

    model: ModelRef
    assets: pd.DataFrame  # asset_id, service_center, customers_served; row i is feature row i
    chunks: list[ScoringChunk]
    counties: int
    zones: int
    seconds: dict[str, float] = field(default_factory=dict)

    def __fingerprint__(self) -> str:
        """Cache-key digest without hashing the feature frame and the asset-id strings (see
        ScoredArea): the chunks' scores, also an input of the step that uses this, cover the features."""
        digest = hashlib.sha256(f"{self.model.__fingerprint__()}/{len(self.assets)}".encode())
        digest.update(repr([(c.start, c.stop) for c in self.chunks]).encode())
        digest.update(self.assets["customers_served"].to_numpy(dtype="int64").tobytes())
        if len(self.assets):
            digest.update(f"{self.assets['asset_id'].iloc[0]}/{self.assets['asset_id'].iloc[-1]}".encode())
        return digest.hexdigest()


@lru_cache(maxsize=4)
def _native_model(name: str, version: str) -> Any:
    # A serving process (or a Dask worker) answers many alerts and chunks with the same champion:
    # load it once per process.
    return registry.load_native_model(name, version)


def champion_ref(model_name: str, ship_model: bool = True) -> ModelRef:
    """The champion version of `model_name` as a `ModelRef`, carrying the loaded model if `ship_model`."""
    mlflow_ready()
    champion = registry.alias_version(model_name, registry.CHAMPION)
    if champion is None:
        raise RegistryError(f"{model_name} has no champion: train and promote one first "
                            f"(`gridflow retrain --model {model_name}`)")
    version = str(champion.version)
    return ModelRef(model_name, version, _native_model(model_name, version) if ship_model else None)


def read_alert_area(alert: AlertContext) -> AlertArea:
    """The champion and every asset in the alert's counties and zones, with their features split
    into chunks of `score_task_rows` (one scoring task each; a small area is one chunk)."""
    settings = get_settings().storm
    seconds: dict[str, float] = {}
    counties, zones = alert_area(alert.payload["same_codes"], alert.payload["ugc_codes"],
                                 alert.payload.get("county_fips", ()))
    # The champion loads (MLflow, XGBoost and scikit-learn imports included: 1-3 s in a fresh
    # run process) on a thread while PostgreSQL streams the assets. The loaded model travels with
    # each chunk (about 0.5 MB pickled): measured cheaper than a fresh Dask worker importing MLflow
    # and loading it (10-20 s on 2 busy cores, see benchmarks/storm_scoring_dask.py), and a remote
    # worker needs no access to the model store.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="load-champion") as pool:
        loading = pool.submit(contextvars.copy_context().run, _timed, champion_ref, settings.model_name)
        started = time.perf_counter()
        with warehouse().connect() as conn:
            assets = storm_store.read_assets(conn, county_fips=counties, nws_zones=zones)
        seconds["read_assets"] = time.perf_counter() - started
        started = time.perf_counter()
        features = build_features(assets, storm_attributes(alert.payload))
        chunks = split_features(features, settings.score_task_rows)
        seconds["features"] = time.perf_counter() - started
        model, seconds["load_model"] = loading.result()
    kept = pd.DataFrame({"asset_id": assets["asset_id"].to_numpy(), "service_center": assets["service_center"],
                         "customers_served": assets["customers_served"]})
    log().info("%d assets in %d counties / %d zones, %d scoring chunk(s), %s v%s (%s)", len(assets),
               len(counties), len(zones), len(chunks), model.name, model.version,
               ", ".join(f"{k} {v:.2f} s" for k, v in seconds.items()))
    return AlertArea(model, kept, chunks, len(counties), len(zones), seconds)


def _timed(function: Any, *args: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    return function(*args), time.perf_counter() - started


def score_chunk(chunk: ScoringChunk, model: ModelRef) -> ChunkScores:
    """Outage probabilities of one chunk's rows with `model`; writes nothing (the join stores them)."""
    # Imported here: XGBoost and scikit-learn took 2 s of a run process's start (the model load
    # that needs them runs beside the assets' read instead).
    from gridflow.storm.scoring import score_frame, with_threads

    started = time.perf_counter()
    # Thread count does not change the probabilities, only how the chunks scored at once share the cores.
    estimator = with_threads(model.load(), chunk_threads(chunk.count, get_settings().task_workers))
    loaded = time.perf_counter()
    probability = score_frame(estimator, chunk.features, chunk_rows=get_settings().storm.score_chunk_rows)
    seconds = {"load_model": loaded - started, "score": time.perf_counter() - loaded}
    return ChunkScores(chunk.index, chunk.start, probability, seconds)


def chunk_threads(chunks: int, task_workers: int) -> int:
    """Threads one chunk's scoring may use: this machine's cores shared by the chunks scored at
    once, and no more than OMP_NUM_THREADS (Dask starts each worker process with 1)."""
    # Two chunks at once, each with the booster's 2 threads, took 1.7-1.9x as long as one call on
    # 2 cores (benchmarks/storm_scoring_dask.py): the threads fought over the cores.
    budget = max(1, (os.cpu_count() or 1) // max(1, min(chunks, task_workers)))
    omp = os.environ.get("OMP_NUM_THREADS", "")
    return min(budget, int(omp)) if omp.isdigit() and int(omp) > 0 else budget


def store_area_scores(alert: AlertContext, area: AlertArea, parts: Sequence[ChunkScores]) -> ScoredArea:
    """Join the chunks' probabilities in row order and store them for the alert version, in one
    write: `write_predictions` replaces the version's rows, so a re-run never doubles them."""
    started = time.perf_counter()
    probability = join_scores(parts, len(area.assets))
    scored = area.assets.assign(probability=probability)[PLAN_INPUT_COLUMNS]
    joined = time.perf_counter()
    with warehouse().begin() as conn:
        storm_store.write_predictions(conn, alert.chain_id, alert.version, area.model.version, scored)
    mine = {"join": joined - started, "write_predictions": time.perf_counter() - joined}
    # The same words as before the fan-out (benchmarks read this line); the steps are this task's own.
    log().info("scored %d assets in %d counties / %d zones with %s v%s in %d chunk(s) (%s)", len(scored),
               area.counties, area.zones, area.model.name, area.model.version, len(parts),
               ", ".join(f"{k} {v:.2f} s" for k, v in mine.items()))
    chunk_seconds = {key: sum(part.seconds.get(key, 0.0) for part in parts) for key in ("load_model", "score")}
    seconds = {**area.seconds, **{f"chunks_{k}": v for k, v in chunk_seconds.items()}, **mine}
    return ScoredArea(scored, area.model.name, area.model.version, seconds)


def plan_crews(alert: AlertContext, area: ScoredArea) -> CrewPlan:
    """Expected outages, customers out and crews per service center, with the assets to check
    first and where they are."""
    settings = get_settings().storm
    plan = build_crew_plan(area.scored, settings.crews_per_outage, settings.priority_assets_per_center,
                           context=f"{alert.payload['event']} v{alert.version}")
    # Looked up for the listed assets only: carrying locations for every scored asset would grow
    # the million-row frame each step persists.
    with warehouse().connect() as conn:
        locations = storm_store.read_asset_locations(conn, priority_asset_ids(plan))
    return with_locations(plan, locations)


def store_crew_plan(alert: AlertContext, plan: CrewPlan, area: ScoredArea, flow_run_id: str | None) -> int:
    """Store the plan as the warning's active one (superseding older versions'); idempotent per
    (alert version, model version), so a re-delivered event returns the plan already stored."""
    with warehouse().begin() as conn:
        plan_id = storm_store.store_plan(conn, plan, alert.chain_id, alert.alert_id, alert.version,
                                         area.model_name, area.model_version, flow_run_id)
    log().info("plan %d: %s", plan_id, plan.reason)
    return plan_id


def cancel_crew_plan(alert: AlertContext) -> int:
    """Mark the warning's active plan cancelled; returns the plans changed (0 when already done)."""
    with warehouse().begin() as conn:
        changed = storm_store.cancel_plans(conn, alert.chain_id)
    log().info("%s: %d plan(s) cancelled", alert.title, changed)
    return changed


def plan_report(alert: AlertContext) -> PlanReport:
    """The warning's current plan (active, cancelled or superseded) rendered for artifacts."""
    key = artifact_key(alert.payload.get("event"), alert.chain_id)
    with warehouse().connect() as conn:
        found = storm_store.read_plan(conn, alert.chain_id)
        statuses = {int(row["id"]): str(row["status"]) for row in storm_store.list_plans(conn, alert.chain_id)}
    if found is None:
        markdown = f"No crew plan for {alert.title} (v{alert.version}): {alert.decision.reason}\n"
        return PlanReport(key, markdown, alert.title[:200], statuses=statuses)
    plan, lines = found
    return PlanReport(key, plan_markdown(plan, lines, alert=alert.payload),
                      f"{plan['status']}: {alert.title[:150]} v{plan['alert_version']}",
                      plan_table(lines),
                      f"Plan {plan['id']} ({plan['status']}) for {alert.title} v{plan['alert_version']}",
                      statuses)
