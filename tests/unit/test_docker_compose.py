"""docker-compose.yml cannot run here (no Docker engine): check its structure instead."""

from __future__ import annotations

import re

import yaml

from gridflow.provenance import PROJECT_ROOT

COMPOSE = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())


def test_services_and_healthchecks():
    services = COMPOSE["services"]
    assert {"postgres", "prefect-server", "mlflow", "worker"} <= set(services)
    for name in ("postgres", "prefect-server", "mlflow"):
        assert "healthcheck" in services[name], name
    for dependency in services["worker"]["depends_on"].values():
        assert dependency["condition"] == "service_healthy"


def test_ports_bound_to_loopback_only():
    for name, service in COMPOSE["services"].items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), (name, port)


def test_no_inline_secrets():
    text = (PROJECT_ROOT / "docker-compose.yml").read_text()
    for match in re.finditer(r"(PASSWORD|KEY|SECRET)[A-Z_]*:\s*(\S+)", text):
        assert match.group(2).startswith("${"), match.group(0)
    assert (PROJECT_ROOT / ".env.example").is_file()
    assert ".env" in (PROJECT_ROOT / ".gitignore").read_text().split()
