"""An operator's Retry of a failed ERCOT ingest run re-executes only the document that failed.

A served `ingest-ercot/actual-load` deployment ingests four real-format documents from a fake MIS;
the warehouse refuses the third document's bookkeeping row (a real fault in the store, injected by
a trigger). The run fails after loading the other three; the operator fixes the store and presses
Retry (through the API, as the UI does); only the failed document is executed again.
"""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa

from gridflow.replay import ReplayServer
from gridflow.replay.ercot_mis import serve_mis
from tests.conftest import wait_final
from tests.integration.served import retry_like_the_ui, served, task_states, wait_deployment
from tests.integration.test_ingest_ercot import four_docs, ledger_rows, snapshot

pytestmark = pytest.mark.integration

DEPLOYMENT = "ingest-ercot/actual-load"


def test_retry_of_failed_ingest_reloads_only_the_failed_document(gridflow_env, tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.objects import StateType

    from tasks.common import warehouse

    with warehouse().begin() as conn:
        conn.execute(sa.text(
            "CREATE TRIGGER doc_502_down BEFORE INSERT ON source_document WHEN NEW.doc_id = '502' "
            "BEGIN SELECT RAISE(ABORT, 'document store unavailable (injected by test)'); END"
        ))

    async def scenario(serve, base_url):
        async with get_client() as client:
            deployment = await wait_deployment(client, DEPLOYMENT, serve)
            created = await client.create_flow_run_from_deployment(
                deployment.id, parameters={"report": "actual_load_wz", "base_url": base_url}
            )
            failed = await wait_final(client, created.id)
            first = await task_states(client, created.id)
            rows_after_failure = len(snapshot())
            with warehouse().begin() as conn:
                conn.execute(sa.text("DROP TRIGGER doc_502_down"))
            await retry_like_the_ui(client, created.id)
            retried = await wait_final(client, created.id)
            return failed, first, rows_after_failure, retried, await task_states(client, created.id)

    with ReplayServer() as mis:
        serve_mis(mis, 13101, four_docs())
        with served(gridflow_env, tmp_path / "serve.log", DEPLOYMENT) as serve:
            failed, first, rows_after_failure, retried, after = asyncio.run(scenario(serve, mis.base_url))
        downloads = [r.query.get("doclookupId") for r in mis.requests if r.path.endswith("mirDownload")]

    log = (tmp_path / "serve.log").read_text()[-3000:]
    assert failed.state.type == StateType.FAILED, log
    assert first["ingest-ercot-502"] == ["Failed"]
    assert rows_after_failure == 3 * 216  # the other documents committed; 502 left nothing behind
    assert retried.state.type == StateType.COMPLETED, log

    assert after["list-ercot-actual_load_wz"] == ["Completed", "Cached"]
    for doc in ("500", "501", "503"):
        assert after[f"ingest-ercot-{doc}"] == ["Completed", "Cached"], (doc, after)
    assert after["ingest-ercot-502"] == ["Failed", "Completed"]
    # Each document was fetched once, except the one that failed (and only it) once more.
    assert sorted(downloads) == ["500", "501", "502", "502", "503"]
    assert len(snapshot()) == 4 * 216
    assert sorted(r["status"] for r in ledger_rows() if r["status"] == "loaded") == ["loaded"] * 4
