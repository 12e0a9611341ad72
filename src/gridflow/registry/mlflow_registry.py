"""The only module that imports MLflow: experiments, runs, registered models and aliases.

Stages are deprecated in MLflow 3; gridflow uses the aliases `champion` and `challenger` only.
MLflow keeps no alias history, so every alias move is also an audit row in the warehouse.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from gridflow.errors import RegistryError

CHAMPION = "champion"
CHALLENGER = "challenger"
# Run tag naming the retrain a version belongs to (a fleet run's zone): see find_logged.
RUN_KEY_TAG = "gridflow.run_key"
# The run tag the MLflow UI shows (and edits) as the run's markdown description.
DESCRIPTION_TAG = "mlflow.note.content"

# Explicit requirements: MLflow's inference runs a subprocess per call (~4 s) and picks up test-only
# packages. These are what a model server needs to load the flavours gridflow logs.
_MODEL_REQUIREMENTS = ["xgboost-cpu>=3.0,<4", "scikit-learn>=1.5", "pandas>=2.2,<3.1"]


@dataclass(frozen=True)
class LoggedModel:
    """A training run and the registered version it produced."""

    run_id: str
    experiment_id: str
    model_name: str
    version: str
    # Figures recorded beside the gate's metric (interval coverage, pinball), for the audit row.
    recorded: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelVersionInfo:
    """One registered version with the aliases that point at it and its run's metrics."""

    model_name: str
    version: str
    run_id: str | None
    aliases: list[str] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    created_at_ms: int | None = None


def configure(tracking_uri: str) -> None:
    """Point this process's MLflow client at the tracking store."""
    import mlflow

    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    mlflow.set_tracking_uri(tracking_uri)


def tracking_uri() -> str:
    """The tracking store this process talks to."""
    import mlflow

    return str(mlflow.get_tracking_uri())


def ensure_store() -> None:
    """Make the tracking store exist (an embedded database is created and migrated on first use)."""
    import mlflow

    mlflow.MlflowClient().search_experiments(max_results=1)


def experiment_id(name: str) -> str | None:
    """The id of the experiment `name`, or None when it does not exist yet."""
    import mlflow

    experiment = mlflow.get_experiment_by_name(name)
    return None if experiment is None else experiment.experiment_id


def ensure_experiment(name: str, artifact_location: str | None = None) -> str:
    """The id of the experiment `name`, creating it (with its artifact folder) if needed."""
    import mlflow

    experiment = mlflow.get_experiment_by_name(name)
    if experiment is not None:
        return experiment.experiment_id
    return mlflow.create_experiment(name, artifact_location=artifact_location)


def log_challenger(
    *,
    model_name: str,
    experiment_id: str,
    model: Any,
    params: dict[str, Any],
    metrics: dict[str, float],
    tags: dict[str, str],
    training_frame: pd.DataFrame,
    training_source: dict[str, str],
    target: str,
    input_example: pd.DataFrame,
    artifacts: dict[str, Any] | None = None,
    frames: dict[str, pd.DataFrame] | None = None,
    run_name: str | None = None,
) -> LoggedModel:
    """Log one training run (params, metrics, lineage, model with signature, `frames` as parquet
    artifacts at their paths), register it and point the `challenger` alias at the new version."""
    import mlflow
    from mlflow.data.code_dataset_source import CodeDatasetSource
    from mlflow.models import infer_signature

    with mlflow.start_run(experiment_id=experiment_id, run_name=run_name) as run:
        mlflow.log_params({k: _param(v) for k, v in params.items()})
        mlflow.log_metrics({k: float(v) for k, v in metrics.items() if v is not None})
        mlflow.set_tags(tags)
        dataset = mlflow.data.from_pandas(
            training_frame,
            # The warehouse is no file or URL MLflow can resolve; its coordinates go in as tags.
            source=CodeDatasetSource(tags=training_source),
            name=f"{model_name}_training",
            targets=target,
        )
        mlflow.log_input(dataset, context="training")
        for artifact_name, payload in (artifacts or {}).items():
            if isinstance(payload, str):
                mlflow.log_text(payload, artifact_name)
            else:
                mlflow.log_dict(payload, artifact_name)
        for artifact_path, frame in (frames or {}).items():
            _log_frame(frame, artifact_path)
        signature = infer_signature(input_example, _predict(model, input_example))
        info = _flavor(model).log_model(
            model,
            name="model",
            signature=signature,
            input_example=input_example,
            registered_model_name=model_name,
            pip_requirements=_MODEL_REQUIREMENTS,
            **_flavor_options(model),
        )
        version = str(info.registered_model_version)
    client = mlflow.MlflowClient()
    client.set_registered_model_alias(model_name, CHALLENGER, version)
    return LoggedModel(run.info.run_id, experiment_id, model_name, version)


def find_logged(model_name: str, experiment_id: str, run_key: str) -> LoggedModel | None:
    """The version a run tagged `gridflow.run_key=run_key` already registered, or None.

    A task the engine re-runs after it finished (a Dask worker lost with its result) asks this
    first, so it reuses the version instead of registering a second one. A run that crashed before
    its version was registered has none and is ignored.
    """
    import mlflow

    client = mlflow.MlflowClient()
    runs = client.search_runs([experiment_id], filter_string=f"tags.`{RUN_KEY_TAG}` = '{_quoted(run_key)}'",
                              order_by=["attributes.start_time ASC"])
    for run in runs:
        versions = client.search_model_versions(f"name = '{_quoted(model_name)}' and run_id = '{run.info.run_id}'")
        if versions:
            return LoggedModel(run.info.run_id, experiment_id, model_name, str(min(int(v.version) for v in versions)))
    return None


def _quoted(value: str) -> str:
    # MLflow's filter grammar quotes with single quotes; a key never needs one.
    if "'" in value:
        raise RegistryError(f"a quote is not allowed in a registry filter value: {value!r}")
    return value


def download_frame(run_id: str, path: str) -> pd.DataFrame:
    """A parquet frame logged in a run's artifacts (see `log_challenger(frames=...)`)."""
    import tempfile

    import mlflow

    with tempfile.TemporaryDirectory() as tmp:
        try:
            local = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=path, dst_path=tmp)
        except Exception as exc:  # MLflow raises several unrelated types for a missing artifact
            raise RegistryError(f"run {run_id} has no artifact {path}: {exc}") from exc
        return pd.read_parquet(local)


def run_params(run_id: str) -> dict[str, str]:
    """The parameters a run logged (empty when the run is gone)."""
    import mlflow

    try:
        return dict(mlflow.MlflowClient().get_run(run_id).data.params)
    except Exception:  # a version whose run was deleted still has an alias
        return {}


def log_run(
    *,
    experiment_name: str,
    run_name: str,
    params: dict[str, Any] | None = None,
    metrics: dict[str, float] | None = None,
    tags: dict[str, str] | None = None,
    artifacts: dict[str, Any] | None = None,
    artifact_location: str | None = None,
) -> tuple[str, str]:
    """Log a run without a model (e.g. a monitoring check and its HTML report); returns
    (experiment id, run id). Text artifacts are logged as text, anything else as JSON."""
    import mlflow

    experiment_id = ensure_experiment(experiment_name, artifact_location)
    with mlflow.start_run(experiment_id=experiment_id, run_name=run_name) as run:
        if params:
            mlflow.log_params({k: _param(v) for k, v in params.items()})
        if metrics:
            mlflow.log_metrics({k: float(v) for k, v in metrics.items() if v is not None})
        if tags:
            mlflow.set_tags(tags)
        for artifact_name, payload in (artifacts or {}).items():
            if isinstance(payload, str):
                mlflow.log_text(payload, artifact_name)
            else:
                mlflow.log_dict(payload, artifact_name)
    return experiment_id, run.info.run_id


def alias_version(model_name: str, alias: str) -> ModelVersionInfo | None:
    """The version an alias points at, or None when the model or alias does not exist."""
    import mlflow
    from mlflow.exceptions import MlflowException

    client = mlflow.MlflowClient()
    try:
        version = client.get_model_version_by_alias(model_name, alias)
    except MlflowException:
        return None
    return _version_info(client, version)


def set_alias(model_name: str, alias: str, version: str) -> None:
    """Point `alias` at `version` (moving it if it pointed elsewhere)."""
    import mlflow

    mlflow.MlflowClient().set_registered_model_alias(model_name, alias, str(version))


def copy_version(model_name: str, version: str, to_model: str) -> str:
    """Register a copy of `model_name` version `version` under `to_model`; returns the new version."""
    import mlflow

    copied = mlflow.MlflowClient().copy_model_version(f"models:/{model_name}/{version}", to_model)
    return str(copied.version)


def tag_version(model_name: str, version: str, tags: dict[str, str]) -> None:
    """Set tags on a model version (the gate's decision, an approver's comment)."""
    import mlflow

    client = mlflow.MlflowClient()
    for key, value in tags.items():
        client.set_model_version_tag(model_name, str(version), key, str(value)[:5000])


def load_model(model_name: str, version: str) -> Any:
    """Load a registered version as an MLflow pyfunc model."""
    import mlflow

    try:
        return mlflow.pyfunc.load_model(f"models:/{model_name}/{version}")
    except Exception as exc:  # MLflow raises several unrelated types for a missing model
        raise RegistryError(f"cannot load {model_name} version {version}: {exc}") from exc


def load_native_model(model_name: str, alias_or_version: str) -> Any:
    """Load a registered version (a number) or alias (e.g. `champion`) in its own flavour: the
    estimator object itself, not a pyfunc wrapper.

    For bulk scoring: pyfunc checks every input batch against the signature, which costs more than
    the prediction on wide frames. Resolve an alias to a version first (`alias_version`) and load
    that version, so what is recorded as scored is exactly what was loaded.
    """
    import mlflow
    from mlflow.models import Model

    ref = str(alias_or_version)
    uri = f"models:/{model_name}/{ref}" if ref.isdigit() else f"models:/{model_name}@{ref}"
    try:
        flavors = Model.load(uri).flavors
        if "xgboost" in flavors:
            return mlflow.xgboost.load_model(uri)
        if "sklearn" in flavors:
            return mlflow.sklearn.load_model(uri)
        return mlflow.pyfunc.load_model(uri)
    except Exception as exc:  # MLflow raises several unrelated types for a missing model
        raise RegistryError(f"cannot load {model_name} {ref}: {exc}") from exc


def model_input_columns(model: Any) -> list[str]:
    """The input column names of a pyfunc model's signature."""
    schema = model.metadata.get_input_schema()
    return [] if schema is None else list(schema.input_names())


def model_input_types(model: Any) -> dict[str, str]:
    """Input column name -> MLflow type name (`double`, `long`, `string`, ...) of a pyfunc model's
    signature; empty when it has none."""
    schema = model.metadata.get_input_schema()
    if schema is None or not schema.has_input_names():
        return {}
    return {spec.name: getattr(spec.type, "name", str(spec.type)) for spec in schema.inputs}


def alias_version_number(model_name: str, alias: str) -> str | None:
    """Just the version number an alias points at (one registry call; for frequent polling), or None."""
    import mlflow
    from mlflow.exceptions import MlflowException

    try:
        return str(mlflow.MlflowClient().get_model_version_by_alias(model_name, alias).version)
    except MlflowException:
        return None


def list_models() -> list[dict[str, Any]]:
    """Every registered model with its champion and challenger versions and their metrics."""
    import mlflow

    client = mlflow.MlflowClient()
    out = []
    for registered in client.search_registered_models():
        aliases = dict(registered.aliases or {})
        entry: dict[str, Any] = {"name": registered.name, "aliases": aliases}
        for alias in (CHAMPION, CHALLENGER):
            info = alias_version(registered.name, alias)
            entry[alias] = None if info is None else {
                "version": info.version,
                "run_id": info.run_id,
                "metrics": info.metrics,
                "tags": info.tags,
            }
        out.append(entry)
    return out


def run_url(ui_base: str, experiment_id: str, run_id: str) -> str:
    """Link to a run in the MLflow UI."""
    return f"{ui_base.rstrip('/')}/#/experiments/{experiment_id}/runs/{run_id}"


def _version_info(client: Any, version: Any) -> ModelVersionInfo:
    metrics: dict[str, float] = {}
    if version.run_id:
        try:
            metrics = dict(client.get_run(version.run_id).data.metrics)
        except Exception:  # a version whose run was deleted still has an alias
            metrics = {}
    registered = client.get_registered_model(version.name)
    aliases = [a for a, v in (registered.aliases or {}).items() if str(v) == str(version.version)]
    return ModelVersionInfo(
        model_name=version.name,
        version=str(version.version),
        run_id=version.run_id,
        aliases=sorted(aliases),
        metrics=metrics,
        tags=dict(version.tags or {}),
        created_at_ms=version.creation_timestamp,
    )


def _log_frame(frame: pd.DataFrame, artifact_path: str) -> None:
    import posixpath
    import tempfile
    from pathlib import Path

    import mlflow

    folder, name = posixpath.split(artifact_path)
    with tempfile.TemporaryDirectory() as tmp:
        local = Path(tmp) / name
        frame.to_parquet(local, index=False)
        mlflow.log_artifact(str(local), artifact_path=folder or None)


def _flavor(model: Any) -> Any:
    import mlflow

    module = type(model).__module__
    if module.startswith("xgboost"):
        return mlflow.xgboost
    return mlflow.sklearn


# Modules whose classes may be restored from a skops file: gridflow's own estimators (e.g. the
# outage model), the XGBoost booster inside them, and scikit-learn's own internals that skops does
# not trust by default (a forest's `sklearn.tree._tree.Tree`), all installed from the lock file.
# Anything else in a model stays untrusted.
_TRUSTED_MODULES = ("gridflow.", "xgboost.", "sklearn.")


def _flavor_options(model: Any) -> dict[str, Any]:
    # MLflow 3 saves sklearn models with skops, which loads only trusted types: stock scikit-learn
    # classes are, a gridflow estimator (and the XGBoost booster in it) must be named explicitly.
    if _flavor(model).__name__ != "mlflow.sklearn":
        return {}
    import skops.io

    untrusted = skops.io.get_untrusted_types(data=skops.io.dumps(model))
    trusted = [name for name in untrusted if name.startswith(_TRUSTED_MODULES)]
    return {"skops_trusted_types": trusted} if trusted else {}


def _predict(model: Any, frame: pd.DataFrame) -> Any:
    if hasattr(model, "predict_proba"):
        return model.predict_proba(frame)
    return model.predict(frame)


def _param(value: Any) -> Any:
    text = str(value)
    return text if len(text) <= 6000 else text[:5997] + "..."


def log_figures(run_id: str, figures: dict[str, Any]) -> None:
    """Log matplotlib figures as image artifacts of a finished run, at their paths (e.g. `plots/x.png`)."""
    import mlflow

    client = mlflow.MlflowClient()
    for artifact_file, figure in figures.items():
        client.log_figure(run_id, figure, artifact_file)


def log_metrics(run_id: str, metrics: dict[str, float]) -> None:
    """Add metrics (finite values only) to a finished run."""
    import math

    import mlflow

    client = mlflow.MlflowClient()
    for key, value in metrics.items():
        if value is not None and math.isfinite(float(value)):
            client.log_metric(run_id, key, float(value))


@dataclass(frozen=True)
class RunRecord:
    """What a finished run recorded: params, tags, metrics and its start (ms since the epoch)."""

    run_id: str
    params: dict[str, str]
    tags: dict[str, str]
    metrics: dict[str, float]
    start_time_ms: int | None


def run_record(run_id: str) -> RunRecord:
    """The params, tags and metrics a run recorded (for its model card)."""
    import mlflow

    run = mlflow.MlflowClient().get_run(run_id)
    return RunRecord(run_id, dict(run.data.params), dict(run.data.tags), dict(run.data.metrics), run.info.start_time)


def set_run_tags(run_id: str, tags: dict[str, str]) -> None:
    """Set tags on a finished run (e.g. `mlflow.note.content`, the description the UI shows)."""
    import mlflow

    client = mlflow.MlflowClient()
    for key, value in tags.items():
        client.set_tag(run_id, key, value)


def log_text(run_id: str, text: str, artifact_file: str) -> None:
    """Log text (a model card) as an artifact of a finished run."""
    import mlflow

    mlflow.MlflowClient().log_text(run_id, text, artifact_file)


def artifact_paths(run_id: str, folder: str) -> list[str]:
    """The paths of the files directly in a run's artifact folder, sorted."""
    import mlflow

    return sorted(a.path for a in mlflow.MlflowClient().list_artifacts(run_id, folder) if not a.is_dir)


def version_tags(model_name: str, version: str) -> dict[str, str]:
    """The tags of one registered version (gate decision, approval)."""
    import mlflow

    return dict(mlflow.MlflowClient().get_model_version(model_name, str(version)).tags or {})
