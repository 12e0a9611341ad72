"""The local stack's process handling, with stand-in processes instead of the real servers."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from gridflow.config import Settings
from gridflow.errors import ConfigError
from gridflow.services import mlflow_server, stack
from gridflow.services.stack import Service, ServiceStatus, service_pid, start_service, stop_service
from tests.conftest import free_port

SLEEPER = (sys.executable, "-c", "import time; time.sleep(120)")


def sleeper(tmp_path: Path, health=None, command=SLEEPER) -> Service:
    return Service(name="sleeper", command=command, run_dir=tmp_path / "stack", health=health)


def test_start_is_idempotent_and_stop_ends_the_process(tmp_path):
    service = sleeper(tmp_path)
    assert start_service(service, timeout=10) is True
    pid = service_pid(service)
    assert pid is not None and service.pid_file.read_text() == str(pid)
    assert start_service(service, timeout=10) is False  # already running: left alone
    assert service_pid(service) == pid
    assert stop_service(service, timeout=10) is True
    assert service_pid(service) is None and not service.pid_file.exists()
    assert stop_service(service) is False


def test_a_process_that_exits_points_at_its_log(tmp_path):
    service = sleeper(tmp_path, command=(sys.executable, "-c", "import sys; print('boom'); sys.exit(3)"),
                      health=lambda: False)
    with pytest.raises(ConfigError, match=r"exited with code 3.*sleeper\.log"):
        start_service(service, timeout=10)
    assert "boom" in service.log_file.read_text()
    assert not service.pid_file.exists()


def test_a_process_that_never_gets_healthy_is_stopped(tmp_path):
    service = sleeper(tmp_path, health=lambda: False)
    started = time.monotonic()
    with pytest.raises(ConfigError, match="not healthy within 1 s"):
        start_service(service, timeout=1)
    assert time.monotonic() - started < 60  # gave up and stopped it (generous: stopping may take 20 s)
    assert service_pid(service) is None


def test_refuses_a_port_someone_else_answers_on(tmp_path):
    with pytest.raises(ConfigError, match="something else already answers"):
        start_service(sleeper(tmp_path, health=lambda: True), timeout=5)


def test_a_worker_starts_though_its_pool_still_reads_ready(tmp_path):
    # A pool reads `ready` for a while after `gridflow down` stopped its worker; `up` must still start one.
    worker = Service(name="worker", command=SLEEPER, run_dir=tmp_path / "stack", health=lambda: True,
                     owns_port=False)
    assert start_service(worker, timeout=10) is True
    assert service_pid(worker) is not None
    assert stop_service(worker, timeout=10) is True


def test_status_state():
    assert ServiceStatus("a", 1, True, None, None).state == "running"
    assert ServiceStatus("a", 1, False, None, None).state == "unhealthy"
    assert ServiceStatus("a", None, False, None, None).state == "stopped"


def settings(tmp_path, **overrides) -> Settings:
    return Settings(home=tmp_path / "home", prefect_port=free_port(), mlflow_ui_port=free_port(),
                    api_port=free_port(), **overrides)


def test_the_stack_on_the_embedded_defaults(tmp_path):
    s = settings(tmp_path)
    assert stack.api_url(s) == f"http://127.0.0.1:{s.prefect_port}/api"
    assert stack.ui_url(s) == f"http://127.0.0.1:{s.prefect_port}"
    assert stack.embedded_mlflow(s)
    ui = stack.mlflow_ui_service(s)
    command = list(ui.command)
    assert command[command.index("--backend-store-uri") + 1] == f"sqlite:///{s.home / 'mlflow.db'}"
    assert command[command.index("--default-artifact-root") + 1] == (s.home / "mlartifacts").as_uri()
    assert command[command.index("--host") + 1] == "127.0.0.1"
    assert ui.url == f"http://127.0.0.1:{s.mlflow_ui_port}"
    worker = stack.worker_service(s, "gridflow-process")
    assert list(worker.command[-5:]) == ["worker", "--pool", "gridflow-process", "--limit", "4"]
    # Absolute: flow runs find the same stores whatever their working directory.
    assert Path(worker.env["GRIDFLOW_HOME"]).is_absolute()
    assert worker.env["GRIDFLOW_PREFECT_API_URL"] == stack.api_url(s)
    assert worker.pid_file.parent == ui.pid_file.parent == s.home / "stack"
    api = stack.api_service(s)
    assert list(api.command[-3:]) == ["api", "--port", str(s.api_port)]
    assert Path(api.env["GRIDFLOW_HOME"]).is_absolute() and api.url == f"http://127.0.0.1:{s.api_port}/docs"
    assert api.env["GRIDFLOW_PREFECT_API_URL"] == stack.api_url(s)


def test_an_external_api_and_mlflow_server_are_used_not_started(tmp_path):
    s = settings(tmp_path, prefect_api_url="http://prefect.internal:4200/api",
                 mlflow_tracking_uri="http://mlflow.internal:5000")
    assert stack.api_url(s) == "http://prefect.internal:4200/api"
    assert stack.ui_url(s) == "http://prefect.internal:4200"
    assert not stack.embedded_mlflow(s)
    assert s.mlflow_artifact_root is None  # the server keeps the artifacts, not a local folder


def test_status_when_nothing_runs(tmp_path):
    rows = stack.status(settings(tmp_path), pool="gridflow-process")
    assert [(r.name, r.state) for r in rows] == [
        ("prefect-server", "stopped"), ("mlflow-ui", "stopped"), ("worker", "stopped"), ("api", "stopped")]


def test_down_when_nothing_runs(tmp_path):
    assert stack.down(settings(tmp_path)) == [
        ("api", False), ("worker", False), ("mlflow-ui", False), ("prefect-server", False)]


def test_mlflow_server_command():
    proxied = mlflow_server.server_command(backend_store_uri="postgresql+psycopg://u@h/mlflow", port=5001,
                                           host="0.0.0.0", artifacts_destination="/mlartifacts", workers=2)
    assert proxied[1:4] == ["-m", "mlflow", "server"]
    assert proxied[proxied.index("--artifacts-destination") + 1] == "/mlartifacts"
    assert "--serve-artifacts" in proxied and "--default-artifact-root" not in proxied
    assert proxied[proxied.index("--workers") + 1] == "2"
    assert not mlflow_server.is_healthy(f"http://127.0.0.1:{free_port()}")
