"""DAG: plan the zones -> per zone, fanned out on the task runner (threads or Dask): the retrain DAG
as its own flow run -> fleet report artifact -> conclude. One zone's failure never stops the others;
a Retry of the run re-runs only the zones that failed (the others' results are cached)."""

from __future__ import annotations

from prefect import flow, task
from prefect.runtime import flow_run

from flows.retrain import retrain
from gridflow.fleet import outcome
from gridflow.fleet.outcome import ZoneOutcome
from gridflow.fleet.plan import run_key
from gridflow.task_runners import THREADS, task_runner
from tasks.common import WORK
from tasks.fleet import conclude_fleet, outcome_of, plan_zones, publish_fleet_report, settled_zone


@task(name="retrain-zone", task_run_name="retrain-{model}", **WORK)
def retrain_zone(model: str, zone: str, trigger: str, key: str, metric: str) -> ZoneOutcome:
    """One zone through the retrain flow, unless this fleet run already settled it (the engine may
    run a finished task again when a Dask worker dies holding its result)."""
    done = settled_zone(model, zone, key, metric)
    if done is not None:
        return done
    # The zone's own tasks stay in its process: it already is one of the fanned-out units.
    result = retrain.with_options(task_runner=task_runner(THREADS))(model=model, trigger=trigger, run_key=key)
    return outcome.from_result(zone, result)


@flow(name="retrain-fleet", flow_run_name="retrain-fleet-{use_case}", task_runner=task_runner(), log_prints=True)
def retrain_fleet(use_case: str = "load_forecast", zones: list[str] | None = None,
                  trigger: str = "manual") -> list[ZoneOutcome]:
    """Retrain every configured zone of `use_case` (or `zones`), each as `<use_case>.<zone>` through
    the gate, and report the fleet; fails at the end naming the zones that failed."""
    plan = plan_zones(use_case, zones)
    fleet_run = str(flow_run.get_id() or "local")
    futures = [retrain_zone.submit(model, zone, trigger, run_key(fleet_run, model), plan.gate_metric)
               for zone, model in zip(plan.zones, plan.models, strict=True)]
    outcomes = [outcome_of(future, model, zone) for future, zone, model in zip(futures, plan.zones, plan.models,
                                                                                strict=True)]
    publish_fleet_report(plan, outcomes, trigger)
    return conclude_fleet(plan, outcomes)
