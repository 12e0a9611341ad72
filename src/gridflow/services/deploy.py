"""Register gridflow's deployments on a Prefect API, idempotently: `gridflow deploy`.

What should exist is passed in by the caller (the CLI passes `deployments/`: deployments, work pool
and queues, the deployments' triggers, the crash detection on missed heartbeats and the
failure-notification automation); what exists is read from the API. Pure helpers
compare the two, so a second run finds nothing to change and changes nothing: no deployment is
re-applied, no automation re-created. Automations left behind by deployments that no longer exist
(Prefect keeps them firing at a 404) and automations of renamed triggers are deleted.

Trigger automations are created here rather than by `RunnerDeployment.apply`, which deletes and
re-creates them on every call; ours carry the tag `MANAGED_TAG` so a later run can tell them from
automations operators made in the UI.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from uuid import UUID

from gridflow.errors import ConfigError
from gridflow.provenance import PROJECT_ROOT

if TYPE_CHECKING:
    from prefect.client.orchestration import PrefectClient
    from prefect.deployments.runner import RunnerDeployment
    from prefect.events.schemas.automations import Automation, AutomationCore

POOL_TYPE = "process"
MANAGED_TAG = "gridflow-managed"
# Actions that name a deployment: when it is gone, the automation can only fail.
_DEPLOYMENT_ACTIONS = {"run-deployment", "pause-deployment", "resume-deployment"}


@dataclass(frozen=True)
class WorkQueue:
    """A queue of the work pool: the worker takes runs from lower `priority` numbers first."""

    name: str
    priority: int
    concurrency_limit: int | None
    description: str


@dataclass(frozen=True)
class Change:
    """One line of a deploy report: what happened to which object, and why."""

    action: str  # create | update | delete | unchanged
    kind: str  # work pool | work queue | deployment | automation
    name: str
    detail: str = ""

    def __str__(self) -> str:
        why = f" ({self.detail})" if self.detail else ""
        return f"{self.action:<9} {self.kind:<10} {self.name}{why}"


@dataclass
class DeployReport:
    """Everything `deploy` did, plus the ids of the registered deployments by `flow/name`."""

    changes: list[Change] = field(default_factory=list)
    deployment_ids: dict[str, UUID] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        """True when anything was created, updated or deleted."""
        return any(c.action != "unchanged" for c in self.changes)

    def count(self, action: str) -> int:
        """How many changes of one action (create, update, delete, unchanged)."""
        return sum(1 for c in self.changes if c.action == action)

    def summary(self) -> str:
        """One line with the counts."""
        return ", ".join(f"{self.count(a)} {w}" for a, w in (
            ("create", "created"), ("update", "updated"), ("delete", "deleted"), ("unchanged", "unchanged")))


# ---------------------------------------------------------------------------------------------
# Pure helpers: what should exist, what exists, and the difference.


def project_entrypoint(entrypoint: str, project_root: Path, cwd: Path) -> str:
    """The entrypoint relative to the project root (Prefect makes it relative to the cwd of the
    process that built the deployment; the worker runs from the project root)."""
    if ":" not in entrypoint:  # a module path: independent of directories
        return entrypoint
    path, _, function = entrypoint.rpartition(":")
    absolute = (cwd / path).resolve()
    try:
        relative = absolute.relative_to(project_root.resolve())
    except ValueError as exc:
        raise ConfigError(f"flow file {absolute} is outside the project at {project_root}") from exc
    return f"{PurePosixPath(relative)}:{function}"


def registration_copy(deployment: RunnerDeployment, *, pool: str, queue: str, project_root: Path,
                      cwd: Path | None = None, schedules_active: bool = True) -> RunnerDeployment:
    """The deployment as registered for a process worker: on `pool`/`queue`, entrypoint relative to
    the project root, a pull step that enters it, and no triggers (`deploy` manages those).

    With `schedules_active=False` the schedules are registered switched off (offline machines,
    demos): triggers and runs started from the UI still work.
    """
    from prefect.runner.storage import LocalStorage

    update: dict[str, Any] = {
        "entrypoint": project_entrypoint(deployment.entrypoint or "", project_root, cwd or Path.cwd()),
        "storage": LocalStorage(str(project_root)),
        "work_pool_name": pool,
        "work_queue_name": queue,
        "triggers": [],
    }
    # Always explicit: Prefect sends only the fields set, so an unset `active` would never switch a
    # schedule back on after a `--no-schedules` deploy.
    update["schedules"] = [s.model_copy(update={"active": bool(schedules_active and s.active is not False)})
                           for s in deployment.schedules]
    return deployment.model_copy(update=update)


def _schedule_key(schedule: Any, active: Any, parameters: Any) -> dict[str, Any]:
    """A schedule as compared: what it fires on, ignoring the anchor a bare interval takes from
    the time it was built (it would differ on every run)."""
    data = schedule.model_dump(mode="json", exclude_none=True) if hasattr(schedule, "model_dump") else dict(schedule)
    if "interval" in data:
        data.pop("anchor_date", None)
        data["interval"] = float(data["interval"]) if not isinstance(data["interval"], str) else data["interval"]
    return {"schedule": data, "active": bool(active) if active is not None else True,
            "parameters": parameters or {}}


def _collision_strategy(options: Any) -> str | None:
    if options is None:
        return None
    value = options.get("collision_strategy") if isinstance(options, dict) else options.collision_strategy
    return getattr(value, "value", value)


def _json(value: Any) -> Any:
    """A plain-JSON copy, so pydantic models and their dumps compare equal."""
    import json

    return json.loads(json.dumps(value, default=lambda v: v.model_dump(mode="json")
                                 if hasattr(v, "model_dump") else str(v), sort_keys=True))


def desired_deployment_spec(registration: RunnerDeployment) -> dict[str, Any]:
    """The fields of a registration copy that `deploy` keeps in step with the API."""
    storage = registration.storage
    pull_step = storage.to_pull_step() if storage is not None else None
    return _json({
        "entrypoint": registration.entrypoint,
        "pull_steps": [pull_step] if isinstance(pull_step, dict) else (pull_step or []),
        "work_pool_name": registration.work_pool_name,
        "work_queue_name": registration.work_queue_name,
        "parameters": registration.model_dump(mode="json", include={"parameters"})["parameters"],
        "tags": sorted(registration.tags),
        "description": registration.description or "",
        "version": registration.version,
        "paused": bool(registration.paused),
        "enforce_parameter_schema": registration.enforce_parameter_schema,
        "parameter_openapi_schema": registration._parameter_openapi_schema.model_dump(exclude_unset=True),
        "job_variables": registration.job_variables or {},
        "concurrency_limit": registration.concurrency_limit,
        "collision_strategy": _collision_strategy(registration.concurrency_options),
        "schedules": sorted((_schedule_key(s.schedule, s.active, s.parameters) for s in registration.schedules or []),
                            key=repr),
    })


def existing_deployment_spec(response: Any) -> dict[str, Any]:
    """The same fields read back from the API's deployment."""
    # Prefect 3 keeps a deployment's limit as a global concurrency limit (`concurrency_limit` on
    # the response is deprecated).
    limit = response.global_concurrency_limit.limit if response.global_concurrency_limit else None
    return _json({
        "entrypoint": response.entrypoint,
        "pull_steps": response.pull_steps or [],
        "work_pool_name": response.work_pool_name,
        "work_queue_name": response.work_queue_name,
        "parameters": response.parameters or {},
        "tags": sorted(response.tags or []),
        "description": response.description or "",
        "version": response.version,
        "paused": bool(response.paused),
        "enforce_parameter_schema": response.enforce_parameter_schema,
        "parameter_openapi_schema": response.parameter_openapi_schema or {},
        "job_variables": response.job_variables or {},
        "concurrency_limit": limit,
        "collision_strategy": _collision_strategy(response.concurrency_options),
        "schedules": sorted((_schedule_key(s.schedule, s.active, s.parameters) for s in response.schedules or []),
                            key=repr),
    })


def spec_differences(desired: Mapping[str, Any], existing: Mapping[str, Any]) -> list[str]:
    """Names of the fields that differ, sorted; empty when the deployment is up to date."""
    return sorted(k for k in set(desired) | set(existing) if desired.get(k) != existing.get(k))


def plan_work_queues(desired: Sequence[WorkQueue], existing: Sequence[Any]) -> list[Change]:
    """Create or update our queues (priority, concurrency limit, description); queues of the pool
    we do not define are left alone."""
    by_name = {q.name: q for q in existing}
    changes = []
    for queue in sorted(desired, key=lambda q: q.priority):
        current = by_name.get(queue.name)
        detail = f"priority {queue.priority}, limit {queue.concurrency_limit or 'none'}"
        if current is None:
            changes.append(Change("create", "work queue", queue.name, detail))
        elif (current.priority, current.concurrency_limit, current.description or "") != (
                queue.priority, queue.concurrency_limit, queue.description):
            changes.append(Change("update", "work queue", queue.name, detail))
        else:
            changes.append(Change("unchanged", "work queue", queue.name))
    return changes


# Trigger fields that are sets (or labels matched as sets): their JSON order is arbitrary.
_UNORDERED = {"expect", "after", "for_each", "match", "match_related"}


def _canonical_trigger(value: Any, unordered: bool = False) -> Any:
    """A trigger without its ids and with its set-like lists sorted."""
    if isinstance(value, dict):
        return {k: _canonical_trigger(v, unordered or k in _UNORDERED) for k, v in value.items() if k != "id"}
    if isinstance(value, list):
        items = [_canonical_trigger(v, unordered) for v in value]
        return sorted(items, key=repr) if unordered else items
    return value


def automation_content(automation: AutomationCore) -> dict[str, Any]:
    """An automation as compared: everything but its ids and owner."""
    data = automation.model_dump(mode="json", exclude={"id", "owner_resource", "created", "updated"})
    data["trigger"] = _canonical_trigger(data.get("trigger"))
    data["tags"] = sorted(data.get("tags") or [])
    return _json(data)


def deployment_targets(automation: AutomationCore) -> set[UUID]:
    """The deployments an automation's actions name."""
    return {a.deployment_id for a in [*automation.actions, *automation.actions_on_trigger,
                                      *automation.actions_on_resolve]
            if getattr(a, "type", None) in _DEPLOYMENT_ACTIONS and getattr(a, "deployment_id", None)}


@dataclass
class AutomationPlan:
    """What to do with automations: create, update (id, new content), delete (id, name, reason)."""

    create: list[AutomationCore] = field(default_factory=list)
    update: list[tuple[UUID, AutomationCore]] = field(default_factory=list)
    delete: list[tuple[UUID, str, str]] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def changes(self) -> list[Change]:
        """The plan as report lines."""
        return ([Change("create", "automation", a.name) for a in self.create]
                + [Change("update", "automation", a.name) for _, a in self.update]
                + [Change("delete", "automation", name, reason) for _, name, reason in self.delete]
                + [Change("unchanged", "automation", name) for name in self.unchanged])


def plan_automations(desired: Iterable[AutomationCore], existing: Iterable[Automation],
                     live_deployment_ids: set[UUID]) -> AutomationPlan:
    """Compare the automations that should exist (by name) with those on the server.

    Per desired name one existing automation is kept (an identical one first) and updated if it
    differs; further ones with that name are duplicates. Others are deleted when an action names a
    deployment that no longer exists, or when they carry our tag but are no longer defined
    (a renamed trigger, a removed deployment). Anything else belongs to someone else: kept.
    """
    wanted = {a.name: a for a in desired}
    contents = {name: automation_content(a) for name, a in wanted.items()}
    # Identical and tagged candidates first, so they are the ones kept.
    ranked = sorted(existing, key=lambda a: (
        automation_content(a) != contents.get(a.name), MANAGED_TAG not in a.tags, str(a.id)))
    plan = AutomationPlan()
    claimed: set[str] = set()
    for automation in ranked:
        if automation.name in wanted and automation.name not in claimed:
            claimed.add(automation.name)
            if automation_content(automation) == contents[automation.name]:
                plan.unchanged.append(automation.name)
            else:
                plan.update.append((automation.id, wanted[automation.name]))
        elif automation.name in wanted:
            plan.delete.append((automation.id, automation.name, "duplicate"))
        elif deployment_targets(automation) - live_deployment_ids:
            plan.delete.append((automation.id, automation.name, "its deployment no longer exists"))
        elif MANAGED_TAG in automation.tags:
            plan.delete.append((automation.id, automation.name, "no longer defined"))
    plan.create = [a for name, a in wanted.items() if name not in claimed]
    return plan


def managed(automation: AutomationCore) -> AutomationCore:
    """The automation as `deploy` creates it: tagged as ours, owned by no deployment (an owned one
    would be deleted by the next `RunnerDeployment.apply`)."""
    from prefect.events.schemas.automations import AutomationCore

    # Rebuilt from a full dump: every field counts as set, so an update (which sends only set
    # fields) carries the literal `type`s of trigger and actions, and no `owner_resource`.
    data = automation.model_dump(exclude={"owner_resource"})
    return AutomationCore.model_validate({**data, "tags": sorted({*automation.tags, MANAGED_TAG})})


def trigger_automations(deployment: RunnerDeployment, deployment_id: UUID) -> list[AutomationCore]:
    """The automations of one deployment's triggers, pointing at its registered id."""
    automations = []
    for trigger in deployment.triggers:
        trigger = copy.deepcopy(trigger)
        trigger.set_deployment_id(deployment_id)
        automations.append(managed(trigger.as_automation()))
    return automations


def unique_names(automations: Sequence[AutomationCore]) -> None:
    """Refuse two automations with one name: `deploy` tells them apart by name."""
    seen: set[str] = set()
    for automation in automations:
        if automation.name in seen:
            raise ConfigError(f"two automations are named {automation.name!r}: name each trigger uniquely")
        seen.add(automation.name)


# ---------------------------------------------------------------------------------------------
# I/O against the Prefect API.


async def _ensure_pool(client: PrefectClient, pool: str) -> Change:
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectNotFound
    from prefect.workers.process import ProcessWorker

    try:
        existing = await client.read_work_pool(pool)
    except ObjectNotFound:
        await client.create_work_pool(WorkPoolCreate(
            name=pool, type=POOL_TYPE, base_job_template=ProcessWorker.get_default_base_job_template(),
            description="gridflow: every deployment, run as a subprocess by `gridflow worker`."))
        return Change("create", "work pool", pool, POOL_TYPE)
    if existing.type != POOL_TYPE:
        raise ConfigError(f"work pool {pool!r} exists with type {existing.type!r}, not {POOL_TYPE!r}")
    return Change("unchanged", "work pool", pool)


async def _sync_queues(client: PrefectClient, pool: str, queues: Sequence[WorkQueue]) -> list[Change]:
    existing = await client.read_work_queues(work_pool_name=pool)
    changes = plan_work_queues(queues, existing)
    by_name = {q.name: q for q in existing}
    specs = {q.name: q for q in queues}
    # Lowest priority first: the server shifts other queues when a priority is taken.
    for change in changes:
        queue = specs[change.name]
        if change.action == "create":
            await client.create_work_queue(name=queue.name, work_pool_name=pool, priority=queue.priority,
                                           concurrency_limit=queue.concurrency_limit, description=queue.description)
        elif change.action == "update":
            await client.update_work_queue(by_name[queue.name].id, priority=queue.priority,
                                           concurrency_limit=queue.concurrency_limit, description=queue.description)
    return changes


async def _sync_deployment(client: PrefectClient, registration: RunnerDeployment) -> tuple[UUID, Change]:
    from prefect.client.schemas.objects import VersionInfo
    from prefect.exceptions import ObjectNotFound

    name = f"{registration.flow_name}/{registration.name}"
    # Version = the flow's source hash (Prefect's default), not the git commit it would infer:
    # a deployment changes when its flow does.
    version_info = VersionInfo(type="prefect:simple", version=registration.version or "")
    try:
        existing = await client.read_deployment_by_name(name)
    except ObjectNotFound:
        return await registration.aapply(version_info=version_info), Change("create", "deployment", name)
    differences = spec_differences(desired_deployment_spec(registration), existing_deployment_spec(existing))
    if not differences:
        return existing.id, Change("unchanged", "deployment", name)
    deployment_id = await registration.aapply(version_info=version_info)
    return deployment_id, Change("update", "deployment", name, ", ".join(differences))


async def _our_deployments_in_pool(client: PrefectClient, pool: str) -> dict[str, UUID]:
    from prefect.client.schemas.filters import FlowFilter, FlowFilterId, WorkPoolFilter, WorkPoolFilterName

    listed = await client.read_deployments(work_pool_filter=WorkPoolFilter(name=WorkPoolFilterName(any_=[pool])))
    if not listed:
        return {}
    flows = await client.read_flows(flow_filter=FlowFilter(id=FlowFilterId(any_=list({d.flow_id for d in listed}))))
    flow_names = {f.id: f.name for f in flows}
    return {f"{flow_names.get(d.flow_id, d.flow_id)}/{d.name}": d.id for d in listed}


async def _live_deployment_ids(client: PrefectClient) -> set[UUID]:
    ids: set[UUID] = set()
    offset = 0
    while True:
        page = await client.read_deployments(limit=200, offset=offset)
        ids |= {d.id for d in page}
        if len(page) < 200:
            return ids
        offset += 200


async def _all_automations(client: PrefectClient) -> list[Automation]:
    automations: list[Automation] = []
    offset = 0
    while True:
        page = await client.read_automations(limit=200, offset=offset)
        automations += page
        if len(page) < 200:
            return automations
        offset += 200


def deploy(deployments: Sequence[RunnerDeployment], *,
           pool: str,
           queues: Sequence[WorkQueue],
           queue_for: Callable[[RunnerDeployment], str],
           extra_automations: Callable[[dict[str, UUID]], list[AutomationCore]] | None = None,
           prune: bool = True,
           schedules_active: bool = True,
           project_root: Path = PROJECT_ROOT) -> DeployReport:
    """Make the Prefect API hold exactly these deployments (on `pool`, in `queues`) and automations.

    `queue_for` picks each deployment's queue; `extra_automations` builds automations beyond the
    deployments' own triggers from the registered ids. With `prune`, deployments in the pool that
    are no longer passed are deleted (their automations with them). With `schedules_active=False`
    schedules are registered switched off. Call it outside an event loop: Prefect's
    `to_deployment` builds coroutines inside one.
    """
    import asyncio

    deployments = list(deployments)
    names = [f"{d.flow_name}/{d.name}" for d in deployments]
    if len(names) != len(set(names)):
        raise ConfigError(f"deployment names are not unique: {sorted(names)}")
    return asyncio.run(_deploy(
        deployments,
        pool=pool,
        queues=list(queues),
        queue_for=queue_for,
        extra_automations=extra_automations or (lambda _ids: []),
        prune=prune,
        schedules_active=schedules_active,
        project_root=project_root,
    ))


async def _deploy(deployments: list[RunnerDeployment], *, pool: str, queues: list[WorkQueue],
                  queue_for: Callable[[RunnerDeployment], str],
                  extra_automations: Callable[[dict[str, UUID]], list[AutomationCore]],
                  prune: bool, schedules_active: bool, project_root: Path) -> DeployReport:
    from prefect.client.orchestration import get_client

    report = DeployReport()
    async with get_client() as client:
        report.changes.append(await _ensure_pool(client, pool))
        report.changes += await _sync_queues(client, pool, queues)
        for deployment in deployments:
            registration = registration_copy(deployment, pool=pool, queue=queue_for(deployment),
                                             project_root=project_root, schedules_active=schedules_active)
            deployment_id, change = await _sync_deployment(client, registration)
            report.deployment_ids[f"{deployment.flow_name}/{deployment.name}"] = deployment_id
            report.changes.append(change)
        if prune:
            for name, deployment_id in (await _our_deployments_in_pool(client, pool)).items():
                if name not in report.deployment_ids:
                    await client.delete_deployment(deployment_id)
                    report.changes.append(Change("delete", "deployment", name, "no longer defined"))

        desired = [a for d in deployments
                   for a in trigger_automations(d, report.deployment_ids[f"{d.flow_name}/{d.name}"])]
        desired += [managed(a) for a in extra_automations(report.deployment_ids)]
        unique_names(desired)
        plan = plan_automations(desired, await _all_automations(client), await _live_deployment_ids(client))
        for automation_id, _, _ in plan.delete:
            await client.delete_automation(automation_id)
        for automation_id, automation in plan.update:
            await client.update_automation(automation_id, automation)
        for automation in plan.create:
            await client.create_automation(automation)
        report.changes += plan.changes()
    return report
