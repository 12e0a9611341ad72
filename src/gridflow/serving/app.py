"""The FastAPI app: prediction, the issued forecast, the model list, health, readiness, metrics.

I/O is injected (the holders, the model list, the forecast reader, the prediction log), so tests
can build the app on any holder; `build_app` wires the real registry and warehouse. A model with a
traffic rule also follows its `challenger` (shadow or A/B, gridflow.serving.traffic).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from gridflow.serving import parsing, traffic
from gridflow.serving.auth import check_key
from gridflow.serving.champion_events import ChampionListener
from gridflow.serving.holder import ModelHolder, Poller, Served
from gridflow.serving.metrics import ApiMetrics, new_metrics
from gridflow.serving.prediction_log import PredictionLog, RequestRows
from gridflow.serving.recorder import AnswerRecorder
from gridflow.serving.shadow import ShadowRunner
from gridflow.usecases.configs import ApiConfig

log = logging.getLogger("gridflow.serving")
VERSION_HEADER = "X-Model-Version"
ARM_HEADER = "X-Model-Arm"
REQUEST_ID_HEADER = "X-Request-Id"  # the id its rows carry in prediction_log
REQUEST_KEY_HEADER = "X-Request-Key"  # decides the A/B arm; wins over the rule's key column
KEY_HEADER = "X-API-Key"
OPEN_PATHS = {"/health", "/ready", "/metrics", "/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"}

Predictor = Callable[[Served, Any], list[Any]]
ForecastReader = Callable[[str, date], dict[str, Any] | None]


def create_app(
    holder: ModelHolder,
    config: ApiConfig,
    *,
    predict: Predictor,
    list_models: Callable[[], list[dict[str, Any]]],
    read_forecast: ForecastReader,
    metrics: ApiMetrics | None = None,
    poll: bool = True,
    challengers: ModelHolder | None = None,
    prediction_log: PredictionLog | None = None,
    listen_for_events: bool = False,
) -> FastAPI:
    """The scoring app on `holder`; with `poll`, background pollers keep it on the champions (and
    on the `challengers` of models with a traffic rule); with `listen_for_events`, alias-moving
    Prefect events swap at once; every answer goes to `prediction_log`."""
    metrics = metrics or new_metrics()
    recorder = AnswerRecorder(predict, metrics, prediction_log, config.max_rows)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        pollers = [Poller(holder, config.poll_seconds)] if poll else []
        if poll and challengers is not None:
            pollers.append(Poller(challengers, config.poll_seconds, name="gridflow-challenger-poller"))
        for poller in pollers:
            poller.start()
        holders = [holder] if challengers is None else [holder, challengers]
        listener = ChampionListener(*holders) if listen_for_events else None
        if listener is not None:
            listener.start()
        if challengers is not None:
            recorder.shadow = ShadowRunner(config.shadow_workers, config.shadow_queue)
        if prediction_log is not None:
            prediction_log.start()
        try:
            yield
        finally:
            for poller in pollers:
                poller.stop()
            if listener is not None:
                listener.stop()
            # Shadow scorings accepted so far still log their rows; then the last batch is written.
            shadow, recorder.shadow = recorder.shadow, None
            if shadow is not None:
                shadow.close()
            if prediction_log is not None:
                prediction_log.close()

    app = FastAPI(title="gridflow scoring API", lifespan=lifespan,
                  description="Every use case's `@champion`, hot-swapped when the alias moves.")

    @app.middleware("http")
    async def require_key(request: Request, call_next: Callable) -> Response:
        # Only the outcome is logged, never the header: a key in a log is a leaked key.
        if request.url.path in OPEN_PATHS:
            return await call_next(request)
        result = check_key(request.headers.get(KEY_HEADER), config.keys)
        if not result.ok:
            message = "missing X-API-Key header" if result.status == 401 else "unknown API key"
            log.info("refused %s %s: %s", request.method, request.url.path, message)
            return JSONResponse({"error": message}, status_code=result.status)
        request.state.client = result.client
        return await call_next(request)

    @app.get("/health")
    def health() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @app.get("/ready")
    def ready() -> JSONResponse:
        """200 once every existing champion is loaded, 503 before."""
        served = {name: s.version for name, s in holder.served().items()}
        body: dict[str, Any] = {"ready": holder.ready(), "serving": served}
        if challengers is not None:  # informative only: a challenger never holds readiness back
            body["challengers"] = {name: s.version for name, s in challengers.served().items()}
        return JSONResponse(body, status_code=200 if body["ready"] else 503)

    @app.get("/metrics")
    def prometheus() -> Response:
        """Request counts and latency by model, version and status (Prometheus text format)."""
        payload, content_type = metrics.exposition()
        return Response(payload, media_type=content_type)

    @app.get("/models")
    async def models() -> list[dict[str, Any]]:
        """Each served use case: champion version, aliases, holdout metrics, and the version loaded."""
        rows = await run_in_threadpool(list_models)
        for row in rows:
            served = holder.get(row["name"])
            row["serving"] = None if served is None else served.version
            rule = config.traffic.get(row["name"])
            row["traffic"] = traffic.SERVE if rule is None else rule.mode
            challenger = None if challengers is None or rule is None else challengers.get(row["name"])
            row["challenger_serving"] = None if challenger is None else challenger.version
        return rows

    @app.post("/models/{name}/predict")
    async def predict_endpoint(name: str, request: Request) -> Response:
        """Score a `dataframe_split` or `dataframe_records` body with the champion of `name`, or its
        challenger under an A/B rule; the answer names the version (body and `X-Model-Version`)."""
        started = time.perf_counter()
        served = holder.get(name)  # taken once: this request scores with this version only
        if served is None:
            status = 404 if name not in holder.names else 503
            return JSONResponse({"error": f"no champion of {name!r} is loaded"}, status_code=status)
        rule = config.traffic.get(name)
        challenger = None if challengers is None or rule is None else challengers.get(name)  # taken once too
        plan = traffic.Plan(traffic.SERVE, traffic.CHAMPION, served)  # until the body says otherwise
        request_id = str(uuid.uuid4())
        try:
            # A declared size over the limit is refused before the body is read into memory.
            parsing.check_declared_size(request.headers.get("content-length"), config.max_body_bytes)
            body = await request.body()
            parsing.check_size(body, config.max_body_bytes)
            rows, keys = traffic.split_key(parsing.parse_records(body), rule and rule.key, served.input_types)
            key = traffic.request_key(request.headers.get(REQUEST_KEY_HEADER), keys)
            plan = traffic.plan(rule, name, key, served, challenger)
            frame = parsing.to_frame(rows, plan.answer.input_types, config.max_rows)
            scoring_started = time.perf_counter()
            predictions = await run_in_threadpool(predict, plan.answer, frame)
            scoring_seconds = time.perf_counter() - scoring_started
        except parsing.RequestError as exc:
            response: Response = JSONResponse(exc.detail(), status_code=exc.status)
        else:
            response = JSONResponse({"predictions": predictions, "model": name, "version": plan.answer.version})
            client = getattr(request.state, "client", None)
            try:
                recorder.answered(name, plan, RequestRows(request_id, rows, keys, key, client), predictions,
                                  scoring_seconds)
            except Exception:  # the log and the shadow are for us, the answer is for the caller
                log.exception("recording the answer of %s request %s failed", name, request_id)
        response.headers[VERSION_HEADER] = plan.answer.version
        response.headers[ARM_HEADER] = plan.arm
        response.headers[REQUEST_ID_HEADER] = request_id
        metrics.observe(name, plan.answer.version, response.status_code, time.perf_counter() - started, arm=plan.arm)
        return response

    @app.get("/forecast/{zone}")
    async def forecast(zone: str, date: date) -> Response:
        """The latest issued day-ahead forecast of `zone` for the local day `date` (404 if none)."""
        issued = await run_in_threadpool(read_forecast, zone, date)
        if issued is None:
            return JSONResponse({"error": f"no forecast issued for {zone} {date}"}, status_code=404)
        return JSONResponse(issued, headers={VERSION_HEADER: str(issued["version"])})

    return app
