"""What the README promises for a second `gridflow demo`: every input is skipped (no duplicate
rows), the forecast issue answers "already stored", the equal challenger is rejected, and the
drift monitor warns inside its cool-down instead of retraining again.

`gridflow demo` runs twice as its own process (no worker online, so in-process, as on a machine
without `gridflow up`) on a three-and-a-half-year excerpt of the shipped PJME file, without the
storm, serving and fleet steps (minutes each; the storm poll's "nothing new" is the last test
here, on the demo's own replayed NWS scenario).
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from tests.conftest import write_pjme_excerpt

pytestmark = pytest.mark.integration

# Tables a second run may add to: its decisions, checks and the ledger rows saying "skipped"; never data.
BOOKKEEPING = {"promotion_audit", "drift_check", "ingest_ledger"}


def table_counts() -> dict[str, int]:
    from gridflow.runtime import warehouse

    with warehouse().connect() as conn:
        names = sa.inspect(conn).get_table_names()
        return {n: conn.execute(sa.text(f'SELECT count(*) FROM "{n}"')).scalar_one() for n in names}


def ledger_statuses(since: datetime) -> dict[str, list[str]]:
    """Dataset -> statuses of the ingest ledger rows started after `since`."""
    from gridflow.runtime import warehouse
    from gridflow.warehouse.ledger import list_ingests

    with warehouse().connect() as conn:
        rows = list_ingests(conn, limit=10_000)
    found: dict[str, list[str]] = {}
    for row in rows:
        if row["started_at"].replace(tzinfo=UTC) >= since:
            found.setdefault(row["dataset"], []).append(row["status"])
    return found


def test_a_second_demo_skips_every_input_and_changes_no_decision(gridflow_env, tmp_path, monkeypatch):
    from gridflow.config import reset_settings

    # The demo's own weather site (BWI for PJME), as shipped; the interval's calibration needs a
    # year of training history before its own year, so the holdout starts in the excerpt's last year.
    monkeypatch.delenv("GRIDFLOW_WEATHER__SITES")
    monkeypatch.setenv("GRIDFLOW_LOAD_FORECAST__HOLDOUT_START", "2017-08-01")
    reset_settings()
    excerpt = write_pjme_excerpt(tmp_path / "PJME_excerpt.csv", "2015-01-01", "2018-08-04")
    command = [sys.executable, "-m", "gridflow_cli", "demo", "--file", str(excerpt),
               "--no-storm", "--no-serving", "--no-fleet", "--no-prices"]

    def demo() -> str:
        done = subprocess.run(command, env=dict(os.environ), capture_output=True, text=True, timeout=1500)
        assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
        return done.stdout

    first = demo()
    assert "PROMOTE" in first and "RETRAIN" in first, first[-4000:]
    before = table_counts()
    since = datetime.now(UTC)

    second = demo()
    after = table_counts()

    # Every input skipped: no data table gained a row ...
    assert {n: (before[n], c) for n, c in after.items() if n not in BOOKKEEPING and c != before.get(n)} == {}, \
        second[-4000:]
    assert after["load_observation"] == before["load_observation"] > 30_000
    # ... and every input the second run looked at is in the ledger as skipped.
    statuses = ledger_statuses(since)
    assert statuses and all(set(found) == {"skipped"} for found in statuses.values()), statuses
    # The forecast of the day is the one issued first; the equal challenger does not move champion;
    # the drift monitor is inside the cool-down of the retrain the first run triggered.
    assert "already stored (first write wins)" in second, second[-4000:]
    assert "REJECT" in second and "champion stays" in second, second[-4000:]
    assert "WARN" in second and "cool-down" in second, second[-4000:]
    assert after["promotion_audit"] == before["promotion_audit"] + 1
    assert after["drift_check"] == before["drift_check"] + 1


def test_a_second_poll_of_the_demo_storm_announces_nothing(gridflow_env):
    """The demo's storm step polls a replayed api.weather.gov (warning, same list, update); a second
    demo serves the same scenario from its start: nothing new, no event (so no storm run)."""
    from prefect.client.orchestration import get_client
    from prefect.events.filters import EventFilter, EventNameFilter, EventOccurredFilter

    from flows.poll_weather_alerts import poll_weather_alerts
    from gridflow.replay import ReplayServer
    from gridflow.replay.nws import serve_nws, texas_storm_scenario

    def demo_polls() -> list:
        changes = []
        with ReplayServer() as server:
            nws = serve_nws(server, texas_storm_scenario())
            changes += poll_weather_alerts(base_url=server.base_url).changes
            nws.advance()  # the same list again, then the warning's update, as the demo does
            nws.advance()
            changes += poll_weather_alerts(base_url=server.base_url).changes
        return changes

    first = demo_polls()
    assert len(first) == 2, first
    since = datetime.now(UTC)
    assert demo_polls() == []

    import time

    time.sleep(5)  # the server stores events in batches: give a stray one time to land
    wanted = EventFilter(occurred=EventOccurredFilter(since=since),
                         event=EventNameFilter(prefix=["gridflow.weather.alert."]))
    with get_client(sync_client=True) as client:
        assert client.read_events(filter=wanted, limit=10).events == []
