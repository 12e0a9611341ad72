"""The PJM stand-in serving the shipped da_hrl_lmps CSV export as Data Miner 2 JSON pages."""

from __future__ import annotations

import csv
from datetime import datetime
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from gridflow.clients.pjm_dataminer import KEY_HEADER, PJMAuthError, PJMDataMinerClient
from gridflow.replay import ReplayServer
from gridflow.replay.offline_sources import offline_sources
from gridflow.replay.pjm_dataminer import SHIPPED_DA_LMPS, da_lmps_from_export
from gridflow.sources.pjm_api import parse_da_hrl_lmps

KEY = "unit-key-da"
YEAR = "01/01/2025 00:00to12/31/2025 23:59"


@pytest.fixture(scope="module")
def csv_rows() -> list[dict[str, str]]:
    with SHIPPED_DA_LMPS.open(newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def base_url():
    with ReplayServer() as server:
        server.add_handler("/api/v1/da_hrl_lmps", da_lmps_from_export(KEY))
        yield f"{server.base_url}/api/v1"


def get(base_url: str, key: str = KEY, **query: str) -> httpx.Response:
    return httpx.get(f"{base_url}/da_hrl_lmps", params=query, headers={KEY_HEADER: key})


def test_the_year_in_two_pages_with_the_csv_rows_as_items(base_url, csv_rows):
    assert len(csv_rows) == 8737
    first = get(base_url, datetime_beginning_ept=YEAR, startRow="1", rowCount="5000").json()
    assert (first["totalRows"], len(first["items"])) == (8737, 5000)
    next_link = next(link["href"] for link in first["links"] if link["rel"] == "next")
    assert dict(parse_qsl(urlsplit(next_link).query))["startRow"] == "5001"
    second = get(base_url, datetime_beginning_ept=YEAR, startRow="5001", rowCount="5000").json()
    assert (second["totalRows"], len(second["items"])) == (8737, 3737)
    assert "next" not in {link["rel"] for link in second["links"]}
    assert second["searchSpecification"]["startRow"] == 5001

    items = first["items"] + second["items"]
    assert all(set(i) == set(csv_rows[0]) for i in items)  # the API's fields are the CSV's columns
    for item, row in zip(items, csv_rows, strict=True):
        assert item["datetime_beginning_utc"] == datetime.strptime(
            row["datetime_beginning_utc"], "%m/%d/%Y %I:%M:%S %p").isoformat()
        assert item["total_lmp_da"] == float(row["total_lmp_da"])
    assert items[0]["datetime_beginning_ept"] == "2025-01-01T00:00:00"
    assert (items[0]["pnode_id"], items[0]["zone"], items[0]["row_is_current"]) == (1, None, True)


def test_range_and_pnode_filters_select_the_fall_back_day(base_url):
    page = get(base_url, datetime_beginning_ept="11/02/2025 00:00to11/02/2025 23:59", pnode_id="1",
               startRow="1", rowCount="50000").json()
    assert page["totalRows"] == len(page["items"]) == 25
    assert get(base_url, datetime_beginning_ept=YEAR, pnode_id="51291", startRow="1",
               rowCount="10").json()["totalRows"] == 0


def test_the_client_reads_every_page_and_the_parser_keeps_every_hour(base_url):
    with PJMDataMinerClient(KEY, base_url, row_count=1000, requests_per_minute=None) as client:
        pages = list(client.fetch("da_hrl_lmps", datetime(2025, 1, 1), datetime(2026, 1, 1)))
    with PJMDataMinerClient("wrong", base_url) as stranger, pytest.raises(PJMAuthError):
        list(stranger.fetch("da_hrl_lmps", datetime(2025, 1, 1), datetime(2025, 1, 2)))
    assert [(p.number, p.page_count) for p in pages] == [(n, 9) for n in range(1, 10)]
    frame = parse_da_hrl_lmps([i for p in pages for i in p.items]).frame
    assert len(frame) == 8737 and frame["interval_start_utc"].is_unique


def test_offline_sources_serve_the_shipped_year():
    with offline_sources(pjm_api_key=KEY) as replay:
        page = get(replay.pjm_base_url, datetime_beginning_ept="03/09/2025 00:00to03/09/2025 23:59",
                   startRow="1", rowCount="100").json()
        assert (replay.pjm_da_feed, replay.pjm_da_start, replay.pjm_da_end) == ("da_hrl_lmps", "2025-01-01",
                                                                               "2026-01-01")
    assert page["totalRows"] == 23
