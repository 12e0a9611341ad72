"""Prometheus metrics of the scoring API, in a registry of their own per app (tests build several).

Requests are labelled by model, the version that answered, its arm (`champion` or `challenger`,
gridflow.serving.traffic) and the status; the model's own scoring time is kept per arm too, shadow
scorings included, so a challenger's cost shows before it answers anyone.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

LABELS = ("model", "version", "arm", "status")
MODEL_LABELS = ("model", "version", "arm")
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


@dataclass(frozen=True)
class ApiMetrics:
    """Request, scoring, shadow and prediction-log metrics of one app."""

    registry: CollectorRegistry
    requests: Counter
    latency: Histogram
    scoring: Histogram
    shadow: Counter
    log_rows: Counter

    def observe(self, model: str, version: str, status: int, seconds: float, arm: str = "champion") -> None:
        """Count one answered request and its latency, by the version and arm that answered."""
        labels = {"model": model, "version": version, "arm": arm, "status": str(status)}
        self.requests.labels(**labels).inc()
        self.latency.labels(**labels).observe(seconds)

    def observe_scoring(self, model: str, version: str, arm: str, seconds: float) -> None:
        """The time one version's model took to score a request (returned or shadow)."""
        self.scoring.labels(model=model, version=version, arm=arm).observe(seconds)

    def count_shadow(self, model: str, version: str, outcome: str) -> None:
        """One shadow scoring: `ok`, `error`, or `skipped` (backlog full)."""
        self.shadow.labels(model=model, version=version, outcome=outcome).inc()

    def count_log_rows(self, outcome: str, rows: int) -> None:
        """Prediction-log rows `written`, `dropped_queue_full` or `dropped_write_failed`."""
        self.log_rows.labels(outcome=outcome).inc(rows)

    def exposition(self) -> tuple[bytes, str]:
        """The metrics in the Prometheus text format, with its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


def new_metrics() -> ApiMetrics:
    """Fresh metrics in a fresh registry."""
    registry = CollectorRegistry()
    requests = Counter("gridflow_api_requests", "Scoring API requests answered.", LABELS, registry=registry)
    latency = Histogram("gridflow_api_request_seconds", "Scoring API request latency.", LABELS, registry=registry,
                        buckets=_BUCKETS)
    scoring = Histogram("gridflow_api_model_seconds", "Time a model version took to score a request, per arm.",
                        MODEL_LABELS, registry=registry, buckets=_BUCKETS)
    shadow = Counter("gridflow_api_shadow_scorings", "Shadow scorings by the challenger, by outcome.",
                     ("model", "version", "outcome"), registry=registry)
    log_rows = Counter("gridflow_api_prediction_log_rows", "Prediction-log rows written or dropped.",
                       ("outcome",), registry=registry)
    return ApiMetrics(registry, requests, latency, scoring, shadow, log_rows)
