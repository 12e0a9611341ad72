"""Prometheus metrics of the scoring API, in a registry of their own per app (tests build several)."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

LABELS = ("model", "version", "status")


@dataclass(frozen=True)
class ApiMetrics:
    """The request counter and latency histogram, labelled by model, version and status."""

    registry: CollectorRegistry
    requests: Counter
    latency: Histogram

    def observe(self, model: str, version: str, status: int, seconds: float) -> None:
        """Count one answered request and its latency."""
        labels = {"model": model, "version": version, "status": str(status)}
        self.requests.labels(**labels).inc()
        self.latency.labels(**labels).observe(seconds)

    def exposition(self) -> tuple[bytes, str]:
        """The metrics in the Prometheus text format, with its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


def new_metrics() -> ApiMetrics:
    """Fresh metrics in a fresh registry."""
    registry = CollectorRegistry()
    requests = Counter("gridflow_api_requests", "Scoring API requests answered.", LABELS, registry=registry)
    latency = Histogram("gridflow_api_request_seconds", "Scoring API request latency.", LABELS, registry=registry,
                        buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
    return ApiMetrics(registry, requests, latency)
