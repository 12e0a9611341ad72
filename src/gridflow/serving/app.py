"""The FastAPI app: prediction, the issued forecast, the model list, health, readiness, metrics.

I/O is injected (the holder, the model list, the forecast reader), so tests can build the app on
any holder; `build_app` wires the real registry and warehouse.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from gridflow.serving import parsing
from gridflow.serving.auth import check_key
from gridflow.serving.holder import ModelHolder, Poller, Served
from gridflow.serving.metrics import ApiMetrics, new_metrics
from gridflow.usecases.configs import ApiConfig

log = logging.getLogger("gridflow.serving")
VERSION_HEADER = "X-Model-Version"
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
) -> FastAPI:
    """The scoring app on `holder`; with `poll`, a background poller keeps it on the champions."""
    metrics = metrics or new_metrics()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        poller = Poller(holder, config.poll_seconds) if poll else None
        if poller is not None:
            poller.start()
        try:
            yield
        finally:
            if poller is not None:
                poller.stop()

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
        body = {"ready": holder.ready(), "serving": served}
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
        return rows

    @app.post("/models/{name}/predict")
    async def predict_endpoint(name: str, request: Request) -> Response:
        """Score a `dataframe_split` or `dataframe_records` body with the champion of `name`."""
        started = time.perf_counter()
        served = holder.get(name)  # taken once: this request scores with this version only
        if served is None:
            status = 404 if name not in holder.names else 503
            return JSONResponse({"error": f"no champion of {name!r} is loaded"}, status_code=status)
        try:
            # A declared size over the limit is refused before the body is read into memory.
            parsing.check_declared_size(request.headers.get("content-length"), config.max_body_bytes)
            body = await request.body()
            parsing.check_size(body, config.max_body_bytes)
            frame = parsing.to_frame(parsing.parse_records(body), served.input_types, config.max_rows)
            predictions = await run_in_threadpool(predict, served, frame)
        except parsing.RequestError as exc:
            response: Response = JSONResponse(exc.detail(), status_code=exc.status)
        else:
            response = JSONResponse({"predictions": predictions, "model": name, "version": served.version})
        response.headers[VERSION_HEADER] = served.version
        metrics.observe(name, served.version, response.status_code, time.perf_counter() - started)
        return response

    @app.get("/forecast/{zone}")
    async def forecast(zone: str, date: date) -> Response:
        """The latest issued day-ahead forecast of `zone` for the local day `date` (404 if none)."""
        issued = await run_in_threadpool(read_forecast, zone, date)
        if issued is None:
            return JSONResponse({"error": f"no forecast issued for {zone} {date}"}, status_code=404)
        return JSONResponse(issued, headers={VERSION_HEADER: str(issued["version"])})

    return app
