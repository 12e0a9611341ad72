"""Operations commands: the parts that need no server."""

from __future__ import annotations

from uuid import UUID

import pytest
from typer.testing import CliRunner

from gridflow.errors import ConfigError
from gridflow.services.deploy import Change, DeployReport
from gridflow_cli.main import app
from gridflow_cli.ops import describe_report, parse_flow_run_ref

RUN_ID = "6dca102c-5547-4ed7-972c-6c302228e276"


@pytest.mark.parametrize("text", [RUN_ID, RUN_ID.upper(), f"http://127.0.0.1:4200/runs/flow-run/{RUN_ID}",
                                  f"http://127.0.0.1:4200/runs/flow-run/{RUN_ID}?tab=Logs"])
def test_a_run_is_named_by_its_id_or_its_link(text):
    assert parse_flow_run_ref(text) == UUID(RUN_ID)


def test_no_id_no_rerun():
    with pytest.raises(ConfigError, match="no flow run id"):
        parse_flow_run_ref("yesterday's retrain")
    result = CliRunner().invoke(app, ["rerun", "not-an-id"])
    assert result.exit_code == 1 and "no flow run id" in result.output


def test_deploy_output_lists_changes_then_counts():
    report = DeployReport([Change("unchanged", "work pool", "gridflow-process"),
                           Change("update", "deployment", "retrain/load-forecast", "parameters")])
    assert describe_report(report).splitlines() == [
        "  update    deployment retrain/load-forecast (parameters)",
        "deploy: 0 created, 1 updated, 0 deleted, 1 unchanged"]
    assert len(describe_report(report, verbose=True).splitlines()) == 3


def test_ops_commands_are_top_level():
    names = {c.name for c in app.registered_commands}
    assert {"up", "down", "status", "deploy", "worker", "rerun"} <= names
