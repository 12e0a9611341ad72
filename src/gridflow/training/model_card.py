"""The model card of one registered version: a typed record and its markdown, for a reviewer or a
regulator who reads nothing else. Pure: the record is gathered elsewhere (gridflow.training.card_log)."""

from __future__ import annotations

from dataclasses import dataclass, field

from gridflow.training.formatting import format_number
from gridflow.usecases.base import Evaluation

CARD_FILE = "model_card.md"


@dataclass(frozen=True)
class DataRecord:
    """What the version learnt from and was judged on."""

    dataset: str
    source: str
    digest: str
    train_start_utc: str
    train_end_utc: str
    train_rows: int | None
    validation_status: str  # passed | failed | unknown
    validation_summary: str
    features: list[str]


@dataclass(frozen=True)
class GateRecord:
    """The gate's rule, its verdict, and what was finally done (an approval or a moved champion can
    turn a pass into a rejection)."""

    metric: str
    greater_is_better: bool
    min_relative_improvement: float
    min_improvement_over_baseline: float
    verdict: str  # promote | reject: the gate on the metrics, then the operator's approval if required
    verdict_reason: str
    final_action: str  # what was recorded: promote | reject
    final_reason: str
    champion_before: str | None
    champion_after: str | None
    audit_id: int


@dataclass(frozen=True)
class ApprovalRecord:
    """Whether an operator had to approve, and the answer (who, when, comment) when one was asked."""

    required: bool
    outcome: str | None = None  # approved | rejected | timed_out; None when not asked
    by: str | None = None
    decided_at_utc: str | None = None
    comment: str | None = None


@dataclass(frozen=True)
class Lineage:
    """Where the version came from: code, dependencies, the Prefect run and the MLflow run."""

    git_commit: str
    lock_sha256: str
    trigger: str
    prefect_flow_run_id: str
    prefect_flow_run_name: str
    prefect_flow_run_url: str | None
    mlflow_experiment_id: str
    mlflow_run_id: str
    mlflow_run_url: str


@dataclass(frozen=True)
class Plot:
    """A figure logged with the run: its artifact path and its page in the MLflow UI."""

    path: str
    page_url: str


@dataclass(frozen=True)
class ModelCard:
    """Everything the card says about one registered version."""

    model: str
    version: str
    purpose: str
    written_utc: str
    data: DataRecord
    evaluation: Evaluation
    baseline_label: str
    rows_label: str
    recorded: dict[str, float]
    gate: GateRecord
    approval: ApprovalRecord
    lineage: Lineage
    plots: list[Plot] = field(default_factory=list)
    known_limits: tuple[str, ...] = ()


def render_model_card(card: ModelCard, image_root: str = "") -> str:
    """The card as markdown; an image's address is `image_root` + its artifact path (empty: relative
    to the run's artifact folder, where the card itself is logged)."""
    sections = [
        _heading(card), _data(card), _features(card), _metrics(card), _plots(card, image_root),
        _gate(card), _approval(card.approval), _lineage(card), _limits(card),
    ]
    return "\n\n".join(s for s in sections if s) + "\n"


def outcome_label(gate: GateRecord) -> str:
    """What happened to the version in two words: `promoted to champion` or `not promoted`."""
    return "promoted to champion" if gate.final_action == "promote" else "not promoted"


def _v(version: str | None) -> str:
    return "(none)" if version is None else f"v{version}"


def _heading(card: ModelCard) -> str:
    gate = card.gate
    return "\n".join([
        f"# Model card: {card.model} version {card.version}",
        "",
        f"{card.purpose}",
        "",
        f"**Decision:** v{card.version} {outcome_label(gate)} — {gate.final_reason}",
        "",
        f"**Champion:** {_v(gate.champion_before)} before this run, {_v(gate.champion_after)} after it"
        f" (audit row {gate.audit_id}).",
        "",
        f"Written {card.written_utc} by the retrain run that registered the version, once its decision"
        " (and any operator approval) was final; every figure below is from that run.",
    ])


def _data(card: ModelCard) -> str:
    d, e = card.data, card.evaluation
    rows = "" if d.train_rows is None else f", {d.train_rows:,} rows"
    return "\n".join([
        "## Data",
        "",
        "| | |",
        "|---|---|",
        f"| dataset | `{d.dataset}` from `{d.source}` |",
        f"| content digest | `{d.digest}` |",
        f"| training window (UTC) | {d.train_start_utc} → {d.train_end_utc}{rows} |",
        f"| evaluation window (UTC) | {e.window_start_utc} → {e.window_end_utc}, {e.rows:,} {card.rows_label} |",
        f"| validation | {d.validation_status}: {d.validation_summary} |",
    ])


def _features(card: ModelCard) -> str:
    names = card.data.features
    if not names:
        return ""
    return f"## Features ({len(names)})\n\n" + ", ".join(f"`{n}`" for n in names)


def _metrics(card: ModelCard) -> str:
    e = card.evaluation
    champion = e.champion or {}
    head = f"champion {_v(e.champion_version)}" if e.champion_version else "champion (none)"
    lines = [
        "## Metrics against the champion and the baseline",
        "",
        f"Same evaluation window for every column; the gate decides on `{card.gate.metric}` "
        f"({'higher' if card.gate.greater_is_better else 'lower'} is better).",
        "",
        f"| metric | this version v{card.version} | {head} | {card.baseline_label} |",
        "|---|---:|---:|---:|",
    ]
    for name, value in e.challenger.items():
        mark = " (gate)" if name == card.gate.metric else ""
        lines.append(f"| {name}{mark} | {format_number(value)} | {format_number(champion.get(name))} | "
                     f"{format_number(e.baseline.get(name))} |")
    if e.champion_note:
        lines += ["", f"Note: {e.champion_note}"]
    if card.recorded:
        lines += ["", "Recorded beside the gate's metric (this version): "
                  + ", ".join(f"{k} {format_number(v)}" for k, v in card.recorded.items())]
    if e.backtest:
        keys = list(e.backtest[0])
        lines += ["", f"Rolling-origin backtest of the same estimator ({len(e.backtest)} folds):", "",
                  "| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
        lines += ["| " + " | ".join(format_number(r.get(k)) for k in keys) + " |" for r in e.backtest]
    return "\n".join(lines)


def _plots(card: ModelCard, image_root: str) -> str:
    if not card.plots:
        return ""
    lines = ["## Plots", ""]
    for plot in card.plots:
        name = plot.path.rsplit("/", 1)[-1].removesuffix(".png").replace("_", " ")
        lines += [f"### {name}", "", f"![{name}]({image_root}{plot.path})", "",
                  f"[`{plot.path}` in MLflow]({plot.page_url})", ""]
    return "\n".join(lines).rstrip()


def _gate(card: ModelCard) -> str:
    g = card.gate
    rule = (f"promote when `{g.metric}` beats the baseline by at least {g.min_improvement_over_baseline:.2%} "
            f"and the champion (if any) by at least {g.min_relative_improvement:.2%}, relative")
    lines = ["## Gate decision", "", f"- rule: {rule}",
             f"- decision (the gate, then the operator where approval is required): **{g.verdict}** — "
             f"{g.verdict_reason}"]
    if (g.final_action, g.final_reason) != (g.verdict, g.verdict_reason):
        lines.append(f"- recorded decision (the champion is checked again as it moves): **{g.final_action}** — "
                     f"{g.final_reason}")
    lines.append(f"- audit row {g.audit_id} in the warehouse's promotion audit")
    return "\n".join(lines)


def _approval(a: ApprovalRecord) -> str:
    if not a.required:
        body = "Not required for this model: the gate's decision stood alone."
    elif a.outcome is None:
        body = "Required for this model, but not asked: the gate did not pass the version."
    else:
        said = f" — “{a.comment}”" if a.comment else " (no comment)"
        body = f"**{a.outcome}** by {a.by} at {a.decided_at_utc}{said}"
    return f"## Approval\n\n{body}"


def _lineage(card: ModelCard) -> str:
    ln = card.lineage
    run = (f"[{ln.prefect_flow_run_name}]({ln.prefect_flow_run_url}) (`{ln.prefect_flow_run_id}`)"
           if ln.prefect_flow_run_url else f"none ({ln.prefect_flow_run_name})")
    return "\n".join([
        "## Lineage",
        "",
        "| | |",
        "|---|---|",
        f"| registered model | `{card.model}` version {card.version} |",
        f"| code (git commit) | `{ln.git_commit}` |",
        f"| dependencies (requirements.lock sha256) | `{ln.lock_sha256}` |",
        f"| Prefect flow run | {run} |",
        f"| trigger | {ln.trigger} |",
        f"| MLflow run | [{ln.mlflow_run_id}]({ln.mlflow_run_url}) (experiment {ln.mlflow_experiment_id}) |",
    ])


def _limits(card: ModelCard) -> str:
    if not card.known_limits:
        return "## Known limits\n\nNone recorded for this use case."
    return "## Known limits\n\n" + "\n".join(f"- {limit}" for limit in card.known_limits)
