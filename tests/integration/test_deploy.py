"""`gridflow deploy` against a real Prefect server: idempotent, and it cleans up after renamed
triggers, removed deployments and deployments deleted behind its back.

Uses test-only deployments of a module-level flow on a pool of its own, so the session-wide server
keeps nothing of it afterwards.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest
from prefect import flow
from prefect.events import DeploymentEventTrigger
from prefect.schedules import Interval

from gridflow.provenance import PROJECT_ROOT
from gridflow.services.deploy import DeployReport, WorkQueue, deploy

pytestmark = pytest.mark.integration

TAG = uuid.uuid4().hex[:8]
POOL = f"gridflow-test-{TAG}"
QUEUES = [WorkQueue("urgent", 1, None, "first"), WorkQueue("default", 2, None, "the rest")]


@flow(name=f"deploy-test-{TAG}")
def noop(x: int = 1) -> int:
    """Never run: only registered."""
    return x


def trigger(name: str) -> DeploymentEventTrigger:
    return DeploymentEventTrigger(name=f"{name}-{TAG}", expect={"gridflow.test.happened"},
                                  match={"prefect.resource.id": f"gridflow.test.{TAG}"})


def deployments(trigger_name: str = "on-test-event", with_b: bool = True):
    a = noop.to_deployment(name="a", triggers=[trigger(trigger_name)], tags=["urgent"], parameters={"x": 2})
    return [a, noop.to_deployment(name="b", schedules=[Interval(3600)])] if with_b else [a]


def watch_b(ids):
    """A non-trigger automation like the failure notification: runs `b` when `a` fails."""
    from deployments.automations import failure_notification

    b = ids.get(f"deploy-test-{TAG}/b")
    if b is None:
        return []
    return [failure_notification([ids[f"deploy-test-{TAG}/a"]], b).model_copy(update={"name": f"watch-{TAG}"})]


def run_deploy(prefect_server, items, **kwargs) -> DeployReport:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: prefect_server}):
        return deploy(items, pool=POOL, queues=QUEUES, extra_automations=watch_b,
                      queue_for=lambda d: "urgent" if "urgent" in d.tags else "default", **kwargs)


def on(prefect_server, scenario):
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    async def main():
        async with get_client() as client:
            return await scenario(client)

    with temporary_settings(updates={PREFECT_API_URL: prefect_server}):
        return asyncio.run(main())


async def ours(client) -> tuple[dict[str, str], dict[str, str]]:
    """Our deployments (name -> id) and automations (name -> id) on the server."""
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName

    listed = await client.read_deployments(flow_filter=FlowFilter(name=FlowFilterName(any_=[f"deploy-test-{TAG}"])))
    automations = [a for a in await client.read_automations() if TAG in a.name]
    return {d.name: str(d.id) for d in listed}, {a.name: str(a.id) for a in automations}


@pytest.fixture
def cleanup(prefect_server) -> Iterator[None]:
    yield

    async def remove(client):
        names, automations = await ours(client)
        for automation_id in automations.values():
            await client.delete_automation(uuid.UUID(automation_id))
        for deployment_id in names.values():
            await client.delete_deployment(uuid.UUID(deployment_id))
        await client.delete_work_pool(POOL)

    on(prefect_server, remove)


def actions(report: DeployReport) -> dict[tuple[str, str], str]:
    return {(c.kind, c.name): c.action for c in report.changes}


def test_deploy_is_idempotent_and_cleans_up(prefect_server, cleanup):
    first = run_deploy(prefect_server, deployments())
    assert actions(first) == {
        ("work pool", POOL): "create", ("work queue", "urgent"): "create", ("work queue", "default"): "update",
        ("deployment", f"deploy-test-{TAG}/a"): "create", ("deployment", f"deploy-test-{TAG}/b"): "create",
        ("automation", f"on-test-event-{TAG}"): "create", ("automation", f"watch-{TAG}"): "create",
    }
    registered = on(prefect_server, ours)

    async def details(client):
        a = await client.read_deployment_by_name(f"deploy-test-{TAG}/a")
        queues = {q.name: q.priority for q in await client.read_work_queues(work_pool_name=POOL)}
        return a, queues

    a, queues = on(prefect_server, details)
    assert (a.work_pool_name, a.work_queue_name, a.parameters) == (POOL, "urgent", {"x": 2})
    assert a.entrypoint == "tests/integration/test_deploy.py:noop"
    assert a.pull_steps == [{"prefect.deployments.steps.set_working_directory": {"directory": str(PROJECT_ROOT)}}]
    assert queues == {"urgent": 1, "default": 2}

    # Again: nothing changes, not even an automation's id.
    second = run_deploy(prefect_server, deployments())
    assert not second.changed, [str(c) for c in second.changes if c.action != "unchanged"]
    assert on(prefect_server, ours) == registered

    # A renamed trigger: the old automation goes, the new one comes, the deployment stays as it was.
    renamed = run_deploy(prefect_server, deployments(trigger_name="on-test-event-renamed"))
    assert actions(renamed)[("automation", f"on-test-event-{TAG}")] == "delete"
    assert actions(renamed)[("automation", f"on-test-event-renamed-{TAG}")] == "create"
    assert actions(renamed)[("deployment", f"deploy-test-{TAG}/a")] == "unchanged"

    # A deployment registered the Prefect way (as `gridflow serve` does) and then deleted leaves
    # its trigger's automation behind, still pointing at it.
    served = noop.to_deployment(name="served", triggers=[trigger("served-trigger")])
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: prefect_server}):
        served_id = served.apply()

    async def delete_served(client):
        await client.delete_deployment(served_id)

    on(prefect_server, delete_served)
    assert f"served-trigger-{TAG}" in on(prefect_server, ours)[1]
    orphaned = run_deploy(prefect_server, deployments(trigger_name="on-test-event-renamed"))
    assert actions(orphaned)[("automation", f"served-trigger-{TAG}")] == "delete"
    assert f"served-trigger-{TAG}" not in on(prefect_server, ours)[1]

    # Schedules switched off (offline machine, demo) and on again.
    async def b_schedules(client):
        return [s.active for s in (await client.read_deployment_by_name(f"deploy-test-{TAG}/b")).schedules]

    off = run_deploy(prefect_server, deployments(trigger_name="on-test-event-renamed"), schedules_active=False)
    assert {k: v for k, v in actions(off).items() if v != "unchanged"} == {("deployment", f"deploy-test-{TAG}/b"): "update"}
    assert on(prefect_server, b_schedules) == [False]
    assert not run_deploy(prefect_server, deployments(trigger_name="on-test-event-renamed"),
                          schedules_active=False).changed
    run_deploy(prefect_server, deployments(trigger_name="on-test-event-renamed"))
    assert on(prefect_server, b_schedules) == [True]

    # `b` removed from the code: pruned from the pool, with the automation that ran it.
    pruned = run_deploy(prefect_server, deployments(trigger_name="on-test-event-renamed", with_b=False))
    assert actions(pruned)[("deployment", f"deploy-test-{TAG}/b")] == "delete"
    assert actions(pruned)[("automation", f"watch-{TAG}")] == "delete"
    names, automations = on(prefect_server, ours)
    assert set(names) == {"a"} and set(automations) == {f"on-test-event-renamed-{TAG}"}
