"""`gridflow rollback`, `gridflow history` and `gridflow models` as an operator types them.

Each command runs as its own process (`python -m gridflow_cli ...`) on the test's real MLflow
store and SQLite warehouse, with two promoted versions of a model registered beforehand.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.integration.test_promotion_and_rollback import promote, register

pytestmark = pytest.mark.integration


def gridflow(*args: str) -> subprocess.CompletedProcess:
    """`gridflow ARGS` in a fresh process with this test's environment (stores, Prefect API)."""
    return subprocess.run([sys.executable, "-m", "gridflow_cli", *args], env=dict(os.environ),
                          capture_output=True, text=True, timeout=300)


def test_rollback_and_history_through_the_cli(gridflow_env):
    from gridflow.registry import mlflow_registry as registry
    from gridflow.runtime import mlflow_ready, warehouse
    from gridflow.warehouse import audit

    mlflow_ready()
    experiment = registry.ensure_experiment("toy")
    v1 = register(experiment, 1.0)
    assert promote(warehouse(), v1, 5.0).action == "promote"
    v2 = register(experiment, 2.0)
    assert promote(warehouse(), v2, 4.0, 5.0, v1.version).action == "promote"
    assert registry.alias_version_number("toy", registry.CHAMPION) == v2.version

    back = gridflow("rollback", "toy", "--reason", "v2 overshoots the Monday peak", "--actor", "carol")
    assert back.returncode == 0, back.stdout[-2000:] + back.stderr[-3000:]
    with warehouse().connect() as conn:
        trail = audit.decision_history(conn, "toy")
    newest = trail[0]
    assert f"toy: champion v{v2.version} -> v{v1.version} (audit row {newest['id']})" in back.stdout

    # The alias moved back in the MLflow store, and the move is the newest audit row.
    assert registry.alias_version_number("toy", registry.CHAMPION) == v1.version
    assert (newest["action"], newest["actor"], newest["from_version"], newest["to_version"]) == (
        "rollback", "carol", v2.version, v1.version)
    assert "v2 overshoots the Monday peak" in newest["reason"]
    assert [r["action"] for r in trail] == ["rollback", "promote", "promote"]

    shown = gridflow("history", "toy")
    assert shown.returncode == 0, shown.stderr[-3000:]
    lines = shown.stdout.strip().splitlines()
    assert len(lines) == 3, shown.stdout
    assert "rollback" in lines[0] and f"{v2.version} -> {v1.version}" in lines[0] and "by carol" in lines[0]
    assert "v2 overshoots the Monday peak" in lines[0]
    assert "promote" in lines[1] and f"{v1.version} -> {v2.version}" in lines[1]
    assert "promote" in lines[2] and f"None -> {v1.version}" in lines[2]

    models = gridflow("models", "--json")
    assert models.returncode == 0, models.stderr[-3000:]
    (toy,) = [m for m in json.loads(models.stdout) if m["name"] == "toy"]
    assert (toy["champion"]["version"], toy["challenger"]["version"]) == (v1.version, v2.version)

    # Nothing earlier than v1 to go back to: one error line, exit code 1, the alias untouched.
    again = gridflow("rollback", "toy", "--reason", "again")
    assert again.returncode == 1, again.stdout[-2000:]
    assert again.stderr.strip().startswith("error:") and "Traceback" not in again.stderr, again.stderr[-3000:]
    assert registry.alias_version_number("toy", registry.CHAMPION) == v1.version
    with warehouse().connect() as conn:
        assert len(audit.decision_history(conn, "toy")) == 3
