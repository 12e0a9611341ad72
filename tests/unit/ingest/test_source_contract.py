"""The ingestion contract, checked the same way for every source (one case class per source).

Each source's recorded fixtures go through its use case in `gridflow.ingest` on a fresh warehouse
(SQLite, and PostgreSQL when reachable), with one bad input among the good ones:
- the parsed frames carry UTC instants, the local wall clock and a DST flag that agree with the
  source's time zone;
- the stored keys are unique;
- the bad input is quarantined with a reason (ledger row, kept copy, DATA_QUARANTINED event on the
  dataset's resource), and nothing else is lost: the good inputs store what they store alone;
- a second load of the same inputs is idempotent: everything is skipped, no row changes.

Adding a source means adding one case here.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd
import pytest
import sqlalchemy as sa

from gridflow import events, frames
from gridflow.errors import ParseError, ValidationFailed
from gridflow.ingest.contract import Outcome, Parsed
from gridflow.replay import ReplayServer
from gridflow.replay.ercot_mis import REAL_LOAD_CSV, load_doc, serve_mis, zip_bytes
from gridflow.replay.nws_weather import (
    FORECAST_FIXTURE,
    REAL_LATITUDE,
    REAL_LONGITUDE,
    REAL_STATION,
    FakeNwsWeather,
    real_weather_scenario,
)
from gridflow.replay.pjm_dataminer import FakeDataMiner
from gridflow.sources.meters.frame import METER_KEY
from gridflow.warehouse.engine import make_engine, upgrade
from gridflow.warehouse.tables import ingest_ledger, load_observation, meter_interval, weather_daily, weather_forecast

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
PJM_KEY = "contract-key"


class SourceCase:
    """One source under the contract: its inputs, how its use case ingests them, where rows land."""

    name: ClassVar[str]
    dataset: ClassVar[str]
    table: ClassVar[sa.Table]
    key: ClassVar[list[str]]
    tz: ClassVar[str]
    daily: ClassVar[bool] = False  # rows keyed by local calendar day instead of an hourly instant
    instant: ClassVar[str] = frames.INTERVAL_START_UTC  # the rows' UTC instant
    local: ClassVar[str | None] = frames.INTERVAL_START_LOCAL  # its local wall clock (None: rows carry none)
    dst: ClassVar[str | None] = frames.IS_DST  # the DST flag of that wall clock (None: rows carry none)

    def setup(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """Prepare inputs (files, a replay server) before the first run."""

    def teardown(self) -> None:
        """Stop whatever `setup` started."""

    def parsed(self) -> list[Parsed]:
        """The parse results of the good inputs, straight from the source's parser."""
        raise NotImplementedError

    def zones(self) -> list[str]:
        """The time zone of each good input's wall clock (the source's own, unless inputs differ)."""
        return [self.tz] * len(self.parsed())

    def run(self, engine: sa.Engine, with_bad: bool) -> list[Outcome]:
        """Ingest the good inputs (and the bad one) through the source's use case."""
        raise NotImplementedError


class PjmLoadCsv(SourceCase):
    name, dataset, table, key, tz = "pjm_load_csv", "pjm_load", load_observation, frames.LOAD_KEY, frames.PJM_TZ

    def setup(self, tmp_path, monkeypatch):
        from tests.conftest import write_pjme_excerpt

        # A Data Miner export across the fall-back hour, and a Kaggle file across spring-forward.
        self.good = [FIXTURES / "pjm" / "hrl_load_metered_dpl_ae_2023-11-05.csv",
                     write_pjme_excerpt(tmp_path / "pjme.csv", "2015-02-01", "2015-04-01")]
        self.bad = tmp_path / "broken.csv"
        self.bad.write_text("Datetime,PJME_MW\n2018-01-01 01:00:00,not a number\n")

    def parsed(self):
        from gridflow.sources.pjm_load_csv import detect_and_parse

        return [detect_and_parse(p) for p in self.good]

    def run(self, engine, with_bad):
        from gridflow.ingest import files, pjm_file

        outcomes = []
        for path in [*self.good, *([self.bad] if with_bad else [])]:
            ticket = files.open_ticket(engine, str(path), self.dataset, self.name)
            if ticket.already_loaded_by is not None:
                outcomes.append(files.skipped_outcome(ticket))
                continue
            try:  # the flow's steps, one task each there
                parsed = pjm_file.parse_file(engine, ticket)
                outcomes.append(pjm_file.load_or_quarantine(engine, ticket, parsed,
                                                            pjm_file.validate_load(parsed.frame)))
            except (ParseError, ValidationFailed) as exc:
                outcomes.append(Outcome(ticket.path, "quarantined", ledger_id=ticket.ledger_id, reason=str(exc)))
        return outcomes


class PjmApi(SourceCase):
    name, dataset, table, key, tz = "pjm_api", "pjm_load", load_observation, frames.LOAD_KEY, frames.PJM_TZ

    def setup(self, tmp_path, monkeypatch):
        monkeypatch.setenv("PJM_API_KEY", PJM_KEY)
        self.items = json.loads((FIXTURES / "pjm_api" / "hrl_load_metered_dpl_ae_2023-11-05.json").read_text())["items"]
        broken = [{**item, "zone": "BAD", "mw": "n/a"} for item in self.items if item["zone"] == "AE"]
        self.fake = FakeDataMiner("hrl_load_metered", self.items + broken, PJM_KEY)
        self.server = ReplayServer().start()
        self.server.add_handler("/api/v1/hrl_load_metered", self.fake)

    def teardown(self):
        self.server.stop()

    def parsed(self):
        from gridflow.sources.pjm_api import parse_hrl_load_metered

        return [parse_hrl_load_metered(self.items)]

    def run(self, engine, with_bad):
        from gridflow.ingest import pjm_api

        options = pjm_api.ClientOptions(f"{self.server.base_url}/api/v1", requests_per_minute=None,
                                        max_attempts=1, backoff_seconds=0.01)
        zones = ["AE", "DPL", *(["BAD"] if with_bad else [])]
        plans = pjm_api.plan_chunks(engine, "hrl_load_metered", zones, "2023-11-05", "2023-11-06", backfill=True)
        return [pjm_api.ingest_chunk(engine, plan, options) for plan in plans]


class ErcotMis(SourceCase):
    name, dataset, table, key, tz = "ercot_mis", "ercot_load", load_observation, frames.LOAD_KEY, frames.ERCOT_TZ

    def setup(self, tmp_path, monkeypatch):
        from gridflow.config import reset_settings

        monkeypatch.setenv("GRIDFLOW_ERCOT__MAX_ATTEMPTS", "1")
        reset_settings()
        self.docs = [load_doc("600", datetime(2023, 11, 14)), load_doc("601", datetime(2023, 11, 18),
                                                                       csv=REAL_LOAD_CSV.read_bytes())]
        self.broken = load_doc("602", datetime(2023, 11, 20), body=zip_bytes({"x.csv": b"OperDay,Nonsense\n1,2\n"}))
        self.server = ReplayServer().start()
        serve_mis(self.server, 13101, [*self.docs, self.broken])

    def teardown(self):
        self.server.stop()

    def parsed(self):
        import io
        import zipfile

        from gridflow.sources.ercot.parse import parse_actual_load_wz

        out = []
        for doc in self.docs:
            with zipfile.ZipFile(io.BytesIO(doc.replies[0].body_bytes())) as archive:
                out.append(parse_actual_load_wz(archive.read(archive.namelist()[0]), doc.name))
        return out

    def run(self, engine, with_bad):
        from gridflow.ingest import ercot

        wanted = {d.doc_id for d in self.docs} | ({self.broken.doc_id} if with_bad else set())
        # Every listed document, seen or not, as two racing runs would: a seen one must be skipped.
        with ercot.make_client(self.server.base_url) as client:
            listed = sorted((d for d in client.list_documents(13101) if d.is_csv and d.doc_id in wanted),
                            key=lambda d: d.published_at_utc)
        return [ercot.ingest_document(engine, doc, "actual_load_wz", self.server.base_url) for doc in listed]


class SmartMeterFiles(SourceCase):
    name, dataset, table, tz = "meter_file_drop", "meter_interval", meter_interval, frames.ERCOT_TZ
    key = METER_KEY
    FILES: ClassVar[dict[str, str]] = {  # file -> the meter's zone
        "smt_interval_15min_IntervalData_dst_days_excerpt_esiid_masked.csv": frames.ERCOT_TZ,
        "greenbutton_csv_pge_electric_interval_data_hourly_2018-10-04_to_2019-02-11_preamble_redacted.csv":
            "America/Los_Angeles",
        "greenbutton_csv_sce_net_metering_SCE-NEMFILE.sample.csv": "America/Los_Angeles",
    }

    def setup(self, tmp_path, monkeypatch):
        self.drop = tmp_path / "drop"
        self.drop.mkdir()
        self.good = [FIXTURES / "meters" / name for name in self.FILES]
        for path in self.good:
            shutil.copy2(path, self.drop / path.name)
        self.bad = self.drop / "zz_broken.csv"

    def parsed(self):
        from gridflow.sources.meters import parse_meter_file

        return [parse_meter_file(p) for p in self.good]

    def zones(self):
        return list(self.FILES.values())

    def run(self, engine, with_bad):
        from gridflow.ingest import meters

        if with_bad:
            self.bad.write_text("ESIID,USAGE_DATE\nnot,a meter file\n")
        return meters.ingest_files(engine, meters.scan_drop_folder(str(self.drop)))


class GhcnDailyFiles(SourceCase):
    """Weather history: daily rows keyed by local calendar day (no UTC instant, no DST flag)."""

    name, dataset, table, tz = "ghcn_daily_csv", "weather_daily", weather_daily, "America/New_York"
    key: ClassVar[list[str]] = ["site", "local_date"]
    daily = True

    def setup(self, tmp_path, monkeypatch):
        source = Path(__file__).resolve().parents[3] / "data" / "weather" / "USW00093721_BWI_daily_2001_2018.csv"
        lines = source.read_text().splitlines(keepends=True)
        # Two files of the shipped history (2001 and 2018, leap-free years with DST changes) and a broken one.
        self.good = [tmp_path / "USW00093721_BWI_daily_2001.csv", tmp_path / "USW00093721_BWI_daily_2018.csv"]
        self.good[0].write_text("".join(lines[:366]))
        self.good[1].write_text("".join([lines[0], *lines[-365:]]))
        self.bad = tmp_path / "USW00093721_BWI_daily_broken.csv"
        self.bad.write_text(lines[0] + '"1",2019-01-01,40,hot,0\n')

    def parsed(self):
        from gridflow.sources.weather.ghcn_daily import parse_ghcn_daily

        return [parse_ghcn_daily(p, "BWI") for p in self.good]

    def run(self, engine, with_bad):
        from gridflow.ingest import files, weather

        outcomes = []
        for path in [*self.good, *([self.bad] if with_bad else [])]:
            ticket = files.open_ticket(engine, str(path), self.dataset, self.name)
            if ticket.already_loaded_by is not None:
                outcomes.append(files.skipped_outcome(ticket))
                continue
            try:  # the ingest-weather-history flow's steps
                parsed = weather.parse_history(engine, ticket, "BWI")
                outcomes.append(weather.load_history_or_quarantine(engine, ticket, parsed,
                                                                   weather.validate(parsed.frame, "weather_daily")))
            except (ParseError, ValidationFailed) as exc:
                outcomes.append(Outcome(ticket.path, "quarantined", ledger_id=ticket.ledger_id, reason=str(exc)))
        return outcomes


def on_grid(fake: FakeNwsWeather, grid_x: int, grid_y: int) -> FakeNwsWeather:
    """`fake` moved to another grid cell of the same office: its points answer names the cell and
    its forecast is served there (same recorded values), so it can share a server with the original."""
    ((_, point),) = fake.points.items()
    props = point["properties"]
    old = f"/gridpoints/{props['gridId']}/{props['gridX']},{props['gridY']}"
    new = f"/gridpoints/{props['gridId']}/{grid_x},{grid_y}"
    props.update({k: v.replace(old, new) for k, v in props.items() if isinstance(v, str) and old in v})
    props.update(gridX=grid_x, gridY=grid_y)
    fake.forecasts = {path.replace(old, new): doc for path, doc in fake.forecasts.items()}
    return fake


class NwsHourlyForecast(SourceCase):
    """The live NWS hourly forecast, one vintage per site (the ingest-weather flow's forecast step).

    The replay server answers with the real recorded points and forecast unchanged (clock one hour
    after the recorded `updateTime`): for TAE on the recorded point, and for TAE_NEAR, a second site
    in the same grid cell (same answer, its own rows). The bad input is a third site whose vintage
    has every temperature null. Rows carry UTC instants only (no local wall clock, no DST flag).
    """

    name, dataset, table, tz = "nws_weather", "weather_forecast", weather_forecast, "America/New_York"
    key: ClassVar[list[str]] = ["site", "update_time_utc", "valid_start_utc"]
    instant, local, dst = "valid_start_utc", None, None
    NOW = datetime(2019, 10, 15, 0, 30, tzinfo=UTC)  # the recorded updateTime is 2019-10-14 23:16 UTC
    SITES: ClassVar[list[dict[str, Any]]] = [
        {"site": "TAE", "zone": "PJME", "latitude": REAL_LATITUDE, "longitude": REAL_LONGITUDE,
         "station": REAL_STATION},
        {"site": "TAE_NEAR", "zone": "PJME", "latitude": 30.01, "longitude": -85.01, "station": REAL_STATION},
        {"site": "NULLS", "zone": "PJME", "latitude": 30.5, "longitude": -85.5, "station": "KPAM"},
    ]
    GOOD, BAD = ["TAE", "TAE_NEAR"], "NULLS"

    def setup(self, tmp_path, monkeypatch):
        from gridflow.clients.nws_weather import points_path
        from gridflow.config import reset_settings

        monkeypatch.setenv("GRIDFLOW_WEATHER__SITES", json.dumps(self.SITES))
        monkeypatch.setenv("GRIDFLOW_WEATHER__MAX_ATTEMPTS", "2")
        monkeypatch.setenv("GRIDFLOW_WEATHER__BACKOFF_SECONDS", "0.01")
        reset_settings()
        self.fake = real_weather_scenario(now_utc=self.NOW)
        (point,) = self.fake.points.values()
        self.fake.points[points_path(30.01, -85.01)] = point  # TAE_NEAR: the same grid cell
        assert list(self.fake.forecasts.values()) == [json.loads(FORECAST_FIXTURE.read_text())], "not the recording"
        bad = real_weather_scenario(30.5, -85.5, "KPAM", now_utc=self.NOW)
        self.broken = on_grid(bad, 59, 66).all_null_temperatures()
        self.server = ReplayServer().start()
        self.fake.serve(self.server)
        self.broken.serve(self.server)

    def teardown(self):
        self.server.stop()

    def parsed(self):
        from gridflow.sources.weather.nws_forecast import parse_forecast_hourly

        ((path, doc),) = self.fake.forecasts.items()
        return [parse_forecast_hourly(json.dumps(doc).encode(), site, pd.Timestamp(self.NOW), path).parsed
                for site in self.GOOD]

    def run(self, engine, with_bad):
        from gridflow.ingest import weather

        sites = weather.selected_sites([*self.GOOD, *([self.BAD] if with_bad else [])])
        # Per site, the forecast half of the flow's ingest-weather-site task (`ingest_nws_site`),
        # with the clock fixed so the recorded vintage is fresh.
        with weather.make_client(self.server.base_url) as client:
            return [weather.ingest_forecast(engine, site, client, self.NOW) for site in sites]


CASES = [PjmLoadCsv, PjmApi, ErcotMis, SmartMeterFiles, GhcnDailyFiles, NwsHourlyForecast]


@dataclass
class World:
    """A fresh warehouse and quarantine folder, and the events the use cases emitted."""

    engine: sa.Engine
    home: Path
    sent: list[events.Event]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def world(request, tmp_path, monkeypatch):
    from gridflow import runtime
    from gridflow.config import reset_settings

    url = (f"sqlite:///{tmp_path / 'w.db'}" if request.param == "sqlite"
           else request.getfixturevalue("postgres_schema_url"))
    monkeypatch.setenv("GRIDFLOW_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GRIDFLOW_WAREHOUSE_URL", url)
    reset_settings()
    runtime.reset()
    sent: list[events.Event] = []
    monkeypatch.setattr(events, "emit", sent.append)
    engine = make_engine(url)
    upgrade(engine)
    yield World(engine, tmp_path / "home", sent)
    engine.dispose()
    runtime.reset()
    reset_settings()


@pytest.fixture(params=CASES, ids=[c.name for c in CASES])
def case(request, tmp_path, monkeypatch):
    source = request.param()
    source.setup(tmp_path, monkeypatch)
    yield source
    source.teardown()


def stored(engine: sa.Engine, table: sa.Table) -> pd.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(*[c for c in table.c if c.name not in ("updated_at", "ingest_id")])).all()
    return pd.DataFrame(rows, columns=[c.name for c in table.c if c.name not in ("updated_at", "ingest_id")])


def ledger(engine: sa.Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(ingest_ledger).order_by(ingest_ledger.c.id))]


def test_parsed_frames_carry_utc_local_hour_and_dst_flag(case):
    for parsed, tz in zip(case.parsed(), case.zones(), strict=True):
        frame = parsed.frame
        assert len(frame) and parsed.rows_read > 0
        if case.daily:  # a local calendar day: naive midnight, one row per key
            day = frame["local_date"]
            assert day.dt.tz is None and (day == day.dt.normalize()).all()
            assert not frame.duplicated(case.key).any()
            continue
        for column in [c for c in frame.columns if c.endswith("_utc")]:  # every UTC column, not just the key's
            assert str(frame[column].dt.tz) == "UTC", column
        utc = frame[case.instant]
        assert utc.notna().all()
        zoned = utc.dt.tz_convert(tz)
        if case.local is None:  # no wall clock to check: make sure none is there unchecked
            assert not [c for c in frame.columns if c.endswith("_local")]
        else:
            local = frame[case.local]
            assert local.dt.tz is None
            assert (zoned.dt.tz_localize(None) == local).all(), "local wall clock disagrees with the UTC instant"
        if case.dst is not None:
            expected_dst = [bool(t.dst()) for t in zoned]
            assert frame[case.dst].astype(bool).tolist() == expected_dst
        assert not frame.duplicated(case.key).any()


def test_load_quarantine_and_idempotent_second_load(case, world):
    alone = case.run(world.engine, with_bad=False)
    assert {o.status for o in alone} == {"loaded"}, [(o.item, o.reason) for o in alone]
    good_rows = stored(world.engine, case.table)
    assert len(good_rows) == sum(o.rows_written for o in alone) > 0
    assert not good_rows.duplicated(case.key).any()

    # The bad input among the good ones: only it is quarantined, with its reason, and announced.
    mixed = case.run(world.engine, with_bad=True)
    bad = [o for o in mixed if o.status == "quarantined"]
    assert len(bad) == 1 and bad[0].reason, [(o.item, o.status, o.reason) for o in mixed]
    assert {o.status for o in mixed if o is not bad[0]} <= {"skipped"}
    entry = next(r for r in ledger(world.engine) if r["id"] == bad[0].ledger_id)
    assert entry["status"] == "quarantined" and entry["reason"]
    assert Path(entry["details"]["kept_at"]).is_file()
    assert Path(entry["details"]["kept_at"]).is_relative_to(world.home)
    (event,) = world.sent
    assert event.event == events.DATA_QUARANTINED
    assert event.resource["prefect.resource.id"] == events.dataset_resource(case.dataset)
    assert event.payload["ledger_id"] == bad[0].ledger_id and event.payload["reason"]
    pd.testing.assert_frame_equal(stored(world.engine, case.table), good_rows)

    # Once more: nothing new to load, no row changes, no double rows.
    again = case.run(world.engine, with_bad=False)
    assert {o.status for o in again} == {"skipped"}, [(o.item, o.status) for o in again]
    pd.testing.assert_frame_equal(stored(world.engine, case.table), good_rows)
    assert all(r["status"] != "started" for r in ledger(world.engine))
