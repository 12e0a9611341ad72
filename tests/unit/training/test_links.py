"""Links between a retrain's records point at the configured UIs."""

from __future__ import annotations

from gridflow.config import Settings
from gridflow.training import links


def test_links_use_the_configured_prefect_and_mlflow_uis(tmp_path):
    settings = Settings(home=tmp_path, prefect_api_url="http://prefect.example:4200/api", mlflow_ui_port=5001)
    assert links.prefect_flow_run_url(settings, "abc") == "http://prefect.example:4200/runs/flow-run/abc"
    assert links.prefect_artifact_url(settings, "u1") == "http://prefect.example:4200/artifacts/artifact/u1"
    assert (links.mlflow_artifact_page(settings, "3", "r1", "plots/PJME error.png")
            == "http://127.0.0.1:5001/#/experiments/3/runs/r1/artifactPath/plots/PJME%20error.png")
    # The path comes last, so a root plus an artifact path is the file's address.
    root = links.mlflow_artifact_file(settings, "r1", "")
    assert root + "plots/a.png" == links.mlflow_artifact_file(settings, "r1", "plots/a.png")
    assert root == "http://127.0.0.1:5001/get-artifact?run_uuid=r1&path="


def test_local_server_when_no_prefect_api_is_configured(tmp_path):
    settings = Settings(home=tmp_path, prefect_port=4321)
    assert links.prefect_flow_run_url(settings, "x") == "http://127.0.0.1:4321/runs/flow-run/x"


def test_run_description_links_the_prefect_run_then_adds_lines():
    text = links.run_description("retrain-load_forecast", "http://p/runs/flow-run/1", "drift: mape", "**v2 kept**")
    assert text == ("Trained by the Prefect flow run [retrain-load_forecast](http://p/runs/flow-run/1) · trigger: "
                    "drift: mape\n\n**v2 kept**")
    assert links.run_description("local", None, "manual").startswith("Trained outside a Prefect flow run (local)")
