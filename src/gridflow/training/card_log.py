"""Gathering one version's model card from what its retrain recorded (the MLflow run's params, tags
and plots, the version's approval tags, the gate's decision and the alias move), logging it with
the version, and pointing the run's description at it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from gridflow.config import get_settings
from gridflow.registry import mlflow_registry as registry
from gridflow.registry.gate import GateDecision
from gridflow.registry.promotion import AliasMove
from gridflow.runtime import mlflow_ready
from gridflow.training import links
from gridflow.training.model_card import (
    CARD_FILE,
    ApprovalRecord,
    DataRecord,
    GateRecord,
    Lineage,
    ModelCard,
    Plot,
    outcome_label,
    render_model_card,
)
from gridflow.usecases.base import Evaluation, UseCase

PLOTS = "plots"
# Model-version tag holding where the card is (`runs:/<run>/model_card.md`).
CARD_TAG = "gridflow.model_card"


@dataclass(frozen=True)
class PublishedCard:
    """A logged model card: its record, its markdown, and its page in the MLflow UI."""

    card: ModelCard
    markdown: str
    page_url: str

    @property
    def plots(self) -> list[Plot]:
        """The figures logged with the run, which the card shows."""
        return self.card.plots


def gather_model_card(
    use_case: UseCase, evaluation: Evaluation, decision: GateDecision, logged: registry.LoggedModel,
    move: AliasMove, trigger: str,
) -> ModelCard:
    """The card's record from the version's MLflow run and version tags and the settled decision."""
    settings = get_settings()
    run = registry.run_record(logged.run_id)
    params, tags = run.params, run.tags
    flow_run_id = tags.get("prefect.flow_run_id", "")
    train_rows = run.metrics.get("train_rows")
    plots = [Plot(path, links.mlflow_artifact_page(settings, logged.experiment_id, logged.run_id, path))
             for path in registry.artifact_paths(logged.run_id, PLOTS) if path.endswith(".png")]
    gate = use_case.gate
    return ModelCard(
        model=logged.model_name,
        version=str(logged.version),
        purpose=(type(use_case).__doc__ or use_case.name).strip().splitlines()[0],
        written_utc=datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        data=DataRecord(
            dataset=use_case.dataset,
            source=tags.get("gridflow.data_source", "unknown"),
            digest=tags.get("gridflow.data_digest", "unknown"),
            train_start_utc=params.get("train_start_utc", "unknown"),
            train_end_utc=params.get("train_end_utc", "unknown"),
            train_rows=None if train_rows is None else int(train_rows),
            validation_status=tags.get("gridflow.validation", "unknown"),
            validation_summary=tags.get("gridflow.validation_summary", "see validation.json in the run"),
            features=[c for c in params.get("features", "").split(",") if c],
        ),
        evaluation=evaluation,
        baseline_label=use_case.baseline_label,
        rows_label=use_case.rows_label,
        recorded=dict(logged.recorded),
        gate=GateRecord(
            metric=gate.metric, greater_is_better=gate.greater_is_better,
            min_relative_improvement=gate.min_relative_improvement,
            min_improvement_over_baseline=gate.min_improvement_over_baseline,
            verdict=decision.action, verdict_reason=decision.reason,
            final_action=move.action, final_reason=move.reason,
            # A rejection's audit row names the champion that stayed as its `from_version`.
            champion_before=move.from_version,
            champion_after=move.to_version if move.action == "promote" else move.from_version,
            audit_id=move.audit_id,
        ),
        approval=approval_record(use_case.require_approval, registry.version_tags(logged.model_name, logged.version)),
        lineage=Lineage(
            git_commit=tags.get("gridflow.git_commit", "unknown"),
            lock_sha256=tags.get("gridflow.lock_sha256", "unknown"),
            trigger=trigger,
            prefect_flow_run_id=flow_run_id,
            prefect_flow_run_name=tags.get("prefect.flow_run_name", "unknown"),
            prefect_flow_run_url=links.prefect_flow_run_url(settings, flow_run_id) if flow_run_id else None,
            mlflow_experiment_id=logged.experiment_id,
            mlflow_run_id=logged.run_id,
            mlflow_run_url=registry.run_url(settings.mlflow_ui_url, logged.experiment_id, logged.run_id),
        ),
        plots=plots,
        known_limits=use_case.known_limits,
    )


def approval_record(required: bool, version_tags: dict[str, str]) -> ApprovalRecord:
    """The operator's answer as the decision recorded it on the version's `approval.*` tags."""
    if "approval.outcome" not in version_tags:
        return ApprovalRecord(required=required)
    return ApprovalRecord(required=required, outcome=version_tags["approval.outcome"],
                          by=version_tags.get("approval.by"), decided_at_utc=version_tags.get("approval.decided_at"),
                          comment=version_tags.get("approval.comment"))


def publish_model_card(
    use_case: UseCase, evaluation: Evaluation, decision: GateDecision, logged: registry.LoggedModel,
    move: AliasMove, trigger: str,
) -> PublishedCard:
    """Gather the card, log it at the root of the version's run (beside `plots/`, which its images
    name relatively), tag the version with it, and add the decision and the card to the run's
    description."""
    mlflow_ready()
    settings = get_settings()
    card = gather_model_card(use_case, evaluation, decision, logged, move, trigger)
    markdown = render_model_card(card)
    registry.log_text(logged.run_id, markdown, CARD_FILE)
    registry.tag_version(logged.model_name, logged.version, {CARD_TAG: f"runs:/{logged.run_id}/{CARD_FILE}"})
    page = links.mlflow_artifact_page(settings, logged.experiment_id, logged.run_id, CARD_FILE)
    registry.set_run_tags(logged.run_id, {registry.DESCRIPTION_TAG: links.run_description(
        card.lineage.prefect_flow_run_name, card.lineage.prefect_flow_run_url, trigger,
        f"**v{card.version} {outcome_label(card.gate)}** — {card.gate.final_reason}",
        f"[Model card]({page}) (`{CARD_FILE}` in this run's artifacts)")})
    return PublishedCard(card, markdown, page)


def card_for_prefect(published: PublishedCard) -> str:
    """The card with its images served by the MLflow UI, for a Prefect markdown artifact (where the
    run's relative artifact paths mean nothing)."""
    root = links.mlflow_artifact_file(get_settings(), published.card.lineage.mlflow_run_id, "")
    return render_model_card(published.card, image_root=root)
