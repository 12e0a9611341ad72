"""docker-compose.yml cannot run here (no Docker engine): check its structure instead.

tests/integration/test_stack_processes.py runs the same services as plain processes.
"""

from __future__ import annotations

import re

import yaml

from gridflow.provenance import PROJECT_ROOT

COMPOSE_TEXT = (PROJECT_ROOT / "docker-compose.yml").read_text()
COMPOSE = yaml.safe_load(COMPOSE_TEXT)
SERVICES = COMPOSE["services"]
ENV_EXAMPLE = (PROJECT_ROOT / ".env.example").read_text()
# `${VAR}`, `${VAR:-default}`, `${VAR:?message}`; `$${VAR}` is escaped for the container's shell.
INTERPOLATION = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)")


def strings(node) -> list[str]:
    """Every string value in the parsed file (comments are not configuration)."""
    if isinstance(node, dict):
        return [s for v in node.values() for s in strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in strings(v)]
    return [node] if isinstance(node, str) else []


def env_example_keys() -> set[str]:
    return {line.split("=", 1)[0].strip() for line in ENV_EXAMPLE.splitlines()
            if line.strip() and not line.lstrip().startswith("#") and "=" in line}


def environment(name: str) -> dict[str, str]:
    env = SERVICES[name].get("environment", {})
    return dict(env) if isinstance(env, dict) else dict(item.split("=", 1) for item in env)


def test_services_and_healthchecks():
    assert set(SERVICES) == {"postgres", "prefect-server", "mlflow", "worker", "kafka", "stream", "api",
                             "dask-scheduler", "dask-worker"}
    for name, service in SERVICES.items():
        test = service["healthcheck"]["test"]
        assert test[0] in ("CMD", "CMD-SHELL"), name
    assert "pg_isready" in SERVICES["postgres"]["healthcheck"]["test"][1]
    assert "/api/health" in SERVICES["prefect-server"]["healthcheck"]["test"][-1]
    assert "5000/health" in SERVICES["mlflow"]["healthcheck"]["test"][-1]
    # The worker's /health is Prefect's worker webserver on the port the environment sets.
    port = environment("worker")["PREFECT_WORKER_WEBSERVER_PORT"]
    assert f"127.0.0.1:{port}/health" in SERVICES["worker"]["healthcheck"]["test"][-1]
    assert "--healthcheck" in SERVICES["worker"]["command"]
    assert "kafka-broker-api-versions.sh" in SERVICES["kafka"]["healthcheck"]["test"][1]
    # The stream consumer has no port: its health check reads the heartbeat file it touches.
    heartbeat = environment("stream")["GRIDFLOW_STREAM__HEARTBEAT_FILE"]
    assert heartbeat in SERVICES["stream"]["healthcheck"]["test"][-1]
    assert "127.0.0.1:8000/health" in SERVICES["api"]["healthcheck"]["test"][-1]


def test_start_order_waits_for_healthy_dependencies():
    expected = {
        "postgres": set(),
        "prefect-server": {"postgres"},
        "mlflow": {"postgres"},
        "worker": {"postgres", "prefect-server", "mlflow", "dask-worker"},
        "kafka": set(),
        "stream": {"postgres", "prefect-server", "mlflow", "kafka"},
        "api": {"postgres", "prefect-server", "mlflow"},
        "dask-scheduler": set(),
        "dask-worker": {"postgres", "prefect-server", "mlflow", "dask-scheduler"},
    }
    for name, dependencies in expected.items():
        depends_on = SERVICES[name].get("depends_on", {})
        assert set(depends_on) == dependencies, name
        for dependency in depends_on.values():
            assert dependency["condition"] == "service_healthy", name


def test_postgres_keeps_its_data_and_creates_one_database_per_store():
    volumes = SERVICES["postgres"]["volumes"]
    assert any(v.startswith("pgdata:/var/lib/postgresql/data") for v in volumes)
    assert "pgdata" in COMPOSE["volumes"]
    init = (PROJECT_ROOT / "docker" / "postgres-init.sql").read_text()
    assert "CREATE DATABASE prefect" in init and "CREATE DATABASE mlflow" in init
    assert environment("postgres")["POSTGRES_DB"] == "gridflow"


def test_prefect_server_runs_on_postgres():
    env = environment("prefect-server")
    assert env["PREFECT_SERVER_DATABASE_DRIVER"] == "postgresql+asyncpg"
    assert env["PREFECT_SERVER_DATABASE_HOST"] == "postgres"
    assert env["PREFECT_SERVER_DATABASE_NAME"] == "prefect"
    assert SERVICES["prefect-server"]["command"][:3] == ["prefect", "server", "start"]


def test_mlflow_on_postgres_with_an_artifact_volume():
    service = SERVICES["mlflow"]
    assert environment("mlflow")["MLFLOW_BACKEND_STORE_URI"].startswith("postgresql+psycopg://")
    assert environment("mlflow")["MLFLOW_BACKEND_STORE_URI"].endswith("@postgres:5432/mlflow")
    command = service["command"]
    assert command[:2] == ["mlflow", "server"] and "--serve-artifacts" in command
    destination = command[command.index("--artifacts-destination") + 1]
    assert any(v == f"mlartifacts:{destination}" for v in service["volumes"])
    # The worker reaches it as `mlflow`, which MLflow 3's host check must allow.
    assert "mlflow:5000" in environment("mlflow")["MLFLOW_SERVER_ALLOWED_HOSTS"].split(",")


def test_mlflow_runs_as_the_local_stack_does_without_its_job_runner():
    from gridflow.services.mlflow_server import SERVER_ENVIRONMENT

    # The job runner's seven processes are most of the stack's memory; the local stack turns it off too.
    assert SERVER_ENVIRONMENT["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] == "false"
    assert SERVER_ENVIRONMENT.items() <= environment("mlflow").items()


def test_worker_is_built_from_the_project_and_registers_the_deployments_on_start():
    worker = SERVICES["worker"]
    assert worker["build"] == "."
    assert worker["command"][:3] == ["gridflow", "worker", "--deploy"]
    env = environment("worker")
    assert env["GRIDFLOW_PREFECT_API_URL"] == "http://prefect-server:4200/api"
    assert env["GRIDFLOW_MLFLOW_TRACKING_URI"] == "http://mlflow:5000"
    assert env["GRIDFLOW_WAREHOUSE_URL"].startswith("postgresql+psycopg://")
    assert any(v.startswith("gridflow-home:" + env["GRIDFLOW_HOME"]) for v in worker["volumes"])
    # The servers run the same image, so every process has the locked versions the tests ran.
    for name in ("prefect-server", "mlflow"):
        assert SERVICES[name]["image"] == worker["image"] == "gridflow:local"


def test_dockerfile_runs_the_worker_as_an_unprivileged_user():
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    assert "requirements.lock" in dockerfile
    assert re.search(r"^USER (?!root\b|0\b)\S+", dockerfile, re.MULTILINE)
    assert 'CMD ["gridflow", "worker", "--deploy", "--healthcheck"]' in dockerfile
    ignored = (PROJECT_ROOT / ".dockerignore").read_text().split()
    assert ".env" in ignored and ".venv" in ignored and ".gridflow" in ignored


def test_ports_bound_to_loopback_only():
    published = 0
    for name, service in SERVICES.items():
        for port in service.get("ports", []):
            published += 1
            assert str(port).startswith("127.0.0.1:"), (name, port)
    # PostgreSQL, Prefect UI/API, MLflow UI, Kafka's host listener, the scoring API; the worker and
    # the stream publish nothing.
    assert published == 5


def test_no_inline_secrets():
    for name in SERVICES:
        for key, value in environment(name).items():
            if re.search(r"PASSWORD|SECRET|TOKEN|KEY", key):
                assert str(value).startswith("${"), (name, key)
            # Credentials inside URLs come from variables too.
            for userinfo in re.findall(r"://([^@/\s]+)@", str(value)):
                assert all(part.startswith("${") for part in userinfo.split(":")), (name, key)
    assert "change-me" not in COMPOSE_TEXT
    assert ".env" in (PROJECT_ROOT / ".gitignore").read_text().split()


def test_every_variable_comes_from_the_env_file():
    referenced = {name for value in strings(COMPOSE) for name in INTERPOLATION.findall(value)}
    assert {"POSTGRES_USER", "POSTGRES_PASSWORD"} <= referenced
    assert referenced <= env_example_keys(), referenced - env_example_keys()
    assert SERVICES["worker"]["env_file"] == ".env"
    # Required credentials stop compose with a message instead of starting with an empty password.
    uses = [m for value in strings(COMPOSE) for m in re.findall(r"(?<!\$)\$\{POSTGRES_(?:USER|PASSWORD)[^}]*\}", value)]
    assert uses and all(":?" in m for m in uses), uses


def test_env_example_holds_no_real_secret():
    values = {line.split("=", 1)[0]: line.split("=", 1)[1].strip()
              for line in ENV_EXAMPLE.splitlines() if "=" in line and not line.startswith("#")}
    assert values["POSTGRES_PASSWORD"] == "change-me"
    assert values["PJM_API_KEY"] == "" and values["GRIDFLOW_NOTIFY__WEBHOOK_URL"] == ""


def test_kafka_runs_one_kraft_node_that_keeps_its_data():
    env = environment("kafka")
    assert SERVICES["kafka"]["image"].startswith("apache/kafka:")
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}  # KRaft, no ZooKeeper
    assert not any("ZOOKEEPER" in key for key in env)
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == f"{env['KAFKA_NODE_ID']}@kafka:9093"
    assert "PLAINTEXT://kafka:9092" in env["KAFKA_ADVERTISED_LISTENERS"].split(",")
    assert any(v == f"kafkadata:{env['KAFKA_LOG_DIRS']}" for v in SERVICES["kafka"]["volumes"])
    assert "kafkadata" in COMPOSE["volumes"]
    # One node holds one replica: a higher factor leaves the consumer group without offsets.
    assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "1"


def test_stream_consumer_runs_the_project_image_against_kafka_and_the_shared_stores():
    stream, worker = SERVICES["stream"], SERVICES["worker"]
    assert stream["image"] == worker["image"] == "gridflow:local" and stream["build"] == "."
    assert stream["command"] == ["gridflow", "stream"]
    assert stream["env_file"] == worker["env_file"] == ".env"
    env = environment("stream")
    assert env["GRIDFLOW_STREAM__BROKER_URL"] == "kafka://kafka:9092"
    for key in ("GRIDFLOW_PREFECT_API_URL", "GRIDFLOW_MLFLOW_TRACKING_URI", "GRIDFLOW_WAREHOUSE_URL", "GRIDFLOW_HOME"):
        assert env[key] == environment("worker")[key], key


def test_scoring_api_serves_the_shared_stores_on_loopback_with_keys_from_the_env_file():
    api, worker = SERVICES["api"], SERVICES["worker"]
    assert api["image"] == worker["image"] and api["command"][:2] == ["gridflow", "api"]
    assert api["command"][api["command"].index("--port") + 1] == "8000"
    assert api["ports"] == ["127.0.0.1:8000:8000"]
    assert api["env_file"] == ".env"  # GRIDFLOW_API__KEYS (hashes) and traffic rules live there
    env = environment("api")
    for key in ("GRIDFLOW_PREFECT_API_URL", "GRIDFLOW_MLFLOW_TRACKING_URI", "GRIDFLOW_WAREHOUSE_URL", "GRIDFLOW_HOME"):
        assert env[key] == environment("worker")[key], key


def test_the_worker_fans_out_on_the_dask_cluster_whose_workers_share_its_stores():
    worker, dask_worker = environment("worker"), environment("dask-worker")
    assert worker["GRIDFLOW_TASK_RUNNER"] == "${GRIDFLOW_TASK_RUNNER:-tcp://dask-scheduler:8786}"
    assert SERVICES["dask-scheduler"]["command"][:2] == ["dask", "scheduler"]
    assert "--port" in SERVICES["dask-scheduler"]["command"] and "8786" in SERVICES["dask-scheduler"]["command"]
    assert SERVICES["dask-worker"]["command"][:3] == ["dask", "worker", "tcp://dask-scheduler:8786"]
    assert SERVICES["dask-worker"]["image"] == SERVICES["worker"]["image"] == "gridflow:local"
    assert SERVICES["dask-worker"]["deploy"]["replicas"] == 2
    # A task shipped to a Dask worker reaches the same stores, and leaves its result where the flow reads it.
    for key in ("GRIDFLOW_PREFECT_API_URL", "GRIDFLOW_MLFLOW_TRACKING_URI", "GRIDFLOW_WAREHOUSE_URL", "GRIDFLOW_HOME"):
        assert dask_worker[key] == worker[key], key
    assert dask_worker["PREFECT_RESULTS_LOCAL_STORAGE_PATH"].startswith(worker["GRIDFLOW_HOME"])
    assert any(v.startswith("gridflow-home:") for v in SERVICES["dask-worker"]["volumes"])
    # The setting's value is one the task runner accepts.
    from gridflow.task_runners import runner_kind

    assert runner_kind("tcp://dask-scheduler:8786") == "scheduler"
