"""The `mlflow server` command line, shared by the local stack and the process-level stack test.

docker-compose runs the same server on PostgreSQL with an artifact volume (see docker-compose.yml);
locally it serves the UI on the embedded SQLite store.
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request


def server_command(*, backend_store_uri: str, port: int, host: str = "127.0.0.1",
                   default_artifact_root: str | None = None, artifacts_destination: str | None = None,
                   workers: int = 1) -> list[str]:
    """`mlflow server` for this interpreter's MLflow.

    With `artifacts_destination` the server proxies artifacts (clients only need its URL, as the
    compose worker does); with `default_artifact_root` clients write artifacts there themselves
    (the embedded store, where the worker and the UI share the folder).
    """
    command = [sys.executable, "-m", "mlflow", "server", "--host", host, "--port", str(port),
               "--backend-store-uri", backend_store_uri, "--workers", str(workers)]
    if artifacts_destination:
        command += ["--serve-artifacts", "--artifacts-destination", artifacts_destination]
    if default_artifact_root:
        command += ["--default-artifact-root", default_artifact_root]
    return command


# MLflow 3's server starts a job runner (seven worker processes, ~2 GB resident) for features
# gridflow never uses (scheduled judges, prompt optimisation); telemetry would phone home.
SERVER_ENVIRONMENT = {"MLFLOW_DISABLE_TELEMETRY": "true", "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}


def is_healthy(base_url: str, timeout: float = 2.0) -> bool:
    """True when an MLflow server answers its health check at `base_url`."""
    try:
        with urllib.request.urlopen(f"{base_url.rstrip('/')}/health", timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False
