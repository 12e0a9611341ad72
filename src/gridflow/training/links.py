"""Links between the records of one retrain: the Prefect flow run, the MLflow run and its artifacts."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from gridflow.config import Settings
from gridflow.services.stack import ui_url


def prefect_flow_run_url(settings: Settings, flow_run_id: str) -> str:
    """The flow run's page in the Prefect UI of the configured (or local) server."""
    return f"{ui_url(settings)}/runs/flow-run/{flow_run_id}"


def mlflow_artifact_page(settings: Settings, experiment_id: str, run_id: str, path: str) -> str:
    """The MLflow UI page that shows one artifact of a run (a plot, the model card)."""
    return f"{settings.mlflow_ui_url}/#/experiments/{experiment_id}/runs/{run_id}/artifactPath/{quote(path)}"


def mlflow_artifact_file(settings: Settings, run_id: str, path: str) -> str:
    """The artifact file itself, served by the MLflow UI (an image a markdown page can show); the
    path comes last, so an empty `path` gives a root that artifact paths are appended to."""
    return f"{settings.mlflow_ui_url}/get-artifact?{urlencode({'run_uuid': run_id})}&path={quote(path)}"


def run_description(flow_run_name: str, flow_run_url: str | None, trigger: str, *more: str) -> str:
    """The MLflow run's description (`mlflow.note.content`, markdown): the Prefect flow run that
    made it, what triggered that run, then any further lines (the decision, the model card)."""
    made_by = (f"Trained by the Prefect flow run [{flow_run_name}]({flow_run_url})" if flow_run_url
               else f"Trained outside a Prefect flow run ({flow_run_name})")
    return "\n\n".join([f"{made_by} · trigger: {trigger}", *more])


def prefect_artifact_url(settings: Settings, artifact_id: object) -> str:
    """An artifact's page in the Prefect UI (the model card published beside the evaluation report)."""
    return f"{ui_url(settings)}/artifacts/artifact/{artifact_id}"
